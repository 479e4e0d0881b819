/**
 * @vz/parser-netcdf3 — virtualize netCDF3 files (CDF-1 classic, CDF-2 64-bit offset, CDF-5
 * 64-bit data) by reading only their header. Built on the public API of `@vz/core`, the way a
 * third-party parser package is.
 *
 * The default export is the `netcdf3` {@link ParserPlugin}; `createNetcdf3Parser(options)` makes a
 * {@link Parser} directly.
 * @example
 * ```ts
 * import { openVirtualDataset } from "@vz/core";
 * import { FileReader, toUrl } from "@vz/core/node";
 * import netcdf3 from "@vz/parser-netcdf3";
 * const vds = await openVirtualDataset(toUrl("air.nc"), { parser: netcdf3, reader: new FileReader() });
 * ```
 * @module
 */
import type { Parser, ParserPlugin } from "@vz/core";
import { isNetcdf3Magic } from "./header.js";
import { parseNetcdf3, type Netcdf3ParserOptions } from "./netcdf3-parser.js";

export { decodeHeader, computeRecordLayout, isNetcdf3Magic, NC_TYPE, NC_TYPE_SIZE, STREAMING_NUMRECS } from "./header.js";
export type { AttributeValue, Netcdf3Dimension, Netcdf3Header, Netcdf3Variable, NcTypeName, RecordLayout } from "./header.js";
export { NETCDF_DEFAULT_FILL, parseNetcdf3, readHeader } from "./netcdf3-parser.js";
export type { CharArrayMode, Netcdf3ParserOptions } from "./netcdf3-parser.js";

/**
 * Makes a netCDF3 parser.
 * @example
 * ```ts
 * const parse = createNetcdf3Parser({ charArrays: "string" });
 * const store = await parse("file:///data/air.nc", new FileReader());
 * ```
 */
export function createNetcdf3Parser(options: Netcdf3ParserOptions = {}): Parser {
  return (url, reader, readOptions) => parseNetcdf3(url, reader, options, readOptions);
}

/** True when `head` starts with `CDF\x01`, `CDF\x02` or `CDF\x05`. */
export function sniffNetcdf3(head: Uint8Array): boolean {
  return isNetcdf3Magic(head);
}

/** The `netcdf3` parser plugin. */
export const netcdf3Plugin: ParserPlugin<Netcdf3ParserOptions> = {
  name: "netcdf3",
  description: "netCDF3 files (CDF-1 classic, CDF-2 64-bit offset, CDF-5): one chunk per variable or per record, referenced in place",
  extensions: ["nc", "cdf", "nc3"],
  sniff: sniffNetcdf3,
  create: createNetcdf3Parser,
};

export default netcdf3Plugin;
