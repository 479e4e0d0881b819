/**
 * Decoding of stored HDF5 values into JavaScript values: attribute values, fill values, and the
 * strings of string datasets (fixed-length and variable-length, via the global heap).
 * @module
 */
import { UnsupportedFeatureError } from "@vz/core";
import { GlobalHeap, decodeVlenDescriptor } from "./global-heap.js";
import { Cursor, type HdfFile, UNDEFINED_ADDRESS } from "./io.js";
import { type Datatype, describeDatatype } from "./messages.js";

/** A value as decoded from the file (numbers, bigints never: int64 become numbers). */
export type DecodedValue = number | boolean | string | DecodedValue[] | null;

/** Where an unsupported value was met, for error messages. */
export interface ValueContext {
  url: string;
  /** "variable temp, attribute units" style description. */
  what: string;
  variable?: string;
}

const utf8 = new TextDecoder("utf-8");

/** Converts an IEEE 754 half-precision value. */
export function float16ToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x03ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/** True for the enum h5py writes for numpy bool: {FALSE: 0, TRUE: 1} over an 8-bit integer. */
export function isBoolEnum(type: Datatype): boolean {
  if (type.class !== "enum" || type.base.class !== "integer" || type.base.size !== 1 || type.members.length !== 2) return false;
  const byName = new Map(type.members.map((m) => [m.name.toUpperCase(), m.value[0]]));
  return byName.get("FALSE") === 0 && byName.get("TRUE") === 1;
}

/** Decodes one integer or float element at `offset` of `view`. */
export function decodeNumber(type: Datatype, view: DataView, offset: number): number {
  if (type.class === "integer") {
    const little = !type.bigEndian;
    switch (type.size) {
      case 1:
        return type.signed ? view.getInt8(offset) : view.getUint8(offset);
      case 2:
        return type.signed ? view.getInt16(offset, little) : view.getUint16(offset, little);
      case 4:
        return type.signed ? view.getInt32(offset, little) : view.getUint32(offset, little);
      case 8:
        return Number(type.signed ? view.getBigInt64(offset, little) : view.getBigUint64(offset, little));
    }
  } else if (type.class === "float") {
    const little = !type.bigEndian;
    switch (type.size) {
      case 2:
        return float16ToNumber(view.getUint16(offset, little));
      case 4:
        return view.getFloat32(offset, little);
      case 8:
        return view.getFloat64(offset, little);
    }
  }
  throw new Error(`not a number type: ${describeDatatype(type)}`);
}

/** Decodes a fixed-length string element honouring its padding (null-terminated / null-padded / space-padded). */
export function decodeFixedString(bytes: Uint8Array, padding: number): string {
  let end = bytes.length;
  if (padding === 0) {
    const nul = bytes.indexOf(0);
    if (nul >= 0) end = nul;
  } else {
    const pad = padding === 2 ? 0x20 : 0;
    while (end > 0 && (bytes[end - 1] === pad || bytes[end - 1] === 0)) end--;
  }
  return utf8.decode(bytes.subarray(0, end));
}

function isSupportedNumber(type: Datatype): boolean {
  if (type.class === "integer") return [1, 2, 4, 8].includes(type.size);
  if (type.class === "float") return type.ieee && [2, 4, 8].includes(type.size);
  return false;
}

/**
 * Decodes `count` elements of `type` stored in `data` (element after element). Variable-length
 * data is fetched from the global heap. Unsupported types raise UnsupportedFeatureError.
 */
export async function decodeElements(
  file: HdfFile,
  heap: GlobalHeap,
  type: Datatype,
  data: Uint8Array,
  count: number,
  context: ValueContext,
): Promise<DecodedValue[]> {
  const size = type.size;
  if (count * size > data.length) {
    throw new UnsupportedFeatureError(
      "truncated-value",
      `HDF5 ${context.url}: ${context.what}: ${count} elements of ${size} bytes need ${count * size} bytes, only ${data.length} stored`,
      withVariable(context),
    );
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out: DecodedValue[] = [];
  if (isSupportedNumber(type)) {
    for (let i = 0; i < count; i++) out.push(decodeNumber(type, view, i * size));
    return out;
  }
  switch (type.class) {
    case "string":
      for (let i = 0; i < count; i++) out.push(decodeFixedString(data.subarray(i * size, (i + 1) * size), type.padding));
      return out;
    case "enum": {
      const bool = isBoolEnum(type);
      const values = await decodeElements(file, heap, type.base, data, count, context);
      return bool ? values.map((v) => v === 1) : values;
    }
    case "reference": {
      if (type.referenceType !== 0 || type.size < file.sizeOfOffsets) break;
      for (let i = 0; i < count; i++) {
        const c = new Cursor(data.subarray(i * size, i * size + file.sizeOfOffsets), file);
        out.push(c.offset());
      }
      return out;
    }
    case "vlen-string":
    case "vlen-sequence": {
      for (let i = 0; i < count; i++) {
        const c = new Cursor(data.subarray(i * size, (i + 1) * size), file);
        const descriptor = decodeVlenDescriptor(c);
        if (descriptor.address === UNDEFINED_ADDRESS || descriptor.address === 0 || descriptor.count === 0) {
          out.push(type.class === "vlen-string" ? "" : []);
          continue;
        }
        const object = await heap.read(descriptor.address, descriptor.index);
        if (type.class === "vlen-string") {
          const bytes = object.subarray(0, Math.min(object.length, descriptor.count));
          out.push(decodeFixedString(bytes, 1));
        } else {
          out.push(await decodeElements(file, heap, type.base, object, descriptor.count, context));
        }
      }
      return out;
    }
    default:
      break;
  }
  throw new UnsupportedFeatureError(
    `datatype:${type.class}`,
    `HDF5 ${context.url}: ${context.what}: values of type ${describeDatatype(type)} cannot be decoded`,
    withVariable(context),
  );
}

function withVariable(context: ValueContext): { url: string; variable?: string } {
  return context.variable === undefined ? { url: context.url } : { url: context.url, variable: context.variable };
}
