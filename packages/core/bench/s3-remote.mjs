// The remote cases of ../shared/BENCHMARKS.md through the S3 reader: bench/s3_front.py, a loopback S3 stand-in
// (path style: ListObjectsV2, HEAD, GET with Range; signatures accepted unchecked) with the same latency and
// bandwidth model as ../shared/bench/range_server.py (50 ms per request, 100 MB/s per request), side by side, in the
// same run, with the HTTP cases over range_server.py and the Python peers over HTTP (s3fs is not installed here, so
// no Python peer reads S3). Requests and bytes come from each server's log. Medians of alternating runs.
//   (a) `vz inspect s3://bench/remote.nc --json --parser hdf5`: a ~270 MB netCDF4 file (3 variables x 1,500 chunks
//       written step by step, metadata scattered), as plugins/parser-hdf5/bench/remote-http.mjs; peer h5py through
//       an fsspec HTTP file object (64 KiB and the default 5 MiB blocks).
//   (b) `vz read refs.json --parser kerchunk --var ta --slice 100:400,0:10,0:10` with s3:// chunk URLs (300 chunks
//       of ~50 KB, zlib + shuffle), as apps/cli/bench/remote-read.mjs; peer xarray + fsspec ReferenceFileSystem
//       over HTTP.
// vz signs every S3 request (SigV4, dummy credentials), as it would against a real bucket.
// Run: pnpm build && node packages/core/bench/s3-remote.mjs [runs=3]
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { canImport, python, rangeServer, remoteFile, shared, startLoggedServer, vzBin, work } from "../../../tooling/bench/remote.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const runs = Number(process.argv[2] ?? 3);
const bucket = "bench";

const skip = (why) => {
  console.log(JSON.stringify({ bench: "remote cases through S3", skipped: why }));
  process.exit(0);
};
if (!existsSync(python)) skip(`${python} not found (it runs the S3 stand-in)`);
if (!existsSync(vzBin)) skip(`${vzBin} not built (pnpm build)`);
const haveHttpServer = existsSync(rangeServer);
const haveNetcdf = canImport("netCDF4, numpy");
const havePeerInspect = haveHttpServer && canImport("h5py, fsspec") && existsSync(join(shared, "peer_remote_h5py.py"));
const havePeerRead = haveHttpServer && canImport("xarray, fsspec, zarr");
const notes = [];
if (!haveHttpServer) notes.push(`${shared}/range_server.py not found: no HTTP rows, no Python peers`);
else {
  if (!havePeerInspect) notes.push("h5py/fsspec (or peer_remote_h5py.py) missing: no Python peer for inspect");
  if (!havePeerRead) notes.push("xarray/fsspec/zarr missing: no Python peer for read");
}
notes.push(canImport("s3fs") ? "s3fs is installed but not used: the peers read over HTTP" : "s3fs is not installed: the Python peers read over HTTP, not S3");

const plainFile = remoteFile(false) ?? skip(`${join(work, "remote.nc")} is missing and netCDF4/numpy are not there to write it`);
const zlibFile = remoteFile(true) ?? skip(`${join(work, "remote-zlib.nc")} is missing and netCDF4/numpy are not there to write it`);
const localRefs = join(work, "refs-local.json");
execFileSync(process.execPath, [vzBin, "virtualize", zlibFile, "-o", localRefs], { stdio: "ignore" });

/** Starts the S3 stand-in or the range server; resolves when it has written its port. */
async function startServer(kind) {
  const server = kind === "s3" ? await startLoggedServer({ script: join(here, "s3_front.py"), before: [bucket], tag: kind }) : await startLoggedServer({ tag: kind });
  const { origin } = server;
  const base = kind === "s3" ? `s3://${bucket}/` : `${origin}/`;
  const refs = join(work, `refs-${server.id}.json`);
  writeFileSync(refs, readFileSync(localRefs, "utf8").replaceAll(`file://${work}/`, base));
  return {
    origin,
    base,
    refs,
    env:
      kind === "s3"
        ? { ...process.env, AWS_ENDPOINT_URL_S3: origin, AWS_S3_FORCE_PATH_STYLE: "true", AWS_ACCESS_KEY_ID: "bench", AWS_SECRET_ACCESS_KEY: "bench-secret", AWS_REGION: "us-east-1" }
        : process.env,
    stats: () => server.stats(),
    close() {
      server.close();
      rmSync(refs, { force: true });
    },
  };
}

const chunksOfInspect = (out) => JSON.parse(out).arrays.reduce((n, a) => n + a.chunkCount, 0);
const sumOfRead = (out) => {
  const parsed = JSON.parse(out);
  return parsed.values.reduce((a, b) => a + b, 0);
};
const readPeer = `
import sys, xarray as xr
ds = xr.open_dataset("reference://", engine="zarr", backend_kwargs={"consolidated": False, "storage_options": {"fo": sys.argv[1], "remote_protocol": "http"}})
print(float(ds["ta"][100:400, 0:10, 0:10].values.sum()))
`;
const readArgs = (s) => ["read", s.refs, "--parser", "kerchunk", "--var", "ta", "--slice", "100:400,0:10,0:10", "--json", "--allow", s.base];
const cases = {
  inspect: [
    { name: "vz inspect, S3", server: "s3", command: (s) => [process.execPath, [vzBin, "inspect", `${s.base}remote.nc`, "--json", "--parser", "hdf5"]], result: chunksOfInspect },
    ...(haveHttpServer ? [{ name: "vz inspect, HTTP", server: "http", command: (s) => [process.execPath, [vzBin, "inspect", `${s.base}remote.nc`, "--json", "--parser", "hdf5"]], result: chunksOfInspect }] : []),
    ...(havePeerInspect
      ? [
          { name: "h5py + fsspec HTTP, 64 KiB blocks", server: "http", peer: true, command: (s) => [python, [join(shared, "peer_remote_h5py.py"), `${s.base}remote.nc`, "65536"]], result: Number },
          { name: "h5py + fsspec HTTP, 5 MiB blocks (default)", server: "http", peer: true, command: (s) => [python, [join(shared, "peer_remote_h5py.py"), `${s.base}remote.nc`]], result: Number },
        ]
      : []),
  ],
  read: [
    { name: "vz read, S3", server: "s3", command: (s) => [process.execPath, [vzBin, ...readArgs(s)]], result: sumOfRead },
    ...(haveHttpServer ? [{ name: "vz read, HTTP", server: "http", command: (s) => [process.execPath, [vzBin, ...readArgs(s)]], result: sumOfRead }] : []),
    ...(havePeerRead ? [{ name: "xarray + fsspec ReferenceFileSystem, HTTP", server: "http", peer: true, command: (s) => [python, ["-c", readPeer, s.refs]], result: Number }] : []),
  ],
};

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const load = [loadavg()[0]];
const report = { bench: "remote cases through S3 (loopback S3 stand-in, path style; 50 ms latency, 100 MB/s per request)", runs, notes, cases: {} };
for (const [caseName, contenders] of Object.entries(cases)) {
  const results = new Map();
  for (let r = 0; r < runs; r++) {
    for (const contender of contenders) {
      const server = await startServer(contender.server);
      try {
        const [cmd, args] = contender.command(server);
        const t0 = performance.now();
        const out = execFileSync(cmd, args, { encoding: "utf8", maxBuffer: 256 << 20, env: server.env });
        const seconds = (performance.now() - t0) / 1000;
        const entry = results.get(contender.name) ?? [];
        entry.push({ seconds, result: contender.result(out.trim()), ...server.stats() });
        results.set(contender.name, entry);
      } finally {
        server.close();
      }
    }
    load.push(loadavg()[0]);
  }
  const rows = [...results].map(([name, list]) => ({
    name,
    seconds: Number(median(list.map((x) => x.seconds)).toFixed(2)),
    all: list.map((x) => Number(x.seconds.toFixed(2))),
    requests: median(list.map((x) => x.requests)),
    methods: list[0].methods,
    megabytes: Number((median(list.map((x) => x.bytes)) / 1e6).toFixed(2)),
    result: caseName === "read" ? Number(list[0].result.toFixed(2)) : list[0].result,
  }));
  const s3 = rows.find((r) => r.name.endsWith(", S3"));
  const http = rows.find((r) => r.name.startsWith("vz") && r.name.endsWith(", HTTP"));
  const peers = rows.filter((r) => !r.name.startsWith("vz"));
  const bestPeer = peers.reduce((a, b) => (a && a.seconds <= b.seconds ? a : b), undefined);
  report.cases[caseName] = {
    rows,
    ...(http ? { s3OverHttp: Number((s3.seconds / http.seconds).toFixed(3)) } : {}),
    ...(bestPeer ? { s3OverBestPeer: Number((s3.seconds / bestPeer.seconds).toFixed(3)), bestPeer: bestPeer.name } : {}),
  };
}
report.loadAverage = `${Math.min(...load).toFixed(1)}–${Math.max(...load).toFixed(1)} (1-minute, during the run) on ${cpus().length} cores`;
console.log(JSON.stringify(report, null, 2));
