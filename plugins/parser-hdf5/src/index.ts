/**
 * @vz/parser-hdf5 — virtualize HDF5 and netCDF4 files by reading only their metadata.
 *
 * The default export is the `hdf5` {@link ParserPlugin}; `createHdf5Parser(options)` makes a
 * {@link Parser} directly.
 * @module
 */
import type { Parser, ParserPlugin } from "@vz/core";
import { Hdf5Parse, type Hdf5ParserOptions } from "./hdf5-parser.js";
import { hasSignatureAt, superblockCandidates } from "./superblock.js";

export { HdfFile, Cursor, UNDEFINED_ADDRESS, lookup3 } from "./io.js";
export { Hdf5Parse, nodeKind, zarrDataType } from "./hdf5-parser.js";
export type { Hdf5ParserOptions } from "./hdf5-parser.js";
export { readSuperblock, HDF5_SIGNATURE } from "./superblock.js";
export type { Superblock } from "./superblock.js";
export { readObjectHeader, MessageType } from "./object-header.js";
export type { HeaderMessage, ObjectHeader } from "./object-header.js";
export { filtersToCodecs } from "./filters.js";
export { GlobalHeap } from "./global-heap.js";
export type { Dataspace, Datatype, Filter, Layout, Link } from "./messages.js";
export { readChunkIndex } from "./chunk-index.js";
export type { ChunkCallback, ChunkIndexInfo } from "./chunk-index.js";
export { ALL_FILTERS_SKIPPED } from "./chunk-index-shared.js";
export { iterateBTree2, readBTree2Header } from "./btree2.js";
export type { BTree2Header } from "./btree2.js";
export { FractalHeap } from "./fractal-heap.js";

/** Makes an HDF5 / netCDF4 parser with the given options. */
export function createHdf5Parser(options: Hdf5ParserOptions = {}): Parser {
  return (url, reader, readOptions) => Hdf5Parse.parse(url, reader, options, readOptions);
}

/** True when `head` (the first bytes of a file) holds the HDF5 signature at 0, 512, 1024, ... */
export function sniffHdf5(head: Uint8Array): boolean {
  for (const offset of superblockCandidates(head.length)) {
    if (hasSignatureAt(head, offset)) return true;
  }
  return false;
}

/** The `hdf5` parser plugin. */
export const hdf5Plugin: ParserPlugin<Hdf5ParserOptions> = {
  name: "hdf5",
  description: "HDF5 and netCDF4 files: reads the metadata in TypeScript and references the chunks in place",
  extensions: ["h5", "hdf5", "he5", "nc", "nc4", "mat"],
  sniff: sniffHdf5,
  readsGroups: true,
  create: createHdf5Parser,
};

export default hdf5Plugin;
