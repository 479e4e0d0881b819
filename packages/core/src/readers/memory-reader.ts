/**
 * MemoryReader: objects held in memory, addressed by URL (`memory://...` or any URL you choose).
 * @module
 */
import { NotFoundError, RangeNotSatisfiableError, throwIfAborted } from "../errors.js";
import type { ByteRange, ObjectMeta, ObjectReader, ReadOptions } from "./object-reader.js";

/** An ObjectReader over a Map of URL → bytes. Useful for tests and in-browser data. */
export class MemoryReader implements ObjectReader {
  readonly #objects: Map<string, Uint8Array>;

  constructor(objects: Record<string, Uint8Array> | Map<string, Uint8Array> = {}) {
    this.#objects = new Map(objects instanceof Map ? objects : Object.entries(objects));
  }

  /** Adds or replaces an object. */
  put(url: string, bytes: Uint8Array): this {
    this.#objects.set(url, bytes);
    return this;
  }

  #object(url: string, opts?: ReadOptions): Uint8Array {
    throwIfAborted(opts?.signal, `read ${url}`);
    const bytes = this.#objects.get(url);
    if (!bytes) throw new NotFoundError(`object not found: ${url}`, { url });
    return bytes;
  }

  async get(url: string, opts?: ReadOptions): Promise<Uint8Array> {
    return this.#object(url, opts).slice();
  }

  async getRange(url: string, offset: number, length: number, opts?: ReadOptions): Promise<Uint8Array> {
    const bytes = this.#object(url, opts);
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > bytes.length) {
      throw new RangeNotSatisfiableError(
        `range ${offset}+${length} outside ${url} (${bytes.length} bytes)`,
        { url },
      );
    }
    return bytes.slice(offset, offset + length);
  }

  async getRanges(url: string, ranges: readonly ByteRange[], opts?: ReadOptions): Promise<Uint8Array[]> {
    return Promise.all(ranges.map((r) => this.getRange(url, r.offset, r.length, opts)));
  }

  async head(url: string, opts?: ReadOptions): Promise<ObjectMeta> {
    return { url, size: this.#object(url, opts).length };
  }

  async *list(prefix: string): AsyncIterable<{ url: string; size: number }> {
    for (const [url, bytes] of [...this.#objects].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (url.startsWith(prefix)) yield { url, size: bytes.length };
    }
  }
}
