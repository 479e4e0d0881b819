/**
 * Decoders of the object header messages the parser uses: dataspace, datatype, fill value (old
 * and new), data layout v1–v4, filter pipeline v1/v2, attribute v1–v3, link, link info, attribute
 * info and symbol table messages.
 * @module
 */
import { Cursor, formatError, type HdfFile, UNDEFINED_ADDRESS } from "./io.js";

// ------------------------------------------------------------------------------------ dataspace

/** A dataspace: `null` (no data), `scalar` (shape []) or `simple`. */
export interface Dataspace {
  kind: "scalar" | "simple" | "null";
  shape: number[];
  /** Maximum dims; -1 = unlimited. */
  maxShape: number[];
}

/** Decodes a dataspace message (versions 1 and 2). */
export function decodeDataspace(c: Cursor): Dataspace {
  const version = c.u8();
  const rank = c.u8();
  const flags = c.u8();
  let kind: Dataspace["kind"];
  if (version === 1) {
    c.skip(5);
    kind = rank === 0 ? "scalar" : "simple";
  } else if (version === 2) {
    const type = c.u8();
    if (type > 2) throw formatError(c.file, `dataspace message at ${c.origin}: unknown dataspace type ${type}`);
    kind = type === 0 ? "scalar" : type === 1 ? "simple" : "null";
  } else {
    throw formatError(c.file, `dataspace message at ${c.origin}: unsupported version ${version}`);
  }
  if (rank > 32) throw formatError(c.file, `dataspace message at ${c.origin}: rank ${rank} exceeds HDF5's limit of 32`);
  const shape: number[] = [];
  for (let i = 0; i < rank; i++) {
    const n = c.length();
    if (n === UNDEFINED_ADDRESS) throw formatError(c.file, `dataspace message at ${c.origin}: invalid dimension size`);
    shape.push(n);
  }
  const maxShape: number[] = [];
  if (flags & 0x01) {
    for (let i = 0; i < rank; i++) maxShape.push(c.length());
  } else {
    maxShape.push(...shape);
  }
  if (kind !== "simple") return { kind, shape: [], maxShape: [] };
  return { kind, shape, maxShape };
}

// ------------------------------------------------------------------------------------- datatype

/** A decoded HDF5 datatype. */
export type Datatype =
  | { class: "integer"; size: number; signed: boolean; bigEndian: boolean }
  | { class: "float"; size: number; bigEndian: boolean; ieee: boolean }
  | { class: "string"; size: number; padding: number; charset: number }
  | { class: "vlen-string"; size: number; padding: number; charset: number }
  | { class: "vlen-sequence"; size: number; base: Datatype }
  | { class: "enum"; size: number; base: Datatype; members: { name: string; value: Uint8Array }[] }
  | { class: "reference"; size: number; referenceType: number }
  | { class: "compound"; size: number; members: { name: string; offset: number; type: Datatype }[] }
  | { class: "array"; size: number; dims: number[]; base: Datatype }
  | { class: "opaque" | "time" | "bitfield" | "unknown"; size: number; code: number };

/** Human-readable name of a datatype, for messages. */
export function describeDatatype(type: Datatype): string {
  switch (type.class) {
    case "integer":
      return `${type.signed ? "" : "u"}int${type.size * 8}${type.bigEndian ? " big-endian" : ""}`;
    case "float":
      return `float${type.size * 8}${type.bigEndian ? " big-endian" : ""}`;
    case "string":
      return `fixed-length string (${type.size} bytes)`;
    case "vlen-string":
      return "variable-length string";
    case "vlen-sequence":
      return `variable-length sequence of ${describeDatatype(type.base)}`;
    case "enum":
      return `enum of ${describeDatatype(type.base)}`;
    case "reference":
      return type.referenceType === 0 ? "object reference" : "region reference";
    case "compound":
      return `compound {${type.members.map((m) => m.name).join(", ")}}`;
    case "array":
      return `array [${type.dims.join(", ")}] of ${describeDatatype(type.base)}`;
    default:
      return `${type.class} (HDF5 class ${type.code})`;
  }
}

/** Decodes a datatype message. */
export function decodeDatatype(c: Cursor, depth = 0): Datatype {
  if (depth > 16) throw formatError(c.file, `datatype at ${c.origin + c.pos}: nested too deeply; corrupt file`);
  const classAndVersion = c.u8();
  const code = classAndVersion & 0x0f;
  const version = classAndVersion >> 4;
  const bits0 = c.u8();
  const bits8 = c.u8();
  c.u8(); // class bits 16-23: not used by any class the parser reads
  const size = c.u32();
  switch (code) {
    case 0: {
      c.skip(4); // bit offset, precision
      return { class: "integer", size, signed: (bits0 & 0x08) !== 0, bigEndian: (bits0 & 0x01) !== 0 };
    }
    case 1: {
      c.u16(); // bit offset
      const precision = c.u16();
      const exponentLocation = c.u8();
      const exponentSize = c.u8();
      const mantissaLocation = c.u8();
      const mantissaSize = c.u8();
      c.u32(); // exponent bias
      const ieee =
        (size === 2 && precision === 16 && exponentSize === 5 && mantissaSize === 10 && exponentLocation === 10 && mantissaLocation === 0) ||
        (size === 4 && precision === 32 && exponentSize === 8 && mantissaSize === 23 && exponentLocation === 23 && mantissaLocation === 0) ||
        (size === 8 && precision === 64 && exponentSize === 11 && mantissaSize === 52 && exponentLocation === 52 && mantissaLocation === 0);
      const vax = (bits0 & 0x40) !== 0;
      return { class: "float", size, bigEndian: (bits0 & 0x01) !== 0 && !vax, ieee: ieee && !vax };
    }
    case 2:
      c.skip(2);
      return { class: "time", size, code };
    case 3:
      return { class: "string", size, padding: bits0 & 0x0f, charset: (bits0 >> 4) & 0x0f };
    case 4:
      c.skip(4);
      return { class: "bitfield", size, code };
    case 5: {
      const tagLength = bits0 | (bits8 << 8);
      c.skip(Math.min(tagLength, c.remaining));
      return { class: "opaque", size, code };
    }
    case 6: {
      const count = bits0 | (bits8 << 8);
      const members: { name: string; offset: number; type: Datatype }[] = [];
      for (let i = 0; i < count; i++) {
        const nameStart = c.pos;
        const name = c.cstring();
        if (version < 3) {
          const used = c.pos - nameStart;
          c.skip((8 - (used % 8)) % 8);
        }
        let offset: number;
        if (version === 1) {
          offset = c.u32();
          const rank = c.u8();
          c.skip(3 + 4 + 4 + 16); // reserved, permutation, reserved, dims
          if (rank > 4) throw formatError(c.file, `compound member ${name}: invalid rank ${rank}`);
        } else if (version === 2) {
          offset = c.u32();
        } else {
          const width = size < 256 ? 1 : size < 65536 ? 2 : size < 16777216 ? 3 : 4;
          offset = c.uint(width);
        }
        members.push({ name, offset, type: decodeDatatype(c, depth + 1) });
      }
      return { class: "compound", size, members };
    }
    case 7:
      return { class: "reference", size, referenceType: bits0 & 0x0f };
    case 8: {
      const count = bits0 | (bits8 << 8);
      const base = decodeDatatype(c, depth + 1);
      const names: string[] = [];
      for (let i = 0; i < count; i++) {
        const nameStart = c.pos;
        names.push(c.cstring());
        if (version < 3) {
          const used = c.pos - nameStart;
          c.skip((8 - (used % 8)) % 8);
        }
      }
      const members = names.map((name) => ({ name, value: c.take(base.size) }));
      return { class: "enum", size, base, members };
    }
    case 9: {
      const type = bits0 & 0x0f;
      const padding = (bits0 >> 4) & 0x0f;
      const charset = bits8 & 0x0f;
      const base = decodeDatatype(c, depth + 1);
      if (type === 1) return { class: "vlen-string", size, padding, charset };
      return { class: "vlen-sequence", size, base };
    }
    case 10: {
      const rank = c.u8();
      if (version < 3) c.skip(3);
      const dims: number[] = [];
      for (let i = 0; i < rank; i++) dims.push(c.u32());
      if (version < 3) c.skip(4 * rank);
      return { class: "array", size, dims, base: decodeDatatype(c, depth + 1) };
    }
    default:
      return { class: "unknown", size, code };
  }
}

// ----------------------------------------------------------------------------------- fill value

/** A fill value: `undefined` bytes when the value is not defined (HDF5 then fills with zeros). */
export interface FillValue {
  defined: boolean;
  value: Uint8Array | undefined;
}

/** Decodes a fill value message (type 5, versions 1–3). */
export function decodeFillValue(c: Cursor): FillValue {
  const version = c.u8();
  if (version === 1 || version === 2) {
    c.u8(); // space allocation time
    c.u8(); // fill value write time
    const defined = c.u8() !== 0;
    if (version === 1 || defined) {
      if (c.remaining < 4) return { defined, value: undefined };
      // libhdf5 decodes this size as a signed 32-bit integer: -1 (0xFFFFFFFF) and other
      // negative sizes mean "no value" (PyTables writes version 1 messages like that)
      const size = c.u32();
      const value = size > 0 && size < 0x80000000 ? c.take(size) : undefined;
      return { defined: defined && value !== undefined, value: defined ? value : undefined };
    }
    return { defined: false, value: undefined };
  }
  if (version === 3) {
    const flags = c.u8();
    if (flags & 0x20) {
      const size = c.u32();
      const value = size > 0 ? c.take(size) : undefined;
      return { defined: value !== undefined, value };
    }
    return { defined: false, value: undefined };
  }
  throw formatError(c.file, `fill value message at ${c.origin}: unsupported version ${version}`);
}

/** Decodes the old fill value message (type 4). */
export function decodeOldFillValue(c: Cursor): FillValue {
  const size = c.u32();
  if (size === 0) return { defined: false, value: undefined };
  return { defined: true, value: c.take(size) };
}

// --------------------------------------------------------------------------------------- layout

/** A data layout message. */
export type Layout =
  | { class: "compact"; version: number; data: Uint8Array }
  | { class: "contiguous"; version: number; address: number; size: number | undefined }
  | {
      class: "chunked";
      version: 3 | 4;
      /** Chunk dims in elements (without the element-size dimension). */
      chunkShape: number[];
      address: number;
      indexType: "btree-v1" | "single" | "implicit" | "fixed-array" | "extensible-array" | "btree-v2";
      flags?: number;
      singleChunk?: { size: number; filterMask: number };
      indexParams?: Record<string, number>;
    }
  | { class: "virtual"; version: number };

/** Decodes a data layout message (versions 1–4). `rank` is the dataspace rank. */
export function decodeLayout(c: Cursor, rank: number): Layout {
  const version = c.u8();
  if (version === 1 || version === 2) {
    const dimensionality = c.u8();
    const layoutClass = c.u8();
    c.skip(5);
    const address = layoutClass !== 0 ? c.offset() : UNDEFINED_ADDRESS;
    const dims: number[] = [];
    for (let i = 0; i < dimensionality; i++) dims.push(c.u32());
    if (layoutClass === 0) {
      const size = c.u32();
      return { class: "compact", version, data: c.take(size) };
    }
    if (layoutClass === 1) return { class: "contiguous", version, address, size: undefined };
    if (layoutClass === 2) {
      return { class: "chunked", version: 3, chunkShape: dims.slice(0, rank), address, indexType: "btree-v1" };
    }
    throw formatError(c.file, `data layout message at ${c.origin}: unknown layout class ${layoutClass}`);
  }
  if (version !== 3 && version !== 4) throw formatError(c.file, `data layout message at ${c.origin}: unsupported version ${version}`);
  const layoutClass = c.u8();
  if (layoutClass === 0) {
    const size = c.u16();
    return { class: "compact", version, data: c.take(size) };
  }
  if (layoutClass === 1) {
    const address = c.offset();
    const size = c.length();
    return { class: "contiguous", version, address, size };
  }
  if (layoutClass === 3) return { class: "virtual", version };
  if (layoutClass !== 2) throw formatError(c.file, `data layout message at ${c.origin}: unknown layout class ${layoutClass}`);
  if (version === 3) {
    const dimensionality = c.u8();
    const address = c.offset();
    const dims: number[] = [];
    for (let i = 0; i < dimensionality; i++) dims.push(c.u32());
    return { class: "chunked", version: 3, chunkShape: dims.slice(0, rank), address, indexType: "btree-v1" };
  }
  const flags = c.u8();
  const dimensionality = c.u8();
  const encodedLength = c.u8();
  if (encodedLength < 1 || encodedLength > 8) {
    throw formatError(c.file, `data layout message at ${c.origin}: invalid dimension size length ${encodedLength}`);
  }
  const dims: number[] = [];
  for (let i = 0; i < dimensionality; i++) dims.push(c.uint(encodedLength));
  const indexCode = c.u8();
  let indexType: Extract<Layout, { class: "chunked" }>["indexType"];
  const indexParams: Record<string, number> = {};
  let singleChunk: { size: number; filterMask: number } | undefined;
  switch (indexCode) {
    case 1:
      indexType = "single";
      if (flags & 0x02) singleChunk = { size: c.length(), filterMask: c.u32() };
      break;
    case 2:
      indexType = "implicit";
      break;
    case 3:
      indexType = "fixed-array";
      indexParams.pageBits = c.u8();
      break;
    case 4:
      indexType = "extensible-array";
      indexParams.maxBits = c.u8();
      indexParams.indexElements = c.u8();
      indexParams.minPointers = c.u8();
      indexParams.minElements = c.u8();
      indexParams.pageBits = c.u8();
      break;
    case 5:
      indexType = "btree-v2";
      indexParams.nodeSize = c.u32();
      indexParams.splitPercent = c.u8();
      indexParams.mergePercent = c.u8();
      break;
    default:
      throw formatError(c.file, `data layout message at ${c.origin}: unknown chunk index type ${indexCode}`);
  }
  const address = c.offset();
  const layout: Layout = { class: "chunked", version: 4, chunkShape: dims.slice(0, rank), address, indexType, flags, indexParams };
  if (singleChunk) layout.singleChunk = singleChunk;
  return layout;
}

// ------------------------------------------------------------------------------ filter pipeline

/** One filter of a filter pipeline. */
export interface Filter {
  id: number;
  name: string;
  flags: number;
  clientData: number[];
}

/** Decodes a filter pipeline message (versions 1 and 2). */
export function decodeFilterPipeline(c: Cursor): Filter[] {
  const version = c.u8();
  const count = c.u8();
  if (version === 1) c.skip(6);
  else if (version !== 2) throw formatError(c.file, `filter pipeline message at ${c.origin}: unsupported version ${version}`);
  const filters: Filter[] = [];
  for (let i = 0; i < count; i++) {
    const id = c.u16();
    const nameLength = version === 1 || id >= 256 ? c.u16() : 0;
    const flags = c.u16();
    const valueCount = c.u16();
    let name = "";
    if (nameLength > 0) {
      const raw = c.take(version === 1 ? Math.ceil(nameLength / 8) * 8 : nameLength);
      const end = raw.indexOf(0);
      name = new TextDecoder().decode(end >= 0 ? raw.subarray(0, end) : raw);
    }
    const clientData: number[] = [];
    for (let j = 0; j < valueCount; j++) clientData.push(c.u32());
    if (version === 1 && valueCount % 2 === 1) c.skip(4);
    filters.push({ id, name, flags, clientData });
  }
  return filters;
}

// ------------------------------------------------------------------------------------ attribute

/** A raw attribute: decoded name, datatype and dataspace, undecoded data. */
export interface RawAttribute {
  name: string;
  type: Datatype;
  space: Dataspace;
  data: Uint8Array;
  /** Datatype stored elsewhere (shared), needs resolving: address of the committed datatype. */
  sharedTypeAddress?: number;
}

/** Decodes an attribute message (versions 1–3). */
export function decodeAttribute(c: Cursor): RawAttribute {
  const version = c.u8();
  if (version < 1 || version > 3) throw formatError(c.file, `attribute message at ${c.origin}: unsupported version ${version}`);
  const flags = c.u8();
  const nameSize = c.u16();
  const typeSize = c.u16();
  const spaceSize = c.u16();
  if (version === 3) c.u8(); // name character set
  const pad = (n: number) => (version === 1 ? Math.ceil(n / 8) * 8 : n);
  const nameBytes = c.take(pad(nameSize));
  const end = nameBytes.indexOf(0);
  const name = new TextDecoder().decode(nameBytes.subarray(0, end >= 0 ? Math.min(end, nameSize) : nameSize));
  const typeBytes = c.take(pad(typeSize));
  const spaceBytes = c.take(pad(spaceSize));
  const typeOrigin = c.origin + c.pos - pad(spaceSize) - pad(typeSize);
  let type: Datatype;
  let sharedTypeAddress: number | undefined;
  if (flags & 0x01) {
    sharedTypeAddress = decodeSharedReference(new Cursor(typeBytes, c.file, typeOrigin)).address;
    type = { class: "unknown", size: 0, code: -1 };
  } else {
    type = decodeDatatype(new Cursor(typeBytes, c.file, typeOrigin));
  }
  if (flags & 0x02) throw formatError(c.file, `attribute "${name}" at ${c.origin}: shared dataspaces are not supported`);
  const space = decodeDataspace(new Cursor(spaceBytes, c.file, typeOrigin + pad(typeSize)));
  const data = c.bytes.subarray(c.pos);
  const attribute: RawAttribute = { name, type, space, data };
  if (sharedTypeAddress !== undefined) attribute.sharedTypeAddress = sharedTypeAddress;
  return attribute;
}

/** A shared message reference: where the real message lives. */
export interface SharedReference {
  /** "object-header": a committed object's header at `address`; "heap": the shared message heap (unsupported). */
  kind: "object-header" | "heap";
  address: number;
}

/** Decodes a shared message reference (versions 1–3). */
export function decodeSharedReference(c: Cursor): SharedReference {
  const version = c.u8();
  const type = c.u8();
  if (version === 1) {
    c.skip(6);
    return { kind: "object-header", address: c.offset() };
  }
  if (version === 2) return { kind: "object-header", address: c.offset() };
  if (version === 3) {
    if (type === 1) return { kind: "heap", address: UNDEFINED_ADDRESS };
    return { kind: "object-header", address: c.offset() };
  }
  throw formatError(c.file, `shared message reference at ${c.origin}: unsupported version ${version}`);
}

// ----------------------------------------------------------------------------- links and groups

/** A link of a group; `creationOrder` when the group tracks link creation order. */
export type Link = (
  | { kind: "hard"; name: string; address: number }
  | { kind: "soft"; name: string; target: string }
  | { kind: "external"; name: string; file: string; path: string }
  | { kind: "user"; name: string; type: number }
) & { creationOrder?: number };

/** Decodes a link message (also the records of dense link storage). */
export function decodeLink(c: Cursor): Link {
  const version = c.u8();
  if (version !== 1) throw formatError(c.file, `link message at ${c.origin}: unsupported version ${version}`);
  const flags = c.u8();
  const type = flags & 0x08 ? c.u8() : 0;
  const creationOrder = flags & 0x04 ? c.u64() : undefined;
  if (flags & 0x10) c.u8();
  const nameLength = c.uint(1 << (flags & 0x03));
  const name = new TextDecoder().decode(c.take(nameLength));
  let link: Link;
  if (type === 0) link = { kind: "hard", name, address: c.offset() };
  else if (type === 1) {
    const length = c.u16();
    link = { kind: "soft", name, target: new TextDecoder().decode(c.take(length)) };
  } else if (type === 64) {
    const length = c.u16();
    const info = c.take(length);
    const parts = new TextDecoder().decode(info.subarray(1)).split("\0");
    link = { kind: "external", name, file: parts[0] ?? "", path: parts[1] ?? "" };
  } else link = { kind: "user", name, type };
  if (creationOrder !== undefined) link.creationOrder = creationOrder;
  return link;
}

/** Link info / attribute info: where dense storage lives. */
export interface DenseInfo {
  heapAddress: number;
  nameIndexAddress: number;
}

/** Decodes a link info message. */
export function decodeLinkInfo(c: Cursor): DenseInfo {
  c.u8(); // version
  const flags = c.u8();
  if (flags & 0x01) c.skip(8);
  const heapAddress = c.offset();
  const nameIndexAddress = c.offset();
  return { heapAddress, nameIndexAddress };
}

/** Decodes an attribute info message. */
export function decodeAttributeInfo(c: Cursor): DenseInfo {
  c.u8(); // version
  const flags = c.u8();
  if (flags & 0x01) c.skip(2);
  const heapAddress = c.offset();
  const nameIndexAddress = c.offset();
  return { heapAddress, nameIndexAddress };
}

/** Decodes a symbol table message: v1 B-tree and local heap addresses of an old-style group. */
export function decodeSymbolTable(c: Cursor): { btreeAddress: number; heapAddress: number } {
  return { btreeAddress: c.offset(), heapAddress: c.offset() };
}

/** A cursor over a message's data. */
export function messageCursor(file: HdfFile, message: { data: Uint8Array; origin: number }): Cursor {
  return new Cursor(message.data, file, message.origin);
}
