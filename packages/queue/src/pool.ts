/**
 * The coordinator side: a DatasetParsePool whose files are parsed by `vz worker` processes through
 * a BullMQ queue on Redis. One job per file, with a deterministic id (URL + the file's identity +
 * parse options), so a re-run reuses every result still in Redis and only unfinished work runs.
 * @module
 */
import {
  AbortedError,
  type DatasetParsePool,
  isVzError,
  type ObjectReader,
  type PoolParseOptions,
  type VirtualDataset,
  type VirtualDatatree,
  type VzError,
} from "@vz/core";
import { createDefaultReaders } from "@vz/core/node";
import { type Job, Queue, QueueEvents } from "bullmq";
import { Redis } from "ioredis";
import { createDecodeInterner, type DecodedResult, decodeResult } from "./encoding.js";
import {
  DEFAULT_QUEUE_NAME,
  DEFAULT_RESULT_TTL_SECONDS,
  decodeFailure,
  type FileIdentity,
  jobIdFor,
  type ParseJobData,
  type ParseJobResult,
} from "./jobs.js";
import { checkRedis, redisOptions } from "./redis.js";

/** Options of {@link createQueuePool}. */
export interface QueuePoolOptions {
  /** Redis URL, e.g. `redis://127.0.0.1:6379/0`. */
  redis: string;
  queueName?: string;
  /** Parser name the workers use (discovered there); default: auto-detected per file. */
  parser?: string;
  /** Options for the parser plugin's `create` (must be JSON). */
  parserOptions?: unknown;
  /**
   * Each file's own parser options (must be JSON), instead of `parserOptions`: e.g. a kerchunk
   * reference file's folder as its `root`, as the local CLI resolves relative chunk URLs.
   */
  parserOptionsFor?: (url: string) => unknown;
  /**
   * Without `parser` (workers detect each file's parser): each file's options by parser name; the
   * worker gives the detected parser its entry (others get `parserOptions`).
   */
  parserOptionsByName?: (url: string) => Record<string, unknown>;
  /** Reads each file's identity (`head`: ETag, size, last-modified) for the job id. Default: createDefaultReaders(). */
  reader?: ObjectReader;
  /** Seconds results and finished jobs stay in Redis. Default 24 h. */
  resultTtl?: number;
  /** Attempts per job for transient failures (network); corrupt or unsupported files fail at once. Default 3. */
  attempts?: number;
  /** How often jobs being waited for are added again if they vanished from Redis, in ms. Default 30000 (and at every reconnection). */
  recheckMs?: number;
  /** Files submitted at once by runAll (each costs one `head` and a few Redis calls). Default 64. */
  submitConcurrency?: number;
}

/** Progress of a run, from queue events. */
export interface QueueProgress {
  total: number;
  done: number;
  failed: number;
  /** Results found in Redis from an earlier run (no file read). */
  reused: number;
  active: number;
  /** The last failure, with its file. */
  lastError?: { url: string; message: string };
}

/** A file's result: its tree and what the parser left out of it (`ManifestStore.diagnostics`, e.g. variables skipped with `onUnsupported: "skip"`). */
export type QueueFileResult = DecodedResult;

/** What {@link QueuePool.runAll} gives back. */
export interface QueueRunResult {
  /** Each parsed file's groups (the whole file, or the subtree at `options.group`), by URL. */
  trees: Map<string, VirtualDatatree>;
  /**
   * What the parser left out of each parsed file, by URL (files with none are absent), for
   * results parsed in this run and results reused from Redis alike. Iterates in `urls` order.
   */
  diagnostics: Map<string, VzError[]>;
  failed: { url: string; error: VzError }[];
  reused: number;
}

/** A DatasetParsePool on BullMQ, with a batch API for progress and per-file failures. */
export interface QueuePool extends DatasetParsePool {
  /** Parses `url` into its tree of groups (every group under `options.group`). */
  parseTree(url: string, options: PoolParseOptions, signal?: AbortSignal): Promise<VirtualDatatree>;
  /** {@link parseTree} with the parser's diagnostics (what it left out of the file). */
  parseFile(url: string, options: PoolParseOptions, signal?: AbortSignal): Promise<QueueFileResult>;
  /** Submits every file, waits for all, and returns the trees and the failures (never throws for one file). */
  runAll(urls: readonly string[], options: PoolParseOptions, onProgress?: (progress: QueueProgress) => void, signal?: AbortSignal): Promise<QueueRunResult>;
  /** Job counts of the queue (waiting, active, completed, failed, delayed). */
  counts(): Promise<Record<string, number>>;
}

/** Creates the coordinator's pool. Close it when done. */
export function createQueuePool(options: QueuePoolOptions): QueuePool {
  const queueName = options.queueName ?? DEFAULT_QUEUE_NAME;
  const connection = redisOptions(options.redis);
  const reader = options.reader ?? createDefaultReaders();
  const resultTtl = options.resultTtl ?? DEFAULT_RESULT_TTL_SECONDS;
  const submitConcurrency = options.submitConcurrency ?? 64;
  /** Metadata that repeats across the files' results is held once. */
  const interner = createDecodeInterner();
  /** Trees already fetched in this process (runAll then openVirtualMfdataset asks again). */
  const fetched = new Map<string, DecodedResult>();
  const jobOptions = (jobId: string) => ({
    jobId,
    attempts: options.attempts ?? 3,
    backoff: { type: "exponential" as const, delay: 1000 },
    removeOnComplete: { age: resultTtl },
    removeOnFail: { age: resultTtl },
  });
  /** Jobs being waited for (with how many waiters) and their data, to add again after a Redis restart. */
  const outstanding = new Map<string, number>();
  const jobData = new Map<string, ParseJobData>();
  let connections = 0;
  // The connections are made once Redis answered a PING (with the password): a wrong password or
  // an unreachable server is an error at once, not endless reconnecting.
  let queue!: Queue<ParseJobData, ParseJobResult>;
  let events!: QueueEvents;
  let results!: Redis;
  let closed = false;
  const readd = () => {
    if (!queue) return;
    // Adding a job that exists is a no-op; one that vanished (Redis restarted empty) is queued again.
    for (const jobId of outstanding.keys()) void queue.add("parse", jobData.get(jobId)!, jobOptions(jobId)).catch(() => {});
  };
  // And now and then, in case a restart went unnoticed (e.g. a failover to an empty replica).
  const recheck = setInterval(readd, options.recheckMs ?? 30_000);
  recheck.unref();
  const ready = checkRedis(options.redis).then(async () => {
    if (closed) throw new AbortedError("queue pool closed");
    queue = new Queue<ParseJobData, ParseJobResult>(queueName, { connection });
    events = new QueueEvents(queueName, { connection });
    results = new Redis(connection);
    // Every job waited for adds a "closing" listener to the queue and "completed:<id>" ones to the
    // events (BullMQ's waitUntilFinished): thousands at once are expected, not a leak.
    queue.setMaxListeners(0);
    events.setMaxListeners(0);
    queue.on("error", () => {});
    events.on("error", () => {});
    results.on("error", () => {});
    results.on("ready", () => {
      if (connections++ > 0) readd();
    });
    await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
  });
  ready.catch(() => {});

  const fetchResult = async (jobId: string, url: string, value: ParseJobResult | undefined): Promise<DecodedResult> => {
    if (!value?.key) throw decodeFailure(`job ${jobId} finished without a result`, url);
    const bytes = await results.getBuffer(value.key);
    if (!bytes) throw decodeFailure(`the result of job ${jobId} (${value.key}) is gone from Redis (expired?)`, url);
    return decodeResult(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), value.key, interner);
  };

  /** Submits (or finds) the job of `url`; returns the job and whether its result is already in Redis. */
  const submit = async (url: string, parseOptions: PoolParseOptions, signal?: AbortSignal) => {
    await ready;
    const meta = await reader.head(url, signal ? { signal } : undefined);
    const identity: FileIdentity = {
      size: meta.size,
      ...(meta.etag ? { etag: meta.etag } : {}),
      ...(meta.lastModified ? { lastModified: meta.lastModified.toISOString() } : {}),
    };
    const parserOptions = options.parserOptionsFor ? options.parserOptionsFor(url) : options.parserOptions;
    const byName = !options.parser && options.parserOptionsByName ? options.parserOptionsByName(url) : undefined;
    const data: ParseJobData = {
      v: 3,
      url,
      ...(options.parser ? { parser: options.parser } : {}),
      ...(parserOptions !== undefined ? { parserOptions } : {}),
      ...(byName ? { parserOptionsByName: byName } : {}),
      options: { ...parseOptions },
      resultTtl,
    };
    const { resultTtl: _ttl, ...identityData } = data;
    const jobId = jobIdFor(identityData, identity);
    let job = (await queue.getJob(jobId)) as Job<ParseJobData, ParseJobResult> | undefined;
    let reused = false;
    if (job) {
      const state = await job.getState();
      if (state === "completed" && job.returnvalue?.key && (await results.exists(job.returnvalue.key)) === 1) reused = true;
      else if (state === "failed" || state === "completed") {
        // A failed job is tried again on a new run; a completed one whose result expired is redone.
        await job.remove().catch(() => {});
        job = undefined;
      }
    }
    job ??= await queue.add("parse", data, jobOptions(jobId));
    return { job, jobId, reused, data };
  };

  /**
   * Waits for `job` and fetches its result. While it waits the job is outstanding: should Redis
   * come back empty (restarted without persistence), every outstanding job is added again, and a
   * result lost after its job finished is computed again (at most twice).
   */
  const wait = async (job: Job<ParseJobData, ParseJobResult>, url: string, data: ParseJobData): Promise<DecodedResult> => {
    const jobId = job.id!;
    for (let attempt = 0; ; attempt++) {
      let value: ParseJobResult;
      outstanding.set(jobId, (outstanding.get(jobId) ?? 0) + 1);
      jobData.set(jobId, data);
      try {
        value = await job.waitUntilFinished(events);
      } catch (error) {
        throw decodeFailure((error as Error).message, url);
      } finally {
        const left = outstanding.get(jobId)! - 1;
        if (left === 0) {
          outstanding.delete(jobId);
          jobData.delete(jobId);
        } else outstanding.set(jobId, left);
      }
      const bytes = value?.key ? await results.getBuffer(value.key) : null;
      if (bytes) return decodeResult(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), value.key, interner);
      if (attempt >= 2) return fetchResult(jobId, url, value);
      await queue.remove(jobId).catch(() => 0);
      job = await queue.add("parse", data, jobOptions(jobId));
    }
  };

  const cacheKey = (url: string, parseOptions: PoolParseOptions) => JSON.stringify([url, parseOptions]);

  const parseFile = async (url: string, parseOptions: PoolParseOptions, signal?: AbortSignal): Promise<DecodedResult> => {
    const cached = fetched.get(cacheKey(url, parseOptions));
    if (cached) return cached;
    const { job, reused, data } = await submit(url, parseOptions, signal);
    const result = reused ? await fetchResult(job.id!, url, job.returnvalue) : await wait(job, url, data);
    fetched.set(cacheKey(url, parseOptions), result);
    return result;
  };
  const parseTree = async (url: string, parseOptions: PoolParseOptions, signal?: AbortSignal): Promise<VirtualDatatree> => (await parseFile(url, parseOptions, signal)).tree;

  return {
    kind: "vz-dataset-parse-pool",
    parseTree,
    parseFile,
    async parseDataset(url, parseOptions, signal): Promise<VirtualDataset> {
      return (await parseTree(url, parseOptions, signal)).dataset;
    },

    async runAll(urls, parseOptions, onProgress, signal) {
      // Redis problems (a wrong password, no server) are the run's error, not every file's.
      await ready;
      const progress: QueueProgress = { total: urls.length, done: 0, failed: 0, reused: 0, active: 0 };
      const report = () => onProgress?.({ ...progress });
      const ours = new Set<string>();
      const started = new Set<string>();
      const onActive = ({ jobId }: { jobId: string }) => {
        if (!ours.has(jobId) || started.has(jobId)) return;
        started.add(jobId);
        progress.active++;
        report();
      };
      events.on("active", onActive);
      const trees = new Map<string, VirtualDatatree>();
      const diagnosed = new Map<string, VzError[]>();
      const failed: QueueRunResult["failed"] = [];
      const fail = (url: string, error: unknown) => {
        progress.failed++;
        const typed = isVzError(error) ? error : decodeFailure((error as Error)?.message ?? String(error), url);
        failed.push({ url, error: typed });
        progress.lastError = { url, message: typed.message };
      };
      try {
        // Submissions run `submitConcurrency` at a time (each is one head request and a few Redis
        // calls); each file is awaited as soon as its job is in the queue.
        const waits: Promise<void>[] = [];
        let next = 0;
        const submitter = async () => {
          while (next < urls.length) {
            if (signal?.aborted) throw new AbortedError("queue run aborted", { cause: signal.reason });
            const url = urls[next++]!;
            let submitted: Awaited<ReturnType<typeof submit>>;
            try {
              submitted = await submit(url, parseOptions, signal);
            } catch (error) {
              fail(url, error);
              report();
              continue;
            }
            const { job, jobId, reused, data } = submitted;
            ours.add(jobId);
            waits.push(
              (async () => {
                try {
                  const result = reused ? await fetchResult(jobId, url, job.returnvalue) : await wait(job, url, data);
                  trees.set(url, result.tree);
                  if (result.diagnostics.length) diagnosed.set(url, result.diagnostics);
                  fetched.set(cacheKey(url, parseOptions), result);
                  progress.done++;
                  if (reused) progress.reused++;
                } catch (error) {
                  fail(url, error);
                }
                if (started.delete(jobId)) progress.active = Math.max(0, progress.active - 1);
                ours.delete(jobId);
                report();
              })(),
            );
          }
        };
        // An abort answers at once; the jobs already queued stay (a later run reuses their results).
        const aborted = new Promise<never>((_, reject) => {
          if (!signal) return;
          const fail = () => reject(new AbortedError("queue run aborted", { cause: signal.reason }));
          if (signal.aborted) fail();
          else signal.addEventListener("abort", fail, { once: true });
        });
        aborted.catch(() => {});
        await Promise.race([Promise.all(Array.from({ length: Math.min(submitConcurrency, urls.length) }, submitter)), aborted]);
        await Promise.race([Promise.all(waits), aborted]);
      } finally {
        events.off("active", onActive);
      }
      const order = new Map(urls.map((url, i) => [url, i]));
      // Reported in the files' order, whatever order the workers finished them in.
      const diagnostics = new Map(urls.filter((url) => diagnosed.has(url)).map((url) => [url, diagnosed.get(url)!]));
      return { trees, diagnostics, failed: failed.sort((a, b) => order.get(a.url)! - order.get(b.url)!), reused: progress.reused };
    },

    async counts() {
      await ready;
      return queue.getJobCounts("waiting", "active", "completed", "failed", "delayed");
    },

    async close() {
      clearInterval(recheck);
      closed = true;
      await ready.catch(() => {});
      if (queue) await Promise.allSettled([events.close(), queue.close()]);
      results?.disconnect();
    },
  };
}
