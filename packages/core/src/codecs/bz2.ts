/**
 * bzip2 (HDF5 filter 307, numcodecs `bz2`), decoded with the MIT-licensed pure-JS `seek-bzip`,
 * loaded on first use. seek-bzip allocates Node `Buffer`s internally, so this codec needs Node
 * (or a global `Buffer` polyfill in browsers).
 * @module
 */
import { isVzError } from "../errors.js";
import { assertDecodedLength, type CodecChunkMetadata, decodeError, refuseEncode } from "./chunk-size.js";
import { innermostExpectedSize } from "./lz4-h5.js";

const CODEC = "numcodecs.bz2";

interface SeekBzip {
  decode(input: Uint8Array, output: { writeByte(value: number): void }, multistream?: boolean): unknown;
}

let seekBzip: Promise<SeekBzip> | undefined;

async function loadSeekBzip(): Promise<SeekBzip> {
  if (typeof (globalThis as { Buffer?: unknown }).Buffer === "undefined") {
    throw decodeError(CODEC, "the bzip2 decoder (seek-bzip) needs Node's Buffer; it is not available in this runtime");
  }
  seekBzip ??= import("seek-bzip").then((module) => ((module as { default?: SeekBzip }).default ?? module) as SeekBzip);
  return seekBzip;
}

/** A growable byte sink in the shape seek-bzip writes to. */
class ByteSink {
  #buffer: Uint8Array;
  #length = 0;
  readonly #limit: number | undefined;

  constructor(initial: number, limit: number | undefined) {
    this.#buffer = new Uint8Array(Math.max(initial, 1024));
    this.#limit = limit;
  }

  writeByte(value: number): void {
    if (this.#length === this.#buffer.length) {
      if (this.#limit !== undefined && this.#length >= this.#limit) {
        throw decodeError(CODEC, `stream decodes to more than the ${this.#limit} bytes of the chunk`);
      }
      const grown = new Uint8Array(this.#buffer.length * 2);
      grown.set(this.#buffer);
      this.#buffer = grown;
    }
    this.#buffer[this.#length++] = value;
  }

  bytes(): Uint8Array {
    return this.#buffer.subarray(0, this.#length);
  }
}

/** Decodes a (multi-stream) bzip2 buffer. */
export async function decodeBzip2(bytes: Uint8Array, expectedSize?: number): Promise<Uint8Array> {
  const library = await loadSeekBzip();
  const sink = new ByteSink(expectedSize ?? bytes.length * 4, expectedSize);
  try {
    library.decode(bytes, sink, true);
  } catch (error) {
    if (isVzError(error)) throw error;
    throw decodeError(CODEC, `corrupt bzip2 stream: ${(error as { message?: string }).message ?? String(error)}`, error);
  }
  return sink.bytes();
}

/** zarrita codec `numcodecs.bz2` (bytes to bytes). */
export class Bz2Codec {
  readonly kind = "bytes_to_bytes";
  readonly #expected: number | undefined;

  constructor(expected: number | undefined) {
    this.#expected = expected;
  }

  static fromConfig(_configuration: unknown, meta?: CodecChunkMetadata): Bz2Codec {
    return new Bz2Codec(innermostExpectedSize(CODEC, meta));
  }

  async encode(_bytes: Uint8Array): Promise<Uint8Array> {
    return refuseEncode(CODEC);
  }

  async decode(bytes: Uint8Array): Promise<Uint8Array> {
    const output = await decodeBzip2(bytes, this.#expected);
    assertDecodedLength(CODEC, output.length, this.#expected);
    return output;
  }
}
