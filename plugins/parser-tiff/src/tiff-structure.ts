/**
 * The TIFF container: header, the chain of IFDs and their entries, for classic TIFF and BigTIFF in
 * either byte order. Entries are parsed without their values; values that do not fit inline are
 * fetched only when asked for (and several tags of one IFD in one coalesced request).
 * @module
 */
import { ParseError } from "@vz/core";
import { IFD_READ, type ByteSource } from "./byte-source.js";

/** Tag numbers this parser reads (TIFF 6.0, TIFF Technical Notes, GeoTIFF 1.1, GDAL). */
export const TAG = {
  NewSubfileType: 254,
  ImageWidth: 256,
  ImageLength: 257,
  BitsPerSample: 258,
  Compression: 259,
  PhotometricInterpretation: 262,
  ImageDescription: 270,
  StripOffsets: 273,
  SamplesPerPixel: 277,
  RowsPerStrip: 278,
  StripByteCounts: 279,
  PlanarConfiguration: 284,
  Software: 305,
  DateTime: 306,
  Predictor: 317,
  ColorMap: 320,
  TileWidth: 322,
  TileLength: 323,
  TileOffsets: 324,
  TileByteCounts: 325,
  SubIFDs: 330,
  ExtraSamples: 338,
  SampleFormat: 339,
  JPEGTables: 347,
  YCbCrSubSampling: 530,
  ImageDepth: 32997,
  ModelPixelScale: 33550,
  ModelTiepoint: 33922,
  ModelTransformation: 34264,
  GeoKeyDirectory: 34735,
  GeoDoubleParams: 34736,
  GeoAsciiParams: 34737,
  GdalMetadata: 42112,
  GdalNodata: 42113,
} as const;

/** Byte size of each TIFF field type. */
const TYPE_SIZE: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4, 16: 8, 17: 8, 18: 8 };

/** Upper bound on IFDs walked (guards against cycles and absurd files). */
const MAX_IFDS = 100_000;

/** One IFD entry, value not decoded yet. */
export interface IfdEntry {
  tag: number;
  type: number;
  count: number;
  /** Absolute file offset of the value (inline values: offset of the value field inside the entry). */
  valueOffset: number;
  byteLength: number;
}

/** One image file directory. */
export interface Ifd {
  index: number;
  offset: number;
  entries: Map<number, IfdEntry>;
}

/** Header facts plus the IFD chain. */
export interface TiffStructure {
  littleEndian: boolean;
  bigTiff: boolean;
  ifds: Ifd[];
}

function readUint(view: DataView, at: number, size: number, little: boolean): number {
  switch (size) {
    case 1:
      return view.getUint8(at);
    case 2:
      return view.getUint16(at, little);
    case 4:
      return view.getUint32(at, little);
    default: {
      const big = view.getBigUint64(at, little);
      if (big > BigInt(Number.MAX_SAFE_INTEGER)) return Number.NaN;
      return Number(big);
    }
  }
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Reads the header and walks the IFD chain (entries only). */
export async function readTiffStructure(source: ByteSource): Promise<TiffStructure> {
  const url = source.url;
  const fail = (reason: string): never => {
    throw new ParseError(`TIFF ${url}: ${reason}`, { url, parser: "tiff" });
  };
  if (source.size < 8) fail(`file has ${source.size} bytes, too short for a TIFF header`);
  const head = await source.read(0, Math.min(16, source.size), "header");
  const order = String.fromCharCode(head[0]!, head[1]!);
  if (order !== "II" && order !== "MM") fail(`not a TIFF file (byte order mark "${order}" is neither II nor MM)`);
  const little = order === "II";
  const view = viewOf(head);
  const version = view.getUint16(2, little);
  let bigTiff = false;
  let next: number;
  if (version === 42) {
    next = view.getUint32(4, little);
  } else if (version === 43) {
    bigTiff = true;
    if (head.length < 16) fail("BigTIFF header is truncated");
    const offsetSize = view.getUint16(4, little);
    if (offsetSize !== 8) fail(`BigTIFF header declares offset size ${offsetSize}, only 8 is defined`);
    next = readUint(view, 8, 8, little);
  } else {
    return fail(`not a TIFF file (version ${version}, expected 42 or 43)`);
  }
  const countSize = bigTiff ? 8 : 2;
  const entrySize = bigTiff ? 20 : 12;
  const offsetSize = bigTiff ? 8 : 4;
  const ifds: Ifd[] = [];
  const seen = new Set<number>();
  while (next !== 0) {
    if (!Number.isSafeInteger(next) || next < 8 || next >= source.size) {
      fail(`IFD ${ifds.length} offset ${next} lies outside the file (${source.size} bytes)`);
    }
    if (seen.has(next)) fail(`IFD chain loops back to offset ${next} after ${ifds.length} IFDs`);
    if (ifds.length >= MAX_IFDS) fail(`more than ${MAX_IFDS} IFDs`);
    seen.add(next);
    const countBytes = await source.readAhead(next, countSize, IFD_READ, `IFD ${ifds.length} entry count`);
    const count = readUint(viewOf(countBytes), 0, countSize, little);
    if (!Number.isSafeInteger(count) || count === 0 || count > 100_000) fail(`IFD ${ifds.length} at ${next} has an invalid entry count ${count}`);
    const body = await source.read(next + countSize, count * entrySize + offsetSize, `IFD ${ifds.length} entries`);
    const bodyView = viewOf(body);
    const entries = new Map<number, IfdEntry>();
    for (let i = 0; i < count; i++) {
      const at = i * entrySize;
      const tag = bodyView.getUint16(at, little);
      const type = bodyView.getUint16(at + 2, little);
      const valueCount = readUint(bodyView, at + 4, bigTiff ? 8 : 4, little);
      const size = TYPE_SIZE[type];
      if (size === undefined) continue; // unknown field types must be ignored (TIFF 6.0, section 2)
      const byteLength = valueCount * size;
      const valueField = at + (bigTiff ? 12 : 8);
      const valueOffset =
        byteLength <= offsetSize ? next + countSize + valueField : readUint(bodyView, valueField, offsetSize, little);
      if (!Number.isSafeInteger(byteLength) || !Number.isSafeInteger(valueOffset)) {
        fail(`IFD ${ifds.length} tag ${tag} has an invalid count or offset`);
      }
      entries.set(tag, { tag, type, count: valueCount, valueOffset, byteLength });
    }
    ifds.push({ index: ifds.length, offset: next, entries });
    next = readUint(bodyView, count * entrySize, offsetSize, little);
  }
  if (ifds.length === 0) fail("the file has no IFD");
  return { littleEndian: little, bigTiff, ifds };
}

/** Decoded tag value: numbers for numeric types, a string for ASCII, bytes for BYTE/UNDEFINED blobs. */
export type TagValue = number[] | string | Uint8Array;

/** Reads the values of `tags` of `ifd` (absent tags are left out), fetching out-of-line values in one batch. */
export async function readTagValues(
  source: ByteSource,
  structure: TiffStructure,
  ifd: Ifd,
  tags: readonly number[],
): Promise<Map<number, TagValue>> {
  const wanted = tags.map((t) => ifd.entries.get(t)).filter((e): e is IfdEntry => e !== undefined);
  for (const entry of wanted) {
    if (entry.valueOffset + entry.byteLength > source.size) {
      throw new ParseError(
        `TIFF ${source.url}: IFD ${ifd.index} tag ${entry.tag} value (${entry.byteLength} bytes at ${entry.valueOffset}) lies outside the file (${source.size} bytes)`,
        { url: source.url, parser: "tiff" },
      );
    }
  }
  await source.prefetch(
    wanted.map((e) => ({ offset: e.valueOffset, length: e.byteLength })),
    `IFD ${ifd.index} tag values`,
  );
  const result = new Map<number, TagValue>();
  for (const entry of wanted) {
    const bytes = await source.read(entry.valueOffset, entry.byteLength, `IFD ${ifd.index} tag ${entry.tag}`);
    result.set(entry.tag, decodeValue(entry, bytes, structure.littleEndian, source.url, ifd.index));
  }
  return result;
}

function decodeValue(entry: IfdEntry, bytes: Uint8Array, little: boolean, url: string, ifdIndex: number): TagValue {
  const { type, count } = entry;
  if (type === 2) {
    let end = bytes.indexOf(0);
    if (end < 0) end = bytes.length;
    return new TextDecoder("latin1").decode(bytes.subarray(0, end));
  }
  if (type === 7) return bytes.slice();
  const view = viewOf(bytes);
  const out = new Array<number>(count);
  const size = TYPE_SIZE[type]!;
  for (let i = 0; i < count; i++) {
    const at = i * size;
    switch (type) {
      case 1:
        out[i] = view.getUint8(at);
        break;
      case 6:
        out[i] = view.getInt8(at);
        break;
      case 3:
        out[i] = view.getUint16(at, little);
        break;
      case 8:
        out[i] = view.getInt16(at, little);
        break;
      case 4:
      case 13:
        out[i] = view.getUint32(at, little);
        break;
      case 9:
        out[i] = view.getInt32(at, little);
        break;
      case 5:
        out[i] = view.getUint32(at, little) / view.getUint32(at + 4, little);
        break;
      case 10:
        out[i] = view.getInt32(at, little) / view.getInt32(at + 4, little);
        break;
      case 11:
        out[i] = view.getFloat32(at, little);
        break;
      case 12:
        out[i] = view.getFloat64(at, little);
        break;
      case 16:
      case 18: {
        const value = view.getBigUint64(at, little);
        if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
          throw new ParseError(`TIFF ${url}: IFD ${ifdIndex} tag ${entry.tag} holds ${value}, beyond 2^53`, { url, parser: "tiff" });
        }
        out[i] = Number(value);
        break;
      }
      case 17: {
        const value = view.getBigInt64(at, little);
        out[i] = Number(value);
        break;
      }
      default:
        out[i] = Number.NaN;
    }
  }
  return out;
}
