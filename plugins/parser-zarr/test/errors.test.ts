/**
 * Bad stores give typed VzErrors naming the store, the metadata key and the array; what vz cannot
 * express is UNSUPPORTED (or skipped, with onUnsupported: "skip"); junk in the store is ignored.
 */
import { isVzError, ManifestArray, MemoryReader, type VzError } from "@vz/core";
import type * as zarr from "zarrita";
import { assembleShard, readThroughZarrita } from "./helpers.js";
import { describe, expect, it } from "vitest";
import { createZarrParser, type ZarrParserOptions } from "../src/index.js";

const encoder = new TextEncoder();
const STORE = "memory://bucket/data.zarr";

function storeOf(files: Record<string, string | Uint8Array>): MemoryReader {
  const reader = new MemoryReader();
  for (const [key, value] of Object.entries(files)) reader.put(`${STORE}/${key}`, typeof value === "string" ? encoder.encode(value) : value);
  return reader;
}

const zarray = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ zarr_format: 2, shape: [4], chunks: [2], dtype: "<i4", compressor: null, filters: null, fill_value: 0, order: "C", ...extra });
const v3array = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    zarr_format: 3,
    node_type: "array",
    shape: [4],
    data_type: "int32",
    chunk_grid: { name: "regular", configuration: { chunk_shape: [2] } },
    chunk_key_encoding: { name: "default", configuration: { separator: "/" } },
    fill_value: 0,
    codecs: [{ name: "bytes", configuration: { endian: "little" } }],
    ...extra,
  });
const V2_GROUP = { ".zgroup": '{"zarr_format": 2}' };
const V3_GROUP = { "zarr.json": '{"zarr_format": 3, "node_type": "group", "attributes": {}}' };

async function failure(files: Record<string, string | Uint8Array>, options: ZarrParserOptions = {}): Promise<VzError> {
  try {
    await createZarrParser(options)(STORE, storeOf(files));
  } catch (error) {
    expect(isVzError(error), String(error)).toBe(true);
    expect((error as Error).message).toContain(STORE);
    return error as VzError;
  }
  throw new Error("the parse did not fail");
}

describe("corrupt metadata", () => {
  it("a .zarray that is not JSON: PARSE_FAILED naming the key and the array", async () => {
    const error = await failure({ ...V2_GROUP, "temp/.zarray": "{not json", "temp/0": new Uint8Array(8) });
    expect(error.code).toBe("PARSE_FAILED");
    expect(error.message).toContain("temp/.zarray");
    expect(error.message).toContain('"temp"');
    expect(error.variable).toBe("temp");
  });

  it("a .zarray with a bad field: PARSE_FAILED naming the key, the array and the field", async () => {
    const error = await failure({ ...V2_GROUP, "g/.zgroup": '{"zarr_format": 2}', "g/temp/.zarray": zarray({ chunks: [0] }) });
    expect(error.code).toBe("PARSE_FAILED");
    expect(error.message).toContain("g/temp/.zarray");
    expect(error.message).toContain("chunks");
    expect(error.variable).toBe("g/temp");
  });

  it("a zarr.json that is not JSON: PARSE_FAILED naming the key and the array", async () => {
    const error = await failure({ ...V3_GROUP, "temp/zarr.json": '{"zarr_format": 3,' });
    expect(error.code).toBe("PARSE_FAILED");
    expect(error.message).toContain("temp/zarr.json");
    expect(error.variable).toBe("temp");
  });

  it("a zarr.json with a bad field: PARSE_FAILED naming the key and the field", async () => {
    const error = await failure({ ...V3_GROUP, "temp/zarr.json": v3array({ shape: [-1] }) });
    expect(error.code).toBe("PARSE_FAILED");
    expect(error.message).toMatch(/temp\/zarr\.json of array "temp": shape/);
  });

  it("a root zarr.json that is not JSON, or not UTF-8", async () => {
    expect((await failure({ "zarr.json": "[" })).message).toContain(": zarr.json");
    expect((await failure({ "zarr.json": new Uint8Array([0xff, 0xfe, 0x7b]) })).message).toContain("not UTF-8");
  });

  it("a .zmetadata without metadata", async () => {
    const error = await failure({ ...V2_GROUP, ".zmetadata": '{"zarr_consolidated_format": 1}' });
    expect(error.code).toBe("PARSE_FAILED");
    expect(error.message).toContain(".zmetadata");
  });

  it("a node path with empty or dot segments in consolidated metadata", async () => {
    const root = JSON.parse(V3_GROUP["zarr.json"]) as Record<string, unknown>;
    root.consolidated_metadata = { kind: "inline", metadata: { "a/../b": JSON.parse(v3array()) } };
    const error = await failure({ "zarr.json": JSON.stringify(root) });
    expect(error).toMatchObject({ code: "PARSE_FAILED", variable: "a/../b" });
  });

  it("a sharding codec without inner codecs", async () => {
    const error = await failure({
      ...V3_GROUP,
      "s/zarr.json": v3array({ codecs: [{ name: "sharding_indexed", configuration: { chunk_shape: [1], index_codecs: [{ name: "bytes" }] } }] }),
    });
    expect(error.message).toMatch(/s\/zarr\.json of array "s": codecs\[0\]\.codecs/);
  });
});

describe("what is not a Zarr store, or not expressible", () => {
  it("nothing at the root: NOT_FOUND", async () => {
    expect((await failure({ "readme.txt": "hello" })).code).toBe("NOT_FOUND");
  });

  it("an array at the root: UNSUPPORTED", async () => {
    expect(await failure({ ".zarray": zarray() })).toMatchObject({ code: "UNSUPPORTED", feature: "zarr-root-array" });
    expect(await failure({ "zarr.json": v3array() })).toMatchObject({ code: "UNSUPPORTED", feature: "zarr-root-array" });
  });

  it("an unsupported dtype fails, or is skipped into the diagnostics with onUnsupported: skip", async () => {
    const files = { ...V2_GROUP, "t/.zarray": zarray({ dtype: "<M8[ns]" }), "ok/.zarray": zarray(), "ok/0": new Uint8Array(8) };
    const error = await failure(files);
    expect(error).toMatchObject({ code: "UNSUPPORTED", variable: "t" });
    expect(error.message).toContain("t/.zarray");
    const store = await createZarrParser({ onUnsupported: "skip" })(STORE, storeOf(files));
    expect([...store.group.walkArrays()].map(([path]) => path)).toEqual(["ok"]);
    expect(store.diagnostics.map((d) => d.variable)).toEqual(["t"]);
  });

  it("a chunk grid over maxChunks: UNSUPPORTED", async () => {
    const error = await failure({ ...V3_GROUP, "big/zarr.json": v3array({ shape: [1000], chunk_grid: { name: "regular", configuration: { chunk_shape: [1] } } }) }, { maxChunks: 999 });
    expect(error).toMatchObject({ code: "UNSUPPORTED", feature: "zarr-chunk-count" });
  });

  it("a non-regular chunk grid: UNSUPPORTED", async () => {
    const error = await failure({ ...V3_GROUP, "r/zarr.json": v3array({ chunk_grid: { name: "rectilinear", configuration: {} } }) });
    expect(error).toMatchObject({ code: "UNSUPPORTED", feature: "zarr-chunk-grid-rectilinear" });
  });

  it("bad options: INVALID_ARGUMENT naming the option", async () => {
    for (const [options, name] of [
      [{ concurrency: 0 }, "concurrency"],
      [{ maxChunks: Number.NaN }, "maxChunks"],
      [{ shards: "all" }, "shards"],
      [{ chunkDiscovery: "guess" }, "chunkDiscovery"],
      [{ onUnsupported: "ignore" }, "onUnsupported"],
    ] as const) {
      const error = await failure({ ...V3_GROUP }, options as unknown as ZarrParserOptions);
      expect(error.code).toBe("INVALID_ARGUMENT");
      expect(error.message).toContain(`option ${name}`);
    }
  });

  it("a v3 fill value that is not a value of the data type: PARSE_FAILED", async () => {
    const error = await failure({ ...V3_GROUP, "f/zarr.json": v3array({ fill_value: [1] }) });
    expect(error.message).toMatch(/f\/zarr\.json of array "f": fill_value \[1\] is not a value of int32/);
  });

  it("an aborted signal: ABORTED", async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(createZarrParser()(STORE, storeOf({ ...V3_GROUP }), { signal: controller.signal })).rejects.toMatchObject({ code: "ABORTED" });
  });
});

describe("listing", () => {
  it("ignores junk, keys outside the grid, and nodes outside the hierarchy (reported)", async () => {
    const store = await createZarrParser()(
      STORE,
      storeOf({
        ...V2_GROUP,
        ".DS_Store": "x",
        "a/.zarray": zarray(),
        "a/0": new Uint8Array(8),
        "a/1.tmp": new Uint8Array(8),
        "a/7": new Uint8Array(8), // outside the 2-chunk grid (left behind by a shrink)
        "a/0.0": new Uint8Array(8), // two coordinates for a 1-d array
        "orphan/child/.zarray": zarray(),
      }),
    );
    const a = store.group.resolve("a");
    expect([...store.group.walkArrays()].map(([path]) => path)).toEqual(["a"]);
    expect((a as { manifest: { chunkCount: number } }).manifest.chunkCount).toBe(1);
    expect(store.diagnostics.map((d) => [d.code, d.variable])).toEqual([["UNSUPPORTED", "orphan/child"]]);
  });

  it("skipVariables leaves arrays out", async () => {
    const store = await createZarrParser({ skipVariables: ["a"] })(STORE, storeOf({ ...V3_GROUP, "a/zarr.json": v3array(), "b/zarr.json": v3array() }));
    expect([...store.group.walkArrays()].map(([path]) => path)).toEqual(["b"]);
  });

  it('chunkDiscovery "head" finds the same chunks as listing', async () => {
    const files = { ...V3_GROUP, "a/zarr.json": v3array(), "a/c/1": new Uint8Array(8) };
    const consolidated = {
      "zarr.json": JSON.stringify({ ...JSON.parse(V3_GROUP["zarr.json"]), consolidated_metadata: { kind: "inline", metadata: { a: JSON.parse(v3array()) } } }),
    };
    const listed = await createZarrParser()(STORE, storeOf({ ...files, ...consolidated }));
    const headed = await createZarrParser({ chunkDiscovery: "head" })(STORE, storeOf({ ...files, ...consolidated }));
    for (const store of [listed, headed]) {
      const a = store.group.resolve("a") as unknown as { manifest: { get(c: number[]): unknown; chunkCount: number } };
      expect(a.manifest.chunkCount).toBe(1);
      expect(a.manifest.get([1])).toEqual({ url: `${STORE}/a/c/1`, offset: 0, length: 8 });
    }
  });
});

describe('shards: "inner"', () => {
  it("reads a shard index at the start of the shard", async () => {
    const int32 = (values: number[]) => new Uint8Array(Int32Array.from(values).buffer);
    const sharded = v3array({
      shape: [2, 4],
      chunk_grid: { name: "regular", configuration: { chunk_shape: [2, 4] } },
      fill_value: -1,
      codecs: [
        {
          name: "sharding_indexed",
          configuration: {
            chunk_shape: [2, 2],
            codecs: [{ name: "bytes", configuration: { endian: "little" } }, { name: "gzip", configuration: { level: 1 } }],
            index_codecs: [{ name: "bytes", configuration: { endian: "little" } }, { name: "crc32c" }],
            index_location: "start",
          },
        },
      ],
    });
    const store = await createZarrParser({ shards: "inner" })(
      STORE,
      storeOf({ ...V3_GROUP, "s/zarr.json": sharded, "s/c/0/0": assembleShard([undefined, int32([2, 3, 6, 7])], "start") }),
    );
    const array = store.group.resolve("s") as ManifestArray;
    expect(array.manifest.chunkCount).toBe(1);
    expect(array.manifest.get([0, 1])).toMatchObject({ url: `${STORE}/s/c/0/0`, offset: 2 * 16 + 4 });
    const { values } = await readThroughZarrita(store as unknown as zarr.Readable, "s");
    expect(values).toEqual([-1, -1, 2, 3, -1, -1, 6, 7]);
  });
});
