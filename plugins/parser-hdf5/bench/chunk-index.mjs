#!/usr/bin/env node
/**
 * Chunk enumeration benchmark (docs BENCHMARKS.md, first two rows): time to enumerate the
 * 200,000 chunks of `x` through readChunkIndex + FileReader, for a v1 B-tree, an extensible
 * array, a fixed array and a v2 B-tree; in process (median of N runs, fresh HdfFile each run) and
 * whole process (median of N `node` processes, start-up included). Peers in the same run:
 * jsfive 0.4.2 (whole file read into memory, v1 B-tree walked by its BTreeV1RawDataChunks) when
 * installed in JSFIVE_DIR (default /tmp/jsfive-bench, outside the repository: `npm install
 * jsfive@0.4.2` there, then copy node_modules/jsfive/dist/esm/index.mjs to jsfive-reexport.mjs
 * with `export { BTreeV1RawDataChunks };` appended, since the bundle does not export it), and h5py
 * get_chunk_info on a 10,000-chunk file (extrapolated quadratically to 200,000).
 *
 *   pnpm --filter @vz/parser-hdf5 build && pnpm --filter @vz/parser-hdf5 bench [-- --runs 5]
 *
 * Inputs are generated once by make-bench-files.py into $VZ_BENCH_DIR (default
 * <tmpdir>/vz-hdf5-bench).
 *
 * The whole-process CPU of a `--once-vz` child is Node itself (~55 ms, `node -e 0`), module loading
 * (@vz/core, @vz/core/node, @vz/combine, this parser: ~28 ms; zarrita, hyparquet-writer, fflate
 * and node:http load only on first use, so they are not part of it) and the cold enumeration.
 * Latest figures and how they were profiled: docs/benchmarks.md (issue 17 table).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const PYTHON = "/usr/bin/python3";
const args = process.argv.slice(2);

async function loadVz() {
  const { FileReader, toUrl } = await import("@vz/core/node");
  const hdf5 = await import("../dist/index.js");
  return { FileReader, toUrl, ...hdf5 };
}

/** Minimal decoding of the messages readChunkIndex needs (dataspace, datatype size, layout v3/v4, filters). */
function chunkIndexInfo(file, header, name) {
  const find = (type) => header.messages.find((m) => m.type === type);
  const L = file.sizeOfLengths;
  const O = file.sizeOfOffsets;
  const uint = (bytes, pos, size) => {
    let value = 0;
    let allOnes = true;
    for (let i = size - 1; i >= 0; i--) {
      value = value * 256 + bytes[pos + i];
      if (bytes[pos + i] !== 0xff) allOnes = false;
    }
    return allOnes ? -1 : value;
  };
  const space = find(0x01).data;
  const rank = space[1];
  let p = space[0] === 1 ? 8 : 4;
  const shape = [];
  const maxShape = [];
  for (let i = 0; i < rank; i++, p += L) shape.push(uint(space, p, L));
  for (let i = 0; i < rank; i++, p += L) maxShape.push(space[2] & 1 ? uint(space, p, L) : shape[i]);
  const type = find(0x03).data;
  const elementSize = type[4] | (type[5] << 8) | (type[6] << 16) | (type[7] * 16777216);
  const layout = find(0x08).data;
  const info = { shape, maxShape, elementSize, filtered: find(0x0b) !== undefined, name };
  if (layout[0] === 3) {
    const dims = [];
    for (let i = 0; i < layout[2]; i++) dims.push(uint(layout, 3 + O + 4 * i, 4));
    return { ...info, layoutVersion: 3, indexType: "btree-v1", address: uint(layout, 3, O), chunkShape: dims.slice(0, rank) };
  }
  const flags = layout[2];
  const dimensionality = layout[3];
  const encoded = layout[4];
  const dims = [];
  for (let i = 0; i < dimensionality; i++) dims.push(uint(layout, 5 + encoded * i, encoded));
  let q = 5 + encoded * dimensionality;
  const code = layout[q++];
  const types = { 1: "single", 2: "implicit", 3: "fixed-array", 4: "extensible-array", 5: "btree-v2" };
  q += { 1: flags & 2 ? L + 4 : 0, 2: 0, 3: 1, 4: 5, 5: 6 }[code];
  return { ...info, layoutVersion: 4, layoutFlags: flags, indexType: types[code], address: uint(layout, q, O), chunkShape: dims.slice(0, rank) };
}

/** CPU time (user + system, all threads) of this process so far, in ms. */
const cpuNow = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};

/** One enumeration through vz: open, superblock, object header, chunk index. Returns [chunks, ms, requests, bytes, cpu ms]. */
async function enumerateVz(vz, filePath, address) {
  const start = performance.now();
  const cpuStart = cpuNow();
  const file = await vz.HdfFile.open(vz.toUrl(filePath), new vz.FileReader());
  await vz.readSuperblock(file);
  const header = await vz.readObjectHeader(file, address);
  const info = chunkIndexInfo(file, header, "/x");
  const offsets = new Float64Array(info.shape.reduce((a, b, i) => a * Math.ceil(b / info.chunkShape[i]), 1));
  let count = 0;
  await vz.readChunkIndex(file, info, (flat, chunkAddress) => {
    offsets[flat] = chunkAddress;
    count++;
  });
  return [count, performance.now() - start, file.requests, file.bytesFetched, cpuNow() - cpuStart];
}

/** One enumeration through jsfive: read the whole file, open it, walk the chunk B-tree. */
async function enumerateJsfive(jsfiveDirectory, filePath) {
  // A scratch copy of jsfive's ESM bundle with `export { BTreeV1RawDataChunks };` appended.
  const { File, BTreeV1RawDataChunks } = await import(pathToFileURL(path.join(jsfiveDirectory, "jsfive-reexport.mjs")).href);
  const start = performance.now();
  const cpuStart = cpuNow();
  const bytes = readFileSync(filePath);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const file = new File(buffer, path.basename(filePath));
  const objects = file.get("x")._dataobjects;
  objects._get_chunk_params();
  const tree = new BTreeV1RawDataChunks(objects.fh, objects._chunk_address, objects._chunk_dims);
  let count = 0;
  for (const node of tree.all_nodes.get(0)) count += node.get("keys").length;
  return [count, performance.now() - start, cpuNow() - cpuStart];
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function wholeProcess(extraArgs) {
  const start = performance.now();
  const run = spawnSync(process.execPath, [fileURLToPath(import.meta.url), ...extraArgs], { encoding: "utf8" });
  const ms = performance.now() - start;
  if (run.status !== 0) throw new Error(`child failed: ${run.stderr}`);
  return [JSON.parse(run.stdout.trim().split("\n").pop()), ms];
}

if (args[0] === "--once-vz") {
  const [count, ms, requests, bytes] = await enumerateVz(await loadVz(), args[1], Number(args[2]));
  console.log(JSON.stringify({ count, ms, requests, bytes, processCpu: cpuNow() }));
  process.exit(0);
}
if (args[0] === "--warm-vz") {
  // In-process, repeated: shows the warm (optimized) cost without start-up and compilation.
  const vz = await loadVz();
  const times = [];
  for (let run = 0; run < Number(args[3] ?? 10); run++) times.push((await enumerateVz(vz, args[1], Number(args[2])))[1]);
  console.log(JSON.stringify({ min: Math.min(...times), median: median(times), times: times.map((t) => Math.round(t)) }));
  process.exit(0);
}
if (args[0] === "--once-jsfive") {
  const [count, ms] = await enumerateJsfive(args[1], args[2]);
  console.log(JSON.stringify({ count, ms, processCpu: cpuNow() }));
  process.exit(0);
}

const runs = Number(args[args.indexOf("--runs") + 1] || 5) || 5;
const benchDirectory = process.env.VZ_BENCH_DIR ?? path.join(tmpdir(), "vz-hdf5-bench");
if (!existsSync(path.join(benchDirectory, "files.json"))) {
  console.log(`generating inputs in ${benchDirectory} ...`);
  execFileSync(PYTHON, [path.join(here, "make-bench-files.py"), benchDirectory], { stdio: "inherit" });
}
const files = JSON.parse(readFileSync(path.join(benchDirectory, "files.json"), "utf8"));
const jsfiveDirectory = process.env.JSFIVE_DIR ?? "/tmp/jsfive-bench";
const haveJsfive = existsSync(path.join(jsfiveDirectory, "jsfive-reexport.mjs"));
const vz = await loadVz();
const rows = [];

/** Measures one reader: in-process (wall, CPU) and whole-process (wall, CPU) medians. */
async function measure(runOnce, childArgs, expected) {
  const inProcess = [];
  const inProcessCpu = [];
  const whole = [];
  const wholeCpu = [];
  let last;
  for (let run = 0; run < runs; run++) {
    last = await runOnce();
    if (last[0] !== expected) throw new Error(`${childArgs[0]}: ${last[0]} chunks, expected ${expected}`);
    inProcess.push(last[1]);
    inProcessCpu.push(last.at(-1));
    const [child, wall] = wholeProcess(childArgs);
    if (child.count !== expected) throw new Error(`${childArgs[0]}: child saw ${child.count} chunks`);
    whole.push(wall);
    wholeCpu.push(child.processCpu);
  }
  return { inProcess: median(inProcess), inProcessCpu: median(inProcessCpu), whole: median(whole), wholeCpu: median(wholeCpu), last };
}

for (const [name, entry] of Object.entries(files)) {
  if (name.endsWith("-10k")) continue;
  const result = await measure(() => enumerateVz(vz, entry.path, entry.address), ["--once-vz", entry.path, String(entry.address)], entry.chunks);
  rows.push({ name: `vz ${name}`, ...result, requests: result.last[2], bytes: result.last[3] });
}

if (haveJsfive) {
  const entry = files["btree-v1"];
  const result = await measure(() => enumerateJsfive(jsfiveDirectory, entry.path), ["--once-jsfive", jsfiveDirectory, entry.path], entry.chunks);
  rows.push({ name: "jsfive 0.4.2 btree-v1", ...result });
}

let h5py;
if (existsSync(PYTHON)) {
  const entry = files["btree-v1-10k"];
  const times = [];
  for (let run = 0; run < Math.min(runs, 3); run++) {
    const start = performance.now();
    const out = JSON.parse(execFileSync(PYTHON, [path.join(here, "make-bench-files.py"), "--time", entry.path, String(entry.chunks)], { encoding: "utf8" }));
    times.push([out.seconds * 1000, performance.now() - start, out.cpu * 1000, out.processCpu * 1000]);
  }
  const column = (i) => median(times.map((t) => t[i]));
  h5py = { inProcess: column(0), whole: column(1), inProcessCpu: column(2), wholeCpu: column(3) };
  rows.push({ name: "h5py 3.7 get_chunk_info, 10,000 chunks", ...h5py });
  const scale = 400; // (200,000 / 10,000)^2: each get_chunk_info(i) walks the index up to i
  rows.push({
    name: "h5py extrapolated to 200,000 (x400, quadratic)",
    inProcess: h5py.inProcess * scale,
    inProcessCpu: h5py.inProcessCpu * scale,
    whole: h5py.inProcess * scale + (h5py.whole - h5py.inProcess),
    wholeCpu: h5py.inProcessCpu * scale + (h5py.wholeCpu - h5py.inProcessCpu),
  });
}

const jsfiveRow = rows.find((row) => row.name.startsWith("jsfive"));
const format = (value) => (value === undefined ? "" : value.toFixed(1));
const ratio = (row, key) => (jsfiveRow && row.name.startsWith("vz") ? `${(row[key] / jsfiveRow[key]).toFixed(2)}x` : "");
console.log(`\nchunk enumeration, 200,000 chunks, median of ${runs} runs (ms; CPU = user + system of all threads)\n`);
console.log("| reader | in process wall | in process CPU | whole process wall | whole process CPU | vs jsfive, whole wall | vs jsfive, whole CPU | requests | bytes read |");
console.log("|---|---|---|---|---|---|---|---|---|");
for (const row of rows) {
  console.log(
    `| ${row.name} | ${format(row.inProcess)} | ${format(row.inProcessCpu)} | ${format(row.whole)} | ${format(row.wholeCpu)} | ${ratio(row, "whole")} | ${ratio(row, "wholeCpu")} | ${row.requests ?? ""} | ${row.bytes ?? ""} |`,
  );
}
if (!haveJsfive) {
  console.log(`\n(jsfive not found: in ${jsfiveDirectory} run \`npm install jsfive@0.4.2\`, copy node_modules/jsfive/dist/esm/index.mjs`);
  console.log("to jsfive-reexport.mjs and append `export { BTreeV1RawDataChunks };` to compare)");
}
