/**
 * Files written at test time by h5wasm (the HDF5 C library compiled to WebAssembly), read back by
 * h5wasm as the oracle; then the same bytes truncated and corrupted: every outcome must be a
 * result or a typed VzError (ParseError naming the file, UnsupportedFeatureError, ...), never a
 * crash with another error type and never a hang.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { isVzError, ManifestArray, ManifestGroup, MemoryReader, type ManifestStore } from "@vz/core";
import { FileReader, toUrl } from "@vz/core/node";
import h5wasm from "h5wasm/node";
import * as zarr from "zarrita";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import hdf5Plugin, { createHdf5Parser, sniffHdf5 } from "../src/index.js";

let directory = "";
let filePath = "";
let original = new Uint8Array();
const expected: Record<string, number[]> = {};

async function values(store: ManifestStore, key: string): Promise<number[]> {
  const array = await zarr.open(zarr.root(store as unknown as zarr.Readable).resolve(key), { kind: "array" });
  const got = await zarr.get(array);
  return Array.from(got.data as Iterable<number | bigint>, Number);
}

beforeAll(async () => {
  await h5wasm.ready;
  directory = mkdtempSync(path.join(tmpdir(), "vz-hdf5-h5wasm-"));
  filePath = path.join(directory, "h5wasm.h5");
  const file = new h5wasm.File(filePath, "w");
  file.create_attribute("title", "written by h5wasm");
  file.create_attribute("numbers", [1.5, 2.5, 3.5], [3], "<d");
  const group = file.create_group("group");
  group.create_attribute("count", 7, null, "<i");
  group.create_dataset({ name: "int32", data: new Int32Array([1, 2, 3, 4, 5, 6]), shape: [2, 3], dtype: "<i" });
  const float = new Float64Array(1000).map((_, i) => Math.sin(i));
  group.create_dataset({ name: "gzip", data: float, shape: [10, 100], dtype: "<d", chunks: [4, 30], compression: "gzip" });
  file.create_dataset({ name: "float32", data: new Float32Array([0.5, 1.5, 2.5]), shape: [3], dtype: "<f" });
  file.create_dataset({ name: "uint16", data: new Uint16Array([65535, 0, 7]), shape: [3], dtype: "<H" });
  file.close();
  // the oracle: h5wasm reads its own file back
  const reread = new h5wasm.File(filePath, "r");
  for (const key of ["group/int32", "group/gzip", "float32", "uint16"]) {
    const dataset = reread.get(key) as { value: ArrayLike<number> };
    expected[key] = Array.from(dataset.value);
  }
  reread.close();
  original = new Uint8Array(readFileSync(filePath));
});

afterAll(() => {
  if (directory) rmSync(directory, { recursive: true, force: true });
});

describe("h5wasm-written file", () => {
  it("matches what h5wasm reads (values through ManifestStore + zarrita)", async () => {
    const store = await createHdf5Parser()(toUrl(filePath), new FileReader());
    expect(store.group.attributes).toEqual({ title: "written by h5wasm", numbers: [1.5, 2.5, 3.5] });
    expect(store.group.resolve("group")).toBeInstanceOf(ManifestGroup);
    for (const [key, want] of Object.entries(expected)) expect(await values(store, key), key).toEqual(want);
    const gzip = store.group.resolve("group/gzip") as ManifestArray;
    expect(gzip.metadata.chunk_grid.configuration.chunk_shape).toEqual([4, 30]);
    expect(gzip.manifest.chunkCount).toBe(3 * 4);
    expect(gzip.metadata.codecs.at(-1)?.name).toBe("numcodecs.zlib");
    expect((store.group.resolve("float32") as ManifestArray).metadata.data_type).toBe("float32");
  });

  it("reads through a MemoryReader too, in few requests (block cache, speculative first read)", async () => {
    const url = "memory://files/h5wasm.h5";
    const reader = new MemoryReader({ [url]: original });
    const store = await createHdf5Parser({ blockSize: 4096 })(url, reader);
    expect(await values(store, "uint16")).toEqual(expected.uint16);
  });
});

describe("the plugin", () => {
  it("declares itself as package.json says", () => {
    const pkg = JSON.parse(readFileSync(path.resolve(import.meta.dirname, "../package.json"), "utf8")) as { virtualizarr: { parsers: Record<string, string> } };
    expect(Object.keys(pkg.virtualizarr.parsers)).toEqual([hdf5Plugin.name]);
    expect(hdf5Plugin.extensions).toEqual(["h5", "hdf5", "he5", "nc", "nc4", "mat"]);
    expect(hdf5Plugin.create).toBe(createHdf5Parser);
  });

  it("sniffs the signature at 0 and after a user block, and nothing else", () => {
    expect(sniffHdf5(original.subarray(0, 512))).toBe(true);
    const withUserBlock = new Uint8Array(2048 + 8);
    withUserBlock.set(original.subarray(0, 8), 1024);
    expect(sniffHdf5(withUserBlock)).toBe(true);
    expect(sniffHdf5(new TextEncoder().encode("CDF\x01 netCDF3 file......"))).toBe(false);
    expect(sniffHdf5(new Uint8Array(0))).toBe(false);
    const notAtPowerOfTwo = new Uint8Array(1024);
    notAtPowerOfTwo.set(original.subarray(0, 8), 100);
    expect(sniffHdf5(notAtPowerOfTwo)).toBe(false);
  });

  it("refuses a file without HDF5 signature with a ParseError naming the file", async () => {
    const url = "memory://x/not-hdf5.nc";
    const error = await createHdf5Parser()(url, new MemoryReader({ [url]: new TextEncoder().encode("CDF\x01".padEnd(4000, "\0")) })).catch((e: unknown) => e);
    expect(isVzError(error, "PARSE_FAILED")).toBe(true);
    expect((error as Error).message).toContain(url);
    expect((error as Error).message).toContain("not an HDF5 file");
  });
});

/** Runs the parser and reads every array; resolves to "ok" or the error code, rejects on non-vz errors or hangs. */
async function outcome(bytes: Uint8Array, label: string): Promise<string> {
  const url = `memory://mutated/${label}.h5`;
  const run = (async () => {
    try {
      const store = await createHdf5Parser({ onUnsupported: "skip" })(url, new MemoryReader({ [url]: bytes }));
      for (const [key, array] of store.group.walkArrays()) {
        expect(array.metadata.shape.length, key).toBe(array.ndim);
      }
      return "ok";
    } catch (error) {
      if (!isVzError(error)) throw new Error(`${label}: not a typed vz error: ${String(error)}`, { cause: error });
      expect((error as Error).message, `${label}: message names the file`).toContain(url);
      if (process.env.VZ_DEBUG && !isVzError((error as Error).cause) && (error as Error).cause) console.log(label, (error as Error).cause);
      return error.code;
    }
  })();
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${label}: parser hung`)), 10_000));
  return Promise.race([run, timeout]);
}

describe("truncated and corrupted files", () => {
  it("every truncation gives a result or a typed error", async () => {
    const codes = new Map<string, number>();
    const step = Math.max(1, Math.floor(original.length / 150));
    for (let length = 0; length < original.length; length += step) {
      const code = await outcome(original.slice(0, length), `truncated-${length}`);
      codes.set(code, (codes.get(code) ?? 0) + 1);
    }
    expect(codes.get("PARSE_FAILED")).toBeGreaterThan(0);
  });

  it("random byte corruption gives a result or a typed error, never a crash or a hang", async () => {
    let seed = 12345;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const codes = new Map<string, number>();
    // corrupt the metadata area (the first 4 KiB hold the superblock, headers, B-trees and heaps)
    const limit = Math.min(original.length, 4096);
    for (let trial = 0; trial < 300; trial++) {
      const bytes = original.slice();
      const flips = 1 + Math.floor(random() * 4);
      for (let f = 0; f < flips; f++) bytes[Math.floor(random() * limit)] = Math.floor(random() * 256);
      const code = await outcome(bytes, `corrupt-${trial}`);
      codes.set(code, (codes.get(code) ?? 0) + 1);
    }
    expect([...codes.keys()].every((c) => ["ok", "PARSE_FAILED", "UNSUPPORTED", "NOT_FOUND", "INVALID_MANIFEST", "RANGE_NOT_SATISFIABLE"].includes(c))).toBe(true);
  }, 120_000);
});
