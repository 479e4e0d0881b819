// Benchmarks of @vz/core's manifests, run against the built package (dist):
//   node --expose-gc bench/manifest-bench.mjs [--chunks N] [--arrays N] [--json]
// 1. Memory per chunk of a ChunkManifest built with ChunkManifestBuilder (10,000,000 chunks by
//    default), measured as growth of V8 heap + ArrayBuffer memory after global.gc(), for the final
//    ChunkManifest only (the builder is released before measuring).
// 2. Time to concatenate 1,000 ManifestArrays of 24×10×10 chunks along the first axis, and to turn
//    the result into kerchunk references and JSON text.
import { performance } from "node:perf_hooks";
import {
  ChunkManifestBuilder,
  concatManifestArrays,
  createArrayMetadata,
  kerchunkToJson,
  ManifestArray,
  toKerchunk,
  VirtualDataset,
} from "@vz/core";
import { datasetsToKerchunkJsonPieces } from "@vz/core/internal";

const argument = (name, fallback) => {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
};
const CHUNKS = argument("chunks", 10_000_000);
const ARRAYS = argument("arrays", 1_000);
const asJson = process.argv.includes("--json");

if (typeof globalThis.gc !== "function") {
  console.error("run with node --expose-gc (the bench script does)");
  process.exit(2);
}

function settle() {
  for (let i = 0; i < 4; i++) globalThis.gc();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

/** A manifest of `count` chunks spread over `urlCount` files (the builder dies with this frame). */
function buildManifest(count, urlCount) {
  const builder = new ChunkManifestBuilder([count]);
  const ids = [];
  for (let u = 0; u < urlCount; u++) ids.push(builder.urlId(`s3://bucket/data/file-${String(u).padStart(6, "0")}.nc`));
  const perFile = Math.ceil(count / urlCount);
  for (let i = 0; i < count; i++) builder.setById(i, ids[Math.floor(i / perFile)], 4096 + (i % perFile) * 65_536, 60_000 + (i % 5000));
  return builder.build();
}

/** Memory per chunk of the final ChunkManifest (heap + ArrayBuffers growth after gc). */
function measureManifest(count, urlCount) {
  const before = settle();
  let manifest = buildManifest(count, urlCount);
  const after = settle();
  const result = {
    chunks: count,
    urls: urlCount,
    bytesPerChunk: (after - before) / count,
    reportedBytesPerChunk: manifest.byteSize / count,
  };
  // Keep the manifest alive through the measurement, and check it holds what was set.
  const last = manifest.get([count - 1]);
  if (!last || last.length !== 60_000 + ((count - 1) % 5000)) throw new Error("manifest content check failed");
  manifest = undefined;
  settle();
  return result;
}

function makeArray(index) {
  const builder = new ChunkManifestBuilder([24, 10, 10]);
  const url = builder.urlId(`s3://bucket/run/file-${String(index).padStart(4, "0")}.nc`);
  for (let i = 0; i < 2400; i++) builder.setById(i, url, 8192 + i * 4000, 4000);
  const metadata = createArrayMetadata({
    shape: [24, 100, 100],
    dataType: "float32",
    chunkShape: [1, 10, 10],
    fillValue: Number.NaN,
    codecs: [
      { name: "bytes", configuration: { endian: "little" } },
      { name: "numcodecs.shuffle", configuration: { elementsize: 4 } },
      { name: "numcodecs.zlib", configuration: { level: 4 } },
    ],
    dimensionNames: ["time", "y", "x"],
  });
  return new ManifestArray(metadata, builder.build(), "temp");
}

/** Wall and CPU (user + system) milliseconds of `fn`. */
function timed(fn) {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const value = fn();
  const wall = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { value, wall, cpu: (used.user + used.system) / 1000 };
}

function measureConcat(count) {
  const arrays = Array.from({ length: count }, (_, i) => makeArray(i));
  concatManifestArrays(arrays.slice(0, 10), 0); // warm up
  const runs = [];
  let result;
  for (let run = 0; run < 3; run++) {
    const t = timed(() => concatManifestArrays(arrays, 0));
    result = t.value;
    runs.push(t);
  }
  runs.sort((a, b) => a.cpu - b.cpu);
  const vds = new VirtualDataset({ variables: { temp: { dims: ["time", "y", "x"], attrs: {}, data: result } } });
  // Streaming JSON straight from the manifest (what writeKerchunk does), without writing a file.
  const stream = timed(() => {
    let bytes = 0;
    for (const piece of datasetsToKerchunkJsonPieces(new Map([["", vds]]))) bytes += piece.length;
    return bytes;
  });
  const refs = timed(() => toKerchunk(vds));
  const json = timed(() => kerchunkToJson(refs.value));
  if (json.value.length !== stream.value) throw new Error("streamed and materialised JSON differ in length");
  const ms = (t) => ({ wallMs: Number(t.wall.toFixed(1)), cpuMs: Number(t.cpu.toFixed(1)) });
  return {
    arrays: count,
    chunksEach: 2400,
    resultChunks: result.manifest.chunkCount,
    resultUrls: result.manifest.urls.length,
    concat: { median: ms(runs[1]), runs: runs.map(ms) },
    streamJson: ms(stream),
    toKerchunk: ms(refs),
    kerchunkToJson: ms(json),
    jsonBytes: stream.value,
  };
}

const results = {
  node: process.version,
  loadAverage: (await import("node:os")).loadavg().map((v) => v.toFixed(2)).join(" "),
  cpus: (await import("node:os")).cpus().length,
  manifest: [measureManifest(CHUNKS, 1), measureManifest(CHUNKS, 1_000), measureManifest(CHUNKS, 100_000)],
  concat: measureConcat(ARRAYS),
};

if (asJson) {
  console.log(JSON.stringify(results, null, 2));
} else {
  console.log(`@vz/core manifest benchmarks (node ${results.node}, ${results.cpus} CPUs, load average ${results.loadAverage} at start)`);
  for (const m of results.manifest) {
    console.log(
      `  ChunkManifest, ${m.chunks.toLocaleString("en")} chunks over ${m.urls.toLocaleString("en")} URL(s): ` +
        `${m.bytesPerChunk.toFixed(2)} B/chunk measured (heap + ArrayBuffers after gc), ${m.reportedBytesPerChunk.toFixed(2)} B/chunk by byteSize`,
    );
  }
  const c = results.concat;
  const f = (t) => `${t.cpuMs.toFixed(0)} ms CPU (${t.wallMs.toFixed(0)} ms wall)`;
  console.log(
    `  concat of ${c.arrays} ManifestArrays of 24×10×10 chunks → ${c.resultChunks.toLocaleString("en")} chunks, ${c.resultUrls} URLs: ` +
      `median of 3 runs ${f(c.concat.median)}; runs ${c.concat.runs.map((t) => t.cpuMs.toFixed(0)).join(", ")} ms CPU`,
  );
  console.log(`  kerchunk JSON of that result (${(c.jsonBytes / 1e6).toFixed(1)} MB):`);
  console.log(`    streamed from the manifest (writeKerchunk's path): ${f(c.streamJson)}`);
  console.log(`    toKerchunk (one object per chunk): ${f(c.toKerchunk)}; then kerchunkToJson: ${f(c.kerchunkToJson)}`);
}
