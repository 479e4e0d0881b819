// Benchmark: write and commit 1,000,000 virtual refs into a local Icechunk repository, then open
// it for reading with the trust rule (openRepository lists the snapshot's chunk sources).
// Run: pnpm --filter @vz/icechunk bench   (on glibc < 2.38 @vz/icechunk loads its shim by itself).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ChunkManifestBuilder, createArrayMetadata, ManifestArray, VirtualDataset } from "@vz/core";
import { openRepository, writeIcechunk } from "../dist/index.js";

const N = Number(process.env.VZ_BENCH_REFS ?? 1_000_000);
const dir = mkdtempSync(join(tmpdir(), "vz-icechunk-bench-"));
try {
  const source = join(dir, "source.bin");
  writeFileSync(source, Buffer.alloc(16));
  const url = pathToFileURL(source).href;
  const rows = N / 1000;
  const builder = new ChunkManifestBuilder([rows, 1000]);
  const id = builder.urlId(url);
  for (let i = 0; i < N; i++) builder.setById(i, id, 1_000_000 + i * 400, 400);
  const array = new ManifestArray(
    createArrayMetadata({ shape: [rows * 10, 10000], dataType: "float32", chunkShape: [10, 10], dimensionNames: ["y", "x"] }),
    builder.build(),
  );
  const vds = new VirtualDataset({ variables: { v: { dims: ["y", "x"], attrs: {}, data: array } } });
  if (global.gc) global.gc();
  const rssBefore = process.memoryUsage().rss;
  let peak = rssBefore;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  const t0 = performance.now();
  const result = await writeIcechunk(vds, { location: join(dir, "repo"), validateContainers: false });
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().rss);
  const t1 = performance.now();
  const opened = await openRepository({ location: join(dir, "repo"), allowedPrefixes: [dir] });
  const openSeconds = (performance.now() - t1) / 1000;
  if (opened.locations.length !== 1) throw new Error(`expected one source, got ${opened.locations.length}`);
  console.log(
    JSON.stringify({
      bench: "icechunk: write + commit virtual refs",
      refs: result.virtualRefs,
      seconds: Number(seconds.toFixed(2)),
      refsPerSecond: Math.round(result.virtualRefs / seconds),
      peakRssMiB: Math.round(peak / 2 ** 20),
      rssGrowthMiB: Math.round((peak - rssBefore) / 2 ** 20),
      openForReadSeconds: Number(openSeconds.toFixed(2)),
    }),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
