// DMR++ vs HDF5 over HTTP: the same netCDF-4 file virtualized from its DMR++ sidecar and from its
// own metadata, both through @vz/core's HttpReader against ../shared/bench/range_server.py on
// 127.0.0.1 with 50 ms latency per request and 100 MB/s. Counts requests and bytes (server log)
// and times the parse (wall clock, in process), median of alternating runs.
// Files: a generated netCDF-4 file with 4,501 chunks and scattered metadata plus a DMR++ made from
// h5py's chunk queries (bench/make-bench-files.py), and one real OPeNDAP pair of ../shared/data/dmrpp
// (served from there, read-only).
// Run: pnpm build && node plugins/parser-dmrpp/bench/remote.mjs [runs=3]
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { HttpReader } from "@vz/core";
import { createDmrppParser } from "@vz/parser-dmrpp";
import { createHdf5Parser } from "@vz/parser-hdf5";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "../../..");
const shared = resolve(repo, "../shared");
const python = "/usr/bin/python3";
const runs = Number(process.argv[2] ?? 3);
const work = join(tmpdir(), "vz-bench-dmrpp");
mkdirSync(work, { recursive: true });

if (!existsSync(join(shared, "bench/range_server.py"))) {
  console.log(JSON.stringify({ bench: "dmrpp remote", skipped: `${shared}/bench/range_server.py not found` }));
  process.exit(0);
}
if (!existsSync(join(work, "remote.nc.dmrpp"))) {
  console.error("generating the benchmark pair in", work, "(once)…");
  execFileSync(python, [join(here, "make-bench-files.py"), work], { stdio: "inherit" });
}

async function startServer(root) {
  const log = join(work, `log-${process.pid}-${Math.random()}.txt`);
  const portFile = join(work, `port-${process.pid}-${Math.random()}.txt`);
  writeFileSync(log, "");
  const server = spawn(python, [join(shared, "bench/range_server.py"), root, log, portFile, "50", "100"], { stdio: "ignore" });
  for (let i = 0; i < 200 && !existsSync(portFile); i++) await new Promise((r) => setTimeout(r, 50));
  const port = readFileSync(portFile, "utf8").trim();
  return {
    base: `http://127.0.0.1:${port}/`,
    stats() {
      const lines = readFileSync(log, "utf8").trim().split("\n").filter(Boolean);
      return { requests: lines.length, bytes: lines.reduce((n, l) => n + Number(l.split(" ").pop()), 0) };
    },
    reset() {
      writeFileSync(log, "");
    },
    close() {
      server.kill(); // the server process this script started
      rmSync(log, { force: true });
      rmSync(portFile, { force: true });
    },
  };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function measure(server, label, parse) {
  const times = [];
  let stats;
  let arrays = 0;
  let chunks = 0;
  for (let run = 0; run < runs; run++) {
    server.reset();
    const start = performance.now();
    const store = await parse();
    times.push(performance.now() - start);
    stats = server.stats();
    arrays = 0;
    chunks = 0;
    for (const [, array] of store.group.walkArrays()) {
      arrays++;
      for (let i = 0; i < array.manifest.gridSize; i++) if (array.manifest.kindAt(i) === "ref") chunks++;
    }
  }
  return { label, requests: stats.requests, bytes: stats.bytes, ms: Math.round(median(times)), arrays, chunks };
}

const pairs = [
  { root: work, file: "remote.nc", note: "generated: 4 variables, 4,501 chunks, metadata scattered over the file" },
  { root: resolve(shared, "data/dmrpp"), file: "fileout_netcdf_multi_chunks.h5", note: "OPeNDAP bes test pair" },
].filter((p) => existsSync(join(p.root, p.file)) && existsSync(join(p.root, `${p.file}.dmrpp`)));

const results = [];
for (const pair of pairs) {
  const server = await startServer(pair.root);
  try {
    const reader = new HttpReader();
    const dataUrl = `${server.base}${pair.file}`;
    const dmrpp = () => createDmrppParser({ dataUrl })(`${dataUrl}.dmrpp`, reader);
    const hdf5 = () => createHdf5Parser()(dataUrl, reader);
    const rows = [];
    // alternate the contenders run by run is done inside measure per contender; warm both once first
    await dmrpp();
    await hdf5();
    rows.push(await measure(server, "DMR++ parser (the .dmrpp)", dmrpp));
    rows.push(await measure(server, "HDF5 parser (the file's metadata)", hdf5));
    results.push({
      file: pair.file,
      note: pair.note,
      fileBytes: statSync(join(pair.root, pair.file)).size,
      dmrppBytes: statSync(join(pair.root, `${pair.file}.dmrpp`)).size,
      rows,
    });
  } finally {
    server.close();
  }
}
console.log(JSON.stringify({ bench: "dmrpp vs hdf5 over HTTP (50 ms latency, 100 MB/s)", runs, results }, null, 2));
