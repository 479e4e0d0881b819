// Read through refs over HTTP (../shared/BENCHMARKS.md, "Read through refs" row): a ~230 MB netCDF4 file
// (3 variables x 1,500 chunks of 100 x 150 float32, zlib + shuffle, ~50 KB each) served by
// ../shared/bench/range_server.py on 127.0.0.1 with 50 ms latency per request and 100 MB/s. Times, whole
// process, `vz read refs.json --parser kerchunk --var ta --slice 100:400,0:10,0:10` (300 chunks) side by side
// with xarray + fsspec ReferenceFileSystem + zarr reading the same refs; requests and bytes from the server's
// log. Medians of alternating runs.
// Run: pnpm build && node apps/cli/bench/remote-read.mjs [runs=3]
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "../../..");
const shared = resolve(repo, "../shared/bench");
const python = "/usr/bin/python3";
const runs = Number(process.argv[2] ?? 3);
const work = join(tmpdir(), "vz-bench-remote");
mkdirSync(work, { recursive: true });
const file = join(work, "remote-zlib.nc");
const vzBin = join(repo, "apps/cli/dist/bin.js");

const skip = (why) => {
  console.log(JSON.stringify({ bench: "read through refs", skipped: why }));
  process.exit(0);
};
if (!existsSync(join(shared, "range_server.py"))) skip(`${shared}/range_server.py not found`);
if (!existsSync(python)) skip(`${python} not found (it runs the range server)`);
const canImport = (modules) => {
  try {
    execFileSync(python, ["-c", `import ${modules}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
};
const havePeer = canImport("xarray, fsspec, zarr");
if (!existsSync(file)) {
  if (!canImport("netCDF4, numpy")) skip(`${file} is missing and netCDF4/numpy are not there to write it`);
  console.error("generating", file, "(once)…");
  execFileSync(python, ["-c", `
import netCDF4, numpy as np
with netCDF4.Dataset(${JSON.stringify(file)}, "w", format="NETCDF4") as ds:
    ds.createDimension("time", None); ds.createDimension("y", 100); ds.createDimension("x", 150)
    t = ds.createVariable("time", "f8", ("time",))
    vs = [ds.createVariable(n, "f4", ("time", "y", "x"), chunksizes=(1, 100, 150), zlib=True, shuffle=True, complevel=1) for n in ("ta", "ua", "va")]
    rng = np.random.default_rng(0)
    for i in range(1500):
        t[i] = i
        for v in vs: v[i] = rng.random((100, 150), dtype="f4")
`], { stdio: "inherit" });
}
const localRefs = join(work, "refs-local.json");
execFileSync(process.execPath, [vzBin, "virtualize", file, "-o", localRefs], { stdio: "ignore" });

const peer = `
import sys, xarray as xr
ds = xr.open_dataset("reference://", engine="zarr", backend_kwargs={"consolidated": False, "storage_options": {"fo": sys.argv[1], "remote_protocol": "http"}})
v = ds["ta"][100:400, 0:10, 0:10].values
print(float(v.sum()))
`;

async function startServer() {
  const log = join(work, `log-${Date.now()}-${Math.random()}.txt`);
  const portFile = join(work, `port-${Date.now()}-${Math.random()}.txt`);
  writeFileSync(log, "");
  const server = spawn(python, [join(shared, "range_server.py"), work, log, portFile, "50", "100"], { stdio: "ignore" });
  for (let i = 0; i < 200 && !(existsSync(portFile) && readFileSync(portFile, "utf8").trim()); i++) await new Promise((r) => setTimeout(r, 50));
  const port = readFileSync(portFile, "utf8").trim();
  const base = `http://127.0.0.1:${port}/`;
  const refs = join(work, `refs-${port}.json`);
  writeFileSync(refs, readFileSync(localRefs, "utf8").replaceAll(`file://${work}/`, base));
  return {
    base,
    refs,
    stats() {
      const lines = readFileSync(log, "utf8").trim().split("\n").filter(Boolean);
      return { requests: lines.length, bytes: lines.reduce((n, l) => n + Number(l.split(" ").pop()), 0) };
    },
    close() {
      server.kill();
      for (const f of [log, portFile, refs]) rmSync(f, { force: true });
    },
  };
}

const contenders = {
  "vz read (whole process)": (s) => [process.execPath, [vzBin, "read", s.refs, "--parser", "kerchunk", "--var", "ta", "--slice", "100:400,0:10,0:10", "--json", "--allow", s.base]],
  ...(havePeer ? { "xarray + fsspec ReferenceFileSystem": (s) => [python, ["-c", peer, s.refs]] } : {}),
};
const load = [loadavg()[0]];
const results = new Map();
const sums = new Map();
for (let r = 0; r < runs; r++) {
  for (const [name, command] of Object.entries(contenders)) {
    const server = await startServer();
    try {
      const [cmd, args] = command(server);
      const t0 = performance.now();
      const out = execFileSync(cmd, args, { encoding: "utf8", maxBuffer: 256 << 20 });
      const seconds = (performance.now() - t0) / 1000;
      if (name.startsWith("vz")) {
        const parsed = JSON.parse(out);
        const data = parsed.data ?? parsed.values;
        sums.set(name, Array.isArray(data) ? data.flat(Infinity).reduce((a, b) => a + b, 0) : undefined);
      } else sums.set(name, Number(out.trim()));
      const entry = results.get(name) ?? [];
      entry.push({ seconds, ...server.stats() });
      results.set(name, entry);
    } finally {
      server.close();
    }
  }
  load.push(loadavg()[0]);
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [...results].map(([name, list]) => ({
  name,
  seconds: Number(median(list.map((x) => x.seconds)).toFixed(2)),
  all: list.map((x) => Number(x.seconds.toFixed(2))),
  requests: median(list.map((x) => x.requests)),
  megabytes: Number((median(list.map((x) => x.bytes)) / 1e6).toFixed(2)),
  sum: sums.get(name),
}));
console.log(
  JSON.stringify(
    {
      bench: "read 300 chunks through kerchunk refs over HTTP (50 ms latency, 100 MB/s)",
      runs,
      rows,
      ...(havePeer ? { vzOverPeer: Number((rows[0].seconds / rows[1].seconds).toFixed(3)) } : { peer: "skipped: xarray/fsspec/zarr not importable by " + python }),
      loadAverage: `${Math.min(...load).toFixed(1)}–${Math.max(...load).toFixed(1)} (1-minute, during the run) on ${cpus().length} cores`,
    },
    null,
    2,
  ),
);
