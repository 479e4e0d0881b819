/**
 * What the TIFF codecs share: the chunk metadata zarrita hands to `fromConfig`, item sizes and
 * byte-order helpers.
 * @module
 */
import { elementByteSize } from "@vz/core/codecs";

/** The part of zarrita's chunk metadata these codecs use. */
export interface ChunkMeta {
  dataType: string;
  shape: number[];
}

/** Bytes per element of a zarrita data type name (the table of @vz/core). */
export function itemSizeOf(dataType: string): number {
  const size = elementByteSize(dataType);
  if (size === undefined) throw new Error(`TIFF codecs: unsupported data type ${dataType}`);
  return size;
}

/** Decoded byte size of one chunk. */
export function chunkByteSize(meta: ChunkMeta): number {
  return meta.shape.reduce((a, b) => a * b, 1) * itemSizeOf(meta.dataType);
}

/** True on little-endian hosts (every platform Node and browsers run on today). */
export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reverses the byte order of every `size`-byte item in place. */
export function swapBytes(bytes: Uint8Array, size: number): void {
  if (size === 1) return;
  for (let i = 0; i + size <= bytes.length; i += size) {
    for (let a = i, b = i + size - 1; a < b; a++, b--) {
      const t = bytes[a]!;
      bytes[a] = bytes[b]!;
      bytes[b] = t;
    }
  }
}

/** Parses a numpy dtype string such as "<u2", ">f4", "|u1" into size, kind and byte order. */
export function parseNumpyDtype(dtype: string): { size: number; kind: "u" | "i" | "f"; little: boolean } {
  const match = /^([<>|=]?)([uif])(\d)$/.exec(dtype);
  if (!match) throw new Error(`TIFF codecs: unsupported dtype "${dtype}"`);
  return { size: Number(match[3]), kind: match[2] as "u" | "i" | "f", little: match[1] !== ">" };
}
