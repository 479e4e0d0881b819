/**
 * Value helpers of the DMR++ parser: DAP4 types, fill values, attribute values, base64, zlib,
 * and undoing a filter pipeline for the (string) chunks the parser reads itself.
 * @module
 */
import type { DataType } from "@vz/core";

/** DAP4 atomic numeric types → Zarr v3 data type and item size. */
export const DAP_NUMERIC: Readonly<Record<string, { dataType: DataType; size: number }>> = {
  Byte: { dataType: "uint8", size: 1 },
  Char: { dataType: "uint8", size: 1 },
  Int8: { dataType: "int8", size: 1 },
  UInt8: { dataType: "uint8", size: 1 },
  Int16: { dataType: "int16", size: 2 },
  UInt16: { dataType: "uint16", size: 2 },
  Int32: { dataType: "int32", size: 4 },
  UInt32: { dataType: "uint32", size: 4 },
  Int64: { dataType: "int64", size: 8 },
  UInt64: { dataType: "uint64", size: 8 },
  Float32: { dataType: "float32", size: 4 },
  Float64: { dataType: "float64", size: 8 },
};

/** DAP4 string types (values read at parse time); `Url` is how some writers spell `URL`. */
export const DAP_STRING = new Set(["String", "URL", "Url"]);

/** DAP4 constructs vz cannot express as one Zarr array. */
export const DAP_UNSUPPORTED: Readonly<Record<string, string>> = {
  Structure: "dap:structure",
  Sequence: "dap:sequence",
  Opaque: "dap:opaque",
};

const INTEGER_RANGES: Partial<Record<DataType, [bigint, bigint]>> = {
  int8: [-128n, 127n],
  uint8: [0n, 255n],
  int16: [-32768n, 32767n],
  uint16: [0n, 65535n],
  int32: [-2147483648n, 2147483647n],
  uint32: [0n, 4294967295n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
};

/** Thrown by the value parsers; the caller adds file and variable. */
export class ValueError extends Error {}

/**
 * A number written in a DMR++ (fill value or attribute) as a value of `dataType`: integers as
 * numbers (bigint beyond 2^53), floats as numbers with NaN/±Infinity (`nan`, `inf`, `*` = NaN as
 * VirtualiZarr reads it), float32 rounded to single precision.
 */
export function parseNumber(text: string, dataType: DataType): number | bigint {
  const t = text.trim();
  if (dataType === "float32" || dataType === "float64") {
    let value: number;
    const lower = t.toLowerCase();
    if (lower === "nan" || lower === "-nan" || lower === "+nan" || t === "*" || lower === "nanf") value = Number.NaN;
    else if (lower === "inf" || lower === "+inf" || lower === "infinity" || lower === "+infinity") value = Number.POSITIVE_INFINITY;
    else if (lower === "-inf" || lower === "-infinity") value = Number.NEGATIVE_INFINITY;
    else {
      if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) throw new ValueError(`${JSON.stringify(text)} is not a number`);
      value = Number(t);
    }
    return dataType === "float32" ? Math.fround(value) : value;
  }
  const range = INTEGER_RANGES[dataType];
  if (!range) throw new ValueError(`${dataType} is not a numeric type`);
  let integer: bigint;
  if (/^[+-]?\d+$/.test(t)) integer = BigInt(t);
  else if (/^0[xX][0-9a-fA-F]+$/.test(t)) integer = BigInt(t);
  else if (/^[+-]?\d+\.0*$/.test(t)) integer = BigInt(t.slice(0, t.indexOf(".")));
  else throw new ValueError(`${JSON.stringify(text)} is not an integer`);
  if (integer < range[0] || integer > range[1]) throw new ValueError(`${text} is outside the range of ${dataType}`);
  return integer >= BigInt(Number.MIN_SAFE_INTEGER) && integer <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(integer) : integer;
}

/** A Zarr v3 JSON fill value for a parsed number (NaN and infinities as strings). */
export function jsonFill(value: number | bigint): number | bigint | string {
  if (typeof value === "number" && !Number.isFinite(value)) return Number.isNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity";
  return value;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Decodes base64 text (whitespace ignored); malformed input is a ValueError. */
export function decodeBase64(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, "");
  if (clean.length % 4 === 1 || !BASE64.test(clean)) throw new ValueError("malformed base64 text");
  const binary = atob(clean);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** Inflates zlib-wrapped (RFC 1950) bytes; corrupt input is a ValueError. */
export async function inflateZlib(bytes: Uint8Array, limit: number): Promise<Uint8Array> {
  try {
    const stream = new Blob([new Uint8Array(bytes)]).stream().pipeThrough(new DecompressionStream("deflate"));
    const reader = stream.getReader();
    const parts: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > limit) {
        await reader.cancel();
        throw new ValueError(`inflates to more than ${limit} bytes`);
      }
      parts.push(value);
    }
    const out = new Uint8Array(total);
    let at = 0;
    for (const part of parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  } catch (error) {
    if (error instanceof ValueError) throw error;
    throw new ValueError(`zlib data does not inflate (${(error as Error).message})`);
  }
}

/** Undoes HDF5 byte shuffle for elements of `elementSize` bytes. */
export function unshuffle(bytes: Uint8Array, elementSize: number): Uint8Array {
  if (elementSize <= 1) return bytes;
  const count = Math.floor(bytes.length / elementSize);
  const out = new Uint8Array(bytes.length);
  for (let b = 0; b < elementSize; b++) {
    for (let i = 0; i < count; i++) out[i * elementSize + b] = bytes[b * count + i]!;
  }
  out.set(bytes.subarray(count * elementSize), count * elementSize);
  return out;
}

/** A compression step as listed in `compressionType`. */
export type FilterName = "deflate" | "shuffle" | "fletcher32";

/** Undoes a pipeline (listed in encode order) for a chunk the parser reads itself. */
export async function decodePipeline(bytes: Uint8Array, filters: readonly FilterName[], elementSize: number, limit: number): Promise<Uint8Array> {
  let data = bytes;
  for (let i = filters.length - 1; i >= 0; i--) {
    const filter = filters[i]!;
    if (filter === "deflate") data = await inflateZlib(data, limit);
    else if (filter === "shuffle") data = unshuffle(data, elementSize);
    else data = data.subarray(0, Math.max(0, data.length - 4));
  }
  return data;
}

const utf8 = new TextDecoder("utf-8");

/** A fixed-length string element by its DMR++ `pad` (`null_term`, `null_pad`, `space_pad`). */
export function decodeFixedString(bytes: Uint8Array, pad: string): string {
  let end = bytes.length;
  if (pad === "null_term") {
    const nul = bytes.indexOf(0);
    if (nul >= 0) end = nul;
  } else {
    const padByte = pad === "space_pad" ? 0x20 : 0;
    while (end > 0 && (bytes[end - 1] === padByte || bytes[end - 1] === 0)) end--;
  }
  return utf8.decode(bytes.subarray(0, end));
}

/** Bytes of a string (for fill values of fixed-length string arrays). */
export function encodeText(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** Decodes bytes as UTF-8 with trailing NULs removed (scalar strings). */
export function decodeTrimmed(bytes: Uint8Array): string {
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  return utf8.decode(bytes.subarray(0, end));
}
