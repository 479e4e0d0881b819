/**
 * ManifestStore + zarrita over a file the test writes itself (FileReader, file:// URLs):
 * float64 little-endian chunks, zlib-compressed big-endian int16 chunks (node:zlib), a missing
 * chunk (fill value), an inlined chunk, a 0-d array, a string array and a nested group. zarrita
 * must read back exactly the values the test wrote.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deflateSync } from "node:zlib";
import * as zarr from "zarrita";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ChunkManifestBuilder,
  createArrayMetadata,
  isVzError,
  ManifestArray,
  ManifestGroup,
  ManifestStore,
  MemoryReader,
} from "../src/index.js";
import { encodeVlenUtf8, registerCodecs } from "../src/codecs.js";
import { FileReader, toUrl } from "../src/node.js";

/** temp: 5×6 float64, chunks 2×4 (grid 3×2). Chunk (1,1) missing, chunk (2,0) inlined. */
const TEMP_SHAPE = [5, 6];
const TEMP_CHUNKS = [2, 4];
const tempValue = (i: number, j: number): number => i * 10.25 - j * 3.5 + 0.125;
/** pres: 7 int16 big-endian, chunks of 3, zlib; chunk 1 missing (fill -999). */
const presValue = (i: number): number => (i - 3) * 1111;

interface Layout {
  url: string;
  temp: Record<string, { offset: number; length: number } | { inline: Uint8Array }>;
  pres: Record<string, { offset: number; length: number } | { inline: Uint8Array }>;
  scalar: { offset: number; length: number };
  nested: { offset: number; length: number };
}

/** Bytes of chunk (ci, cj) of temp: the full 2×4 chunk, edge chunks padded with zeros as Zarr stores them. */
function tempChunk(ci: number, cj: number): Uint8Array {
  const bytes = new Uint8Array(TEMP_CHUNKS[0]! * TEMP_CHUNKS[1]! * 8);
  const view = new DataView(bytes.buffer);
  for (let a = 0; a < TEMP_CHUNKS[0]!; a++) {
    for (let b = 0; b < TEMP_CHUNKS[1]!; b++) {
      const i = ci * TEMP_CHUNKS[0]! + a;
      const j = cj * TEMP_CHUNKS[1]! + b;
      const value = i < TEMP_SHAPE[0]! && j < TEMP_SHAPE[1]! ? tempValue(i, j) : 0;
      view.setFloat64((a * TEMP_CHUNKS[1]! + b) * 8, value, true);
    }
  }
  return bytes;
}

function presChunk(c: number): Uint8Array {
  const bytes = new Uint8Array(3 * 2);
  const view = new DataView(bytes.buffer);
  for (let k = 0; k < 3; k++) {
    const i = c * 3 + k;
    view.setInt16(k * 2, i < 7 ? presValue(i) : 0, false);
  }
  return new Uint8Array(deflateSync(bytes));
}

/** Writes the file: a junk header, then chunks in a scrambled order with gaps. */
function writeFixture(directory: string): Layout {
  const parts: Uint8Array[] = [new TextEncoder().encode("VZTEST-HEADER\n")];
  let position = parts[0]!.length;
  const place = (bytes: Uint8Array): { offset: number; length: number } => {
    const gap = new Uint8Array(position % 7);
    gap.fill(0xee);
    parts.push(gap);
    position += gap.length;
    const location = { offset: position, length: bytes.length };
    parts.push(bytes);
    position += bytes.length;
    return location;
  };
  const temp: Layout["temp"] = {};
  for (const [ci, cj] of [[2, 1], [0, 1], [1, 0], [0, 0]] as const) temp[`${ci}.${cj}`] = place(tempChunk(ci, cj));
  temp["2.0"] = { inline: tempChunk(2, 0) };
  const pres: Layout["pres"] = { "2": place(presChunk(2)), "0": place(presChunk(0)) };
  const scalarBytes = new Uint8Array(4);
  new DataView(scalarBytes.buffer).setInt32(0, 4326, true);
  const scalar = place(scalarBytes);
  const nestedBytes = new Uint8Array(new Float32Array([0.5, -1.25, 3e10]).buffer);
  const nested = place(nestedBytes);
  const path = join(directory, "data.bin");
  const total = new Uint8Array(position);
  let offset = 0;
  for (const part of parts) {
    total.set(part, offset);
    offset += part.length;
  }
  writeFileSync(path, total);
  return { url: toUrl(path), temp, pres, scalar, nested };
}

function offsetView(bytes: Uint8Array, offset: number): Uint8Array {
  const padded = new Uint8Array(bytes.length + offset).fill(0xaa);
  padded.set(bytes, offset);
  return padded.subarray(offset);
}

function buildStore(layout: Layout): ManifestStore {
  const tempBuilder = new ChunkManifestBuilder([3, 2]);
  for (const [key, location] of Object.entries(layout.temp)) {
    const coords = key.split(".").map(Number);
    if ("inline" in location) tempBuilder.setInlined(coords, location.inline);
    else tempBuilder.set(coords, layout.url, location.offset, location.length);
  }
  const temp = new ManifestArray(
    createArrayMetadata({
      shape: TEMP_SHAPE,
      dataType: "float64",
      chunkShape: TEMP_CHUNKS,
      fillValue: Number.NaN,
      dimensionNames: ["y", "x"],
      attributes: { units: "K" },
    }),
    tempBuilder.build(),
    "temp",
  );
  const presBuilder = new ChunkManifestBuilder([3]);
  for (const [key, location] of Object.entries(layout.pres)) {
    if (!("inline" in location)) presBuilder.set([Number(key)], layout.url, location.offset, location.length);
  }
  const pres = new ManifestArray(
    createArrayMetadata({
      shape: [7],
      dataType: "int16",
      chunkShape: [3],
      fillValue: -999,
      codecs: [{ name: "bytes", configuration: { endian: "big" } }, { name: "numcodecs.zlib", configuration: { level: 6 } }],
    }),
    presBuilder.build(),
    "pres",
  );
  const scalar = new ManifestArray(
    createArrayMetadata({ shape: [], dataType: "int32", chunkShape: [] }),
    new ChunkManifestBuilder([]).set([], layout.url, layout.scalar.offset, layout.scalar.length).build(),
    "crs",
  );
  const labels = new ManifestArray(
    createArrayMetadata({ shape: [3], dataType: "string", chunkShape: [3], codecs: [{ name: "vlen-utf8" }], fillValue: "" }),
    // A view that does not start at byte 0 of its buffer (zarrita 0.7.5's own vlen-utf8 misreads those).
    new ChunkManifestBuilder([1]).setInlined([0], offsetView(encodeVlenUtf8(["alpha", "βeta", ""]), 5)).build(),
    "labels",
  );
  const inner = new ManifestArray(
    createArrayMetadata({ shape: [3], dataType: "float32", chunkShape: [3] }),
    new ChunkManifestBuilder([1]).set([0], layout.url, layout.nested.offset, layout.nested.length).build(),
    "inner",
  );
  const group = new ManifestGroup({
    arrays: { temp, pres, crs: scalar, labels },
    groups: { sub: new ManifestGroup({ arrays: { inner }, attributes: { level: 2 } }) },
    attributes: { title: "store test" },
  });
  return new ManifestStore(group, new FileReader());
}

describe("ManifestStore read by zarrita", () => {
  let directory = "";
  let layout: Layout;
  let store: ManifestStore;

  beforeAll(async () => {
    await registerCodecs();
    directory = mkdtempSync(join(tmpdir(), "vz-store-"));
    layout = writeFixture(directory);
    store = buildStore(layout);
  });
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it("reads float64 chunks, a missing chunk as NaN fill and an inlined chunk", async () => {
    const array = await zarr.open(zarr.root(store).resolve("temp"), { kind: "array" });
    expect(array.shape).toEqual(TEMP_SHAPE);
    expect(array.dtype).toBe("float64");
    expect(array.attrs).toEqual({ units: "K" });
    const result = await zarr.get(array);
    const values = Array.from(result.data as Float64Array);
    const expected: number[] = [];
    for (let i = 0; i < 5; i++) for (let j = 0; j < 6; j++) expected.push(i >= 2 && i < 4 && j >= 4 ? Number.NaN : tempValue(i, j));
    expect(values).toEqual(expected);
    const window = await zarr.get(array, [zarr.slice(1, 5), zarr.slice(3, 5)]);
    expect(Array.from(window.data as Float64Array)).toEqual([tempValue(1, 3), tempValue(1, 4), tempValue(2, 3), Number.NaN, tempValue(3, 3), Number.NaN, tempValue(4, 3), tempValue(4, 4)]);
  });

  it("reads zlib-compressed big-endian int16 chunks and the fill value for a missing chunk", async () => {
    const array = await zarr.open(zarr.root(store).resolve("pres"), { kind: "array" });
    const result = await zarr.get(array);
    expect(Array.from(result.data as Int16Array)).toEqual([presValue(0), presValue(1), presValue(2), -999, -999, -999, presValue(6)]);
  });

  it("reads a 0-d array, an inlined string array and an array in a nested group", async () => {
    const scalar = await zarr.get(await zarr.open(zarr.root(store).resolve("crs"), { kind: "array" }));
    expect(scalar).toBe(4326);
    const labels = await zarr.get(await zarr.open(zarr.root(store).resolve("labels"), { kind: "array" }));
    expect(Array.from(labels.data as string[])).toEqual(["alpha", "βeta", ""]);
    const group = await zarr.open(zarr.root(store).resolve("sub"), { kind: "group" });
    expect(group.attrs).toEqual({ level: 2 });
    const inner = await zarr.get(await zarr.open(zarr.root(store).resolve("sub/inner"), { kind: "array" }));
    expect(Array.from(inner.data as Float32Array)).toEqual([0.5, -1.25, Math.fround(3e10)]);
    const root = await zarr.open(zarr.root(store), { kind: "group" });
    expect(root.attrs).toEqual({ title: "store test" });
  });

  it("serves metadata, byte ranges and nothing for keys that do not exist", async () => {
    const metadata = JSON.parse(new TextDecoder().decode(await store.get("temp/zarr.json"))) as Record<string, unknown>;
    expect(metadata.fill_value).toBe("NaN");
    expect(metadata.shape).toEqual(TEMP_SHAPE);
    expect(await store.get("temp/c/1/1")).toBeUndefined();
    expect(await store.get("temp/c/9/9")).toBeUndefined();
    expect(await store.get("nothing/zarr.json")).toBeUndefined();
    expect(await store.get("temp/c/0")).toBeUndefined();
    const location = layout.temp["0.1"] as { offset: number; length: number };
    const whole = await store.get("temp/c/0/1");
    expect(whole).toEqual(tempChunk(0, 1));
    expect(whole!.length).toBe(location.length);
    expect(await store.getRange("temp/c/0/1", { offset: 8, length: 16 })).toEqual(tempChunk(0, 1).subarray(8, 24));
    expect(await store.getRange("temp/c/0/1", { suffixLength: 8 })).toEqual(tempChunk(0, 1).subarray(56));
    expect(await store.getRange("temp/c/2/0", { offset: 0, length: 8 })).toEqual(tempChunk(2, 0).subarray(0, 8));
    expect(await store.exists("temp/c/1/1")).toBe(false);
    expect(await store.exists("temp/c/2/0")).toBe(true);
    expect(store.listDir("")).toEqual({ keys: ["zarr.json"], prefixes: ["crs", "labels", "pres", "sub", "temp"] });
    expect(store.listMetadataKeys().sort()).toEqual(
      ["zarr.json", "sub/zarr.json", "temp/zarr.json", "pres/zarr.json", "crs/zarr.json", "labels/zarr.json", "sub/inner/zarr.json"].sort(),
    );
  });

  it("a chunk reference past the end of the file fails with a typed error naming the file", async () => {
    const bad = new ManifestArray(
      createArrayMetadata({ shape: [4], dataType: "float64", chunkShape: [4] }),
      new ChunkManifestBuilder([1]).set([0], layout.url, 1_000_000, 32).build(),
      "bad",
    );
    const broken = new ManifestStore(new ManifestGroup({ arrays: { bad } }), new FileReader());
    const error = await broken.get("bad/c/0").catch((e: unknown) => e);
    expect(isVzError(error, "RANGE_NOT_SATISFIABLE")).toBe(true);
    expect((error as Error).message).toContain(layout.url);
  });
});

describe("ManifestStore batches the chunk reads of a selection", () => {
  /** 40 int32 chunks of 4 values; chunks 0-19 back to back in a.bin, chunks 20-39 in b.bin with 100-byte holes. */
  function fixture(options: ConstructorParameters<typeof ManifestStore>[2] = {}) {
    const a = new Uint8Array(20 * 16);
    const b = new Uint8Array(20 * 116);
    const builder = new ChunkManifestBuilder([40]);
    for (let c = 0; c < 40; c++) {
      const values = Int32Array.from({ length: 4 }, (_, k) => c * 4 + k);
      const bytes = new Uint8Array(values.buffer);
      if (c < 20) {
        a.set(bytes, c * 16);
        builder.set([c], "memory://t/a.bin", c * 16, 16);
      } else {
        b.set(bytes, (c - 20) * 116 + 100);
        builder.set([c], "memory://t/b.bin", (c - 20) * 116 + 100, 16);
      }
    }
    const calls: { url: string; offset: number; length: number }[] = [];
    let active = 0;
    let peak = 0;
    const inner = new MemoryReader().put("memory://t/a.bin", a).put("memory://t/b.bin", b);
    const reader = Object.assign(Object.create(inner) as MemoryReader, {
      async getRange(url: string, offset: number, length: number) {
        calls.push({ url, offset, length });
        peak = Math.max(peak, ++active);
        await new Promise((resolve) => setTimeout(resolve, 2));
        active--;
        return inner.getRange(url, offset, length);
      },
    });
    const x = new ManifestArray(createArrayMetadata({ shape: [160], dataType: "int32", chunkShape: [4] }), builder.build(), "x");
    const store = new ManifestStore(new ManifestGroup({ arrays: { x } }), reader, options);
    return { store, calls, peak: () => peak };
  }
  const expected = Array.from({ length: 160 }, (_, i) => i);

  it("reads adjacent chunks of one file in one request and keeps distant ones apart", async () => {
    const { store, calls } = fixture({ coalesceGap: 0 });
    const array = await zarr.open(zarr.root(store).resolve("x"), { kind: "array" });
    expect(Array.from((await zarr.get(array)).data as Int32Array)).toEqual(expected);
    expect(calls.filter((c) => c.url.endsWith("a.bin"))).toEqual([{ url: "memory://t/a.bin", offset: 0, length: 320 }]);
    expect(calls.filter((c) => c.url.endsWith("b.bin"))).toHaveLength(20);
  });

  it("merges reads across small gaps (default 8 KiB) and never merges with a gap of -1", async () => {
    const merged = fixture();
    const array = await zarr.open(zarr.root(merged.store).resolve("x"), { kind: "array" });
    expect(Array.from((await zarr.get(array, [zarr.slice(8, 160)])).data as Int32Array)).toEqual(expected.slice(8));
    expect(merged.calls).toHaveLength(2);
    const apart = fixture({ coalesceGap: -1 });
    const again = await zarr.open(zarr.root(apart.store).resolve("x"), { kind: "array" });
    expect(Array.from((await zarr.get(again)).data as Int32Array)).toEqual(expected);
    expect(apart.calls).toHaveLength(40);
  });

  it("keeps at most `concurrency` requests in flight", async () => {
    const { store, calls, peak } = fixture({ coalesceGap: -1, concurrency: 3 });
    const array = await zarr.open(zarr.root(store).resolve("x"), { kind: "array" });
    expect(Array.from((await zarr.get(array)).data as Int32Array)).toEqual(expected);
    expect(calls).toHaveLength(40);
    expect(peak()).toBe(3);
  });

  it("answers the reads of each request as it returns, not when the file's last request does", async () => {
    // chunks 0-1 back to back (one request), chunk 2 far away (another), which takes 200 ms
    const bytes = new Uint8Array(1 << 20);
    bytes.set(new Uint8Array(Int32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]).buffer).subarray(0, 32), 0);
    bytes.set(new Uint8Array(Int32Array.from([9, 10, 11, 12]).buffer), 900_000);
    const inner = new MemoryReader().put("memory://t/c.bin", bytes);
    const requests: number[] = [];
    const reader = Object.assign(Object.create(inner) as MemoryReader, {
      async getRange(url: string, offset: number, length: number) {
        requests.push(offset);
        await new Promise((resolve) => setTimeout(resolve, offset === 900_000 ? 200 : 1));
        return inner.getRange(url, offset, length);
      },
    });
    const builder = new ChunkManifestBuilder([3]).set([0], "memory://t/c.bin", 0, 16).set([1], "memory://t/c.bin", 16, 16).set([2], "memory://t/c.bin", 900_000, 16);
    const z = new ManifestArray(createArrayMetadata({ shape: [12], dataType: "int32", chunkShape: [4] }), builder.build(), "z");
    const store = new ManifestStore(new ManifestGroup({ arrays: { z } }), reader);
    const started = performance.now();
    const settled: number[] = [];
    const reads = ["z/c/0", "z/c/1", "z/c/2"].map((key, i) => store.get(key).then((value) => ((settled[i] = performance.now() - started), value)));
    const values = await Promise.all(reads);
    expect(values.map((v) => Array.from(new Int32Array(v!.slice().buffer)))).toEqual([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]);
    expect(requests.sort((a, b) => a - b)).toEqual([0, 900_000]);
    expect(settled[0]).toBeLessThan(150);
    expect(settled[1]).toBeLessThan(150);
    expect(settled[2]).toBeGreaterThanOrEqual(190);
  });

  it("a failed read fails the reads merged with it and leaves the others", async () => {
    const { store } = fixture({ coalesceGap: 0 });
    const reads = await Promise.allSettled([store.get("x/c/0"), store.get("x/c/1"), store.get("x/c/25")]);
    expect(reads.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "fulfilled"]);
    const broken = new ManifestStore(
      new ManifestGroup({
        arrays: {
          y: new ManifestArray(
            createArrayMetadata({ shape: [8], dataType: "int32", chunkShape: [4] }),
            new ChunkManifestBuilder([2]).set([0], "memory://t/none.bin", 0, 16).set([1], "memory://t/ok.bin", 0, 16).build(),
            "y",
          ),
        },
      }),
      new MemoryReader().put("memory://t/ok.bin", new Uint8Array(16)),
    );
    const [missing, ok] = await Promise.allSettled([broken.get("y/c/0"), broken.get("y/c/1")]);
    expect(missing.status).toBe("rejected");
    expect(isVzError((missing as PromiseRejectedResult).reason, "NOT_FOUND")).toBe(true);
    expect(ok.status).toBe("fulfilled");
  });
});

describe("ManifestStore.prefetch starts a selection's reads before zarrita asks", () => {
  /** 10 int32 chunks of 4 values back to back in one file, read through a reader that records its requests. */
  function fixture() {
    const file = new Uint8Array(new Int32Array(Array.from({ length: 40 }, (_, i) => i * 3 - 7)).buffer);
    const builder = new ChunkManifestBuilder([10]);
    for (let c = 0; c < 10; c++) builder.set([c], "memory://p/f.bin", c * 16, 16);
    const calls: { offset: number; length: number }[] = [];
    const inner = new MemoryReader().put("memory://p/f.bin", file);
    const reader = Object.assign(Object.create(inner) as MemoryReader, {
      async getRange(url: string, offset: number, length: number) {
        calls.push({ offset, length });
        return inner.getRange(url, offset, length);
      },
    });
    const v = new ManifestArray(createArrayMetadata({ shape: [40], dataType: "int32", chunkShape: [4] }), builder.build(), "v");
    return { store: new ManifestStore(new ManifestGroup({ groups: { g: new ManifestGroup({ arrays: { v } }) } }), reader, { coalesceGap: -1 }), calls };
  }

  it("zarrita's reads take the prefetched chunks: same values, no request twice, requests sent before zarrita opens the array", async () => {
    const { store, calls } = fixture();
    expect(store.prefetch("/g/v", [[2], [3], [4]])).toBe(3);
    await new Promise((resolve) => setTimeout(resolve, 5));
    // the three requests went out before zarrita opened anything
    expect(calls.map((c) => c.offset).sort((a, b) => a - b)).toEqual([32, 48, 64]);
    const array = await zarr.open(zarr.root(store).resolve("g/v"), { kind: "array" });
    const values = Array.from((await zarr.get(array, [zarr.slice(8, 20)])).data as Int32Array);
    expect(values).toEqual(Array.from({ length: 12 }, (_, k) => (8 + k) * 3 - 7));
    expect(calls).toHaveLength(3);
    // a prefetched read is taken once: asking again reads again
    const again = Array.from((await zarr.get(array, [zarr.slice(8, 12)])).data as Int32Array);
    expect(again).toEqual([17, 20, 23, 26]);
    expect(calls).toHaveLength(4);
  });

  it("leaves out unknown paths, wrong coordinates and chunks without a reference; a failed read fails the get that takes it", async () => {
    const { store, calls } = fixture();
    expect(store.prefetch("g/none", [[0]])).toBe(0);
    expect(store.prefetch("g/v", [[0, 0], [99]])).toBe(0);
    expect(calls).toHaveLength(0);
    const broken = new ManifestStore(
      new ManifestGroup({
        arrays: {
          y: new ManifestArray(
            createArrayMetadata({ shape: [8], dataType: "int32", chunkShape: [4] }),
            new ChunkManifestBuilder([2]).set([0], "memory://p/none.bin", 0, 16).build(),
            "y",
          ),
        },
      }),
      new MemoryReader(),
    );
    expect(broken.prefetch("y", [[0], [1]])).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const [missing, absent] = await Promise.allSettled([broken.get("y/c/0"), broken.get("y/c/1")]);
    expect(missing.status).toBe("rejected");
    expect(isVzError((missing as PromiseRejectedResult).reason, "NOT_FOUND")).toBe(true);
    expect(absent).toEqual({ status: "fulfilled", value: undefined });
  });
});

describe("ManifestStore serves fixed-length byte strings (netCDF char, numpy |S1) to zarrita", () => {
  it("reads a 2×5 |S1 array with an inlined chunk and a missing chunk (fill value) through zarrita", async () => {
    const text = "helloab\0\0\0";
    const builder = new ChunkManifestBuilder([2, 1]);
    builder.setInlined([0, 0], new TextEncoder().encode(text.slice(0, 5)));
    const metadata = createArrayMetadata({ shape: [2, 5], dataType: "fixed_length_bytes:1", chunkShape: [1, 5], fillValue: "x", dimensionNames: ["n", "strlen"] });
    const group = new ManifestGroup({ arrays: new Map([["chars", new ManifestArray(metadata, builder.build(), "chars")]]) });
    const store = new ManifestStore(group, new FileReader());
    // the stored metadata keeps vz's data type; the document zarrita reads names its v2:S1
    expect(group.arrays.get("chars")!.metadata.data_type).toBe("fixed_length_bytes:1");
    const document = JSON.parse(new TextDecoder().decode(await store.get("chars/zarr.json"))) as Record<string, unknown>;
    expect(document.data_type).toBe("v2:S1");
    const result = await zarr.get(await zarr.open.v3(zarr.root(store).resolve("chars"), { kind: "array" }));
    expect(result.shape).toEqual([2, 5]);
    expect(Array.from(result.data as Iterable<string>)).toEqual(["h", "e", "l", "l", "o", "x", "x", "x", "x", "x"]);
  });
});
