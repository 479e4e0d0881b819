/** Test helpers: a directory store for zarrita, shard assembly (crc32c index), reading arrays through zarrita. */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import * as zarr from "zarrita";

export const PYTHON = "/usr/bin/python3";

/** Modules of `modules` that do not import with Debian's python3 (["python3"] when it is absent). */
export function missingPythonModules(modules: readonly string[]): string[] {
  if (!existsSync(PYTHON)) return ["python3"];
  return modules.filter((module) => spawnSync(PYTHON, ["-c", `import ${module}`], { stdio: "ignore" }).status !== 0);
}

/** Runs Debian's python3 and returns stdout; throws with stderr. */
export function runPython(args: readonly string[]): string {
  try {
    return execFileSync(PYTHON, args, { encoding: "utf8", maxBuffer: 256 << 20, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, PYTHONUTF8: "1" } });
  } catch (error) {
    throw new Error(`python failed: ${(error as { stderr?: string }).stderr ?? String(error)}`, { cause: error });
  }
}

type Range = { offset: number; length: number } | { suffixLength: number };

/** A zarrita store over a local directory: readable (with ranges, for shards) and writable. */
export class DirectoryStore {
  readonly root: string;
  constructor(root: string) {
    this.root = root;
  }
  #path(key: string): string {
    return join(this.root, key.replace(/^\/+/, ""));
  }
  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      return new Uint8Array(await readFile(this.#path(key)));
    } catch (error) {
      if ((error as { code?: string }).code === "ENOENT") return undefined;
      throw error;
    }
  }
  async getRange(key: string, range: Range): Promise<Uint8Array | undefined> {
    const bytes = await this.get(key);
    if (!bytes) return undefined;
    if ("suffixLength" in range) return bytes.subarray(bytes.length - range.suffixLength);
    return bytes.subarray(range.offset, range.offset + range.length);
  }
  async set(key: string, value: Uint8Array): Promise<void> {
    const path = this.#path(key);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, value);
  }
}

/** Writes a JSON document into a store directory. */
export async function writeJson(root: string, key: string, document: unknown): Promise<void> {
  const path = join(root, key);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, JSON.stringify(document, null, 2));
}

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32C (Castagnoli), as the Zarr v3 `crc32c` codec appends it (little-endian). */
export function crc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC32C_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * One shard of a `sharding_indexed` array with inner codecs [bytes little-endian, gzip] and index
 * codecs [bytes little-endian, crc32c]: the encoded inner chunks one after the other, and the index
 * — (offset, nbytes) uint64 pairs per inner chunk in C order (2^64-1 twice for a chunk left out),
 * then the crc32c of those pairs — after them (`"end"`) or before them (`"start"`).
 * `innerChunks[i]` is the little-endian bytes of inner chunk i, or undefined when left out.
 */
export function assembleShard(innerChunks: readonly (Uint8Array | undefined)[], indexLocation: "end" | "start" = "end"): Uint8Array {
  const parts: Uint8Array[] = [];
  const index = new DataView(new ArrayBuffer(innerChunks.length * 16));
  const base = indexLocation === "start" ? innerChunks.length * 16 + 4 : 0;
  let offset = 0;
  innerChunks.forEach((chunk, i) => {
    if (!chunk) {
      index.setBigUint64(i * 16, 2n ** 64n - 1n, true);
      index.setBigUint64(i * 16 + 8, 2n ** 64n - 1n, true);
      return;
    }
    const encoded = new Uint8Array(gzipSync(chunk, { level: 1 }));
    index.setBigUint64(i * 16, BigInt(base + offset), true);
    index.setBigUint64(i * 16 + 8, BigInt(encoded.length), true);
    parts.push(encoded);
    offset += encoded.length;
  });
  const indexBytes = new Uint8Array(index.buffer);
  const checksum = new Uint8Array(4);
  new DataView(checksum.buffer).setUint32(0, crc32c(indexBytes), true);
  const out = new Uint8Array(offset + indexBytes.length + 4);
  let at = base;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  const indexAt = indexLocation === "start" ? 0 : at;
  out.set(indexBytes, indexAt);
  out.set(checksum, indexAt + indexBytes.length);
  return out;
}

/** Every value of the array at `path` of a zarrita-readable store (v3), with its shape. */
export async function readThroughZarrita(store: zarr.Readable, path: string): Promise<{ shape: number[]; values: unknown[] }> {
  const array = await zarr.open.v3(zarr.root(store).resolve(path), { kind: "array" });
  const result = await zarr.get(array);
  if (typeof result !== "object" || result === null || !("data" in result)) return { shape: [], values: [result] };
  const chunk = result as { data: Iterable<unknown> | ArrayLike<unknown>; shape: number[] };
  return { shape: chunk.shape, values: Array.from(chunk.data as ArrayLike<unknown>) };
}

/** Values equal, NaN equal to NaN and null (Python's JSON for NaN). */
export function sameValues(actual: readonly unknown[], expected: readonly unknown[]): boolean {
  if (actual.length !== expected.length) return false;
  return actual.every((value, i) => {
    const other = expected[i];
    if (typeof value === "number" && Number.isNaN(value)) return other === null || (typeof other === "number" && Number.isNaN(other));
    if (typeof value === "bigint") return BigInt(other as number) === value;
    return value === other;
  });
}
