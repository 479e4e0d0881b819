/**
 * `imagecodecs_packbits` — TIFF PackBits (compression 32773) decoder, as a bytes-to-bytes codec.
 * Configuration: none (imagecodecs' numcodecs codec of the same id).
 * @module
 */
import { chunkByteSize, type ChunkMeta } from "./shared.js";

/** Decodes PackBits run-length data, stopping after `maxSize` bytes (a chunk never holds more). */
export function decodePackBits(input: Uint8Array, maxSize = Number.POSITIVE_INFINITY): Uint8Array {
  const out = new Uint8Array(Math.min(maxSize, input.length * 2 + 128));
  let size = out.length;
  let buffer = out;
  let o = 0;
  const ensure = (extra: number): void => {
    if (o + extra <= size) return;
    size = Math.max(size * 2, o + extra);
    const grown = new Uint8Array(size);
    grown.set(buffer.subarray(0, o));
    buffer = grown;
  };
  let i = 0;
  while (i < input.length && o < maxSize) {
    const header = (input[i++]! << 24) >> 24;
    if (header >= 0) {
      const n = header + 1;
      if (i + n > input.length) throw new Error("PackBits: literal run passes the end of the data");
      ensure(n);
      buffer.set(input.subarray(i, i + n), o);
      o += n;
      i += n;
    } else if (header !== -128) {
      const n = 1 - header;
      if (i >= input.length) throw new Error("PackBits: repeat run passes the end of the data");
      ensure(n);
      buffer.fill(input[i++]!, o, o + n);
      o += n;
    }
  }
  return buffer.subarray(0, Math.min(o, maxSize));
}

/** zarrita codec for PackBits. */
export class PackBitsCodec {
  readonly kind = "bytes_to_bytes";
  readonly #maxSize: number;

  constructor(maxSize = Number.POSITIVE_INFINITY) {
    this.#maxSize = maxSize;
  }

  static fromConfig(_config: unknown, meta?: ChunkMeta): PackBitsCodec {
    return new PackBitsCodec(meta ? chunkByteSize(meta) : undefined);
  }

  async encode(): Promise<Uint8Array> {
    throw new Error("imagecodecs_packbits: encoding is not supported (vz only reads TIFF)");
  }

  async decode(bytes: Uint8Array): Promise<Uint8Array> {
    return decodePackBits(bytes, this.#maxSize);
  }
}
