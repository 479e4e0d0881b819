/**
 * The `vds.vz` operations on synthetic manifests: chunk-aligned isel (2-D, partial last chunk,
 * negative bounds, inlined and missing chunks kept), renamePaths' string and function forms,
 * nrefs / referencedBytes / nbytes, and the kerchunk key layout of a VirtualDatatree.
 */
import { describe, expect, it } from "vitest";
import {
  ChunkManifestBuilder,
  createArrayMetadata,
  isVzError,
  LoadedArray,
  ManifestArray,
  toKerchunkTree,
  VirtualDataset,
  VirtualDatatree,
} from "../src/index.js";

/** A 5 x 7 float32 array in chunks of 2 x 3 (grid 3 x 3), chunk (i, j) at offset 100 * (3i + j) of a.nc, b.nc for j = 2. */
function grid(): ManifestArray {
  const builder = new ChunkManifestBuilder([3, 3]);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      if (i === 1 && j === 1) builder.setMissing([i, j]);
      else if (i === 2 && j === 0) builder.setInlined([i, j], new Uint8Array([1, 2, 3]));
      else builder.set([i, j], j === 2 ? "file:///data/b.nc" : "file:///data/a.nc", 100 * (3 * i + j), 10 + i + j);
    }
  }
  const metadata = createArrayMetadata({ shape: [5, 7], chunkShape: [2, 3], dataType: "float32", dimensionNames: ["y", "x"] });
  return new ManifestArray(metadata, builder.build(), "v");
}

function dataset(): VirtualDataset {
  return new VirtualDataset({
    variables: {
      v: { dims: ["y", "x"], attrs: {}, data: grid() },
      x: { dims: ["x"], attrs: {}, data: new LoadedArray({ dataType: "int32", shape: [7], values: Int32Array.from([0, 1, 2, 3, 4, 5, 6]) }) },
    },
    coordNames: ["x"],
  });
}

function catchError(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected an error");
}

describe("isel", () => {
  it("keeps the chunks of an aligned selection, with the partial last chunk and negative bounds", () => {
    const vds = dataset();
    const selected = vds.isel({ y: [2, null], x: { start: -4 } }); // y 2..5, x 3..7
    const v = selected.variables.get("v")!.data as ManifestArray;
    expect(v.shape).toEqual([3, 4]);
    expect(v.manifest.shape).toEqual([2, 2]);
    expect(v.manifest.get([0, 0])).toBeUndefined(); // the missing chunk (1, 1)
    expect(v.manifest.get([0, 1])).toEqual({ url: "file:///data/b.nc", offset: 500, length: 13 });
    expect(v.manifest.get([1, 0])).toEqual({ url: "file:///data/a.nc", offset: 700, length: 13 });
    expect(v.manifest.get([1, 1])).toEqual({ url: "file:///data/b.nc", offset: 800, length: 14 });
    expect(Array.from((selected.variables.get("x")!.data as LoadedArray).values as Int32Array)).toEqual([3, 4, 5, 6]);
    const inlined = vds.isel({ y: [4, 5], x: [0, 3] }).variables.get("v")!.data as ManifestArray;
    expect(inlined.manifest.get([0, 0])).toEqual({ data: new Uint8Array([1, 2, 3]) });
  });

  it("refuses selections off the chunk grid, naming variable, dimension and boundary", () => {
    const error = catchError(() => dataset().isel({ x: [0, 4] }));
    expect(isVzError(error, "INVALID_ARGUMENT")).toBe(true);
    expect(error.message).toBe(
      'isel: variable "v" cannot be selected along dimension "x" with stop 4: 4 is not a chunk boundary; boundaries are 0, 3, 6 (chunks of 3) and the end 7. Virtual selections must be chunk-aligned (or load the variable)',
    );
    expect(catchError(() => dataset().isel({ x: { start: 0, stop: 6, step: 2 } })).message).toMatch(/step 2 is not supported/);
    expect(catchError(() => dataset().isel({ y: 9 })).message).toMatch(/index 9 is out of range for length 5/);
  });
});

describe("renamePaths, nrefs, referencedBytes, nbytes", () => {
  it("applies a function to every URL; one string is refused for chunks in several files", () => {
    const vds = dataset();
    const moved = vds.renamePaths((url) => url.replace("file:///data/", "s3://bucket/data/"));
    expect((moved.variables.get("v")!.data as ManifestArray).manifest.get([0, 2])).toEqual({ url: "s3://bucket/data/b.nc", offset: 200, length: 12 });
    const error = catchError(() => vds.renamePaths("s3://bucket/one.nc"));
    expect(isVzError(error, "INVALID_ARGUMENT")).toBe(true);
    expect(error.message).toMatch(/variable "v" references 2 files \(file:\/\/\/data\/a\.nc, file:\/\/\/data\/b\.nc\)/);
    const single = vds.isel({ x: [0, 6] }).renamePaths("s3://bucket/a.nc");
    expect((single.variables.get("v")!.data as ManifestArray).manifest.get([2, 1])).toEqual({ url: "s3://bucket/a.nc", offset: 700, length: 13 });
  });

  it("counts references and their bytes (inlined and missing chunks excluded) and the memory they take", () => {
    const vds = dataset();
    expect(vds.nrefs).toBe(7);
    // lengths 10 + i + j over the 7 referenced chunks
    expect(vds.referencedBytes).toBe([[0, 0], [0, 1], [0, 2], [1, 0], [1, 2], [2, 1], [2, 2]].reduce((n, [i, j]) => n + 10 + i! + j!, 0));
    expect(vds.nbytes).toBe((vds.variables.get("v")!.data as ManifestArray).manifest.byteSize + 7 * 4);
  });
});

describe("kerchunk layout of a tree", () => {
  it("writes .zgroup/.zattrs for every group and keys group/sub/var/i.j", () => {
    const tree = VirtualDatatree.fromMap({ "": new VirtualDataset({ attrs: { title: "t" } }), "a/b": dataset() });
    const refs = toKerchunkTree(tree).refs;
    for (const group of ["", "a/", "a/b/"]) {
      expect(refs[`${group}.zgroup`], group).toBe('{"zarr_format":2}');
      expect(refs[`${group}.zattrs`], group).toBeDefined();
    }
    expect(JSON.parse(refs[".zattrs"] as string)).toEqual({ title: "t" });
    expect(refs["a/b/v/0.2"]).toEqual(["file:///data/b.nc", 200, 12]);
    // the missing chunk is written inline as fill (the writer's rule for small uncompressed chunks): 2 x 3 float32 zeros
    expect(refs["a/b/v/1.1"]).toBe(`base64:${btoa(String.fromCharCode(...new Uint8Array(24)))}`);
    expect(JSON.parse(refs["a/b/v/.zattrs"] as string)._ARRAY_DIMENSIONS).toEqual(["y", "x"]);
    expect(refs["a/b/x/0"]).toMatch(/^base64:/);
  });
});
