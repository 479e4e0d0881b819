import { resolve } from "node:path";
import {
  InvalidArgumentError,
  maskedFillValues,
  type ParserPlugin,
  type MfdatasetProgress,
  NotFoundError,
  openVirtualMfdatatree,
  toVirtualDatatree,
  type VirtualDatatree,
} from "@vz/core";
import { expandGlob } from "@vz/core/internal";
import { writeKerchunk } from "@vz/core/node";
import { type CliContext, inputUrl, kerchunkRoot, openInput, parserChoice, printSkips, referenceFolder } from "../context.js";
import { importIcechunk } from "../icechunk.js";
import { formatBytes } from "../format.js";

/** Options of `vz virtualize`. */
export interface VirtualizeOptions {
  output: string;
  parser?: string;
  /** Write only this group's subtree (it becomes the root of the output). Default: every group. */
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
  /** kerchunk inputs: where relative chunk URLs live (default: the reference file's folder). */
  root?: string;
  /** "OLD=NEW": chunk URLs starting with OLD start with NEW instead (e.g. file:///data/=s3://bucket/data/). */
  renamePaths?: string;
  /** Redis URL: files are parsed by `vz worker` processes on this queue (see `vz worker`). */
  queue?: string;
  /** With `queue`: leave out (and list) files that fail for good instead of failing. */
  skipFailed?: boolean;
}

/**
 * Prefix replacement for `--rename-paths OLD=NEW`. OLD may be a URL prefix or a local path (matched
 * as its file:// URL); every chunk URL must start with OLD — a URL that does not is an error, so
 * that no chunk is left pointing at the old place unnoticed.
 */
export function prefixRename(context: CliContext, spec: string): { old: string; next: string; rename: (url: string) => string } {
  const eq = spec.indexOf("=");
  if (eq <= 0 || eq === spec.length - 1) {
    throw new InvalidArgumentError(`--rename-paths "${spec}": expected OLD=NEW (e.g. file:///data/=s3://bucket/data/)`);
  }
  const oldText = spec.slice(0, eq);
  const next = spec.slice(eq + 1);
  const isUrl = /^[a-z][a-z0-9+.-]*:\/\//i.test(oldText);
  let old = isUrl ? oldText : inputUrl(context, oldText);
  if (oldText.endsWith("/") && !old.endsWith("/")) old += "/";
  return {
    old,
    next,
    rename: (url) => {
      if (!url.startsWith(old)) {
        throw new InvalidArgumentError(`--rename-paths: chunk URL ${url} does not start with ${old}`, { url });
      }
      return next + url.slice(old.length);
    },
  };
}

/** `vz virtualize <input>... -o OUT`: virtualize files (every group) and write kerchunk references atomically. */
export async function virtualizeCommand(context: CliContext, inputs: string[], options: VirtualizeOptions): Promise<number> {
  if (inputs.length === 0) throw new InvalidArgumentError("vz virtualize: give at least one file or URL");
  if (!options.output) throw new InvalidArgumentError("vz virtualize: -o/--output is required");
  const format = options.format ?? "json";
  const started = performance.now();
  // Icechunk is optional: fail before parsing anything when it is not installed.
  const icechunk = format === "icechunk" ? await importIcechunk("vz virtualize --format icechunk") : undefined;
  const multi = inputs.length > 1 || inputs.some(isGlob) || options.concatDim !== undefined || options.combine !== undefined;
  let tree: VirtualDatatree;
  let skipped = 0;
  let fileCount = 1;
  if (multi) {
    const urls = await expandInputs(context, inputs);
    fileCount = urls.length;
    const extra = options.skipUnsupported ? { onUnsupported: "skip" } : {};
    const chosen = parserChoice(context, urls[0]!, inputs[0]!, options.parser, extra);
    let choice: Awaited<ReturnType<typeof referenceAwareChoice>>;
    if (chosen.parser !== undefined) {
      choice = await referenceAwareChoice(context, chosen, options.root);
      if (options.skipUnsupported) choice = { ...choice, parser: await reportingSkips(context, choice.parser ?? chosen.parser) };
    } else if (options.queue) {
      // workers detect each file's parser themselves
      choice = { parserOptions: extra, ...(context.allowedPrefixes?.length ? { allowedPrefixes: [...context.allowedPrefixes] } : {}) };
    } else {
      // No parser named: each file's own (a Zarr store and a netCDF file may be combined), with
      // that parser's config and --parser-option values.
      choice = { parser: perFileParser(context, extra, options.root, options.skipUnsupported === true), parserOptions: {} };
      const allowed = [...(context.allowedPrefixes ?? [])];
      const root = kerchunkRoot(context, context.config.parserOptions?.kerchunk ?? {}, options.root);
      if (root !== undefined) allowed.push(root);
      if (allowed.length) choice.allowedPrefixes = allowed;
    }
    const combine = options.combine === "nested" || (options.combine === undefined && options.concatDim !== undefined) ? "nested" : "byCoords";
    const shared = {
      combine,
      ...(combine === "nested" ? { concatDim: options.concatDim ?? null } : {}),
      ...(options.group ? { group: options.group } : {}),
      ...(options.loadable ? { loadableVariables: options.loadable } : {}),
      ...(options.drop ? { dropVariables: options.drop } : {}),
    } as const;
    if (options.queue) {
      const { virtualizeOnQueue } = await import("./queue.js");
      tree = await virtualizeOnQueue(context, urls, choice, { ...shared, queue: options.queue, ...(options.root ? { root: options.root } : {}), ...(options.skipFailed ? { skipFailed: true } : {}) });
    } else {
      const progress = createProgress(context);
      tree = await openVirtualMfdatatree(urls, {
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
    }
  } else if (options.queue) {
    const url = inputUrl(context, inputs[0]!);
    const choice = await referenceAwareChoice(context, parserChoice(context, url, inputs[0]!, options.parser, options.skipUnsupported ? { onUnsupported: "skip" } : {}), options.root);
    const { virtualizeOneOnQueue } = await import("./queue.js");
    ({ tree, skipped } = await virtualizeOneOnQueue(context, url, choice, {
      queue: options.queue,
      ...(options.root ? { root: options.root } : {}),
      ...(options.group ? { group: options.group } : {}),
      ...(options.loadable ? { loadableVariables: options.loadable } : {}),
      ...(options.drop ? { dropVariables: options.drop } : {}),
    }));
  } else {
    const input = inputs[0]!;
    const url = inputUrl(context, input);
    const { store, groupApplied } = await openInput(context, url, input, {
      ...(options.parser ? { parser: options.parser } : {}),
      ...(options.root ? { root: options.root } : {}),
      ...(options.skipUnsupported ? { extraOptions: { onUnsupported: "skip" } } : {}),
      ...(options.group ? { group: options.group } : {}),
    });
    skipped = printSkips(context, store.diagnostics);
    tree = await toVirtualDatatree(store, {
      url,
      ...(options.group && !groupApplied ? { group: options.group } : {}),
      ...(options.loadable ? { loadableVariables: options.loadable } : {}),
      ...(options.drop ? { dropVariables: options.drop } : {}),
    });
  }
  const where = `${inputs.length === 1 ? inputs[0] : `${fileCount} files`}${options.group ? ` (group "${options.group}")` : ""}`;
  if (tree.variableCount === 0) {
    const why = skipped > 0 ? ` (the parser reported ${skipped} skipped item(s) above)` : options.drop?.length ? " (after --drop)" : "";
    throw new NotFoundError(`vz virtualize: ${where} has no variables in any group${why}; nothing to write (${options.output} not written)`, {
      url: inputs.length === 1 ? inputUrl(context, inputs[0]!) : inputs.join(", "),
    });
  }
  if (options.renamePaths !== undefined) {
    const { old, next, rename } = prefixRename(context, options.renamePaths);
    tree = tree.renamePaths(rename);
    context.err(`renamed chunk URLs: ${old} -> ${next}\n`);
  }
  const groups = [...tree.walk()].length;
  const groupText = `${groups} group${groups === 1 ? "" : "s"}`;
  const filesText = fileCount === 1 ? "" : `${fileCount} files, `;
  if (icechunk) {
    const location = /^[a-z][a-z0-9+.-]*:\/\//i.test(options.output) ? options.output : resolve(context.cwd, options.output);
    const s3 = context.config.readers?.s3;
    // The whole tree (every group; the --group subtree as the root).
    const data = groups === 1 ? tree.dataset : tree.toMap();
    const result = await icechunk.writeIcechunk(data, {
      location,
      ...(options.branch ? { branch: options.branch } : {}),
      ...(options.message ? { message: options.message } : {}),
      ...(options.appendDim ? { appendDim: options.appendDim } : {}),
      ...(s3 ? { s3: { ...(s3.region ? { region: s3.region } : {}), ...(s3.endpoint ? { endpointUrl: s3.endpoint } : {}), ...(s3.forcePathStyle !== undefined ? { forcePathStyle: s3.forcePathStyle } : {}), ...(s3.anonymous !== undefined ? { anonymous: s3.anonymous } : {}) } } : {}),
      reader: context.reader,
    });
    const seconds = ((performance.now() - started) / 1000).toFixed(2);
    context.err(
      `committed ${result.snapshotId} to ${location} (branch ${options.branch ?? "main"}): ${filesText}${groupText}, ${result.arrays} arrays, ${result.virtualRefs} virtual refs, ${result.realChunks} real chunks, in ${seconds} s\n`,
    );
    return 0;
  }
  const output = resolve(context.cwd, options.output);
  for (const [path, node] of tree.walk()) {
    for (const masked of maskedFillValues(node.dataset)) {
      context.err(
        `note: ${path ? `${path}/` : ""}${masked.variable}: ${masked.missingChunks} missing chunks cannot be written inline (codecs vz does not encode, or more than 1 MiB / 100,000 chunks); ` +
        `fill_value ${String(masked.fillValue)} is written, which xarray reads as _FillValue (real values equal to it are masked)\n`,
      );
    }
  }
  const result: unknown = await writeKerchunk(tree, output, { format: format === "parquet" ? "parquet" : "json" });
  const seconds = ((performance.now() - started) / 1000).toFixed(2);
  const bytes = (result as { bytes?: unknown } | undefined)?.bytes;
  const size = typeof bytes === "number" ? `, ${formatBytes(bytes)}` : "";
  context.err(
    `wrote ${output} (${format}${size}): ${filesText}${groupText}, ${tree.variableCount} variables, ${tree.chunkCount} chunk references, in ${seconds} s\n`,
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

/**
 * For many kerchunk reference files: each file's relative chunk URLs resolve against its own folder
 * (unless `--root` or the config's `parserOptions.kerchunk.root` name one), and the allowed places
 * are `context.allowedPrefixes` plus a root the user chose.
 */
async function referenceAwareChoice(
  context: CliContext,
  choice: { parser?: string; parserOptions: Record<string, unknown> },
  root: string | undefined,
): Promise<{ parser?: string | ParserPlugin; parserOptions: Record<string, unknown>; allowedPrefixes?: string[] }> {
  const allowed = [...(context.allowedPrefixes ?? [])];
  if (choice.parser !== "kerchunk") return { ...choice, ...(allowed.length ? { allowedPrefixes: allowed } : {}) };
  const plugin = await context.registry.get("kerchunk");
  const chosen = kerchunkRoot(context, choice.parserOptions, root);
  if (chosen !== undefined) {
    allowed.push(chosen);
    return { parser: plugin, parserOptions: { ...choice.parserOptions, root: chosen }, ...(allowed.length ? { allowedPrefixes: allowed } : {}) };
  }
  const perFile: ParserPlugin = {
    ...plugin,
    create: (options) => (url, reader, readOptions) =>
      plugin.create({ ...(options as Record<string, unknown>), root: referenceFolder(url) })(url, reader, readOptions),
  };
  return { parser: perFile, parserOptions: choice.parserOptions, ...(allowed.length ? { allowedPrefixes: allowed } : {}) };
}

/**
 * A parser that detects each file's own parser (extension, magic bytes) and runs it with that
 * parser's options (config, rules, --parser-option; kerchunk roots per file). It declares
 * `readsReferences`, so chunk URLs of any reference set among the files stay under the allow
 * policy (a data file's own chunks always lie in its own place).
 */
function perFileParser(context: CliContext, extra: Record<string, unknown>, root: string | undefined, reportSkips: boolean): ParserPlugin {
  return {
    name: "auto",
    description: "each file's own parser",
    readsReferences: true,
    create: () => async (url, reader, readOptions) => {
      const { name } = await context.registry.select(url, { reader, ...(readOptions?.signal ? { signal: readOptions.signal } : {}) });
      const choice = await referenceAwareChoice(context, parserChoice(context, url, url, name, extra), root);
      let plugin = typeof choice.parser === "object" ? choice.parser : await context.registry.get(choice.parser ?? name);
      if (reportSkips) plugin = await reportingSkips(context, plugin);
      return plugin.create(choice.parserOptions)(url, reader, readOptions);
    },
  };
}

/** The parser `choice`, printing what it left out of each file (with --skip-unsupported) on stderr. */
async function reportingSkips(context: CliContext, choice: string | ParserPlugin): Promise<ParserPlugin> {
  const plugin = typeof choice === "string" ? await context.registry.get(choice) : choice;
  return {
    ...plugin,
    create: (options) => {
      const parser = plugin.create(options);
      return async (url, reader, readOptions) => {
        const store = await parser(url, reader, readOptions);
        printSkips(context, store.diagnostics, url);
        return store;
      };
    },
  };
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
