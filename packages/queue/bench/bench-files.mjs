// The small netCDF4 files the queue benchmarks virtualize (scale.mjs, hosts.mjs): `count` files of
// one time step (t2m 10×20 float32, zlib, chunks 1×5×10, lat/lon/time coordinates), written once
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
