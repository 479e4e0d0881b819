/**
 * Byte shuffle (HDF5 H5Z_FILTER_SHUFFLE, numcodecs `shuffle`). Unlike zarrita 0.7.5's built-in,
 * this one honours the configured `elementsize` (the HDF5 filter's element size, which can differ
 * from the array's item size, e.g. for fixed-length strings) and keeps trailing bytes that do not
 * fill a whole element as they are, as HDF5 does.
 * @module
 */
import { decodeError, elementByteSize, type CodecChunkMetadata } from "./chunk-size.js";

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Unshuffles 2-, 4- and 8-byte elements into whole words (one sequential write per word instead
 * of one strided byte write per byte): the common cases, several times faster than the byte loop.
 */
function unshuffleWords(data: Uint8Array, result: Uint8Array, elementSize: number, count: number): boolean {
  if (!LITTLE_ENDIAN) return false;
  if (elementSize === 4) {
    const out = new Uint32Array(result.buffer, result.byteOffset, count);
    if (count % 4 === 0 && data.byteOffset % 4 === 0 && result.byteOffset % 4 === 0) {
      // four elements at a time: one 32-bit load per byte plane, a 4×4 byte transpose in registers
      const words = new Uint32Array(data.buffer, data.byteOffset, count);
      const q = count >>> 2;
      for (let j = 0, o = 0; j < q; j++, o += 4) {
        const a = words[j]!;
        const b = words[q + j]!;
        const c = words[2 * q + j]!;
        const d = words[3 * q + j]!;
        out[o] = (a & 0xff) | ((b & 0xff) << 8) | ((c & 0xff) << 16) | (d << 24);
        out[o + 1] = ((a >>> 8) & 0xff) | (b & 0xff00) | ((c << 8) & 0xff0000) | ((d << 16) & 0xff000000);
        out[o + 2] = ((a >>> 16) & 0xff) | ((b >>> 8) & 0xff00) | (c & 0xff0000) | ((d << 8) & 0xff000000);
        out[o + 3] = (a >>> 24) | ((b >>> 16) & 0xff00) | ((c >>> 8) & 0xff0000) | (d & 0xff000000);
      }
      return true;
    }
    const b1 = count;
    const b2 = 2 * count;
    const b3 = 3 * count;
    for (let i = 0; i < count; i++) out[i] = data[i]! | (data[b1 + i]! << 8) | (data[b2 + i]! << 16) | (data[b3 + i]! << 24);
    return true;
  }
  if (elementSize === 2) {
    const out = new Uint16Array(result.buffer, result.byteOffset, count);
    for (let i = 0; i < count; i++) out[i] = data[i]! | (data[count + i]! << 8);
    return true;
  }
  if (elementSize === 8) {
    const out = new Uint32Array(result.buffer, result.byteOffset, 2 * count);
    const b = [0, 1, 2, 3, 4, 5, 6, 7].map((k) => k * count);
    const [b0, b1, b2, b3, b4, b5, b6, b7] = b as [number, number, number, number, number, number, number, number];
    for (let i = 0; i < count; i++) {
      out[2 * i] = data[b0 + i]! | (data[b1 + i]! << 8) | (data[b2 + i]! << 16) | (data[b3 + i]! << 24);
      out[2 * i + 1] = data[b4 + i]! | (data[b5 + i]! << 8) | (data[b6 + i]! << 16) | (data[b7 + i]! << 24);
    }
    return true;
  }
  return false;
}

type BufferLike = { allocUnsafe(size: number): Uint8Array };
const NodeBuffer = (globalThis as { Buffer?: BufferLike }).Buffer;

/**
 * A Uint8Array of `size` bytes for a result that is written whole: in Node, memory that is not
 * zeroed first (a plain Uint8Array over a Buffer's own ArrayBuffer, never a pooled one).
 */
function uninitialized(size: number): Uint8Array {
  if (NodeBuffer && size >= 4096) {
    const buffer = NodeBuffer.allocUnsafe(size);
    if (buffer.byteOffset === 0 && buffer.buffer.byteLength === size) return new Uint8Array(buffer.buffer, 0, size);
  }
  return new Uint8Array(size);
}

/** Reverses the byte shuffle with `elementSize`-byte elements. */
export function unshuffleBytes(data: Uint8Array, elementSize: number): Uint8Array {
  if (elementSize <= 1) return data;
  const count = Math.floor(data.length / elementSize);
  // every byte is written below: elements by the loops, trailing bytes by the tail copy
  const result = uninitialized(data.length);
  if (unshuffleWords(data, result, elementSize, count)) {
    const tail = count * elementSize;
    if (tail < data.length) result.set(data.subarray(tail), tail);
    return result;
  }
  for (let byte = 0; byte < elementSize; byte++) {
    const base = byte * count;
    for (let i = 0; i < count; i++) result[i * elementSize + byte] = data[base + i]!;
  }
  const tail = count * elementSize;
  if (tail < data.length) result.set(data.subarray(tail), tail);
  return result;
}

/** Applies the byte shuffle with `elementSize`-byte elements. */
export function shuffleBytes(data: Uint8Array, elementSize: number): Uint8Array {
  if (elementSize <= 1) return data;
  const count = Math.floor(data.length / elementSize);
  const result = new Uint8Array(data.length);
  for (let byte = 0; byte < elementSize; byte++) {
    const base = byte * count;
    for (let i = 0; i < count; i++) result[base + i] = data[i * elementSize + byte]!;
  }
  const tail = count * elementSize;
  if (tail < data.length) result.set(data.subarray(tail), tail);
  return result;
}

/** zarrita codec `numcodecs.shuffle` (bytes to bytes). */
export class ShuffleCodec {
  readonly kind = "bytes_to_bytes";
  readonly elementSize: number;

  constructor(elementSize: number) {
    this.elementSize = elementSize;
  }

  static fromConfig(configuration: { elementsize?: unknown } | undefined, meta?: CodecChunkMetadata): ShuffleCodec {
    const configured = configuration?.elementsize;
    if (configured !== undefined) {
      if (typeof configured !== "number" || !Number.isInteger(configured) || configured < 1) {
        throw decodeError("numcodecs.shuffle", `invalid elementsize ${JSON.stringify(configured)}`);
      }
      return new ShuffleCodec(configured);
    }
    const fromType = meta ? elementByteSize(meta.dataType) : undefined;
    if (fromType === undefined) {
      throw decodeError("numcodecs.shuffle", `no elementsize configured and data type ${meta?.dataType ?? "(unknown)"} has no fixed size`);
    }
    return new ShuffleCodec(fromType);
  }

  async encode(bytes: Uint8Array): Promise<Uint8Array> {
    return shuffleBytes(bytes, this.elementSize);
  }

  async decode(bytes: Uint8Array): Promise<Uint8Array> {
    return unshuffleBytes(bytes, this.elementSize);
  }

  computeEncodedSize(decodedSize: number): number {
    return decodedSize;
  }
}
