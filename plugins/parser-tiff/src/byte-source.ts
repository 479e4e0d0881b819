/**
 * ByteSource: reads byte ranges of one TIFF file through an ObjectReader, keeping what it read so
 * the IFD walk asks for each byte at most once. The first read is speculative (the start of the
 * file, where a COG keeps all its IFDs); later reads fetch exactly the missing bytes.
 * @module
 */
import { ParseError, type ObjectReader, type ReadOptions } from "@vz/core";

/** One fetched span of the file. */
interface Block {
  offset: number;
  bytes: Uint8Array;
}

/** Default size of the speculative first read (bytes). GDAL reads 16 KiB; COG headers are usually smaller. */
export const DEFAULT_HEADER_READ = 16 * 1024;

/** Ranges closer than this are fetched in one request (tag values of one file usually sit together). */
export const MERGE_GAP = 8 * 1024;

/** Bytes read speculatively at an IFD that is not held yet (its entries and, usually, its values). */
export const IFD_READ = 8 * 1024;

/** A read-through cache of byte ranges of one file. */
export class ByteSource {
  readonly url: string;
  readonly size: number;
  readonly #reader: ObjectReader;
  readonly #options: ReadOptions | undefined;
  readonly #blocks: Block[] = [];
  /** Number of requests made through the reader (excluding `head`). */
  requestCount = 0;
  /** Bytes fetched through the reader. */
  bytesRead = 0;

  private constructor(url: string, size: number, reader: ObjectReader, options: ReadOptions | undefined) {
    this.url = url;
    this.size = size;
    this.#reader = reader;
    this.#options = options;
  }

  /** Opens `url`: one `head` for the size and one read of the first `headerRead` bytes. */
  static async open(url: string, reader: ObjectReader, options: ReadOptions & { headerRead?: number } = {}): Promise<ByteSource> {
    const meta = await reader.head(url, options);
    const source = new ByteSource(url, meta.size, reader, options.signal ? { signal: options.signal } : undefined);
    const first = Math.min(meta.size, options.headerRead ?? DEFAULT_HEADER_READ);
    if (first > 0) await source.prefetch([{ offset: 0, length: first }]);
    return source;
  }

  #find(offset: number, length: number): Uint8Array | undefined {
    for (const block of this.#blocks) {
      if (offset >= block.offset && offset + length <= block.offset + block.bytes.length) {
        return block.bytes.subarray(offset - block.offset, offset - block.offset + length);
      }
    }
    return undefined;
  }

  #check(offset: number, length: number, what: string): void {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > this.size) {
      throw new ParseError(
        `TIFF ${this.url}: ${what} at byte ${offset} (+${length}) lies outside the file (${this.size} bytes); the file is truncated or corrupt`,
        { url: this.url, parser: "tiff" },
      );
    }
  }

  /** Whether `length` bytes at `offset` are already held. */
  has(offset: number, length: number): boolean {
    return this.#find(offset, length) !== undefined;
  }

  /** Fetches every range not held yet, coalesced through the reader's `getRanges`. */
  async prefetch(ranges: readonly { offset: number; length: number }[], what = "data"): Promise<void> {
    const missing = ranges.filter((r) => r.length > 0 && !this.has(r.offset, r.length));
    if (missing.length === 0) return;
    for (const r of missing) this.#check(r.offset, r.length, what);
    // merge overlapping/adjacent ranges ourselves so the request count is predictable
    const sorted = [...missing].sort((a, b) => a.offset - b.offset);
    const merged: { offset: number; length: number }[] = [];
    for (const r of sorted) {
      const last = merged[merged.length - 1];
      if (last && r.offset <= last.offset + last.length + MERGE_GAP) {
        last.length = Math.max(last.length, r.offset + r.length - last.offset);
      } else merged.push({ ...r });
    }
    const parts =
      merged.length === 1
        ? [await this.#reader.getRange(this.url, merged[0]!.offset, merged[0]!.length, this.#options)]
        : await this.#reader.getRanges(this.url, merged, this.#options);
    this.requestCount += merged.length;
    merged.forEach((r, i) => {
      const bytes = parts[i]!;
      this.bytesRead += bytes.length;
      this.#blocks.push({ offset: r.offset, bytes });
    });
  }

  /**
   * `length` bytes at `offset`; when they are not held, reads at least `speculative` bytes from
   * `offset` (clamped to the file) so that what follows comes with the same request.
   */
  async readAhead(offset: number, length: number, speculative: number, what = "data"): Promise<Uint8Array> {
    this.#check(offset, length, what);
    if (!this.has(offset, length)) {
      await this.prefetch([{ offset, length: Math.max(length, Math.min(speculative, this.size - offset)) }], what);
    }
    return this.read(offset, length, what);
  }

  /** `length` bytes at `offset`, fetched when not held. */
  async read(offset: number, length: number, what = "data"): Promise<Uint8Array> {
    this.#check(offset, length, what);
    const held = this.#find(offset, length);
    if (held) return held;
    await this.prefetch([{ offset, length }], what);
    return this.#find(offset, length)!;
  }
}
