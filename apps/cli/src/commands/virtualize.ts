import { resolve } from "node:path";
import {
  expandGlob,
  InvalidArgumentError,
  type MfdatasetProgress,
  openManifestStore,
  openVirtualMfdataset,
  toVirtualDataset,
  type VirtualDataset,
} from "@vz/core";
import { writeKerchunk } from "@vz/core/node";
import { type CliContext, inputUrl, parserChoice } from "../context.js";
import { importIcechunk } from "../icechunk.js";
import { formatBytes } from "../format.js";

/** Options of `vz virtualize`. */
export interface VirtualizeOptions {
  output: string;
  parser?: string;
  group?: string;
  loadable?: string[];
  drop?: string[];
  format?: "json" | "parquet" | "icechunk";
  /** Icechunk: branch to commit to (default main), commit message, dimension to append along. */
  branch?: string;
  message?: string;
  appendDim?: string;
  concatDim?: string;
  combine?: "by-coords" | "nested";
  /** Leave out variables the parser cannot virtualize (reported on stderr) instead of failing. */
  skipUnsupported?: boolean;
}

/** `vz virtualize <input>... -o OUT`: virtualize files and write kerchunk references atomically. */
export async function virtualizeCommand(context: CliContext, inputs: string[], options: VirtualizeOptions): Promise<number> {
  if (inputs.length === 0) throw new InvalidArgumentError("vz virtualize: give at least one file or URL");
  if (!options.output) throw new InvalidArgumentError("vz virtualize: -o/--output is required");
  const format = options.format ?? "json";
  const started = performance.now();
  // Icechunk is optional: fail before parsing anything when it is not installed.
  const icechunk = format === "icechunk" ? await importIcechunk("vz virtualize --format icechunk") : undefined;
  let singleStore: Awaited<ReturnType<typeof openManifestStore>>["store"] | undefined;
  const multi = inputs.length > 1 || inputs.some(isGlob) || options.concatDim !== undefined || options.combine !== undefined;
  let vds: VirtualDataset;
  let fileCount = 1;
  if (multi) {
    const urls = await expandInputs(context, inputs);
    fileCount = urls.length;
    const choice = parserChoice(context, urls[0]!, inputs[0]!, options.parser, options.skipUnsupported ? { onUnsupported: "skip" } : {});
    const combine = options.combine === "nested" || (options.combine === undefined && options.concatDim !== undefined) ? "nested" : "byCoords";
    const progress = createProgress(context);
    vds = await openVirtualMfdataset(urls, {
      reader: context.reader,
      registry: context.registry,
      ...choice,
      combine,
      ...(combine === "nested" ? { concatDim: options.concatDim ?? null } : {}),
      ...(options.group ? { group: options.group } : {}),
      ...(options.loadable ? { loadableVariables: options.loadable } : {}),
      ...(options.drop ? { dropVariables: options.drop } : {}),
      onProgress: progress.update,
    });
    progress.done();
  } else {
    const input = inputs[0]!;
    const url = inputUrl(context, input);
    const choice = parserChoice(context, url, input, options.parser, options.skipUnsupported ? { onUnsupported: "skip" } : {});
    const { store } = await openManifestStore(url, { reader: context.reader, registry: context.registry, ...choice });
    singleStore = store;
    for (const diagnostic of store.diagnostics) {
      context.err(`skipped ${diagnostic.variable ?? "?"}: [${diagnostic.code}] ${diagnostic.message}\n`);
    }
    vds = await toVirtualDataset(store, {
      url,
      ...(options.group ? { group: options.group } : {}),
      ...(options.loadable ? { loadableVariables: options.loadable } : {}),
      ...(options.drop ? { dropVariables: options.drop } : {}),
    });
  }
  if (format === "icechunk") {
    const location = /^[a-z][a-z0-9+.-]*:\/\//i.test(options.output) ? options.output : resolve(context.cwd, options.output);
    const s3 = context.config.readers?.s3;
    // One file without --group: write the whole tree (every group).
    let data: VirtualDataset | Map<string, VirtualDataset> = vds;
    if (singleStore && !options.group) {
      const groups = [...singleStore.group.walkGroups()].filter(([path]) => path !== "");
      if (groups.length > 0) {
        const url = inputUrl(context, inputs[0]!);
        const tree = new Map<string, VirtualDataset>([["", vds]]);
        for (const [path] of groups) {
          tree.set(path, await toVirtualDataset(singleStore, { url, group: path, ...(options.drop ? { dropVariables: options.drop } : {}) }));
        }
        data = tree;
      }
    }
    const result = await icechunk!.writeIcechunk(data, {
      location,
      ...(options.branch ? { branch: options.branch } : {}),
      ...(options.message ? { message: options.message } : {}),
      ...(options.appendDim ? { appendDim: options.appendDim } : {}),
      ...(s3 ? { s3: { ...(s3.region ? { region: s3.region } : {}), ...(s3.endpoint ? { endpointUrl: s3.endpoint } : {}), ...(s3.forcePathStyle !== undefined ? { forcePathStyle: s3.forcePathStyle } : {}), ...(s3.anonymous !== undefined ? { anonymous: s3.anonymous } : {}) } } : {}),
      reader: context.reader,
    });
    const seconds = ((performance.now() - started) / 1000).toFixed(2);
    const groupCount = data instanceof Map ? `${data.size} groups, ` : "";
    context.err(
      `committed ${result.snapshotId} to ${location} (branch ${options.branch ?? "main"}): ${groupCount}${result.arrays} arrays, ${result.virtualRefs} virtual refs, ${result.realChunks} real chunks, in ${seconds} s\n`,
    );
    return 0;
  }
  const output = resolve(context.cwd, options.output);
  const result: unknown = await writeKerchunk(vds, output, { format });
  const seconds = ((performance.now() - started) / 1000).toFixed(2);
  const bytes = (result as { bytes?: unknown } | undefined)?.bytes;
  const size = typeof bytes === "number" ? `, ${formatBytes(bytes)}` : "";
  context.err(
    `wrote ${output} (${format}${size}): ${fileCount === 1 ? "" : `${fileCount} files, `}${vds.variables.size} variables, ${vds.chunkCount} chunk references, in ${seconds} s\n`,
  );
  return 0;
}

const GLOB_CHARS = /[*?[{]/;

function isGlob(input: string): boolean {
  return GLOB_CHARS.test(input);
}

/**
 * Expands every glob among `inputs` (local paths, `file://`, `s3://`: through the reader's `list`)
 * into its sorted matches, keeping the inputs' order; a literal input stays as it is. A glob over
 * HTTP cannot be listed: the reader's typed error says so.
 */
export async function expandInputs(context: CliContext, inputs: readonly string[]): Promise<string[]> {
  const urls: string[] = [];
  for (const input of inputs) {
    if (!isGlob(input)) {
      urls.push(inputUrl(context, input));
      continue;
    }
    const pattern = /^[a-z][a-z0-9+.-]*:\/\//i.test(input) ? input : resolve(context.cwd, input);
    urls.push(...(await expandGlob(pattern, context.reader)));
  }
  return urls;
}

/** A one-line progress bar on stderr when it is a terminal; a final count otherwise. */
function createProgress(context: CliContext): { update: (progress: MfdatasetProgress) => void; done: () => void } {
  let last = 0;
  let total = 0;
  return {
    update(progress) {
      total = progress.total;
      if (!context.interactive) return;
      const now = Date.now();
      if (now - last < 100 && progress.done < progress.total) return;
      last = now;
      const width = 30;
      const filled = Math.round((progress.done / Math.max(1, progress.total)) * width);
      context.err(`\r[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${progress.done}/${progress.total} files`);
    },
    done() {
      if (context.interactive) context.err("\n");
      else if (total > 0) context.err(`virtualized ${total} files\n`);
    },
  };
}
