/**
 * `vz read` selections (Python style, checked before reading) and `--decode`, and quoted globs in
 * `vz virtualize`. Oracles: netCDF4-python on the sample for values, xarray's open_mfdataset on
 * the monthly files for the combined time axis (Debian's /usr/bin/python3).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChunkManifestBuilder, createArrayMetadata, decodeCfValues, ManifestArray, ManifestGroup, ManifestStore, MemoryReader } from "@vz/core";
import * as zarr from "zarrita";
import { selectedChunks } from "../src/commands/read.js";
import { joinNegativeValues, parseSelection, toZarritaSelection } from "../src/selection.js";
import { pythonJson, vzIn } from "./cli-helpers.js";

const here = dirname(fileURLToPath(import.meta.url));
const sample = resolve(here, "../../../examples/sample.nc");
const bin = resolve(here, "../dist/bin.js");
const python = "/usr/bin/python3";
const hasPython = existsSync(python) && spawnSync(python, ["-c", "import netCDF4, xarray"]).status === 0;
const work = mkdtempSync(join(tmpdir(), "vz-cli-read-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const vz = vzIn(work);

const py = pythonJson;

/** netCDF4-python's values of sample.nc's `variable` at a numpy index expression. */
function netcdf4(variable: string, index: string, maskAndScale: boolean): unknown[] {
  return py(`import netCDF4, json, numpy as np
with netCDF4.Dataset(${JSON.stringify(sample)}) as ds:
    v = ds.variables[${JSON.stringify(variable)}]
    v.set_auto_maskandscale(${maskAndScale ? "True" : "False"})
    a = np.ma.asarray(v[${index}]).astype("float64")
    print(json.dumps([None if m else float(x) for x, m in zip(np.ravel(a.data), np.ravel(np.ma.getmaskarray(a)))]))`) as unknown[];
}

describe("chunks vz read requests ahead of zarrita", () => {
  // oracle: the chunk keys zarrita itself asks the store for (its indexer), for the same selection
  const shape = [7, 10, 9];
  const chunkShape = [3, 4, 2];
  const grid = shape.map((n, d) => Math.ceil(n / chunkShape[d]!));
  const builder = new ChunkManifestBuilder(grid);
  const file = new Uint8Array(grid.reduce((a, b) => a * b, 1) * 24 * 4);
  let next = 0;
  for (let i = 0; i < grid[0]!; i++) for (let j = 0; j < grid[1]!; j++) for (let k = 0; k < grid[2]!; k++) builder.set([i, j, k], "memory://s/f.bin", (next++) * 96, 96);
  const a = new ManifestArray(createArrayMetadata({ shape, dataType: "int32", chunkShape }), builder.build(), "a");
  const target = { variable: "a", shape };
  async function zarritaChunks(slice: string): Promise<string[]> {
    const store = new ManifestStore(new ManifestGroup({ arrays: { a } }), new MemoryReader().put("memory://s/f.bin", file));
    const asked: string[] = [];
    const recording = { get: (key: string) => (/\/c\//.test(key) && asked.push(key.replace(/^\/?a\/c\//, "")), store.get(key)) };
    const array = await zarr.open.v3(zarr.root(recording).resolve("a"), { kind: "array" });
    await zarr.get(array, toZarritaSelection(parseSelection(slice, target)));
    return asked.sort();
  }
  it.each(["", "1:6,2:9,3:8", "-1,::3,1", "0:7:2,1:10:5,8", "2,3,4", "::4,::4,::2"])("--slice %j: the chunks zarrita reads", async (slice) => {
    const chunks = selectedChunks(parseSelection(slice, target), chunkShape, 10_000)!;
    const keys = chunks.map((c) => c.join("/")).sort();
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toEqual(await zarritaChunks(slice));
  });
  it("gives up past the limit", () => {
    expect(selectedChunks(parseSelection("", target), chunkShape, 44)).toBeUndefined();
    expect(selectedChunks(parseSelection("", target), chunkShape, 45)).toHaveLength(45);
  });
});

describe("selection parsing", () => {
  const target = { variable: "air", shape: [5, 6, 8], dimensionNames: ["time", "lat", "lon"] };
  it("normalises negative indices and bounds, keeps steps, drops indexed dimensions", () => {
    expect(parseSelection("-1,1:-1,::3", target)).toEqual({
      dims: [
        { kind: "index", index: 4 },
        { kind: "slice", start: 1, stop: 5, step: 1 },
        { kind: "slice", start: 0, stop: 8, step: 3 },
      ],
      shape: [4, 3],
    });
    expect(parseSelection(undefined, target).shape).toEqual([5, 6, 8]);
    expect(parseSelection("2", target).shape).toEqual([6, 8]);
  });
  it("refuses out-of-range indices and bounds, empty slices, non-positive steps and extra parts, naming the dimension", () => {
    expect(() => parseSelection("5,0,0", target)).toThrow(/index 5 is out of range for dimension 0 \("time", length 5\)/);
    expect(() => parseSelection("-6", target)).toThrow(/index -6 is out of range/);
    expect(() => parseSelection(":,0:500", target)).toThrow(/stop 500 is out of range for dimension 1 \("lat", length 6\)/);
    expect(() => parseSelection("3:1", target)).toThrow(/selects nothing of dimension 0/);
    expect(() => parseSelection("::0", target)).toThrow(/step 0 .* is not supported/);
    expect(() => parseSelection("::-1", target)).toThrow(/step -1/);
    expect(() => parseSelection("0,0,0,0", target)).toThrow(/4 parts, "air" has 3 dimensions/);
    expect(() => parseSelection("a", target)).toThrow(/index "a" is not an integer/);
  });
  it("joins a negative value to its option so the argument parser accepts it", () => {
    expect(joinNegativeValues(["read", "f", "--slice", "-1,0", "--json"], new Set(["slice"]))).toEqual(["read", "f", "--slice=-1,0", "--json"]);
    expect(joinNegativeValues(["--json", "-h"], new Set(["slice"]))).toEqual(["--json", "-h"]);
  });
  it("decodes CF packing and fill values as xarray does", () => {
    const decoded = decodeCfValues([1, -1, 3], { _FillValue: -1, scale_factor: 0.5, add_offset: 10 });
    expect(Array.from(decoded.values)).toEqual([10.5, NaN, 11.5]);
    expect(decoded.applied).toEqual(["_FillValue", "scale_factor", "add_offset"]);
    expect(decodeCfValues([1, 2], {}).applied).toEqual([]);
  });
});

describe.skipIf(!hasPython)("vz read selections against netCDF4-python", () => {
  it("reads negative indices and steps (both --slice spellings) with the values netCDF4 gives", async () => {
    for (const argv of [["--slice", "-1,1:-1,::3"], ["--slice=-1,1:-1,::3"]]) {
      const result = await vz("read", sample, "--var", "air", ...argv, "--json");
      expect(result.code, result.err).toBe(0);
      const parsed = JSON.parse(result.out) as { variable: string; dtype: string; shape: number[]; values: number[] };
      expect(parsed).toMatchObject({ variable: "air", dtype: "float32", shape: [4, 3] });
      expect(parsed.values).toEqual(netcdf4("air", "-1, 1:-1, ::3", false));
    }
  });

  it("prints variable, dtype and shape for a single value", async () => {
    const result = await vz("read", sample, "--var", "precip", "--slice", "-1,-1,-1");
    expect(result.code).toBe(0);
    const [header, value] = result.out.trim().split("\n");
    expect(header).toBe("precip int16 shape ()");
    expect([Number(value)]).toEqual(netcdf4("precip", "-1, -1, -1", false));
    expect(result.err).toContain("raw stored values: the variable has scale_factor");
  });

  it("--decode applies scale_factor and _FillValue like netCDF4's auto mask and scale", async () => {
    for (const variable of ["precip", "air"]) {
      const result = await vz("read", sample, "--var", variable, "--decode", "--json");
      expect(result.code, result.err).toBe(0);
      const parsed = JSON.parse(result.out) as { dtype: string; values: (number | null)[] };
      const expected = netcdf4(variable, ":", true) as (number | null)[];
      expect(parsed.values.length).toBe(expected.length);
      parsed.values.forEach((v, i) => {
        if (expected[i] === null) expect(v).toBeNull();
        else expect(v).toBeCloseTo(expected[i] as number, 4);
      });
      expect(result.err).toMatch(/^decoded with /);
    }
  });

  it("an out-of-range selection exits 1 with a typed message and no stack trace; a missing --var is a usage error", () => {
    const bad = spawnSync(process.execPath, [bin, "read", sample, "--var", "air", "--slice", "200,0,0"], { encoding: "utf8" });
    expect(bad.status).toBe(1);
    expect(bad.stdout).toBe("");
    expect(bad.stderr).toMatch(/^vz: error \[INVALID_ARGUMENT\]: .*index 200 is out of range for dimension 0 \("time", length 5\)/);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
    const empty = spawnSync(process.execPath, [bin, "read", sample, "--var", "air", "--slice", "5:2"], { encoding: "utf8" });
    expect(empty.status).toBe(1);
    expect(empty.stderr).toContain("selects nothing");
    const noVar = spawnSync(process.execPath, [bin, "read", sample], { encoding: "utf8" });
    expect(noVar.status).toBe(2);
    expect(noVar.stderr).toContain("needs --var");
  });
});

describe.skipIf(!hasPython)("quoted globs in vz virtualize", () => {
  const monthly = join(work, "monthly");
  beforeAll(() => {
    mkdirSync(monthly, { recursive: true });
    // Three monthly files of daily tas, each with its own time units (days since the month's start).
    execFileSync(python, ["-c", `import netCDF4, numpy as np, os
rng = np.random.default_rng(7)
for month, days in ((1, 31), (2, 28), (3, 31)):
    with netCDF4.Dataset(os.path.join(${JSON.stringify(monthly)}, f"tas_2001{month:02d}.nc"), "w") as ds:
        ds.createDimension("time", None); ds.createDimension("lat", 3); ds.createDimension("lon", 4)
        t = ds.createVariable("time", "f8", ("time",)); t.units = f"days since 2001-{month:02d}-01"; t.calendar = "standard"
        t[:] = np.arange(days) + 0.5
        lat = ds.createVariable("lat", "f4", ("lat",)); lat[:] = [10, 20, 30]
        lon = ds.createVariable("lon", "f4", ("lon",)); lon[:] = [0, 90, 180, 270]
        v = ds.createVariable("tas", "f4", ("time", "lat", "lon"), chunksizes=(1, 3, 4), zlib=True)
        v[:] = rng.normal(280, 5, (days, 3, 4)).astype("f4")`]);
  });

  it("expands a quoted glob in sorted order and combines by coordinates across differing time units", async () => {
    const output = join(work, "tas.json");
    const result = await vz("virtualize", join(monthly, "tas_*.nc"), "-o", output);
    expect(result.code, result.err).toBe(0);
    expect(result.err).toContain("3 files");
    const relative = await vz("virtualize", "monthly/tas_2001*.nc", "-o", join(work, "tas-relative.json"), "--concat-dim", "time");
    expect(relative.code, relative.err).toBe(0);
    const check = py(`import xarray as xr, json, glob
orig = xr.open_mfdataset(sorted(glob.glob(${JSON.stringify(join(monthly, "tas_*.nc"))})), combine="by_coords")
out = []
for refs in (${JSON.stringify(output)}, ${JSON.stringify(join(work, "tas-relative.json"))}):
    ds = xr.open_dataset("reference://", engine="zarr", backend_kwargs={"consolidated": False, "storage_options": {"fo": refs}})
    out.append(bool(ds["time"].equals(orig["time"])) and bool(ds["tas"].equals(orig["tas"].compute())))
print(json.dumps(out))`);
    expect(check).toEqual([true, true]);
  });

  it("a glob that matches nothing is a typed NOT_FOUND naming the pattern", async () => {
    const result = await vz("virtualize", join(monthly, "pr_*.nc"), "-o", join(work, "none.json"));
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/\[NOT_FOUND\].*pr_\*\.nc/);
    expect(existsSync(join(work, "none.json"))).toBe(false);
  });
});

const sharedArrays = resolve(here, "../../../../shared/data/hdf5/h5wasm_array.h5");
describe.skipIf(!existsSync(sharedArrays))(`--skip-unsupported in vz inspect (h5wasm_array.h5${existsSync(sharedArrays) ? "" : ": ../shared/data absent, skipped"})`, () => {
  it("fails naming the variable and suggesting --skip-unsupported; with it lists the rest and the skips", async () => {
    const strict = await vz("inspect", sharedArrays);
    expect(strict.code).toBe(1);
    expect(strict.err).toMatch(/\[UNSUPPORTED\].*variable compound/);
    expect(strict.err).toContain("hint: --skip-unsupported");
    const skipped = await vz("inspect", sharedArrays, "--skip-unsupported", "--json");
    expect(skipped.code, skipped.err).toBe(0);
    const report = JSON.parse(skipped.out) as { arrays: { path: string }[]; diagnostics: { variable: string }[] };
    expect(report.diagnostics.map((d) => d.variable).sort()).toEqual(["compound", "float_arr", "string_arr"]);
    // h5py's view of the file: every dataset but the three skipped ones is listed.
    const datasets = py(`import h5py, json
names = []
h5py.File(${JSON.stringify(sharedArrays)}, "r").visititems(lambda n, o: names.append("/" + n) if isinstance(o, h5py.Dataset) else None)
print(json.dumps(sorted(names)))`) as string[];
    expect(report.arrays.map((a) => a.path).sort()).toEqual(datasets.filter((n) => !["/compound", "/float_arr", "/string_arr"].includes(n)));
  });
});
