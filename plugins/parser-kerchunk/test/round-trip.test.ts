/**
 * Hand-built dataset → kerchunk JSON and Parquet (core writers) → parsed back by this parser →
 * identical manifests (ChunkManifest.equals) and identical values through zarrita.
 */
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  ChunkManifestBuilder,
  createArrayMetadata,
  kerchunkToJson,
  LoadedArray,
  ManifestArray,
  type ManifestStore,
  type ObjectReader,
  ReaderRegistry,
  toKerchunk,
  toVirtualDataset,
  VirtualDataset,
} from "@vz/core";
import { parseJsonNonFinite } from "@vz/core/internal";
import { FileReader, writeKerchunkParquet, writeKerchunkRefs } from "@vz/core/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKerchunkParser, openParquetReferences } from "../src/index.js";
import { float64Bytes, readValues, sha256Le } from "./helpers.js";

let directory: string;
let dataUrl: string;
let dataset: VirtualDataset;
const temperature = Array.from({ length: 6 * 8 }, (_, i) => i * 0.5 - 3);

/** A reader that counts the URLs it is asked for. */
function countingReader(inner: ObjectReader): ObjectReader & { requested: string[] } {
  const requested: string[] = [];
  return {
    requested,
    get: (url, opts) => (requested.push(url), inner.get(url, opts)),
    getRange: (url, offset, length, opts) => (requested.push(url), inner.getRange(url, offset, length, opts)),
    getRanges: (url, ranges, opts) => (requested.push(url), inner.getRanges(url, ranges, opts)),
    head: (url, opts) => (requested.push(url), inner.head(url, opts)),
    list: (prefix, opts) => inner.list(prefix, opts),
  };
}

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "vz-kerchunk-"));
  // temperature: 6 x 8 float64 in chunks of 2 x 4 → grid 3 x 2, written chunk by chunk (C order)
  const chunks: number[] = [];
  for (let ci = 0; ci < 3; ci++) {
    for (let cj = 0; cj < 2; cj++) {
      for (let i = 0; i < 2; i++) for (let j = 0; j < 4; j++) chunks.push(temperature[(ci * 2 + i) * 8 + cj * 4 + j]!);
    }
  }
  await writeFile(join(directory, "data.bin"), float64Bytes(chunks));
  dataUrl = pathToFileURL(join(directory, "data.bin")).href;
  const builder = new ChunkManifestBuilder([3, 2]);
  for (let index = 0; index < 6; index++) builder.set(index, dataUrl, index * 64, 64);
  const temp = new ManifestArray(
    createArrayMetadata({ shape: [6, 8], dataType: "float64", chunkShape: [2, 4], fillValue: Number.NaN, dimensionNames: ["y", "x"] }),
    builder.build(),
  );
  // sparse: a 1-d array with its middle chunk missing
  const sparseBuilder = new ChunkManifestBuilder([3]);
  sparseBuilder.set(0, dataUrl, 0, 32).set(2, dataUrl, 64, 32);
  const sparse = new ManifestArray(createArrayMetadata({ shape: [12], dataType: "float64", chunkShape: [4], fillValue: -1, dimensionNames: ["n"] }), sparseBuilder.build());
  dataset = new VirtualDataset({
    variables: {
      temperature: { dims: ["y", "x"], attrs: { units: "K", valid_min: Number.NEGATIVE_INFINITY }, data: temp },
      // CF _FillValue given: the writer keeps the missing chunk missing (without it, a few small
      // uncompressed missing chunks are written inline as fill data)
      sparse: { dims: ["n"], attrs: { _FillValue: -1 }, data: sparse },
      x: { dims: ["x"], attrs: { axis: "X" }, data: new LoadedArray({ dataType: "int32", shape: [8], values: Int32Array.from([0, 1, 2, 3, 4, 5, 6, 7]) }) },
      label: { dims: ["x"], attrs: {}, data: new LoadedArray({ dataType: "string", shape: [8], values: ["a", "b", "c", "d", "é", "f", "g", "h"] }) },
    },
    coordNames: ["x"],
    attrs: { title: "round trip" },
  });
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

async function expectSameAsDataset(store: ManifestStore): Promise<void> {
  for (const name of ["temperature", "sparse"]) {
    const original = dataset.variables.get(name)!.data as ManifestArray;
    const parsed = store.group.resolve(name) as ManifestArray;
    expect(parsed).toBeInstanceOf(ManifestArray);
    expect(parsed.manifest.equals(original.manifest), name).toBe(true);
    expect(parsed.metadata.shape).toEqual(original.metadata.shape);
    expect(parsed.metadata.dimension_names).toEqual(original.metadata.dimension_names);
  }
  expect((store.group.resolve("temperature") as ManifestArray).metadata.attributes).toEqual({ units: "K", valid_min: Number.NEGATIVE_INFINITY });
  expect(store.group.attributes).toEqual({ title: "round trip", coordinates: "x" });
  const temp = await readValues(store, "temperature");
  expect(temp.shape).toEqual([6, 8]);
  expect(Array.from(temp.data as Float64Array)).toEqual(temperature);
  const sparse = Array.from((await readValues(store, "sparse")).data as Float64Array);
  expect(sparse.slice(4, 8)).toEqual([-1, -1, -1, -1]);
  expect(sparse.slice(0, 4)).toEqual(temperature.slice(0, 4));
  expect(Array.from((await readValues(store, "x")).data as Int32Array)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  expect(Array.from((await readValues(store, "label")).data as string[])).toEqual(["a", "b", "c", "d", "é", "f", "g", "h"]);
}

describe("round trip through kerchunk JSON and Parquet", () => {
  const reader = new ReaderRegistry({ "file:///": new FileReader() });

  it("JSON: toKerchunk → file → parser gives the same manifests and values", async () => {
    const path = join(directory, "refs.json");
    await writeKerchunkRefs(toKerchunk(dataset), path);
    const store = await createKerchunkParser()(pathToFileURL(path).href, reader);
    await expectSameAsDataset(store);
  });

  it("Parquet: writeKerchunkParquet → directory → parser gives the same manifests and values", async () => {
    const path = join(directory, "refs.parq");
    await writeKerchunkParquet(toKerchunk(dataset), path, { recordSize: 4 });
    // 6 temperature chunks in records of 4 → 2 files; sparse 3 chunks → 1 file
    expect((await readdir(join(path, "temperature"))).sort()).toEqual(["refs.0.parq", "refs.1.parq"]);
    expect(await readdir(join(path, "sparse"))).toEqual(["refs.0.parq"]);
    const store = await createKerchunkParser()(pathToFileURL(path).href, reader);
    await expectSameAsDataset(store);
    // explicit format and a trailing slash work the same
    const again = await createKerchunkParser({ format: "parquet" })(`${pathToFileURL(path).href}/`, reader);
    expect((again.group.resolve("temperature") as ManifestArray).manifest.equals((store.group.resolve("temperature") as ManifestArray).manifest)).toBe(true);
  });

  it("Parquet opens lazily: .zmetadata first, a field's records on its first chunk read", async () => {
    const path = join(directory, "lazy.parq");
    await writeKerchunkParquet(toKerchunk(dataset), path, { recordSize: 4 });
    const counting = countingReader(reader);
    const references = await openParquetReferences(pathToFileURL(path).href, counting);
    expect(counting.requested.map((u) => u.slice(pathToFileURL(path).href.length))).toEqual(["/.zmetadata"]);
    expect(references.recordSize).toBe(4);
    expect(references.arrayPaths.sort()).toEqual(["label", "sparse", "temperature", "x"]);
    const store = references.createLazyStore();
    const temp = await readValues(store, "temperature");
    expect(Array.from(temp.data as Float64Array)).toEqual(temperature);
    const refsRead = counting.requested.filter((u) => u.endsWith(".parq")).map((u) => u.slice(pathToFileURL(path).href.length));
    expect(refsRead.sort()).toEqual(["/temperature/refs.0.parq", "/temperature/refs.1.parq"]);
    expect(references.isLoaded("sparse")).toBe(false);
    expect(Array.from((await readValues(store, "x")).data as Int32Array)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(references.isLoaded("sparse")).toBe(false);
  });

  it("Parquet: a record file that does not exist holds missing chunks", async () => {
    const path = join(directory, "holes.parq");
    await writeKerchunkParquet(toKerchunk(dataset), path, { recordSize: 4 });
    await rm(join(path, "temperature", "refs.1.parq"));
    const store = await createKerchunkParser()(pathToFileURL(path).href, reader);
    const manifest = (store.group.resolve("temperature") as ManifestArray).manifest;
    expect(manifest.chunkCount).toBe(4);
    expect(manifest.get([2, 0])).toBeUndefined();
    const values = Array.from((await readValues(store, "temperature")).data as Float64Array);
    expect(values.slice(0, 32)).toEqual(temperature.slice(0, 32));
    // missing chunks read as the array's fill value (toKerchunk writes fill_value null for a
    // complete manifest, which reads as the data type's default)
    const fill = (store.group.resolve("temperature") as ManifestArray).metadata.fill_value as number;
    expect(values.slice(32)).toEqual(new Array(16).fill(fill));
  });

  it("Parquet: relative paths need root, and a broken record file is a typed error", async () => {
    const refs = { version: 1 as const, refs: { ".zgroup": '{"zarr_format":2}', "v/.zarray": '{"zarr_format":2,"shape":[2],"chunks":[1],"dtype":"<f8","compressor":null,"filters":null,"fill_value":null,"order":"C"}', "v/0": ["data.bin", 0, 8] as [string, number, number], "v/1": ["data.bin", 8, 8] as [string, number, number] } };
    const path = join(directory, "relative.parq");
    await writeKerchunkParquet(refs, path);
    const url = pathToFileURL(path).href;
    await expect(createKerchunkParser()(url, reader)).rejects.toMatchObject({ code: "URL_NOT_ALLOWED" });
    const store = await createKerchunkParser({ root: pathToFileURL(directory).href })(url, reader);
    expect(Array.from((await readValues(store, "v")).data as Float64Array)).toEqual(temperature.slice(0, 2));
    await writeFile(join(path, "v", "refs.0.parq"), "PAR1 not really parquet PAR1");
    const error = await createKerchunkParser({ root: pathToFileURL(directory).href })(url, reader).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "PARSE_FAILED", variable: "v" });
    expect((error as Error).message).toContain("refs.0.parq");
  });

  it("Parquet: a field path cannot leave the reference directory", async () => {
    const path = join(directory, "escape.parq");
    await writeKerchunkParquet(toKerchunk(dataset), path, { recordSize: 4 });
    const zmetadataPath = join(path, ".zmetadata");
    const text = (await import("node:fs")).readFileSync(zmetadataPath, "utf8");
    const sparseZarray = toKerchunk(dataset).refs["sparse/.zarray"] as string;
    expect(text).toContain('"metadata":{');
    await writeFile(zmetadataPath, text.replace('"metadata":{', `"metadata":{"../escape/.zarray":${sparseZarray},`));
    const counting = countingReader(reader);
    const references = await openParquetReferences(pathToFileURL(path).href, counting);
    expect(references.arrayPaths).not.toContain("../escape");
    expect(references.diagnostics.map((d) => d.code)).toEqual(["INVALID_MANIFEST"]);
    await references.toManifestStore();
    expect(counting.requested.every((u) => u.startsWith(pathToFileURL(path).href + "/"))).toBe(true);
  });

  it("JSON text and the parser agree for kerchunkToJson output too", async () => {
    const text = kerchunkToJson(toKerchunk(dataset));
    const path = join(directory, "text.json");
    await writeFile(path, text);
    await expectSameAsDataset(await createKerchunkParser()(pathToFileURL(path).href, reader));
  });
});

const SHARED = join(fileURLToPath(new URL(".", import.meta.url)), "../../../../shared/data");
const SHARED_CASES = ["netcdf4/air.nc.kerchunk.json", "netcdf4/tas.sresb1.giss_model_e_r.run1.atm.da.nc.kerchunk.json", "netcdf3/eraint_uvz.nc.kerchunk.json", "tiff/lcmap_tiny_cog_2019.tif.tifffile.json"];

describe.skipIf(!existsSync(SHARED))("round trip of real reference sets (skipped when ../shared/data is absent)", () => {
  const reader = new ReaderRegistry({ "file:///": new FileReader() });

  it.each(SHARED_CASES)("%s → toKerchunk → JSON and Parquet → same manifests and values", async (file) => {
    const url = pathToFileURL(join(SHARED, file)).href;
    const root = `${pathToFileURL(join(SHARED, file, "..")).href}/`;
    const original = await createKerchunkParser({ root })(url, reader);
    const vds = await toVirtualDataset(original, { loadableVariables: [] });
    const refs = toKerchunk(vds);
    const jsonPath = join(directory, `${file.replace(/\//g, "_")}.json`);
    const parquetPath = join(directory, `${file.replace(/\//g, "_")}.parq`);
    await writeKerchunkRefs(refs, jsonPath);
    await writeKerchunkParquet(refs, parquetPath, { recordSize: 7 });
    for (const path of [jsonPath, parquetPath]) {
      const back = await createKerchunkParser()(pathToFileURL(path).href, reader);
      let compared = 0;
      for (const [name, array] of original.group.arrays) {
        const other = back.group.resolve(name) as ManifestArray;
        expect(other, `${path} ${name}`).toBeInstanceOf(ManifestArray);
        expect(other.manifest.equals(array.manifest), `${path} ${name}`).toBe(true);
        expect(other.metadata.shape).toEqual(array.metadata.shape);
        expect(other.metadata.data_type).toBe(array.metadata.data_type);
        expect(other.metadata.codecs).toEqual(array.metadata.codecs);
        const [a, b] = await Promise.all([readValues(original, name), readValues(back, name)]);
        expect(sha256Le(b.data as ArrayBufferView)).toBe(sha256Le(a.data as ArrayBufferView));
        compared++;
      }
      expect(compared).toBeGreaterThan(0);
    }
  });
});

describe("fill values through parse → write (the identity on references)", () => {
  // Written as Python (zarr-python, kerchunk) or JavaScript write them: exact 64-bit integers, a
  // float32 fill in JavaScript's shortest form, "NaN", a fill value of an array with a missing chunk.
  const zarray = (dtype: string, fill: string, shape = 2, chunks = 2): string =>
    `{"zarr_format":2,"shape":[${shape}],"chunks":[${chunks}],"dtype":"${dtype}","compressor":null,"filters":null,"fill_value":${fill},"order":"C"}`;
  const document = `{"version":1,"refs":{
    ".zgroup":"{\\"zarr_format\\":2}",
    "i8/.zarray":${JSON.stringify(zarray("<i8", "-9223372036854775806"))},
    "i8/.zattrs":"{\\"_ARRAY_DIMENSIONS\\":[\\"x\\"]}",
    "i8/0":["memory://data/a.bin",0,16],
    "u8/.zarray":${JSON.stringify(zarray(">u8", "18446744073709551614"))},
    "u8/.zattrs":"{\\"_ARRAY_DIMENSIONS\\":[\\"x\\"]}",
    "u8/0":["memory://data/a.bin",0,16],
    "f4/.zarray":${JSON.stringify(zarray("<f4", "100000002004087730000"))},
    "f4/.zattrs":"{\\"_ARRAY_DIMENSIONS\\":[\\"x\\"],\\"units\\":\\"K\\"}",
    "f4/0":["memory://data/a.bin",0,8],
    "nan/.zarray":${JSON.stringify(zarray("<f8", '"NaN"'))},
    "nan/.zattrs":"{\\"_ARRAY_DIMENSIONS\\":[\\"x\\"]}",
    "nan/0":["memory://data/a.bin",0,16],
    "sparse/.zarray":${JSON.stringify(zarray("<i2", "-1", 4, 2))},
    "sparse/.zattrs":"{\\"_ARRAY_DIMENSIONS\\":[\\"y\\"],\\"big\\":-9223372036854775806}",
    "sparse/1":["memory://data/a.bin",0,4]
  }}`;

  it("reads 64-bit fill values exactly also when the metadata are JSON objects (the generic parser, not the scanner)", async () => {
    const { memoryRegistry } = await import("./helpers.js");
    const objects = `{"version":1,"refs":{".zgroup":{"zarr_format":2},"v/.zarray":{"zarr_format":2,"shape":[2],"chunks":[2],"dtype":"<u8","compressor":null,"filters":null,"fill_value":18446744073709551614,"order":"C"},"v/.zattrs":{"_ARRAY_DIMENSIONS":["x"]},"v/0":["memory://data/a.bin",0,16]}}`;
    const { reader } = memoryRegistry({ "memory://refs/objects.json": objects, "memory://data/a.bin": new Uint8Array(16) });
    const store = await createKerchunkParser()("memory://refs/objects.json", reader);
    expect((store.group.resolve("v") as ManifestArray).metadata.fill_value).toBe(18446744073709551614n);
    expect(kerchunkToJson(toKerchunk(await toVirtualDataset(store, { loadableVariables: [] })))).toContain('\\"fill_value\\":18446744073709551614');
  });

  it("keeps every fill_value (and 64-bit attribute) digit for digit, and reads it as xarray would: as _FillValue", async () => {
    const { memoryRegistry } = await import("./helpers.js");
    const { reader, memory } = memoryRegistry({ "memory://refs/fills.json": document, "memory://data/a.bin": new Uint8Array(16).map((_, i) => i) });
    const store = await createKerchunkParser()("memory://refs/fills.json", reader);
    const metadata = (name: string) => (store.group.resolve(name) as ManifestArray).metadata;
    expect(metadata("i8").fill_value).toBe(-9223372036854775806n);
    expect(metadata("i8").attributes._FillValue).toBe(-9223372036854775806n);
    expect(metadata("u8").fill_value).toBe(18446744073709551614n);
    expect(metadata("f4").fill_value).toBe(1.0000000200408773e20);
    expect(metadata("nan").attributes._FillValue).toBeNaN();
    expect(metadata("sparse").attributes).toEqual({ big: -9223372036854775806n, _FillValue: -1 });
    const written = toKerchunk(await toVirtualDataset(store, { loadableVariables: [] }));
    const text = kerchunkToJson(written);
    expect(text).toContain('\\"fill_value\\":-9223372036854775806');
    expect(text).toContain('\\"fill_value\\":18446744073709551614');
    expect(text).toContain('\\"big\\":-9223372036854775806');
    const parse = (refs: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(refs).map(([k, v]) => [k, typeof v === "string" && /\.z/.test(k) ? parseJsonNonFinite(v) : v]));
    const original = parse((JSON.parse(document.replace(/\n\s*/g, "")) as { refs: Record<string, unknown> }).refs);
    const again = parse(written.refs);
    // the same references; the group's .zattrs is written ({}) where the original had none
    expect({ ...again, ".zattrs": undefined }).toEqual({ ...original, ".zattrs": undefined });
    // and through Parquet (.zmetadata holds the documents as JSON objects, bigints as digits)
    const parquet = join(directory, "fills.parq");
    await writeKerchunkParquet(written, parquet);
    expect(readFileSync(join(parquet, ".zmetadata"), "utf8")).toContain('"fill_value":-9223372036854775806');
    const fromParquet = await createKerchunkParser()(pathToFileURL(parquet).href, new ReaderRegistry({ "file:///": new FileReader(), "memory://": memory }));
    expect(parse(toKerchunk(await toVirtualDataset(fromParquet, { loadableVariables: [] })).refs)).toEqual(again);
  });
});
