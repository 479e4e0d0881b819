// Scale-out benchmark of @vz/queue: N small netCDF4 files (one time step each) served over HTTP
// with LATENCY ms per request, virtualized along time by
//   - the local run:  vz virtualize URL... --concat-dim time -o local.json   (in process, concurrency 8)
//   - the queue run:  the same with --queue redis://…, with 1, 2 and 4 `vz worker` processes
//                     (each --concurrency 8, the local run's per-process concurrency)
// Reports files/s, scaling efficiency (files/s of k workers / (k x files/s of 1 worker)), the
// coordinator's peak RSS (VmHWM), Redis memory per file (INFO memory, after a run), and checks
// that every queue run wrote the local run's bytes. Whole processes, alternating rounds, medians.
//   pnpm --filter @vz/queue bench                       (needs `pnpm build`, redis-server, /usr/bin/python3 with netCDF4)
//   VZ_BENCH_FILES=500 VZ_BENCH_WORKERS=1,2 VZ_BENCH_ROUNDS=1 node bench/scale.mjs
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { benchFiles, median, stop, waitFor } from "./common.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../../..");
const bin = path.join(root, "apps/cli/dist/bin.js");
const { startRangeServer } = await import(path.join(root, "packages/core/dist/testing-tools.js"));
const { Redis } = await import("ioredis");

const FILES = Number(process.env.VZ_BENCH_FILES ?? 2000);
const LATENCY = Number(process.env.VZ_BENCH_LATENCY_MS ?? 50);
const WORKERS = (process.env.VZ_BENCH_WORKERS ?? "1,2,4").split(",").map(Number);
const ROUNDS = Number(process.env.VZ_BENCH_ROUNDS ?? 2);
const CONCURRENCY = Number(process.env.VZ_BENCH_CONCURRENCY ?? 8);

const data = benchFiles(FILES);
const names = readdirSync(data).filter((n) => n.endsWith(".nc")).sort();

async function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Runs a vz command, sampling its peak RSS (VmHWM) until it exits. */
async function vz(args) {
  const start = performance.now();
  const child = spawn(process.execPath, [bin, ...args], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  child.stdout.resume();
  let peakKb = 0;
  const sample = setInterval(() => {
    try {
      const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"));
      if (match) peakKb = Math.max(peakKb, Number(match[1]));
    } catch {}
  }, 25);
  const code = await new Promise((resolve) => child.once("exit", resolve));
  clearInterval(sample);
  const seconds = (performance.now() - start) / 1000;
  if (code !== 0) throw new Error(`vz ${args[0]} failed (${code}): ${stderr}`);
  return { seconds, peakMb: peakKb / 1024, stderr };
}

const work = mkdtempSync(path.join(tmpdir(), "vz-bench-queue-run-"));
const port = await freePort();
const redisServer = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", work], { stdio: ["ignore", "pipe", "pipe"] });
const workers = [];
let server;
try {
  await waitFor(redisServer, /Ready to accept connections/, "redis-server");
  const redisUrl = `redis://127.0.0.1:${port}`;
  const redis = new Redis(redisUrl);
  server = await startRangeServer({ root: data, latencyMs: LATENCY });
  const urls = names.map((name) => `${server.url}/${name}`);
  const common = [...urls, "--concat-dim", "time"];
  const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await redis.info("memory"))[1]);
  console.log(`${FILES} netCDF4 files over HTTP, ${LATENCY} ms per request; ${ROUNDS} round(s); worker concurrency ${CONCURRENCY}; ${(await import("node:os")).availableParallelism()} cores`);

  const results = { local: [] };
  for (const k of WORKERS) results[k] = [];
  let reference;
  let redisPerFile;
  for (let round = 0; round < ROUNDS; round++) {
    const before = server.log.length;
    const local = await vz(["virtualize", ...common, "-o", path.join(work, "local.json")]);
    results.local.push({ ...local, requests: server.log.length - before });
    reference ??= readFileSync(path.join(work, "local.json"));
    for (const k of WORKERS) {
      await redis.flushall();
      const baseline = await usedMemory();
      for (let i = 0; i < k; i++) {
        const child = spawn(process.execPath, [bin, "worker", "--queue", redisUrl, "--concurrency", String(CONCURRENCY)], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
        workers.push(child);
        await waitFor(child, /vz worker: ready/, "vz worker");
      }
      const from = server.log.length;
      const run = await vz(["virtualize", ...common, "--queue", redisUrl, "-o", path.join(work, `queue-${k}.json`)]);
      results[k].push({ ...run, requests: server.log.length - from });
      if (!readFileSync(path.join(work, `queue-${k}.json`)).equals(reference)) throw new Error(`the queue run with ${k} worker(s) wrote other bytes than the local run`);
      redisPerFile = ((await usedMemory()) - baseline) / FILES;
      await Promise.all(workers.splice(0).map((child) => stop(child)));
    }
  }
  const rate = (runs) => FILES / median(runs.map((r) => r.seconds));
  const one = WORKERS.includes(1) ? rate(results[1]) : undefined;
  console.log("| run | median s | files/s | efficiency | coordinator peak RSS | requests |");
  console.log("|---|---|---|---|---|---|");
  console.log(`| in process (concurrency 8) | ${median(results.local.map((r) => r.seconds)).toFixed(2)} | ${rate(results.local).toFixed(0)} | | ${median(results.local.map((r) => r.peakMb)).toFixed(0)} MB | ${results.local[0].requests} |`);
  for (const k of WORKERS) {
    const eff = one ? `${((rate(results[k]) / (k * one)) * 100).toFixed(0)} %` : "";
    console.log(`| queue, ${k} worker(s) | ${median(results[k].map((r) => r.seconds)).toFixed(2)} | ${rate(results[k]).toFixed(0)} | ${eff} | ${median(results[k].map((r) => r.peakMb)).toFixed(0)} MB | ${results[k][0].requests} |`);
  }
  console.log(`Redis memory per file (results + job records, after a run): ${(redisPerFile / 1024).toFixed(1)} KiB`);
  console.log("every queue run wrote the local run's bytes");
  redis.disconnect();
} finally {
  await Promise.all(workers.map((child) => stop(child, "SIGKILL")));
  await server?.close();
  await stop(redisServer);
  rmSync(work, { recursive: true, force: true });
}
