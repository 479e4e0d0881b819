/**
 * withBlockCache: an ObjectReader decorator that reads in aligned blocks and keeps them in an LRU
 * cache, so the many small reads of metadata parsing (HDF5 object headers, B-tree nodes, TIFF IFDs)
 * become a few block requests. Consecutive missing blocks are fetched in one range request;
 * concurrent reads of the same block share one request.
 * @module
 */
import { AbortedError, isVzError, RangeNotSatisfiableError, throwIfAborted } from "../errors.js";
import type { ByteRange, ObjectMeta, ObjectReader, ReadOptions } from "./object-reader.js";

/** Options of {@link withBlockCache}. */
export interface BlockCacheOptions {
  /** Block size in bytes; reads are rounded out to block boundaries. Default 64 KiB. */
  blockSize?: number;
  /** Most bytes of blocks kept; least recently used blocks are dropped first. Default 32 MiB. */
  maxBytes?: number;
}

/** Counters of a {@link BlockCachedReader}. */
export interface BlockCacheStats {
  /** Blocks served from the cache. */
  hits: number;
  /** Blocks fetched from the inner reader. */
  misses: number;
  /** Blocks that joined a request already in flight. */
  shared: number;
  /** Ranges (runs of consecutive blocks) asked of the inner reader. */
  requests: number;
  /** Bytes currently held. */
  cachedBytes: number;
}

/** An ObjectReader with a block cache in front of `inner`. */
export interface BlockCachedReader extends ObjectReader {
  readonly inner: ObjectReader;
  readonly stats: Readonly<BlockCacheStats>;
  /** Drops every cached block and size. */
  clear(): void;
}

/** Default block size: 64 KiB. */
export const DEFAULT_BLOCK_SIZE = 64 * 1024;
/** Default cache capacity: 32 MiB. */
export const DEFAULT_BLOCK_CACHE_BYTES = 32 * 1024 * 1024;

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined, what: string): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(new AbortedError(`${what}: aborted`, { cause: signal.reason }));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new AbortedError(`${what}: aborted`, { cause: signal.reason }));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

class BlockCache implements BlockCachedReader {
  readonly inner: ObjectReader;
  readonly #blockSize: number;
  readonly #maxBytes: number;
  readonly #blocks = new Map<string, Uint8Array>();
  readonly #inflight = new Map<string, Promise<Uint8Array>>();
  readonly #sizes = new Map<string, number | Promise<number>>();
  readonly #stats: BlockCacheStats = { hits: 0, misses: 0, shared: 0, requests: 0, cachedBytes: 0 };

  constructor(inner: ObjectReader, options: BlockCacheOptions) {
    this.inner = inner;
    this.#blockSize = options.blockSize ?? DEFAULT_BLOCK_SIZE;
    this.#maxBytes = options.maxBytes ?? DEFAULT_BLOCK_CACHE_BYTES;
    if (!Number.isSafeInteger(this.#blockSize) || this.#blockSize <= 0) {
      throw new RangeError(`withBlockCache: blockSize must be a positive integer, got ${this.#blockSize}`);
    }
    if (!(this.#maxBytes >= 0)) throw new RangeError(`withBlockCache: maxBytes must be >= 0, got ${this.#maxBytes}`);
  }

  get stats(): Readonly<BlockCacheStats> {
    return { ...this.#stats };
  }

  clear(): void {
    this.#blocks.clear();
    this.#sizes.clear();
    this.#stats.cachedBytes = 0;
  }

  async #size(url: string, opts: ReadOptions): Promise<number> {
    const known = this.#sizes.get(url);
    if (typeof known === "number") return known;
    if (known) return raceAbort(known, opts.signal, `HEAD ${url}`);
    const pending = this.inner.head(url, opts).then(
      (meta) => {
        this.#sizes.set(url, meta.size);
        return meta.size;
      },
      (error: unknown) => {
        this.#sizes.delete(url);
        throw error;
      },
    );
    this.#sizes.set(url, pending);
    return pending;
  }

  #remember(key: string, bytes: Uint8Array): void {
    if (bytes.length > this.#maxBytes) return;
    const old = this.#blocks.get(key);
    if (old) this.#stats.cachedBytes -= old.length;
    this.#blocks.delete(key);
    this.#blocks.set(key, bytes);
    this.#stats.cachedBytes += bytes.length;
    for (const [oldest, block] of this.#blocks) {
      if (this.#stats.cachedBytes <= this.#maxBytes) break;
      this.#blocks.delete(oldest);
      this.#stats.cachedBytes -= block.length;
    }
  }

  /** The blocks `indices` (sorted, unique) of `url`, from cache, shared requests or new requests. */
  async #ensure(url: string, size: number, indices: number[], opts: ReadOptions): Promise<Map<number, Uint8Array>> {
    const found = new Map<number, Uint8Array>();
    let wanted = indices;
    for (let round = 0; wanted.length > 0; round++) {
      const waits: [number, Promise<Uint8Array>][] = [];
      const missing: number[] = [];
      for (const index of wanted) {
        const key = `${index}\u0000${url}`;
        const cached = this.#blocks.get(key);
        if (cached) {
          this.#blocks.delete(key);
          this.#blocks.set(key, cached);
          this.#stats.hits++;
          found.set(index, cached);
          continue;
        }
        const pending = this.#inflight.get(key);
        if (pending) {
          this.#stats.shared++;
          waits.push([index, pending]);
        } else missing.push(index);
      }
      const runs: { first: number; last: number }[] = [];
      for (const index of missing) {
        const run = runs[runs.length - 1];
        if (run && run.last === index - 1) run.last = index;
        else runs.push({ first: index, last: index });
      }
      if (runs.length > 0) {
        this.#stats.misses += missing.length;
        this.#stats.requests += runs.length;
        const block = this.#blockSize;
        const request = this.inner.getRanges(
          url,
          runs.map((run) => ({ offset: run.first * block, length: Math.min(size, (run.last + 1) * block) - run.first * block })),
          opts,
        );
        runs.forEach((run, runIndex) => {
          for (let index = run.first; index <= run.last; index++) {
            const key = `${index}\u0000${url}`;
            const start = (index - run.first) * block;
            const promise = request.then(
              (bytes) => {
                const data = bytes[runIndex]!.slice(start, start + Math.min(block, size - index * block));
                if (this.#inflight.get(key) === promise) {
                  this.#inflight.delete(key);
                  this.#remember(key, data);
                }
                return data;
              },
              (error: unknown) => {
                if (this.#inflight.get(key) === promise) this.#inflight.delete(key);
                throw error;
              },
            );
            this.#inflight.set(key, promise);
            waits.push([index, promise]);
          }
        });
      }
      const settled = await raceAbort(Promise.allSettled(waits.map(([, promise]) => promise)), opts.signal, `GET ${url}`);
      const retry: number[] = [];
      settled.forEach((outcome, position) => {
        const index = waits[position]![0];
        if (outcome.status === "fulfilled") found.set(index, outcome.value);
        else if (isVzError(outcome.reason, "ABORTED") && !opts.signal?.aborted && round < 3) retry.push(index);
        else throw outcome.reason;
      });
      // A request started by another caller was aborted by that caller: fetch those blocks again.
      wanted = retry.sort((a, b) => a - b);
    }
    return found;
  }

  #assemble(blocks: Map<number, Uint8Array>, offset: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    const block = this.#blockSize;
    let at = 0;
    while (at < length) {
      const position = offset + at;
      const index = Math.floor(position / block);
      const within = position - index * block;
      const data = blocks.get(index)!;
      const take = Math.min(length - at, data.length - within);
      out.set(data.subarray(within, within + take), at);
      at += take;
    }
    return out;
  }

  #check(url: string, offset: number, length: number, size: number | undefined): void {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
      throw new RangeNotSatisfiableError(`invalid byte range offset ${offset} length ${length} of ${url}`, { url });
    }
    if (size !== undefined && offset + length > size) {
      throw new RangeNotSatisfiableError(`range offset ${offset} length ${length} passes the end of ${url} (${size} bytes)`, {
        url,
      });
    }
  }

  #indices(ranges: readonly ByteRange[]): number[] {
    const set = new Set<number>();
    for (const range of ranges) {
      if (range.length === 0) continue;
      const first = Math.floor(range.offset / this.#blockSize);
      const last = Math.floor((range.offset + range.length - 1) / this.#blockSize);
      for (let index = first; index <= last; index++) set.add(index);
    }
    return [...set].sort((a, b) => a - b);
  }

  /** Reads larger than a quarter of the cache bypass it. */
  #bypass(length: number): boolean {
    return length > this.#maxBytes / 4;
  }

  get(url: string, opts?: ReadOptions): Promise<Uint8Array> {
    return this.inner.get(url, opts);
  }

  async getRange(url: string, offset: number, length: number, opts: ReadOptions = {}): Promise<Uint8Array> {
    this.#check(url, offset, length, undefined);
    throwIfAborted(opts.signal, `GET ${url}`);
    if (this.#bypass(length)) return this.inner.getRange(url, offset, length, opts);
    const size = await this.#size(url, opts);
    this.#check(url, offset, length, size);
    if (length === 0) return new Uint8Array(0);
    const blocks = await this.#ensure(url, size, this.#indices([{ offset, length }]), opts);
    return this.#assemble(blocks, offset, length);
  }

  async getRanges(url: string, ranges: readonly ByteRange[], opts: ReadOptions = {}): Promise<Uint8Array[]> {
    for (const range of ranges) this.#check(url, range.offset, range.length, undefined);
    throwIfAborted(opts.signal, `GET ${url}`);
    const size = await this.#size(url, opts);
    for (const range of ranges) this.#check(url, range.offset, range.length, size);
    const cached = ranges.filter((range) => !this.#bypass(range.length));
    const direct = ranges.filter((range) => this.#bypass(range.length));
    const [blocks, large] = await Promise.all([
      this.#ensure(url, size, this.#indices(cached), opts),
      direct.length > 0 ? this.inner.getRanges(url, direct, opts) : Promise.resolve([]),
    ]);
    let nextLarge = 0;
    return ranges.map((range) => {
      if (this.#bypass(range.length)) return large[nextLarge++]!;
      return range.length === 0 ? new Uint8Array(0) : this.#assemble(blocks, range.offset, range.length);
    });
  }

  async head(url: string, opts?: ReadOptions): Promise<ObjectMeta> {
    const meta = await this.inner.head(url, opts);
    this.#sizes.set(url, meta.size);
    return meta;
  }

  list(prefix: string, opts?: ReadOptions): AsyncIterable<{ url: string; size: number }> {
    return this.inner.list(prefix, opts);
  }
}

/**
 * Wraps `reader` with an LRU cache of aligned blocks. The object size comes from one `head` per
 * URL (cached), so blocks at the end of the object are clipped to it.
 * @example
 * const reader = withBlockCache(new HttpReader(), { blockSize: 64 * 1024, maxBytes: 16 * 1024 * 1024 });
 * await reader.getRange(url, 100, 8); // fetches bytes 0..65535 once
 * await reader.getRange(url, 2000, 8); // served from the cache
 */
export function withBlockCache(reader: ObjectReader, options: BlockCacheOptions = {}): BlockCachedReader {
  return new BlockCache(reader, options);
}
