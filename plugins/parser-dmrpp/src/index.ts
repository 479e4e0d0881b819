/**
 * @vz/parser-dmrpp — virtualize HDF5, netCDF-4 and HDF4 files from their DMR++ sidecar (OPeNDAP's
 * XML index listing every chunk's offset and length). One request reads the DMR++; the data file's
 * own metadata is never read. Built on the public API of `@vz/core`.
 *
 * The default export is the `dmrpp` {@link ParserPlugin}; `createDmrppParser(options)` makes a
 * {@link Parser} directly.
 * @example
 * ```ts
 * import { openVirtualDataset } from "@vz/core";
 * import { createDefaultReaders } from "@vz/core/node";
 * import dmrpp from "@vz/parser-dmrpp";
 * const vds = await openVirtualDataset("https://host/granule.h5.dmrpp", { parser: dmrpp, reader: createDefaultReaders() });
 * ```
 * @module
 */
import type { Parser, ParserPlugin } from "@vz/core";
import { parseDmrpp, sniffDmrpp, type DmrppParserOptions } from "./dmrpp-parser.js";

export {
  DAP4_NAMESPACE,
  DATA_ACCESS_URL_PLACEHOLDER,
  DEFAULT_DEFLATE_LEVEL,
  DMRPP_NAMESPACE,
  NC_FILL_DOUBLE,
  parseDmrpp,
  resolveHref,
  sniffDmrpp,
  splitFqn,
} from "./dmrpp-parser.js";
export type { ContainerAttributes, DmrppParserOptions } from "./dmrpp-parser.js";
export { parseXml, decodeXmlBytes, XmlError } from "./xml.js";
export type { XmlElement } from "./xml.js";

/**
 * Makes a DMR++ parser.
 * @example
 * ```ts
 * const parse = createDmrppParser({ dataUrl: "s3://bucket/granule.h5", onUnsupported: "skip" });
 * const store = await parse("https://host/granule.h5.dmrpp", reader);
 * ```
 */
export function createDmrppParser(options: DmrppParserOptions = {}): Parser {
  return (url, reader, readOptions) => parseDmrpp(url, reader, options, readOptions);
}

/** The `dmrpp` parser plugin. */
export const dmrppPlugin: ParserPlugin<DmrppParserOptions> = {
  name: "dmrpp",
  description: "DMR++ sidecars (OPeNDAP's XML chunk index of HDF5 / netCDF-4 / HDF4 files): one request for the XML, chunks referenced in the data file",
  extensions: ["dmrpp"],
  // A DMR++ names its data file (href): a reference set, read only where the user allowed
  // (by default the DMR++'s own folder or origin).
  readsReferences: true,
  sniff: sniffDmrpp,
  create: createDmrppParser,
};

export default dmrppPlugin;
