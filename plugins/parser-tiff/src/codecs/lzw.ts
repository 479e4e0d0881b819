/**
 * `imagecodecs_lzw` — TIFF LZW (compression 5) decoder, as a bytes-to-bytes codec: MSB-first
 * variable-width codes (9–12 bits) with "early change", ClearCode 256, EndOfInformation 257.
 * The old-style LSB-first variant written before TIFF 6.0 is refused with an error.
 * Configuration: none (imagecodecs' numcodecs codec of the same id).
 * @module
 */

import { chunkByteSize, type ChunkMeta } from "./shared.js";

const CLEAR = 256;
const END = 257;
const MAX_CODES = 4096;

/**
 * Decodes TIFF LZW data. Decoding stops once `maxSize` bytes are produced (a chunk never holds
 * more), which also bounds the memory a corrupt or hostile stream can claim.
 */
export function decodeLzw(input: Uint8Array, maxSize = Number.POSITIVE_INFINITY): Uint8Array {
  if (input.length >= 2 && input[0] === 0 && (input[1]! & 1) === 1) {
    throw new Error("LZW: old-style (pre TIFF 6.0, LSB-first) LZW data is not supported");
  }
  // string table as (prefix code, last byte, length) so nothing is copied per code
  const prefix = new Int32Array(MAX_CODES);
  const suffix = new Uint8Array(MAX_CODES);
  const lengths = new Int32Array(MAX_CODES);
  const first = new Uint8Array(MAX_CODES);
  for (let c = 0; c < 256; c++) {
    prefix[c] = -1;
    suffix[c] = c;
    lengths[c] = 1;
    first[c] = c;
  }
  let out = new Uint8Array(Math.max(1024, input.length * 4));
  let o = 0;
  const grow = (extra: number): void => {
    if (o + extra <= out.length) return;
    const bigger = new Uint8Array(Math.max(out.length * 2, o + extra));
    bigger.set(out.subarray(0, o));
    out = bigger;
  };
  const emit = (code: number): void => {
    const n = lengths[code]!;
    grow(n);
    let c = code;
    for (let k = o + n - 1; k >= o; k--) {
      out[k] = suffix[c]!;
      c = prefix[c]!;
    }
    o += n;
  };
  let bitBuffer = 0;
  let bitCount = 0;
  let i = 0;
  let width = 9;
  let next = 258;
  let previous = -1;
  for (;;) {
    // read `width` bits MSB-first
    while (bitCount < width && i < input.length) {
      bitBuffer = ((bitBuffer << 8) | input[i++]!) & 0xffffff;
      bitCount += 8;
    }
    if (bitCount < width) break;
    const code = (bitBuffer >>> (bitCount - width)) & ((1 << width) - 1);
    bitCount -= width;
    if (code === END || o >= maxSize) break;
    if (code === CLEAR) {
      width = 9;
      next = 258;
      previous = -1;
      continue;
    }
    if (previous === -1) {
      if (code > 255) throw new Error(`LZW: first code after a clear is ${code}, not a literal`);
      emit(code);
      previous = code;
      continue;
    }
    if (code < next) {
      emit(code);
      if (next < MAX_CODES) {
        prefix[next] = previous;
        suffix[next] = first[code]!;
        lengths[next] = lengths[previous]! + 1;
        first[next] = first[previous]!;
        next++;
      }
    } else if (code === next && next < MAX_CODES) {
      prefix[next] = previous;
      suffix[next] = first[previous]!;
      lengths[next] = lengths[previous]! + 1;
      first[next] = first[previous]!;
      next++;
      emit(code);
    } else {
      throw new Error(`LZW: code ${code} is beyond the table (${next} entries)`);
    }
    previous = code;
    // early change: widen one code before the table fills the current width
    if (next + 1 >= 1 << width && width < 12) width++;
  }
  return out.subarray(0, Math.min(o, maxSize));
}

/** zarrita codec for TIFF LZW. */
export class LzwCodec {
  readonly kind = "bytes_to_bytes";
  readonly #maxSize: number;

  constructor(maxSize = Number.POSITIVE_INFINITY) {
    this.#maxSize = maxSize;
  }

  static fromConfig(_config: unknown, meta?: ChunkMeta): LzwCodec {
    return new LzwCodec(meta ? chunkByteSize(meta) : undefined);
  }

  async encode(): Promise<Uint8Array> {
    throw new Error("imagecodecs_lzw: encoding is not supported (vz only reads TIFF)");
  }

  async decode(bytes: Uint8Array): Promise<Uint8Array> {
    return decodeLzw(bytes, this.#maxSize);
  }
}
