/**
 * The conformance kit (`describeParser`) on small stores written here: a Zarr v2 directory store
 * (both dimension separators, a missing chunk, nested groups) and a Zarr v3 one with a sharded
 * array, plus a corrupt store in memory.
 *
 * The kit's "truncated copies" check is turned off: it cuts a *file* to a few lengths and parses
 * the cut copy, but a Zarr store is a directory (or prefix) of many objects, so there is no single
 * file to cut; corrupt and truncated metadata documents are covered in errors.test.ts instead.
 * The plugin has no `sniff` (a directory has no first bytes), so the sniff checks are skipped.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { MemoryReader } from "@vz/core";
import { describeParser } from "@vz/core/testing";
import plugin from "../src/index.js";
import { assembleShard } from "./helpers.js";

const work = mkdtempSync(join(tmpdir(), "vz-zarr-conformance-"));

function put(path: string, bytes: Uint8Array | string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
}

function int32(values: number[]): Uint8Array {
  return new Uint8Array(Int32Array.from(values).buffer);
}

// Zarr v2: root group with attributes, "a" (4 × 4 int32, chunks 2 × 2, "." separator, chunk 1.1
// missing, fill 9), "g/b" (float64 [3], "/" separator irrelevant for 1-d, chunks 2).
const v2 = join(work, "small-v2.zarr");
put(join(v2, ".zgroup"), '{"zarr_format": 2}');
put(join(v2, ".zattrs"), '{"title": "small"}');
put(join(v2, "a/.zarray"), JSON.stringify({ zarr_format: 2, shape: [4, 4], chunks: [2, 2], dtype: "<i4", compressor: null, filters: null, fill_value: 9, order: "C" }));
put(join(v2, "a/.zattrs"), JSON.stringify({ _ARRAY_DIMENSIONS: ["y", "x"] }));
const aValues: number[] = [];
for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) aValues.push(i >= 2 && j >= 2 ? 9 : i * 4 + j);
for (const [ci, cj] of [[0, 0], [0, 1], [1, 0]]) {
  put(join(v2, `a/${ci}.${cj}`), int32([0, 1, 4, 5].map((k) => (ci! * 2 + Math.floor(k / 4)) * 4 + cj! * 2 + (k % 4))));
}
put(join(v2, "g/.zgroup"), '{"zarr_format": 2}');
put(join(v2, "g/b/.zarray"), JSON.stringify({ zarr_format: 2, shape: [3], chunks: [2], dtype: "<f8", compressor: null, filters: null, fill_value: "NaN", order: "C", dimension_separator: "/" }));
put(join(v2, "g/b/0"), new Uint8Array(new Float64Array([0.5, 1.5]).buffer));
put(join(v2, "g/b/1"), new Uint8Array(new Float64Array([2.5, 0]).buffer));

// Zarr v3: a sharded int32 [4, 4] array, shards 2 × 4, inner chunks 2 × 2; shard 1 missing.
const v3 = join(work, "small-v3.zarr");
put(join(v3, "zarr.json"), JSON.stringify({ zarr_format: 3, node_type: "group", attributes: { kind: "sharded" } }));
put(
  join(v3, "s/zarr.json"),
  JSON.stringify({
    zarr_format: 3,
    node_type: "array",
    shape: [4, 4],
    data_type: "int32",
    chunk_grid: { name: "regular", configuration: { chunk_shape: [2, 4] } },
    chunk_key_encoding: { name: "default", configuration: { separator: "/" } },
    fill_value: -1,
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
  }),
);
put(join(v3, "s/c/0/0"), assembleShard([int32([0, 1, 4, 5]), int32([2, 3, 6, 7])]));
const sValues = [0, 1, 2, 3, 4, 5, 6, 7, -1, -1, -1, -1, -1, -1, -1, -1];

const corrupt = new MemoryReader({
  "memory://zarr/corrupt.zarr/.zgroup": new TextEncoder().encode('{"zarr_format": 2}'),
  "memory://zarr/corrupt.zarr/x/.zarray": new TextEncoder().encode('{"zarr_format": 2, "shape": [2], "chu'),
});

describeParser({
  name: "zarr",
  plugin,
  packageJson: new URL("../package.json", import.meta.url),
  truncatedLengths: false,
  cases: [
    {
      file: v2,
      expect: {
        arrays: ["a", "g/b"],
        groups: ["g"],
        shapes: { a: [4, 4], "g/b": [3] },
        dataTypes: { a: "int32", "g/b": "float64" },
        chunkShapes: { a: [2, 2], "g/b": [2] },
        dimensionNames: { a: ["y", "x"] },
        attributes: { title: "small" },
        values: { a: aValues, "g/b": [0.5, 1.5, 2.5] },
      },
    },
    {
      file: v3,
      expect: { arrays: ["s"], shapes: { s: [4, 4] }, chunkShapes: { s: [2, 4] }, attributes: { kind: "sharded" }, values: { s: sValues } },
    },
    { url: "memory://zarr/corrupt.zarr", reader: corrupt, expect: { error: "PARSE_FAILED" } },
  ],
});
