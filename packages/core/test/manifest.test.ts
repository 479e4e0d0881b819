/**
 * ChunkManifest / ChunkManifestBuilder / ManifestArray: construction, validation errors, and
 * VirtualiZarr's concat / stack / broadcastTo / expandDims with every refusal.
 */
import { describe, expect, it } from "vitest";
import {
  broadcastManifestArray,
  ChunkManifest,
  ChunkManifestBuilder,
  concatManifestArrays,
  createArrayMetadata,
  expandDimsManifestArray,
  INLINED,
  isVzError,
  ManifestArray,
  MISSING,
  stackManifestArrays,
  type DataType,
} from "../src/index.js";
import { concatManifests, parseChunkKey } from "../src/manifest/chunk-manifest.js";

const A = "file:///data/a.nc";
const B = "s3://bucket/b.nc";

/** Every chunk of `manifest` as "key → url@offset+length" / "key → inline:n" strings. */
function describeChunks(manifest: ChunkManifest): string[] {
  return [...manifest.entries()].map(([coords, entry]) =>
    "data" in entry ? `${coords.join(".")}=inline:${Array.from(entry.data).join(",")}` : `${coords.join(".")}=${entry.url}@${entry.offset}+${entry.length}`,
  );
}

function expectVzError(fn: () => unknown, code: string, pattern: RegExp): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown, `expected ${code} ${pattern}`).toBeDefined();
  expect(isVzError(thrown), String(thrown)).toBe(true);
  expect((thrown as { code: string }).code).toBe(code);
  expect((thrown as Error).message).toMatch(pattern);
}

/** A 1-d float32 array of `length` values in chunks of `chunk`, chunk i at offset 1000*i + base in `url`. */
function array1d(options: { length: number; chunk: number; url?: string; base?: number; dataType?: DataType; fill?: unknown; codecs?: { name: string; configuration?: Record<string, unknown> }[] }): ManifestArray {
  const grid = Math.ceil(options.length / options.chunk);
  const builder = new ChunkManifestBuilder([grid]);
  for (let i = 0; i < grid; i++) builder.set([i], options.url ?? A, (options.base ?? 0) + 1000 * i, 4 * options.chunk);
  return new ManifestArray(
    createArrayMetadata({
      shape: [options.length],
      dataType: options.dataType ?? "float32",
      chunkShape: [options.chunk],
      fillValue: options.fill ?? 0,
      dimensionNames: ["x"],
      ...(options.codecs ? { codecs: options.codecs } : {}),
    }),
    builder.build(),
  );
}

describe("ChunkManifestBuilder / ChunkManifest", () => {
  it("stores refs, inlined and missing chunks and reports them by coordinates and flat index", () => {
    const builder = new ChunkManifestBuilder([2, 3]);
    builder.set([0, 0], A, 10, 20).set([0, 2], B, 2 ** 40, 5).set(4, A, 99, 1).setInlined([1, 2], Uint8Array.of(7, 8));
    builder.set([0, 1], A, 1, 1).setMissing([0, 1]);
    const manifest = builder.build();
    expect(manifest.shape).toEqual([2, 3]);
    expect(manifest.gridSize).toBe(6);
    expect(manifest.chunkCount).toBe(4);
    expect(manifest.urls).toEqual([A, B]);
    expect(manifest.get([0, 0])).toEqual({ url: A, offset: 10, length: 20 });
    expect(manifest.get([0, 2])).toEqual({ url: B, offset: 2 ** 40, length: 5 });
    expect(manifest.get([1, 1])).toEqual({ url: A, offset: 99, length: 1 });
    expect(manifest.get([0, 1])).toBeUndefined();
    expect(manifest.get([1, 0])).toBeUndefined();
    expect(manifest.get([2, 0])).toBeUndefined();
    expect(manifest.get([1, 2])).toEqual({ data: Uint8Array.of(7, 8) });
    expect(manifest.kindAt(5)).toBe("inlined");
    expect(manifest.kindAt(1)).toBe("missing");
    expect(manifest.flatIndex([1, 2])).toBe(5);
    expect(manifest.flatIndex([1, 3])).toBe(-1);
    expect(describeChunks(manifest)).toEqual([`0.0=${A}@10+20`, `0.2=${B}@1099511627776+5`, `1.1=${A}@99+1`, "1.2=inline:7,8"]);
    const arrays = manifest.toArrays();
    expect(Array.from(arrays.urlIds)).toEqual([0, MISSING, 1, MISSING, 0, INLINED]);
    expect(ChunkManifest.fromArrays(arrays).equals(manifest)).toBe(true);
  });

  it("keeps lengths above 4 GiB and offsets up to 2^53 - 1 exactly", () => {
    const manifest = new ChunkManifestBuilder([2]).set([0], A, Number.MAX_SAFE_INTEGER - 10, 5 * 2 ** 32).set([1], A, 0, 1).build();
    expect(manifest.get([0])).toEqual({ url: A, offset: Number.MAX_SAFE_INTEGER - 10, length: 5 * 2 ** 32 });
  });

  it("uses 1-byte URL ids below 254 URLs and wider ids beyond, with the same content", () => {
    const few = new ChunkManifestBuilder([3]);
    const many = new ChunkManifestBuilder([300]);
    for (let i = 0; i < 3; i++) few.set([i], `${A}.${i}`, i, 1);
    for (let i = 0; i < 300; i++) many.set([i], `${A}.${i}`, i, 1);
    const small = few.build();
    const large = many.build();
    expect(small.byteSize - small.urls.reduce((n, u) => n + 2 * u.length, 0)).toBe(3 * (1 + 8 + 4));
    expect(large.byteSize - large.urls.reduce((n, u) => n + 2 * u.length, 0)).toBe(300 * (2 + 8 + 4));
    expect(large.get([299])).toEqual({ url: `${A}.299`, offset: 299, length: 1 });
    expect(large.get([0])).toEqual({ url: `${A}.0`, offset: 0, length: 1 });
  });

  it("fromEntries accepts '.' and '/' keys, tuples and objects; 0-d arrays use key '0'", () => {
    const manifest = ChunkManifest.fromEntries({ "0.1": [A, 5, 6], "1/0": { url: B, offset: 7, length: 8 } }, [2, 2]);
    expect(describeChunks(manifest)).toEqual([`0.1=${A}@5+6`, `1.0=${B}@7+8`]);
    const scalar = ChunkManifest.fromEntries({ "0": [A, 1, 2] }, []);
    expect(scalar.get([])).toEqual({ url: A, offset: 1, length: 2 });
    expect(parseChunkKey("c/3/4", 2)).toEqual([3, 4]);
    expect(parseChunkKey("c", 0)).toEqual([]);
  });

  it("refuses bad keys, keys outside the grid and wrong dimensionality", () => {
    expectVzError(() => ChunkManifest.fromEntries({ "0.x": [A, 0, 1] }, [2, 2]), "INVALID_MANIFEST", /chunk key "0\.x" does not match 2 dimensions/);
    expectVzError(() => ChunkManifest.fromEntries({ "0.0.0": [A, 0, 1] }, [2, 2]), "INVALID_MANIFEST", /does not match 2 dimensions/);
    expectVzError(() => ChunkManifest.fromEntries({ "1": [A, 0, 1] }, []), "INVALID_MANIFEST", /does not fit a 0-d array/);
    expectVzError(() => ChunkManifest.fromEntries({ "2.0": [A, 0, 1] }, [2, 2]), "INVALID_MANIFEST", /\[2, 0\] outside the grid \[2, 2\]/);
    expectVzError(() => new ChunkManifestBuilder([2]).set([0, 0], A, 0, 1), "INVALID_MANIFEST", /has 2 dimensions, the grid has 1/);
    expectVzError(() => new ChunkManifestBuilder([2]).set(2, A, 0, 1), "INVALID_MANIFEST", /chunk index 2 outside the grid \[2\]/);
    expectVzError(() => new ChunkManifestBuilder([-1]), "INVALID_MANIFEST", /invalid chunk grid shape \[-1\]/);
  });

  it("refuses relative URLs, unsafe or negative offsets, inconsistent array lengths and bad ids", () => {
    expectVzError(() => new ChunkManifestBuilder([1]).set([0], "data/a.nc", 0, 1).build(), "INVALID_MANIFEST", /"data\/a\.nc" is relative/);
    expectVzError(() => new ChunkManifestBuilder([1]).set([0], A, 2 ** 53, 1).build(), "INVALID_MANIFEST", /invalid offset 9007199254740992/);
    expectVzError(() => new ChunkManifestBuilder([1]).set([0], A, -1, 1).build(), "INVALID_MANIFEST", /invalid offset -1/);
    expectVzError(() => new ChunkManifestBuilder([1]).set([0], A, 1.5, 1).build(), "INVALID_MANIFEST", /invalid offset 1\.5/);
    expectVzError(
      () => ChunkManifest.fromArrays({ shape: [2, 2], urls: [A], urlIds: [0, 0, 0], offsets: [0, 0, 0], lengths: [1, 1, 1] }),
      "INVALID_MANIFEST",
      /chunk grid \[2, 2\] has 4 chunks but got 3 ids/,
    );
    expectVzError(
      () => ChunkManifest.fromArrays({ shape: [1], urls: [A], urlIds: [3], offsets: [0], lengths: [1] }),
      "INVALID_MANIFEST",
      /refers to URL id 3, but there are 1 URLs/,
    );
    expectVzError(
      () => ChunkManifest.fromArrays({ shape: [1], urls: [], urlIds: [INLINED], offsets: [0], lengths: [0] }),
      "INVALID_MANIFEST",
      /marked inlined but has no data/,
    );
    expectVzError(
      () => ChunkManifest.fromArrays({ shape: [1], urls: [A], urlIds: [0], offsets: [0], lengths: [1], inlined: new Map([[0, Uint8Array.of(1)]]) }),
      "INVALID_MANIFEST",
      /both referenced and inlined/,
    );
  });

  it("concatManifests merges URL tables and places chunks along the axis", () => {
    const left = ChunkManifest.fromEntries({ "0.0": [A, 0, 1], "1.1": [B, 1, 1] }, [2, 2]);
    const right = ChunkManifest.fromEntries({ "0.0": [B, 2, 1], "0.1": ["file:///c.nc", 3, 1] }, [1, 2]);
    const rows = concatManifests([left, right], 0);
    expect(rows.shape).toEqual([3, 2]);
    expect(rows.urls).toEqual([A, B, "file:///c.nc"]);
    expect(describeChunks(rows)).toEqual([`0.0=${A}@0+1`, `1.1=${B}@1+1`, `2.0=${B}@2+1`, "2.1=file:///c.nc@3+1"]);
    const columns = concatManifests([left, left], 1);
    expect(describeChunks(columns)).toEqual([`0.0=${A}@0+1`, `0.2=${A}@0+1`, `1.1=${B}@1+1`, `1.3=${B}@1+1`]);
    expectVzError(() => concatManifests([left, right], 1), "INVALID_MANIFEST", /manifest 1 has chunk grid \[1, 2\], incompatible with \[2, 2\] off axis 1/);
    expectVzError(() => concatManifests([], 0), "INVALID_MANIFEST", /no manifests given/);
    expectVzError(() => concatManifests([left], 2), "INVALID_MANIFEST", /axis 2 outside 2 dimensions/);
  });
});

describe("ManifestArray", () => {
  it("refuses a manifest whose grid does not fit shape and chunks, and inconsistent metadata", () => {
    const manifest = new ChunkManifestBuilder([2]).build();
    expectVzError(
      () => new ManifestArray(createArrayMetadata({ shape: [10], dataType: "int8", chunkShape: [3] }), manifest, "v"),
      "CONCAT_FAILED",
      /v: shape \[10\] with chunks \[3\] needs a chunk grid \[4\], but the manifest's grid is \[2\]/,
    );
    expectVzError(() => createArrayMetadata({ shape: [10, 2], dataType: "int8", chunkShape: [3] }), "INVALID_MANIFEST", /chunk shape \[3\] has 1 dimensions, shape \[10, 2\] has 2/);
    expectVzError(() => createArrayMetadata({ shape: [10], dataType: "int8", chunkShape: [0] }), "INVALID_MANIFEST", /invalid chunk shape \[0\]/);
    expectVzError(
      () => createArrayMetadata({ shape: [10], dataType: "int8", chunkShape: [5], dimensionNames: ["a", "b"] }),
      "INVALID_MANIFEST",
      /2 dimension names for 1 dimensions/,
    );
  });

  it("concat joins along an axis; the last array may end in a partial chunk", () => {
    const first = array1d({ length: 8, chunk: 4 });
    const last = array1d({ length: 6, chunk: 4, url: B, base: 50 });
    const joined = concatManifestArrays([first, last], 0);
    expect(joined.shape).toEqual([14]);
    expect(joined.chunks).toEqual([4]);
    expect(describeChunks(joined.manifest)).toEqual([`0=${A}@0+16`, `1=${A}@1000+16`, `2=${B}@50+16`, `3=${B}@1050+16`]);
    expect(concatManifestArrays([first, last], -1).shape).toEqual([14]);
  });

  it("concat refuses every incompatibility with a message naming it", () => {
    const base = array1d({ length: 8, chunk: 4 });
    expectVzError(() => concatManifestArrays([], 0), "CONCAT_FAILED", /concat: no arrays given/);
    expectVzError(() => concatManifestArrays([base, array1d({ length: 8, chunk: 4, dataType: "int32" })], 0), "CONCAT_FAILED", /array 1 has data type int32, array 0 has float32/);
    expectVzError(() => concatManifestArrays([base, array1d({ length: 8, chunk: 2 })], 0), "CONCAT_FAILED", /array 1 has chunk shape \[2\], array 0 has \[4\]; virtual concatenation needs identical chunking/);
    expectVzError(
      () => concatManifestArrays([base, array1d({ length: 8, chunk: 4, codecs: [{ name: "bytes", configuration: { endian: "big" } }] })], 0),
      "CONCAT_FAILED",
      /array 1 has codecs .*big.*, array 0 has .*little/,
    );
    expectVzError(() => concatManifestArrays([base, array1d({ length: 8, chunk: 4, fill: -1 })], 0), "CONCAT_FAILED", /array 1 has fill value -1, array 0 has 0/);
    expect(() => concatManifestArrays([array1d({ length: 8, chunk: 4, fill: Number.NaN }), array1d({ length: 8, chunk: 4, fill: Number.NaN })], 0)).not.toThrow();
    expectVzError(() => concatManifestArrays([array1d({ length: 6, chunk: 4 }), base], 0), "CONCAT_FAILED", /array 0 has length 6 along axis 0, not a multiple of the chunk length 4; only the last array may end in a partial chunk/);
    expectVzError(() => concatManifestArrays([base, base], 1), "CONCAT_FAILED", /axis 1 is out of bounds for 1-dimensional arrays/);
    const twoD = expandDimsManifestArray(base, 0);
    expectVzError(() => concatManifestArrays([base, twoD], 0), "CONCAT_FAILED", /array 1 has 2 dimensions, array 0 has 1/);
    const wide = new ManifestArray(createArrayMetadata({ shape: [2, 8], dataType: "float32", chunkShape: [1, 4] }), new ChunkManifestBuilder([2, 2]).build());
    const narrow = new ManifestArray(createArrayMetadata({ shape: [2, 4], dataType: "float32", chunkShape: [1, 4] }), new ChunkManifestBuilder([2, 1]).build());
    expectVzError(() => concatManifestArrays([wide, narrow], 0), "CONCAT_FAILED", /array 1 has shape \[2, 4\], array 0 has \[2, 8\]; they must agree on every axis but 0/);
  });

  it("stack adds a new axis with chunk length 1", () => {
    const a = array1d({ length: 8, chunk: 4 });
    const b = array1d({ length: 8, chunk: 4, url: B });
    const stacked = stackManifestArrays([a, b], 0);
    expect(stacked.shape).toEqual([2, 8]);
    expect(stacked.chunks).toEqual([1, 4]);
    expect(stacked.metadata.dimension_names).toEqual([null, "x"]);
    expect(describeChunks(stacked.manifest)).toEqual([`0.0=${A}@0+16`, `0.1=${A}@1000+16`, `1.0=${B}@0+16`, `1.1=${B}@1000+16`]);
    const last = stackManifestArrays([a, b], -1);
    expect(last.shape).toEqual([8, 2]);
    expect(describeChunks(last.manifest)).toEqual([`0.0=${A}@0+16`, `0.1=${B}@0+16`, `1.0=${A}@1000+16`, `1.1=${B}@1000+16`]);
    expectVzError(() => stackManifestArrays([a, array1d({ length: 12, chunk: 4 })], 0), "CONCAT_FAILED", /stack: array 1 has shape \[12\], array 0 has \[8\]/);
    expectVzError(() => stackManifestArrays([a, b], 3), "CONCAT_FAILED", /stack: axis 3 is out of bounds for 2-dimensional result/);
    expectVzError(() => stackManifestArrays([], 0), "CONCAT_FAILED", /stack: no arrays given/);
  });

  it("expandDims inserts a length-1 axis and refuses out-of-range axes", () => {
    const a = array1d({ length: 8, chunk: 4 });
    const expanded = expandDimsManifestArray(a, 1);
    expect(expanded.shape).toEqual([8, 1]);
    expect(expanded.chunks).toEqual([4, 1]);
    expect(expanded.metadata.dimension_names).toEqual(["x", null]);
    expect(describeChunks(expanded.manifest)).toEqual([`0.0=${A}@0+16`, `1.0=${A}@1000+16`]);
    expectVzError(() => expandDimsManifestArray(a, 2), "CONCAT_FAILED", /expandDims: axis 2 is out of bounds for 2-dimensional result/);
    expectVzError(() => expandDimsManifestArray(a, -3), "CONCAT_FAILED", /expandDims: axis -3 is out of bounds/);
  });

  it("broadcastTo repeats length-1 axes of chunk length 1 and adds leading axes", () => {
    const column = new ManifestArray(
      createArrayMetadata({ shape: [3, 1], dataType: "int16", chunkShape: [2, 1], dimensionNames: ["y", "x"] }),
      ChunkManifest.fromEntries({ "0.0": [A, 0, 4], "1.0": [A, 4, 2] }, [2, 1]),
    );
    const wide = broadcastManifestArray(column, [2, 3, 4]);
    expect(wide.shape).toEqual([2, 3, 4]);
    expect(wide.chunks).toEqual([1, 2, 1]);
    expect(wide.metadata.dimension_names).toEqual([null, "y", "x"]);
    expect(wide.manifest.chunkCount).toBe(2 * 2 * 4);
    for (let lead = 0; lead < 2; lead++) {
      for (let x = 0; x < 4; x++) {
        expect(wide.manifest.get([lead, 0, x])).toEqual({ url: A, offset: 0, length: 4 });
        expect(wide.manifest.get([lead, 1, x])).toEqual({ url: A, offset: 4, length: 2 });
      }
    }
    expectVzError(() => broadcastManifestArray(column, [3]), "CONCAT_FAILED", /cannot broadcast shape \[3, 1\] to fewer dimensions \[3\]/);
    expectVzError(() => broadcastManifestArray(column, [4, 4]), "CONCAT_FAILED", /cannot broadcast shape \[3, 1\] to \[4, 4\]/);
  });
});
