#!/usr/bin/env node
/**
 * Benchmark: parse time and memory of kerchunk references with 1,000,000 chunk references,
 * as JSON and as Parquet (both generated here into a temporary directory). Each case runs in a
 * fresh Node process, so one case's garbage and JIT state do not touch another's.
 *
 *   pnpm turbo run build --filter @vz/parser-kerchunk... && pnpm --filter @vz/parser-kerchunk bench [chunks]
 *
 * Reported per case: wall seconds, CPU seconds (user + system of the process; less sensitive to
 * other load on the machine), retained MiB (JS heap + ArrayBuffers still held by the result after
 * a full GC) and the process's peak RSS (a bare case process peaks at ~90 MiB).
 * Targets: JSON parse ≤ 2 s; Parquet lazy open (`.zmetadata` only) ≤ 0.2 s.
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const self = fileURLToPath(import.meta.url);
const [mode, ...rest] = process.argv.slice(2);

function memoryMiB() {
  globalThis.gc();
  const usage = process.memoryUsage();
  return (usage.heapUsed + usage.arrayBuffers) / 2 ** 20;
}

/** One case, in this (child) process: prints a JSON line with the figures. */
async function runCase(name, path) {
  const { ReaderRegistry } = await import("@vz/core");
  const { FileReader } = await import("@vz/core/node");
  const { createKerchunkParser, openParquetReferences } = await import("../dist/index.js");
  await import("hyparquet");
  const reader = new ReaderRegistry({ "file:///": new FileReader() });
  const url = pathToFileURL(path).href;
  const cases = {
    json: () => createKerchunkParser()(url, reader),
    // the floor: read + decode + native JSON.parse, no vz work
    "json-floor": async () => JSON.parse(new TextDecoder().decode(await reader.get(url))),
    "parquet-lazy": () => openParquetReferences(url, reader),
    "parquet-load": async () => (await openParquetReferences(url, reader)).loadArray("v"),
    "parquet-eager": () => createKerchunkParser()(url, reader),
  };
  const before = memoryMiB();
  const cpu = process.cpuUsage();
  const started = performance.now();
  const result = await cases[name]();
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const peakRss = process.resourceUsage().maxRSS * 1024; // process peak (Linux keeps the parent's across exec; the parent stays small)
  const retained = memoryMiB() - before;
  const manifest = result.manifest ?? result.group?.resolve("v")?.manifest;
  console.log(
    JSON.stringify({
      seconds,
      cpuSeconds: (used.user + used.system) / 1e6,
      retainedMiB: retained,
      peakRssMiB: peakRss / 2 ** 20,
      chunks: manifest?.chunkCount ?? 0,
    }),
  );
}

async function directorySize(path) {
  let total = 0;
  for (const entry of await readdir(path, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath ?? entry.path, entry.name))).size;
  }
  return total;
}

function makeRefs(count) {
  const side = Math.round(Math.sqrt(count));
  const refs = {
    ".zgroup": JSON.stringify({ zarr_format: 2 }),
    ".zattrs": JSON.stringify({ title: "benchmark" }),
    "v/.zarray": JSON.stringify({ zarr_format: 2, shape: [side * 10, side * 10], chunks: [10, 10], dtype: "<f4", compressor: { id: "zlib", level: 4 }, filters: null, fill_value: "NaN", order: "C" }),
    "v/.zattrs": JSON.stringify({ _ARRAY_DIMENSIONS: ["y", "x"] }),
  };
  for (let i = 0; i < side; i++) {
    for (let j = 0; j < side; j++) {
      const n = i * side + j;
      refs[`v/${i}.${j}`] = [`s3://bench-bucket/data/file-${n % 100}.nc`, 4096 + Math.floor(n / 100) * 400, 400];
    }
  }
  return { version: 1, refs };
}

/** Writes the JSON and Parquet reference sets (in a child process, so that the parent stays small). */
async function generate(count, directory) {
  const { writeKerchunkParquet } = await import("@vz/core/node");
  const refs = makeRefs(count);
  await writeFile(join(directory, "refs.json"), JSON.stringify(refs));
  const started = performance.now();
  await writeKerchunkParquet(refs, join(directory, "refs.parq"), { recordSize: 100_000 });
  console.log(JSON.stringify({ chunks: Object.keys(refs.refs).length - 4, writeSeconds: (performance.now() - started) / 1000 }));
}

async function main() {
  const count = Number(mode ?? 1_000_000);
  const directory = await mkdtemp(join(tmpdir(), "vz-kerchunk-bench-"));
  try {
    const jsonPath = join(directory, "refs.json");
    const parquetPath = join(directory, "refs.parq");
    const generated = spawnSync(process.execPath, [self, "--generate", String(count), directory], { encoding: "utf8" });
    if (generated.status !== 0) throw new Error(`generating the references failed:\n${generated.stderr}`);
    const { chunks, writeSeconds } = JSON.parse(generated.stdout.trim().split("\n").pop());
    const rows = [];
    for (const [name, path, title, target, size] of [
      ["json-floor", jsonPath, "JSON read + JSON.parse only (floor)", undefined, (await stat(jsonPath)).size],
      ["json", jsonPath, "JSON parse → ManifestStore", 2, (await stat(jsonPath)).size],
      ["parquet-lazy", parquetPath, "Parquet lazy open (.zmetadata only)", 0.2, (await stat(join(parquetPath, ".zmetadata"))).size],
      ["parquet-load", parquetPath, "Parquet open + load the variable's refs", undefined, await directorySize(parquetPath)],
      ["parquet-eager", parquetPath, "Parquet parse → ManifestStore (eager)", undefined, await directorySize(parquetPath)],
    ]) {
      const child = spawnSync(process.execPath, ["--expose-gc", self, "--case", name, path], { encoding: "utf8" });
      if (child.status !== 0) throw new Error(`case ${name} failed:\n${child.stderr}`);
      const figures = JSON.parse(child.stdout.trim().split("\n").pop());
      rows.push({ case: title, ...figures, readMiB: size / 2 ** 20, target: target === undefined ? "-" : `≤ ${target} s`, ok: target === undefined ? "" : figures.seconds <= target ? "yes" : "NO" });
    }
    console.log(`kerchunk references with ${chunks} chunk refs; Node ${process.version}; load average ${loadavg().map((l) => l.toFixed(1)).join(" ")} on ${cpus().length} cores; Parquet write ${writeSeconds.toFixed(2)} s`);
    console.table(rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === "number" ? Number(v.toFixed(3)) : v]))));
    if (rows.some((r) => r.ok === "NO")) process.exitCode = 1;
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

if (mode === "--case") await runCase(rest[0], rest[1]);
else if (mode === "--generate") await generate(Number(rest[0]), rest[1]);
else await main();
