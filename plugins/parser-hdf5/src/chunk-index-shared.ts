/**
 * Helpers shared by the chunk-index readers, the v2 B-tree and the fractal heap: fast
 * little-endian field decoding from a DataView, checksum verification, coalesced prefetching of
 * one tree level, and the mapping of chunk coordinates to a flat index in the chunk grid.
 * @module
 */
import { AbortedError } from "@vz/core";
import { formatError, type HdfFile, lookup3 } from "./io.js";

/** Reported as the filter mask of a chunk whose filters were not applied (partial edge chunk with layout flag bit 0). */
export const ALL_FILTERS_SKIPPED = 0xffffffff;

/**
 * Unsigned little-endian integer of `size` bytes (1..8) at `pos`: -1 when every bit is set (the
 * undefined address), NaN when the value is not a safe integer.
 */
export function decodeAddress(view: DataView, pos: number, size: number): number {
  if (size === 8) {
    const low = view.getUint32(pos, true);
    const high = view.getUint32(pos + 4, true);
    if (high === 0xffffffff && low === 0xffffffff) return -1;
    if (high > 0x1fffff) return Number.NaN;
    return high * 4294967296 + low;
  }
  if (size === 4) {
    const value = view.getUint32(pos, true);
    return value === 0xffffffff ? -1 : value;
  }
  let value = 0;
  let scale = 1;
  let allOnes = true;
  for (let i = 0; i < size; i++) {
    const byte = view.getUint8(pos + i);
    if (byte !== 0xff) allOnes = false;
    value += byte * scale;
    scale *= 256;
  }
  if (allOnes) return -1;
  return Number.isSafeInteger(value) ? value : Number.NaN;
}

/** Unsigned little-endian integer of `size` bytes (0..8) at `pos`; NaN when not a safe integer. */
export function decodeUnsigned(view: DataView, pos: number, size: number): number {
  if (size === 8) {
    const low = view.getUint32(pos, true);
    const high = view.getUint32(pos + 4, true);
    if (high > 0x1fffff) return Number.NaN;
    return high * 4294967296 + low;
  }
  if (size === 4) return view.getUint32(pos, true);
  let value = 0;
  let scale = 1;
  for (let i = 0; i < size; i++) {
    value += view.getUint8(pos + i) * scale;
    scale *= 256;
  }
  return Number.isSafeInteger(value) ? value : Number.NaN;
}

/** A DataView over `bytes`. */
export function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** True when the 4 bytes at `pos` are the ASCII `signature`. */
export function hasSignature(bytes: Uint8Array, pos: number, signature: string): boolean {
  for (let i = 0; i < 4; i++) if (bytes[pos + i] !== signature.charCodeAt(i)) return false;
  return true;
}

/** Throws ParseError unless `bytes` starts with `signature`. */
export function expectSignature(file: HdfFile, bytes: Uint8Array, signature: string, what: string, address: number): void {
  if (bytes.length < 4 || !hasSignature(bytes, 0, signature)) {
    throw formatError(file, `${what} at file offset ${address}: bad signature (expected "${signature}"); corrupt file or wrong address`);
  }
}

/**
 * Verifies the lookup3 checksum stored (little-endian) at `checksumPos` over `bytes[0..checksumPos)`;
 * throws ParseError naming the structure and its file offset on mismatch.
 */
export function verifyChecksum(file: HdfFile, bytes: Uint8Array, checksumPos: number, what: string, address: number): void {
  if (checksumPos + 4 > bytes.length) {
    throw formatError(file, `${what} at file offset ${address}: truncated before its checksum`);
  }
  const stored =
    (bytes[checksumPos]! | (bytes[checksumPos + 1]! << 8) | (bytes[checksumPos + 2]! << 16) | (bytes[checksumPos + 3]! << 24)) >>> 0;
  const computed = lookup3(bytes.subarray(0, checksumPos));
  if (stored !== computed) {
    throw formatError(
      file,
      `${what} at file offset ${address}: checksum mismatch (stored 0x${stored.toString(16)}, computed 0x${computed.toString(16)}); corrupt file`,
    );
  }
}

/** Throws AbortedError when the file's signal is aborted. */
export function checkAborted(file: HdfFile, what: string): void {
  if (file.signal?.aborted) throw new AbortedError(`HDF5 ${file.url}: ${what}: aborted`, { cause: file.signal.reason, url: file.url });
}

/**
 * Loads many byte ranges of known size (the nodes of one tree level, index blocks) concurrently,
 * at their exact sizes ({@link HdfFile.prefetchExact}: merged when a few KiB apart), so that a tree
 * level costs one round trip and the bytes read stay close to the index's own size.
 */
export async function prefetchRanges(file: HdfFile, ranges: readonly { offset: number; length: number }[]): Promise<void> {
  if (ranges.length === 0) return;
  await file.prefetchExact(ranges);
}

/**
 * Reads every range of one tree level concurrently: one prefetch of the merged ranges (as in
 * {@link prefetchRanges}), then each range from what was loaded (a view). Ranges are clipped at the end of the file. Results are in input order.
 */
export async function readRanges(file: HdfFile, ranges: readonly { offset: number; length: number }[]): Promise<Uint8Array[]> {
  await prefetchRanges(file, ranges);
  return Promise.all(ranges.map((range) => file.readUpTo(range.offset, range.length)));
}

/** floor(log2(value)) for a positive integer (safe for values above 2^32). */
export function log2Floor(value: number): number {
  let result = 0;
  let v = value;
  while (v >= 4294967296) {
    v = Math.floor(v / 4294967296);
    result += 32;
  }
  return result + 31 - Math.clz32(v);
}

/** Bytes HDF5 uses to encode a filtered chunk's size: 1 + (floor(log2(chunkBytes)) + 8) / 8, at most 8. */
export function chunkSizeLength(chunkBytes: number): number {
  return Math.min(8, 1 + Math.floor((log2Floor(Math.max(1, chunkBytes)) + 8) / 8));
}

/** Chunks per dimension of the maximum dims (-1 for an unlimited dimension). */
export function maxGridShape(maxShape: readonly number[], chunkShape: readonly number[]): number[] {
  return maxShape.map((max, i) => (max === -1 ? -1 : Math.ceil(max / chunkShape[i]!)));
}

/** Describes a dataset's chunk grid: current grid, strides and partial-edge detection. */
export class ChunkGrid {
  readonly rank: number;
  readonly shape: readonly number[];
  readonly chunkShape: readonly number[];
  /** Chunks per dimension covering the current extent. */
  readonly gridShape: number[];
  /** C-order strides over gridShape. */
  readonly strides: number[];
  /** Number of chunks in the current grid. */
  readonly chunkCount: number;

  constructor(shape: readonly number[], chunkShape: readonly number[]) {
    this.rank = shape.length;
    this.shape = shape;
    this.chunkShape = chunkShape;
    this.gridShape = shape.map((size, i) => Math.ceil(size / chunkShape[i]!));
    this.strides = new Array<number>(this.rank).fill(1);
    for (let i = this.rank - 2; i >= 0; i--) this.strides[i] = this.strides[i + 1]! * this.gridShape[i + 1]!;
    this.chunkCount = this.gridShape.reduce((a, b) => a * b, 1);
  }

  /** True when the chunk at flat index `flat` extends past the dataset's current extent. */
  isPartialEdge(flat: number): boolean {
    let rest = flat;
    for (let i = 0; i < this.rank; i++) {
      const stride = this.strides[i]!;
      const coordinate = Math.floor(rest / stride);
      rest -= coordinate * stride;
      if ((coordinate + 1) * this.chunkShape[i]! > this.shape[i]!) return true;
    }
    return false;
  }
}

/**
 * Maps the linear index used by fixed arrays, extensible arrays and the implicit index (C order
 * over the chunk grid of the maximum dims, with the one unlimited dimension moved first for
 * extensible arrays) to the flat index in the current grid; -1 when the chunk lies outside it.
 */
export class LinearIndexMapper {
  readonly #order: number[];
  readonly #downs: number[];
  readonly #grid: ChunkGrid;

  /**
   * @param maxGridShape chunks per dimension of the maximum dims (the unlimited dimension's value is unused)
   * @param unlimitedDimension the dimension moved to the slowest position (extensible arrays), or -1
   */
  constructor(grid: ChunkGrid, maxGridShape: readonly number[], unlimitedDimension = -1) {
    this.#grid = grid;
    const order = [...Array(grid.rank).keys()];
    if (unlimitedDimension > 0) {
      order.splice(unlimitedDimension, 1);
      order.unshift(unlimitedDimension);
    }
    this.#order = order;
    const downs = new Array<number>(grid.rank).fill(1);
    for (let i = grid.rank - 2; i >= 0; i--) downs[i] = downs[i + 1]! * maxGridShape[order[i + 1]!]!;
    this.#downs = downs;
  }

  /** Flat index in the current grid of linear index `linear`, or -1 when outside the current grid. */
  flatIndex(linear: number): number {
    let rest = linear;
    let flat = 0;
    const grid = this.#grid;
    for (let i = 0; i < grid.rank; i++) {
      const down = this.#downs[i]!;
      const coordinate = Math.floor(rest / down);
      rest -= coordinate * down;
      const dimension = this.#order[i]!;
      if (coordinate >= grid.gridShape[dimension]!) return -1;
      flat += coordinate * grid.strides[dimension]!;
    }
    return flat;
  }
}
