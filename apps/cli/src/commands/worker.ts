/**
 * `vz worker --queue redis://HOST:PORT [--concurrency N]`: parse files for coordinators on the
 * queue until SIGTERM (finish the running jobs, then exit) or SIGINT (stop at once; the running
 * jobs go back to the queue when their locks expire and another worker takes them).
 * @module
 */
import { InvalidArgumentError } from "@vz/core";
import type { CliContext } from "../context.js";

/** Options of `vz worker`. */
export interface WorkerOptions {
  queue: string;
  concurrency?: number;
  queueName?: string;
  /** Resolves when the worker should stop (tests); default: SIGTERM / SIGINT. */
  until?: Promise<"finish" | "now">;
}

/** Lock duration from `VZ_QUEUE_LOCK_MS` (ms; the stalled-job check runs at half of it). */
export function lockSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): { lockDuration?: number; stalledInterval?: number } {
  const text = env.VZ_QUEUE_LOCK_MS;
  if (text === undefined || text === "") return {};
  const ms = Number(text);
  if (!Number.isInteger(ms) || ms < 200) throw new InvalidArgumentError(`VZ_QUEUE_LOCK_MS must be an integer number of milliseconds >= 200, got "${text}"`);
  return { lockDuration: ms, stalledInterval: Math.max(100, Math.floor(ms / 2)) };
}

/** Runs a worker until told to stop; returns the exit code. */
export async function workerCommand(context: CliContext, options: WorkerOptions): Promise<number> {
  const concurrency = options.concurrency ?? 4;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new InvalidArgumentError(`--concurrency must be a positive integer, got ${options.concurrency}`);
  const { importQueue } = await import("./queue.js");
  const { redactRedisUrl, startQueueWorker } = await importQueue("vz worker");
  let done = 0;
  let failed = 0;
  let lastError = "";
  let lastErrorAt = 0;
  const worker = await startQueueWorker({
    redis: options.queue,
    concurrency,
    reader: context.reader,
    registry: context.registry,
    ...(options.queueName ? { queueName: options.queueName } : {}),
    ...lockSettingsFromEnv(),
    onError: (error) => {
      // Once per distinct message a minute: a Redis outage would otherwise flood the log.
      const now = Date.now();
      if (error.message === lastError && now - lastErrorAt < 60_000) return;
      lastError = error.message;
      lastErrorAt = now;
      context.err(`vz worker: ${error.message} (retrying)\n`);
    },
    onJob: (event) => {
      if (event.ok) done++;
      else {
        failed++;
        context.err(`failed ${event.url}: ${event.error}\n`);
      }
    },
  });
  // A long-running worker must not die of a rejection some library left unhandled (e.g. a
  // speculative read failing after its file's job already failed): the job's own error is
  // handled by BullMQ (retried or failed); log the stray one and keep serving.
  const onStray = (reason: unknown) => context.err(`vz worker: unhandled rejection (ignored): ${(reason as Error)?.message ?? String(reason)}\n`);
  process.on("unhandledRejection", onStray);
  context.err(`vz worker: ready on ${redactRedisUrl(options.queue)} (concurrency ${concurrency}, pid ${process.pid})\n`);
  const how = await (options.until ??
    new Promise<"finish" | "now">((resolve) => {
      process.once("SIGTERM", () => resolve("finish"));
      process.once("SIGINT", () => resolve("now"));
    }));
  if (how === "finish") {
    context.err("vz worker: finishing the running jobs\n");
    await worker.close();
  } else await worker.closeNow();
  process.off("unhandledRejection", onStray);
  context.err(`vz worker: stopped (${done} files done, ${failed} failed)\n`);
  return 0;
}
