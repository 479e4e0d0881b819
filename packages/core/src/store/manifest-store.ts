/**
 * ManifestStore: a read-only, zarrita-compatible store over a ManifestGroup. Metadata keys serve
 * `zarr.json`; chunk keys are mapped to byte ranges of the source files and read through an
 * ObjectReader; a missing chunk is `undefined` (zarrita then uses the fill value).
 * @module
 */
import { codecsRegistered, ensureFloat16Array, loadCodecRegistry } from "../codecs/register-codecs.js";
import { NotFoundError, type VzError } from "../errors.js";
import { ManifestArray } from "../manifest/manifest-array.js";
import { ManifestGroup } from "../manifest/manifest-group.js";
import { DEFAULT_MAX_COALESCED, groupRanges, type ObjectReader, type ReadOptions } from "../readers/object-reader.js";

/**
 * Default number of chunk requests a ManifestStore keeps in flight at once: 256, so that a
 * selection of a few hundred chunks over a high-latency link costs one or two round trips, not one
 * per ten chunks (obstore's `get_ranges` default of 10 suits coalesced metadata reads, not chunks;
 * object stores take thousands of concurrent requests).
 */
export const DEFAULT_STORE_CONCURRENCY = 256;

/**
 * Default gap (bytes) under which a ManifestStore merges the chunk reads of one file into one
 * request: 8 KiB, so that chunks written back to back (HDF5, netCDF-3, TIFF strips) come in one
 * request while chunks with other data between them are not read through.
 */
export const DEFAULT_STORE_COALESCE_GAP = 8 * 1024;

/** Options of a {@link ManifestStore}. */
export interface ManifestStoreOptions {
  /** Problems the parser met but did not raise. */
  diagnostics?: readonly VzError[];
  /** Chunk requests in flight at once (default {@link DEFAULT_STORE_CONCURRENCY}). */
  concurrency?: number;
  /** Chunk reads of one file closer than this many bytes are one request (default {@link DEFAULT_STORE_COALESCE_GAP}; 0 merges only adjacent reads, -1 never merges). */
  coalesceGap?: number;
}

interface PendingRead {
  offset: number;
  length: number;
  resolve(bytes: Uint8Array): void;
  reject(error: unknown): void;
}

/** Byte range in zarrita's shape. */
export type RangeQuery = { offset: number; length: number } | { suffixLength: number };

const encoder = new TextEncoder();

function encodeJson(value: unknown): Uint8Array {
  return encoder.encode(
    JSON.stringify(value, (_key, v) => {
      if (typeof v === "number" && !Number.isFinite(v)) return Number.isNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity";
      if (typeof v === "bigint") return Number(v);
      return v;
    }),
  );
}

/**
 * The metadata document of a node as zarrita reads it: zarrita 0.7 knows fixed-length byte
 * strings (numpy `|S<n>`, e.g. netCDF `char` arrays) under its own data type name `v2:S<n>`.
 */
function metadataDocument(node: ManifestGroup | ManifestArray): Uint8Array {
  if (!(node instanceof ManifestArray)) return encodeJson(node.metadata);
  const metadata = node.metadata;
  const fixed = /^fixed_length_bytes:(\d+)$/.exec(metadata.data_type);
  if (!fixed) return encodeJson(metadata);
  const fill = metadata.fill_value;
  const fillValue = typeof fill === "string" ? fill : Array.isArray(fill) ? String.fromCharCode(...(fill as number[])) : "";
  return encodeJson({ ...metadata, data_type: `v2:S${fixed[1]}`, fill_value: fillValue });
}

/** The store key of a chunk in the default chunk key encoding: `<path>/c/<i>/<j>`, `<path>/c` for 0-d arrays. */
function chunkKey(path: string, coords: readonly number[]): string {
  return coords.length === 0 ? `${path}/c` : `${path}/c/${coords.join("/")}`;
}

/** A store over virtual references that zarrita (and anything with `get`/`getRange`) can open. */
export class ManifestStore {
  readonly group: ManifestGroup;
  readonly reader: ObjectReader;
  /**
   * Problems the parser met but did not raise, e.g. variables skipped because they cannot be
   * virtualized (each a typed error naming file, variable and reason).
   */
  readonly diagnostics: readonly VzError[];
  readonly #concurrency: number;
  readonly #coalesceGap: number;
  /** Chunk reads waiting for the next flush, by signal then URL. */
  #pending = new Map<AbortSignal | undefined, Map<string, PendingRead[]>>();
  #flushScheduled = false;
  #active = 0;
  #waiting: (() => void)[] = [];
  /** Chunk reads started by {@link prefetch}, by chunk key, until a `get` takes them. */
  #prefetched = new Map<string, Promise<Uint8Array>>();

  constructor(group: ManifestGroup, reader: ObjectReader, options: ManifestStoreOptions = {}) {
    this.group = group;
    this.reader = reader;
    this.diagnostics = [...(options.diagnostics ?? [])];
    this.#concurrency = Math.max(1, Math.floor(options.concurrency ?? DEFAULT_STORE_CONCURRENCY));
    this.#coalesceGap = options.coalesceGap ?? DEFAULT_STORE_COALESCE_GAP;
  }

  /** Resolves a store key to a metadata document, a chunk reference, or nothing. */
  #locate(key: string):
    | { kind: "metadata"; node: ManifestGroup | ManifestArray }
    | { kind: "chunk"; array: ManifestArray; coords: number[]; path: string }
    | undefined {
    const path = key.replace(/^\/+/, "");
    if (path === "zarr.json") return { kind: "metadata", node: this.group };
    if (path.endsWith("/zarr.json")) {
      const node = this.group.resolve(path.slice(0, -"/zarr.json".length));
      return node ? { kind: "metadata", node } : undefined;
    }
    // chunk key: <array path>/c/<i>/<j>... or <array path>/c for 0-d arrays
    const match = /^(.*?)\/c((?:\/\d+)*)$/.exec(path);
    if (!match) return undefined;
    const arrayPath = match[1]!;
    const node = this.group.resolve(arrayPath);
    if (!(node instanceof ManifestArray)) return undefined;
    const coords = match[2] ? match[2].slice(1).split("/").map(Number) : [];
    if (coords.length !== node.ndim) return undefined;
    return { kind: "chunk", array: node, coords, path: arrayPath };
  }

  /**
   * What zarrita needs before it reads `node`'s metadata: vz's codecs, and for a float16 array a
   * `Float16Array` (zarrita looks it up when it builds the array's codecs; Node 20 has none).
   */
  async #prepareFor(node: ManifestGroup | ManifestArray): Promise<void> {
    if (!codecsRegistered()) await loadCodecRegistry();
    if (node instanceof ManifestArray && node.metadata.data_type === "float16") await ensureFloat16Array();
  }

  /** Bytes at `key`, or undefined when there is nothing there. */
  async get(key: string, opts?: ReadOptions): Promise<Uint8Array | undefined> {
    const location = this.#locate(key);
    if (!location) return undefined;
    if (location.kind === "metadata") {
      // zarrita must know vz's codecs (fletcher32, bz2, lz4h5, lzf, fixed shuffle) before it builds
      // an array's codec pipeline from this document: load and register them on the first read
      await this.#prepareFor(location.node);
      return metadataDocument(location.node);
    }
    if (this.#prefetched.size > 0) {
      const key = chunkKey(location.path, location.coords);
      const started = this.#prefetched.get(key);
      if (started) {
        this.#prefetched.delete(key);
        return started;
      }
    }
    const entry = location.array.manifest.get(location.coords);
    if (!entry) return undefined;
    if ("data" in entry) return entry.data;
    return this.#read(entry.url, entry.offset, entry.length, opts?.signal);
  }

  /**
   * Starts reading the chunks at `chunks` (chunk grid coordinates) of the array at `path` now, so
   * that their requests are under way while the caller still loads and opens its Zarr reader; the
   * `get` of each chunk's key then takes the read already started (once). Reads are queued,
   * coalesced and limited as `get`'s are; a failed one fails that `get` as it would have. Chunks
   * without a reference, inline chunks, unknown paths and sharded arrays are left out. Returns how
   * many reads were started.
   */
  prefetch(path: string, chunks: Iterable<readonly number[]>): number {
    const arrayPath = path.replace(/^\/+/, "");
    const node = this.group.resolve(arrayPath);
    if (!(node instanceof ManifestArray)) return 0;
    if (node.metadata.codecs.some((codec) => codec.name === "sharding_indexed")) return 0;
    let started = 0;
    for (const coords of chunks) {
      if (coords.length !== node.ndim) continue;
      const key = chunkKey(arrayPath, coords);
      if (this.#prefetched.has(key)) continue;
      const entry = node.manifest.get(coords);
      if (!entry || "data" in entry) continue;
      const read = this.#read(entry.url, entry.offset, entry.length, undefined);
      // a failure belongs to the `get` that takes this read; one never taken is no error
      read.catch(() => undefined);
      this.#prefetched.set(key, read);
      started++;
    }
    return started;
  }

  /**
   * Queues a chunk read. zarrita asks for every chunk of a selection at once; the reads queued
   * before the microtask queue drains are flushed together: those of one file that are adjacent or
   * closer than the coalescing gap become one request, and at most `concurrency` requests run at
   * a time.
   */
  #read(url: string, offset: number, length: number, signal: AbortSignal | undefined): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      let byUrl = this.#pending.get(signal);
      if (!byUrl) this.#pending.set(signal, (byUrl = new Map()));
      let reads = byUrl.get(url);
      if (!reads) byUrl.set(url, (reads = []));
      reads.push({ offset, length, resolve, reject });
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        // a few microtask hops, not a timer: zarrita's `get` asks for every chunk synchronously,
        // and a lone read (a caller awaiting chunks one by one) must not wait for a timer
        void Promise.resolve()
          .then(() => undefined)
          .then(() => undefined)
          .then(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#flushScheduled = false;
    const pending = this.#pending;
    this.#pending = new Map();
    for (const [signal, byUrl] of pending) {
      const opts = signal ? { signal } : {};
      for (const [url, reads] of byUrl) {
        const fetchRange = (offset: number, length: number) => this.#limited(() => this.reader.getRange(url, offset, length, opts));
        if (reads.length === 1 || this.#coalesceGap < 0) {
          for (const read of reads) fetchRange(read.offset, read.length).then(read.resolve, read.reject);
          continue;
        }
        // Reads of one file closer than the gap become one request. Each request's reads are
        // answered as soon as it returns, so that zarrita decodes those chunks while the other
        // requests are still in flight (waiting for all of them would leave the CPU idle, then busy).
        for (const { start, end, members } of groupRanges(reads, this.#coalesceGap, DEFAULT_MAX_COALESCED)) {
          const group = members.map((index) => reads[index]!);
          if (group.length === 1) {
            fetchRange(start, end - start).then(group[0]!.resolve, group[0]!.reject);
            continue;
          }
          fetchRange(start, end - start).then(
            (bytes) => {
              for (const read of group) read.resolve(bytes.subarray(read.offset - start, read.offset - start + read.length));
            },
            (error: unknown) => {
              for (const read of group) read.reject(error);
            },
          );
        }
      }
    }
  }

  /** Runs `task` when fewer than `concurrency` requests are in flight. */
  async #limited<T>(task: () => Promise<T>): Promise<T> {
    // a finishing request hands its slot straight to the next waiting one
    if (this.#active >= this.#concurrency) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#active++;
    try {
      return await task();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#active--;
    }
  }

  /** Part of the bytes at `key` (zarrita uses this for sharded arrays). */
  async getRange(key: string, range: RangeQuery, opts?: ReadOptions): Promise<Uint8Array | undefined> {
    const location = this.#locate(key);
    if (!location) return undefined;
    if (location.kind === "metadata") {
      await this.#prepareFor(location.node);
      const bytes = metadataDocument(location.node);
      return "suffixLength" in range ? bytes.subarray(bytes.length - range.suffixLength) : bytes.subarray(range.offset, range.offset + range.length);
    }
    const entry = location.array.manifest.get(location.coords);
    if (!entry) return undefined;
    if ("data" in entry) {
      const bytes = entry.data;
      return "suffixLength" in range ? bytes.subarray(bytes.length - range.suffixLength) : bytes.subarray(range.offset, range.offset + range.length);
    }
    if ("suffixLength" in range) {
      const length = Math.min(range.suffixLength, entry.length);
      return this.reader.getRange(entry.url, entry.offset + entry.length - length, length, opts);
    }
    const start = Math.min(range.offset, entry.length);
    const length = Math.max(0, Math.min(range.length, entry.length - start));
    return this.reader.getRange(entry.url, entry.offset + start, length, opts);
  }

  /** Whether `key` exists. */
  async exists(key: string): Promise<boolean> {
    const location = this.#locate(key);
    if (!location) return false;
    if (location.kind === "metadata") return true;
    return location.array.manifest.get(location.coords) !== undefined;
  }

  /** Immediate children of a group path: sub-groups and arrays, plus `zarr.json`. */
  listDir(prefix = ""): { keys: string[]; prefixes: string[] } {
    const node = this.group.resolve(prefix.replace(/^\/+|\/+$/g, ""));
    if (!node) throw new NotFoundError(`ManifestStore.listDir: no group or array at "${prefix}"`);
    if (node instanceof ManifestArray) return { keys: ["zarr.json"], prefixes: node.manifest.chunkCount > 0 ? ["c"] : [] };
    return { keys: ["zarr.json"], prefixes: [...node.groups.keys(), ...node.arrays.keys()].sort() };
  }

  /** Every metadata key in the store, e.g. ["zarr.json", "temp/zarr.json"]. */
  listMetadataKeys(): string[] {
    const keys: string[] = [];
    for (const [path] of this.group.walkGroups()) keys.push(path ? `${path}/zarr.json` : "zarr.json");
    for (const [path] of this.group.walkArrays()) keys.push(`${path}/zarr.json`);
    return keys;
  }
}
