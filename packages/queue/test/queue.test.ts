/**
 * End to end: `vz worker` child processes on a real redis-server, files over the loopback range
 * server with latency; `vz virtualize --queue` must write what the local run writes.
 */
import { execFileSync, spawn } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type RangeServer, startRangeServer } from "@vz/core/testing/tools";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { DEFAULT_QUEUE_NAME, redisOptions } from "../src/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, freePort, killRunning, makeNetcdfSeries, ROOT, PYTHON, type RedisServer, runVz, startRedis, startWorker, stopChild, tempDir, type WorkerProcess } from "./helpers.js";

const FILES = 120;
/** The TLS test makes its certificates with openssl (skipped, saying so, where it is missing). */
const HAS_OPENSSL = (() => {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    console.warn("openssl not found: the rediss:// (TLS) test is skipped");
    return false;
  }
})();
const LOCK_MS = 2000;
const tmp = tempDir("vz-queue-e2e-");
let redis: RedisServer;
let server: RangeServer;
const workers: WorkerProcess[] = [];
let urls: string[];
let corruptUrls: string[];

const gets = () => server.log.filter((request) => request.method === "GET").length;

/** The finished jobs of the queue: which worker ran each, and how often each was recovered from a stalled worker. */
async function finishedJobs(): Promise<{ processedBy?: string; stalledCounter: number; attemptsMade: number }[]> {
  const queue = new Queue(DEFAULT_QUEUE_NAME, { connection: redisOptions(redis.url) });
  try {
    return (await queue.getJobs(["completed"], 0, -1)).map((job) => ({ ...(job.processedBy ? { processedBy: job.processedBy } : {}), stalledCounter: job.stalledCounter, attemptsMade: job.attemptsMade }));
  } finally {
    await queue.close();
  }
}

/** URLs of the queue's completed jobs. */
async function completedUrls(): Promise<Set<string>> {
  const queue = new Queue(DEFAULT_QUEUE_NAME, { connection: redisOptions(redis.url) });
  try {
    return new Set((await queue.getJobs(["completed"], 0, -1)).map((job) => (job.data as { url: string }).url));
  } finally {
    await queue.close();
  }
}

async function flush() {
  const client = new Redis(redis.url);
  try {
    await client.flushall();
  } finally {
    client.disconnect();
  }
}

beforeAll(async () => {
  mkdirSync(join(tmp.dir, "series"));
  mkdirSync(join(tmp.dir, "bad"));
  const names = makeNetcdfSeries(join(tmp.dir, "series"), FILES);
  const badNames = makeNetcdfSeries(join(tmp.dir, "bad"), 6, { corrupt: [3] });
  redis = await startRedis();
  server = await startRangeServer({ root: tmp.dir, latencyMs: 10 });
  urls = names.map((name) => `${server.url}/series/${name}`);
  corruptUrls = badNames.map((name) => `${server.url}/bad/${name}`);
  workers.push(await startWorker(redis.url, { lockMs: LOCK_MS }), await startWorker(redis.url, { lockMs: LOCK_MS }));
}, 120_000);

afterAll(async () => {
  await killRunning();
  await Promise.allSettled(workers.map((worker) => stopChild(worker.child, "SIGKILL")));
  await redis?.stop();
  await server?.close();
  tmp.remove();
});

let local: Buffer;

describe("vz virtualize --queue", () => {
  let firstRunGets = 0;

  it("writes references byte-identical to the local run (120 files, two workers)", async () => {
    const localRun = await runVz(["virtualize", ...urls, "--concat-dim", "time", "-o", join(tmp.dir, "local.json")]);
    expect(localRun.stderr).toMatch(/wrote .*120 files/);
    expect(localRun.code).toBe(0);
    local = readFileSync(join(tmp.dir, "local.json"));
    const before = gets();
    const queued = await runVz(["virtualize", ...urls, "--concat-dim", "time", "--queue", redis.url, "-o", join(tmp.dir, "queue.json")]);
    expect(queued.stderr).not.toMatch(/Warning/);
    expect(queued.stderr).toMatch(/virtualized 120 files on the queue \(0 results reused\)/);
    expect(queued.code).toBe(0);
    firstRunGets = gets() - before;
    expect(firstRunGets).toBeGreaterThan(FILES);
    expect(readFileSync(join(tmp.dir, "queue.json")).equals(local)).toBe(true);
    // Both workers took part, each file once.
    const jobs = await finishedJobs();
    expect(jobs).toHaveLength(FILES);
    expect(new Set(jobs.map((job) => job.processedBy)).size).toBe(2);
    expect(jobs.every((job) => job.stalledCounter === 0)).toBe(true);
    const status = await runVz(["queue", "status", "--queue", redis.url, "--json"]);
    expect(JSON.parse(status.stdout)).toMatchObject({ completed: FILES, failed: 0, waiting: 0, active: 0 });
  }, 180_000);

  it("runs again reading (almost) nothing: results still in Redis are reused", async () => {
    const before = gets();
    const again = await runVz(["virtualize", ...urls, "--concat-dim", "time", "--queue", redis.url, "-o", join(tmp.dir, "again.json")]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/\(120 results reused\)/);
    const secondRunGets = gets() - before;
    expect(secondRunGets).toBeLessThanOrEqual(firstRunGets * 0.1);
    // In fact at most one: the coordinator asks each file's identity (HEAD) and reads the first
    // bytes of the first file once, to pick the parser whose config options apply.
    expect(secondRunGets).toBeLessThanOrEqual(1);
    expect(readFileSync(join(tmp.dir, "again.json")).equals(local)).toBe(true);
  }, 120_000);

  it("gives the same result when a worker is SIGKILLed during the run (its jobs go to the other worker)", async () => {
    await flush();
    const run = runVz(["virtualize", ...urls, "--concat-dim", "time", "--queue", redis.url, "-o", join(tmp.dir, "killed.json")]);
    // Let both workers take jobs, then kill one in the middle of its work.
    const start = gets();
    while (gets() - start < 60) await new Promise((resolve) => setTimeout(resolve, 20));
    const victim = workers.shift()!;
    await stopChild(victim.child, "SIGKILL");
    const result = await run;
    expect(result.stderr).not.toMatch(/failed/);
    expect(result.code).toBe(0);
    expect(readFileSync(join(tmp.dir, "killed.json")).equals(local)).toBe(true);
    // The killed worker's running jobs were taken over by the survivor after their locks expired.
    const jobs = await finishedJobs();
    expect(jobs).toHaveLength(FILES);
    expect(jobs.some((job) => job.stalledCounter > 0)).toBe(true);
    expect(jobs.filter((job) => job.stalledCounter > 0).every((job) => job.processedBy === workers[0]!.name)).toBe(true);
    workers.push(await startWorker(redis.url, { lockMs: LOCK_MS }));
  }, 180_000);

  it("fails naming a corrupt file; with --skip-failed finishes without it and lists it", async () => {
    const failing = await runVz(["virtualize", ...corruptUrls, "--concat-dim", "time", "--queue", redis.url, "-o", join(tmp.dir, "bad.json")]);
    expect(failing.code).toBe(1);
    expect(failing.stderr).toContain(`file 4 of 6 (${corruptUrls[3]})`);
    // Named as it failed, in the progress output.
    expect(failing.stderr.split("\n").some((line) => line.startsWith("failed: ") && line.includes(corruptUrls[3]!))).toBe(true);
    expect(failing.stderr).toMatch(/error \[(PARSE_FAILED|INVALID_MANIFEST|UNSUPPORTED|NOT_FOUND)\]/);
    const skipping = await runVz(["virtualize", ...corruptUrls, "--concat-dim", "time", "--queue", redis.url, "--skip-failed", "-o", join(tmp.dir, "skip.json")]);
    expect(skipping.code).toBe(0);
    expect(skipping.stderr).toMatch(/skipped 1 file\(s\) that failed:\n {2}http:\/\/127\.0\.0\.1:\d+\/bad\/f0003\.nc: \[/);
    // The result is what the local run writes for the good files.
    const good = corruptUrls.filter((_, i) => i !== 3);
    const localGood = await runVz(["virtualize", ...good, "--concat-dim", "time", "-o", join(tmp.dir, "good-local.json")]);
    expect(localGood.code).toBe(0);
    expect(readFileSync(join(tmp.dir, "skip.json")).equals(readFileSync(join(tmp.dir, "good-local.json")))).toBe(true);
  }, 120_000);

  it("loses and duplicates nothing when Redis restarts (empty) in the middle of a run", async () => {
    await flush();
    // Slower files, so that the restart lands in the middle of the run.
    server.addFault({ path: /^\/series\//, fault: { kind: "delay", ms: 40 } });
    const run = runVz(["virtualize", ...urls, "--concat-dim", "time", "--queue", redis.url, "-o", join(tmp.dir, "restarted.json")]);
    const start = gets();
    while (gets() - start < 150) await new Promise((resolve) => setTimeout(resolve, 20));
    await redis.restart();
    const result = await run;
    expect(result.stderr).not.toMatch(/failed/);
    expect(result.code).toBe(0);
    expect(readFileSync(join(tmp.dir, "restarted.json")).equals(local)).toBe(true);
    // Every file has exactly one finished job in the new Redis (none left waiting or running).
    const status = await runVz(["queue", "status", "--queue", redis.url, "--json"]);
    const counts = JSON.parse(status.stdout) as Record<string, number>;
    expect(counts).toMatchObject({ waiting: 0, active: 0, failed: 0, delayed: 0 });
    expect(counts.completed).toBeLessThanOrEqual(FILES);
  }, 180_000);

  it("a worker stopped with SIGTERM finishes its running jobs before it exits", async () => {
    await flush();
    const run = runVz(["virtualize", ...urls, "--concat-dim", "time", "--queue", redis.url, "-o", join(tmp.dir, "sigterm.json")]);
    const start = gets();
    while (gets() - start < 60) await new Promise((resolve) => setTimeout(resolve, 20));
    const leaving = workers.shift()!;
    const exited = new Promise<number | null>((resolve) => leaving.child.once("exit", (code) => resolve(code)));
    leaving.child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(leaving.output()).toMatch(/finishing the running jobs\n.*stopped \(\d+ files done, \d+ failed\)/s);
    const result = await run;
    expect(result.code).toBe(0);
    expect(readFileSync(join(tmp.dir, "sigterm.json")).equals(local)).toBe(true);
    // No job was abandoned: none had to be recovered from a stalled worker.
    const jobs = await finishedJobs();
    expect(jobs).toHaveLength(FILES);
    expect(jobs.every((job) => job.stalledCounter === 0)).toBe(true);
    expect(jobs.some((job) => job.processedBy === leaving.name)).toBe(true);
    workers.push(await startWorker(redis.url, { lockMs: LOCK_MS }));
  }, 180_000);

  it("a coordinator SIGKILLed mid-run and started again with the same command reuses finished jobs and completes the rest", async () => {
    await flush();
    const outDir = join(tmp.dir, "coordinator");
    mkdirSync(outDir);
    const args = ["virtualize", ...urls, "--concat-dim", "time", "--queue", redis.url, "-o", join(outDir, "out.json")];
    const killed = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
    let killedErr = "";
    killed.stderr!.on("data", (chunk: Buffer) => (killedErr += chunk.toString()));
    // Kill it once some jobs (not all) are done.
    const deadline = Date.now() + 60_000;
    while ((await completedUrls()).size < 20) {
      if (Date.now() > deadline || killed.exitCode !== null) throw new Error(`no 20 finished jobs within 60 s; coordinator: ${killedErr}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await stopChild(killed, "SIGKILL");
    expect(killed.signalCode).toBe("SIGKILL");
    // Nothing was written: no output, no temporary file.
    expect(readdirSync(outDir)).toEqual([]);
    // The same command again, at once: what is finished now must not be read again.
    const finished = await completedUrls();
    expect(finished.size).toBeGreaterThanOrEqual(20);
    expect(finished.size).toBeLessThan(FILES);
    const from = server.log.length;
    const again = await runVz(args);
    expect(again.stderr).not.toMatch(/Warning/);
    expect(again.code, again.stderr).toBe(0);
    const reused = Number(/\((\d+) results reused\)/.exec(again.stderr)?.[1]);
    expect(reused).toBeGreaterThanOrEqual(finished.size);
    expect(reused).toBeLessThan(FILES);
    expect(readFileSync(join(outDir, "out.json")).equals(local)).toBe(true);
    expect(readdirSync(outDir)).toEqual(["out.json"]);
    // Per-URL GETs of the second run: none for a file whose job had finished (the first file may be
    // read once, by the coordinator's parser sniff); the unfinished files were parsed.
    const getsOf = new Map<string, number>();
    for (const request of server.log.slice(from)) {
      if (request.method === "GET") getsOf.set(`${server.url}${request.path}`, (getsOf.get(`${server.url}${request.path}`) ?? 0) + 1);
    }
    for (const url of finished) expect(getsOf.get(url) ?? 0, url).toBeLessThanOrEqual(url === urls[0] ? 1 : 0);
    const completed = await completedUrls();
    expect(completed.size).toBe(FILES);
    // Every job ran once in all (a job killed with its coordinator was not started again).
    const jobs = await finishedJobs();
    expect(jobs).toHaveLength(FILES);
    expect(jobs.every((job) => job.attemptsMade === 1 && job.stalledCounter === 0)).toBe(true);
    const unfinished = urls.filter((url) => !finished.has(url));
    expect(unfinished.length).toBeGreaterThan(0);
    // The files still unfinished when the second run started were read by the workers, or had
    // finished meanwhile without any rerun read; either way each one's job completed once.
    expect(unfinished.every((url) => completed.has(url))).toBe(true);
  }, 180_000);
});

describe("vz worker / vz queue usage, single files and trees", () => {
  it("workers survive transient read errors: the job is retried and the result is the same", async () => {
    await flush();
    server.addFault({ path: "/series/f0010.nc", method: "GET", times: 12, fault: { kind: "status", status: 503 } });
    const result = await runVz(["virtualize", ...urls, "--concat-dim", "time", "--queue", redis.url, "-o", join(tmp.dir, "transient.json")]);
    expect(result.code).toBe(0);
    expect(readFileSync(join(tmp.dir, "transient.json")).equals(local)).toBe(true);
    for (const worker of workers) expect(worker.child.exitCode).toBe(null);
    const retried = (await finishedJobs()).filter((job) => job.attemptsMade > 1);
    expect(retried.length).toBeGreaterThan(0);
  }, 120_000);

  it("refuses a missing --queue, --skip-failed without --queue, and a bad Redis URL", async () => {
    const worker = await runVz(["worker"]);
    expect(worker.code).toBe(2);
    expect(worker.stderr).toContain("vz worker needs --queue redis://HOST:PORT");
    const skip = await runVz(["virtualize", "a.nc", "b.nc", "--skip-failed", "-o", join(tmp.dir, "x.json")]);
    expect(skip.code).toBe(2);
    expect(skip.stderr).toContain("--skip-failed goes with --queue");
    const status = await runVz(["queue", "status", "--queue", "http://127.0.0.1:1"]);
    expect(status.code).toBe(1);
    expect(status.stderr).toMatch(/error \[INVALID_ARGUMENT\]: @vz\/queue: "http:\/\/127\.0\.0\.1:1" is not a Redis URL/);
    const concurrency = await runVz(["worker", "--queue", redis.url, "--concurrency", "0"]);
    expect(concurrency.code).toBe(1);
    expect(concurrency.stderr).toContain("--concurrency must be a positive integer");
  }, 60_000);

  it("a Redis with a password: the right one in the URL works; a wrong or missing one is PERMISSION_DENIED at once, never printed", async () => {
    const guarded = await startRedis(["--requirepass", "s3cr3t-pass", "--protected-mode", "yes"]);
    const worker = { child: undefined as WorkerProcess["child"] | undefined };
    try {
      const port = guarded.port;
      for (const url of [`redis://:wrong-pass@127.0.0.1:${port}`, `redis://127.0.0.1:${port}`]) {
        const status = await runVz(["queue", "status", "--queue", url]);
        expect(status.code).toBe(1);
        expect(status.stderr).toMatch(/error \[PERMISSION_DENIED\]: Redis at redis:\/\/(:\*\*\*@)?127\.0\.0\.1:\d+\/? refused the connection: (WRONGPASS|NOAUTH).*give the password in the URL/);
        expect(status.stderr).not.toContain("wrong-pass");
        const run = await runVz(["virtualize", ...urls.slice(0, 3), "--concat-dim", "time", "--queue", url, "-o", join(tmp.dir, "nopass.json")]);
        expect(run.code).toBe(1);
        expect(run.stderr).toContain("[PERMISSION_DENIED]");
        const refused = await runVz(["worker", "--queue", url]);
        expect(refused.code).toBe(1);
        expect(refused.stderr).toContain("[PERMISSION_DENIED]");
      }
      const good = `redis://:s3cr3t-pass@127.0.0.1:${port}`;
      const started = await startWorker(good);
      worker.child = started.child;
      expect(started.output()).toContain(`ready on redis://:***@127.0.0.1:${port}`);
      expect(started.output()).not.toContain("s3cr3t-pass");
      const local = await runVz(["virtualize", ...urls.slice(0, 3), "--concat-dim", "time", "-o", join(tmp.dir, "pass-local.json")]);
      const queued = await runVz(["virtualize", ...urls.slice(0, 3), "--concat-dim", "time", "--queue", good, "-o", join(tmp.dir, "pass-queue.json")]);
      expect(queued.code, queued.stderr).toBe(0);
      expect(readFileSync(join(tmp.dir, "pass-queue.json")).equals(readFileSync(join(tmp.dir, "pass-local.json")))).toBe(true);
      expect(local.code).toBe(0);
    } finally {
      await stopChild(worker.child, "SIGKILL");
      await guarded.stop();
    }
  }, 60_000);

  it.skipIf(!HAS_OPENSSL)("rediss:// (TLS, a private CA trusted through NODE_EXTRA_CA_CERTS) with a password works end to end", async () => {
    // A CA and a server certificate for 127.0.0.1, made with openssl.
    const pki = join(tmp.dir, "pki");
    mkdirSync(pki);
    const ssl = (...args: string[]) => execFileSync("openssl", args, { cwd: pki, stdio: "ignore" });
    ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=vz test CA");
    ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1");
    writeFileSync(join(pki, "ext"), "subjectAltName=IP:127.0.0.1\n");
    ssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "1", "-extfile", "ext");
    const tlsPort = await freePort();
    const secure = await startRedis(["--port", "0", "--tls-port", String(tlsPort), "--tls-cert-file", join(pki, "server.pem"), "--tls-key-file", join(pki, "server.key"), "--tls-ca-cert-file", join(pki, "ca.pem"), "--tls-auth-clients", "no", "--requirepass", "tls-pass"]);
    const trust = { NODE_EXTRA_CA_CERTS: join(pki, "ca.pem") };
    let worker: WorkerProcess | undefined;
    try {
      const url = `rediss://:tls-pass@127.0.0.1:${tlsPort}`;
      // Without trusting the CA the certificate is refused, as an error naming Redis.
      const untrusted = await runVz(["queue", "status", "--queue", url]);
      expect(untrusted.code).toBe(1);
      expect(untrusted.stderr).toMatch(/error \[READ_FAILED\]: cannot reach Redis at rediss:\/\/:\*\*\*@127\.0\.0\.1:\d+\/?: .*(self[- ]signed|certificate)/i);
      // Plain redis:// to the TLS port is refused too, not waited for forever.
      const plain = await runVz(["queue", "status", "--queue", `redis://:tls-pass@127.0.0.1:${tlsPort}`]);
      expect(plain.code).toBe(1);
      worker = await startWorker(url, { env: trust });
      const queued = await runVz(["virtualize", ...urls.slice(0, 4), "--concat-dim", "time", "--queue", url, "-o", join(tmp.dir, "tls-queue.json")], { env: trust });
      expect(queued.code, queued.stderr).toBe(0);
      const local = await runVz(["virtualize", ...urls.slice(0, 4), "--concat-dim", "time", "-o", join(tmp.dir, "tls-local.json")]);
      expect(local.code).toBe(0);
      expect(readFileSync(join(tmp.dir, "tls-queue.json")).equals(readFileSync(join(tmp.dir, "tls-local.json")))).toBe(true);
      const status = await runVz(["queue", "status", "--queue", url, "--json"], { env: trust });
      expect(JSON.parse(status.stdout)).toMatchObject({ completed: 4, failed: 0 });
    } finally {
      await stopChild(worker?.child, "SIGKILL");
      await secure.stop();
    }
  }, 90_000);

  it("a single file through the queue writes what the local single-file run writes", async () => {
    const local = await runVz(["virtualize", urls[7]!, "-o", join(tmp.dir, "one-local.json")]);
    expect(local.code).toBe(0);
    const queued = await runVz(["virtualize", urls[7]!, "--queue", redis.url, "-o", join(tmp.dir, "one-queue.json")]);
    expect(queued.code).toBe(0);
    expect(readFileSync(join(tmp.dir, "one-queue.json")).equals(readFileSync(join(tmp.dir, "one-local.json")))).toBe(true);
  }, 60_000);

  it("kerchunk reference files: relative chunk URLs resolve against each file's own folder, as in the local run", async () => {
    // Four reference files, each in its own folder next to its netCDF file, with relative chunk URLs.
    const refUrls: string[] = [];
    const ncUrls: string[] = [];
    for (let i = 0; i < 4; i++) {
      const folder = join(tmp.dir, "krefs", `d${i}`);
      mkdirSync(folder, { recursive: true });
      const name = `f${String(i).padStart(4, "0")}.nc`;
      copyFileSync(join(tmp.dir, "series", name), join(folder, name));
      ncUrls.push(`${server.url}/krefs/d${i}/${name}`);
      const made = await runVz(["virtualize", ncUrls[i]!, "-o", join(folder, "refs.json")]);
      expect(made.code, made.stderr).toBe(0);
      const refs = JSON.parse(readFileSync(join(folder, "refs.json"), "utf8")) as { refs: Record<string, unknown> };
      let relative = 0;
      for (const [key, value] of Object.entries(refs.refs)) {
        if (Array.isArray(value) && value[0] === ncUrls[i]) {
          refs.refs[key] = [name, ...value.slice(1)];
          relative++;
        }
      }
      expect(relative).toBe(4);
      writeFileSync(join(folder, "refs.json"), JSON.stringify(refs));
      refUrls.push(`${server.url}/krefs/d${i}/refs.json`);
    }
    // What the same data gives read directly: the oracle for the resolved chunk URLs.
    const direct = await runVz(["virtualize", ...ncUrls, "--concat-dim", "time", "-o", join(tmp.dir, "krefs-direct.json")]);
    expect(direct.code, direct.stderr).toBe(0);
    const directRefs = JSON.parse(readFileSync(join(tmp.dir, "krefs-direct.json"), "utf8")).refs as Record<string, unknown>;
    for (const parser of [["--parser", "kerchunk"], []]) {
      const local = await runVz(["virtualize", ...refUrls, "--concat-dim", "time", ...parser, "-o", join(tmp.dir, "krefs-local.json")]);
      expect(local.code, local.stderr).toBe(0);
      const queued = await runVz(["virtualize", ...refUrls, "--concat-dim", "time", ...parser, "--queue", redis.url, "-o", join(tmp.dir, "krefs-queue.json")]);
      expect(queued.code, queued.stderr).toBe(0);
      const written = readFileSync(join(tmp.dir, "krefs-queue.json"));
      expect(written.equals(readFileSync(join(tmp.dir, "krefs-local.json")))).toBe(true);
      // Every chunk points at the netCDF file beside its reference file, as when read directly.
      const refs = JSON.parse(written.toString()).refs as Record<string, unknown>;
      for (let i = 0; i < 4; i++) expect(refs[`t2m/${i}.0.0`]).toEqual(directRefs[`t2m/${i}.0.0`]);
      expect(refs["t2m/3.1.1"]).toEqual([ncUrls[3], ...(directRefs["t2m/3.1.1"] as unknown[]).slice(1)]);
    }
    // One reference file on the queue, too.
    const one = await runVz(["virtualize", refUrls[2]!, "--queue", redis.url, "-o", join(tmp.dir, "kref-one-queue.json")]);
    const oneLocal = await runVz(["virtualize", refUrls[2]!, "-o", join(tmp.dir, "kref-one-local.json")]);
    expect(one.code, one.stderr).toBe(0);
    expect(oneLocal.code, oneLocal.stderr).toBe(0);
    expect(readFileSync(join(tmp.dir, "kref-one-queue.json")).equals(readFileSync(join(tmp.dir, "kref-one-local.json")))).toBe(true);
    // --root names one folder for every file: d0's relative URLs then point into d1 too, on the
    // queue as locally (references are not checked against the files).
    const rooted = await runVz(["virtualize", ...refUrls.slice(0, 2), "--concat-dim", "time", "--root", `${server.url}/krefs/d1/`, "--queue", redis.url, "-o", join(tmp.dir, "krefs-root-queue.json")]);
    const rootedLocal = await runVz(["virtualize", ...refUrls.slice(0, 2), "--concat-dim", "time", "--root", `${server.url}/krefs/d1/`, "-o", join(tmp.dir, "krefs-root-local.json")]);
    expect(rootedLocal.code, rootedLocal.stderr).toBe(0);
    expect(rooted.code, rooted.stderr).toBe(0);
    const rootedRefs = readFileSync(join(tmp.dir, "krefs-root-queue.json"));
    expect(rootedRefs.equals(readFileSync(join(tmp.dir, "krefs-root-local.json")))).toBe(true);
    expect((JSON.parse(rootedRefs.toString()).refs["t2m/0.0.0"] as unknown[])[0]).toBe(`${server.url}/krefs/d1/f0000.nc`);
  }, 120_000);

  it("files with groups: every group is combined as the local run combines it", async () => {
    mkdirSync(join(tmp.dir, "trees"));
    execFileSync(PYTHON, [
      "-c",
      `
import sys, numpy as np, netCDF4
for i in range(4):
    with netCDF4.Dataset(f"{sys.argv[1]}/g{i}.nc", "w") as ds:
        ds.source = "trees"
        ds.createDimension("time", 2)
        t = ds.createVariable("time", "i4", ("time",)); t[:] = [2 * i, 2 * i + 1]
        a = ds.createVariable("a", "f8", ("time",), chunksizes=(2,)); a[:] = [i, i]
        g = ds.createGroup("inner"); g.level = "1"
        g.createDimension("x", 3)
        b = g.createVariable("b", "i2", ("time", "x"), chunksizes=(1, 3)); b[:] = np.full((2, 3), i)
`,
      join(tmp.dir, "trees"),
    ]);
    const treeUrls = [0, 1, 2, 3].map((i) => `${server.url}/trees/g${i}.nc`);
    const local = await runVz(["virtualize", ...treeUrls, "--concat-dim", "time", "-o", join(tmp.dir, "trees-local.json")]);
    expect(local.stderr).toContain("2 groups");
    expect(local.code).toBe(0);
    const queued = await runVz(["virtualize", ...treeUrls, "--concat-dim", "time", "--queue", redis.url, "-o", join(tmp.dir, "trees-queue.json")]);
    expect(queued.code).toBe(0);
    const written = readFileSync(join(tmp.dir, "trees-queue.json"));
    expect(written.equals(readFileSync(join(tmp.dir, "trees-local.json")))).toBe(true);
    expect(JSON.parse(written.toString()).refs["inner/b/.zarray"]).toContain("[8,3]");
    // One group (the HDF5 parser opens only that group: readsGroups) becomes the root, as locally.
    const localGroup = await runVz(["virtualize", ...treeUrls, "--concat-dim", "time", "--group", "inner", "-o", join(tmp.dir, "inner-local.json")]);
    const queuedGroup = await runVz(["virtualize", ...treeUrls, "--concat-dim", "time", "--group", "inner", "--queue", redis.url, "-o", join(tmp.dir, "inner-queue.json")]);
    expect(localGroup.code).toBe(0);
    expect(queuedGroup.code).toBe(0);
    const inner = readFileSync(join(tmp.dir, "inner-queue.json"));
    expect(inner.equals(readFileSync(join(tmp.dir, "inner-local.json")))).toBe(true);
    expect(JSON.parse(inner.toString()).refs["b/.zarray"]).toContain("[8,3]");
  }, 60_000);
});
