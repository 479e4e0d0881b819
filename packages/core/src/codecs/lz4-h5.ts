/**
 * The HDF5 LZ4 filter (registered filter 32004, imagecodecs `lz4h5`): an 8-byte big-endian total
 * decoded size, a 4-byte big-endian block size, then per block a 4-byte big-endian compressed size
 * and an LZ4 block (stored raw when its compressed size equals its decoded size).
 * @module
 */
import { assertDecodedLength, type CodecChunkMetadata, chunkByteSize, decodeError, refuseEncode } from "./chunk-size.js";

const CODEC = "imagecodecs_lz4h5";

/**
 * Decodes one raw LZ4 block (no frame) from `source` into `target[start, end)`; returns the number
 * of bytes written. Throws on malformed input instead of reading or writing out of bounds.
 */
export function decodeLz4Block(source: Uint8Array, target: Uint8Array, start = 0, end = target.length): number {
  let input = 0;
  let output = start;
  const inputEnd = source.length;
  while (input < inputEnd) {
    const token = source[input++]!;
    let literalLength = token >>> 4;
    if (literalLength === 15) {
      let extra: number;
      do {
        if (input >= inputEnd) throw decodeError("lz4", "literal length runs past the end of the block");
        extra = source[input++]!;
        literalLength += extra;
      } while (extra === 255);
    }
    if (input + literalLength > inputEnd) throw decodeError("lz4", "literals run past the end of the block");
    if (output + literalLength > end) throw decodeError("lz4", "literals overflow the decoded block size");
    target.set(source.subarray(input, input + literalLength), output);
    input += literalLength;
    output += literalLength;
    if (input >= inputEnd) break; // the last sequence holds literals only
    if (input + 2 > inputEnd) throw decodeError("lz4", "match offset runs past the end of the block");
    const offset = source[input]! | (source[input + 1]! << 8);
    input += 2;
    if (offset === 0 || offset > output - start) throw decodeError("lz4", `invalid match offset ${offset}`);
    let matchLength = token & 15;
    if (matchLength === 15) {
      let extra: number;
      do {
        if (input >= inputEnd) throw decodeError("lz4", "match length runs past the end of the block");
        extra = source[input++]!;
        matchLength += extra;
      } while (extra === 255);
    }
    matchLength += 4;
    if (output + matchLength > end) throw decodeError("lz4", "match overflows the decoded block size");
    let from = output - offset;
    if (offset >= matchLength) {
      target.copyWithin(output, from, from + matchLength);
      output += matchLength;
    } else {
      for (let i = 0; i < matchLength; i++) target[output++] = target[from++]!;
    }
  }
  return output - start;
}

/** Decodes a chunk written by the HDF5 LZ4 filter. */
export function decodeLz4H5(bytes: Uint8Array): Uint8Array {
  if (bytes.length < 12) throw decodeError(CODEC, `chunk of ${bytes.length} bytes is shorter than the 12-byte header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const total = view.getUint32(0) * 2 ** 32 + view.getUint32(4);
  const blockSize = view.getUint32(8);
  if (!Number.isSafeInteger(total) || total > 2 ** 31) throw decodeError(CODEC, `implausible decoded size ${total}`);
  if (blockSize === 0 && total > 0) throw decodeError(CODEC, "block size 0");
  const output = new Uint8Array(total);
  let input = 12;
  let written = 0;
  while (written < total) {
    if (input + 4 > bytes.length) {
      throw decodeError(CODEC, `chunk ends after ${written} of ${total} decoded bytes`);
    }
    const compressedSize = view.getUint32(input);
    input += 4;
    if (input + compressedSize > bytes.length) {
      throw decodeError(CODEC, `block of ${compressedSize} bytes runs past the end of the chunk`);
    }
    const rawSize = Math.min(blockSize, total - written);
    const block = bytes.subarray(input, input + compressedSize);
    if (compressedSize === rawSize) {
      output.set(block, written);
    } else {
      const produced = decodeLz4Block(block, output, written, written + rawSize);
      if (produced !== rawSize) throw decodeError(CODEC, `block decoded to ${produced} bytes, expected ${rawSize}`);
    }
    input += compressedSize;
    written += rawSize;
  }
  return output;
}

/** zarrita codec `imagecodecs_lz4h5` (bytes to bytes). */
export class Lz4H5Codec {
  readonly kind = "bytes_to_bytes";
  readonly #expected: number | undefined;

  constructor(expected: number | undefined) {
    this.#expected = expected;
  }

  static fromConfig(_configuration: unknown, meta?: CodecChunkMetadata): Lz4H5Codec {
    return new Lz4H5Codec(innermostExpectedSize(CODEC, meta));
  }

  async encode(_bytes: Uint8Array): Promise<Uint8Array> {
    return refuseEncode(CODEC);
  }

  async decode(bytes: Uint8Array): Promise<Uint8Array> {
    const output = decodeLz4H5(bytes);
    assertDecodedLength(CODEC, output.length, this.#expected);
    return output;
  }
}

const SIZE_PRESERVING = new Set(["numcodecs.shuffle", "shuffle"]);

/**
 * The decoded chunk size a bytes-to-bytes codec must produce, when it is known: the codec is the
 * first bytes-to-bytes codec in the list, or is preceded only by size-preserving ones (shuffle).
 */
export function innermostExpectedSize(codec: string, meta: CodecChunkMetadata | undefined): number | undefined {
  if (!meta?.codecs) return undefined;
  const names = meta.codecs.map((c) => c.name);
  const position = names.indexOf(codec);
  if (position < 0 || names.indexOf(codec, position + 1) >= 0) return undefined;
  const bytesPosition = names.findIndex((name) => name === "bytes" || name === "vlen-utf8" || name === "numcodecs.vlen-utf8");
  if (bytesPosition < 0 || bytesPosition > position) return undefined;
  for (let i = bytesPosition + 1; i < position; i++) if (!SIZE_PRESERVING.has(names[i]!)) return undefined;
  return chunkByteSize(meta);
}
