/**
 * @vz/parser-zarr — virtual references to the chunks of an existing Zarr store (v2 or v3), so
 * that Zarr stores combine with netCDF/HDF5/TIFF files into one virtual dataset or one Icechunk
 * repository. Reads only metadata and a listing of the store; every stored chunk (or shard, for
 * sharded v3 arrays) becomes one reference to the whole object.
 *
 * The default export is the `zarr` {@link ParserPlugin}; `createZarrParser(options)` makes a
 * {@link Parser} directly. A Zarr store is a directory (or prefix), so there are no magic bytes:
 * the plugin is chosen by name (`--parser zarr`) or by a URL ending in `.zarr`.
 * @example
 * ```ts
 * import { openVirtualDataset } from "@vz/core";
 * import { FileReader, toUrl } from "@vz/core/node";
 * import zarrParser from "@vz/parser-zarr";
 * const vds = await openVirtualDataset(toUrl("air.zarr"), { parser: zarrParser, reader: new FileReader() });
 * ```
 * @module
 */
import type { Parser, ParserPlugin } from "@vz/core";
import { parseZarr, type ZarrParserOptions } from "./zarr-parser.js";

export { parseStoredChunkKey, storedChunkKey } from "./chunk-keys.js";
export type { ChunkKeyEncoding } from "./chunk-keys.js";
export { ARRAY_TO_ARRAY_FILTERS, convertV2Array, convertV3Array } from "./metadata.js";
export type { ConversionOptions, ConvertedArray, MetadataContext } from "./metadata.js";
export { parseZarr } from "./zarr-parser.js";
export type { ZarrParserOptions } from "./zarr-parser.js";

/**
 * Makes a Zarr store parser.
 * @example
 * ```ts
 * const parse = createZarrParser({ consolidated: false });
 * const store = await parse("s3://bucket/data.zarr", reader);
 * ```
 */
export function createZarrParser(options: ZarrParserOptions = {}): Parser {
  return (url, reader, readOptions) => parseZarr(url, reader, options, readOptions);
}

/** The `zarr` parser plugin. */
export const zarrPlugin: ParserPlugin<ZarrParserOptions> = {
  name: "zarr",
  description: "Zarr v2/v3 stores (directories or prefixes): one reference per stored chunk or shard, found by listing",
  extensions: ["zarr"],
  create: createZarrParser,
};

export default zarrPlugin;
