// Benchmark of openVirtualMfdataset: N small netCDF4 files (24 time steps each) virtualized with
// @vz/parser-hdf5 and combined by coordinates — through the file reader and through the HTTP
// reader against a loopback server that adds 20–50 ms to every request — with concurrency 1
// and 16; then combining the already-parsed datasets alone.
//   pnpm --filter @vz/combine bench            (needs core and parser-hdf5 built, /usr/bin/python3 with netCDF4)
//   VZ_BENCH_FILES=1000 VZ_BENCH_HTTP_SERIAL_FILES=100 node bench/mfdataset.mjs
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const core = await import(path.resolve(here, "../../core/dist/index.js"));
const coreNode = await import(path.resolve(here, "../../core/dist/node.js"));
const hdf5 = (await import(path.resolve(here, "../../../plugins/parser-hdf5/dist/index.js"))).default;

const FILES = Number(process.env.VZ_BENCH_FILES ?? 1000);
const HTTP_SERIAL_FILES = Number(process.env.VZ_BENCH_HTTP_SERIAL_FILES ?? 100);
const directory = path.join(tmpdir(), `vz-bench-mfdataset-${FILES}`);

if (!existsSync(directory) || readdirSync(directory).filter((n) => n.endsWith(".nc")).length !== FILES) {
  const start = performance.now();
  execFileSync("/usr/bin/python3", [path.join(here, "make-files.py"), directory, String(FILES)], { stdio: "inherit" });
  console.log(`generated ${FILES} files in ${directory} in ${((performance.now() - start) / 1000).toFixed(1)} s`);
}
const names = readdirSync(directory).filter((n) => n.endsWith(".nc")).sort();

/** Samples RSS every 5 ms while `fn` runs. */
async function measure(label, files, fn) {
  globalThis.gc?.();
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 5);
  const start = performance.now();
  const result = await fn();
  const seconds = (performance.now() - start) / 1000;
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().rss);
  console.log(
    `${label.padEnd(44)} ${String(files).padStart(5)} files  ${seconds.toFixed(2).padStart(7)} s  ` +
      `${((seconds * 1000) / files).toFixed(2).padStart(7)} ms/file  peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB`,
  );
  return result;
}

function check(vds, files) {
  const air = vds.variables.get("air").data;
  if (air.shape[0] !== 24 * files) throw new Error(`combined air has ${air.shape[0]} time steps, expected ${24 * files}`);
  const time = vds.variables.get("time").data.values;
  for (let i = 1; i < time.length; i++) if (time[i] - time[i - 1] !== 6) throw new Error(`time not contiguous at ${i}`);
}

const options = { parser: hdf5, dataVars: "minimal", coords: "minimal", compat: "override" };

// File reader
const fileReader = new coreNode.FileReader();
const fileUrls = names.map((n) => coreNode.toUrl(path.join(directory, n)));
for (const concurrency of [1, 16]) {
  const vds = await measure(`file reader, concurrency ${concurrency}`, FILES, () =>
    core.openVirtualMfdataset(coreNode.toUrl(path.join(directory, "bench-*.nc")), { ...options, reader: fileReader, concurrency }),
  );
  check(vds, FILES);
}

// File reader, parsing in worker threads (manifests come back as transferred typed arrays)
{
  const pool = coreNode.createThreadPool({ parserModule: path.resolve(here, "../../../plugins/parser-hdf5/dist/index.js") });
  const { parser: _unused, ...withoutParser } = options;
  const vds = await measure(`file reader, worker threads (pool of ${Math.min(8, (await import("node:os")).availableParallelism())}), conc. 16`, FILES, () =>
    core.openVirtualMfdataset(fileUrls, { ...withoutParser, reader: fileReader, parallel: pool, concurrency: 16 }),
  );
  check(vds, FILES);
  await pool.close();
}

// HTTP over loopback with 20–50 ms added to every request (server in its own process)
const serverProcess = spawn(process.execPath, [path.join(here, "latency-server.mjs"), directory], { stdio: ["ignore", "pipe", "inherit"] });
const port = await new Promise((resolve, reject) => {
  serverProcess.stdout.once("data", (data) => resolve(Number(String(data).trim())));
  serverProcess.once("error", reject);
});
const base = `http://127.0.0.1:${port}/`;
const httpReader = new core.HttpReader();
const executorFor = () => core.createInProcessExecutor();
let parsed;
const served = async () => Number(await (await fetch(`${base}__requests`)).text());
for (const [concurrency, files] of [[1, Math.min(HTTP_SERIAL_FILES, FILES)], [16, FILES]]) {
  const urls = names.slice(0, files).map((n) => base + n);
  const before = await served();
  const vds = await measure(`http +20–50 ms, concurrency ${concurrency}`, files, () => core.openVirtualMfdataset(urls, { ...options, reader: httpReader, concurrency }));
  check(vds, files);
  const perFile = Math.round((await served() - before) / files);
  // Control: the same number of sequential 100-byte range requests per file with bare fetch, same concurrency.
  await measure(`  control: bare fetch, ${perFile} requests/file`, files, () =>
    executorFor().map(urls, async (url) => {
      for (let i = 0; i < perFile; i++) await fetch(url, { headers: { range: "bytes=0-99" } }).then((r) => r.arrayBuffer());
    }, { concurrency }),
  );
}
serverProcess.kill();

// Combining already-parsed datasets alone
const datasets = [];
const executor = core.createInProcessExecutor();
await executor.map(fileUrls, async (url, i) => {
  datasets[i] = await core.openVirtualDataset(url, { parser: hdf5, reader: fileReader });
}, { concurrency: 16 });
const shuffled = [...datasets].reverse();
for (const [label, fn] of [
  ["combine only: byCoords (reversed input)", () => core.combineDatasetsByCoords(shuffled, { coords: "minimal", compat: "override", dataVars: "minimal" })],
  ["combine only: nested", () => core.combineDatasetsNested(datasets, "time", { coords: "minimal", compat: "override", dataVars: "minimal" })],
  ["combine only: nested, xarray defaults", () => core.combineDatasetsNested(datasets, "time")],
]) {
  const vds = await measure(label, FILES, async () => fn());
  check(vds, FILES);
}
