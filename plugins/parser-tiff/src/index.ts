/**
 * @vz/parser-tiff — virtualize TIFF, BigTIFF, GeoTIFF and COG files: every tile or strip of every
 * IFD becomes one chunk reference; GeoTIFF georeferencing becomes coordinates and attributes.
 * @module
 */
import { defineParserPlugin, type Parser, type ParserPlugin } from "@vz/core";
import { TIFF_CODECS } from "./codecs/register.js";
import { parseTiff, type TiffParserOptions } from "./parse-tiff.js";

export { jpegColorspaces, parseTiff } from "./parse-tiff.js";
export type { TiffParserOptions } from "./parse-tiff.js";
export { registerTiffCodecs, TIFF_CODEC_NAMES, TIFF_CODECS } from "./codecs/register.js";
export { decodeLzw } from "./codecs/lzw.js";
export { decodePackBits } from "./codecs/packbits.js";
export { undoFloatingPointPredictor, undoHorizontalDifferencing } from "./codecs/predictor.js";
export { ByteSource, DEFAULT_HEADER_READ } from "./byte-source.js";
export { decodeGeoKeys, epsgCode, geoTransform, parseNodata, pixelCenters } from "./geo-metadata.js";

/** File name extensions the TIFF parser claims. */
export const TIFF_EXTENSIONS = ["tif", "tiff", "cog", "gtiff"] as const;

/** True when `head` starts with a TIFF (II*\0, MM\0*) or BigTIFF (II+\0, MM\0+) signature. */
export function sniffTiff(head: Uint8Array): boolean {
  if (head.length < 4) return false;
  const [a, b, c, d] = [head[0], head[1], head[2], head[3]];
  if (a === 0x49 && b === 0x49) return (c === 0x2a || c === 0x2b) && d === 0x00;
  if (a === 0x4d && b === 0x4d) return c === 0x00 && (d === 0x2a || d === 0x2b);
  return false;
}

/**
 * Creates the TIFF parser.
 * @example
 * import { createTiffParser } from "@vz/parser-tiff";
 * import { FileReader, toUrl } from "@vz/core/node";
 * const store = await createTiffParser()(toUrl("scene.tif"), new FileReader());
 * store.group.arrays.get("0")?.metadata.shape; // [height, width, bands]
 */
export function createTiffParser(options: TiffParserOptions = {}): Parser {
  return (url, reader, readOptions) => parseTiff(url, reader, options, readOptions ?? {});
}

/**
 * The plugin: `"virtualizarr": { "parsers": { "tiff": "./dist/index.js" }, "codecs": { "tiff": [...] } }`
 * in package.json (the codec list equals {@link TIFF_CODEC_NAMES}).
 */
const plugin: ParserPlugin<TiffParserOptions> = defineParserPlugin<TiffParserOptions>({
  name: "tiff",
  description: "TIFF, BigTIFF, GeoTIFF and Cloud-Optimized GeoTIFF (tiles and strips of every IFD; overviews and masks as arrays)",
  extensions: TIFF_EXTENSIONS,
  sniff: sniffTiff,
  create: (options) => createTiffParser(options ?? {}),
  // decoders of the chunks it describes, also used to read kerchunk/Icechunk references of TIFFs
  codecs: TIFF_CODECS,
});

export default plugin;
