/**
 * The worker side: a BullMQ Worker that parses the files its jobs name, builds each file's
 * VirtualDataset, and leaves it in Redis in the compact binary encoding for the coordinator.
 * Run one per process (`vz worker --queue redis://…`) on as many machines as you like.
 * @module
 */
import { isVzError, type ObjectReader, openManifestStore, type ParserPlugin, type ParserRegistry, toVirtualDatatree } from "@vz/core";
import { createDefaultReaders, createDiscoveredParserRegistry } from "@vz/core/node";
import { hostname } from "node:os";
import { UnrecoverableError, Worker } from "bullmq";
import { Redis } from "ioredis";
import { encodeTree } from "./encoding.js";
import { DEFAULT_QUEUE_NAME, encodeFailure, PERMANENT_CODES, type ParseJobData, type ParseJobResult, resultKey } from "./jobs.js";
import { checkRedis, redisOptions } from "./redis.js";

/** Options of {@link startQueueWorker}. */
export interface QueueWorkerOptions {
  /** Redis URL, e.g. `redis://127.0.0.1:6379/0`. */
  redis: string;
  queueName?: string;
  /** Jobs this worker runs at once (files parsed concurrently). Default 4. */
  concurrency?: number;
  /** Reads the files. Default: `createDefaultReaders()` (file, http(s), s3 from the environment). */
  reader?: ObjectReader;
  /** Where parser names are looked up. Default: parsers discovered from the working directory, the script's and @vz/core's trees. */
  registry?: ParserRegistry;
  /** BullMQ's lock duration and stalled-job check interval, in ms (a killed worker's jobs go back to the queue after about this long). Defaults 30000 / 15000. */
  lockDuration?: number;
  stalledInterval?: number;
  /** This worker's name, recorded on the jobs it takes (`processedBy`). Default `vz-worker@HOST:PID`. */
  name?: string;
  /** Called with connection and worker errors (ioredis reconnects by itself; for logs). */
  onError?: (error: Error) => void;
  /** Called when a job finishes or fails (for logs). */
  onJob?: (event: { url: string; jobId: string; ok: boolean; error?: string; bytes?: number; skipped?: number }) => void;
}

/** A running worker. */
export interface QueueWorker {
  /** Stops taking jobs, waits for the running ones to finish, and disconnects. */
  close(): Promise<void>;
  /** Stops at once: running jobs are left to BullMQ's stalled-job recovery (another worker takes them). */
  closeNow(): Promise<void>;
  readonly worker: Worker;
}

/**
 * A parser that detects the file's own parser (extension, magic bytes) and runs it with that
 * parser's entry of `byName` (else `fallback`): how the local CLI opens many files without
 * --parser. It declares `readsReferences`, so a reference set's chunk URLs stay under the allow
 * policy (a data file's own chunks always lie in its own place).
 */
function detectedWithOptions(registry: ParserRegistry, byName: Record<string, unknown>, fallback: unknown): ParserPlugin {
  return {
    name: "auto",
    description: "each file's own parser",
    readsReferences: true,
    create: () => async (url, reader, readOptions) => {
      const { name } = await registry.select(url, { reader, ...(readOptions?.signal ? { signal: readOptions.signal } : {}) });
      const plugin = await registry.get(name);
      return plugin.create(Object.hasOwn(byName, name) ? byName[name] : fallback)(url, reader, readOptions);
    },
  };
}

/** Starts a worker on the queue. */
export async function startQueueWorker(options: QueueWorkerOptions): Promise<QueueWorker> {
  // A wrong or missing password fails at once; a server not up yet is waited for.
  await checkRedis(options.redis, { waitForServer: true });
  const queueName = options.queueName ?? DEFAULT_QUEUE_NAME;
  const reader = options.reader ?? createDefaultReaders();
  const registry = options.registry ?? createDiscoveredParserRegistry().registry;
  const results = new Redis(redisOptions(options.redis));
  const worker = new Worker<ParseJobData, ParseJobResult>(
    queueName,
    async (job) => {
      const data = job.data;
      try {
        const { allowedPrefixes, ...datasetOptions } = data.options;
        const { store, groupApplied } = await openManifestStore(data.url, {
          reader,
          registry,
          ...(data.parser ? { parser: data.parser } : data.parserOptionsByName ? { parser: detectedWithOptions(registry, data.parserOptionsByName, data.parserOptions) } : {}),
          ...(data.parserOptions !== undefined ? { parserOptions: data.parserOptions } : {}),
          // Reference sets (kerchunk, DMR++) read chunk URLs only under their own place and these.
          ...(allowedPrefixes ? { allowedPrefixes } : {}),
          // A parser that reads groups itself (readsGroups) opens only the chosen group...
          ...(datasetOptions.group !== undefined ? { group: datasetOptions.group } : {}),
        });
        // ...and returns it as the root; then the tree is built without `group`, as in process.
        const { group: _applied, ...withoutGroup } = datasetOptions;
        // Every group under `group` (the whole file by default), as the local multi-file run builds it.
        const tree = await toVirtualDatatree(store, { ...(groupApplied ? withoutGroup : datasetOptions), url: data.url });
        // What the parser left out (onUnsupported: "skip") goes with the result: the coordinator reports it.
        const bytes = encodeTree(tree, store.diagnostics);
        const key = resultKey(queueName, job.id!);
        await results.set(key, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), "EX", data.resultTtl);
        options.onJob?.({ url: data.url, jobId: job.id!, ok: true, bytes: bytes.byteLength, skipped: store.diagnostics.length });
        return { key, bytes: bytes.byteLength, variables: tree.variableCount, chunks: tree.chunkCount, skipped: store.diagnostics.length };
      } catch (error) {
        const reason = encodeFailure(error, data.url);
        options.onJob?.({ url: data.url, jobId: job.id!, ok: false, error: isVzError(error) ? `[${error.code}] ${error.message}` : String(error) });
        // A corrupt or unsupported file fails for good; a network fault is retried (the job's attempts).
        if (isVzError(error) && PERMANENT_CODES.has(error.code)) throw new UnrecoverableError(reason);
        throw new Error(reason);
      }
    },
    {
      connection: redisOptions(options.redis),
      name: options.name ?? `vz-worker@${hostname()}:${process.pid}`,
      concurrency: options.concurrency ?? 4,
      lockDuration: options.lockDuration ?? 30_000,
      stalledInterval: options.stalledInterval ?? 15_000,
      maxStalledCount: 3,
    },
  );
  // Connection problems are reported by ioredis and retried; keep the process alive through them.
  const onError = (error: Error) => options.onError?.(error);
  worker.on("error", onError);
  results.on("error", onError);
  await worker.waitUntilReady();
  let closed = false;
  return {
    worker,
    async close() {
      if (closed) return;
      closed = true;
      await worker.close();
      results.disconnect();
    },
    async closeNow() {
      if (closed) return;
      closed = true;
      await worker.close(true);
      results.disconnect();
    },
  };
}
