/**
 * `vlen-utf8` (numcodecs VLenUTF8 layout: a uint32 LE item count, then per item a uint32 LE byte
 * length and the UTF-8 bytes). Replaces zarrita 0.7.5's decoder, which ignores the byte offset of
 * its input view and does not check the item count against the chunk shape.
 * @module
 */
import { type CodecChunkMetadata, decodeError } from "./chunk-size.js";

const CODEC = "vlen-utf8";

function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length).fill(1);
  for (let d = shape.length - 2; d >= 0; d--) strides[d] = strides[d + 1]! * shape[d + 1]!;
  return strides;
}

/** Decodes vlen-utf8 bytes into strings. */
export function decodeVlenUtf8(bytes: Uint8Array, expectedCount?: number): string[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 4) throw decodeError(CODEC, `chunk of ${bytes.length} bytes has no item count`);
  const count = view.getUint32(0, true);
  if (expectedCount !== undefined && count !== expectedCount) {
    throw decodeError(CODEC, `chunk holds ${count} strings but its shape needs ${expectedCount}`);
  }
  const decoder = new TextDecoder();
  const items = new Array<string>(count);
  let position = 4;
  for (let i = 0; i < count; i++) {
    if (position + 4 > bytes.length) throw decodeError(CODEC, `item ${i} of ${count} starts past the end of the chunk`);
    const length = view.getUint32(position, true);
    position += 4;
    if (position + length > bytes.length) throw decodeError(CODEC, `item ${i} of ${count} runs past the end of the chunk`);
    items[i] = decoder.decode(bytes.subarray(position, position + length));
    position += length;
  }
  return items;
}

/** Encodes strings in the vlen-utf8 layout (used to inline loaded string variables). */
export function encodeVlenUtf8(values: readonly string[]): Uint8Array {
  const encoder = new TextEncoder();
  const encoded = values.map((value) => encoder.encode(value));
  const total = 4 + encoded.reduce((sum, item) => sum + 4 + item.length, 0);
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, values.length, true);
  let position = 4;
  for (const item of encoded) {
    view.setUint32(position, item.length, true);
    bytes.set(item, position + 4);
    position += 4 + item.length;
  }
  return bytes;
}

/** zarrita codec `vlen-utf8` / `numcodecs.vlen-utf8` (array to bytes). */
export class VlenUtf8Codec {
  readonly kind = "array_to_bytes";
  readonly #shape: number[];
  readonly #strides: number[];

  constructor(shape: readonly number[]) {
    this.#shape = [...shape];
    this.#strides = stridesOf(shape);
  }

  static fromConfig(_configuration: unknown, meta: CodecChunkMetadata): VlenUtf8Codec {
    return new VlenUtf8Codec(meta.shape);
  }

  encode(chunk: { data: ArrayLike<string> }): Uint8Array {
    return encodeVlenUtf8(Array.from(chunk.data));
  }

  decode(bytes: Uint8Array): { data: string[]; shape: number[]; stride: number[] } {
    const count = this.#shape.reduce((a, b) => a * b, 1);
    return { data: decodeVlenUtf8(bytes, count), shape: this.#shape, stride: this.#strides };
  }
}
