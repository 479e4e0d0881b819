// Larger mutation-fuzzing run over the real files in ../shared/data, for every parser plugin.
// Usage: pnpm build && node tooling/fuzz.mjs [--cases 5000] [--parser hdf5] [--seed 7] [--timeout 5000]
// Prints one JSON report per parser; exits 1 when any case ended in an untyped error or a time-out.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const data = resolve(root, "../shared/data");
const { values } = parseArgs({
  options: { cases: { type: "string" }, parser: { type: "string" }, seed: { type: "string" }, timeout: { type: "string" }, "max-file-bytes": { type: "string" } },
});
const cases = Number(values.cases ?? 5000);
const seed = Number(values.seed ?? 7);
const timeoutMs = Number(values.timeout ?? 5000);
const maxFileBytes = Number(values["max-file-bytes"] ?? 4_000_000);
const { fuzzParser } = await import(pathToFileURL(join(root, "packages/core/dist/testing-tools.js")).href);

const sources = {
  hdf5: { plugin: "plugins/parser-hdf5", folders: ["netcdf4", "hdf5", "hdf5_debian"], keep: (n) => !n.endsWith(".json") },
  tiff: { plugin: "plugins/parser-tiff", folders: ["tiff", "tiff_derived"], keep: (n) => /\.(tiff?|cog)$/i.test(n) },
  netcdf3: { plugin: "plugins/parser-netcdf3", folders: ["netcdf3"], keep: (n) => !n.endsWith(".json") },
  kerchunk: { plugin: "plugins/parser-kerchunk", folders: ["kerchunk"], keep: (n) => n.endsWith(".json") && !n.endsWith(".oracle.json") },
};
if (!existsSync(data)) {
  console.log(JSON.stringify({ skipped: `no shared data at ${data}` }));
  process.exit(0);
}
let failed = false;
for (const [name, source] of Object.entries(sources)) {
  if (values.parser && values.parser !== name) continue;
  const dist = join(root, source.plugin, "dist/index.js");
  if (!existsSync(dist)) {
    console.log(JSON.stringify({ parser: name, skipped: `${dist} not built` }));
    continue;
  }
  const plugin = (await import(pathToFileURL(dist).href)).default;
  const files = source.folders
    .flatMap((folder) => readdirSync(join(data, folder)).filter(source.keep).map((file) => join(data, folder, file)))
    .filter((path) => statSync(path).size <= maxFileBytes)
    .map((path) => ({ name: path.slice(data.length + 1), bytes: new Uint8Array(readFileSync(path)) }));
  const t0 = performance.now();
  const report = await fuzzParser({ plugin, files, cases, seed, timeoutMs });
  const seconds = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({ parser: name, files: files.length, seconds: Number(seconds.toFixed(1)), ...report, failures: report.failures.slice(0, 20), failureCount: report.failures.length }));
  if (report.failures.length) failed = true;
}
process.exit(failed ? 1 : 0);
