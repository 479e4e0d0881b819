/**
 * Interop suite: for every netCDF4/HDF5 file in ../shared/data that vz virtualizes, the kerchunk
 * JSON written by `vz virtualize` opens in Python (fsspec reference filesystem + zarr, and xarray)
 * with values identical to reading the original with h5py and with xarray's netcdf4 engine.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { run } from "../src/main.js";

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, "../../..");
const dataDir = resolve(repoRoot, "../shared/data");
const python = "/usr/bin/python3";
const script = join(here, "interop", "compare_refs.py");

function pythonReady(): string | undefined {
  if (!existsSync(python)) return `${python} not found`;
  const probe = spawnSync(python, ["-c", "import xarray, fsspec, zarr, h5py, netCDF4"], { encoding: "utf8" });
  return probe.status === 0 ? undefined : `Debian python3-xarray/fsspec/zarr/h5py/netcdf4 missing: ${probe.stderr.trim()}`;
}

const skipReason = !existsSync(dataDir) ? `shared data not found at ${dataDir}` : pythonReady();
const files = skipReason
  ? []
  : ["netcdf4", "hdf5", "hdf5_debian"].flatMap((folder) =>
      readdirSync(join(dataDir, folder))
        .filter((name) => !name.endsWith(".json"))
        .map((name) => join(folder, name)),
    );

interface Comparison {
  arrays: { path: string; ok: boolean; reason: string }[];
  xarray: { group: string; variable: string; ok: boolean; reason: string }[];
  xarray_skipped?: string;
}

describe.skipIf(Boolean(skipReason))(`interop: vz kerchunk JSON opens in xarray${skipReason ? ` (skipped: ${skipReason})` : ""}`, () => {
  const work = mkdtempSync(join(tmpdir(), "vz-interop-"));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it.each(files)("%s", async (file) => {
    const source = join(dataDir, file);
    const output = join(work, `${file.replace(/\//g, "_")}.json`);
    let stderr = "";
    const code = await run(["virtualize", source, "-o", output, "--parser", "hdf5", "--skip-unsupported", "--loadable", ""], {
      out: () => {},
      err: (text) => {
        stderr += text;
      },
    });
    if (code !== 0) {
      // A file vz refuses as a whole must say why with a typed error naming the file.
      expect(stderr).toMatch(/^vz: error \[[A-Z_]+\]: /m);
      expect(stderr).toContain(file.split("/").pop()!);
      return;
    }
    const skipped = new Set([...stderr.matchAll(/^skipped (\S+):/gm)].map((m) => m[1]!.replace(/^\//, "")));
    const stdout = execFileSync(python, [script, output, source, "hdf5"], { encoding: "utf8", maxBuffer: 64 << 20, env: { ...process.env, PYTHONUTF8: "1" } });
    const result = JSON.parse(stdout) as Comparison;
    const failures = [
      ...result.arrays.filter((a) => !a.ok).map((a) => `${file}: array ${a.path}: ${a.reason}`),
      ...result.xarray
        .filter((v) => !v.ok && !skipped.has(v.variable))
        .map((v) => `${file}: xarray variable ${v.variable}: ${v.reason}`),
    ];
    expect(failures).toEqual([]);
    if (file.startsWith("netcdf4/")) {
      // netCDF-4 files are compared through xarray too (skipped only when netCDF4-python itself cannot open them)
      expect(result.xarray_skipped ?? "").not.toContain("not a netCDF-4 file");
    }
  });
});
