/**
 * The kerchunk writer: Zarr v2 metadata derived from v3 codecs, reference keys, inlined data,
 * stable serialisation, and the atomic file writer (nothing left at the target on any error).
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ChunkManifestBuilder,
  type CodecMetadata,
  createArrayMetadata,
  type DataType,
  isVzError,
  kerchunkToJson,
  LoadedArray,
  ManifestArray,
  toKerchunk,
  toKerchunkTree,
  VirtualDataset,
  type ZarrV2ArrayMetadata,
} from "../src/index.js";
import { decodeVlenUtf8 } from "../src/codecs.js";
import { attributesToJson, datasetsToKerchunkJsonPieces, parseJsonNonFinite } from "../src/internal.js";
import { writeKerchunk } from "../src/node.js";

const URL_A = "file:///data/a.nc";

function virtual(options: { shape: number[]; chunks: number[]; dataType?: DataType; codecs?: CodecMetadata[]; fill?: unknown; entries?: Record<string, [number, number]>; inline?: Record<string, Uint8Array> }): ManifestArray {
  const grid = options.shape.map((s, d) => Math.ceil(s / options.chunks[d]!));
  const builder = new ChunkManifestBuilder(grid);
  for (const [key, [offset, length]] of Object.entries(options.entries ?? {})) builder.set(key === "" ? [] : key.split(".").map(Number), URL_A, offset, length);
  for (const [key, bytes] of Object.entries(options.inline ?? {})) builder.setInlined(key === "" ? [] : key.split(".").map(Number), bytes);
  const array = new ManifestArray(
    createArrayMetadata({
      shape: options.shape,
      chunkShape: options.chunks,
      dataType: options.dataType ?? "float32",
      ...(options.codecs ? { codecs: options.codecs } : {}),
      ...(options.fill !== undefined && options.fill !== null ? { fillValue: options.fill } : {}),
    }),
    builder.build(),
  );
  // createArrayMetadata turns a null fill value into the default; set it afterwards.
  return options.fill === null ? array.withMetadata({ fill_value: null }) : array;
}

function zarray(refs: ReturnType<typeof toKerchunk>, path: string): ZarrV2ArrayMetadata {
  return JSON.parse(refs.refs[`${path}/.zarray`] as string) as ZarrV2ArrayMetadata;
}

function decodeInline(reference: unknown): Uint8Array {
  expect(typeof reference).toBe("string");
  expect((reference as string).startsWith("base64:")).toBe(true);
  return new Uint8Array(Buffer.from((reference as string).slice(7), "base64"));
}

describe("toKerchunk", () => {
  it("writes .zgroup/.zattrs, .zarray/.zattrs per variable and [url, offset, length] per existing chunk", () => {
    const vds = new VirtualDataset({
      variables: {
        temp: {
          dims: ["y", "x"],
          attrs: { units: "K" },
          data: virtual({ shape: [4, 5], chunks: [2, 3], entries: { "0.0": [100, 24], "0.1": [124, 24], "1.1": [2 ** 40, 7] }, inline: { "1.0": Uint8Array.of(1, 2, 3) } }),
        },
      },
      attrs: { title: "t" },
    });
    const refs = toKerchunk(vds);
    expect(refs.version).toBe(1);
    expect(Object.keys(refs.refs).sort()).toEqual([".zattrs", ".zgroup", "temp/.zarray", "temp/.zattrs", "temp/0.0", "temp/0.1", "temp/1.0", "temp/1.1"]);
    expect(JSON.parse(refs.refs[".zgroup"] as string)).toEqual({ zarr_format: 2 });
    expect(JSON.parse(refs.refs[".zattrs"] as string)).toEqual({ title: "t" });
    expect(zarray(refs, "temp")).toEqual({
      zarr_format: 2,
      shape: [4, 5],
      chunks: [2, 3],
      dtype: "<f4",
      compressor: null,
      filters: null,
      // every chunk exists and there is no _FillValue attribute: no fill value, so readers mask nothing
      fill_value: null,
      order: "C",
    });
    expect(JSON.parse(refs.refs["temp/.zattrs"] as string)).toEqual({ units: "K", _ARRAY_DIMENSIONS: ["y", "x"] });
    expect(refs.refs["temp/0.0"]).toEqual([URL_A, 100, 24]);
    expect(refs.refs["temp/1.1"]).toEqual([URL_A, 2 ** 40, 7]);
    expect(decodeInline(refs.refs["temp/1.0"])).toEqual(Uint8Array.of(1, 2, 3));
  });

  it("maps v3 codecs to v2 dtype, filters and compressor", () => {
    const cases: { codecs: CodecMetadata[]; dataType?: DataType; dtype: string; filters: unknown; compressor: unknown }[] = [
      {
        codecs: [{ name: "bytes", configuration: { endian: "big" } }, { name: "numcodecs.shuffle", configuration: { elementsize: 4 } }, { name: "numcodecs.zlib", configuration: { level: 4 } }],
        dtype: ">f4",
        filters: [{ id: "shuffle", elementsize: 4 }],
        compressor: { id: "zlib", level: 4 },
      },
      {
        // fletcher32 after deflate (HDF5 order) is not a compressor: both stay filters, in order.
        codecs: [{ name: "bytes", configuration: { endian: "little" } }, { name: "numcodecs.zlib", configuration: { level: 1 } }, { name: "numcodecs.fletcher32" }],
        dtype: "<f4",
        filters: [{ id: "zlib", level: 1 }, { id: "fletcher32" }],
        compressor: null,
      },
      {
        codecs: [
          { name: "bytes", configuration: { endian: "little" } },
          { name: "numcodecs.blosc", configuration: { cname: "lz4", clevel: 5, shuffle: 1, blocksize: 0, typesize: 4 } },
        ],
        dtype: "<f4",
        filters: null,
        compressor: { id: "blosc", cname: "lz4", clevel: 5, shuffle: 1, blocksize: 0 },
      },
      {
        codecs: [{ name: "bytes", configuration: { endian: "little" } }, { name: "blosc", configuration: { cname: "zstd", clevel: 3, shuffle: "bitshuffle", typesize: 4, blocksize: 0 } }],
        dtype: "<f4",
        filters: null,
        compressor: { id: "blosc", cname: "zstd", clevel: 3, shuffle: 2, blocksize: 0 },
      },
      { codecs: [{ name: "bytes", configuration: { endian: "little" } }, { name: "numcodecs.bz2", configuration: { level: 9 } }], dtype: "<f4", filters: null, compressor: { id: "bz2", level: 9 } },
      { codecs: [{ name: "bytes", configuration: { endian: "little" } }, { name: "imagecodecs_lz4h5" }], dtype: "<f4", filters: null, compressor: { id: "imagecodecs_lz4h5" } },
      { codecs: [{ name: "bytes", configuration: { endian: "little" } }, { name: "zstd", configuration: { level: 3, checksum: false } }], dtype: "<f4", filters: null, compressor: { id: "zstd", level: 3 } },
      { codecs: [{ name: "bytes", configuration: { endian: "big" } }], dataType: "uint8", dtype: "|u1", filters: null, compressor: null },
      { codecs: [{ name: "bytes" }], dataType: "fixed_length_bytes:5", dtype: "|S5", filters: null, compressor: null },
      { codecs: [{ name: "vlen-utf8" }, { name: "numcodecs.zlib", configuration: { level: 2 } }], dataType: "string", dtype: "|O", filters: [{ id: "vlen-utf8" }], compressor: { id: "zlib", level: 2 } },
    ];
    for (const c of cases) {
      const vds = new VirtualDataset({ variables: { v: { dims: ["x"], attrs: {}, data: virtual({ shape: [4], chunks: [4], codecs: c.codecs, dataType: c.dataType ?? "float32", fill: c.dataType === "string" || c.dataType?.startsWith("fixed") ? "" : 0 }) } } });
      const metadata = zarray(toKerchunk(vds), "v");
      expect({ dtype: metadata.dtype, filters: metadata.filters, compressor: metadata.compressor }, JSON.stringify(c.codecs)).toEqual({ dtype: c.dtype, filters: c.filters, compressor: c.compressor });
    }
  });

  it("encodes fill values as Zarr v2 expects (NaN/Infinity strings, hex floats, base64 for |S)", () => {
    const fills: [DataType, unknown, unknown][] = [
      ["float64", Number.NaN, "NaN"],
      ["float32", Number.POSITIVE_INFINITY, "Infinity"],
      ["float32", Number.NEGATIVE_INFINITY, "-Infinity"],
      ["float64", "NaN", "NaN"],
      ["float32", "0x7fc00000", "NaN"],
      ["float64", "0x3ff8000000000000", 1.5],
      ["int16", -999, -999],
      ["int64", -(2n ** 40n), -(2 ** 40)],
      ["bool", true, true],
      ["fixed_length_bytes:3", "ab", "YWI="],
      ["float32", null, null],
    ];
    for (const [dataType, fill, expected] of fills) {
      // an array whose only chunk is missing, compressed with a codec vz does not encode (bz2):
      // no inline fill chunk, so the storage fill value must be written as is
      const codecs: CodecMetadata[] = [{ name: "bytes", configuration: { endian: "little" } }, { name: "numcodecs.bz2", configuration: { level: 1 } }];
      const vds = new VirtualDataset({ variables: { v: { dims: ["x"], attrs: {}, data: virtual({ shape: [2], chunks: [2], dataType, fill, codecs }) } } });
      expect(zarray(toKerchunk(vds), "v").fill_value, `${dataType} ${String(fill)}`).toEqual(expected);
    }
  });

  it("moves a CF _FillValue attribute into fill_value, and writes a few missing uncompressed chunks inline otherwise", () => {
    const cf = new VirtualDataset({
      variables: {
        // HDF5 storage fill 9.97e36, CF _FillValue 1e20 (as in CMIP files): xarray must see one fill value
        o3: { dims: ["x"], attrs: { _FillValue: 1e20, units: "mol mol-1" }, data: virtual({ shape: [4], chunks: [2], fill: 9.969209968386869e36, entries: { "0": [0, 8] } }) },
      },
    });
    const refs = toKerchunk(cf);
    expect(zarray(refs, "o3").fill_value).toBe(1e20);
    expect(JSON.parse(refs.refs["o3/.zattrs"] as string)).toEqual({ units: "mol mol-1", _ARRAY_DIMENSIONS: ["x"] });
    expect(refs.refs["o3/1"]).toBeUndefined();
    // a never-written scalar "container" variable (netCDF grid_mapping): no CF fill, so its fill is written as data
    const container = new VirtualDataset({
      variables: { crs: { dims: [], attrs: { grid_mapping_name: "latitude_longitude" }, data: virtual({ shape: [], chunks: [], dataType: "int32", fill: -2147483647 }) } },
    });
    const containerRefs = toKerchunk(container);
    expect(zarray(containerRefs, "crs").fill_value).toBeNull();
    expect(Array.from(new Int32Array(decodeInline(containerRefs.refs["crs/0"]).buffer))).toEqual([-2147483647]);
  });

  it("writes loaded variables as one inlined little-endian chunk; strings as |O + vlen-utf8; 0-d chunk key '0'", () => {
    const vds = new VirtualDataset({
      variables: {
        lat: { dims: ["lat"], attrs: { units: "degrees_north" }, data: new LoadedArray({ dataType: "float32", shape: [3], values: Float32Array.from([-45, 0, 45.5]) }) },
        big: { dims: ["lat"], attrs: {}, data: new LoadedArray({ dataType: "int64", shape: [3], values: BigInt64Array.from([-1n, 2n ** 40n, 3n]) }) },
        flag: { dims: ["lat"], attrs: {}, data: new LoadedArray({ dataType: "bool", shape: [3], values: [true, false, true] }) },
        name: { dims: ["lat"], attrs: {}, data: new LoadedArray({ dataType: "string", shape: [3], values: ["a", "", "ü"] }) },
        code: { dims: ["lat"], attrs: {}, data: new LoadedArray({ dataType: "fixed_length_bytes:2", shape: [3], values: ["ab", "c", ""] }) },
        scalar: { dims: [], attrs: {}, data: new LoadedArray({ dataType: "uint16", shape: [], values: Uint16Array.of(513), fillValue: 7 }) },
        empty: { dims: ["none"], attrs: {}, data: new LoadedArray({ dataType: "float64", shape: [0], values: new Float64Array(0) }) },
        crs: { dims: [], attrs: {}, data: virtual({ shape: [], chunks: [], dataType: "int32", entries: { "": [8, 4] } }) },
      },
      coordNames: ["lat"],
    });
    const refs = toKerchunk(vds);
    expect(zarray(refs, "lat")).toEqual({ zarr_format: 2, shape: [3], chunks: [3], dtype: "<f4", compressor: null, filters: null, fill_value: null, order: "C" });
    expect(Array.from(new Float32Array(decodeInline(refs.refs["lat/0"]).buffer))).toEqual([-45, 0, 45.5]);
    expect(zarray(refs, "big").dtype).toBe("<i8");
    expect(Array.from(new BigInt64Array(decodeInline(refs.refs["big/0"]).buffer))).toEqual([-1n, 2n ** 40n, 3n]);
    expect(zarray(refs, "flag").dtype).toBe("|b1");
    expect(Array.from(decodeInline(refs.refs["flag/0"]))).toEqual([1, 0, 1]);
    expect(zarray(refs, "name")).toMatchObject({ dtype: "|O", filters: [{ id: "vlen-utf8" }], compressor: null });
    expect(decodeVlenUtf8(decodeInline(refs.refs["name/0"]))).toEqual(["a", "", "ü"]);
    expect(zarray(refs, "code").dtype).toBe("|S2");
    expect(Array.from(decodeInline(refs.refs["code/0"]))).toEqual([97, 98, 99, 0, 0, 0]);
    // loaded values are complete: the fill value is only written when a CF _FillValue says so
    expect(zarray(refs, "scalar")).toMatchObject({ shape: [], chunks: [], dtype: "<u2", fill_value: null });
    expect(Array.from(decodeInline(refs.refs["scalar/0"]))).toEqual([1, 2]);
    expect(zarray(refs, "empty")).toMatchObject({ shape: [0], chunks: [1] });
    expect(refs.refs["empty/0"]).toBeUndefined();
    expect(refs.refs["crs/0"]).toEqual([URL_A, 8, 4]);
    expect(JSON.parse(refs.refs[".zattrs"] as string)).toEqual({ coordinates: "lat" });
  });

  it("places variables in groups: the group option, 'a/b' names and toKerchunkTree", () => {
    const leaf = (): VirtualDataset =>
      new VirtualDataset({ variables: { v: { dims: ["x"], attrs: {}, data: virtual({ shape: [2], chunks: [2], entries: { "0": [0, 8] } }) } }, attrs: { level: "leaf" } });
    const grouped = toKerchunk(leaf(), { group: "model/run1" });
    expect(Object.keys(grouped.refs).sort()).toEqual([
      ".zattrs",
      ".zgroup",
      "model/.zattrs",
      "model/.zgroup",
      "model/run1/.zattrs",
      "model/run1/.zgroup",
      "model/run1/v/.zarray",
      "model/run1/v/.zattrs",
      "model/run1/v/0",
    ]);
    expect(JSON.parse(grouped.refs["model/run1/.zattrs"] as string)).toEqual({ level: "leaf" });
    const nestedName = toKerchunk(new VirtualDataset({ variables: { "g/v": { dims: ["x"], attrs: {}, data: virtual({ shape: [2], chunks: [2], entries: { "0": [0, 8] } }) } } }));
    expect(nestedName.refs["g/.zgroup"]).toBe('{"zarr_format":2}');
    expect(nestedName.refs["g/v/0"]).toEqual([URL_A, 0, 8]);
    const tree = toKerchunkTree({ "": new VirtualDataset({ attrs: { level: "root" } }), "a/b": leaf() });
    expect(JSON.parse(tree.refs[".zattrs"] as string)).toEqual({ level: "root" });
    expect(tree.refs["a/.zgroup"]).toBeDefined();
    expect(tree.refs["a/b/v/0"]).toEqual([URL_A, 0, 8]);
  });

  it("writes numcodecs array filters placed before bytes as v2 filters, in order", () => {
    const codecs = [
      { name: "numcodecs.delta", configuration: { dtype: "<i4", astype: "<i4" } },
      { name: "bytes", configuration: { endian: "little" } },
      { name: "numcodecs.shuffle", configuration: { elementsize: 4 } },
      { name: "numcodecs.zlib", configuration: { level: 1 } },
    ];
    const vds = new VirtualDataset({ variables: { d: { dims: ["x"], attrs: {}, data: virtual({ shape: [2], chunks: [2], codecs }) } } });
    const zarray = JSON.parse(toKerchunk(vds).refs["d/.zarray"] as string) as Record<string, unknown>;
    expect(zarray.filters).toEqual([{ id: "delta", dtype: "<i4", astype: "<i4" }, { id: "shuffle", elementsize: 4 }]);
    expect(zarray.compressor).toEqual({ id: "zlib", level: 1 });
  });

  it("refuses what Zarr v2 references cannot express, with the variable named", () => {
    const expectRefusal = (fn: () => unknown, code: string, pattern: RegExp): void => {
      let thrown: unknown;
      try {
        fn();
      } catch (error) {
        thrown = error;
      }
      expect(isVzError(thrown), String(thrown)).toBe(true);
      expect((thrown as { code: string }).code).toBe(code);
      expect((thrown as Error).message).toMatch(pattern);
    };
    const transposed = new VirtualDataset({
      variables: { t: { dims: ["x"], attrs: {}, data: virtual({ shape: [2], chunks: [2], codecs: [{ name: "transpose", configuration: { order: [0] } }, { name: "bytes" }] }) } },
    });
    expectRefusal(() => toKerchunk(transposed), "UNSUPPORTED", /variable "t" uses array-to-array codec "transpose"/);
    const vds = new VirtualDataset({ variables: { v: { dims: ["x"], attrs: {}, data: virtual({ shape: [2], chunks: [2] }) } } });
    expectRefusal(() => toKerchunk(vds, { format: "parquet" }), "UNSUPPORTED", /format "parquet" is not an in-memory format.*writeKerchunk/);
    expectRefusal(() => toKerchunk(vds, { group: "../up" }), "INVALID_ARGUMENT", /invalid group name "\.\.\/up"/);
    const badFill = new VirtualDataset({ variables: { f: { dims: ["x"], attrs: {}, data: virtual({ shape: [2], chunks: [2], fill: "warm" }) } } });
    expectRefusal(() => toKerchunk(badFill), "UNSUPPORTED", /variable "f" has fill value "warm"/);
    expectRefusal(() => toKerchunkTree({ a: vds, "a/": vds }), "INVALID_ARGUMENT", /group "a" is given twice/);
  });

  it("serialises attributes like zarr-python (bare NaN/Infinity tokens, typed arrays as lists, bigints)", () => {
    expect(attributesToJson({ a: Number.NaN, b: [1, Number.NEGATIVE_INFINITY], c: Float32Array.of(0.5), d: 2n ** 60n + 1n, e: 3n, s: "NaN" })).toBe(
      '{"a":NaN,"b":[1,-Infinity],"c":[0.5],"d":1152921504606846977,"e":3,"s":"NaN"}',
    );
    // 64-bit integers keep every digit, in typed arrays too, and integral doubles beyond 2^53 are written exactly
    expect(attributesToJson({ i: BigInt64Array.of(-9223372036854775806n, 1n), u: BigUint64Array.of(18446744073709551614n), m: -(2 ** 63), f: 1e300 })).toBe(
      '{"i":[-9223372036854775806,1],"u":[18446744073709551614],"m":-9223372036854775808,"f":1e+300}',
    );
    // and read back exactly
    // (a double JavaScript wrote without exponent, 100000002004087730000, stays a number)
    expect(parseJsonNonFinite('{"i":[-9223372036854775806,1],"u":18446744073709551614,"m":-9223372036854775808,"f":1e+300,"g":100000000000000000000,"h":100000002004087730000,"s":"12345678901234567890"}')).toEqual({
      i: [-9223372036854775806n, 1],
      u: 18446744073709551614n,
      m: -(2 ** 63),
      f: 1e300,
      g: 1e20,
      h: 1.0000000200408773e20,
      s: "12345678901234567890",
    });
  });

  it("streamed JSON (datasetsToKerchunkJsonPieces) equals kerchunkToJson of the materialised references", () => {
    const root = new VirtualDataset({
      variables: {
        temp: {
          dims: ["y", "x"],
          // a CF _FillValue keeps the missing chunks missing (without it they are written inline)
          attrs: { units: "K", bad: Number.NaN, _FillValue: -1 },
          data: virtual({ shape: [25, 3], chunks: [2, 1], entries: { "0.0": [0, 8], "10.2": [8, 8], "12.1": [16, 8], "2.0": [24, 8] }, inline: { "11.0": Uint8Array.of(9) } }),
        },
        lat: { dims: ["y"], attrs: {}, data: new LoadedArray({ dataType: "float64", shape: [25], values: new Float64Array(25).map((_, i) => i / 3) }) },
        "g/inner": { dims: [], attrs: {}, data: virtual({ shape: [], chunks: [], entries: { "": [3, 4] } }) },
      },
      coordNames: ["lat"],
      attrs: { title: "tree" },
    });
    const leaf = new VirtualDataset({ variables: { v: { dims: ["x"], attrs: {}, data: virtual({ shape: [30], chunks: [1], entries: Object.fromEntries(Array.from({ length: 30 }, (_, i) => [String(29 - i), [i, 1] as [number, number]])) }) } } });
    const tree = { "": root, "g/sub": leaf, "a.b": leaf };
    const streamed = [...datasetsToKerchunkJsonPieces(tree)].join("");
    expect(streamed).toBe(kerchunkToJson(toKerchunkTree(tree)));
    const keys = Object.keys((JSON.parse(streamed) as { refs: object }).refs);
    expect(keys.slice(0, 4)).toEqual([".zattrs", ".zgroup", "a.b/.zattrs", "a.b/.zgroup"]);
    expect(keys.filter((k) => k.startsWith("temp/"))).toEqual(["temp/.zarray", "temp/.zattrs", "temp/0.0", "temp/2.0", "temp/10.2", "temp/11.0", "temp/12.1"]);
    expect(keys.indexOf("g/inner/0")).toBeLessThan(keys.indexOf("g/sub/.zattrs"));
  });

  it("kerchunkToJson is stable: key order does not depend on insertion order; chunks in numeric order", () => {
    const make = (order: string[]): string => {
      const builder = new ChunkManifestBuilder([12]);
      for (const key of order) builder.set([Number(key)], URL_A, Number(key) * 10, 10);
      // _FillValue given, so the 7 missing chunks stay missing (not written inline)
      const vds = new VirtualDataset({ variables: { v: { dims: ["x"], attrs: { _FillValue: 0 }, data: new ManifestArray(createArrayMetadata({ shape: [12], dataType: "int8", chunkShape: [1] }), builder.build()) } } });
      return kerchunkToJson(toKerchunk(vds));
    };
    const forward = make(["0", "1", "2", "10", "11"]);
    const backward = make(["11", "10", "2", "1", "0"]);
    expect(forward).toBe(backward);
    const parsed = JSON.parse(forward) as { version: number; refs: Record<string, unknown> };
    expect(parsed.version).toBe(1);
    expect(Object.keys(parsed.refs)).toEqual([".zattrs", ".zgroup", "v/.zarray", "v/.zattrs", "v/0", "v/1", "v/2", "v/10", "v/11"]);
    // Refs out of key order in the object still serialise identically.
    const refs = toKerchunk(new VirtualDataset({ attrs: { z: 1 } }));
    const reordered = { version: 1 as const, refs: Object.fromEntries(Object.entries(refs.refs).reverse()) };
    expect(kerchunkToJson(reordered)).toBe(kerchunkToJson(refs));
  });
});

describe("writeKerchunk (atomic)", () => {
  let directory = "";
  const vds = (): VirtualDataset =>
    new VirtualDataset({ variables: { v: { dims: ["x"], attrs: {}, data: virtual({ shape: [2], chunks: [2], entries: { "0": [0, 8] } }) } } });

  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), "vz-write-"));
  });
  afterEach(() => {
    chmodSync(directory, 0o755);
    rmSync(directory, { recursive: true, force: true });
  });

  it("writes JSON equal to kerchunkToJson and leaves no temporary file", async () => {
    const path = join(directory, "refs.json");
    await writeKerchunk(vds(), path);
    expect(readFileSync(path, "utf8")).toBe(kerchunkToJson(toKerchunk(vds())));
    expect(readdirSync(directory)).toEqual(["refs.json"]);
    writeFileSync(path, "old");
    await writeKerchunk(vds(), path, { group: "g" });
    expect(Object.keys((JSON.parse(readFileSync(path, "utf8")) as { refs: object }).refs)).toContain("g/v/0");
  });

  it("on a failure before writing (unsupported dataset, unknown format) nothing appears at the path", async () => {
    const path = join(directory, "refs.json");
    const bad = new VirtualDataset({ variables: { t: { dims: ["x"], attrs: {}, data: virtual({ shape: [2], chunks: [2], codecs: [{ name: "transpose", configuration: { order: [0] } }, { name: "bytes" }] }) } } });
    await expect(writeKerchunk(bad, path)).rejects.toThrow(/array-to-array codec "transpose"/);
    await expect(writeKerchunk(bad, path, { format: "parquet" })).rejects.toThrow(/array-to-array codec "transpose"/);
    await expect(writeKerchunk(vds(), path, { format: "csv" as "json" })).rejects.toThrow(/unknown format "csv"/);
    expect(existsSync(path)).toBe(false);
    expect(readdirSync(directory)).toEqual([]);
  });

  it('format "parquet" writes a Parquet reference directory (via writeKerchunkParquet) with the same metadata', async () => {
    const path = join(directory, "refs.parq");
    await writeKerchunk(vds(), path, { format: "parquet", recordSize: 10 });
    expect(readdirSync(directory)).toEqual(["refs.parq"]);
    const files = readdirSync(path);
    expect(files).toContain(".zmetadata");
    const metadata = JSON.parse(readFileSync(join(path, ".zmetadata"), "utf8")) as { record_size: number; metadata: Record<string, unknown> };
    expect(metadata.record_size).toBe(10);
    const refs = toKerchunk(vds());
    for (const key of [".zgroup", ".zattrs", "v/.zarray", "v/.zattrs"]) {
      expect(JSON.stringify(metadata.metadata[key]), key).toBe(JSON.stringify(JSON.parse(refs.refs[key] as string)));
    }
  });

  it("on a failure while writing or renaming, the temp file is removed and an existing target is untouched", async () => {
    // Target is a directory: the rename fails after the temp file was written.
    const target = join(directory, "taken");
    mkdirSync(target);
    writeFileSync(join(target, "keep"), "x");
    const error = await writeKerchunk(vds(), target).catch((e: unknown) => e);
    expect(isVzError(error, "WRITE_FAILED")).toBe(true);
    expect((error as Error).message).toContain(target);
    expect(readdirSync(directory)).toEqual(["taken"]);
    expect(readdirSync(target)).toEqual(["keep"]);
    // overwrite: false keeps an existing file.
    const existing = join(directory, "existing.json");
    writeFileSync(existing, "previous");
    await expect(writeKerchunk(vds(), existing, { overwrite: false })).rejects.toThrow(/exists and overwrite is false/);
    expect(readFileSync(existing, "utf8")).toBe("previous");
    // Missing directory.
    await expect(writeKerchunk(vds(), join(directory, "no", "such", "refs.json"))).rejects.toThrow(/does not exist/);
  });

  it.skipIf(process.getuid?.() === 0)("a read-only directory fails with WriteError and leaves nothing (skipped as root: root ignores permissions)", async () => {
    chmodSync(directory, 0o555);
    const error = await writeKerchunk(vds(), join(directory, "refs.json")).catch((e: unknown) => e);
    expect(isVzError(error, "WRITE_FAILED")).toBe(true);
    expect(readdirSync(directory)).toEqual([]);
  });
});
