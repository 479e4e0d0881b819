/**
 * The coordinator's multi-file open on the queue: every file is parsed by `vz worker` processes
 * (one job per file, its whole tree of groups), then the trees are combined group by group
 * exactly as `openVirtualMfdatatree` combines them in process — each group through
 * `openVirtualMfdataset` with the queue's results as its parse pool, so the combine rules
 * (CF time harmonisation, compat, join, attrs) are the same code.
 * @module
 */
import {
  type DatasetParsePool,
  InvalidArgumentError,
  openVirtualMfdataset,
  type OpenVirtualMfdatasetOptions,
  type PoolParseOptions,
  VirtualDataset,
  VirtualDatatree,
  VzError,
} from "@vz/core";
import { inGroup, sameGroups } from "@vz/core/internal";
import type { QueuePool, QueueProgress } from "./pool.js";

/** Options of {@link openQueueMfdatatree}: those of openVirtualMfdataset without parsing or pools. */
export interface OpenQueueMfdatatreeOptions
  extends Omit<OpenVirtualMfdatasetOptions, "parallel" | "preprocess" | "parser" | "parserOptions" | "registry" | "concurrency" | "onProgress"> {
  /** Leave out files that fail for good (listed in the result) instead of failing the run. */
  skipFailed?: boolean;
  /** Progress from queue events. */
  onProgress?: (progress: QueueProgress) => void;
  /**
   * Called once every file is parsed, before combining (so also when combining then fails), with
   * what the parser left out of each file (`QueueRunResult.diagnostics`: by URL, in `urls` order).
   */
  onDiagnostics?: (diagnostics: Map<string, VzError[]>) => void;
}

/** What {@link openQueueMfdatatree} returns. */
export interface QueueMfdatatree {
  tree: VirtualDatatree;
  /** URLs of the files combined (all, unless some failed and `skipFailed` left them out). */
  urls: string[];
  /** Files that failed for good (only with `skipFailed`; otherwise the first one is thrown). */
  failed: { url: string; error: VzError }[];
  /** Files whose results were found in Redis from an earlier run. */
  reused: number;
  /** What the parser left out of each file (variables skipped with `onUnsupported: "skip"`), by URL in `urls` order; files with none are absent. */
  diagnostics: Map<string, VzError[]>;
}

/**
 * Opens `urls` (absolute URLs, in order) as one VirtualDatatree through `pool`: what
 * `openVirtualMfdatatree(urls, options)` builds in process, with the parsing done by workers.
 * A file that fails is a typed error naming it, unless `skipFailed` (then it is listed).
 */
export async function openQueueMfdatatree(pool: QueuePool, urls: readonly string[], options: OpenQueueMfdatatreeOptions): Promise<QueueMfdatatree> {
  if (urls.length === 0) throw new InvalidArgumentError("openQueueMfdatatree: no files given");
  const parseOptions: PoolParseOptions = {
    ...(options.group !== undefined ? { group: options.group } : {}),
    ...(options.dropVariables ? { dropVariables: options.dropVariables } : {}),
    ...(options.loadableVariables ? { loadableVariables: options.loadableVariables } : {}),
    ...(options.decodeTimes !== undefined ? { decodeTimes: options.decodeTimes } : {}),
    ...(options.allowedPrefixes ? { allowedPrefixes: options.allowedPrefixes } : {}),
  };
  const run = await pool.runAll(urls, parseOptions, options.onProgress, options.signal);
  options.onDiagnostics?.(run.diagnostics);
  if (run.failed.length > 0 && !options.skipFailed) {
    const [first] = run.failed;
    const more = run.failed.length > 1 ? ` (and ${run.failed.length - 1} more file(s) failed)` : "";
    const index = urls.indexOf(first!.url);
    const error = new VzError(first!.error.code, `file ${index + 1} of ${urls.length} (${first!.url}): ${first!.error.message}${more}`, {
      url: first!.url,
      cause: first!.error,
      ...(first!.error.variable !== undefined ? { variable: first!.error.variable } : {}),
    });
    Object.defineProperty(error, "name", { value: first!.error.name });
    throw error;
  }
  const kept = urls.filter((url) => run.trees.has(url));
  if (kept.length === 0) throw new VzError(run.failed[0]!.error.code, `every file failed; the first: ${run.failed[0]!.url}: ${run.failed[0]!.error.message}`, { url: run.failed[0]!.url });
  let attrsFile = options.attrsFile;
  if (typeof attrsFile === "number") {
    const url = urls[attrsFile];
    if (url === undefined) throw new InvalidArgumentError(`openQueueMfdatatree: attrsFile ${attrsFile} is not one of the ${urls.length} files`);
    attrsFile = url;
  }
  if (typeof attrsFile === "string" && !kept.includes(attrsFile)) {
    throw new InvalidArgumentError(`openQueueMfdatatree: attrsFile ${attrsFile} failed or is not one of the files`, { url: attrsFile });
  }

  const groupsOf = kept.map((url) => run.trees.get(url)!.toMap());
  const paths0 = sameGroups(groupsOf, kept);
  const attrsIndex = typeof attrsFile === "string" ? kept.indexOf(attrsFile) : 0;
  const combined = new Map<string, VirtualDataset>();
  for (const path of paths0) {
    const datasets = new Map(kept.map((url, i) => [url, groupsOf[i]!.get(path)!]));
    if ([...datasets.values()].every((dataset) => dataset.variables.size === 0)) {
      combined.set(path, new VirtualDataset({ attrs: datasets.get(kept[attrsIndex]!)!.attrs }));
      continue;
    }
    // The group's datasets as a parse pool: openVirtualMfdataset combines them as in process.
    const view: DatasetParsePool = {
      kind: "vz-dataset-parse-pool",
      parseDataset: async (url) => {
        const dataset = datasets.get(url);
        if (!dataset) throw new InvalidArgumentError(`openQueueMfdatatree: no result for ${url}`, { url });
        return dataset;
      },
      close: async () => {},
    };
    const {
      skipFailed: _skip,
      onProgress: _progress,
      onDiagnostics: _diagnostics,
      group: _group,
      dropVariables: _drop,
      loadableVariables: _loadable,
      decodeTimes: _decode,
      ...combineOptions
    } = options;
    try {
      combined.set(
        path,
        await openVirtualMfdataset(kept, {
          ...combineOptions,
          ...(attrsFile !== undefined ? { attrsFile: kept[attrsIndex]! } : {}),
          parallel: view,
          concurrency: 64,
        }),
      );
    } catch (error) {
      throw inGroup(error, path);
    }
  }
  return { tree: VirtualDatatree.fromMap(combined), urls: kept, failed: run.failed, reused: run.reused, diagnostics: run.diagnostics };
}
