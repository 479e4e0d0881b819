/**
 * Robustness: metadata documents mutated at random (byte mutations, and JSON values replaced by
 * values of other types) either parse or fail with a typed VzError naming the store — never a
 * TypeError/RangeError, never a hang. Seeded, so failures reproduce.
 */
import { isVzError, MemoryReader } from "@vz/core";
import { createRandom, mutateBytes } from "@vz/core/testing/tools";
import { describe, expect, it } from "vitest";
import { createZarrParser } from "../src/index.js";
import { assembleShard } from "./helpers.js";

const STORE = "memory://fuzz/store.zarr";
const encoder = new TextEncoder();

const v2Files: Record<string, unknown> = {
  ".zgroup": { zarr_format: 2 },
  ".zattrs": { title: "fuzz" },
  "a/.zarray": {
    zarr_format: 2,
    shape: [4, 3],
    chunks: [2, 2],
    dtype: "<f8",
    compressor: { id: "zlib", level: 1 },
    filters: [{ id: "delta", dtype: "<f8" }, { id: "shuffle", elementsize: 8 }],
    fill_value: "NaN",
    order: "C",
    dimension_separator: "/",
  },
  "a/.zattrs": { _ARRAY_DIMENSIONS: ["y", "x"], units: "m" },
  "g/.zgroup": { zarr_format: 2 },
  "g/s/.zarray": { zarr_format: 2, shape: [3], chunks: [3], dtype: "|O", compressor: null, filters: [{ id: "vlen-utf8" }], fill_value: "", order: "F" },
};
v2Files[".zmetadata"] = {
  zarr_consolidated_format: 1,
  metadata: Object.fromEntries(Object.entries(v2Files).filter(([key]) => key !== ".zmetadata")),
};

const v3Array = {
  zarr_format: 3,
  node_type: "array",
  shape: [4, 4],
  data_type: "int32",
  chunk_grid: { name: "regular", configuration: { chunk_shape: [2, 4] } },
  chunk_key_encoding: { name: "default", configuration: { separator: "/" } },
  fill_value: 0,
  codecs: [
    {
      name: "sharding_indexed",
      configuration: {
        chunk_shape: [2, 2],
        codecs: [{ name: "bytes", configuration: { endian: "little" } }, { name: "gzip", configuration: { level: 1 } }],
        index_codecs: [{ name: "bytes", configuration: { endian: "little" } }, { name: "crc32c" }],
        index_location: "end",
      },
    },
  ],
  attributes: {},
  dimension_names: ["y", null],
};
const v3Files: Record<string, unknown> = {
  "zarr.json": { zarr_format: 3, node_type: "group", attributes: {}, consolidated_metadata: { kind: "inline", metadata: { s: v3Array } } },
  "s/zarr.json": v3Array,
};
const shard = assembleShard([new Uint8Array(16), new Uint8Array(16)]);

const ODD_VALUES: unknown[] = [null, -1, 0, 2 ** 60, 1.5, "x", "", [], {}, [1, -2], [[1]], true, { name: 3 }, "NaN"];

/** Every JSON path in `value` (arrays and objects), as lists of keys. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) return [prefix, ...value.flatMap((v, i) => paths(v, [...prefix, i]))];
  if (typeof value === "object" && value !== null) return [prefix, ...Object.entries(value).flatMap(([k, v]) => paths(v, [...prefix, k]))];
  return [prefix];
}

function replaced(document: unknown, path: (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = structuredClone(document) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path[path.length - 1]!] = value;
  return copy;
}

async function outcome(files: Map<string, Uint8Array>, options: Parameters<typeof createZarrParser>[0] = {}): Promise<string> {
  const reader = new MemoryReader();
  for (const [key, bytes] of files) reader.put(`${STORE}/${key}`, bytes);
  try {
    await createZarrParser(options)(STORE, reader);
    return "ok";
  } catch (error) {
    if (!isVzError(error)) throw error;
    expect((error as Error).message).toContain(STORE);
    return (error as { code: string }).code;
  }
}

function encoded(files: Record<string, unknown>): Map<string, Uint8Array> {
  return new Map(Object.entries(files).map(([key, value]) => [key, encoder.encode(JSON.stringify(value))]));
}

describe("fuzzed metadata gives parses or typed errors", () => {
  for (const [name, files, extra] of [
    ["v2", v2Files, {}],
    ["v3", v3Files, { "s/c/0/0": shard, "s/c/1/0": shard }],
  ] as const) {
    for (const consolidated of [true, false]) {
      it(`${name}, consolidated ${consolidated}: byte mutations and replaced values`, async () => {
        const random = createRandom(name === "v2" ? 20 : 30);
        const base = encoded(files);
        for (const [key, bytes] of Object.entries(extra)) base.set(key, bytes);
        const codes = new Map<string, number>();
        const count = (code: string) => codes.set(code, (codes.get(code) ?? 0) + 1);
        const keys = Object.keys(files);
        for (let round = 0; round < 150; round++) {
          const key = keys[Math.floor(random() * keys.length)]!;
          const mutatedBytes = new Map(base);
          mutatedBytes.set(key, mutateBytes(base.get(key)!, random).bytes);
          count(await outcome(mutatedBytes, { consolidated, shards: round % 2 ? "inner" : "keep" }));
          const choices = paths(files[key]);
          const path = choices[Math.floor(random() * choices.length)]!;
          const value = ODD_VALUES[Math.floor(random() * ODD_VALUES.length)];
          const mutatedValue = new Map(base);
          mutatedValue.set(key, encoder.encode(JSON.stringify(replaced(files[key], path, value))));
          count(await outcome(mutatedValue, { consolidated, shards: round % 2 ? "inner" : "keep" }));
        }
        // The mutations reach the checks (not everything fails the same way, not everything parses).
        expect(codes.get("PARSE_FAILED") ?? 0).toBeGreaterThan(0);
        expect(codes.get("ok") ?? 0).toBeGreaterThan(0);
      });
    }
  }

  it("a shard whose index points past its end, with shards: inner", async () => {
    const broken = shard.slice();
    const view = new DataView(broken.buffer);
    const indexStart = broken.length - 2 * 16 - 4;
    view.setBigUint64(indexStart + 8, 1n << 40n, true); // length of inner chunk 0
    const files = encoded(v3Files);
    files.set("s/c/0/0", broken);
    const reader = new MemoryReader();
    for (const [key, bytes] of files) reader.put(`${STORE}/${key}`, bytes);
    // The crc32c no longer matches; without it, the range check catches the length.
    await expect(createZarrParser({ shards: "inner" })(STORE, reader)).rejects.toMatchObject({ code: "PARSE_FAILED" });
    const noChecksum = structuredClone(v3Array);
    (noChecksum.codecs[0]!.configuration as { index_codecs: unknown[] }).index_codecs = [{ name: "bytes", configuration: { endian: "little" } }];
    const plain = broken.slice(0, broken.length - 4);
    const files2 = encoded({ "zarr.json": { zarr_format: 3, node_type: "group" }, "s/zarr.json": noChecksum });
    files2.set("s/c/0/0", plain);
    const reader2 = new MemoryReader();
    for (const [key, bytes] of files2) reader2.put(`${STORE}/${key}`, bytes);
    await expect(createZarrParser({ shards: "inner" })(STORE, reader2)).rejects.toMatchObject({
      code: "PARSE_FAILED",
      message: expect.stringContaining("passes the end of the shard"),
    });
  });
});
