// Remote HDF5/netCDF4 virtualization benchmark (../shared/BENCHMARKS.md, "Remote" row).
// A ~270 MB netCDF4 file (3 variables x 1,500 chunks appended step by step, so its metadata is
// scattered) is served by ../shared/bench/range_server.py on 127.0.0.1 with 50 ms latency per
// request and 100 MB/s; we time `vz inspect URL --json` (whole process) and count requests and
// bytes, side by side with h5py through an fsspec HTTP file object (peer_remote_h5py.py) at 64 KiB
// and fsspec's default 5 MiB blocks. Medians of alternating runs.
// Run: pnpm build && node plugins/parser-hdf5/bench/remote-http.mjs [runs=3]
import { execFileSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { python, rangeServer, remoteFile, repo, shared, startLoggedServer, work } from "../../../tooling/bench/remote.mjs";

const runs = Number(process.argv[2] ?? 3);

if (!existsSync(rangeServer)) {
  console.log(JSON.stringify({ bench: "hdf5 remote", skipped: `${shared}/range_server.py not found` }));
  process.exit(0);
}
const file = remoteFile(false);
if (!file) {
  console.log(JSON.stringify({ bench: "hdf5 remote", skipped: `${join(work, "remote.nc")} is missing and netCDF4/numpy are not there to write it` }));
  process.exit(0);
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
  const server = await startLoggedServer();
  return { url: `${server.origin}/remote.nc`, stats: () => server.stats(), close: () => server.close() };
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
