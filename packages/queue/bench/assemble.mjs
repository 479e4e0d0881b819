// The coordinator's assembly of N results (default 100,000): decode N encoded per-file results
// (as fetched from Redis) and combine them along time with openQueueMfdatatree — the queue run
// minus the network. The results are synthetic: one real small netCDF4 file's tree, encoded once,
// decoded N times with its chunk URLs and time value changed per file. Reports time and peak RSS.
//   node --max-old-space-size=4096 bench/assemble.mjs        VZ_BENCH_RESULTS=10000 node bench/assemble.mjs
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../../..");
const core = await import(path.join(root, "packages/core/dist/index.js"));
const coreNode = await import(path.join(root, "packages/core/dist/node.js"));
const queue = await import(path.join(root, "packages/queue/dist/index.js"));

const N = Number(process.env.VZ_BENCH_RESULTS ?? 100_000);
const dir = mkdtempSync(path.join(tmpdir(), "vz-bench-assemble-"));
try {
  const file = path.join(dir, "f.nc");
  execFileSync("/usr/bin/python3", [
    "-c",
    `
import sys, numpy as np, netCDF4
with netCDF4.Dataset(sys.argv[1], "w") as ds:
    ds.createDimension("time", None); ds.createDimension("lat", 10); ds.createDimension("lon", 20)
    t = ds.createVariable("time", "f8", ("time",)); t.units = "hours since 2000-01-01"; t[:] = [0]
    la = ds.createVariable("lat", "f4", ("lat",)); la[:] = np.linspace(-45, 45, 10)
    lo = ds.createVariable("lon", "f4", ("lon",)); lo[:] = np.linspace(0, 190, 20)
    v = ds.createVariable("t2m", "f4", ("time", "lat", "lon"), chunksizes=(1, 5, 10), zlib=True); v[:] = 1
`,
    file,
  ]);
  const { registry } = coreNode.createDiscoveredParserRegistry({ from: [path.join(root, "apps/cli")] });
  const url = `file://${file}`;
  const { store } = await core.openManifestStore(url, { reader: new coreNode.FileReader(), registry, parser: "hdf5" });
  const bytes = queue.encodeTree(await core.toVirtualDatatree(store, { url }));
  console.log(`one result: ${bytes.byteLength} bytes encoded`);
  const urls = Array.from({ length: N }, (_, i) => `https://data.example/archive/f${String(i).padStart(6, "0")}.nc`);

  let peak = 0;
  let decodeSeconds = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const start = performance.now();
  // A pool whose results come from the encoded bytes, as the real pool decodes what Redis holds.
  const pool = {
    kind: "vz-dataset-parse-pool",
    async runAll(list) {
      const trees = new Map();
      const interner = process.env.VZ_BENCH_NO_INTERN ? undefined : queue.createDecodeInterner();
      list.forEach((u, i) => {
        const tree = queue.decodeTree(bytes, u, interner).renamePaths(() => u);
        const time = tree.dataset.variables.get("time").data;
        time.values[0] = i;
        trees.set(u, tree);
      });
      decodeSeconds = (performance.now() - start) / 1000;
      return { trees, failed: [], reused: 0 };
    },
  };
  const result = await queue.openQueueMfdatatree(pool, urls, { reader: new coreNode.FileReader(), combine: "nested", concatDim: "time" });
  const seconds = (performance.now() - start) / 1000;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  const t2m = result.tree.dataset.variables.get("t2m").data;
  console.log(`assembled ${N} results in ${seconds.toFixed(2)} s (decoding ${decodeSeconds.toFixed(2)} s, combining ${(seconds - decodeSeconds).toFixed(2)} s); peak RSS ${(peak / 2 ** 20).toFixed(0)} MB; t2m shape ${t2m.metadata.shape.join("x")}, ${result.tree.chunkCount} chunk refs`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
