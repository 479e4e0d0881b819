/**
 * The TIFF parser: walks the IFDs, turns each image (full resolution, overviews, masks, pages)
 * into a ManifestArray whose chunks are the IFD's tiles or strips, and adds GeoTIFF coordinates
 * and attributes.
 * @module
 */
import {
  ChunkManifestBuilder,
  createArrayMetadata,
  InvalidArgumentError,
  isVzError,
  ManifestArray,
  ManifestGroup,
  ManifestStore,
  ParseError,
  UnsupportedFeatureError,
  type CodecMetadata,
  type DataType,
  type ObjectReader,
  type ReadOptions,
  type VzError,
} from "@vz/core";
import { ByteSource } from "./byte-source.js";
import { addTiffCodecs } from "./codecs/register.js";
import { decodeGeoKeys, epsgCode, geoTransform, parseNodata, pixelCenters } from "./geo-metadata.js";
import { readTagValues, readTiffStructure, TAG, type Ifd, type TagValue, type TiffStructure } from "./tiff-structure.js";

/** Options of {@link createTiffParser}. */
export interface TiffParserOptions {
  /** Indexes of the IFDs to virtualize (default: all). */
  ifds?: number[];
  /**
   * What to do with an IFD that cannot be virtualized (1-bit image, unsupported compression ...):
   * "raise" throws its UnsupportedFeatureError; "skip" leaves it out and records the error in
   * `ManifestStore.diagnostics`. Default: "raise", as every vz parser (GDAL writes 1-bit masks,
   * which Zarr cannot express, into many COGs: pass "skip", or `ifds`, to leave them out). When no
   * IFD at all can be virtualized the first error is thrown either way.
   */
  onUnsupported?: "raise" | "skip";
  /** Bytes read speculatively from the start of the file (default 16 KiB). */
  headerRead?: number;
}

const COMPRESSION_NAMES: Record<number, string> = {
  1: "none",
  2: "CCITT RLE",
  3: "CCITT Group 3",
  4: "CCITT Group 4",
  5: "LZW",
  6: "old-style JPEG",
  7: "JPEG",
  8: "deflate",
  32773: "PackBits",
  32946: "deflate (pre-standard)",
  34676: "SGILOG",
  34712: "JPEG 2000",
  34887: "LERC",
  34925: "LZMA",
  50000: "ZSTD",
  50001: "WEBP",
  50002: "JPEG XL",
};

const PHOTOMETRIC_NAMES: Record<number, string> = {
  0: "miniswhite",
  1: "minisblack",
  2: "rgb",
  3: "palette",
  4: "mask",
  5: "separated",
  6: "ycbcr",
  8: "cielab",
};

const NEEDED_TAGS = [
  TAG.NewSubfileType,
  TAG.ImageWidth,
  TAG.ImageLength,
  TAG.BitsPerSample,
  TAG.Compression,
  TAG.PhotometricInterpretation,
  TAG.ImageDescription,
  TAG.StripOffsets,
  TAG.SamplesPerPixel,
  TAG.RowsPerStrip,
  TAG.StripByteCounts,
  TAG.PlanarConfiguration,
  TAG.Software,
  TAG.DateTime,
  TAG.Predictor,
  TAG.ColorMap,
  TAG.TileWidth,
  TAG.TileLength,
  TAG.TileOffsets,
  TAG.TileByteCounts,
  TAG.ExtraSamples,
  TAG.SampleFormat,
  TAG.JPEGTables,
  TAG.YCbCrSubSampling,
  TAG.ImageDepth,
  TAG.ModelPixelScale,
  TAG.ModelTiepoint,
  TAG.ModelTransformation,
  TAG.GeoKeyDirectory,
  TAG.GeoDoubleParams,
  TAG.GeoAsciiParams,
  TAG.GdalMetadata,
  TAG.GdalNodata,
];

/**
 * Informational tags are read only up to these sizes (bytes), so that e.g. a multi-megabyte
 * OME-XML ImageDescription or a 16-bit palette does not cost a large read; larger ones are left out.
 */
const INFORMATIONAL_TAG_LIMITS: ReadonlyMap<number, number> = new Map([
  [TAG.ImageDescription, 64 * 1024],
  [TAG.Software, 4 * 1024],
  [TAG.DateTime, 64],
  [TAG.ColorMap, 3 * 256 * 2],
  [TAG.GdalMetadata, 1024 * 1024],
]);

/** The tags of `ifd` to read: every needed tag, informational ones only below their size limit. */
function tagsToRead(ifd: Ifd): number[] {
  return NEEDED_TAGS.filter((tag) => {
    const entry = ifd.entries.get(tag);
    if (!entry) return false;
    const limit = INFORMATIONAL_TAG_LIMITS.get(tag);
    return limit === undefined || entry.byteLength <= limit;
  });
}

/** Facts about one IFD needed to build its array. */
interface ImageInfo {
  ifd: Ifd;
  width: number;
  height: number;
  samples: number;
  dataType: DataType;
  itemSize: number;
  compression: number;
  predictor: number;
  planar: 1 | 2;
  photometric: number | undefined;
  subfileType: number;
  tiled: boolean;
  chunkHeight: number;
  chunkWidth: number;
  offsets: number[];
  byteCounts: number[];
  values: Map<number, TagValue>;
}

function numbers(value: TagValue | undefined): number[] | undefined {
  return Array.isArray(value) ? value : undefined;
}

function first(value: TagValue | undefined): number | undefined {
  return Array.isArray(value) ? value[0] : undefined;
}

function text(value: TagValue | undefined): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]!);
  return btoa(binary);
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

function dataTypeOf(sampleFormat: number, bits: number): DataType | undefined {
  if (sampleFormat === 1 || sampleFormat === 4) {
    return ({ 8: "uint8", 16: "uint16", 32: "uint32", 64: "uint64" } as const)[bits as 8];
  }
  if (sampleFormat === 2) return ({ 8: "int8", 16: "int16", 32: "int32", 64: "int64" } as const)[bits as 8];
  if (sampleFormat === 3) return ({ 32: "float32", 64: "float64" } as const)[bits as 32];
  return undefined;
}

const NUMPY_CODE: Record<string, string> = {
  uint8: "u1",
  uint16: "u2",
  uint32: "u4",
  uint64: "u8",
  int8: "i1",
  int16: "i2",
  int32: "i4",
  int64: "i8",
  float32: "f4",
  float64: "f8",
};

function numpyDtype(dataType: DataType, little: boolean): string {
  const code = NUMPY_CODE[dataType]!;
  return code.endsWith("1") ? `|${code}` : `${little ? "<" : ">"}${code}`;
}

/** Reads the facts of one IFD, throwing UnsupportedFeatureError for what vz cannot express. */
function describeImage(url: string, ifd: Ifd, values: Map<number, TagValue>): ImageInfo {
  const where = `TIFF ${url}: IFD ${ifd.index}`;
  const variable = String(ifd.index);
  const unsupported = (feature: string, reason: string): never => {
    throw new UnsupportedFeatureError(feature, `${where}: ${reason}`, { url, variable });
  };
  const invalid = (reason: string): never => {
    throw new ParseError(`${where}: ${reason}`, { url, variable, parser: "tiff" });
  };
  const width = first(values.get(TAG.ImageWidth));
  const height = first(values.get(TAG.ImageLength));
  if (width === undefined || height === undefined) return invalid("ImageWidth or ImageLength is missing");
  if (!Number.isSafeInteger(width) || !Number.isSafeInteger(height) || width < 1 || height < 1) {
    return invalid(`invalid image size ${width} x ${height}`);
  }
  const depth = first(values.get(TAG.ImageDepth)) ?? 1;
  if (depth > 1) unsupported("tiff-image-depth", `ImageDepth ${depth} (SGI volume) is not supported`);
  const samples = first(values.get(TAG.SamplesPerPixel)) ?? 1;
  if (!Number.isSafeInteger(samples) || samples < 1) invalid(`invalid SamplesPerPixel ${samples}`);
  const bitsList = numbers(values.get(TAG.BitsPerSample)) ?? [1];
  const bits = bitsList[0]!;
  if (bitsList.some((b) => b !== bits)) {
    unsupported("tiff-mixed-bit-depth", `samples have different bit depths (${bitsList.join(", ")}); Zarr needs one data type`);
  }
  const formats = numbers(values.get(TAG.SampleFormat)) ?? [1];
  const sampleFormat = formats[0]!;
  if (formats.some((f) => f !== sampleFormat)) unsupported("tiff-mixed-sample-format", `samples have different SampleFormats (${formats.join(", ")})`);
  const dataType = dataTypeOf(sampleFormat, bits);
  if (!dataType) {
    const kind = ({ 1: "unsigned integer", 2: "signed integer", 3: "floating point", 4: "undefined", 5: "complex integer", 6: "complex float" } as Record<number, string>)[sampleFormat] ?? `SampleFormat ${sampleFormat}`;
    unsupported("tiff-bit-depth", `${bits}-bit ${kind} samples have no Zarr data type (supported: 8/16/32/64-bit integers, 32/64-bit floats)`);
  }
  const compression = first(values.get(TAG.Compression)) ?? 1;
  if (![1, 5, 7, 8, 32773, 32946, 50000].includes(compression)) {
    unsupported("tiff-compression", `compression ${compression} (${COMPRESSION_NAMES[compression] ?? "unknown"}) has no decoder in vz`);
  }
  const photometric = first(values.get(TAG.PhotometricInterpretation));
  if (compression === 7) {
    if (bits !== 8) unsupported("tiff-jpeg-bit-depth", `${bits}-bit JPEG is not supported (only 8-bit)`);
  } else if (photometric === 6) {
    unsupported("tiff-ycbcr", "YCbCr data without JPEG compression (chroma-subsampled layout) is not supported");
  }
  const predictor = first(values.get(TAG.Predictor)) ?? 1;
  if (predictor === 2 && sampleFormat === 3) unsupported("tiff-predictor", "horizontal predictor (2) on floating-point samples is not supported");
  if (predictor === 3 && sampleFormat !== 3) unsupported("tiff-predictor", "floating-point predictor (3) on integer samples");
  if (![1, 2, 3].includes(predictor)) unsupported("tiff-predictor", `predictor ${predictor} is not supported`);
  if (predictor !== 1 && compression === 7) unsupported("tiff-predictor", "a predictor combined with JPEG compression");
  const planarValue = first(values.get(TAG.PlanarConfiguration)) ?? 1;
  if (planarValue !== 1 && planarValue !== 2) invalid(`invalid PlanarConfiguration ${planarValue}`);
  const planar: 1 | 2 = samples > 1 && planarValue === 2 ? 2 : 1;
  const tiled = values.has(TAG.TileOffsets) || values.has(TAG.TileWidth);
  let chunkHeight: number;
  let chunkWidth: number;
  let offsets: number[] | undefined;
  let byteCounts: number[] | undefined;
  if (tiled) {
    chunkWidth = first(values.get(TAG.TileWidth)) ?? 0;
    chunkHeight = first(values.get(TAG.TileLength)) ?? 0;
    if (chunkWidth < 1 || chunkHeight < 1) invalid(`invalid tile size ${chunkWidth} x ${chunkHeight}`);
    offsets = numbers(values.get(TAG.TileOffsets));
    byteCounts = numbers(values.get(TAG.TileByteCounts));
  } else {
    chunkWidth = width;
    const rows = first(values.get(TAG.RowsPerStrip)) ?? height;
    chunkHeight = Math.min(rows < 1 ? height : rows, height);
    offsets = numbers(values.get(TAG.StripOffsets));
    byteCounts = numbers(values.get(TAG.StripByteCounts));
  }
  if (!offsets) return invalid(`${tiled ? "TileOffsets" : "StripOffsets"} is missing`);
  if (!byteCounts) return invalid(`${tiled ? "TileByteCounts" : "StripByteCounts"} is missing`);
  const perPlane = Math.ceil(height / chunkHeight) * Math.ceil(width / chunkWidth);
  const expected = perPlane * (planar === 2 ? samples : 1);
  if (offsets.length !== expected || byteCounts.length !== expected) {
    invalid(
      `expected ${expected} ${tiled ? "tiles" : "strips"} for a ${width} x ${height} image, but there are ${offsets.length} offsets and ${byteCounts.length} byte counts`,
    );
  }
  return {
    ifd,
    width,
    height,
    samples,
    dataType: dataType!,
    itemSize: bits / 8,
    compression,
    predictor,
    planar,
    photometric,
    subfileType: first(values.get(TAG.NewSubfileType)) ?? 0,
    tiled,
    chunkHeight,
    chunkWidth,
    offsets,
    byteCounts,
    values,
  };
}

/** The kind of image an IFD holds, from NewSubfileType (TIFF 6.0 section 8). */
function imageKind(subfileType: number, photometric: number | undefined): string {
  if (subfileType & 4 || photometric === 4) return "mask";
  if (subfileType & 1) return "overview";
  if (subfileType & 2) return "page";
  return "image";
}

/** Names tifffile gives other photometric interpretations in `colorspace_data` (its PHOTOMETRIC enum). */
const PHOTOMETRIC_ENUM_NAMES: Record<number, string> = {
  4: "MASK",
  8: "CIELAB",
  9: "ICCLAB",
  10: "ITULAB",
  32803: "CFA",
  32844: "LOGL",
  32845: "LOGLUV",
  34892: "LINEAR_RAW",
};

/**
 * `colorspace_jpeg` / `colorspace_data` of the `imagecodecs_jpeg` configuration, as tifffile's
 * `jpeg_decode_colorspace` sets them (libjpeg J_COLOR_SPACE numbers: 1 gray, 2 RGB, 3 YCbCr, 4 CMYK):
 * - extra samples (RGBA, ...): neither is set;
 * - YCbCr (6): decode to RGB (2);
 * - RGB (2): decode to RGB; when the stream has no JFIF marker the JPEG colour space is forced to
 *   RGB too (libjpeg would otherwise assume YCbCr and convert, e.g. Aperio SVS, Olympus SIS);
 * - CMYK (5): decode to CMYK (4); other photometrics above 3 by name;
 * - planar-separate: every plane decodes as grayscale (1).
 */
export function jpegColorspaces(
  photometric: number,
  planar: 1 | 2,
  extraSamples: readonly number[],
  jfif: boolean,
): { colorspaceJpeg: number | null; colorspaceData: number | string | null } {
  let colorspaceJpeg: number | null = null;
  let colorspaceData: number | string | null = null;
  if (extraSamples.length > 0) {
    // as tifffile: leave both to the decoder
  } else if (photometric === 6) colorspaceData = 2;
  else if (photometric === 2) {
    if (!jfif) colorspaceJpeg = 2;
    colorspaceData = 2;
  } else if (photometric === 5) colorspaceData = 4;
  else if (photometric > 3) colorspaceData = PHOTOMETRIC_ENUM_NAMES[photometric] ?? null;
  if (planar !== 1) colorspaceData = 1;
  return { colorspaceJpeg, colorspaceData };
}

/** Whether the JPEG stream at the start of a strip/tile carries a JFIF APP0 marker (the bytes tifffile's `is_jfif` checks). */
function isJfif(head: Uint8Array | undefined): boolean {
  return head !== undefined && head.length >= 4 && head[0] === 0x4a && head[1] === 0x46 && head[2] === 0x49 && head[3] === 0x46;
}

/** Builds the ManifestArray of one IFD. */
function buildArray(
  url: string,
  info: ImageInfo,
  little: boolean,
  fileSize: number,
  dims: { y: string; x: string; band: string },
  nodata: number | undefined,
  jfif: boolean,
): ManifestArray {
  const { width, height, samples, planar, chunkHeight, chunkWidth, itemSize, compression, dataType } = info;
  const variable = String(info.ifd.index);
  const chunky = planar === 1;
  const hasBand = samples > 1;
  const uncompressed = compression === 1;
  const rowValues = chunkWidth * (chunky ? samples : 1);
  const rowBytes = rowValues * itemSize;
  // An uncompressed striped image whose last strip is short is split into chunks of
  // gcd(RowsPerStrip, height) rows: every chunk is then complete, with no padding codec.
  // (When every last strip is stored whole, as some writers do, strips stay whole chunks.)
  let rowsPerChunk = chunkHeight;
  if (uncompressed && !info.tiled && height % chunkHeight !== 0) {
    const fullStripBytes = rowBytes * chunkHeight;
    if (info.byteCounts.some((count) => count !== 0 && count < fullStripBytes)) rowsPerChunk = gcd(chunkHeight, height);
  }
  const split = chunkHeight / rowsPerChunk;
  const across = Math.ceil(width / chunkWidth);
  const down = Math.ceil(height / chunkHeight);
  const chunkDown = Math.ceil(height / rowsPerChunk);
  const gridShape = hasBand ? (chunky ? [chunkDown, across, 1] : [samples, chunkDown, across]) : [chunkDown, across];
  const shape = hasBand ? (chunky ? [height, width, samples] : [samples, height, width]) : [height, width];
  const chunkShape = hasBand ? (chunky ? [rowsPerChunk, chunkWidth, samples] : [1, rowsPerChunk, chunkWidth]) : [rowsPerChunk, chunkWidth];
  const builder = new ChunkManifestBuilder(gridShape);
  const urlId = builder.urlId(url);
  const planes = chunky ? 1 : samples;
  const fullChunkBytes = rowBytes * chunkHeight;
  for (let plane = 0; plane < planes; plane++) {
    for (let row = 0; row < down; row++) {
      for (let col = 0; col < across; col++) {
        const strile = plane * down * across + row * across + col;
        const offset = info.offsets[strile]!;
        const count = info.byteCounts[strile]!;
        if (count === 0 || offset === 0) continue; // sparse: reads as the fill value
        if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(count) || offset + count > fileSize) {
          throw new ParseError(
            `TIFF ${url}: IFD ${info.ifd.index} ${info.tiled ? "tile" : "strip"} ${strile} (${count} bytes at ${offset}) lies outside the file (${fileSize} bytes)`,
            { url, variable, parser: "tiff" },
          );
        }
        for (let part = 0; part < split; part++) {
          const chunkRow = row * split + part;
          if (chunkRow >= chunkDown) break;
          let chunkOffset = offset;
          let length = count;
          if (uncompressed) {
            // tiles are stored whole; strips are cut into chunks of rowsPerChunk complete rows
            const start = info.tiled ? 0 : part * rowsPerChunk * rowBytes;
            length = info.tiled ? fullChunkBytes : rowsPerChunk * rowBytes;
            if (start + length > count) {
              throw new ParseError(
                `TIFF ${url}: IFD ${info.ifd.index} uncompressed ${info.tiled ? "tile" : "strip"} ${strile} has ${count} bytes, ${start + length} needed`,
                { url, variable, parser: "tiff" },
              );
            }
            chunkOffset = offset + start;
          }
          const coords = hasBand ? (chunky ? [chunkRow, col, 0] : [plane, chunkRow, col]) : [chunkRow, col];
          let index = 0;
          for (let d = 0; d < coords.length; d++) index = index * gridShape[d]! + coords[d]!;
          builder.setById(index, urlId, chunkOffset, length);
        }
      }
    }
  }
  const codecs: CodecMetadata[] = [{ name: "bytes", configuration: { endian: little ? "little" : "big" } }];
  if (!uncompressed && !info.tiled && height % chunkHeight !== 0) {
    // the last strip decodes to fewer rows than a chunk holds (see codecs/zero-pad.ts)
    codecs.push({ name: "vz_zero_pad", configuration: { nbytes: chunkShape.reduce((a, b) => a * b, 1) * itemSize } });
  }
  if (info.predictor === 2 || info.predictor === 3) {
    codecs.push({
      name: info.predictor === 2 ? "imagecodecs_delta" : "imagecodecs_floatpred",
      configuration: { axis: hasBand && chunky ? -2 : -1, dist: 1, dtype: numpyDtype(dataType, little), shape: chunkShape },
    });
  }
  switch (compression) {
    case 5:
      codecs.push({ name: "imagecodecs_lzw" });
      break;
    case 8:
    case 32946:
      codecs.push({ name: "numcodecs.zlib", configuration: { level: 6 } });
      break;
    case 32773:
      codecs.push({ name: "imagecodecs_packbits" });
      break;
    case 50000:
      codecs.push({ name: "numcodecs.zstd", configuration: { level: 0 } });
      break;
    case 7: {
      const tables = info.values.get(TAG.JPEGTables);
      const { colorspaceJpeg, colorspaceData } = jpegColorspaces(info.photometric ?? 1, info.planar, numbers(info.values.get(TAG.ExtraSamples)) ?? [], jfif);
      codecs.push({
        name: "imagecodecs_jpeg",
        configuration: {
          bitspersample: 8,
          colorspace_data: colorspaceData,
          colorspace_jpeg: colorspaceJpeg,
          header: null,
          tables: tables instanceof Uint8Array ? toBase64(tables) : null,
        },
      });
      break;
    }
    default:
      break;
  }
  const attributes: Record<string, unknown> = {
    tiff_ifd: info.ifd.index,
    tiff_kind: imageKind(info.subfileType, info.photometric),
    tiff_compression: COMPRESSION_NAMES[compression] ?? String(compression),
    tiff_layout: info.tiled ? "tiled" : "striped",
    tiff_planar_configuration: chunky ? "contig" : "separate",
  };
  if (info.tiled) attributes.tiff_tile_shape = [chunkHeight, chunkWidth];
  else attributes.tiff_rows_per_strip = chunkHeight;
  if (info.photometric !== undefined) attributes.tiff_photometric = PHOTOMETRIC_NAMES[info.photometric] ?? info.photometric;
  if (info.predictor !== 1) attributes.tiff_predictor = info.predictor;
  const extra = numbers(info.values.get(TAG.ExtraSamples));
  if (extra) attributes.tiff_extra_samples = extra;
  const colormap = numbers(info.values.get(TAG.ColorMap));
  // palettes of 8-bit images (768 values); a 16-bit palette (196608 values) is not even read
  if (colormap) attributes.tiff_colormap = colormap;
  const description = text(info.values.get(TAG.ImageDescription));
  if (description) attributes.tiff_image_description = description;
  const gdalMetadata = text(info.values.get(TAG.GdalMetadata));
  if (gdalMetadata) attributes.GDAL_METADATA = gdalMetadata;
  const gdalNodata = text(info.values.get(TAG.GdalNodata));
  if (gdalNodata !== undefined) attributes.GDAL_NODATA = gdalNodata;
  let fillValue: number | undefined;
  if (nodata !== undefined) {
    if (dataType === "float32") fillValue = Math.fround(nodata);
    else if (dataType === "float64") fillValue = nodata;
    else if (Number.isInteger(nodata) && fillFits(dataType, nodata)) fillValue = nodata;
    if (fillValue !== undefined) attributes.nodata = fillValue;
  }
  const dimensionNames = hasBand ? (chunky ? [dims.y, dims.x, dims.band] : [dims.band, dims.y, dims.x]) : [dims.y, dims.x];
  const metadata = createArrayMetadata({
    shape,
    dataType,
    chunkShape,
    codecs,
    attributes,
    dimensionNames,
    ...(fillValue !== undefined ? { fillValue } : {}),
  });
  return new ManifestArray(metadata, builder.build(), variable);
}

function fillFits(dataType: DataType, value: number): boolean {
  const ranges: Record<string, [number, number]> = {
    uint8: [0, 255],
    uint16: [0, 65535],
    uint32: [0, 4294967295],
    uint64: [0, Number.MAX_SAFE_INTEGER],
    int8: [-128, 127],
    int16: [-32768, 32767],
    int32: [-2147483648, 2147483647],
    int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  };
  const range = ranges[dataType];
  return range !== undefined && value >= range[0] && value <= range[1];
}

/** A 1-d float64 coordinate array with its values inlined as one chunk. */
function coordinateArray(name: string, dim: string, values: Float64Array, attributes: Record<string, unknown>): ManifestArray {
  const metadata = createArrayMetadata({
    shape: [values.length],
    dataType: "float64",
    chunkShape: [Math.max(1, values.length)],
    fillValue: Number.NaN,
    attributes,
    dimensionNames: [dim],
  });
  const bytes = new Uint8Array(values.length * 8);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat64(i * 8, values[i]!, true);
  const builder = new ChunkManifestBuilder([1]);
  builder.setInlined([0], bytes);
  return new ManifestArray(metadata, builder.build(), name);
}

/**
 * Virtualizes one TIFF file. Layout of the returned store's root group:
 * - one array per IFD, named by the IFD's index ("0" full resolution, then overviews, masks,
 *   pages), dims (y, x[, band]) for pixel-interleaved and (band, y, x) for planar-separate images;
 *   IFDs of the same size as IFD 0 share its "y"/"x" dims, others get "y_<i>"/"x_<i>";
 * - for GeoTIFFs, float64 pixel-centre coordinates "x"/"y" (and "x_<i>"/"y_<i>") as loaded arrays;
 * - root attributes: TIFF facts, GeoKeys, CRS (EPSG), geotransform.
 */
export async function parseTiff(
  url: string,
  reader: ObjectReader,
  options: TiffParserOptions = {},
  readOptions: ReadOptions = {},
): Promise<ManifestStore> {
  addTiffCodecs();
  try {
    return await parseTiffInner(url, reader, options, readOptions);
  } catch (error) {
    if (isVzError(error)) throw error;
    throw new ParseError(`TIFF ${url}: ${(error as Error)?.message ?? String(error)}`, { url, parser: "tiff", cause: error });
  }
}

async function parseTiffInner(url: string, reader: ObjectReader, options: TiffParserOptions, readOptions: ReadOptions): Promise<ManifestStore> {
  const source = await ByteSource.open(url, reader, {
    ...(readOptions.signal ? { signal: readOptions.signal } : {}),
    ...(options.headerRead !== undefined ? { headerRead: options.headerRead } : {}),
  });
  const structure: TiffStructure = await readTiffStructure(source);
  let selected = structure.ifds;
  if (options.ifds) {
    for (const index of options.ifds) {
      if (!Number.isInteger(index) || index < 0 || index >= structure.ifds.length) {
        throw new InvalidArgumentError(`TIFF ${url}: option ifds asks for IFD ${index}, the file has ${structure.ifds.length} (0..${structure.ifds.length - 1})`, { url });
      }
    }
    selected = [...new Set(options.ifds)].sort((a, b) => a - b).map((i) => structure.ifds[i]!);
  }
  // fetch every out-of-line tag value of every selected IFD (and IFD 0 for geo tags) in one batch
  const ifdsToRead = selected.includes(structure.ifds[0]!) ? selected : [structure.ifds[0]!, ...selected];
  const ranges: { offset: number; length: number }[] = [];
  for (const ifd of ifdsToRead) {
    for (const tag of tagsToRead(ifd)) {
      const entry = ifd.entries.get(tag)!;
      if (entry.valueOffset + entry.byteLength <= source.size) ranges.push({ offset: entry.valueOffset, length: entry.byteLength });
    }
  }
  await source.prefetch(ranges, "tag values");
  const valuesByIfd = new Map<number, Map<number, TagValue>>();
  for (const ifd of ifdsToRead) valuesByIfd.set(ifd.index, await readTagValues(source, structure, ifd, tagsToRead(ifd)));

  const diagnostics: VzError[] = [];
  const infos: ImageInfo[] = [];
  for (const ifd of selected) {
    const values = valuesByIfd.get(ifd.index)!;
    try {
      infos.push(describeImage(url, ifd, values));
    } catch (error) {
      if (isVzError(error, "UNSUPPORTED") && options.onUnsupported === "skip") diagnostics.push(error);
      else throw error;
    }
  }
  if (infos.length === 0) throw diagnostics[0] ?? new ParseError(`TIFF ${url}: no IFD selected`, { url, parser: "tiff" });

  // GeoTIFF facts live in IFD 0
  const geoValues = valuesByIfd.get(0)!;
  const rootAttributes: Record<string, unknown> = {
    tiff_byte_order: structure.littleEndian ? "little" : "big",
    tiff_bigtiff: structure.bigTiff,
    tiff_ifd_count: structure.ifds.length,
  };
  const software = text(geoValues.get(TAG.Software));
  if (software) rootAttributes.tiff_software = software;
  const directory = numbers(geoValues.get(TAG.GeoKeyDirectory));
  let transform: number[] | undefined;
  if (directory) {
    const keys = decodeGeoKeys(directory, numbers(geoValues.get(TAG.GeoDoubleParams)), text(geoValues.get(TAG.GeoAsciiParams)));
    rootAttributes.geotiff_keys = keys;
    const epsg = epsgCode(keys);
    if (epsg !== undefined) {
      rootAttributes.crs = `EPSG:${epsg}`;
      rootAttributes.epsg = epsg;
    }
    const rasterType = typeof keys.GTRasterTypeGeoKey === "number" ? keys.GTRasterTypeGeoKey : 1;
    rootAttributes.geotiff_raster_type = rasterType === 2 ? "PixelIsPoint" : "PixelIsArea";
  }
  const pixelScale = numbers(geoValues.get(TAG.ModelPixelScale));
  const tiepoint = numbers(geoValues.get(TAG.ModelTiepoint));
  const transformation = numbers(geoValues.get(TAG.ModelTransformation));
  if (pixelScale) rootAttributes.geotiff_model_pixel_scale = pixelScale;
  if (tiepoint) rootAttributes.geotiff_model_tiepoint = tiepoint;
  if (transformation) rootAttributes.geotiff_model_transformation = transformation;
  const keys = rootAttributes.geotiff_keys as Record<string, unknown> | undefined;
  transform = geoTransform({
    ...(pixelScale ? { pixelScale } : {}),
    ...(tiepoint ? { tiepoint } : {}),
    ...(transformation ? { transformation } : {}),
    ...(typeof keys?.GTRasterTypeGeoKey === "number" ? { rasterType: keys.GTRasterTypeGeoKey } : {}),
  });
  if (transform) {
    rootAttributes.geotransform = transform;
    rootAttributes.GeoTransform = transform.join(" ");
  }

  // JPEG RGB images: whether the first strip/tile starts with a JFIF marker decides the JPEG colour
  // space (as in tifffile); the 4 bytes come with the header read or in one more batched request
  const jfifRange = (info: ImageInfo): { offset: number; length: number } | undefined => {
    const needed = info.compression === 7 && info.photometric === 2 && !info.values.has(TAG.ExtraSamples);
    const offset = info.offsets[0] ?? 0;
    const count = info.byteCounts[0] ?? 0;
    return needed && offset !== 0 && count >= 11 && offset + 10 <= source.size ? { offset: offset + 6, length: 4 } : undefined;
  };
  const jfifRanges = infos.map(jfifRange).filter((r): r is { offset: number; length: number } => r !== undefined);
  await source.prefetch(jfifRanges, "JPEG stream header");
  const jfifOf = async (info: ImageInfo): Promise<boolean> => {
    const range = jfifRange(info);
    return range !== undefined && isJfif(await source.read(range.offset, range.length, "JPEG stream header"));
  };

  const fullWidth = first(geoValues.get(TAG.ImageWidth)) ?? 0;
  const fullHeight = first(geoValues.get(TAG.ImageLength)) ?? 0;
  const arrays = new Map<string, ManifestArray>();
  const coordinateNames = new Set<string>();
  let bandSamples: number | undefined;
  for (const info of infos) {
    const sameGrid = info.width === fullWidth && info.height === fullHeight;
    const suffix = sameGrid ? "" : `_${info.ifd.index}`;
    if (info.samples > 1) bandSamples ??= info.samples;
    const dims = { y: `y${suffix}`, x: `x${suffix}`, band: info.samples === bandSamples ? "band" : `band_${info.ifd.index}` };
    const gdalNodata = text(info.values.get(TAG.GdalNodata)) ?? text(geoValues.get(TAG.GdalNodata));
    const nodata = gdalNodata !== undefined ? parseNodata(gdalNodata) : undefined;
    arrays.set(String(info.ifd.index), buildArray(url, info, structure.littleEndian, source.size, dims, nodata, await jfifOf(info)));
    const rotated = transform !== undefined && (transform[2] !== 0 || transform[4] !== 0);
    // other pages of a multi-page file are unrelated images: no coordinates unless on IFD 0's grid
    const related = sameGrid || imageKind(info.subfileType, info.photometric) !== "page";
    if (transform && !rotated && related && !coordinateNames.has(dims.x)) {
      const scaled = [
        transform[0]!,
        (transform[1]! * fullWidth) / info.width,
        0,
        transform[3]!,
        0,
        (transform[5]! * fullHeight) / info.height,
      ];
      const { x, y } = pixelCenters(scaled, info.width, info.height);
      arrays.set(dims.x, coordinateArray(dims.x, dims.x, x, { axis: "X", long_name: "x coordinate of pixel centre" }));
      arrays.set(dims.y, coordinateArray(dims.y, dims.y, y, { axis: "Y", long_name: "y coordinate of pixel centre" }));
      coordinateNames.add(dims.x);
    }
  }
  return new ManifestStore(new ManifestGroup({ arrays, attributes: rootAttributes }), reader, { diagnostics });
}
