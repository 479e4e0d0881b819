/**
 * openVirtualMfdataset with the real HDF5 parser: files split along time and into 2×2 lat/lon
 * tiles (written at test time by netCDF4-python, test/mfdataset-fixtures.py) are recombined with
 * combine "nested" and "byCoords". Oracles: h5py's chunk byte offsets of every piece (the
 * expected combined manifest), the whole file's metadata as vz virtualizes it, and the whole
 * file's values written by numpy (compared through zarrita over the combined manifest).
 * With /work/shared/data/netcdf4/air.nc present, the same for pieces xarray cut from it, whose
 * time units differ per piece.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  ChunkManifestBuilder,
  isVzError,
  LoadedArray,
  type ManifestArray,
  ManifestGroup,
  ManifestStore,
  openVirtualDataset,
  openVirtualMfdataset,
  type VirtualDataset,
} from "@vz/core";
import { registerCodecs } from "@vz/core/codecs";
import { createThreadPool, FileReader, toUrl } from "@vz/core/node";
import * as zarr from "zarrita";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import hdf5Plugin from "../src/index.js";

const PYTHON = "/usr/bin/python3";
const PARSER_MODULE = path.resolve(import.meta.dirname, "../dist/index.js");
const CLI_DIR = path.resolve(import.meta.dirname, "../../../apps/cli");
const SHARED_AIR = path.resolve(import.meta.dirname, "../../..", "../shared/data/netcdf4/air.nc");

function canGenerate(): boolean {
  if (!existsSync(PYTHON)) return false;
  try {
    execFileSync(PYTHON, ["-c", "import h5py, netCDF4, numpy"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const CAN_GENERATE = canGenerate();
const HAS_AIR = CAN_GENERATE && existsSync(SHARED_AIR);

interface Oracle {
  pieces: Record<string, { origin: number[]; chunks: [number[], number, number][] }>;
  times: number[];
  air_nc?: { dtype: string; shape: number[]; times: number[]; units: string; times_in_last_units: number[] };
}

let directory = "";
let oracle: Oracle;
const reader = new FileReader();
const url = (name: string) => toUrl(path.join(directory, name));
const common = { reader, parser: hdf5Plugin, dataVars: "minimal", coords: "minimal", compat: "override" } as const;

/** The combined manifest h5py's chunk offsets predict for `pieces`, on a grid of `grid` chunks of `chunks`. */
function expectedManifest(pieces: string[], grid: number[], chunks: number[]) {
  const builder = new ChunkManifestBuilder(grid);
  for (const name of pieces) {
    const piece = oracle.pieces[name]!;
    for (const [offset, byteOffset, size] of piece.chunks) {
      builder.set(offset.map((o, d) => (piece.origin[d]! + o) / chunks[d]!), url(name), byteOffset, size);
    }
  }
  return builder.build();
}

async function readValues(array: ManifestArray): Promise<ArrayLike<number>> {
  await registerCodecs();
  const store = new ManifestStore(new ManifestGroup({ arrays: { v: array } }), reader);
  const opened = await zarr.open.v3(zarr.root(store as unknown as zarr.Readable).resolve("v"), { kind: "array" });
  return (await zarr.get(opened)).data as ArrayLike<number>;
}

function air(vds: VirtualDataset): ManifestArray {
  return vds.variables.get("air")!.data as ManifestArray;
}

function loaded(vds: VirtualDataset, name: string): number[] {
  return Array.from((vds.variables.get(name)!.data as LoadedArray).values as ArrayLike<number>, Number);
}

describe.skipIf(!CAN_GENERATE)("openVirtualMfdataset with @vz/parser-hdf5 (needs /usr/bin/python3 with h5py, netCDF4)", () => {
  let whole: VirtualDataset;
  let wholeValues: Float32Array;

  beforeAll(async () => {
    directory = mkdtempSync(path.join(tmpdir(), "vz-mfdataset-"));
    execFileSync(PYTHON, [path.join(import.meta.dirname, "mfdataset-fixtures.py"), directory, HAS_AIR ? SHARED_AIR : ""], { stdio: "pipe" });
    oracle = JSON.parse(readFileSync(path.join(directory, "oracle.json"), "utf8")) as Oracle;
    whole = await openVirtualDataset(url("whole.nc"), { reader, parser: hdf5Plugin });
    wholeValues = new Float32Array(readFileSync(path.join(directory, "whole-air.bin")).buffer.slice(0));
  }, 120_000);
  afterAll(() => {
    if (directory) rmSync(directory, { recursive: true, force: true });
  });

  function expectLikeWhole(combined: ManifestArray): void {
    const reference = air(whole);
    expect(combined.shape).toEqual(reference.shape);
    expect(combined.chunks).toEqual(reference.chunks);
    expect(combined.dataType).toBe(reference.dataType);
    expect(combined.metadata.codecs).toEqual(reference.metadata.codecs);
    expect(combined.metadata.fill_value).toEqual(reference.metadata.fill_value);
  }

  it("recombines 4 time pieces (nested and byCoords) into the manifest h5py predicts, with the whole file's values", async () => {
    const pieces = [0, 1, 2, 3].map((k) => `time-${k}.nc`);
    const nested = await openVirtualMfdataset(pieces.map(url), { ...common, combine: "nested", concatDim: "time" });
    const byCoords = await openVirtualMfdataset(url("time-*.nc"), common);
    const expected = expectedManifest(pieces, [8, 2, 2], [6, 4, 6]);
    expect(air(nested).manifest.equals(expected)).toBe(true);
    expect(air(byCoords).manifest.equals(expected)).toBe(true);
    expectLikeWhole(air(nested));
    expect(loaded(nested, "time")).toEqual(oracle.times);
    expect(loaded(byCoords, "time")).toEqual(loaded(whole, "time"));
    expect(loaded(nested, "lat")).toEqual(loaded(whole, "lat"));
    expect(Array.from(await readValues(air(byCoords)))).toEqual(Array.from(wholeValues));
    // the mask (no time dimension) is the first piece's, as compat "override" asks
    expect((nested.variables.get("mask")!.data as ManifestArray).manifest.urls).toEqual([url("time-0.nc")]);
  });

  it("re-encodes time units that differ per piece to the first piece's units", async () => {
    const pieces = [3, 1, 0, 2].map((k) => url(`units-${k}.nc`));
    const vds = await openVirtualMfdataset(pieces, common);
    expect(vds.variables.get("time")!.attrs.units).toBe("hours since 2000-01-04");
    expect(loaded(vds, "time")).toEqual(oracle.times.map((t) => t - 72));
    const ordered = await openVirtualMfdataset(url("units-*.nc"), common);
    expect(ordered.variables.get("time")!.attrs.units).toBe("hours since 2000-01-01");
    expect(loaded(ordered, "time")).toEqual(oracle.times);
    expect(air(ordered).manifest.equals(expectedManifest([0, 1, 2, 3].map((k) => `units-${k}.nc`), [8, 2, 2], [6, 4, 6]))).toBe(true);
  });

  it("recombines 2×2 lat/lon tiles (nested and byCoords)", async () => {
    const tiles = ["tile-00.nc", "tile-01.nc", "tile-10.nc", "tile-11.nc"];
    const nested = await openVirtualMfdataset(
      [[url(tiles[0]!), url(tiles[1]!)], [url(tiles[2]!), url(tiles[3]!)]],
      { ...common, combine: "nested", concatDim: ["lat", "lon"] },
    );
    const byCoords = await openVirtualMfdataset(url("tile-*.nc"), common);
    const expected = expectedManifest(tiles, [8, 2, 2], [6, 4, 6]);
    expect(air(nested).manifest.equals(expected)).toBe(true);
    expect(air(byCoords).manifest.equals(expected)).toBe(true);
    expectLikeWhole(air(byCoords));
    expect(loaded(byCoords, "lat")).toEqual(loaded(whole, "lat"));
    expect(loaded(byCoords, "lon")).toEqual(loaded(whole, "lon"));
    expect(Array.from(await readValues(air(nested)))).toEqual(Array.from(wholeValues));
  });

  it("refuses pieces that overlap or whose chunks do not align, naming the files", async () => {
    let error: unknown;
    try {
      await openVirtualMfdataset([url("time-0.nc"), url("time-1.nc"), url("time-0.nc")], common);
    } catch (caught) {
      error = caught;
    }
    expect(isVzError(error, "CONCAT_FAILED")).toBe(true);
    expect((error as Error).message).toMatch(/dataset 0 \(file:.*time-0\.nc\) and dataset 2 \(file:.*time-0\.nc\) start at the same coordinate values along "time"/);
    error = undefined;
    try {
      await openVirtualMfdataset([url("time-0.nc"), url("tile-00.nc")], { ...common, combine: "nested", concatDim: "time" });
    } catch (caught) {
      error = caught;
    }
    expect(isVzError(error, "CONCAT_FAILED")).toBe(true);
    expect((error as Error).message).toMatch(/index "lat" differs between dataset 0 \(file:.*time-0\.nc\) and dataset 1 \(file:.*tile-00\.nc\)/);
  });

  it.skipIf(!existsSync(PARSER_MODULE))("parses in worker threads (parser module, or by name discovered in the workers) with the same manifests", async () => {
    const pieces = [0, 1, 2, 3].map((k) => url(`time-${k}.nc`));
    const expected = expectedManifest([0, 1, 2, 3].map((k) => `time-${k}.nc`), [8, 2, 2], [6, 4, 6]);
    const { parser: _inProcess, ...withoutParser } = common;
    void _inProcess;
    const pool = createThreadPool({ size: 2, parserModule: PARSER_MODULE });
    try {
      const vds = await openVirtualMfdataset(pieces, { ...withoutParser, parallel: pool, concurrency: 4 });
      expect(air(vds).manifest.equals(expected)).toBe(true);
      expect(loaded(vds, "time")).toEqual(oracle.times);
      expect(Array.from(await readValues(air(vds)))).toEqual(Array.from(wholeValues));
      // an error inside a worker comes back typed and names the file
      writeFileSync(path.join(directory, "broken.nc"), new Uint8Array([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a, 9, 9, 9]));
      let error: unknown;
      try {
        await openVirtualMfdataset([...pieces, url("broken.nc")], { ...withoutParser, parallel: pool });
      } catch (caught) {
        error = caught;
      }
      expect(isVzError(error)).toBe(true);
      expect((error as Error).message).toMatch(/^file 5 of 5 \(file:.*broken\.nc\): /);
    } finally {
      await pool.close();
    }
    if (existsSync(path.join(CLI_DIR, "node_modules/@vz/parser-hdf5"))) {
      const named = createThreadPool({ size: 1, parser: "hdf5", discoverFrom: [CLI_DIR] });
      try {
        const vds = await openVirtualMfdataset(pieces, { ...withoutParser, parallel: named });
        expect(air(vds).manifest.equals(expected)).toBe(true);
      } finally {
        await named.close();
      }
      const cwd = process.cwd();
      process.chdir(CLI_DIR);
      try {
        const vds = await openVirtualMfdataset(pieces, { ...withoutParser, parser: "hdf5", parallel: "threads", concurrency: 2 });
        expect(air(vds).manifest.equals(expected)).toBe(true);
      } finally {
        process.chdir(cwd);
      }
    }
  });

  it.skipIf(!HAS_AIR)("recombines air.nc cut by xarray into 4 pieces whose time units differ (shared data)", async () => {
    const facts = oracle.air_nc!;
    const reference = await openVirtualDataset(toUrl(SHARED_AIR), { reader, parser: hdf5Plugin });
    for (const combine of ["nested", "byCoords"] as const) {
      const pieces = [0, 1, 2, 3].map((k) => url(`air-${k}.nc`));
      const vds = await openVirtualMfdataset(combine === "nested" ? pieces : [...pieces].reverse(), {
        ...common,
        ...(combine === "nested" ? { combine, concatDim: "time" } : {}),
      });
      expect(air(vds).manifest.equals(expectedManifest([0, 1, 2, 3].map((k) => `air-${k}.nc`), [4, 1, 1], [31, 11, 21]))).toBe(true);
      expect(air(vds).shape).toEqual(facts.shape);
      expect(vds.variables.get("time")!.attrs.units).toBe(combine === "nested" ? facts.units : "hours since 2013-01-04 00:00:00");
      if (combine === "nested") expect(loaded(vds, "time")).toEqual(facts.times);
      else expect(loaded(vds, "time")).toEqual(facts.times_in_last_units);
      expect(air(vds).metadata.attributes.scale_factor).toEqual(air(reference).metadata.attributes.scale_factor);
      const raw = readFileSync(path.join(directory, "air-whole.bin"));
      const expected = new Int16Array(raw.buffer, raw.byteOffset, raw.length / 2);
      expect(Array.from(await readValues(air(vds)))).toEqual(Array.from(expected));
    }
  });

  it.skipIf(!HAS_AIR)("the recombined air.nc, written as kerchunk JSON, opens in Python xarray identical to the original file", async () => {
    const { writeKerchunk } = await import("@vz/core/node");
    for (const combine of ["nested", "byCoords"] as const) {
      const pieces = [0, 1, 2, 3].map((k) => url(`air-${k}.nc`));
      const vds = await openVirtualMfdataset(combine === "nested" ? pieces : [...pieces].reverse(), {
        ...common,
        ...(combine === "nested" ? { combine, concatDim: "time" } : {}),
      });
      const refs = path.join(directory, `air-${combine}.json`);
      await writeKerchunk(vds, refs);
      const script = `import xarray as xr, numpy as np, sys
ds = xr.open_dataset("reference://", engine="zarr", backend_kwargs={"consolidated": False, "storage_options": {"fo": sys.argv[1]}})
orig = xr.open_dataset(sys.argv[2])
assert ds.air.dims == orig.air.dims, (ds.air.dims, orig.air.dims)
np.testing.assert_array_equal(ds.time.values, orig.time.values)
np.testing.assert_array_equal(ds.air.values, orig.air.values)
raw = xr.open_dataset("reference://", engine="zarr", decode_cf=False, backend_kwargs={"consolidated": False, "storage_options": {"fo": sys.argv[1]}})
np.testing.assert_array_equal(raw.air.values, xr.open_dataset(sys.argv[2], decode_cf=False).air.values)
print("ok", ds.air.shape)`;
      const out = execFileSync(PYTHON, ["-c", script, refs, SHARED_AIR], { encoding: "utf8", env: { ...process.env, PYTHONUTF8: "1" } });
      expect(out.trim()).toBe(`ok (${oracle.air_nc!.shape.join(", ")})`);
    }
  });
});

describe.skipIf(CAN_GENERATE)("openVirtualMfdataset with @vz/parser-hdf5", () => {
  it.skip("skipped: /usr/bin/python3 with h5py and netCDF4 is needed to generate the split files", () => {});
});
