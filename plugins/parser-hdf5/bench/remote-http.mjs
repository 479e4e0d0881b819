// Remote HDF5/netCDF4 virtualization benchmark (../shared/BENCHMARKS.md, "Remote" row).
// A ~270 MB netCDF4 file (3 variables x 1,500 chunks appended step by step, so its metadata is
// scattered) is served by ../shared/bench/range_server.py on 127.0.0.1 with 50 ms latency per
// request and 100 MB/s; we time `vz inspect URL --json` (whole process) and count requests and
// bytes, side by side with h5py through an fsspec HTTP file object (peer_remote_h5py.py) at 64 KiB
// and fsspec's default 5 MiB blocks. Medians of alternating runs.
// Run: pnpm build && node plugins/parser-hdf5/bench/remote-http.mjs [runs=3]
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "../../..");
const shared = resolve(repo, "../shared/bench");
const python = "/usr/bin/python3";
const runs = Number(process.argv[2] ?? 3);
const work = join(tmpdir(), "vz-bench-remote");
mkdirSync(work, { recursive: true });
const file = join(work, "remote.nc");

if (!existsSync(join(shared, "range_server.py"))) {
  console.log(JSON.stringify({ bench: "hdf5 remote", skipped: `${shared}/range_server.py not found` }));
  process.exit(0);
}
if (!existsSync(file)) {
  console.error("generating", file, "(once)…");
  execFileSync(python, ["-c", `
import netCDF4, numpy as np
with netCDF4.Dataset(${JSON.stringify(file)}, "w", format="NETCDF4") as ds:
    ds.createDimension("time", None); ds.createDimension("y", 100); ds.createDimension("x", 150)
    t = ds.createVariable("time", "f8", ("time",))
    vs = [ds.createVariable(n, "f4", ("time", "y", "x"), chunksizes=(1, 100, 150)) for n in ("a", "b", "c")]
    rng = np.random.default_rng(0)
    for i in range(1500):
        t[i] = i
        for v in vs: v[i] = rng.random((100, 150), dtype="f4")
`], { stdio: "inherit" });
}
const metadataBytes = Number(
  execFileSync(python, ["-c", `
import h5py, os
n = 0
with h5py.File(${JSON.stringify(file)}, "r") as f:
    def visit(name, obj):
        global n
        if isinstance(obj, h5py.Dataset): n += obj.id.get_storage_size()
    f.visititems(visit)
print(os.path.getsize(${JSON.stringify(file)}) - n)
`], { encoding: "utf8" }).trim(),
);

async function startServer() {
  const log = join(work, `log-${Date.now()}-${Math.random()}.txt`);
  const portFile = join(work, `port-${Date.now()}-${Math.random()}.txt`);
  writeFileSync(log, "");
  const server = spawn(python, [join(shared, "range_server.py"), work, log, portFile, "50", "100"], { stdio: "ignore" });
  for (let i = 0; i < 200 && !(existsSync(portFile) && readFileSync(portFile, "utf8").trim()); i++) await new Promise((r) => setTimeout(r, 50));
  const port = readFileSync(portFile, "utf8").trim();
  return {
    url: `http://127.0.0.1:${port}/remote.nc`,
    stats() {
      const lines = readFileSync(log, "utf8").trim().split("\n").filter(Boolean);
      return { requests: lines.length, bytes: lines.reduce((n, l) => n + Number(l.split(" ").pop()), 0) };
    },
    close() {
      server.kill();
      rmSync(log, { force: true });
      rmSync(portFile, { force: true });
    },
  };
}

const vzBin = join(repo, "apps/cli/dist/bin.js");
const contenders = [
  ["vz inspect (whole process)", [process.execPath, vzBin, "inspect", "--json", "--parser", "hdf5"]],
  ["h5py + fsspec, 64 KiB blocks", [python, join(shared, "peer_remote_h5py.py")], "65536"],
  ["h5py + fsspec, 5 MiB blocks (default)", [python, join(shared, "peer_remote_h5py.py")]],
];
const results = new Map();
for (let r = 0; r < runs; r++) {
  for (const [name, argv, extra] of contenders) {
    const cmd = extra ? [...argv] : argv;
    const server = await startServer();
    try {
      const t0 = performance.now();
      const args = name.startsWith("vz") ? [...cmd.slice(1, 3), server.url, ...cmd.slice(3)] : [...cmd.slice(1), server.url, ...(extra ? [extra] : [])];
      const out = execFileSync(cmd[0], args, { encoding: "utf8", maxBuffer: 256 << 20 });
      const seconds = (performance.now() - t0) / 1000;
      let chunks;
      if (name.startsWith("vz")) {
        const report = JSON.parse(out);
        chunks = report.arrays.reduce((n, a) => n + a.chunkCount, 0);
      } else chunks = Number(out.trim());
      const entry = results.get(name) ?? [];
      entry.push({ seconds, chunks, ...server.stats() });
      results.set(name, entry);
    } finally {
      server.close();
    }
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const size = statSync(file).size;
const rows = [...results].map(([name, list]) => ({
  name,
  seconds: Number(median(list.map((x) => x.seconds)).toFixed(2)),
  requests: median(list.map((x) => x.requests)),
  megabytes: Number((median(list.map((x) => x.bytes)) / 1e6).toFixed(2)),
  chunks: list[0].chunks,
}));
const vz = rows[0];
const best = rows.slice(1).reduce((a, b) => (a.seconds < b.seconds ? a : b));
console.log(
  JSON.stringify(
    {
      bench: "hdf5 remote virtualization over HTTP (50 ms latency, 100 MB/s)",
      fileBytes: size,
      metadataBytes,
      runs,
      rows,
      vzOverBestPeerTime: Number((vz.seconds / best.seconds).toFixed(3)),
      vzBytesOverMetadata: Number(((vz.megabytes * 1e6) / metadataBytes).toFixed(2)),
    },
    null,
    2,
  ),
);
