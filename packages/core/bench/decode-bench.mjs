// Chunk decode throughput (../shared/BENCHMARKS.md, "Read through refs" row: decode >= 200 MB/s):
// 300 chunks of 100 x 150 float32 (random values, ~60 KB decoded), shuffled (4-byte elements) and
// deflated at level 1 as netCDF-4 writes them, decoded with numcodecs.zlib then numcodecs.shuffle.
// Rows: zarrita 0.7.5's built-in zlib (DecompressionStream) + the byte-loop unshuffle (what vz used
// before), and vz's codecs (node:zlib + word unshuffle), all chunks in flight at once as zarrita's
// `get` issues them. Figure = decoded MB per second of wall time, median of alternating runs.
// Run: pnpm build && node packages/core/bench/decode-bench.mjs [runs=5]
import { deflateSync } from "node:zlib";
import * as zarr from "zarrita";

const runs = Number(process.argv[2] ?? 5);
const zarritaZlib = await zarr.registry.get("numcodecs.zlib")(); // before vz replaces it
const { registerCodecs, ShuffleCodec } = await import("../dist/index.js");
await registerCodecs();
const vzZlib = await zarr.registry.get("numcodecs.zlib")();

const elements = 100 * 150;
let seed = 1;
const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
const shuffle = ShuffleCodec.fromConfig({ elementsize: 4 });
const chunks = await Promise.all(
  Array.from({ length: 300 }, async () => {
    const values = Float32Array.from({ length: elements }, random);
    return new Uint8Array(deflateSync(await shuffle.encode(new Uint8Array(values.buffer)), { level: 1 }));
  }),
);
const decodedBytes = chunks.length * elements * 4;

/** The unshuffle vz had before (strided byte loop), for the "before" row. */
function unshuffleByteLoop(data, elementSize) {
  const count = Math.floor(data.length / elementSize);
  const result = new Uint8Array(data.length);
  for (let byte = 0; byte < elementSize; byte++) {
    const base = byte * count;
    for (let i = 0; i < count; i++) result[i * elementSize + byte] = data[base + i];
  }
  return result;
}

const contenders = {
  "zarrita zlib (DecompressionStream) + byte-loop unshuffle": async (bytes) => unshuffleByteLoop(await zarritaZlib.fromConfig({}).decode(bytes), 4),
  "vz: node:zlib + word unshuffle": async (bytes) => shuffle.decode(await vzZlib.fromConfig({ level: 1 }, { dataType: "float32", shape: [100, 150] }).decode(bytes)),
};
const results = new Map();
for (let r = 0; r < runs; r++) {
  for (const [name, decode] of Object.entries(contenders)) {
    const t0 = performance.now();
    const out = await Promise.all(chunks.map(decode));
    const seconds = (performance.now() - t0) / 1000;
    if (out.some((o) => o.length !== elements * 4)) throw new Error(`${name}: wrong decoded size`);
    results.set(name, [...(results.get(name) ?? []), seconds]);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [...results].map(([name, times]) => ({ name, medianMs: Number((median(times) * 1000).toFixed(1)), mbPerS: Number((decodedBytes / 1e6 / median(times)).toFixed(0)) }));
const t0 = performance.now();
for (let i = 0; i < 20; i++) for (const c of chunks.slice(0, 30)) unshuffleByteLoop(c, 4);
const loopMs = performance.now() - t0;
const t1 = performance.now();
for (let i = 0; i < 20; i++) for (const c of chunks.slice(0, 30)) await shuffle.decode(c);
const wordMs = performance.now() - t1;
const shuffled = 600 * chunks[0].length;
console.log(
  JSON.stringify(
    {
      bench: "decode 300 zlib + shuffle float32 chunks (60 KB decoded each), all in flight",
      decodedMB: decodedBytes / 1e6,
      runs,
      rows,
      unshuffleAloneMBps: { byteLoop: Number((shuffled / 1e3 / loopMs).toFixed(0)), words: Number((shuffled / 1e3 / wordMs).toFixed(0)) },
    },
    null,
    2,
  ),
);
