/**
 * Executor: how openVirtualMfdataset runs the per-file work (parse + build dataset). The default
 * runs tasks in this process with a concurrency limit; callers can pass their own (a worker
 * pool, a job queue) through `parallel`.
 * @module
 */
import type { VirtualDataset } from "../dataset/virtual-dataset.js";
import { AbortedError, InvalidArgumentError } from "../errors.js";

/** Options of {@link Executor.map}. */
export interface ExecutorMapOptions {
  /** At most this many tasks run at the same time (≥ 1). */
  concurrency: number;
  /** Stops launching tasks and rejects with an AbortedError once aborted. */
  signal?: AbortSignal;
  /** Called after each task finished successfully, with its index. */
  onItemDone?: (index: number) => void;
}

/**
 * Runs `fn` over `items` and returns the results in item order. On the first failure it stops
 * launching new tasks and rejects with that task's error (tasks already running are awaited
 * first, so nothing keeps working after the promise settles).
 */
export interface Executor {
  map<T, R>(items: readonly T[], fn: (item: T, index: number) => Promise<R>, options: ExecutorMapOptions): Promise<R[]>;
}

/**
 * The in-process executor: a promise pool of `concurrency` workers pulling items in order.
 * @example
 * const sizes = await createInProcessExecutor().map(urls, (url) => reader.head(url).then((m) => m.size), { concurrency: 8 });
 */
export function createInProcessExecutor(): Executor {
  return {
    async map<T, R>(items: readonly T[], fn: (item: T, index: number) => Promise<R>, options: ExecutorMapOptions): Promise<R[]> {
      const concurrency = options.concurrency;
      if (!Number.isInteger(concurrency) || concurrency < 1) {
        throw new InvalidArgumentError(`executor: concurrency must be a positive integer, got ${concurrency}`);
      }
      const results = new Array<R>(items.length);
      let next = 0;
      let failure: { error: unknown } | undefined;
      const signal = options.signal;
      const worker = async (): Promise<void> => {
        while (!failure && next < items.length) {
          if (signal?.aborted) {
            failure ??= { error: new AbortedError("openVirtualMfdataset: aborted", { cause: signal.reason }) };
            return;
          }
          const index = next++;
          try {
            results[index] = await fn(items[index]!, index);
            options.onItemDone?.(index);
          } catch (error) {
            failure ??= { error };
            return;
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
      if (failure) throw failure.error;
      if (signal?.aborted) throw new AbortedError("openVirtualMfdataset: aborted", { cause: signal.reason });
      return results;
    },
  };
}

/** What a {@link DatasetParsePool} needs to build one file's dataset (no functions: it crosses threads). */
export interface PoolParseOptions {
  group?: string;
  dropVariables?: readonly string[];
  loadableVariables?: readonly string[];
  decodeTimes?: boolean;
  /** Places chunk URLs of a reference set may point into besides its own (see `OpenVirtualDatasetOptions.allowedPrefixes`). */
  allowedPrefixes?: readonly string[];
}

/**
 * Parses files into VirtualDatasets somewhere else than the calling thread (e.g. the worker
 * threads of `createThreadPool` in `@vz/core/node`). Pass one as `parallel` to
 * openVirtualMfdataset; the caller closes it.
 */
export interface DatasetParsePool {
  readonly kind: "vz-dataset-parse-pool";
  /** Parses `url` and builds its dataset (chunk manifests and loaded variables). */
  parseDataset(url: string, options: PoolParseOptions, signal?: AbortSignal): Promise<VirtualDataset>;
  /** Stops the pool's workers. */
  close(): Promise<void>;
}

/** Options of a thread pool factory (see `createThreadPool` in `@vz/core/node`). */
export interface ThreadPoolFactoryOptions {
  /** Number of worker threads. */
  size?: number;
  /** Parser name, looked up in each worker among the parsers discovered from the working directory. */
  parser?: string;
  /** Options passed to the parser plugin's `create` (must be structured-cloneable). */
  parserOptions?: unknown;
}

let threadPoolFactory: ((options: ThreadPoolFactoryOptions) => DatasetParsePool) | undefined;

/** Registers the factory behind `parallel: "threads"` (done by importing `@vz/core/node`). */
export function registerThreadPoolFactory(factory: (options: ThreadPoolFactoryOptions) => DatasetParsePool): void {
  threadPoolFactory = factory;
}

/** The registered thread pool factory, if `@vz/core/node` was imported. */
export function getThreadPoolFactory(): ((options: ThreadPoolFactoryOptions) => DatasetParsePool) | undefined {
  return threadPoolFactory;
}

/** Whether `value` is a {@link DatasetParsePool}. */
export function isDatasetParsePool(value: unknown): value is DatasetParsePool {
  return typeof value === "object" && value !== null && (value as DatasetParsePool).kind === "vz-dataset-parse-pool";
}
