/**
 * @vz/parser-kerchunk — kerchunk references (JSON version 0/1 and Parquet directories) as vz
 * ManifestStores.
 *
 * The default export is the `kerchunk` {@link ParserPlugin}; `createKerchunkParser(options)` makes
 * a {@link Parser} directly; `openParquetReferences` opens Parquet references lazily.
 * @module
 */
import type { Parser, ParserPlugin } from "@vz/core";
import { type KerchunkParserOptions, parseKerchunk, sniffKerchunk } from "./kerchunk-parser.js";

export { parseKerchunk, sniffKerchunk } from "./kerchunk-parser.js";
export type { KerchunkParserOptions } from "./kerchunk-parser.js";
export { chunkIndexOf, describeReferenceSets, JSON_SCANNER_MIN_BYTES, parseKerchunkJsonBytes, parseKerchunkReferences, ReferenceSetListError } from "./json-references.js";
export type { ReferenceSetSummary } from "./json-references.js";
export { scanKerchunkJson } from "./json-scanner.js";
export type { ScanPass, ScanVisitor } from "./json-scanner.js";
export type { JsonReferenceOptions } from "./json-references.js";
export { LazyReferenceStore, openParquetReferences, ParquetReferences } from "./parquet-references.js";
export type { ParquetReferenceOptions } from "./parquet-references.js";
export type { ArrayEntry, KerchunkReadOptions } from "./metadata-tree.js";
export { translateZarrV2Array, v2CodecToV3 } from "./zarr-v2-metadata.js";
export type { TranslationContext } from "./zarr-v2-metadata.js";
export { evaluateExpression, expandGen, MAX_GENERATED_REFERENCES, renderTemplate } from "./templates.js";
export type { GenEntry } from "./templates.js";

/**
 * Makes a kerchunk reference parser.
 * @example
 * const parser = createKerchunkParser({ root: "file:///data/" });
 * const store = await parser("file:///refs/air.json", reader);
 */
export function createKerchunkParser(options: KerchunkParserOptions = {}): Parser {
  return (url, reader, readOptions) => parseKerchunk(url, reader, options, readOptions);
}

/** The `kerchunk` parser plugin. */
export const kerchunkPlugin: ParserPlugin<KerchunkParserOptions> = {
  name: "kerchunk",
  description: "kerchunk reference files (JSON version 0/1, Parquet directories): chunk references as they are",
  extensions: ["json", "parq", "parquet"],
  sniff: sniffKerchunk,
  // A reference set: openVirtualDataset & co. read its chunk URLs only under allowed places.
  readsReferences: true,
  create: createKerchunkParser,
};

export default kerchunkPlugin;
