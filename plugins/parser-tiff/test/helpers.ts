/**
 * Test helpers: where the shared data lives, the Debian Python with GDAL/tifffile (oracle and
 * fixture generator), reading arrays through zarrita, and turning a manifest back into the TIFF's
 * strip/tile list.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { ByteRange, ManifestArray, ManifestStore, ObjectReader, ReadOptions } from "@vz/core";
import * as zarr from "zarrita";

const here = dirname(fileURLToPath(import.meta.url));
/** Repository root (/work/main). */
export const REPO_ROOT = resolve(here, "../../..");
/** Shared oracle data, next to the repository. */
export const DATA_ROOT = resolve(REPO_ROOT, "../shared/data");
export const HAS_DATA = existsSync(resolve(DATA_ROOT, "tiff"));

/** Debian's Python, which has GDAL, tifffile and numpy. */
export const PYTHON = "/usr/bin/python3";
export const HAS_GDAL_PYTHON =
  existsSync(PYTHON) && spawnSync(PYTHON, ["-c", "from osgeo import gdal; import tifffile, numpy"], { stdio: "ignore" }).status === 0;

/** Runs a Python script with Debian's Python and returns its stdout. */
export function runPython(script: string, args: string[] = []): string {
  return execFileSync(PYTHON, ["-c", script, ...args], { encoding: "utf8", maxBuffer: 1 << 30 });
}

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

type Typed = { length: number; buffer: ArrayBufferLike; byteOffset: number; byteLength: number; [i: number]: number | bigint };

/** Reads a whole array through zarrita (from the ManifestStore) and returns it band-first, as bytes. */
export async function readBandFirst(store: ManifestStore, name: string): Promise<{ bytes: Uint8Array; shape: number[] }> {
  const node = store.group.arrays.get(name);
  if (!node) throw new Error(`no array ${name}`);
  const array = await zarr.open.v3(zarr.root(store as never).resolve(name), { kind: "array" });
  const chunk = (await zarr.get(array as never)) as unknown as { data: Typed; shape: number[] };
  const dims = node.metadata.dimension_names ?? [];
  let data = chunk.data;
  let shape = chunk.shape;
  if (shape.length === 3 && dims[2]?.startsWith("band")) {
    const [h, w, s] = shape as [number, number, number];
    const Ctor = (data as unknown as { constructor: new (n: number) => Typed }).constructor;
    const out = new Ctor(data.length);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let b = 0; b < s; b++) out[b * h * w + y * w + x] = data[(y * w + x) * s + b]!;
    data = out;
    shape = [s, h, w];
  }
  return { bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), shape };
}

/**
 * The TIFF strip/tile list [[index], offset, byteCount] a manifest stands for: chunks of split
 * uncompressed strips are merged back into their strip.
 */
export function stripsAndTiles(array: ManifestArray): [number[], number, number][] {
  const attributes = array.metadata.attributes;
  const dims = array.metadata.dimension_names ?? [];
  const grid = array.manifest.shape;
  const separate = attributes.tiff_planar_configuration === "separate";
  const rowsPerStrip = attributes.tiff_rows_per_strip as number | undefined;
  const chunkRows = array.chunks[separate ? 1 : 0]!;
  const merge = rowsPerStrip !== undefined ? rowsPerStrip / chunkRows : 1;
  const height = array.shape[separate ? 1 : 0]!;
  const down = Math.ceil(height / (rowsPerStrip ?? chunkRows));
  const across = grid[separate ? 2 : 1]!;
  const result = new Map<number, [number[], number, number]>();
  for (const [coords, entry] of array.manifest.entries()) {
    if (!("url" in entry)) continue;
    const plane = separate ? coords[0]! : 0;
    const chunkRow = coords[separate ? 1 : 0]!;
    const col = coords[separate ? 2 : 1]!;
    const row = Math.floor(chunkRow / merge);
    const index = plane * down * across + row * across + col;
    const known = result.get(index);
    if (!known) result.set(index, [[index], entry.offset, entry.length]);
    else {
      const start = Math.min(known[1], entry.offset);
      const end = Math.max(known[1] + known[2], entry.offset + entry.length);
      result.set(index, [[index], start, end - start]);
    }
  }
  void dims;
  return [...result.values()].sort((a, b) => a[0][0]! - b[0][0]!);
}

/** The float64 values of a coordinate array (one inlined little-endian chunk). */
export function coordinateValues(store: ManifestStore, name: string): Float64Array {
  const array = store.group.arrays.get(name);
  if (!array) throw new Error(`no coordinate array ${name}`);
  const entry = array.manifest.get([0]);
  if (!entry || !("data" in entry)) throw new Error(`coordinate array ${name} has no inlined chunk`);
  const bytes = entry.data;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Float64Array.from({ length: bytes.length / 8 }, (_, i) => view.getFloat64(i * 8, true));
}

/** An ObjectReader wrapper that counts `head` calls, range requests and bytes. */
export class CountingReader implements ObjectReader {
  heads = 0;
  requests = 0;
  bytes = 0;
  constructor(readonly inner: ObjectReader) {}
  head(url: string, opts?: ReadOptions) {
    this.heads++;
    return this.inner.head(url, opts);
  }
  getRange(url: string, offset: number, length: number, opts?: ReadOptions) {
    this.requests++;
    this.bytes += length;
    return this.inner.getRange(url, offset, length, opts);
  }
  getRanges(url: string, ranges: readonly ByteRange[], opts?: ReadOptions) {
    this.requests += ranges.length;
    for (const range of ranges) this.bytes += range.length;
    return Promise.all(ranges.map((r) => this.inner.getRange(url, r.offset, r.length, opts)));
  }
  get(url: string, opts?: ReadOptions) {
    this.requests++;
    return this.inner.get(url, opts);
  }
  list(prefix: string, opts?: ReadOptions) {
    return this.inner.list(prefix, opts);
  }
}
