/**
 * BlobReader: an ObjectReader over files the user picked (`File`/`Blob`), addressed by URL. Reads
 * only the byte ranges asked for (`Blob.slice`), so a large file is never loaded whole.
 * @module
 */
import type { Traffic } from "./traffic.js";
import { NotFoundError, RangeNotSatisfiableError, type ByteRange, type ObjectMeta, type ObjectReader, type ReadOptions } from "@vz/core";

export class BlobReader implements ObjectReader {
  readonly #blobs = new Map<string, Blob>();
  readonly #traffic: Traffic | undefined;

  /** `traffic`: counts every read (one per byte range, a `head` as one with no bytes). */
  constructor(options: { traffic?: Traffic } = {}) {
    this.#traffic = options.traffic;
  }

  /** Adds a blob under `url` (e.g. `file:///name.nc`); returns the URL. */
  put(url: string, blob: Blob): string {
    this.#blobs.set(url, blob);
    return url;
  }

  #blob(url: string, opts?: ReadOptions): Blob {
    if (opts?.signal?.aborted) throw opts.signal.reason;
    const blob = this.#blobs.get(url);
    if (!blob) throw new NotFoundError(`object not found: ${url} (not among the files opened in this page)`, { url });
    return blob;
  }

  async get(url: string, opts?: ReadOptions): Promise<Uint8Array> {
    const bytes = new Uint8Array(await this.#blob(url, opts).arrayBuffer());
    this.#traffic?.count(bytes.length);
    return bytes;
  }

  async getRange(url: string, offset: number, length: number, opts?: ReadOptions): Promise<Uint8Array> {
    const blob = this.#blob(url, opts);
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > blob.size) {
      throw new RangeNotSatisfiableError(`range ${offset}+${length} outside ${url} (${blob.size} bytes)`, { url });
    }
    const bytes = new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer());
    this.#traffic?.count(bytes.length);
    return bytes;
  }

  async getRanges(url: string, ranges: readonly ByteRange[], opts?: ReadOptions): Promise<Uint8Array[]> {
    return Promise.all(ranges.map((r) => this.getRange(url, r.offset, r.length, opts)));
  }

  async head(url: string, opts?: ReadOptions): Promise<ObjectMeta> {
    const blob = this.#blob(url, opts);
    this.#traffic?.count(0, true);
    return { url, size: blob.size, ...(blob instanceof File ? { lastModified: new Date(blob.lastModified) } : {}) };
  }

  async *list(prefix: string): AsyncIterable<{ url: string; size: number }> {
    for (const [url, blob] of [...this.#blobs].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (url.startsWith(prefix)) yield { url, size: blob.size };
    }
  }
}
