// Read through refs over HTTP (../shared/BENCHMARKS.md, "Read through refs" row): a ~230 MB netCDF4 file
// (3 variables x 1,500 chunks of 100 x 150 float32, zlib + shuffle, ~50 KB each) served by
// ../shared/bench/range_server.py on 127.0.0.1 with 50 ms latency per request and 100 MB/s. Times, whole
// process, `vz read refs.json --parser kerchunk --var ta --slice 100:400,0:10,0:10` (300 chunks) side by side
// with xarray + fsspec ReferenceFileSystem + zarr reading the same refs; requests and bytes from the server's
// log. Medians of alternating runs.
// Run: pnpm build && node apps/cli/bench/remote-read.mjs [runs=3]
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { canImport, python, rangeServer, remoteFile, shared, startLoggedServer, vzBin, work } from "../../../tooling/bench/remote.mjs";

const runs = Number(process.argv[2] ?? 3);

const skip = (why) => {
  console.log(JSON.stringify({ bench: "read through refs", skipped: why }));
  process.exit(0);
};
if (!existsSync(rangeServer)) skip(`${shared}/range_server.py not found`);
if (!existsSync(python)) skip(`${python} not found (it runs the range server)`);
const havePeer = canImport("xarray, fsspec, zarr");
const file = remoteFile(true) ?? skip(`${join(work, "remote-zlib.nc")} is missing and netCDF4/numpy are not there to write it`);
const localRefs = join(work, "refs-local.json");
execFileSync(process.execPath, [vzBin, "virtualize", file, "-o", localRefs], { stdio: "ignore" });

const peer = `
import sys, xarray as xr
ds = xr.open_dataset("reference://", engine="zarr", backend_kwargs={"consolidated": False, "storage_options": {"fo": sys.argv[1], "remote_protocol": "http"}})
v = ds["ta"][100:400, 0:10, 0:10].values
print(float(v.sum()))
`;

async function startServer() {
  const server = await startLoggedServer();
  const base = `${server.origin}/`;
  const refs = join(work, `refs-${server.id}.json`);
  writeFileSync(refs, readFileSync(localRefs, "utf8").replaceAll(`file://${work}/`, base));
  return {
    base,
    refs,
    stats: () => server.stats(),
    close() {
      server.close();
      rmSync(refs, { force: true });
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
