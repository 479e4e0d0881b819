/** Test helpers: a throwaway redis-server, netCDF4 files from netCDF4-python, `vz worker` child processes. */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { hostname, tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dirname, "../../..");
export const BIN = join(ROOT, "apps/cli/dist/bin.js");
export const PYTHON = "/usr/bin/python3";

export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

export interface RedisServer {
  url: string;
  port: number;
  dir: string;
  process: ChildProcess;
  stop(): Promise<void>;
  /** Stops and starts again on the same port (nothing kept: no persistence). */
  restart(): Promise<void>;
}

async function waitForLine(child: ChildProcess, pattern: RegExp, ms: number, what: string): Promise<void> {
  await new Promise<void>((done, fail) => {
    let text = "";
    const timer = setTimeout(() => fail(new Error(`${what}: no "${pattern}" within ${ms} ms; output: ${text}`)), ms);
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      if (pattern.test(text)) {
        clearTimeout(timer);
        child.stdout?.off("data", onData);
        child.stderr?.off("data", onData);
        done();
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      fail(new Error(`${what} exited with ${code}: ${text}`));
    });
  });
}

/** Starts redis-server on a free port with no persistence, in a temp directory. */
export async function startRedis(extraArgs: string[] = []): Promise<RedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "vz-redis-"));
  const launch = async () => {
    const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, ...extraArgs], { stdio: ["ignore", "pipe", "pipe"] });
    await waitForLine(child, /Ready to accept connections/, 10_000, "redis-server");
    child.stdout?.resume();
    child.stderr?.resume();
    return child;
  };
  const server: RedisServer = {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    process: await launch(),
    async stop() {
      await stopChild(server.process, "SIGTERM");
      rmSync(dir, { recursive: true, force: true });
    },
    async restart() {
      await stopChild(server.process, "SIGKILL");
      server.process = await launch();
    },
  };
  return server;
}

export async function stopChild(child: ChildProcess | undefined, signal: NodeJS.Signals = "SIGTERM", ms = 10_000): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((done) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
    }, ms);
    child.once("exit", () => {
      clearTimeout(timer);
      done();
    });
    child.kill(signal);
  });
}

export interface WorkerProcess {
  child: ChildProcess;
  /** The name it gives BullMQ (jobs' `processedBy`). */
  name: string;
  output: () => string;
}

/** Starts `node apps/cli/dist/bin.js worker --queue URL` and waits until it is ready. */
export async function startWorker(redisUrl: string, options: { concurrency?: number; lockMs?: number; cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [BIN, "worker", "--queue", redisUrl, "--concurrency", String(options.concurrency ?? 4)], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, ...options.env, ...(options.lockMs ? { VZ_QUEUE_LOCK_MS: String(options.lockMs) } : {}) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let text = "";
  child.stdout!.on("data", (chunk: Buffer) => (text += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (text += chunk.toString()));
  await waitForLine(child, /vz worker: ready/, 20_000, "vz worker");
  return { child, name: `vz-worker@${hostname()}:${child.pid}`, output: () => text };
}

const running = new Set<ChildProcess>();

/** Kills every `vz virtualize` child still running (after a failed or timed-out test). */
export async function killRunning(): Promise<void> {
  await Promise.allSettled([...running].map((child) => stopChild(child, "SIGKILL")));
}

/** Runs the vz CLI; resolves with its exit code and output (never rejects on a non-zero exit). */
export async function runVz(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd ?? ROOT, env: { ...process.env, ...options.env }, stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  child.once("exit", () => running.delete(child));
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number>((done) => child.once("exit", (c) => done(c ?? 1)));
  return { code, stdout, stderr };
}

/** Writes `count` small netCDF4 files (one time step each, a 10x20 `t2m`, chunked) under `dir`, as f0000.nc…; returns the names. */
export function makeNetcdfSeries(dir: string, count: number, options: { corrupt?: number[] } = {}): string[] {
  const script = `
import sys, numpy as np, netCDF4
d, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    with netCDF4.Dataset(f"{d}/f{i:04d}.nc", "w") as ds:
        ds.title = "vz queue test"
        ds.createDimension("time", None); ds.createDimension("lat", 10); ds.createDimension("lon", 20)
        t = ds.createVariable("time", "f8", ("time",)); t.units = "hours since 2000-01-01"; t[:] = [i]
        la = ds.createVariable("lat", "f4", ("lat",)); la[:] = np.linspace(-45, 45, 10)
        lo = ds.createVariable("lon", "f4", ("lon",)); lo[:] = np.linspace(0, 190, 20)
        v = ds.createVariable("t2m", "f4", ("time", "lat", "lon"), chunksizes=(1, 5, 10), zlib=True, fill_value=np.float32(np.nan))
        v.units = "K"; v[:] = 270 + np.arange(200, dtype="f4").reshape(1, 10, 20) + i
`;
  execFileSync(PYTHON, ["-c", script, dir, String(count)]);
  const names = Array.from({ length: count }, (_, i) => `f${String(i).padStart(4, "0")}.nc`);
  for (const i of options.corrupt ?? []) {
    // Keep the superblock, zero the rest: the file sniffs as HDF5 but its metadata is garbage.
    execFileSync(PYTHON, ["-c", "import sys;p=sys.argv[1];b=bytearray(open(p,'rb').read());b[64:]=bytes(len(b)-64);open(p,'wb').write(b)", join(dir, names[i]!)]);
  }
  return names;
}

export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
