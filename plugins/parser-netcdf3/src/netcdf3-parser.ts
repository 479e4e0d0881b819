/**
 * Builds a ManifestStore from a netCDF3 file: reads the header through ranged reads, then makes
 * one chunk per non-record variable and one chunk per record for record variables.
 * @module
 */
import {
  AbortedError,
  ChunkManifestBuilder,
  createArrayMetadata,
  isVzError,
  ManifestArray,
  ManifestGroup,
  ManifestStore,
  ParseError,
  UnsupportedFeatureError,
  type DataType,
  type ObjectReader,
  type ReadOptions,
} from "@vz/core";
import { encodeVlenUtf8 } from "@vz/core/codecs";
import {
  type AttributeValue,
  computeRecordLayout,
  decodeHeader,
  decodeNumbers,
  decodeText,
  NC_TYPE_SIZE,
  type NcTypeName,
  NeedMoreBytes,
  type Netcdf3Header,
  type Netcdf3Variable,
  type RecordLayout,
} from "./header.js";

/** How char variables are exposed. */
export type CharArrayMode = "chars" | "string" | "bytes";

/** Options of {@link createNetcdf3Parser}. */
export interface Netcdf3ParserOptions {
  /**
   * Bytes read first for the header; more is read (doubling) when the header is longer.
   * Default 64 KiB.
   */
  initialHeaderBytes?: number;
  /**
   * How char variables are exposed:
   * - `"chars"` (default): as stored, data type `fixed_length_bytes:1` (numpy `|S1`) with every
   *   dimension, the character dimension included, referencing the bytes in place (one chunk per
   *   variable, one per record for record variables) — what netCDF4-python and kerchunk give.
   *   xarray joins the characters along the last dimension itself when it opens the references,
   *   exactly as it does on the original file; no byte is re-encoded.
   * The other modes join char arrays whose last dimension is the string length (xarray's rule:
   * no variable is named like it and only char variables use it, as their last dimension):
   * - `"string"`: data type `string` with the text read at parse time and inlined as
   *   vlen-utf8 chunks (trailing NULs dropped). The bytes are decoded as UTF-8 when the whole
   *   variable is valid UTF-8, else as Latin-1 (one code point per byte, lossless). Reads back
   *   through zarrita and kerchunk/xarray.
   * - `"bytes"`: data type `fixed_length_bytes:<n>` referencing the bytes in place (numpy `|S<n>`
   *   in kerchunk output; zarrita 0.7 cannot decode this data type).
   */
  charArrays?: CharArrayMode;
  /** In `"string"` mode, refuse (UnsupportedFeatureError) char variables larger than this. Default 64 MiB. */
  maxStringBytes?: number;
}

const DEFAULT_INITIAL_HEADER_BYTES = 64 * 1024;
const DEFAULT_MAX_STRING_BYTES = 64 * 1024 * 1024;

const DATA_TYPES: Record<Exclude<NcTypeName, "char">, DataType> = {
  byte: "int8",
  short: "int16",
  int: "int32",
  float: "float32",
  double: "float64",
  ubyte: "uint8",
  ushort: "uint16",
  uint: "uint32",
  int64: "int64",
  uint64: "uint64",
};

/** netCDF default fill values (netcdf.h NC_FILL_*), used when a variable has no `_FillValue`. */
export const NETCDF_DEFAULT_FILL: Record<NcTypeName, number | bigint | string> = {
  byte: -127,
  char: "",
  short: -32767,
  int: -2147483647,
  float: Math.fround(9.969209968386869e36),
  double: 9.969209968386869e36,
  ubyte: 255,
  ushort: 65535,
  uint: 4294967295,
  int64: -9223372036854775806n,
  uint64: 18446744073709551614n,
};

function throwIfAborted(signal: AbortSignal | undefined, url: string): void {
  if (signal?.aborted) throw new AbortedError(`netCDF3 parse of ${url}: aborted`, { url, cause: signal.reason });
}

/** Reads and decodes the header with ranged reads, extending the first block as needed. */
export async function readHeader(
  url: string,
  reader: ObjectReader,
  options: { initialHeaderBytes?: number; signal?: AbortSignal } = {},
): Promise<{ header: Netcdf3Header; layout: RecordLayout; fileSize: number }> {
  const { size: fileSize } = await reader.head(url, options.signal ? { signal: options.signal } : undefined);
  const context = { url, fileSize };
  let length = Math.min(fileSize, Math.max(4, options.initialHeaderBytes ?? DEFAULT_INITIAL_HEADER_BYTES));
  let bytes = length > 0 ? await reader.getRange(url, 0, length, options.signal ? { signal: options.signal } : undefined) : new Uint8Array(0);
  for (;;) {
    throwIfAborted(options.signal, url);
    try {
      const header = decodeHeader(bytes, context);
      const layout = computeRecordLayout(header, context);
      return { header, layout, fileSize };
    } catch (error) {
      if (!(error instanceof NeedMoreBytes)) throw error;
      const next = Math.min(fileSize, Math.max(error.needed, bytes.length * 2));
      if (next <= bytes.length) {
        throw new ParseError(`netCDF3 header of ${url}: the header is longer than the file (${fileSize} bytes)`, { url, parser: "netcdf3" });
      }
      const more = await reader.getRange(url, bytes.length, next - bytes.length, options.signal ? { signal: options.signal } : undefined);
      const joined = new Uint8Array(next);
      joined.set(bytes, 0);
      joined.set(more, bytes.length);
      bytes = joined;
      length = next;
    }
  }
}

/** Attributes as JSON-able values (bigints kept when beyond 2^53). */
function attributesOf(attributes: Record<string, AttributeValue>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(attributes)) out[name] = Array.isArray(value) ? [...value] : value;
  return out;
}

const INTEGER_RANGES: Partial<Record<NcTypeName, [bigint, bigint]>> = {
  byte: [-128n, 127n],
  ubyte: [0n, 255n],
  short: [-32768n, 32767n],
  ushort: [0n, 65535n],
  int: [-2147483648n, 2147483647n],
  uint: [0n, 4294967295n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
};

/** Whether a `_FillValue` attribute value is a value of the variable's type (some files store NaN on integers). */
function fitsType(value: number | bigint, type: NcTypeName): boolean {
  const range = INTEGER_RANGES[type];
  if (!range) return true;
  if (typeof value === "number" && !Number.isInteger(value)) return false;
  const integer = BigInt(value);
  return integer >= range[0] && integer <= range[1];
}

/**
 * Zarr v3 fill value for a numeric type: `_FillValue`, else the netCDF default — also when
 * `_FillValue` is not a value of the variable's type (e.g. NaN on an int16; the attribute is kept).
 */
function fillValueFor(variable: Netcdf3Variable, url: string): unknown {
  const attribute = variable.attributes._FillValue;
  let value: unknown = NETCDF_DEFAULT_FILL[variable.type];
  if (attribute !== undefined) {
    const first = Array.isArray(attribute) ? attribute[0] : attribute;
    if (typeof first !== "number" && typeof first !== "bigint") {
      throw new ParseError(`${url}: variable "${variable.name}": _FillValue ${JSON.stringify(String(attribute))} is not a number`, {
        url,
        variable: variable.name,
        parser: "netcdf3",
      });
    }
    value = fitsType(first, variable.type) ? first : NETCDF_DEFAULT_FILL[variable.type];
  }
  if (typeof value === "number" && !Number.isFinite(value)) return Number.isNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity";
  if (typeof value === "number" && variable.type === "float") return Math.fround(value);
  return value;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });
const latin1 = new TextDecoder("latin1");

/**
 * "utf-8" when every string (each `width` bytes of the pieces, trailing NULs dropped) is valid
 * UTF-8, else "latin1" (each byte one code point, lossless) for the whole variable.
 */
function textEncodingOf(pieces: readonly Uint8Array[], width: number): "utf-8" | "latin1" {
  try {
    for (const piece of pieces) {
      for (let start = 0; start + width <= piece.length && width > 0; start += width) {
        const item = piece.subarray(start, start + width);
        strictUtf8.decode(item.subarray(0, trimmedLength(item)));
      }
    }
    return "utf-8";
  } catch {
    return "latin1";
  }
}

/** Splits raw char bytes into strings of `width` bytes each (trailing NULs dropped). */
function charsToStrings(raw: Uint8Array, width: number, encoding: "utf-8" | "latin1"): string[] {
  const count = width === 0 ? 0 : raw.length / width;
  const out = new Array<string>(count);
  for (let i = 0; i < count; i++) {
    const piece = raw.subarray(i * width, (i + 1) * width);
    out[i] = encoding === "utf-8" ? decodeText(piece) : latin1.decode(piece.subarray(0, trimmedLength(piece)));
  }
  return out;
}

function trimmedLength(piece: Uint8Array): number {
  let end = piece.length;
  while (end > 0 && piece[end - 1] === 0) end--;
  return end;
}

/** The netCDF3 parse of one file. */
export async function parseNetcdf3(
  url: string,
  reader: ObjectReader,
  options: Netcdf3ParserOptions = {},
  readOptions: ReadOptions = {},
): Promise<ManifestStore> {
  const signal = readOptions.signal;
  try {
    const { header, layout } = await readHeader(url, reader, {
      ...(options.initialHeaderBytes !== undefined ? { initialHeaderBytes: options.initialHeaderBytes } : {}),
      ...(signal ? { signal } : {}),
    });
    const charMode = options.charArrays ?? "chars";
    if (charMode !== "chars" && charMode !== "string" && charMode !== "bytes") {
      throw new ParseError(`netCDF3 parser: option charArrays must be "chars", "string" or "bytes", got ${JSON.stringify(charMode)}`, { url, parser: "netcdf3" });
    }
    const maxStringBytes = options.maxStringBytes ?? DEFAULT_MAX_STRING_BYTES;
    const arrays = new Map<string, ManifestArray>();
    const stackable = stackableDimensions(header);
    const records = new RecordBytes(url, reader, header, layout, signal);
    for (const variable of header.variables) {
      throwIfAborted(signal, url);
      const last = variable.dimensionIds[variable.dimensionIds.length - 1];
      const stacked = last !== undefined && stackable.has(last);
      const array =
        variable.type === "char"
          ? await charVariable(url, reader, records, header, layout, variable, stacked, charMode, maxStringBytes, signal)
          : numericVariable(url, header, layout, variable);
      arrays.set(variable.name, array);
    }
    const group = new ManifestGroup({ arrays, attributes: attributesOf(header.attributes) });
    return new ManifestStore(group, reader);
  } catch (error) {
    if (isVzError(error)) throw error;
    throw new ParseError(`netCDF3 parse of ${url} failed: ${(error as Error).message}`, { url, parser: "netcdf3", cause: error });
  }
}

/**
 * Dimensions that hold string lengths, by xarray's rule: no variable is named like the dimension,
 * and every variable using it is a char variable with it as its last dimension.
 */
export function stackableDimensions(header: Netcdf3Header): Set<number> {
  const stackable = new Set<number>();
  const variableNames = new Set(header.variables.map((v) => v.name));
  header.dimensions.forEach((dimension, id) => {
    if (variableNames.has(dimension.name)) return;
    const users = header.variables.filter((v) => v.dimensionIds.includes(id));
    if (users.length === 0) return;
    if (users.every((v) => v.type === "char" && v.dimensionIds[v.dimensionIds.length - 1] === id && v.dimensionIds.indexOf(id) === v.dimensionIds.length - 1)) {
      stackable.add(id);
    }
  });
  return stackable;
}

/** Largest record section read in one request to gather the records of char variables. */
const RECORD_SECTION_READ_LIMIT = 16 * 1024 * 1024;

/**
 * The bytes of each record of a record variable. When the whole record section is small it is
 * read once and shared by every char record variable (one request instead of one per record);
 * otherwise the records are read with `getRanges`.
 */
class RecordBytes {
  #section: Promise<{ start: number; bytes: Uint8Array } | undefined> | undefined;
  constructor(
    readonly url: string,
    readonly reader: ObjectReader,
    readonly header: Netcdf3Header,
    readonly layout: RecordLayout,
    readonly signal: AbortSignal | undefined,
  ) {}

  #readSection(): Promise<{ start: number; bytes: Uint8Array } | undefined> {
    this.#section ??= (async () => {
      const recordVariables = this.header.variables.filter((v) => v.isRecord);
      if (recordVariables.length === 0 || this.layout.numrecs === 0) return undefined;
      const start = Math.min(...recordVariables.map((v) => v.begin));
      // computeRecordLayout checked that every record lies inside the file
      const end = Math.max(...recordVariables.map((v) => v.begin + (this.layout.numrecs - 1) * this.layout.recordSize + v.byteLength));
      if (end - start > RECORD_SECTION_READ_LIMIT) return undefined;
      const bytes = await this.reader.getRange(this.url, start, end - start, this.signal ? { signal: this.signal } : undefined);
      return { start, bytes };
    })();
    return this.#section;
  }

  async read(variable: Netcdf3Variable): Promise<Uint8Array[]> {
    const { numrecs, recordSize } = this.layout;
    if (numrecs === 0) return [];
    const section = await this.#readSection();
    if (section) {
      return Array.from({ length: numrecs }, (_, r) => {
        const offset = variable.begin + r * recordSize - section.start;
        return section.bytes.subarray(offset, offset + variable.byteLength);
      });
    }
    const ranges = Array.from({ length: numrecs }, (_, r) => ({ offset: variable.begin + r * recordSize, length: variable.byteLength }));
    return this.reader.getRanges(this.url, ranges, this.signal ? { signal: this.signal } : undefined);
  }
}

function shapeOf(header: Netcdf3Header, variable: Netcdf3Variable): { shape: number[]; names: string[] } {
  const shape = variable.dimensionIds.map((id) => header.dimensions[id]!.length);
  const names = variable.dimensionIds.map((id) => header.dimensions[id]!.name);
  return { shape, names };
}

function numericVariable(url: string, header: Netcdf3Header, layout: RecordLayout, variable: Netcdf3Variable): ManifestArray {
  const { shape, names } = shapeOf(header, variable);
  const dataType = DATA_TYPES[variable.type as Exclude<NcTypeName, "char">];
  const chunkShape = variable.isRecord ? [1, ...shape.slice(1)] : [...shape];
  const metadata = createArrayMetadata({
    shape,
    dataType,
    chunkShape: chunkShape.map((c) => Math.max(c, 1)),
    fillValue: fillValueFor(variable, url),
    codecs: [{ name: "bytes", configuration: { endian: "big" } }],
    attributes: attributesOf(variable.attributes),
    dimensionNames: names,
  });
  return new ManifestArray(metadata, buildManifest(url, layout, variable, shape.length, variable.byteLength), variable.name);
}

/** One chunk for a non-record variable; one per record for a record variable. */
function buildManifest(url: string, layout: RecordLayout, variable: Netcdf3Variable, rank: number, chunkBytes: number) {
  if (!variable.isRecord) {
    const builder = new ChunkManifestBuilder(new Array<number>(rank).fill(1));
    builder.set(new Array<number>(rank).fill(0), url, variable.begin, chunkBytes);
    return builder.build();
  }
  const grid = [layout.numrecs, ...new Array<number>(rank - 1).fill(1)];
  const builder = new ChunkManifestBuilder(grid);
  const id = builder.urlId(url);
  for (let record = 0; record < layout.numrecs; record++) {
    builder.setById(record, id, variable.begin + record * layout.recordSize, chunkBytes);
  }
  return builder.build();
}

/**
 * The fill character of a char variable: an ASCII `_FillValue`, else netCDF's NUL (""). netCDF3
 * stores every element, so it only shows for readers of a file written without all its data.
 */
function charFillValue(variable: Netcdf3Variable): string {
  const attribute = variable.attributes._FillValue;
  if (typeof attribute !== "string" || attribute.length === 0) return "";
  const code = attribute.charCodeAt(0);
  return code > 0 && code < 0x80 ? attribute[0]! : "";
}

async function charVariable(
  url: string,
  reader: ObjectReader,
  records: RecordBytes,
  header: Netcdf3Header,
  layout: RecordLayout,
  variable: Netcdf3Variable,
  stacked: boolean,
  mode: CharArrayMode,
  maxStringBytes: number,
  signal: AbortSignal | undefined,
): Promise<ManifestArray> {
  const { shape: charShape, names: charNames } = shapeOf(header, variable);
  const attributes = attributesOf(variable.attributes);
  if (mode === "chars") {
    // the characters as stored: one byte per element, every dimension kept
    const chunkShape = variable.isRecord ? [1, ...charShape.slice(1)] : [...charShape];
    const metadata = createArrayMetadata({
      shape: charShape,
      dataType: "fixed_length_bytes:1",
      chunkShape: chunkShape.map((c) => Math.max(c, 1)),
      fillValue: charFillValue(variable),
      codecs: [{ name: "bytes" }],
      attributes,
      dimensionNames: charNames,
    });
    return new ManifestArray(metadata, buildManifest(url, layout, variable, charShape.length, variable.byteLength), variable.name);
  }
  // Stacked: the last dimension is the string length. Otherwise (and for 0-d char variables)
  // every character is a string of its own, as netCDF4-python and xarray show them.
  const width = stacked ? charShape[charShape.length - 1]! : 1;
  const shape = stacked ? charShape.slice(0, -1) : charShape;
  const names = stacked ? charNames.slice(0, -1) : charNames;
  const lastIsRecord = stacked && variable.isRecord && charShape.length === 1;
  const readOptions = signal ? { signal } : undefined;

  if (mode === "bytes" && !lastIsRecord && width > 0) {
    const chunkShape = variable.isRecord ? [1, ...shape.slice(1)] : [...shape];
    const metadata = createArrayMetadata({
      shape,
      dataType: `fixed_length_bytes:${width}`,
      chunkShape,
      fillValue: "",
      codecs: [{ name: "bytes" }],
      attributes,
      dimensionNames: names,
    });
    return new ManifestArray(metadata, buildManifest(url, layout, variable, shape.length, variable.byteLength), variable.name);
  }

  const totalBytes = lastIsRecord ? layout.numrecs * variable.byteLength : variable.isRecord ? layout.numrecs * variable.byteLength : variable.byteLength;
  if (totalBytes > maxStringBytes) {
    throw new UnsupportedFeatureError(
      "large-char-array",
      `${url}: char variable "${variable.name}" holds ${totalBytes} bytes, more than maxStringBytes (${maxStringBytes}); ` +
        `raise maxStringBytes or use the option charArrays: "bytes" to reference it in place`,
      { url, variable: variable.name },
    );
  }
  const codecs = [{ name: "vlen-utf8" }];
  if (!variable.isRecord || lastIsRecord) {
    // One inlined chunk: all the strings of the variable.
    let raw: Uint8Array;
    if (lastIsRecord) {
      const pieces = await records.read(variable);
      raw = new Uint8Array(totalBytes);
      pieces.forEach((piece, r) => raw.set(piece, r * variable.byteLength));
    } else {
      raw = totalBytes > 0 ? await reader.getRange(url, variable.begin, totalBytes, readOptions) : new Uint8Array(0);
    }
    const stringWidth = lastIsRecord ? raw.length : width;
    const strings = charsToStrings(raw, stringWidth, textEncodingOf([raw], stringWidth));
    const metadata = createArrayMetadata({
      shape,
      dataType: "string",
      chunkShape: shape.map((s) => Math.max(s, 1)),
      fillValue: "",
      codecs,
      attributes,
      dimensionNames: names,
    });
    const builder = new ChunkManifestBuilder(new Array<number>(shape.length).fill(1));
    if (strings.length > 0 || shape.length === 0) builder.setInlined(new Array<number>(shape.length).fill(0), encodeVlenUtf8(strings.length > 0 ? strings : [""]));
    return new ManifestArray(metadata, builder.build(), variable.name);
  }
  // Record char variable: one inlined chunk per record.
  const pieces = await records.read(variable);
  const metadata = createArrayMetadata({
    shape,
    dataType: "string",
    chunkShape: [1, ...shape.slice(1)],
    fillValue: "",
    codecs,
    attributes,
    dimensionNames: names,
  });
  const builder = new ChunkManifestBuilder([layout.numrecs, ...new Array<number>(shape.length - 1).fill(1)]);
  const encoding = textEncodingOf(pieces, width);
  pieces.forEach((piece, record) => builder.setInlined(record, encodeVlenUtf8(charsToStrings(piece, width, encoding))));
  return new ManifestArray(metadata, builder.build(), variable.name);
}

/** Decodes big-endian numbers (exposed for tests and tools). */
export { decodeNumbers, NC_TYPE_SIZE };
