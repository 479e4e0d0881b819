import { isVzError, ManifestArray, ManifestGroup, MemoryReader, ReaderRegistry } from "@vz/core";
import { describe, expect, it } from "vitest";
import kerchunkPlugin, { chunkIndexOf, createKerchunkParser, parseKerchunkReferences, sniffKerchunk } from "../src/index.js";
import { float64Bytes, int32BigEndianBytes, memoryRegistry, readValues } from "./helpers.js";

const REF_URL = "memory://refs/ref.json";

function zarray(fields: Record<string, unknown>): string {
  return JSON.stringify({ zarr_format: 2, compressor: null, filters: null, fill_value: null, order: "C", ...fields });
}

function arrayAt(group: ManifestGroup, path: string): ManifestArray {
  const node = group.resolve(path);
  if (!(node instanceof ManifestArray)) throw new Error(`no array at ${path}`);
  return node;
}

describe("kerchunk JSON version 1", () => {
  const data = float64Bytes([1, 2, 3, 4, 5, 6, 7, 8]);
  const document = {
    version: 1,
    templates: { u: "memory://data/a.bin", name: "a" },
    refs: {
      ".zgroup": '{"zarr_format":2}',
      ".zattrs": '{"title":"test","missing":NaN}',
      "x/.zarray": zarray({ shape: [8], chunks: [4], dtype: "<f8", fill_value: "NaN" }),
      "x/.zattrs": '{"_ARRAY_DIMENSIONS":["x"],"units":"m"}',
      "x/0": ["{{u}}", 0, 32],
      "x/1": ["memory://data/{{name}}.bin", 32, 32],
      "g/.zgroup": '{"zarr_format":2}',
      "g/.zattrs": '{"level":1}',
      "g/h/y/.zarray": zarray({ shape: [2, 3], chunks: [1, 3], dtype: ">i4", dimension_separator: "/" }),
      "g/h/y/.zattrs": '{"_ARRAY_DIMENSIONS":["a","b"]}',
      "g/h/y/0/0": ["memory://data/y.bin", 0, 12],
      "g/h/y/1/0": ["memory://data/y.bin", 12, 12],
      "s/.zarray": zarray({ shape: [], chunks: [], dtype: "<i8" }),
      "s/0": "base64:KgAAAAAAAAA=",
      "t/.zarray": zarray({ shape: [2], chunks: [2], dtype: "|u1" }),
      "t/0": "AB",
    },
  };
  const objects = { [REF_URL]: JSON.stringify(document), "memory://data/a.bin": data, "memory://data/y.bin": int32BigEndianBytes([1, -2, 3, 4, 5, -6]) };

  it("translates metadata, templates, nested groups, separators and inline data", async () => {
    const { reader } = memoryRegistry(objects);
    const store = await createKerchunkParser()(REF_URL, reader);
    expect(store.group.attributes).toEqual({ title: "test", missing: Number.NaN });
    const x = arrayAt(store.group, "x");
    expect(x.metadata.shape).toEqual([8]);
    expect(x.metadata.data_type).toBe("float64");
    expect(x.metadata.fill_value).toBeNaN();
    expect(x.metadata.dimension_names).toEqual(["x"]);
    // the v2 fill_value is the CF _FillValue xarray masks with: it is carried as that attribute
    expect(x.metadata.attributes).toEqual({ units: "m", _FillValue: Number.NaN });
    expect(x.metadata.codecs).toEqual([{ name: "bytes", configuration: { endian: "little" } }]);
    expect(x.manifest.get([0])).toEqual({ url: "memory://data/a.bin", offset: 0, length: 32 });
    expect(x.manifest.get([1])).toEqual({ url: "memory://data/a.bin", offset: 32, length: 32 });
    expect(x.manifest.urls).toEqual(["memory://data/a.bin"]);
    const group = store.group.resolve("g");
    expect(group).toBeInstanceOf(ManifestGroup);
    expect((group as ManifestGroup).attributes).toEqual({ level: 1 });
    const y = arrayAt(store.group, "g/h/y");
    expect(y.metadata.codecs).toEqual([{ name: "bytes", configuration: { endian: "big" } }]);
    expect(y.manifest.chunkCount).toBe(2);
    expect(arrayAt(store.group, "s").manifest.get([])).toEqual({ data: Uint8Array.from([42, 0, 0, 0, 0, 0, 0, 0]) });
    expect(arrayAt(store.group, "t").manifest.get([0])).toEqual({ data: Uint8Array.from([65, 66]) });
    expect(store.diagnostics).toEqual([]);
  });

  it("reads the referenced values through zarrita", async () => {
    const { reader } = memoryRegistry(objects);
    const store = await createKerchunkParser()(REF_URL, reader);
    expect(Array.from((await readValues(store, "x")).data as Float64Array)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const y = await readValues(store, "g/h/y");
    expect(y.shape).toEqual([2, 3]);
    expect(Array.from(y.data as Int32Array)).toEqual([1, -2, 3, 4, 5, -6]);
    expect((await readValues(store, "s")).data).toBe(42n);
    expect(Array.from((await readValues(store, "t")).data as Uint8Array)).toEqual([65, 66]);
  });

  it("selects a group with the group option", async () => {
    const { reader } = memoryRegistry(objects);
    const store = await createKerchunkParser({ group: "g/h" })(REF_URL, reader);
    expect([...store.group.arrays.keys()]).toEqual(["y"]);
    await expect(createKerchunkParser({ group: "nope" })(REF_URL, reader)).rejects.toSatisfy(
      (error: unknown) => isVzError(error, "INVALID_ARGUMENT") && /no group "nope"/.test((error as Error).message),
    );
  });
});

describe("kerchunk JSON version 0, gen and codecs", () => {
  it("parses a flat version-0 document", async () => {
    const document = {
      ".zgroup": '{"zarr_format":2}',
      "v/.zarray": zarray({ shape: [4], chunks: [2], dtype: "<f8" }),
      "v/0": ["memory://data/v.bin", 0, 16],
      "v/1": ["memory://data/v.bin", 16, 16],
    };
    const { reader } = memoryRegistry({ [REF_URL]: JSON.stringify(document), "memory://data/v.bin": float64Bytes([9, 8, 7, 6]) });
    const store = await createKerchunkParser()(REF_URL, reader);
    expect(Array.from((await readValues(store, "v")).data as Float64Array)).toEqual([9, 8, 7, 6]);
  });

  it("expands gen entries with arithmetic offsets", async () => {
    const document = {
      version: 1,
      templates: { base: "memory://data" },
      gen: [
        {
          key: "v/{{i}}.{{j}}",
          url: "{{base}}/part{{i}}.bin",
          offset: "{{ j * 16 }}",
          length: "16",
          dimensions: { i: { stop: 3 }, j: [0, 1] },
        },
      ],
      refs: { ".zgroup": '{"zarr_format":2}', "v/.zarray": zarray({ shape: [3, 4], chunks: [1, 2], dtype: "<f8" }) },
    };
    const objects: Record<string, Uint8Array | string> = { [REF_URL]: JSON.stringify(document) };
    for (let i = 0; i < 3; i++) objects[`memory://data/part${i}.bin`] = float64Bytes([i * 10, i * 10 + 1, i * 10 + 2, i * 10 + 3]);
    const { reader } = memoryRegistry(objects);
    const store = await createKerchunkParser()(REF_URL, reader);
    const v = arrayAt(store.group, "v");
    expect(v.manifest.chunkCount).toBe(6);
    expect(v.manifest.get([2, 1])).toEqual({ url: "memory://data/part2.bin", offset: 16, length: 16 });
    expect(Array.from((await readValues(store, "v")).data as Float64Array)).toEqual([0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23]);
  });

  it("maps filters and compressor to v3 codecs in order, strings and Fortran order", async () => {
    const document = {
      version: 1,
      refs: {
        "z/.zarray": zarray({
          shape: [10, 10],
          chunks: [5, 5],
          dtype: "<i2",
          filters: [{ id: "delta", dtype: "<i2" }, { id: "shuffle", elementsize: 2 }],
          compressor: { id: "blosc", cname: "lz4", clevel: 5, shuffle: 1, blocksize: 0 },
          fill_value: -9,
        }),
        "l/.zarray": zarray({ shape: [4], chunks: [4], dtype: "<f4", compressor: { id: "imagecodecs_lzf" } }),
        "p/.zarray": zarray({ shape: [5], chunks: [4], dtype: "|u1", filters: [{ id: "vz_zero_pad", nbytes: 4 }], compressor: { id: "imagecodecs_lzw" } }),
        "f/.zarray": zarray({ shape: [2, 3], chunks: [2, 3], dtype: "<f8", order: "F" }),
        "s/.zarray": zarray({ shape: [2], chunks: [2], dtype: "|O", filters: [{ id: "vlen-utf8" }], compressor: { id: "zlib", level: 1 } }),
        "c/.zarray": zarray({ shape: [2], chunks: [2], dtype: [["a", "<i4"]] }),
      },
    };
    const { reader } = memoryRegistry({ [REF_URL]: JSON.stringify(document) });
    const store = await createKerchunkParser()(REF_URL, reader);
    const z = arrayAt(store.group, "z");
    expect(z.metadata.codecs).toEqual([
      { name: "numcodecs.delta", configuration: { dtype: "<i2" } },
      { name: "bytes", configuration: { endian: "little" } },
      { name: "numcodecs.shuffle", configuration: { elementsize: 2 } },
      { name: "numcodecs.blosc", configuration: { cname: "lz4", clevel: 5, shuffle: 1, blocksize: 0 } },
    ]);
    expect(z.metadata.fill_value).toBe(-9);
    expect(arrayAt(store.group, "l").metadata.codecs[1]).toEqual({ name: "imagecodecs_lzf" });
    // vz's own ids (the TIFF short-strip padding) keep their name, as imagecodecs ids do
    expect(arrayAt(store.group, "p").metadata.codecs.slice(1)).toEqual([{ name: "vz_zero_pad", configuration: { nbytes: 4 } }, { name: "imagecodecs_lzw" }]);
    expect(arrayAt(store.group, "f").metadata.codecs[0]).toEqual({ name: "transpose", configuration: { order: [1, 0] } });
    const s = arrayAt(store.group, "s");
    expect(s.metadata.data_type).toBe("string");
    expect(s.metadata.codecs).toEqual([{ name: "vlen-utf8" }, { name: "numcodecs.zlib", configuration: { level: 1 } }]);
    // the compound array is left out with a typed diagnostic naming file and variable
    expect(store.group.resolve("c")).toBeUndefined();
    expect(store.diagnostics).toHaveLength(1);
    expect(isVzError(store.diagnostics[0], "UNSUPPORTED")).toBe(true);
    expect(store.diagnostics[0]!.message).toContain(REF_URL);
    expect(store.diagnostics[0]!.variable).toBe("c");
  });

  it("reads consolidated .zmetadata and a root-level array", async () => {
    const consolidated = {
      version: 1,
      refs: {
        ".zmetadata": JSON.stringify({
          zarr_consolidated_format: 1,
          metadata: { ".zgroup": { zarr_format: 2 }, "a/.zarray": JSON.parse(zarray({ shape: [2], chunks: [1], dtype: "<f8" })), "a/.zattrs": { _ARRAY_DIMENSIONS: ["n"] } },
        }),
        "a/0": ["memory://data/a.bin", 0, 8],
        "a/1": ["memory://data/a.bin", 8, 8],
      },
    };
    const rootArray = { version: 1, refs: { ".zarray": zarray({ shape: [2], chunks: [2], dtype: "<f8" }), "0": ["memory://data/a.bin", 0, 16] } };
    const { reader, memory } = memoryRegistry({ [REF_URL]: JSON.stringify(consolidated), "memory://data/a.bin": float64Bytes([1.5, 2.5]) });
    const store = await createKerchunkParser()(REF_URL, reader);
    expect(arrayAt(store.group, "a").metadata.dimension_names).toEqual(["n"]);
    expect(Array.from((await readValues(store, "a")).data as Float64Array)).toEqual([1.5, 2.5]);
    memory.put("memory://refs/root.json", new TextEncoder().encode(JSON.stringify(rootArray)));
    const rootStore = await createKerchunkParser({ rootArrayName: "image" })("memory://refs/root.json", reader);
    expect(Array.from((await readValues(rootStore, "image")).data as Float64Array)).toEqual([1.5, 2.5]);
  });

  it("computes flat chunk indices from '.' and '/' keys", () => {
    expect(chunkIndexOf("1.2", [3, 4])).toBe(6);
    expect(chunkIndexOf("1/2", [3, 4])).toBe(6);
    expect(chunkIndexOf("3.0", [3, 4])).toBe(-1);
    expect(chunkIndexOf("0", [])).toBe(0);
    expect(chunkIndexOf("1..2", [3, 4])).toBe(-1);
    expect(chunkIndexOf("a.b", [3, 4])).toBe(-1);
  });

  it("sniffs JSON references and declares itself as package.json says", async () => {
    const encode = (text: string) => new TextEncoder().encode(text);
    expect(sniffKerchunk(encode('{"version": 1, "refs": {}}'))).toBe(true);
    expect(sniffKerchunk(encode('{\n ".zgroup": "{}"'))).toBe(true);
    expect(sniffKerchunk(encode('{"name": "pkg"}'))).toBe(false);
    expect(sniffKerchunk(Uint8Array.from([0x89, 0x48, 0x44, 0x46]))).toBe(false);
    const { readFile } = await import("node:fs/promises");
    const pkg = JSON.parse(await readFile(new URL("../package.json", import.meta.url), "utf8"));
    expect(Object.keys(pkg.virtualizarr.parsers)).toEqual([kerchunkPlugin.name]);
  });
});

describe("refusals", () => {
  const relative = { version: 1, refs: { "v/.zarray": zarray({ shape: [1], chunks: [1], dtype: "<f8" }), "v/0": ["data/v.bin", 0, 8] } };

  it("refuses a relative URL without root, and resolves it against an explicit root", async () => {
    const { reader } = memoryRegistry({ [REF_URL]: JSON.stringify(relative), "memory://bucket/data/v.bin": float64Bytes([3.25]) });
    const error = await createKerchunkParser()(REF_URL, reader).catch((e: unknown) => e);
    expect(isVzError(error, "URL_NOT_ALLOWED")).toBe(true);
    expect((error as Error).message).toContain(REF_URL);
    expect((error as Error).message).toContain("data/v.bin");
    const store = await createKerchunkParser({ root: "memory://bucket/" })(REF_URL, reader);
    expect(arrayAt(store.group, "v").manifest.get([0])).toEqual({ url: "memory://bucket/data/v.bin", offset: 0, length: 8 });
    expect(Array.from((await readValues(store, "v")).data as Float64Array)).toEqual([3.25]);
  });

  it("parses references to unregistered URLs but refuses to read them", async () => {
    const document = {
      version: 1,
      refs: {
        "v/.zarray": zarray({ shape: [2], chunks: [1], dtype: "<f8" }),
        "v/0": ["file:///etc/passwd", 0, 8],
        "v/1": ["https://evil.example/x", 0, 8],
      },
    };
    const memory = new MemoryReader({ [REF_URL]: new TextEncoder().encode(JSON.stringify(document)) });
    const reader = new ReaderRegistry({ "memory://refs/": memory });
    const store = await createKerchunkParser()(REF_URL, reader);
    for (const key of ["v/c/0", "v/c/1"]) {
      const error = await store.get(key).catch((e: unknown) => e);
      expect(isVzError(error, "URL_NOT_ALLOWED")).toBe(true);
    }
  });

  it("throws typed errors naming the file for malformed documents", async () => {
    const cases: [string, string][] = [
      ["not json", "PARSE_FAILED"],
      ['{"version": 2, "refs": {}}', "UNSUPPORTED"],
      ['{"version": 1, "refs": {"v/.zarray": "{bad"}}', "PARSE_FAILED"],
      [JSON.stringify({ version: 1, refs: { "v/.zarray": zarray({ shape: [1], chunks: [1], dtype: "<f8" }), "v/0": ["memory://x", -1, 8] } }), "INVALID_MANIFEST"],
      [JSON.stringify({ version: 1, refs: { "v/.zarray": zarray({ shape: [1], chunks: [1], dtype: "<f8" }), "v/0": [1, 2] } }), "PARSE_FAILED"],
      [JSON.stringify({ version: 1, refs: { "v/.zarray": zarray({ shape: [1], chunks: [1], dtype: "<f8" }), "v/0": ["memory://x"] } }), "UNSUPPORTED"],
      [JSON.stringify({ version: 1, gen: [{ key: "v/{{i}}", url: "memory://x", offset: "{{ process.exit() }}", length: "1", dimensions: { i: [0] } }], refs: { "v/.zarray": zarray({ shape: [1], chunks: [1], dtype: "<f8" }) } }), "PARSE_FAILED"],
      ["[{}, {}]", "PARSE_FAILED"],
    ];
    for (const [text, code] of cases) {
      const { reader } = memoryRegistry({ [REF_URL]: text });
      const error = await createKerchunkParser()(REF_URL, reader).catch((e: unknown) => e);
      expect(isVzError(error), text).toBe(true);
      expect((error as { code: string }).code, text).toBe(code);
      expect((error as Error).message, text).toContain(REF_URL);
    }
  });

  it("looks whole-file [url] sizes up through the reader only when asked", async () => {
    const document = { version: 1, refs: { "v/.zarray": zarray({ shape: [2], chunks: [2], dtype: "<f8" }), "v/0": ["memory://data/whole.bin"] } };
    const { reader } = memoryRegistry({ [REF_URL]: JSON.stringify(document), "memory://data/whole.bin": float64Bytes([4, 5]) });
    const store = await createKerchunkParser({ wholeFileReferences: "head" })(REF_URL, reader);
    expect(arrayAt(store.group, "v").manifest.get([0])).toEqual({ url: "memory://data/whole.bin", offset: 0, length: 16 });
    expect(Array.from((await readValues(store, "v")).data as Float64Array)).toEqual([4, 5]);
  });

  it("accepts parsed documents directly (a list of reference sets, one at a time)", async () => {
    const { reader } = memoryRegistry({ "memory://data/v.bin": float64Bytes([7]) });
    const list = [{ version: 1, refs: { "v/.zarray": zarray({ shape: [1], chunks: [1], dtype: "<f8" }), "v/0": ["memory://data/v.bin", 0, 8] } }];
    const store = await parseKerchunkReferences(list[0], "memory://refs/list.json#0", reader);
    expect(Array.from((await readValues(store, "v")).data as Float64Array)).toEqual([7]);
  });
});
