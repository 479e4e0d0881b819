#!/usr/bin/env node
/**
 * Benchmark: bytes and requests needed to virtualize a large COG over HTTP on loopback.
 *
 * 1. Makes a COG with GDAL's command-line tools in a temp dir (gdal_create + gdal_translate -of COG;
 *    size from VZ_BENCH_SIZE, default 20480 x 20480 UInt16, 256 x 256 tiles, deflate, overviews).
 * 2. Serves it with a tiny node:http server that honours Range and counts requests and bytes.
 * 3. Virtualizes it with @vz/parser-tiff through @vz/core's HttpReader, several header-read sizes,
 *    and reads one tile back through zarrita to show the references work.
 *
 * Run: pnpm --filter @vz/parser-tiff bench   (after building; needs gdal_create / gdal_translate)
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, openSync, readSync, rmSync, statSync, closeSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HttpReader } from "@vz/core";
import * as zarr from "zarrita";
import { createTiffParser } from "../dist/index.js";

if (spawnSync("gdal_translate", ["--version"], { stdio: "ignore" }).status !== 0) {
  console.log("skipped: gdal_translate / gdal_create not found (apt-get install gdal-bin)");
  process.exit(0);
}

const size = Number(process.env.VZ_BENCH_SIZE ?? 20480);
const dir = mkdtempSync(join(tmpdir(), "vz-tiff-bench-"));
const sparse = join(dir, "sparse.tif");
const cog = join(dir, "big-cog.tif");
const started = performance.now();
execFileSync("gdal_create", ["-q", "-of", "GTiff", "-outsize", String(size), String(size), "-ot", "UInt16", "-a_srs", "EPSG:3857",
  "-a_ullr", "-1000000", "1000000", "1000000", "-1000000", "-co", "TILED=YES", "-co", "SPARSE_OK=TRUE", sparse]);
execFileSync("gdal_translate", ["-q", "-of", "COG", "-co", "COMPRESS=DEFLATE", "-co", "BLOCKSIZE=256", "-co", "NUM_THREADS=1", sparse, cog]);
const fileSize = statSync(cog).size;
console.log(`generated ${size} x ${size} UInt16 COG, ${fileSize} bytes, in ${((performance.now() - started) / 1000).toFixed(1)} s`);

const stats = { requests: 0, heads: 0, bytes: 0 };
const fd = openSync(cog, "r");
const server = createServer((request, response) => {
  stats.requests++;
  if (request.method === "HEAD") {
    stats.heads++;
    response.writeHead(200, { "content-length": fileSize, "accept-ranges": "bytes" });
    response.end();
    return;
  }
  const match = /^bytes=(\d+)-(\d+)$/.exec(request.headers.range ?? "");
  const start = match ? Number(match[1]) : 0;
  const end = match ? Math.min(Number(match[2]), fileSize - 1) : fileSize - 1;
  if (start > end || start >= fileSize) {
    response.writeHead(416, { "content-range": `bytes */${fileSize}` });
    response.end();
    return;
  }
  const body = Buffer.alloc(end - start + 1);
  readSync(fd, body, 0, body.length, start);
  stats.bytes += body.length;
  response.writeHead(match ? 206 : 200, {
    "content-length": body.length,
    "accept-ranges": "bytes",
    ...(match ? { "content-range": `bytes ${start}-${end}/${fileSize}` } : {}),
  });
  response.end(body);
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const url = `http://127.0.0.1:${server.address().port}/big-cog.tif`;

const rows = [];
for (const headerRead of [4 * 1024, 16 * 1024, 64 * 1024, 256 * 1024]) {
  stats.requests = stats.heads = stats.bytes = 0;
  const t0 = performance.now();
  const store = await createTiffParser({ headerRead })(url, new HttpReader());
  const ms = performance.now() - t0;
  const levels = [...store.group.arrays.keys()].filter((k) => /^\d+$/.test(k));
  const chunks = levels.reduce((n, k) => n + store.group.arrays.get(k).manifest.chunkCount, 0);
  rows.push({ headerRead, requests: stats.requests, heads: stats.heads, bytes: stats.bytes, ms: Math.round(ms), levels: levels.length, chunks });
}
console.table(rows);

// read one tile back over HTTP through zarrita
const store = await createTiffParser()(url, new HttpReader());
const array = await zarr.open.v3(zarr.root(store).resolve("0"), { kind: "array" });
stats.requests = stats.bytes = 0;
const tile = await zarr.get(array, [zarr.slice(0, 256), zarr.slice(0, 256)]);
console.log(`read tile [0:256, 0:256] through zarrita: ${tile.data.length} values, ${stats.requests} request(s), ${stats.bytes} bytes`);
let firstTile = Infinity;
for (const [name, node] of store.group.arrays) {
  if (!/^\d+$/.test(name)) continue;
  for (const [, entry] of node.manifest.entries()) if ("offset" in entry) firstTile = Math.min(firstTile, entry.offset);
}
console.log(`COG header (IFDs + tag values before the first tile) = ${firstTile} bytes; full resolution has ${store.group.arrays.get("0").manifest.gridSize} tiles`);

server.close();
closeSync(fd);
rmSync(dir, { recursive: true, force: true });
