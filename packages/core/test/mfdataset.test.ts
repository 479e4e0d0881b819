/**
 * openVirtualMfdataset over a toy file format read by a hand-made parser plugin: each "file" is
 * a 4-byte header length, a JSON header describing variables (dims, shape, chunking, dtype,
 * attributes, byte ranges of chunks), then raw little-endian chunk bytes.
 */
import { describe, expect, it } from "vitest";
import * as zarr from "zarrita";
import {
  ChunkManifestBuilder,
  createArrayMetadata,
  type DataType,
  type Executor,
  isVzError,
  LoadedArray,
  ManifestArray,
  ManifestGroup,
  ManifestStore,
  MemoryReader,
  type ObjectReader,
  openVirtualMfdataset,
  type ParserPlugin,
  VirtualDataset,
} from "../src/index.js";

interface ToyVariable {
  dims: string[];
  shape: number[];
  chunks: number[];
  dtype: "float32" | "float64" | "int32";
  values: number[];
  attrs?: Record<string, unknown>;
}

const ARRAYS = { float32: Float32Array, float64: Float64Array, int32: Int32Array } as const;

/** Writes a toy file; chunk bytes are laid out chunk by chunk (C order of the grid). */
function writeToy(variables: Record<string, ToyVariable>, attrs: Record<string, unknown> = {}): Uint8Array {
  const bodies: Uint8Array[] = [];
  const header: Record<string, unknown> = { attrs, variables: {} };
  let offset = 0;
  const refs: Record<string, [number, number][]> = {};
  for (const [name, v] of Object.entries(variables)) {
    const grid = v.shape.map((s, d) => Math.ceil(s / v.chunks[d]!));
    const gridSize = grid.reduce((a, b) => a * b, 1);
    refs[name] = [];
    for (let c = 0; c < gridSize; c++) {
      const coords = grid.map((_, d) => Math.floor(c / grid.slice(d + 1).reduce((a, b) => a * b, 1)) % grid[d]!);
      const chunkValues: number[] = [];
      const size = v.chunks.reduce((a, b) => a * b, 1);
      for (let k = 0; k < size; k++) {
        const local = v.chunks.map((_, d) => Math.floor(k / v.chunks.slice(d + 1).reduce((a, b) => a * b, 1)) % v.chunks[d]!);
        const global = local.map((l, d) => coords[d]! * v.chunks[d]! + l);
        const inside = global.every((g, d) => g < v.shape[d]!);
        const flat = global.reduce((acc, g, d) => acc * v.shape[d]! + g, 0);
        chunkValues.push(inside ? v.values[flat]! : 0);
      }
      const bytes = new Uint8Array(new ARRAYS[v.dtype](chunkValues).buffer);
      refs[name].push([offset, bytes.length]);
      bodies.push(bytes);
      offset += bytes.length;
    }
    (header.variables as Record<string, unknown>)[name] = { dims: v.dims, shape: v.shape, chunks: v.chunks, dtype: v.dtype, attrs: v.attrs ?? {} };
  }
  header.refs = refs;
  let json = new TextEncoder().encode(JSON.stringify(header));
  // header length is fixed after the offsets are known: shift every offset by the header size
  const shift = (n: number) => {
    const shifted = { ...header, refs: Object.fromEntries(Object.entries(refs).map(([k, list]) => [k, list.map(([o, l]) => [o + n, l])])) };
    return new TextEncoder().encode(JSON.stringify(shifted));
  };
  let size = 4 + json.length;
  for (let i = 0; i < 5; i++) {
    json = shift(size);
    if (4 + json.length === size) break;
    size = 4 + json.length;
  }
  const out = new Uint8Array(4 + json.length + offset);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 4);
  let at = 4 + json.length;
  for (const body of bodies) {
    out.set(body, at);
    at += body.length;
  }
  return out;
}

/** The toy parser plugin: builds ManifestArrays from the header, referencing the chunk byte ranges. */
const toyPlugin: ParserPlugin = {
  name: "toy",
  description: "toy test format",
  extensions: ["toy"],
  create: () => async (url: string, reader: ObjectReader) => {
    const lengthBytes = await reader.getRange(url, 0, 4);
    const length = new DataView(lengthBytes.buffer, lengthBytes.byteOffset).getUint32(0, true);
    const header = JSON.parse(new TextDecoder().decode(await reader.getRange(url, 4, length))) as {
      attrs: Record<string, unknown>;
      variables: Record<string, { dims: string[]; shape: number[]; chunks: number[]; dtype: DataType; attrs: Record<string, unknown> }>;
      refs: Record<string, [number, number][]>;
    };
    const arrays: Record<string, ManifestArray> = {};
    for (const [name, v] of Object.entries(header.variables)) {
      const grid = v.shape.map((s, d) => Math.ceil(s / v.chunks[d]!));
      const builder = new ChunkManifestBuilder(grid);
      header.refs[name]!.forEach(([offset, len], i) => builder.set(i, url, offset, len));
      arrays[name] = new ManifestArray(
        createArrayMetadata({ shape: v.shape, dataType: v.dtype, chunkShape: v.chunks, dimensionNames: v.dims, attributes: v.attrs }),
        builder.build(),
        name,
      );
    }
    return new ManifestStore(new ManifestGroup({ arrays, attributes: header.attrs }), reader);
  },
};

/** A piece of a time (T) × x (3) record: air = 1000·t + x (t: global step), time in `units`. */
function timePiece(start: number, count: number, options: { units?: string; timeValues?: number[]; airAttrs?: Record<string, unknown>; attrs?: Record<string, unknown>; timeDtype?: "int32" | "float64" } = {}) {
  const steps = Array.from({ length: count }, (_, i) => start + i);
  const air: number[] = [];
  for (const t of steps) for (let x = 0; x < 3; x++) air.push(1000 * t + x);
  return writeToy(
    {
      time: {
        dims: ["time"],
        shape: [count],
        chunks: [count],
        dtype: options.timeDtype ?? "int32",
        values: options.timeValues ?? steps,
        attrs: { units: options.units ?? "days since 2020-01-01", calendar: "standard" },
      },
      x: { dims: ["x"], shape: [3], chunks: [3], dtype: "float64", values: [10, 20, 30] },
      air: { dims: ["time", "x"], shape: [count, 3], chunks: [2, 3], dtype: "float32", values: air, attrs: { units: "K", ...(options.airAttrs ?? {}) } },
    },
    options.attrs ?? { title: "toy" },
  );
}

function expectedAir(steps: number): number[] {
  const out: number[] = [];
  for (let t = 0; t < steps; t++) for (let x = 0; x < 3; x++) out.push(1000 * t + x);
  return out;
}

/** Reads a virtual variable's values through zarrita over a ManifestStore of just that array. */
async function readVirtual(array: ManifestArray, reader: ObjectReader): Promise<number[]> {
  const store = new ManifestStore(new ManifestGroup({ arrays: { v: array } }), reader);
  const opened = await zarr.open.v3(zarr.root(store as unknown as zarr.Readable).resolve("v"), { kind: "array" });
  const chunk = await zarr.get(opened);
  return Array.from(chunk.data as Float32Array);
}

async function expectRejects(promise: Promise<unknown>, code: string, message: RegExp): Promise<Error> {
  let thrown: unknown;
  try {
    await promise;
  } catch (error) {
    thrown = error;
  }
  expect(thrown, "expected a rejection").toBeDefined();
  expect(isVzError(thrown)).toBe(true);
  expect((thrown as { code: string }).code).toBe(code);
  expect((thrown as Error).message).toMatch(message);
  return thrown as Error;
}

function readerWith(files: Record<string, Uint8Array>): MemoryReader {
  return new MemoryReader(files);
}

describe("openVirtualMfdataset (toy parser)", () => {
  it("globs, orders by coordinates, and concatenates manifests chunk for chunk", async () => {
    // names sort in a different order than time: c (t 0-3), a (t 4-7), b (t 8-9)
    const reader = readerWith({
      "memory://bucket/run/c.toy": timePiece(0, 4),
      "memory://bucket/run/a.toy": timePiece(4, 4),
      "memory://bucket/run/b.toy": timePiece(8, 2),
      "memory://bucket/other/z.toy": timePiece(10, 2),
      "memory://bucket/run/readme.txt": new Uint8Array(4),
    });
    const progress: { done: number; total: number; url: string }[] = [];
    const vds = await openVirtualMfdataset("memory://bucket/run/*.toy", {
      reader,
      parser: toyPlugin,
      onProgress: (p) => progress.push(p),
    });
    expect(progress.map((p) => p.done)).toEqual([1, 2, 3]);
    expect(progress.every((p) => p.total === 3)).toBe(true);
    expect(progress.map((p) => p.url).sort()).toEqual(["memory://bucket/run/a.toy", "memory://bucket/run/b.toy", "memory://bucket/run/c.toy"]);
    const time = vds.variables.get("time")!.data as LoadedArray;
    expect(Array.from(time.values as Int32Array)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const air = vds.variables.get("air")!.data as ManifestArray;
    expect(air.shape).toEqual([10, 3]);
    const entries = [...air.manifest.entries()].map(([coords, entry]) => [coords.join("."), (entry as { url: string }).url.split("/").pop()]);
    expect(entries).toEqual([["0.0", "c.toy"], ["1.0", "c.toy"], ["2.0", "a.toy"], ["3.0", "a.toy"], ["4.0", "b.toy"]]);
    expect(await readVirtual(air, reader)).toEqual(expectedAir(10));
    expect(vds.attrs).toEqual({ title: "toy" });
    expect(vds.variables.get("air")!.attrs).toEqual({ units: "K" });
  });

  it("re-encodes loaded time coordinates whose units differ to the first file's units", async () => {
    const reader = readerWith({
      "memory://b/1.toy": timePiece(0, 2, { units: "days since 2020-01-01" }),
      "memory://b/2.toy": timePiece(2, 2, { units: "days since 2020-01-03", timeValues: [0, 1] }),
      "memory://b/3.toy": timePiece(4, 2, { units: "hours since 2020-01-05", timeValues: [0, 24] }),
    });
    const vds = await openVirtualMfdataset(["memory://b/1.toy", "memory://b/2.toy", "memory://b/3.toy"], { reader, parser: toyPlugin });
    const time = vds.variables.get("time")!;
    expect(Array.from((time.data as LoadedArray).values as Int32Array)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(time.attrs.units).toBe("days since 2020-01-01");
    expect(await readVirtual(vds.variables.get("air")!.data as ManifestArray, reader)).toEqual(expectedAir(6));
    // byCoords orders by the re-encoded values even when the raw numbers would say otherwise
    const shuffled = await openVirtualMfdataset(["memory://b/3.toy", "memory://b/2.toy", "memory://b/1.toy"], { reader, parser: toyPlugin });
    expect(Array.from((shuffled.variables.get("time")!.data as LoadedArray).values as Int32Array)).toEqual([-96, -72, -48, -24, 0, 24]); // in hours since 2020-01-05
    expect(shuffled.variables.get("time")!.attrs.units).toBe("hours since 2020-01-05");
  });

  it("refuses time values the first file's integer units cannot hold", async () => {
    const reader = readerWith({
      "memory://b/1.toy": timePiece(0, 2, { units: "days since 2020-01-01" }),
      "memory://b/2.toy": timePiece(2, 2, { units: "hours since 2020-01-03", timeValues: [0, 6] }),
    });
    await expectRejects(
      openVirtualMfdataset(["memory://b/1.toy", "memory://b/2.toy"], { reader, parser: toyPlugin }),
      "INVALID_ARGUMENT",
      /time variable "time" of file 2 of 2 \(memory:\/\/b\/2\.toy\).*6 "hours since 2020-01-03" is 2\.25 "days since 2020-01-01", not a whole number/,
    );
  });

  it("refuses virtual variables whose CF encoding differs, naming both files", async () => {
    const reader = readerWith({
      "memory://b/1.toy": timePiece(0, 2, { airAttrs: { scale_factor: 0.01 } }),
      "memory://b/2.toy": timePiece(2, 2, { airAttrs: { scale_factor: 0.02 } }),
    });
    await expectRejects(
      openVirtualMfdataset(["memory://b/1.toy", "memory://b/2.toy"], { reader, parser: toyPlugin }),
      "CONCAT_FAILED",
      /variable "air" is encoded differently in file 1 of 2 \(memory:\/\/b\/1\.toy\) and file 2 of 2 \(memory:\/\/b\/2\.toy\): scale_factor 0\.01 vs 0\.02/,
    );
    const timeReader = readerWith({
      "memory://b/1.toy": timePiece(0, 2, { units: "days since 2020-01-01" }),
      "memory://b/2.toy": timePiece(2, 2, { units: "days since 2020-01-03", timeValues: [0, 1] }),
    });
    await expectRejects(
      openVirtualMfdataset(["memory://b/1.toy", "memory://b/2.toy"], { reader: timeReader, parser: toyPlugin, combine: "nested", concatDim: "time", loadableVariables: [] }),
      "CONCAT_FAILED",
      /variable "time" is encoded differently in file 1 of 2.*file 2 of 2.*units "days since 2020-01-01" vs "days since 2020-01-03"/,
    );
  });

  it("combines nested 2×2 tiles along two dimensions", async () => {
    const tile = (y0: number, x0: number) => {
      const f: number[] = [];
      for (let y = y0; y < y0 + 2; y++) for (let x = x0; x < x0 + 2; x++) f.push(100 * y + x);
      return writeToy({
        y: { dims: ["y"], shape: [2], chunks: [2], dtype: "float64", values: [y0, y0 + 1] },
        x: { dims: ["x"], shape: [2], chunks: [2], dtype: "float64", values: [x0, x0 + 1] },
        f: { dims: ["y", "x"], shape: [2, 2], chunks: [1, 2], dtype: "float32", values: f },
      });
    };
    const reader = readerWith({ "memory://t/00.toy": tile(0, 0), "memory://t/01.toy": tile(0, 2), "memory://t/10.toy": tile(2, 0), "memory://t/11.toy": tile(2, 2) });
    const expected: number[] = [];
    for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) expected.push(100 * y + x);
    const nested = await openVirtualMfdataset(
      [["memory://t/00.toy", "memory://t/01.toy"], ["memory://t/10.toy", "memory://t/11.toy"]],
      { reader, parser: toyPlugin, combine: "nested", concatDim: ["y", "x"] },
    );
    expect(await readVirtual(nested.variables.get("f")!.data as ManifestArray, reader)).toEqual(expected);
    const byCoords = await openVirtualMfdataset("memory://t/*.toy", { reader, parser: toyPlugin });
    expect((byCoords.variables.get("f")!.data as ManifestArray).manifest.equals((nested.variables.get("f")!.data as ManifestArray).manifest)).toBe(true);
  });

  it("names the failing file and keeps the error code", async () => {
    const reader = readerWith({ "memory://b/1.toy": timePiece(0, 2), "memory://b/2.toy": new Uint8Array([255, 255, 0, 0]), "memory://b/3.toy": timePiece(4, 2) });
    const error = await expectRejects(
      openVirtualMfdataset("memory://b/*.toy", { reader, parser: toyPlugin, concurrency: 1 }),
      "RANGE_NOT_SATISFIABLE",
      /^file 2 of 3 \(memory:\/\/b\/2\.toy\): range 4\+65535 outside/,
    );
    expect((error as { url?: string }).url).toBe("memory://b/2.toy");
  });

  it("combine errors name dataset index and file", async () => {
    const reader = readerWith({ "memory://b/1.toy": timePiece(0, 3), "memory://b/2.toy": timePiece(3, 2) });
    await expectRejects(
      openVirtualMfdataset(["memory://b/1.toy", "memory://b/2.toy"], { reader, parser: toyPlugin, combine: "nested", concatDim: "time" }),
      "CONCAT_FAILED",
      /variable "air" along "time": dataset 0 \(memory:\/\/b\/1\.toy\) followed by dataset 1 \(memory:\/\/b\/2\.toy\).*not a multiple of the chunk length 2/,
    );
  });

  it("limits concurrency, applies preprocess, honours attrsFile, and uses a given Executor", async () => {
    const files: Record<string, Uint8Array> = {};
    for (let k = 0; k < 12; k++) files[`memory://c/${String(k).padStart(2, "0")}.toy`] = timePiece(2 * k, 2, { attrs: { title: "toy", part: k } });
    const base = readerWith(files);
    let inFlight = 0;
    let maxInFlight = 0;
    const slowPlugin: ParserPlugin = {
      ...toyPlugin,
      create: () => async (url, reader) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        try {
          return await toyPlugin.create()(url, reader);
        } finally {
          inFlight--;
        }
      },
    };
    const seen: string[] = [];
    const vds = await openVirtualMfdataset("memory://c/*.toy", {
      reader: base,
      parser: slowPlugin,
      concurrency: 3,
      combineAttrs: "drop_conflicts",
      preprocess: (ds, url) => {
        seen.push(url);
        return ds.with({ attrs: { ...ds.attrs, preprocessed: true } });
      },
    });
    expect(maxInFlight).toBe(3);
    expect(seen.length).toBe(12);
    expect(vds.attrs).toEqual({ title: "toy", preprocessed: true });
    expect((vds.variables.get("air")!.data as ManifestArray).shape).toEqual([24, 3]);
    const withAttrsFile = await openVirtualMfdataset("memory://c/*.toy", { reader: base, parser: toyPlugin, attrsFile: "memory://c/05.toy" });
    expect(withAttrsFile.attrs).toEqual({ title: "toy", part: 5 });
    expect((await openVirtualMfdataset("memory://c/*.toy", { reader: base, parser: toyPlugin, attrsFile: 7 })).attrs.part).toBe(7);
    let calls = 0;
    const executor: Executor = {
      async map(items, fn) {
        calls++;
        const out = [];
        for (const [i, item] of items.entries()) out.push(await fn(item, i));
        return out;
      },
    };
    const serial = await openVirtualMfdataset("memory://c/*.toy", { reader: base, parser: toyPlugin, parallel: executor });
    expect(calls).toBe(1);
    expect(serial.variables.get("time")!.data.shape).toEqual([24]);
    expect(serial).toBeInstanceOf(VirtualDataset);
  });

  it("refuses bad options and empty globs with typed errors", async () => {
    const reader = readerWith({ "memory://b/1.toy": timePiece(0, 2) });
    await expectRejects(openVirtualMfdataset("memory://b/*.nc", { reader, parser: toyPlugin }), "NOT_FOUND", /no files match memory:\/\/b\/\*\.nc/);
    await expectRejects(openVirtualMfdataset("memory://b/*.toy", { reader, parser: toyPlugin, parallel: "threads" }), "UNSUPPORTED", /"threads" needs the worker-thread pool of @vz\/core\/node/);
    await expectRejects(openVirtualMfdataset("memory://b/*.toy", { reader, parser: toyPlugin, concatDim: "time" }), "INVALID_ARGUMENT", /concatDim has no effect/);
    await expectRejects(openVirtualMfdataset("memory://b/*.toy", { reader, parser: toyPlugin, combine: "nested" }), "INVALID_ARGUMENT", /needs concatDim/);
    await expectRejects(openVirtualMfdataset("memory://b/*.toy", { reader, parser: toyPlugin, concurrency: 0 }), "INVALID_ARGUMENT", /concurrency/);
    await expectRejects(openVirtualMfdataset(["relative/x.toy"], { reader, parser: toyPlugin }), "INVALID_ARGUMENT", /relative path/);
    await expectRejects(openVirtualMfdataset("memory://b/*.toy", { reader, parser: toyPlugin, attrsFile: 3 }), "INVALID_ARGUMENT", /attrsFile 3 is not one of the 1 files/);
    const controller = new AbortController();
    controller.abort();
    await expectRejects(openVirtualMfdataset(["memory://b/1.toy"], { reader, parser: toyPlugin, signal: controller.signal }), "ABORTED", /aborted/);
  });
});

describe("LoadedArray backend", () => {
  it("concatenates multi-dimensional loaded values along an inner axis", async () => {
    const { concatDatasets } = await import("../src/index.js");
    const make = (values: number[], xs: number[]) =>
      new VirtualDataset({
        variables: {
          x: { dims: ["x"], attrs: {}, data: new LoadedArray({ dataType: "float64", shape: [xs.length], values: Float64Array.from(xs) }) },
          v: { dims: ["y", "x"], attrs: {}, data: new LoadedArray({ dataType: "int32", shape: [2, xs.length], values: Int32Array.from(values) }) },
        },
        coordNames: ["x"],
      });
    const joined = concatDatasets([make([1, 2, 3, 4], [0, 1]), make([5, 6], [2])], "x");
    const v = joined.variables.get("v")!.data as LoadedArray;
    expect(v.shape).toEqual([2, 3]);
    expect(Array.from(v.values as Int32Array)).toEqual([1, 2, 5, 3, 4, 6]);
    expect(v.values).toBeInstanceOf(Int32Array);
  });
});

describe("createInProcessExecutor", () => {
  it("keeps item order, respects the concurrency limit, and stops launching after the first failure", async () => {
    const { createInProcessExecutor } = await import("../src/index.js");
    const executor = createInProcessExecutor();
    let running = 0;
    let peak = 0;
    const results = await executor.map(
      [30, 5, 20, 1, 10, 2],
      async (delay, index) => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setTimeout(resolve, delay));
        running--;
        return index * 10;
      },
      { concurrency: 2 },
    );
    expect(results).toEqual([0, 10, 20, 30, 40, 50]);
    expect(peak).toBe(2);
    const started: number[] = [];
    const failing = executor.map(
      [0, 1, 2, 3, 4, 5, 6, 7],
      async (item) => {
        started.push(item);
        await new Promise((resolve) => setTimeout(resolve, 5));
        if (item === 1) throw new Error("item 1 broke");
        return item;
      },
      { concurrency: 2 },
    );
    await expect(failing).rejects.toThrow("item 1 broke");
    expect(started.length).toBeLessThanOrEqual(3);
    await expect(executor.map([1], async (x) => x, { concurrency: 0 })).rejects.toThrow(/concurrency must be a positive integer/);
  });

  it("stops with an AbortedError when the signal is aborted mid-way", async () => {
    const { createInProcessExecutor } = await import("../src/index.js");
    const controller = new AbortController();
    const seen: number[] = [];
    const run = createInProcessExecutor().map(
      Array.from({ length: 20 }, (_, i) => i),
      async (item) => {
        seen.push(item);
        if (item === 3) controller.abort();
        await new Promise((resolve) => setTimeout(resolve, 1));
        return item;
      },
      { concurrency: 1, signal: controller.signal },
    );
    await expectRejects(run, "ABORTED", /aborted/);
    expect(seen).toEqual([0, 1, 2, 3]);
  });
});

describe("expandGlob", () => {
  it("lists the literal prefix and matches *, ?, [..], {..} and ** against absolute paths and URLs, sorted", async () => {
    const { expandGlob } = await import("../src/internal.js");
    const reader = new MemoryReader({
      "file:///data/run%20one/b-2.nc": new Uint8Array(1),
      "file:///data/run%20one/a-1.nc": new Uint8Array(1),
      "file:///data/run%20one/a-10.nc": new Uint8Array(1),
      "file:///data/run%20one/sub/c-3.nc": new Uint8Array(1),
      "file:///data/run%20one/x.txt": new Uint8Array(1),
    });
    const base = "file:///data/run%20one/";
    expect(await expandGlob("/data/run one/*.nc", reader)).toEqual([`${base}a-1.nc`, `${base}a-10.nc`, `${base}b-2.nc`]);
    expect(await expandGlob("/data/run one/?-?.nc", reader)).toEqual([`${base}a-1.nc`, `${base}b-2.nc`]);
    expect(await expandGlob(`${base}[ab]-1*.nc`, reader)).toEqual([`${base}a-1.nc`, `${base}a-10.nc`]);
    expect(await expandGlob(`${base}{b,x}*`, reader)).toEqual([`${base}b-2.nc`, `${base}x.txt`]);
    expect(await expandGlob(`${base}**/*.nc`, reader)).toEqual([`${base}a-1.nc`, `${base}a-10.nc`, `${base}b-2.nc`, `${base}sub/c-3.nc`]);
    expect(await expandGlob(`${base}a-1.nc`, reader)).toEqual([`${base}a-1.nc`]);
  });
});
