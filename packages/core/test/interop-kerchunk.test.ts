/**
 * Interop: a dataset the test builds by hand (over a binary file whose bytes it writes itself) →
 * kerchunk JSON written by vz → opened by Python's fsspec + zarr 2 + xarray (Debian's
 * /usr/bin/python3, interop-kerchunk.py) → the values Python prints must be those the test wrote.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deflateSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ChunkManifestBuilder,
  createArrayMetadata,
  LoadedArray,
  ManifestArray,
  toKerchunkTree,
  VirtualDataset,
} from "../src/index.js";
import { shuffleBytes } from "../src/codecs.js";
import { toUrl, writeKerchunkRefs } from "../src/node.js";
import { missingPythonModules, PYTHON, runPython } from "./interop-python.js";

const missing = missingPythonModules(["numpy", "xarray", "fsspec", "zarr", "numcodecs"]);
const skipReason = missing.length > 0 ? ` (SKIPPED: ${PYTHON} lacks ${missing.join(", ")})` : "";

/** temp: 4×6 float64 LE, chunks 2×3; chunk (0,1) missing (NaN fill), chunk (1,1) inlined. */
const tempValue = (i: number, j: number): number => 273.15 + i * 1.5 - j * 0.25;
/** pres: 4×6 int16 BE, chunks 4×3, shuffle + zlib; chunk (0,1) missing (fill -999). */
const presValue = (i: number, j: number): number => 1000 + i * 37 - j * 11;
const TIME = [0, 6, 12, 18];
const X = [10, 20, 30, 40, 50, 60];
const STATIONS = ["Zürich", "Oslo", "", "東京", "Lima", "a b"];
const INNER = [0.5, -2.25, 1024];

interface Built {
  root: VirtualDataset;
  forecast: VirtualDataset;
}

function chunkBytes(ci: number, cj: number, rows: number, cols: number, itemSize: number, write: (view: DataView, at: number, i: number, j: number) => void): Uint8Array {
  const bytes = new Uint8Array(rows * cols * itemSize);
  const view = new DataView(bytes.buffer);
  for (let a = 0; a < rows; a++) for (let b = 0; b < cols; b++) write(view, (a * cols + b) * itemSize, ci * rows + a, cj * cols + b);
  return bytes;
}

function build(directory: string): Built {
  const pieces: Uint8Array[] = [new Uint8Array(64).fill(0x42)];
  let position = 64;
  const place = (bytes: Uint8Array): [number, number] => {
    const at = position;
    pieces.push(bytes);
    position += bytes.length;
    return [at, bytes.length];
  };
  const temp = (ci: number, cj: number): Uint8Array => chunkBytes(ci, cj, 2, 3, 8, (v, at, i, j) => v.setFloat64(at, tempValue(i, j), true));
  const pres = (cj: number): Uint8Array => {
    const raw = chunkBytes(0, cj, 4, 3, 2, (v, at, i, j) => v.setInt16(at, presValue(i, j), false));
    return new Uint8Array(deflateSync(shuffleBytes(raw, 2), { level: 4 }));
  };
  const tempRefs = { "0.0": place(temp(0, 0)), "1.0": place(temp(1, 0)) };
  const presRef = place(pres(0));
  const crs = new Uint8Array(4);
  new DataView(crs.buffer).setInt32(0, 4326, true);
  const crsRef = place(crs);
  const innerRef = place(new Uint8Array(new Float32Array(INNER).buffer));
  const path = join(directory, "data.bin");
  const file = new Uint8Array(position);
  let offset = 0;
  for (const piece of pieces) {
    file.set(piece, offset);
    offset += piece.length;
  }
  writeFileSync(path, file);
  const url = toUrl(path);

  const tempManifest = new ChunkManifestBuilder([2, 2]);
  for (const [key, [at, length]] of Object.entries(tempRefs)) tempManifest.set(key.split(".").map(Number), url, at, length);
  tempManifest.setInlined([1, 1], temp(1, 1));
  const presManifest = new ChunkManifestBuilder([1, 2]).set([0, 0], url, presRef[0], presRef[1]);

  const root = new VirtualDataset({
    variables: {
      temp: {
        dims: ["time", "x"],
        attrs: { units: "K", long_name: "air temperature", flag_values: [1, 2, 3], valid_max: Number.POSITIVE_INFINITY },
        data: new ManifestArray(
          createArrayMetadata({ shape: [4, 6], dataType: "float64", chunkShape: [2, 3], fillValue: Number.NaN }),
          tempManifest.build(),
          "temp",
        ),
      },
      pres: {
        dims: ["time", "x"],
        attrs: { units: "hPa" },
        data: new ManifestArray(
          createArrayMetadata({
            shape: [4, 6],
            dataType: "int16",
            chunkShape: [4, 3],
            fillValue: -999,
            codecs: [
              { name: "bytes", configuration: { endian: "big" } },
              { name: "numcodecs.shuffle", configuration: { elementsize: 2 } },
              { name: "numcodecs.zlib", configuration: { level: 4 } },
            ],
          }),
          presManifest.build(),
          "pres",
        ),
      },
      crs: {
        dims: [],
        attrs: { grid_mapping_name: "latitude_longitude" },
        data: new ManifestArray(
          createArrayMetadata({ shape: [], dataType: "int32", chunkShape: [] }),
          new ChunkManifestBuilder([]).set([], url, crsRef[0], crsRef[1]).build(),
          "crs",
        ),
      },
      time: {
        dims: ["time"],
        attrs: { units: "hours since 2000-01-01", calendar: "standard" },
        data: new LoadedArray({ dataType: "float64", shape: [4], values: Float64Array.from(TIME) }),
      },
      x: { dims: ["x"], attrs: { units: "km" }, data: new LoadedArray({ dataType: "int32", shape: [6], values: Int32Array.from(X) }) },
      station: { dims: ["x"], attrs: {}, data: new LoadedArray({ dataType: "string", shape: [6], values: STATIONS }) },
    },
    coordNames: ["time", "x", "station"],
    attrs: { title: "vz interop", history_int: 42, ratios: [0.5, 0.25], missing_ratio: Number.NaN },
  });
  const forecast = new VirtualDataset({
    variables: {
      inner: {
        dims: ["member"],
        attrs: { note: "nested" },
        data: new ManifestArray(
          createArrayMetadata({ shape: [3], dataType: "float32", chunkShape: [3] }),
          new ChunkManifestBuilder([1]).set([0], url, innerRef[0], innerRef[1]).build(),
          "inner",
        ),
      },
    },
    attrs: { lead: "24h" },
  });
  return { root, forecast };
}

interface PythonVariable {
  dims: string[];
  dtype: string;
  zarr_dtype: string;
  shape: number[];
  attrs: Record<string, unknown>;
  values: unknown;
  decoded_dtype: string;
  decoded_values: unknown;
  encoding: { chunks: number[] | null; filters: Record<string, unknown>[]; compressor: Record<string, unknown> | null };
}
type PythonView = Record<string, { reader: string; fsspec: string; attrs: Record<string, unknown>; coords: string[]; variables: Record<string, PythonVariable> }>;

describe(`kerchunk JSON read by Python fsspec + zarr + xarray${skipReason}`, () => {
  let directory = "";
  let seen: PythonView;

  beforeAll(async () => {
    if (missing.length > 0) return;
    directory = mkdtempSync(join(tmpdir(), "vz-interop-"));
    const { root, forecast } = build(directory);
    const refsPath = join(directory, "refs.json");
    await writeKerchunkRefs(toKerchunkTree({ "": root, forecast }), refsPath);
    const script = readFileSync(new URL("./interop-kerchunk.py", import.meta.url), "utf8");
    seen = JSON.parse(runPython(script, [refsPath, "", "forecast"])) as PythonView;
  });
  afterAll(() => {
    if (directory) rmSync(directory, { recursive: true, force: true });
  });

  it.skipIf(missing.length > 0)("opens with the one-liner recipe, or (fsspec < 2023 only) chunk by chunk because of its omitted-key bug", () => {
    for (const group of ["", "forecast"]) {
      const view = seen[group]!;
      const major = Number(view.fsspec.split(".")[0]);
      if (major >= 2023) expect(view.reader).toMatch(/^xr\.open_dataset/);
      else expect(view.reader).toMatch(/^xr\.open_dataset|per-key mapping/);
    }
    // The nested group has no omitted chunks: the one-liner must read it on any fsspec.
    expect(seen.forecast!.reader).toMatch(/^xr\.open_dataset/);
  });

  it.skipIf(missing.length > 0)("virtual float64 chunks, a missing chunk (NaN fill) and an inlined chunk", () => {
    const temp = seen[""]!.variables.temp!;
    expect(temp.dtype).toBe("<f8");
    expect(temp.dims).toEqual(["time", "x"]);
    expect(temp.encoding.chunks).toEqual([2, 3]);
    const expected = Array.from({ length: 4 }, (_, i) => Array.from({ length: 6 }, (_, j) => (i < 2 && j >= 3 ? "NaN" : tempValue(i, j))));
    expect(temp.values).toEqual(expected);
    expect(temp.attrs).toEqual({ units: "K", long_name: "air temperature", flag_values: [1, 2, 3], valid_max: "Infinity" });
  });

  it.skipIf(missing.length > 0)("big-endian int16 with shuffle + zlib filters, the missing chunk inline as fill values (no mask)", () => {
    const pres = seen[""]!.variables.pres!;
    expect(pres.zarr_dtype).toBe(">i2");
    expect(pres.dtype).toBe("<i2"); // xarray converts to native order on load
    expect(pres.encoding.filters).toEqual([{ id: "shuffle", elementsize: 2 }]);
    expect(pres.encoding.compressor).toEqual({ id: "zlib", level: 4 });
    const raw = Array.from({ length: 4 }, (_, i) => Array.from({ length: 6 }, (_, j) => (j >= 3 ? -999 : presValue(i, j))));
    expect(pres.values).toEqual(raw);
    // No _FillValue: the missing chunk is written inline as -999s (shuffle + zlib encoded by vz)
    // with fill_value null, so xarray's decoding masks nothing and the values stay int16, as
    // xarray on an original file without _FillValue reads them.
    expect(pres.decoded_values).toEqual(raw);
  });

  it.skipIf(missing.length > 0)("0-d array, loaded coordinates (CF time decoded by xarray) and a string coordinate", () => {
    const variables = seen[""]!.variables;
    expect(variables.crs!.values).toBe(4326);
    expect(variables.crs!.shape).toEqual([]);
    expect(variables.crs!.attrs).toEqual({ grid_mapping_name: "latitude_longitude" });
    expect(variables.time!.values).toEqual(TIME);
    expect(variables.time!.decoded_values).toEqual(["2000-01-01 00:00:00", "2000-01-01 06:00:00", "2000-01-01 12:00:00", "2000-01-01 18:00:00"]);
    expect(variables.x!.zarr_dtype).toBe("<i4");
    expect(variables.time!.zarr_dtype).toBe("<f8");
    expect(variables.time!.attrs).toEqual({ units: "hours since 2000-01-01", calendar: "standard" });
    expect(variables.x!.values).toEqual(X);
    expect(variables.station!.values).toEqual(STATIONS);
    expect(variables.station!.dtype).toBe("|O");
    expect(variables.station!.encoding.filters).toEqual([{ id: "vlen-utf8" }]);
    expect(seen[""]!.coords).toEqual(["station", "time", "x"]);
  });

  it.skipIf(missing.length > 0)("global attributes (numbers, lists, NaN) and a nested group", () => {
    const attributes = seen[""]!.attrs;
    expect(attributes.title).toBe("vz interop");
    expect(attributes.history_int).toBe(42);
    expect(attributes.ratios).toEqual([0.5, 0.25]);
    expect(attributes.missing_ratio).toBe("NaN");
    const forecast = seen.forecast!;
    expect(forecast.attrs).toEqual({ lead: "24h" });
    expect(forecast.variables.inner!.values).toEqual(INNER);
    expect(forecast.variables.inner!.dtype).toBe("<f4");
    expect(forecast.variables.inner!.attrs).toEqual({ note: "nested" });
  });
});
