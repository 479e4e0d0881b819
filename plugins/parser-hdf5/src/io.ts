/**
 * Low-level access to an HDF5 file through an ObjectReader: a block cache with a speculative first
 * read (so a remote file costs few requests), and a Cursor that decodes little-endian fields.
 * @module
 */
import { type ObjectReader, ParseError, type ReadOptions } from "@vz/core";

/** The "undefined address" (all bits set) decodes to this value. */
export const UNDEFINED_ADDRESS = -1;

/** Raised (as ParseError) when a structure is malformed. */
export function formatError(file: HdfFile | { url: string }, message: string, cause?: unknown): ParseError {
  return new ParseError(`HDF5 ${file.url}: ${message}`, { url: file.url, parser: "hdf5", cause });
}

/**
 * Index ranges of known size closer than this are read in one request by
 * {@link HdfFile.prefetchExact} (a few KiB read through costs less than another request).
 */
export const EXACT_MERGE_GAP = 4096;

/** Options for {@link HdfFile}. */
export interface HdfFileOptions {
  /** Size of cache blocks (default 64 KiB). */
  blockSize?: number;
  /** Bytes read speculatively at the start (default 256 KiB or the file size). */
  initialReadSize?: number;
  signal?: AbortSignal;
}

/**
 * A file opened for metadata reading. `read` is async and served from aligned cached blocks;
 * concurrent reads of the same block share one request.
 */
export class HdfFile {
  readonly url: string;
  readonly reader: ObjectReader;
  readonly size: number;
  readonly blockSize: number;
  readonly signal: AbortSignal | undefined;
  /** Set from the superblock. */
  sizeOfOffsets = 8;
  sizeOfLengths = 8;
  baseAddress = 0;
  /** Statistics: requests made and bytes fetched. */
  requests = 0;
  bytesFetched = 0;
  readonly #blocks = new Map<number, Promise<Uint8Array>>();
  /** Byte ranges fetched at their exact sizes (index nodes), sorted by start. */
  readonly #extents: { start: number; end: number; bytes: Promise<Uint8Array> }[] = [];

  constructor(url: string, reader: ObjectReader, size: number, options: HdfFileOptions = {}) {
    this.url = url;
    this.reader = reader;
    this.size = size;
    this.blockSize = options.blockSize ?? 64 * 1024;
    this.signal = options.signal;
  }

  /** Opens `url`: `head` for the size, then one speculative read of the file's start. */
  static async open(url: string, reader: ObjectReader, options: HdfFileOptions = {}): Promise<HdfFile> {
    const readOptions = options.signal ? { signal: options.signal } : undefined;
    const speculative = options.initialReadSize ?? 256 * 1024;
    // the speculative first read goes out with `head`, not after it (one round trip less); when
    // the file is smaller than the read (or the read fails) it is made again at the file's size
    const first = speculative > 0 ? reader.getRange(url, 0, speculative, readOptions).catch(() => undefined) : Promise.resolve(undefined);
    const meta = await reader.head(url, readOptions);
    const file = new HdfFile(url, reader, meta.size, options);
    const initial = Math.min(meta.size, speculative);
    if (initial > 0) {
      const bytes = await first;
      if (bytes && bytes.length >= initial) {
        file.requests++;
        file.bytesFetched += bytes.length;
        file.#install(bytes.subarray(0, initial));
      } else await file.prefetch(0, initial);
    }
    return file;
  }

  /** Puts bytes read from the start of the file into the block cache (whole blocks, or up to the file's end). */
  #install(bytes: Uint8Array): void {
    const blocks = Math.floor(bytes.length / this.blockSize) + (bytes.length === this.size && bytes.length % this.blockSize > 0 ? 1 : 0);
    for (let b = 0; b < blocks; b++) {
      this.#blocks.set(b, Promise.resolve(bytes.subarray(b * this.blockSize, Math.min(bytes.length, (b + 1) * this.blockSize))));
    }
    if (blocks * this.blockSize < bytes.length) {
      // a partial last block: keep it as an extent so reads inside it are served too
      this.#extents.push({ start: blocks * this.blockSize, end: bytes.length, bytes: Promise.resolve(bytes.subarray(blocks * this.blockSize)) });
    }
  }

  #readOptions(): ReadOptions | undefined {
    return this.signal ? { signal: this.signal } : undefined;
  }

  /** Loads the blocks covering [offset, offset+length) in one request for the missing ones. */
  async prefetch(offset: number, length: number): Promise<void> {
    const end = Math.min(this.size, offset + length);
    if (offset < 0 || offset >= end) return;
    const first = Math.floor(offset / this.blockSize);
    const last = Math.floor((end - 1) / this.blockSize);
    let runStart = -1;
    const runs: [number, number][] = [];
    for (let b = first; b <= last; b++) {
      if (!this.#blocks.has(b)) {
        if (runStart < 0) runStart = b;
      } else if (runStart >= 0) {
        runs.push([runStart, b - 1]);
        runStart = -1;
      }
    }
    if (runStart >= 0) runs.push([runStart, last]);
    await Promise.all(runs.map(([a, b]) => this.#fetchRun(a, b)));
  }

  /** Loads many ranges concurrently (one request per contiguous run of missing blocks). */
  async prefetchMany(ranges: readonly { offset: number; length: number }[]): Promise<void> {
    await Promise.all(ranges.map((r) => this.prefetch(r.offset, r.length)));
  }

  /**
   * Loads byte ranges whose sizes the format gives (B-tree nodes, index blocks) as they are, not
   * as whole cache blocks: sorted, merged when less than `gap` bytes apart, fetched concurrently.
   * Later reads inside a loaded range are served from it. Ranges are clipped to the file size.
   */
  async prefetchExact(ranges: readonly { offset: number; length: number }[], gap = EXACT_MERGE_GAP): Promise<void> {
    const sorted = ranges
      .filter((range) => range.length > 0 && range.offset >= 0 && range.offset < this.size && !this.#covered(range.offset, range.offset + range.length))
      .sort((a, b) => a.offset - b.offset);
    const merged: [number, number][] = [];
    for (const range of sorted) {
      const end = Math.min(this.size, range.offset + range.length);
      const last = merged[merged.length - 1];
      if (last && range.offset <= last[1] + gap) last[1] = Math.max(last[1], end);
      else merged.push([range.offset, end]);
    }
    await Promise.all(merged.map(([start, end]) => this.#fetchExtent(start, end)));
  }

  /** Whether [start, end) is in the block cache or a loaded extent already. */
  #covered(start: number, end: number): boolean {
    if (this.#extentOf(start, end)) return true;
    for (let b = Math.floor(start / this.blockSize), last = Math.floor((end - 1) / this.blockSize); b <= last; b++) {
      if (!this.#blocks.has(b)) return false;
    }
    return true;
  }

  /** The loaded extent holding all of [start, end), if any. */
  #extentOf(start: number, end: number): { start: number; bytes: Promise<Uint8Array> } | undefined {
    const extents = this.#extents;
    let lo = 0;
    let hi = extents.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (extents[mid]!.start <= start) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    // the last few extents starting at or before `start` (extents may overlap)
    for (let i = found; i >= 0 && i > found - 4; i--) if (extents[i]!.end >= end) return extents[i];
    return undefined;
  }

  #fetchExtent(start: number, end: number): Promise<void> {
    this.requests++;
    this.bytesFetched += end - start;
    const bytes = this.reader.getRange(this.url, start, end - start, this.#readOptions());
    const extent = { start, end, bytes };
    let lo = 0;
    while (lo < this.#extents.length && this.#extents[lo]!.start <= start) lo++;
    this.#extents.splice(lo, 0, extent);
    return bytes.then(
      () => undefined,
      (error: unknown) => {
        const index = this.#extents.indexOf(extent);
        if (index >= 0) this.#extents.splice(index, 1);
        throw error;
      },
    );
  }

  #fetchRun(firstBlock: number, lastBlock: number): Promise<void> {
    const start = firstBlock * this.blockSize;
    const end = Math.min(this.size, (lastBlock + 1) * this.blockSize);
    const request = (async () => {
      this.requests++;
      this.bytesFetched += end - start;
      try {
        return await this.reader.getRange(this.url, start, end - start, this.#readOptions());
      } catch (error) {
        for (let b = firstBlock; b <= lastBlock; b++) this.#blocks.delete(b);
        throw error;
      }
    })();
    for (let b = firstBlock; b <= lastBlock; b++) {
      const index = b;
      const block = request.then((bytes) => {
        const from = (index - firstBlock) * this.blockSize;
        return bytes.subarray(from, Math.min(bytes.length, from + this.blockSize));
      });
      // A failed request fails every block of its run; the reads waiting on them get the error,
      // and a block nobody waits on must not become an unhandled rejection (it would end Node).
      block.catch(() => {});
      this.#blocks.set(b, block);
    }
    return request.then(() => undefined);
  }

  /** `length` bytes at absolute file offset `offset` (the base address is NOT added here). */
  async read(offset: number, length: number): Promise<Uint8Array> {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
      throw formatError(this, `invalid read of ${length} bytes at ${offset}`);
    }
    if (offset + length > this.size) {
      throw formatError(this, `structure at ${offset} (${length} bytes) passes the end of the file (${this.size} bytes); truncated or corrupt file`);
    }
    if (length === 0) return new Uint8Array(0);
    const extent = this.#extentOf(offset, offset + length);
    if (extent) {
      const bytes = await extent.bytes;
      return bytes.subarray(offset - extent.start, offset - extent.start + length);
    }
    await this.prefetch(offset, length);
    const first = Math.floor(offset / this.blockSize);
    const last = Math.floor((offset + length - 1) / this.blockSize);
    if (first === last) {
      const block = await this.#blocks.get(first)!;
      const from = offset - first * this.blockSize;
      return block.subarray(from, from + length);
    }
    const out = new Uint8Array(length);
    let written = 0;
    for (let b = first; b <= last; b++) {
      const block = await this.#blocks.get(b)!;
      const blockStart = b * this.blockSize;
      const from = Math.max(offset, blockStart) - blockStart;
      const to = Math.min(offset + length, blockStart + block.length) - blockStart;
      out.set(block.subarray(from, to), written);
      written += to - from;
    }
    return out;
  }

  /** Absolute file offset of a stored address (stored addresses are relative to the base address). */
  absolute(address: number): number {
    return address + this.baseAddress;
  }

  /** A cursor over `length` bytes at stored (base-relative) `address`; the cursor's origin is absolute. */
  async cursorAt(address: number, length: number): Promise<Cursor> {
    return this.cursor(address + this.baseAddress, length);
  }

  /** A cursor over `length` bytes at `offset`. */
  async cursor(offset: number, length: number): Promise<Cursor> {
    return new Cursor(await this.read(offset, length), this, offset);
  }

  /** Reads at most `length` bytes at `offset` (clipped to the file end). */
  async readUpTo(offset: number, length: number): Promise<Uint8Array> {
    return this.read(offset, Math.max(0, Math.min(length, this.size - offset)));
  }
}

/** Sequential little-endian decoder over a byte buffer, with bounds checks that throw ParseError. */
export class Cursor {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly file: HdfFile;
  /** File offset of bytes[0] (for error messages and relative addressing). */
  readonly origin: number;
  pos: number;

  constructor(bytes: Uint8Array, file: HdfFile, origin = 0, pos = 0) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.file = file;
    this.origin = origin;
    this.pos = pos;
  }

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  #need(n: number): void {
    if (n < 0 || this.pos + n > this.bytes.length) {
      throw formatError(this.file, `structure at file offset ${this.origin + this.pos} needs ${n} bytes, only ${this.bytes.length - this.pos} available; truncated or corrupt`);
    }
  }

  u8(): number {
    this.#need(1);
    return this.view.getUint8(this.pos++);
  }
  u16(): number {
    this.#need(2);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.#need(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  /** 64-bit unsigned as a number; throws when it is not a safe integer. */
  u64(): number {
    return this.uint(8);
  }
  /** Unsigned little-endian integer of `size` bytes (1..8) as a safe number. */
  uint(size: number): number {
    this.#need(size);
    let value = 0;
    let scale = 1;
    for (let i = 0; i < size; i++) {
      value += this.bytes[this.pos + i]! * scale;
      scale *= 256;
    }
    this.pos += size;
    if (!Number.isSafeInteger(value)) {
      throw formatError(this.file, `value at file offset ${this.origin + this.pos - size} is too large (${value}); corrupt file`);
    }
    return value;
  }
  /** An address of `sizeOfOffsets` bytes; all bits set → UNDEFINED_ADDRESS. */
  offset(): number {
    const size = this.file.sizeOfOffsets;
    this.#need(size);
    let allOnes = true;
    for (let i = 0; i < size; i++) if (this.bytes[this.pos + i] !== 0xff) allOnes = false;
    if (allOnes) {
      this.pos += size;
      return UNDEFINED_ADDRESS;
    }
    return this.uint(size);
  }
  /** A length of `sizeOfLengths` bytes; all bits set → UNDEFINED_ADDRESS. */
  length(): number {
    const size = this.file.sizeOfLengths;
    this.#need(size);
    let allOnes = true;
    for (let i = 0; i < size; i++) if (this.bytes[this.pos + i] !== 0xff) allOnes = false;
    if (allOnes) {
      this.pos += size;
      return UNDEFINED_ADDRESS;
    }
    return this.uint(size);
  }
  take(n: number): Uint8Array {
    this.#need(n);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  skip(n: number): void {
    this.#need(n);
    this.pos += n;
  }
  /** Expects an ASCII signature ("OHDR", "TREE", ...). */
  signature(expected: string, what: string): void {
    this.#need(expected.length);
    for (let i = 0; i < expected.length; i++) {
      if (this.bytes[this.pos + i] !== expected.charCodeAt(i)) {
        throw formatError(this.file, `${what} at file offset ${this.origin + this.pos}: bad signature (expected "${expected}"); corrupt file or wrong address`);
      }
    }
    this.pos += expected.length;
  }
  /** Null-terminated ASCII/UTF-8 string (consumes the terminator). */
  cstring(): string {
    const end = this.bytes.indexOf(0, this.pos);
    if (end < 0) throw formatError(this.file, `unterminated string at file offset ${this.origin + this.pos}`);
    const s = new TextDecoder().decode(this.bytes.subarray(this.pos, end));
    this.pos = end + 1;
    return s;
  }
  align(n: number): void {
    const rem = this.pos % n;
    if (rem) this.pos += n - rem;
  }
}

/** Jenkins lookup3 hash as HDF5 uses it for metadata checksums. */
export function lookup3(bytes: Uint8Array, initval = 0): number {
  let length = bytes.length;
  let a = (0xdeadbeef + length + initval) >>> 0;
  let b = a;
  let c = a;
  let k = 0;
  const rot = (x: number, s: number) => ((x << s) | (x >>> (32 - s))) >>> 0;
  while (length > 12) {
    a = (a + (bytes[k]! | (bytes[k + 1]! << 8) | (bytes[k + 2]! << 16) | (bytes[k + 3]! << 24))) >>> 0;
    b = (b + (bytes[k + 4]! | (bytes[k + 5]! << 8) | (bytes[k + 6]! << 16) | (bytes[k + 7]! << 24))) >>> 0;
    c = (c + (bytes[k + 8]! | (bytes[k + 9]! << 8) | (bytes[k + 10]! << 16) | (bytes[k + 11]! << 24))) >>> 0;
    a = (a - c) >>> 0; a = (a ^ rot(c, 4)) >>> 0; c = (c + b) >>> 0;
    b = (b - a) >>> 0; b = (b ^ rot(a, 6)) >>> 0; a = (a + c) >>> 0;
    c = (c - b) >>> 0; c = (c ^ rot(b, 8)) >>> 0; b = (b + a) >>> 0;
    a = (a - c) >>> 0; a = (a ^ rot(c, 16)) >>> 0; c = (c + b) >>> 0;
    b = (b - a) >>> 0; b = (b ^ rot(a, 19)) >>> 0; a = (a + c) >>> 0;
    c = (c - b) >>> 0; c = (c ^ rot(b, 4)) >>> 0; b = (b + a) >>> 0;
    length -= 12;
    k += 12;
  }
  if (length === 0) return c;
  const tail = (i: number) => (i < length ? bytes[k + i]! : 0);
  c = (c + ((tail(8) | (tail(9) << 8) | (tail(10) << 16) | (tail(11) << 24)) >>> 0)) >>> 0;
  b = (b + ((tail(4) | (tail(5) << 8) | (tail(6) << 16) | (tail(7) << 24)) >>> 0)) >>> 0;
  a = (a + ((tail(0) | (tail(1) << 8) | (tail(2) << 16) | (tail(3) << 24)) >>> 0)) >>> 0;
  c = (c ^ b) >>> 0; c = (c - rot(b, 14)) >>> 0;
  a = (a ^ c) >>> 0; a = (a - rot(c, 11)) >>> 0;
  b = (b ^ a) >>> 0; b = (b - rot(a, 25)) >>> 0;
  c = (c ^ b) >>> 0; c = (c - rot(b, 16)) >>> 0;
  a = (a ^ c) >>> 0; a = (a - rot(c, 4)) >>> 0;
  b = (b ^ a) >>> 0; b = (b - rot(a, 14)) >>> 0;
  c = (c ^ b) >>> 0; c = (c - rot(b, 24)) >>> 0;
  return c >>> 0;
}
