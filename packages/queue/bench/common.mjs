// Shared pieces of the queue benchmarks (scale.mjs, hosts.mjs): the small netCDF4 files they virtualize
// (`count` files of one time step: t2m 10×20 float32, zlib, chunks 1×5×10, lat/lon/time coordinates, written once
// by netCDF4-python into $TMPDIR/vz-bench-queue-<count> and reused while that folder holds them all.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/** The folder holding `count` benchmark files, generated when missing. */
export function benchFiles(count) {
  const data = path.join(tmpdir(), `vz-bench-queue-${count}`);
  if (existsSync(data) && readdirSync(data).filter((n) => n.endsWith(".nc")).length === count) return data;
  mkdirSync(data, { recursive: true });
  const start = performance.now();
  execFileSync("/usr/bin/python3", [
    "-c",
    `
import sys, numpy as np, netCDF4
d, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    with netCDF4.Dataset(f"{d}/f{i:05d}.nc", "w") as ds:
        ds.createDimension("time", None); ds.createDimension("lat", 10); ds.createDimension("lon", 20)
        t = ds.createVariable("time", "f8", ("time",)); t.units = "hours since 2000-01-01"; t[:] = [i]
        la = ds.createVariable("lat", "f4", ("lat",)); la[:] = np.linspace(-45, 45, 10)
        lo = ds.createVariable("lon", "f4", ("lon",)); lo[:] = np.linspace(0, 190, 20)
        v = ds.createVariable("t2m", "f4", ("time", "lat", "lon"), chunksizes=(1, 5, 10), zlib=True)
        v.units = "K"; v[:] = 270 + np.arange(200, dtype="f4").reshape(1, 10, 20) + i
`,
    data,
    String(count),
  ]);
  console.log(`generated ${count} files in ${data} in ${((performance.now() - start) / 1000).toFixed(1)} s`);
  return data;
}

/** Resolves once `child` has printed `pattern` (stdout or stderr); rejects if it exits first. */
export function waitFor(child, pattern, what) {
  return new Promise((resolve, reject) => {
    let text = "";
    const on = (chunk) => {
      text += chunk;
      if (pattern.test(text)) {
        child.stdout.off("data", on);
        child.stderr.off("data", on);
        child.stdout.resume();
        child.stderr.resume();
        resolve();
      }
    };
    child.stdout.on("data", on);
    child.stderr.on("data", on);
    child.once("exit", (code) => reject(new Error(`${what} exited (${code}): ${text}`)));
  });
}

/** Sends `signal` to `child` and resolves when it has exited (at once if it already has). */
export function stop(child, signal = "SIGTERM") {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", resolve);
    child.kill(signal);
  });
}

/** The median of `values`. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
