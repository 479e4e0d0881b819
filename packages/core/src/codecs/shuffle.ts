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

/** Reverses the byte shuffle with `elementSize`-byte elements. */
export function unshuffleBytes(data: Uint8Array, elementSize: number): Uint8Array {
  if (elementSize <= 1) return data;
  const count = Math.floor(data.length / elementSize);
  const result = new Uint8Array(data.length);
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
