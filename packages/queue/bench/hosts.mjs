// Multi-host stand-in for @vz/queue (run as root, Linux): each "host" is a network namespace of
// its own (vzq-h1, vzq-h2, …) joined by veth pairs to a bridge (vzq-br, 10.231.0.1/24) in the
// root namespace, where Redis (with a password, protected mode on) and the file server (the
// loopback range server, LATENCY ms per request) are reached through a TCP relay on 10.231.0.1
// that delays every packet of data by LINK_MS ms each way (tc netem is not in this kernel).
// Workers run with `ip netns exec vzq-hK vz worker --queue redis://:PASS@10.231.0.1:PORT`, the
// coordinator in the root namespace with the same URL. What is NOT simulated: separate CPUs and
// memory — every "host" shares this machine's cores. Layouts: "HxW" = H hosts with W workers each.
//   sudo node bench/hosts.mjs       VZ_BENCH_FILES=400 VZ_BENCH_LAYOUTS=1x1,2x1,4x1,1x4 VZ_BENCH_ROUNDS=3
// Every address used is on interfaces this script creates (and removes at the end).
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, existsSync, readdirSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { benchFiles, median, stop, waitFor } from "./common.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../../..");
const bin = path.join(root, "apps/cli/dist/bin.js");
const { startRangeServer } = await import(path.join(root, "packages/core/dist/testing-tools.js"));
const { Redis } = await import("ioredis");

const FILES = Number(process.env.VZ_BENCH_FILES ?? 400);
const LATENCY = Number(process.env.VZ_BENCH_LATENCY_MS ?? 50);
const LINK_MS = Number(process.env.VZ_BENCH_LINK_MS ?? 1);
const LAYOUTS = (process.env.VZ_BENCH_LAYOUTS ?? "1x1,2x1,4x1,1x4").split(",").map((text) => text.split("x").map(Number));
const ROUNDS = Number(process.env.VZ_BENCH_ROUNDS ?? 3);
const CONCURRENCY = Number(process.env.VZ_BENCH_CONCURRENCY ?? 8);
const HOSTS = Math.max(...LAYOUTS.map(([hosts]) => hosts));
const BRIDGE = "10.231.0.1";
const PASS = "vz-bench-secret";

const sh = (...args) => execFileSync(args[0], args.slice(1), { stdio: ["ignore", "pipe", "pipe"] }).toString();
const trySh = (...args) => {
  try {
    sh(...args);
  } catch {}
};

function teardown() {
  for (let h = 1; h <= HOSTS; h++) {
    trySh("ip", "link", "del", `vzq-h${h}a`);
    trySh("ip", "netns", "del", `vzq-h${h}`);
  }
  trySh("ip", "link", "del", "vzq-br");
}

teardown();
sh("ip", "link", "add", "vzq-br", "type", "bridge");
sh("ip", "addr", "add", `${BRIDGE}/24`, "dev", "vzq-br");
sh("ip", "link", "set", "vzq-br", "up");
for (let h = 1; h <= HOSTS; h++) {
  sh("ip", "netns", "add", `vzq-h${h}`);
  sh("ip", "link", "add", `vzq-h${h}a`, "type", "veth", "peer", "name", `vzq-h${h}b`);
  sh("ip", "link", "set", `vzq-h${h}a`, "master", "vzq-br");
  sh("ip", "link", "set", `vzq-h${h}a`, "up");
  sh("ip", "link", "set", `vzq-h${h}b`, "netns", `vzq-h${h}`);
  sh("ip", "netns", "exec", `vzq-h${h}`, "ip", "addr", "add", `10.231.0.${10 + h}/24`, "dev", `vzq-h${h}b`);
  sh("ip", "netns", "exec", `vzq-h${h}`, "ip", "link", "set", `vzq-h${h}b`, "up");
  sh("ip", "netns", "exec", `vzq-h${h}`, "ip", "link", "set", "lo", "up");
}

/** A TCP relay on BRIDGE:listenPort → 127.0.0.1:targetPort that holds every piece of data LINK_MS ms, each way. */
async function relay(targetPort) {
  const server = createServer((inbound) => {
    const outbound = createConnection(targetPort, "127.0.0.1");
    const pipe = (from, to) => {
      from.on("data", (chunk) => setTimeout(() => to.writable && to.write(chunk), LINK_MS));
      from.on("end", () => setTimeout(() => to.end(), LINK_MS));
      from.on("error", () => to.destroy());
    };
    pipe(inbound, outbound);
    pipe(outbound, inbound);
  });
  await new Promise((resolve) => server.listen(0, BRIDGE, resolve));
  return { server, port: server.address().port };
}

const data = benchFiles(FILES);
const names = readdirSync(data).filter((n) => n.endsWith(".nc")).sort();

const work = mkdtempSync(path.join(tmpdir(), "vz-bench-hosts-"));
const redisPort = await new Promise((resolve) => {
  const s = createServer().listen(0, "127.0.0.1", () => {
    const { port } = s.address();
    s.close(() => resolve(port));
  });
});
const redisServer = spawn("redis-server", ["--port", String(redisPort), "--bind", "127.0.0.1", "--requirepass", PASS, "--protected-mode", "yes", "--maxmemory-policy", "noeviction", "--save", "", "--appendonly", "no", "--dir", work], {
  stdio: ["ignore", "pipe", "pipe"],
});
await waitFor(redisServer, /Ready to accept connections/, "redis-server");
const files = await startRangeServer({ root: data, latencyMs: LATENCY });
const redisRelay = await relay(redisPort);
const fileRelay = await relay(files.port);
const redisUrl = `redis://:${PASS}@${BRIDGE}:${redisRelay.port}`;
const urls = names.map((name) => `http://${BRIDGE}:${fileRelay.port}/${name}`);
const admin = new Redis({ host: "127.0.0.1", port: redisPort, password: PASS });

async function vz(args) {
  const start = performance.now();
  const child = spawn(process.execPath, [bin, ...args], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  child.stdout.resume();
  const code = await new Promise((resolve) => child.once("exit", resolve));
  if (code !== 0) throw new Error(`vz ${args[0]} failed (${code}): ${stderr}`);
  return { seconds: (performance.now() - start) / 1000, stderr };
}

const results = new Map();
const record = (name, value) => results.set(name, [...(results.get(name) ?? []), value]);
try {
  const localOut = path.join(work, "local.json");
  for (let round = 0; round < ROUNDS; round++) {
    const local = await vz(["virtualize", ...urls, "--concat-dim", "time", "-o", localOut]);
    record("local", { seconds: local.seconds });
    const expected = readFileSync(localOut);
    for (const [hosts, perHost] of LAYOUTS) {
      await admin.flushall();
      const workers = [];
      for (let h = 1; h <= hosts; h++) {
        for (let w = 0; w < perHost; w++) {
          const child = spawn("ip", ["netns", "exec", `vzq-h${h}`, process.execPath, bin, "worker", "--queue", redisUrl, "--concurrency", String(CONCURRENCY)], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
          await waitFor(child, /vz worker: ready/, `worker on vzq-h${h}`);
          workers.push(child);
        }
      }
      const before = Number(/used_memory:(\d+)/.exec(await admin.info("memory"))[1]);
      const out = path.join(work, `queue-${hosts}x${perHost}.json`);
      const run = await vz(["virtualize", ...urls, "--concat-dim", "time", "--queue", redisUrl, "-o", out]);
      const after = Number(/used_memory:(\d+)/.exec(await admin.info("memory"))[1]);
      if (!readFileSync(out).equals(expected)) throw new Error(`${hosts}x${perHost}: the queue run's references differ from the local run's`);
      await Promise.all(workers.map((child) => stop(child)));
      record(`${hosts}x${perHost}`, { seconds: run.seconds, redisPerFile: (after - before) / FILES });
      console.log(`round ${round + 1}: ${hosts} host(s) x ${perHost} worker(s): ${run.seconds.toFixed(1)} s (load ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")})`);
    }
    console.log(`round ${round + 1}: local ${local.seconds.toFixed(1)} s`);
  }
  const base = FILES / median(results.get(`1x1`)?.map((r) => r.seconds) ?? [NaN]);
  console.log(`\n${FILES} files, ${LATENCY} ms per request at the file server, +${LINK_MS} ms each way on the relay, concurrency ${CONCURRENCY} per worker, ${ROUNDS} rounds (medians)`);
  console.log("| layout | median s | files/s | efficiency vs 1 host x 1 worker | Redis bytes per file |");
  console.log("|---|---|---|---|---|");
  for (const [name, values] of results) {
    const seconds = median(values.map((v) => v.seconds));
    const workers = name === "local" ? 1 : name.split("x").map(Number).reduce((a, b) => a * b);
    const rate = FILES / seconds;
    const redis = name === "local" ? "" : median(values.map((v) => v.redisPerFile)).toFixed(0);
    console.log(`| ${name === "local" ? "local (in process)" : `${name.split("x")[0]} host(s) x ${name.split("x")[1]} worker(s)`} | ${seconds.toFixed(1)} | ${rate.toFixed(1)} | ${name === "local" ? "" : `${((rate / (workers * base)) * 100).toFixed(0)} %`} | ${redis} |`);
  }
} finally {
  admin.disconnect();
  redisRelay.server.close();
  fileRelay.server.close();
  await files.close();
  await stop(redisServer);
  rmSync(work, { recursive: true, force: true });
  teardown();
}
process.exit(0);
