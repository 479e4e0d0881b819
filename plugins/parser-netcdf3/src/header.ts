/**
 * The netCDF classic header (CDF-1 classic, CDF-2 64-bit offset, CDF-5 64-bit data), decoded from
 * bytes. The grammar is the one of the "NetCDF Classic Format Specification":
 *
 * ```
 * header   = magic numrecs dim_list gatt_list var_list
 * dim      = name dim_length                         (dim_length 0 = the record dimension)
 * attr     = name nc_type nelems [values ...]        (values padded to 4 bytes)
 * var      = name nelems [dimid ...] vatt_list nc_type vsize begin
 * ```
 * Counts and lengths (NON_NEG) are 4 bytes in CDF-1/2 and 8 bytes in CDF-5; `begin` (OFFSET) is 4
 * bytes in CDF-1 and 8 bytes in CDF-2/5; tags and nc_type are always 4 bytes; all big-endian.
 *
 * Decoding is synchronous over a byte prefix of the file; when the prefix is too short the
 * decoder throws {@link NeedMoreBytes} and the caller reads a longer prefix.
 * @module
 */
import { ParseError } from "@vz/core";

/** netCDF external types (nc_type codes). */
export const NC_TYPE = {
  byte: 1,
  char: 2,
  short: 3,
  int: 4,
  float: 5,
  double: 6,
  ubyte: 7,
  ushort: 8,
  uint: 9,
  int64: 10,
  uint64: 11,
} as const;

/** Name of an nc_type code ("short", "uint64", ...). */
export type NcTypeName = keyof typeof NC_TYPE;

const TYPE_NAMES = new Map<number, NcTypeName>(Object.entries(NC_TYPE).map(([name, code]) => [code, name as NcTypeName]));

/** Size in bytes of one value of each nc_type. */
export const NC_TYPE_SIZE: Record<NcTypeName, number> = {
  byte: 1,
  char: 1,
  short: 2,
  int: 4,
  float: 4,
  double: 8,
  ubyte: 1,
  ushort: 2,
  uint: 4,
  int64: 8,
  uint64: 8,
};

const NC_DIMENSION = 0x0a;
const NC_VARIABLE = 0x0b;
const NC_ATTRIBUTE = 0x0c;

/** The numrecs value meaning "streaming: count the records from the file size". */
export const STREAMING_NUMRECS = -1;

/** A decoded attribute value: text for char, a number (or bigint beyond 2^53) or an array otherwise. */
export type AttributeValue = string | number | bigint | (number | bigint)[];

/** One dimension of the header. */
export interface Netcdf3Dimension {
  name: string;
  /** Length; for the record dimension the number of records. */
  length: number;
  isRecord: boolean;
}

/** One variable of the header. */
export interface Netcdf3Variable {
  name: string;
  /** Indices into the dimension list. */
  dimensionIds: number[];
  attributes: Record<string, AttributeValue>;
  type: NcTypeName;
  /** vsize as stored in the header (may be clamped for > 4 GiB variables in CDF-1/2). */
  storedVsize: number;
  /** vsize recomputed from the shape: bytes of the variable (of one record), padded to 4. */
  vsize: number;
  /** Unpadded bytes of the variable (of one record for record variables). */
  byteLength: number;
  begin: number;
  isRecord: boolean;
}

/** A decoded header. */
export interface Netcdf3Header {
  /** Version byte: 1 (classic), 2 (64-bit offset) or 5 (64-bit data). */
  version: 1 | 2 | 5;
  /** numrecs as stored, or {@link STREAMING_NUMRECS}. */
  storedNumrecs: number;
  dimensions: Netcdf3Dimension[];
  attributes: Record<string, AttributeValue>;
  variables: Netcdf3Variable[];
  /** Bytes of the header (offset where decoding stopped). */
  headerLength: number;
}

/** Thrown by the decoder when the byte prefix it was given ends before the header does. */
export class NeedMoreBytes extends Error {
  readonly needed: number;
  constructor(needed: number) {
    super(`header needs at least ${needed} bytes`);
    this.needed = needed;
  }
}

/** What the decoder knows about the whole file. */
export interface DecodeContext {
  url: string;
  /** Size of the whole file in bytes. */
  fileSize: number;
}

const decoder = new TextDecoder("utf-8");

/** True when the first bytes are `CDF\x01`, `CDF\x02` or `CDF\x05`. */
export function isNetcdf3Magic(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0x43 && head[1] === 0x44 && head[2] === 0x46 && (head[3] === 1 || head[3] === 2 || head[3] === 5);
}

class HeaderCursor {
  position = 0;
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  readonly #context: DecodeContext;
  readonly version: 1 | 2 | 5;
  /** Field being decoded, for error messages. */
  field = "magic";
  variable: string | undefined;

  constructor(bytes: Uint8Array, context: DecodeContext, version: 1 | 2 | 5) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#context = context;
    this.version = version;
  }

  fail(reason: string): never {
    const where = this.variable === undefined ? "" : ` of variable "${this.variable}"`;
    throw new ParseError(
      `netCDF3 header of ${this.#context.url}: field ${this.field}${where} at byte ${this.position}: ${reason}`,
      { url: this.#context.url, parser: "netcdf3", ...(this.variable === undefined ? {} : { variable: this.variable }) },
    );
  }

  /** Makes sure `count` more bytes are available, or asks for a longer prefix (or fails when the file has no more). */
  need(count: number): void {
    const end = this.position + count;
    if (end <= this.#bytes.length) return;
    if (end > this.#context.fileSize) {
      this.fail(`the header needs ${end} bytes but the file has only ${this.#context.fileSize} (truncated file?)`);
    }
    throw new NeedMoreBytes(end);
  }

  uint32(): number {
    this.need(4);
    const value = this.#view.getUint32(this.position);
    this.position += 4;
    return value;
  }

  /** An unsigned 64-bit value; fails when it is beyond 2^53 (no netCDF3 file can need that). */
  uint64(): number {
    this.need(8);
    const high = this.#view.getUint32(this.position);
    const low = this.#view.getUint32(this.position + 4);
    this.position += 8;
    const value = high * 0x1_0000_0000 + low;
    if (!Number.isSafeInteger(value)) this.fail(`value ${(BigInt(high) << 32n) | BigInt(low)} is beyond 2^53`);
    return value;
  }

  /** NON_NEG: 4 bytes in CDF-1/2, 8 bytes in CDF-5. */
  nonNegative(): number {
    if (this.version === 5) return this.uint64();
    const value = this.uint32();
    return value;
  }

  /** OFFSET: 4 bytes in CDF-1, 8 bytes in CDF-2/5. */
  offset(): number {
    return this.version === 1 ? this.uint32() : this.uint64();
  }

  bytes(count: number): Uint8Array {
    this.need(count);
    const out = this.#bytes.subarray(this.position, this.position + count);
    this.position += count;
    return out;
  }

  skipPadding(count: number): void {
    const padding = (4 - (count % 4)) % 4;
    if (padding > 0) this.bytes(padding);
  }

  /** `name = nelems namestring`, padded to 4 bytes. */
  name(): string {
    const length = this.nonNegative();
    if (length === 0) this.fail("empty name");
    if (this.position + length > this.#context.fileSize) {
      this.fail(`name of ${length} bytes passes the end of the file (${this.#context.fileSize} bytes)`);
    }
    const text = decodeText(this.bytes(length));
    this.skipPadding(length);
    return text;
  }

  /** A list count whose elements take at least `minimumBytes` each: bounded by the file size. */
  count(what: string, minimumBytes: number): number {
    const count = this.nonNegative();
    const remaining = this.#context.fileSize - this.position;
    if (count * minimumBytes > remaining) {
      this.fail(`${count} ${what} cannot fit in the ${remaining} bytes left in the file`);
    }
    return count;
  }

  /** `ABSENT | tag nelems [...]`: returns the count (0 when absent). */
  listHeader(tag: number, what: string, minimumBytes: number): number {
    this.field = `${what} list tag`;
    const found = this.uint32();
    if (found === 0) {
      this.field = `${what} list count`;
      const zero = this.nonNegative();
      if (zero !== 0) this.fail(`an absent ${what} list must have count 0, found ${zero}`);
      return 0;
    }
    if (found !== tag) this.fail(`expected tag 0x${tag.toString(16).padStart(8, "0")} or ABSENT, found 0x${found.toString(16).padStart(8, "0")}`);
    this.field = `${what} list count`;
    return this.count(`${what}s`, minimumBytes);
  }

  type(): NcTypeName {
    const code = this.uint32();
    const name = TYPE_NAMES.get(code);
    if (!name) this.fail(`unknown nc_type ${code}`);
    if (code > NC_TYPE.double && this.version !== 5) {
      this.fail(`nc_type ${name} (${code}) is only allowed in CDF-5 files, this is CDF-${this.version}`);
    }
    return name;
  }

  /** Values of an attribute. */
  attributeValue(type: NcTypeName, count: number): AttributeValue {
    const size = NC_TYPE_SIZE[type];
    const byteLength = count * size;
    if (this.position + byteLength > this.#context.fileSize) {
      this.fail(`${count} values of type ${type} pass the end of the file (${this.#context.fileSize} bytes)`);
    }
    const raw = this.bytes(byteLength);
    this.skipPadding(byteLength);
    if (type === "char") return decodeText(raw);
    const values = decodeNumbers(raw, type, count);
    return count === 1 ? values[0]! : values;
  }
}

/** Text of a char attribute or string: UTF-8 (invalid sequences replaced), trailing NULs dropped. */
export function decodeText(raw: Uint8Array): string {
  let end = raw.length;
  while (end > 0 && raw[end - 1] === 0) end--;
  return decoder.decode(raw.subarray(0, end));
}

/** Big-endian numbers of an nc_type; 64-bit integers as numbers when safe, bigints otherwise. */
export function decodeNumbers(raw: Uint8Array, type: NcTypeName, count: number): (number | bigint)[] {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out = new Array<number | bigint>(count);
  for (let i = 0; i < count; i++) {
    switch (type) {
      case "byte":
        out[i] = view.getInt8(i);
        break;
      case "char":
      case "ubyte":
        out[i] = view.getUint8(i);
        break;
      case "short":
        out[i] = view.getInt16(i * 2);
        break;
      case "ushort":
        out[i] = view.getUint16(i * 2);
        break;
      case "int":
        out[i] = view.getInt32(i * 4);
        break;
      case "uint":
        out[i] = view.getUint32(i * 4);
        break;
      case "float":
        out[i] = view.getFloat32(i * 4);
        break;
      case "double":
        out[i] = view.getFloat64(i * 8);
        break;
      case "int64": {
        const value = view.getBigInt64(i * 8);
        out[i] = safeNumber(value);
        break;
      }
      case "uint64": {
        const value = view.getBigUint64(i * 8);
        out[i] = safeNumber(value);
        break;
      }
    }
  }
  return out;
}

function safeNumber(value: bigint): number | bigint {
  const asNumber = Number(value);
  return Number.isSafeInteger(asNumber) ? asNumber : value;
}

function readAttributes(cursor: HeaderCursor, owner: string): Record<string, AttributeValue> {
  // An attribute takes at least: name length + 4 name bytes + nc_type + nelems.
  const word = cursor.version === 5 ? 8 : 4;
  const count = cursor.listHeader(NC_ATTRIBUTE, `${owner} attribute`, word + 4 + 4 + word);
  const attributes: Record<string, AttributeValue> = {};
  for (let i = 0; i < count; i++) {
    cursor.field = `${owner} attribute ${i} name`;
    const name = cursor.name();
    cursor.field = `${owner} attribute "${name}" type`;
    const type = cursor.type();
    cursor.field = `${owner} attribute "${name}" value count`;
    const valueCount = cursor.count(`values of type ${type}`, NC_TYPE_SIZE[type]);
    cursor.field = `${owner} attribute "${name}" values`;
    attributes[name] = cursor.attributeValue(type, valueCount);
  }
  return attributes;
}

/**
 * Decodes the header from `bytes`, a prefix of the file. Throws {@link NeedMoreBytes} when the
 * prefix is too short, and a `ParseError` naming the file, field and variable when the header is
 * corrupt. Checks that every variable's data lies inside the file.
 */
export function decodeHeader(bytes: Uint8Array, context: DecodeContext): Netcdf3Header {
  if (bytes.length < 4 && context.fileSize >= 4) throw new NeedMoreBytes(4);
  if (!isNetcdf3Magic(bytes)) {
    const shown = [...bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, "0")).join(" ");
    throw new ParseError(
      `netCDF3 header of ${context.url}: field magic: expected "CDF" followed by version 1, 2 or 5, found bytes ${shown || "(empty file)"}`,
      { url: context.url, parser: "netcdf3" },
    );
  }
  const version = bytes[3] as 1 | 2 | 5;
  const cursor = new HeaderCursor(bytes, context, version);
  cursor.position = 4;
  const word = version === 5 ? 8 : 4;

  cursor.field = "numrecs";
  let storedNumrecs: number;
  if (version === 5) {
    cursor.need(8);
    const raw = bytes.subarray(4, 12);
    storedNumrecs = raw.every((b) => b === 0xff) ? STREAMING_NUMRECS : cursor.uint64();
    if (storedNumrecs === STREAMING_NUMRECS) cursor.position += 8;
  } else {
    const raw = cursor.uint32();
    storedNumrecs = raw === 0xffffffff ? STREAMING_NUMRECS : raw;
  }

  // A dimension takes at least: name length + 4 name bytes + length.
  const dimensionCount = cursor.listHeader(NC_DIMENSION, "dimension", word + 4 + word);
  const dimensions: Netcdf3Dimension[] = [];
  let recordDimension = -1;
  for (let i = 0; i < dimensionCount; i++) {
    cursor.field = `dimension ${i} name`;
    const name = cursor.name();
    cursor.field = `dimension "${name}" length`;
    const length = cursor.nonNegative();
    const isRecord = length === 0;
    if (isRecord) {
      if (recordDimension >= 0) cursor.fail(`a second unlimited dimension ("${dimensions[recordDimension]!.name}" is already one)`);
      recordDimension = i;
    }
    dimensions.push({ name, length, isRecord });
  }

  const attributes = readAttributes(cursor, "global");

  // A variable takes at least: name (word + 4) + dim count + att list (4 + word) + nc_type + vsize + begin.
  const variableCount = cursor.listHeader(NC_VARIABLE, "variable", word + 4 + word + 4 + word + 4 + word + (version === 1 ? 4 : 8));
  const variables: Netcdf3Variable[] = [];
  for (let i = 0; i < variableCount; i++) {
    cursor.variable = undefined;
    cursor.field = `variable ${i} name`;
    const name = cursor.name();
    cursor.variable = name;
    cursor.field = "dimension count";
    const rank = cursor.count("dimension ids", word);
    const dimensionIds: number[] = [];
    for (let d = 0; d < rank; d++) {
      cursor.field = `dimension id ${d}`;
      const id = cursor.nonNegative();
      if (id >= dimensions.length) cursor.fail(`dimension id ${id}, but the file has ${dimensions.length} dimensions`);
      if (dimensions[id]!.isRecord && d !== 0) cursor.fail(`the unlimited dimension "${dimensions[id]!.name}" must come first, it is at position ${d}`);
      dimensionIds.push(id);
    }
    const variableAttributes = readAttributes(cursor, `variable "${name}"`);
    cursor.field = "nc_type";
    const type = cursor.type();
    cursor.field = "vsize";
    const storedVsize = cursor.nonNegative();
    cursor.field = "begin";
    const begin = cursor.offset();
    if (begin > context.fileSize) cursor.fail(`data offset ${begin} is beyond the end of the file (${context.fileSize} bytes)`);
    const isRecord = dimensionIds.length > 0 && dimensions[dimensionIds[0]!]!.isRecord;
    let elements = 1;
    for (const [d, id] of dimensionIds.entries()) {
      if (d === 0 && isRecord) continue;
      elements *= dimensions[id]!.length;
    }
    const byteLength = elements * NC_TYPE_SIZE[type];
    cursor.field = "dimensions";
    if (Number.isSafeInteger(byteLength) && !isRecord && begin + byteLength > context.fileSize) {
      cursor.field = "begin";
      cursor.fail(`data at bytes ${begin}..${begin + byteLength} (${elements} values of type ${type}) passes the end of the file (${context.fileSize} bytes)`);
    }
    if (!Number.isSafeInteger(byteLength) || byteLength > context.fileSize) {
      cursor.fail(
        `${elements} elements of type ${type} (${byteLength} bytes${isRecord ? " per record" : ""}) cannot fit in the file (${context.fileSize} bytes)`,
      );
    }
    const vsize = byteLength + ((4 - (byteLength % 4)) % 4);
    variables.push({
      name,
      dimensionIds,
      attributes: variableAttributes,
      type,
      storedVsize,
      vsize,
      byteLength,
      begin,
      isRecord,
    });
  }
  cursor.variable = undefined;
  return { version, storedNumrecs, dimensions, attributes, variables, headerLength: cursor.position };
}

/** Record layout computed from a header and the file size. */
export interface RecordLayout {
  /** Number of records (resolved for streaming files). */
  numrecs: number;
  /** Bytes between the starts of two consecutive records. */
  recordSize: number;
}

/**
 * Record size and count: recsize is the sum of the record variables' vsizes, except when there is
 * exactly one record variable, whose records are then not padded to 4 bytes; a streaming numrecs
 * is computed from the file size. Also checks that every variable's data lies inside the file.
 */
export function computeRecordLayout(header: Netcdf3Header, context: DecodeContext): RecordLayout {
  const recordVariables = header.variables.filter((v) => v.isRecord);
  let recordSize = 0;
  for (const variable of recordVariables) recordSize += variable.vsize;
  if (recordVariables.length === 1) recordSize = recordVariables[0]!.byteLength;
  const fail = (variable: Netcdf3Variable | undefined, field: string, reason: string): never => {
    throw new ParseError(
      `netCDF3 header of ${context.url}: field ${field}${variable ? ` of variable "${variable.name}"` : ""}: ${reason}`,
      { url: context.url, parser: "netcdf3", ...(variable ? { variable: variable.name } : {}) },
    );
  };
  let numrecs = header.storedNumrecs;
  if (numrecs === STREAMING_NUMRECS) {
    if (recordVariables.length === 0 || recordSize === 0) numrecs = 0;
    else {
      const recordStart = Math.min(...recordVariables.map((v) => v.begin));
      numrecs = recordStart > context.fileSize ? 0 : Math.floor((context.fileSize - recordStart) / recordSize);
    }
  }
  for (const variable of header.variables) {
    if (variable.begin < header.headerLength) {
      fail(variable, "begin", `data offset ${variable.begin} lies inside the header (which ends at byte ${header.headerLength})`);
    }
    if (!variable.isRecord) {
      const end = variable.begin + variable.byteLength;
      if (end > context.fileSize) {
        fail(variable, "begin", `data at bytes ${variable.begin}..${end} passes the end of the file (${context.fileSize} bytes)`);
      }
    } else if (numrecs > 0 && variable.byteLength > 0) {
      const end = variable.begin + (numrecs - 1) * recordSize + variable.byteLength;
      if (!Number.isSafeInteger(end) || end > context.fileSize) {
        fail(
          variable,
          "begin",
          `record ${numrecs - 1} of ${numrecs} (begin ${variable.begin}, record size ${recordSize}) ends at byte ${end}, past the end of the file (${context.fileSize} bytes)`,
        );
      }
    }
  }
  for (const dimension of header.dimensions) if (dimension.isRecord) dimension.length = numrecs;
  return { numrecs, recordSize };
}
