/**
 * createThreadPool (Node only): worker threads that parse files and build their datasets; the
 * chunk manifests come back as transferable typed arrays (no per-chunk objects cross threads).
 * Importing `@vz/core/node` registers it as the pool behind `parallel: "threads"`.
 *
 * Workers read files with `createDefaultReaders()` (file, http(s), s3 from the environment) and
 * find the parser by name among the parsers discovered from the working directory, or import
 * `parserModule` (a module whose default export is a ParserPlugin).
 * @module
 */
import { availableParallelism } from "node:os";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { toVirtualDataset } from "../../dataset/to-virtual-dataset.js";
import { LoadedArray, type Variable, VirtualDataset } from "../../dataset/virtual-dataset.js";
import { AbortedError, InvalidArgumentError, isVzError, PluginLoadError, VzError, type VzErrorCode } from "../../errors.js";
import { ChunkManifest } from "../../manifest/chunk-manifest.js";
import { ManifestArray } from "../../manifest/manifest-array.js";
import type { ArrayMetadata, DataType } from "../../manifest/metadata.js";
import { createDefaultReaders } from "../../readers/node/default-readers.js";
import type { Parser, ParserPlugin } from "../../registry/parser.js";
import { assertParserPlugin } from "../../registry/parser-registry.js";
import { createDiscoveredParserRegistry } from "../../registry/node/discover.js";
import { type DatasetParsePool, type PoolParseOptions, registerThreadPoolFactory, type ThreadPoolFactoryOptions } from "../executor.js";
import { openManifestStore } from "../open-virtual-dataset.js";

/** Options of {@link createThreadPool}. */
export interface ThreadPoolOptions extends ThreadPoolFactoryOptions {
  /** Number of worker threads. Default: `os.availableParallelism()`, at most 8. */
  size?: number;
  /**
   * A module (path or URL) whose default export is the ParserPlugin to use, e.g. the built
   * `@vz/parser-hdf5` entry. Takes precedence over `parser`.
   */
  parserModule?: string;
  /** Directories to discover parser packages from (default: the working directory). */
  discoverFrom?: readonly string[];
}

interface WorkerSetup {
  vzParseWorker: true;
  parser?: string;
  parserModule?: string;
  parserOptions?: unknown;
  discoverFrom?: readonly string[];
}

export type SerializedData =
  | {
      kind: "virtual";
      metadata: ArrayMetadata;
      urls: string[];
      urlIds: Uint32Array;
      offsets: Float64Array;
      lengths: Float64Array;
      inlined: [number, Uint8Array][];
    }
  | { kind: "loaded"; dataType: DataType; shape: number[]; values: LoadedArray["values"]; fillValue: unknown };

export interface SerializedDataset {
  variables: [string, { dims: string[]; attrs: Record<string, unknown>; encoding?: Record<string, unknown>; data: SerializedData }][];
  coordNames: string[];
  attrs: Record<string, unknown>;
}

interface SerializedError {
  name: string;
  code?: VzErrorCode;
  message: string;
  url?: string;
  variable?: string;
}

type Reply = { id: number; ok: true; dataset: SerializedDataset } | { id: number; ok: false; error: SerializedError };

/** A dataset as a structured-clone message plus the buffers to transfer. */
export function serializeDataset(dataset: VirtualDataset): { message: SerializedDataset; transfer: ArrayBuffer[] } {
  const transfer = new Set<ArrayBuffer>();
  const variables: SerializedDataset["variables"] = [];
  for (const [name, variable] of dataset.variables) {
    let data: SerializedData;
    if (variable.data instanceof ManifestArray) {
      const arrays = variable.data.manifest.toArrays();
      transfer.add(arrays.urlIds.buffer as ArrayBuffer).add(arrays.offsets.buffer as ArrayBuffer).add(arrays.lengths.buffer as ArrayBuffer);
      data = {
        kind: "virtual",
        metadata: variable.data.metadata,
        urls: arrays.urls,
        urlIds: arrays.urlIds,
        offsets: arrays.offsets,
        lengths: arrays.lengths,
        inlined: [...arrays.inlined],
      };
    } else {
      const loaded = variable.data;
      if (ArrayBuffer.isView(loaded.values) && loaded.values.buffer instanceof ArrayBuffer) transfer.add(loaded.values.buffer);
      data = { kind: "loaded", dataType: loaded.dataType, shape: [...loaded.shape], values: loaded.values, fillValue: loaded.fillValue };
    }
    variables.push([name, { dims: variable.dims, attrs: variable.attrs, ...(variable.encoding ? { encoding: variable.encoding } : {}), data }]);
  }
  return { message: { variables, coordNames: [...dataset.coordNames], attrs: dataset.attrs }, transfer: [...transfer] };
}

/** Rebuilds a dataset from {@link serializeDataset}'s message. */
export function deserializeDataset(message: SerializedDataset): VirtualDataset {
  const variables = new Map<string, Variable>();
  for (const [name, variable] of message.variables) {
    const source = variable.data;
    const data =
      source.kind === "virtual"
        ? new ManifestArray(
            source.metadata,
            ChunkManifest.fromArrays(
              {
                shape: source.metadata.shape.map((s, d) => Math.ceil(s / source.metadata.chunk_grid.configuration.chunk_shape[d]!)),
                urls: source.urls,
                urlIds: source.urlIds,
                offsets: source.offsets,
                lengths: source.lengths,
                inlined: new Map(source.inlined),
              },
              { validate: false },
            ),
            name,
          )
        : new LoadedArray({ dataType: source.dataType, shape: source.shape, values: source.values, fillValue: source.fillValue });
    variables.set(name, { dims: variable.dims, attrs: variable.attrs, ...(variable.encoding ? { encoding: variable.encoding } : {}), data });
  }
  return new VirtualDataset({ variables, coordNames: message.coordNames, attrs: message.attrs });
}

function serializeError(error: unknown): SerializedError {
  const base = { name: (error as Error)?.name ?? "Error", message: (error as Error)?.message ?? String(error) };
  if (!isVzError(error)) return base;
  return {
    ...base,
    code: error.code,
    ...(error.url !== undefined ? { url: error.url } : {}),
    ...(error.variable !== undefined ? { variable: error.variable } : {}),
  };
}

function deserializeError(error: SerializedError, url: string): VzError {
  const restored = new VzError(error.code ?? "PARSE_FAILED", error.message, {
    url: error.url ?? url,
    ...(error.variable !== undefined ? { variable: error.variable } : {}),
  });
  Object.defineProperty(restored, "name", { value: error.code ? error.name : "ParseError" });
  return restored;
}

/** The worker side: parses the files it is sent, one message per file. */
function runParseWorker(setup: WorkerSetup): void {
  const port = parentPort!;
  const reader = createDefaultReaders();
  let parserPromise:
    | Promise<{ parser?: Parser; readsReferences?: boolean; registry?: ReturnType<typeof createDiscoveredParserRegistry>["registry"] }>
    | undefined;
  const resolveParser = () =>
    (parserPromise ??= (async () => {
      if (setup.parserModule) {
        const href = /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(setup.parserModule) ? setup.parserModule : (await import("node:url")).pathToFileURL(setup.parserModule).href;
        let module: unknown;
        try {
          module = await import(href);
        } catch (cause) {
          throw new PluginLoadError(`thread pool: cannot import parser module ${setup.parserModule}: ${(cause as Error).message}`, { cause });
        }
        const candidate = ((module as { default?: unknown }).default ?? module) as ParserPlugin;
        const plugin = assertParserPlugin(candidate, candidate?.name ?? "?", setup.parserModule);
        return { parser: plugin.create(setup.parserOptions), readsReferences: plugin.readsReferences === true };
      }
      const { registry } = createDiscoveredParserRegistry(setup.discoverFrom ? { from: setup.discoverFrom } : {});
      if (setup.parser) {
        const plugin = await registry.get(setup.parser);
        return { parser: plugin.create(setup.parserOptions), readsReferences: plugin.readsReferences === true };
      }
      return { registry };
    })());
  port.on("message", async (task: { id: number; url: string; options: PoolParseOptions }) => {
    try {
      const { parser, readsReferences, registry } = await resolveParser();
      const { allowedPrefixes, ...datasetOptions } = task.options;
      const group = (datasetOptions as { group?: string }).group;
      const { store, groupApplied } = await openManifestStore(task.url, {
        reader,
        ...(parser ? { parser } : {}),
        ...(registry ? { registry } : {}),
        ...(readsReferences ? { readsReferences } : {}),
        ...(allowedPrefixes ? { allowedPrefixes } : {}),
        ...(group !== undefined ? { group } : {}),
      });
      // a parser that reads groups itself (readsGroups) returned the chosen group as the root
      const { group: _applied, ...rest } = datasetOptions as PoolParseOptions & { group?: string };
      const dataset = await toVirtualDataset(store, { ...(groupApplied ? rest : datasetOptions), url: task.url });
      const { message, transfer } = serializeDataset(dataset);
      port.postMessage({ id: task.id, ok: true, dataset: message } satisfies Reply, transfer);
    } catch (error) {
      port.postMessage({ id: task.id, ok: false, error: serializeError(error) } satisfies Reply);
    }
  });
}

const setup = workerData as WorkerSetup | undefined;
if (!isMainThread && setup?.vzParseWorker === true) runParseWorker(setup);

/**
 * A pool of worker threads that parse files for openVirtualMfdataset (`parallel: pool`).
 * Close it when done (openVirtualMfdataset closes the pools it creates for `"threads"`).
 * @example
 * const pool = createThreadPool({ size: 4, parserModule: require.resolve("@vz/parser-hdf5") });
 * try { vds = await openVirtualMfdataset(urls, { reader, parallel: pool, concurrency: 32 }); } finally { await pool.close(); }
 */
export function createThreadPool(options: ThreadPoolOptions = {}): DatasetParsePool {
  const size = options.size ?? Math.min(8, availableParallelism());
  if (!Number.isInteger(size) || size < 1) throw new InvalidArgumentError(`createThreadPool: size must be a positive integer, got ${size}`);
  if (!options.parser && !options.parserModule && options.parser !== undefined) throw new InvalidArgumentError("createThreadPool: empty parser name");
  const workerSetup: WorkerSetup = {
    vzParseWorker: true,
    ...(options.parser ? { parser: options.parser } : {}),
    ...(options.parserModule ? { parserModule: options.parserModule } : {}),
    ...(options.parserOptions !== undefined ? { parserOptions: options.parserOptions } : {}),
    ...(options.discoverFrom ? { discoverFrom: options.discoverFrom } : {}),
  };
  const workers: { worker: Worker; pending: number }[] = [];
  const waiting = new Map<number, { resolve: (dataset: VirtualDataset) => void; reject: (error: unknown) => void; url: string; slot: { worker: Worker; pending: number } }>();
  let nextId = 0;
  let closed = false;
  const spawn = () => {
    const worker = new Worker(new URL(import.meta.url), { workerData: workerSetup });
    const slot = { worker, pending: 0 };
    worker.unref();
    worker.on("message", (reply: Reply) => {
      const entry = waiting.get(reply.id);
      if (!entry) return;
      waiting.delete(reply.id);
      if (--slot.pending === 0) worker.unref();
      if (reply.ok) entry.resolve(deserializeDataset(reply.dataset));
      else entry.reject(deserializeError(reply.error, entry.url));
    });
    const failAll = (error: unknown) => {
      for (const [id, entry] of waiting) {
        if (entry.slot !== slot) continue;
        waiting.delete(id);
        entry.reject(new VzError("PARSE_FAILED", `thread pool: worker failed while parsing ${entry.url}: ${(error as Error)?.message ?? String(error)}`, { url: entry.url, cause: error }));
      }
      const index = workers.indexOf(slot);
      if (index >= 0) workers.splice(index, 1);
    };
    worker.on("error", failAll);
    worker.on("exit", (code) => {
      if (!closed) failAll(new Error(`worker exited with code ${code}`));
    });
    workers.push(slot);
    return slot;
  };
  return {
    kind: "vz-dataset-parse-pool",
    parseDataset(url, parseOptions, signal) {
      if (closed) return Promise.reject(new InvalidArgumentError("thread pool: already closed", { url }));
      if (signal?.aborted) return Promise.reject(new AbortedError(`parse ${url}: aborted`, { url, cause: signal.reason }));
      let slot = workers.reduce<(typeof workers)[number] | undefined>((best, w) => (!best || w.pending < best.pending ? w : best), undefined);
      if (!slot || (slot.pending > 0 && workers.length < size)) slot = spawn();
      const id = nextId++;
      const chosen = slot;
      if (chosen.pending++ === 0) chosen.worker.ref();
      return new Promise<VirtualDataset>((resolve, reject) => {
        // On abort the caller is answered at once; the worker's late reply is dropped.
        const onAbort = () => {
          if (!waiting.delete(id)) return;
          if (--chosen.pending === 0) chosen.worker.unref();
          reject(new AbortedError(`parse ${url}: aborted`, { url, cause: signal?.reason }));
        };
        signal?.addEventListener("abort", onAbort, { once: true });
        const done = <T>(settle: (value: T) => void) => (value: T) => {
          signal?.removeEventListener("abort", onAbort);
          settle(value);
        };
        waiting.set(id, { resolve: done(resolve), reject: done(reject), url, slot: chosen });
        chosen.worker.postMessage({ id, url, options: parseOptions });
      });
    },
    async close() {
      closed = true;
      for (const [id, entry] of waiting) {
        waiting.delete(id);
        entry.reject(new AbortedError(`thread pool closed while parsing ${entry.url}`, { url: entry.url }));
      }
      await Promise.all(workers.splice(0).map(({ worker }) => worker.terminate()));
    },
  };
}

registerThreadPoolFactory((options) => createThreadPool(options));
