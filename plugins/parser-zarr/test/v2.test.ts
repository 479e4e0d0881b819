/**
 * Zarr v2 stores written by Debian's zarr-python 2 / xarray (test/python/make-v2-stores.py):
 * - `vz virtualize cf.zarr --parser zarr -o refs.json` (the CLI, as a child process) gives kerchunk
 *   references that xarray opens identically to `xr.open_zarr(cf.zarr)`, with each array's
 *   compressor and filters unchanged (test/python/compare-xarray.py);
 * - every array of a nested, non-consolidated store reads back through vz's ManifestStore with the
 *   values zarr-python reads, missing chunks staying missing.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { HttpReader, ManifestArray, ManifestGroup } from "@vz/core";
import { FileReader, toUrl } from "@vz/core/node";
import { startRangeServer } from "@vz/core/testing/tools";
import { afterAll, describe, expect, it } from "vitest";
import type * as zarr from "zarrita";
import { createZarrParser } from "../src/index.js";
import { missingPythonModules, readThroughZarrita, runPython, sameValues } from "./helpers.js";

const missing = missingPythonModules(["zarr", "numcodecs", "xarray", "fsspec", "pandas"]);
const skipReason = missing.length > 0 ? `Python modules missing: ${missing.join(", ")}` : false;
const cli = resolve(import.meta.dirname, "../../../apps/cli/dist/bin.js");
const compare = resolve(import.meta.dirname, "python/compare-xarray.py");

interface OracleArray {
  shape: number[];
  dtype: string;
  values: unknown[];
  chunk_files: number;
}
type Oracle = Record<string, Record<string, OracleArray>>;

const work = mkdtempSync(join(tmpdir(), "vz-zarr-v2-"));
let oracle: Oracle = {};
if (!skipReason) {
  runPython([resolve(import.meta.dirname, "python/make-v2-stores.py"), work]);
  oracle = JSON.parse(readFileSync(join(work, "oracle.json"), "utf8")) as Oracle;
}
afterAll(() => rmSync(work, { recursive: true, force: true }));

function runCli(args: string[]): string {
  return execFileSync(process.execPath, [cli, ...args], { cwd: work, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

interface Comparison {
  problems: string[];
  variables: number;
  virtual: string[];
}

describe.skipIf(Boolean(skipReason))(`Zarr v2 from zarr-python 2 / xarray${skipReason ? ` (skipped: ${skipReason})` : ""}`, () => {
  it.skipIf(!existsSync(cli))("vz virtualize cf.zarr --parser zarr: the references open in xarray identical to xr.open_zarr, codecs unchanged", () => {
    runCli(["virtualize", "cf.zarr", "--parser", "zarr", "-o", "refs.json"]);
    const refs = JSON.parse(readFileSync(join(work, "refs.json"), "utf8")) as { refs: Record<string, unknown> };
    // The deleted chunk of temp has no reference; the others point at the store's chunk files.
    expect(refs.refs["temp/2.1.1"]).toBeUndefined();
    expect(refs.refs["temp/2.1.0"]).toEqual([toUrl(join(work, "cf.zarr/temp/2.1.0")), 0, expect.any(Number)]);
    const report = JSON.parse(runPython([compare, join(work, "cf.zarr"), join(work, "refs.json")])) as Comparison;
    expect(report.problems).toEqual([]);
    expect(report.variables).toBe(10);
    expect(report.virtual).toEqual(["count", "elevation", "level", "precip", "site_name", "temp"]);
  });

  it.skipIf(!existsSync(cli))("vz virtualize picks the zarr parser for a directory ending in .zarr", () => {
    runCli(["virtualize", "cf.zarr", "-o", "auto.json"]);
    const report = JSON.parse(runPython([compare, join(work, "cf.zarr"), join(work, "auto.json")])) as Comparison;
    expect(report.problems).toEqual([]);
  });

  it.skipIf(!existsSync(cli))("vz read reads a Zarr store directory (named parser, or found by its root metadata)", () => {
    const lat = JSON.parse(runCli(["read", "cf.zarr", "--parser", "zarr", "--var", "lat", "--json"])) as { values: number[] };
    expect(sameValues(lat.values, oracle["cf.zarr"]!.lat!.values)).toBe(true);
    const deep = JSON.parse(runCli(["read", "tree.zarr", "--var", "g1/g2/deep", "--json"])) as { values: number[]; shape: number[] };
    expect(deep.shape).toEqual([10]);
    expect(sameValues(deep.values, oracle["tree.zarr"]!["g1/g2/deep"]!.values)).toBe(true);
  });

  it("cf.zarr: every array reads back through the ManifestStore with zarr-python's values", async () => {
    const store = await createZarrParser()(toUrl(join(work, "cf.zarr")), new FileReader());
    for (const [path, expected] of Object.entries(oracle["cf.zarr"]!)) {
      const array = store.group.resolve(path) as ManifestArray;
      expect(array, path).toBeInstanceOf(ManifestArray);
      expect(array.manifest.chunkCount, `${path}: chunk references = chunk files`).toBe(expected.chunk_files);
      const { shape, values } = await readThroughZarrita(store as unknown as zarr.Readable, path);
      expect(shape, path).toEqual(expected.shape);
      expect(sameValues(values, expected.values), `${path} values`).toBe(true);
    }
    expect(store.group.attributes).toMatchObject({ title: "vz parser-zarr fixture", version: 3 });
    // The <U9 coordinate is read at parse time and inlined as strings (zarrita cannot decode <U).
    const site = store.group.resolve("site") as ManifestArray;
    expect(site.metadata.data_type).toBe("string");
    expect(site.metadata.codecs).toEqual([{ name: "vlen-utf8" }]);
    expect(site.manifest.get([0])).toHaveProperty("data");
    const kept = await createZarrParser({ fixedLengthStrings: "keep" })(toUrl(join(work, "cf.zarr")), new FileReader());
    expect((kept.group.resolve("site") as ManifestArray).metadata.data_type).toBe("fixed_length_utf32:9");
    const time = store.group.resolve("time") as ManifestArray;
    expect(time.metadata.attributes).toEqual({ units: "days since 2000-01-01", calendar: "proleptic_gregorian" });
    expect(time.metadata.dimension_names).toEqual(["time"]);
    expect(time.metadata.fill_value).toBeNull();
    const temp = store.group.resolve("temp") as ManifestArray;
    expect(temp.metadata.codecs).toEqual([
      { name: "bytes", configuration: { endian: "little" } },
      { name: "numcodecs.blosc", configuration: { blocksize: 0, clevel: 5, cname: "zstd", shuffle: 1 } },
    ]);
    // A numcodecs array filter goes before `bytes` (zarr-python's numcodecs.zarr3 makes it array-to-array).
    expect((store.group.resolve("level") as ManifestArray).metadata.codecs).toEqual([
      { name: "numcodecs.delta", configuration: { dtype: "<i4", astype: "<i4" } },
      { name: "bytes", configuration: { endian: "little" } },
      { name: "numcodecs.zlib", configuration: { level: 1 } },
    ]);
    const precip = store.group.resolve("precip") as ManifestArray;
    expect(precip.metadata.codecs).toEqual([
      { name: "bytes", configuration: { endian: "little" } },
      { name: "numcodecs.shuffle", configuration: { elementsize: 8 } },
      { name: "numcodecs.zlib", configuration: { level: 6 } },
    ]);
  });

  it("tree.zarr (not consolidated): nested groups, both dimension separators, missing chunks, strings, 0-d", async () => {
    const store = await createZarrParser()(toUrl(join(work, "tree.zarr")), new FileReader());
    const groups = [...store.group.walkGroups()].map(([path]) => path).sort();
    expect(groups).toEqual(["", "g1", "g1/g2"]);
    expect(store.group.attributes).toEqual({ title: "tree", levels: [1, 2, 3] });
    expect((store.group.resolve("g1") as ManifestGroup).attributes).toEqual({ name: "first" });
    expect((store.group.resolve("g1/g2") as ManifestGroup).attributes).toEqual({ depth: 2 });
    const arrays = [...store.group.walkArrays()].map(([path]) => path).sort();
    expect(arrays).toEqual(Object.keys(oracle["tree.zarr"]!).sort());
    for (const [path, expected] of Object.entries(oracle["tree.zarr"]!)) {
      const array = store.group.resolve(path) as ManifestArray;
      expect(array.manifest.chunkCount, `${path}: chunk references = chunk files`).toBe(expected.chunk_files);
      const { shape, values } = await readThroughZarrita(store as unknown as zarr.Readable, path);
      expect(shape, path).toEqual(expected.shape);
      expect(sameValues(values, expected.values), `${path} values ${JSON.stringify(values)} vs ${JSON.stringify(expected.values)}`).toBe(true);
    }
    // Missing chunks are missing in the manifest (not references to absent files).
    const a = store.group.resolve("a") as ManifestArray;
    expect(a.manifest.gridSize).toBe(9);
    expect(a.manifest.chunkCount).toBe(3);
    expect(await store.get("a/c/2/0")).toBeUndefined();
    const slashed = store.group.resolve("g1/slashed") as ManifestArray;
    expect(slashed.manifest.get([0, 1])).toBeUndefined();
    expect(slashed.manifest.get([1, 1])).toMatchObject({ url: toUrl(join(work, "tree.zarr/g1/slashed/1/1")), offset: 0 });
    expect(slashed.metadata.codecs[0]).toEqual({ name: "bytes", configuration: { endian: "big" } });
    expect((store.group.resolve("g1/g2/words") as ManifestArray).metadata.data_type).toBe("string");
    expect((store.group.resolve("a") as ManifestArray).metadata.dimension_names).toEqual(["y", "x"]);
  });

  it("group: a sub-group taken as the root", async () => {
    const store = await createZarrParser({ group: "g1" })(toUrl(join(work, "tree.zarr")), new FileReader());
    expect(store.group.attributes).toEqual({ name: "first" });
    expect([...store.group.walkArrays()].map(([path]) => path).sort()).toEqual(["g2/deep", "g2/words", "slashed"]);
    const { values } = await readThroughZarrita(store as unknown as zarr.Readable, "g2/deep");
    expect(sameValues(values, oracle["tree.zarr"]!["g1/g2/deep"]!.values)).toBe(true);
    await expect(createZarrParser({ group: "nope" })(toUrl(join(work, "tree.zarr")), new FileReader())).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("consolidated: false reads every node's own metadata and finds the same arrays", async () => {
    const url = toUrl(join(work, "cf.zarr"));
    const fromConsolidated = await createZarrParser()(url, new FileReader());
    const fromNodes = await createZarrParser({ consolidated: false })(url, new FileReader());
    const describe = (store: typeof fromNodes) =>
      [...store.group.walkArrays()].map(([path, array]) => [path, array.metadata, array.manifest.chunkCount]).sort();
    expect(describe(fromNodes)).toEqual(describe(fromConsolidated));
    await expect(createZarrParser({ consolidated: true })(toUrl(join(work, "tree.zarr")), new FileReader())).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
  });

  it("cf.zarr over HTTP (consolidated .zmetadata, chunks found with HEAD): the same arrays, chunks and values", async () => {
    const server = await startRangeServer({ root: work });
    try {
      const store = await createZarrParser()(`${server.url}/cf.zarr`, new HttpReader());
      for (const [path, expected] of Object.entries(oracle["cf.zarr"]!)) {
        const array = store.group.resolve(path) as ManifestArray;
        expect(array.manifest.chunkCount, `${path}: chunk references = chunk files`).toBe(expected.chunk_files);
        const { values } = await readThroughZarrita(store as unknown as zarr.Readable, path);
        expect(sameValues(values, expected.values), `${path} values`).toBe(true);
      }
      expect((store.group.resolve("temp") as ManifestArray).manifest.get([2, 1, 0])).toMatchObject({ url: `${server.url}/cf.zarr/temp/2.1.0`, offset: 0 });
      expect(server.log.filter((request) => request.method === "HEAD" && request.status === 404).map((request) => request.path)).toContain("/cf.zarr/temp/2.1.1");
    } finally {
      await server.close();
    }
  });

  const netcdf = missingPythonModules(["netCDF4"]);
  it.skipIf(!existsSync(cli) || netcdf.length > 0)(
    `vz virtualize first.zarr second.nc --concat-dim time: a Zarr store and a netCDF4 file combine into references identical to xr.concat${netcdf.length ? " (skipped: netCDF4 missing)" : ""}`,
    () => {
      runPython([resolve(import.meta.dirname, "python/make-combine.py"), join(work, "combine")]);
      runCli(["virtualize", "combine/first.zarr", "combine/second.nc", "--combine", "nested", "--concat-dim", "time", "-o", "combined.json"]);
      const report = JSON.parse(
        runPython([resolve(import.meta.dirname, "python/compare-combined.py"), join(work, "combine/first.zarr"), join(work, "combine/second.nc"), join(work, "combined.json")]),
      ) as { problems: string[]; sizes: Record<string, number> };
      expect(report.problems).toEqual([]);
      expect(report.sizes).toEqual({ time: 8, lat: 6, lon: 8 });
      const refs = JSON.parse(readFileSync(join(work, "combined.json"), "utf8")) as { refs: Record<string, unknown> };
      expect(refs.refs["precip/0.0.0"]).toEqual([toUrl(join(work, "combine/first.zarr/precip/0.0.0")), 0, expect.any(Number)]);
      expect((refs.refs["precip/2.0.0"] as unknown[])[0]).toBe(toUrl(join(work, "combine/second.nc")));
    },
  );
});
