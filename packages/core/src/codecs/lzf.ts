/**
 * The LZF filter (HDF5 registered filter 32000, h5py's `compression="lzf"`, imagecodecs `lzf`):
 * a chunk is one raw liblzf stream with no header. The configuration follows imagecodecs' `Lzf`
 * codec: `{"header": false}` for HDF5's raw streams (what vz writes); `{"header": true}` (imagecodecs'
 * default) for streams that start with the decoded size as a 4-byte little-endian integer. A
 * configuration without `header` is read as raw streams, as vz wrote LZF references before.
 * @module
 */
import { assertDecodedLength, type CodecChunkMetadata, decodeError, refuseEncode } from "./chunk-size.js";
import { innermostExpectedSize } from "./lz4-h5.js";

const CODEC = "imagecodecs_lzf";

/**
 * Decodes a liblzf stream. With `expectedSize` the output is allocated once and the stream must
 * fill it exactly; without it the output grows as needed.
 */
export function decodeLzf(source: Uint8Array, expectedSize?: number): Uint8Array {
  let output = new Uint8Array(expectedSize ?? Math.max(64, source.length * 4));
  const fixed = expectedSize !== undefined;
  let input = 0;
  let position = 0;
  const ensure = (extra: number): void => {
    if (position + extra <= output.length) return;
    if (fixed) throw decodeError(CODEC, `stream decodes to more than the ${expectedSize} bytes of the chunk`);
    let size = output.length * 2;
    while (size < position + extra) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(output.subarray(0, position));
    output = grown;
  };
  while (input < source.length) {
    const control = source[input++]!;
    if (control < 32) {
      const length = control + 1;
      if (input + length > source.length) throw decodeError(CODEC, "literal run past the end of the stream");
      ensure(length);
      output.set(source.subarray(input, input + length), position);
      input += length;
      position += length;
    } else {
      let length = control >>> 5;
      if (input >= source.length) throw decodeError(CODEC, "back reference past the end of the stream");
      if (length === 7) {
        length += source[input++]!;
        if (input >= source.length) throw decodeError(CODEC, "back reference past the end of the stream");
      }
      const reference = position - ((control & 0x1f) << 8) - 1 - source[input++]!;
      length += 2;
      if (reference < 0) throw decodeError(CODEC, `back reference before the start of the output at byte ${position}`);
      ensure(length);
      for (let i = 0; i < length; i++) output[position + i] = output[reference + i]!;
      position += length;
    }
  }
  return fixed ? (position === output.length ? output : output.subarray(0, position)) : output.slice(0, position);
}

/** zarrita codec `imagecodecs_lzf` (bytes to bytes). */
export class LzfCodec {
  readonly kind = "bytes_to_bytes";
  readonly #expected: number | undefined;
  readonly #header: boolean;

  constructor(expected: number | undefined, header = false) {
    this.#expected = expected;
    this.#header = header;
  }

  static fromConfig(configuration: unknown, meta?: CodecChunkMetadata): LzfCodec {
    const header = (configuration as { header?: unknown } | undefined)?.header;
    if (header !== undefined && typeof header !== "boolean") {
      throw decodeError(CODEC, `configuration "header" must be true or false, got ${JSON.stringify(header)}`);
    }
    return new LzfCodec(innermostExpectedSize(CODEC, meta), header === true);
  }

  async encode(_bytes: Uint8Array): Promise<Uint8Array> {
    return refuseEncode(CODEC);
  }

  async decode(bytes: Uint8Array): Promise<Uint8Array> {
    if (this.#header) {
      if (bytes.length < 4) throw decodeError(CODEC, `chunk of ${bytes.length} bytes is too short for the 4-byte size header`);
      const declared = (bytes[0]! | (bytes[1]! << 8) | (bytes[2]! << 16) | (bytes[3]! << 24)) >>> 0;
      if (this.#expected !== undefined && declared !== this.#expected) {
        throw decodeError(CODEC, `size header says ${declared} bytes, the chunk decodes to ${this.#expected} bytes`);
      }
      const output = decodeLzf(bytes.subarray(4), declared);
      assertDecodedLength(CODEC, output.length, declared);
      return output;
    }
    const output = decodeLzf(bytes, this.#expected);
    assertDecodedLength(CODEC, output.length, this.#expected);
    return output;
  }
}
