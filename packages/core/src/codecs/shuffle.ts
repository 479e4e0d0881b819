/**
 * Byte shuffle (HDF5 H5Z_FILTER_SHUFFLE, numcodecs `shuffle`). Unlike zarrita 0.7.5's built-in,
 * this one honours the configured `elementsize` (the HDF5 filter's element size, which can differ
 * from the array's item size, e.g. for fixed-length strings) and keeps trailing bytes that do not
 * fill a whole element as they are, as HDF5 does.
 * @module
 */
import { decodeError, elementByteSize, type CodecChunkMetadata } from "./chunk-size.js";

/** Reverses the byte shuffle with `elementSize`-byte elements. */
export function unshuffleBytes(data: Uint8Array, elementSize: number): Uint8Array {
  if (elementSize <= 1) return data;
  const count = Math.floor(data.length / elementSize);
  const result = new Uint8Array(data.length);
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
