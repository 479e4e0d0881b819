// Shared pieces of the remote benchmarks (plugins/parser-hdf5/bench/remote-http.mjs,
// apps/cli/bench/remote-read.mjs, packages/core/bench/s3-remote.mjs): where things are, the
// bench files (written once by netCDF4-python into $TMPDIR/vz-bench-remote), and a logged server
// process — ../shared/bench/range_server.py or another script with the same arguments and log
// format — with 50 ms latency and 100 MB/s per request.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const python = "/usr/bin/python3";
export const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const shared = resolve(repo, "../shared/bench");
export const work = join(tmpdir(), "vz-bench-remote");
export const vzBin = join(repo, "apps/cli/dist/bin.js");
export const rangeServer = join(shared, "range_server.py");
mkdirSync(work, { recursive: true });

/** Whether Debian's Python imports `modules` (a comma-separated list). */
export function canImport(modules) {
  try {
    execFileSync(python, ["-c", `import ${modules}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/**
 * The ~240 MB bench file: 1,500 time steps of three 100×150 float32 variables in chunks of one
 * step, `remote-zlib.nc` (ta/ua/va, zlib + shuffle) or `remote.nc` (a/b/c, uncompressed).
 * Written once; returns its path, or undefined when it is missing and netCDF4/numpy are not there.
 */
export function remoteFile(compressed) {
  const file = join(work, compressed ? "remote-zlib.nc" : "remote.nc");
  if (existsSync(file)) return file;
  if (!canImport("netCDF4, numpy")) return undefined;
  console.error("generating", file, "(once)…");
  const names = compressed ? '("ta", "ua", "va")' : '("a", "b", "c")';
  const filters = compressed ? ", zlib=True, shuffle=True, complevel=1" : "";
  execFileSync(python, ["-c", `
import netCDF4, numpy as np
with netCDF4.Dataset(${JSON.stringify(file)}, "w", format="NETCDF4") as ds:
    ds.createDimension("time", None); ds.createDimension("y", 100); ds.createDimension("x", 150)
    t = ds.createVariable("time", "f8", ("time",))
    vs = [ds.createVariable(n, "f4", ("time", "y", "x"), chunksizes=(1, 100, 150)${filters}) for n in ${names}]
    rng = np.random.default_rng(0)
    for i in range(1500):
        t[i] = i
        for v in vs: v[i] = rng.random((100, 150), dtype="f4")
`], { stdio: "inherit" });
  return file;
}

/**
 * Starts `script` (default range_server.py) serving `work` with 50 ms latency and 100 MB/s:
 * `python script [...before] LOG PORTFILE 50 100` after `root` — range_server.py takes
 * `ROOT LOG PORTFILE`, the S3 stand-in `ROOT BUCKET LOG PORTFILE` (pass `before: [bucket]`).
 * Resolves once it has written its port; `stats()` counts the logged requests, bytes and methods.
 */
export async function startLoggedServer({ script = rangeServer, before = [], tag = "http" } = {}) {
  const id = `${tag}-${Date.now()}-${Math.random()}`;
  const log = join(work, `log-${id}.txt`);
  const portFile = join(work, `port-${id}.txt`);
  writeFileSync(log, "");
  const server = spawn(python, [script, work, ...before, log, portFile, "50", "100"], { stdio: "ignore" });
  for (let i = 0; i < 200 && !(existsSync(portFile) && readFileSync(portFile, "utf8").trim()); i++) await new Promise((r) => setTimeout(r, 50));
  const port = existsSync(portFile) ? readFileSync(portFile, "utf8").trim() : "";
  if (!port) {
    server.kill();
    throw new Error(`${script} did not start`);
  }
  return {
    id,
    origin: `http://127.0.0.1:${port}`,
    stats() {
      const lines = readFileSync(log, "utf8").trim().split("\n").filter(Boolean);
      const methods = {};
      for (const l of lines) methods[l.split(" ")[0]] = (methods[l.split(" ")[0]] ?? 0) + 1;
      return { requests: lines.length, bytes: lines.reduce((n, l) => n + Number(l.split(" ").pop()), 0), methods };
    },
    close() {
      server.kill();
      for (const f of [log, portFile]) rmSync(f, { force: true });
    },
  };
}
