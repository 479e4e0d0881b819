/** The pool and worker as a library, in this process: a DatasetParsePool for openVirtualMfdataset. */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { openVirtualMfdataset, toKerchunk } from "@vz/core";
import { createDefaultReaders, createDiscoveredParserRegistry } from "@vz/core/node";
import { type RangeServer, startRangeServer } from "@vz/core/testing/tools";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Queue } from "bullmq";
import { createQueuePool, redisOptions, type QueuePool, type QueueProgress, type QueueWorker, startQueueWorker } from "../src/index.js";
import { makeNetcdfSeries, ROOT, type RedisServer, startRedis, tempDir } from "./helpers.js";

const tmp = tempDir("vz-queue-pool-");
let redis: RedisServer;
let server: RangeServer;
let worker: QueueWorker;
let pool: QueuePool;
let urls: string[];
const { registry } = createDiscoveredParserRegistry({ from: [join(ROOT, "apps/cli")] });
const reader = createDefaultReaders();

beforeAll(async () => {
  mkdirSync(join(tmp.dir, "s"));
  const names = makeNetcdfSeries(join(tmp.dir, "s"), 12, { corrupt: [5] });
  redis = await startRedis();
  server = await startRangeServer({ root: tmp.dir, latencyMs: 5 });
  urls = names.map((name) => `${server.url}/s/${name}`);
  worker = await startQueueWorker({ redis: redis.url, queueName: "lib", registry, reader, concurrency: 3 });
  pool = createQueuePool({ redis: redis.url, queueName: "lib", parser: "hdf5", reader });
}, 60_000);

afterAll(async () => {
  await pool?.close();
  await worker?.closeNow();
  await redis?.stop();
  await server?.close();
  tmp.remove();
});

describe("createQueuePool", () => {
  it("is a DatasetParsePool: openVirtualMfdataset through it equals the in-process result", async () => {
    const good = urls.filter((_, i) => i !== 5);
    const options = { reader, registry, parser: "hdf5", combine: "nested", concatDim: "time" } as const;
    const local = await openVirtualMfdataset(good, options);
    const queued = await openVirtualMfdataset(good, { ...options, parallel: pool });
    expect(JSON.stringify(toKerchunk(queued))).toBe(JSON.stringify(toKerchunk(local)));
    expect(queued.variables.get("t2m")!.data.shape).toEqual([11, 10, 20]);
  }, 60_000);

  it("runAll reports progress and per-file failures with typed errors, and reuses results on a second run", async () => {
    const seen: QueueProgress[] = [];
    const first = await pool.runAll(urls, { loadableVariables: ["time", "lat", "lon"] }, (progress) => seen.push(progress));
    expect(first.trees.size).toBe(11);
    expect(first.failed.map((f) => f.url)).toEqual([urls[5]]);
    expect(first.failed[0]!.error).toMatchObject({ code: "PARSE_FAILED", url: urls[5] });
    expect(first.failed[0]!.error.message).toContain(urls[5]);
    const last = seen.at(-1)!;
    expect(last).toMatchObject({ total: 12, done: 11, failed: 1, reused: 0, active: 0 });
    expect(last.lastError?.url).toBe(urls[5]);
    expect(seen.some((progress) => progress.active > 0)).toBe(true);

    const before = server.log.filter((r) => r.method === "GET").length;
    const second = await pool.runAll(urls, { loadableVariables: ["time", "lat", "lon"] });
    expect(second.reused).toBe(11);
    // Only the failed file is tried again.
    const getsAgain = server.log.filter((r) => r.method === "GET").slice(before);
    expect(new Set(getsAgain.map((r) => r.path))).toEqual(new Set(["/s/f0005.nc"]));
    expect(second.failed.map((f) => f.url)).toEqual([urls[5]]);
    // 11 jobs of the first test (other options: other ids) and 11 of this one.
    expect(await pool.counts()).toMatchObject({ completed: 22, failed: 1, waiting: 0, active: 0 });
  }, 60_000);

  it("runAll stops waiting when its signal aborts", async () => {
    const controller = new AbortController();
    server.addFault({ path: "/s/f0011.nc", fault: { kind: "delay", ms: 3000 }, times: 20 });
    const run = pool.runAll(urls, { dropVariables: ["lat"] }, undefined, controller.signal);
    setTimeout(() => controller.abort(new Error("user")), 300);
    const started = Date.now();
    await expect(run).rejects.toMatchObject({ code: "ABORTED" });
    expect(Date.now() - started).toBeLessThan(2500);
  }, 30_000);

  it("retries a file whose reads fail for a while (transient errors), then succeeds", async () => {
    server.addFault({ path: "/s/f0002.nc", method: "GET", times: 12, fault: { kind: "status", status: 503 } });
    const run = await pool.runAll([urls[2]!], { dropVariables: ["lon"] });
    expect(run.failed).toEqual([]);
    expect(run.trees.get(urls[2]!)!.dataset.variables.has("lon")).toBe(false);
    const queue = new Queue("lib", { connection: redisOptions(redis.url) });
    try {
      const jobs = await queue.getJobs(["completed"], 0, -1);
      const job = jobs.find((j) => j.data.url === urls[2] && j.data.options.dropVariables?.[0] === "lon")!;
      expect(job.attemptsMade).toBeGreaterThan(1);
    } finally {
      await queue.close();
    }
  }, 30_000);
});
