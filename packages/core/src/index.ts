/**
 * @vz/core — contracts, chunk manifests, ManifestStore, object readers, parser registry,
 * the open* API and kerchunk writers. Node-only pieces (local files, package discovery) are in
 * `@vz/core/node`; conformance kits in `@vz/core/testing`.
 * @module
 */
export { VERSION } from "./version.js";
export {
  AbortedError,
  ConcatError,
  InvalidArgumentError,
  InvalidManifestError,
  isVzError,
  NotFoundError,
  ParseError,
  ParserNotFoundError,
  PermissionDeniedError,
  PluginLoadError,
  RangeNotSatisfiableError,
  ReadError,
  TimeoutError,
  UnsupportedFeatureError,
  UrlNotAllowedError,
  VzError,
  WriteError,
} from "./errors.js";
export type { VzErrorCode, VzErrorContext } from "./errors.js";
export {
  broadcastManifest,
  ChunkManifest,
  ChunkManifestBuilder,
  concatManifests,
  expandManifestDims,
  INLINED,
  isAbsoluteUrl,
  MISSING,
  parseChunkKey,
} from "./manifest/chunk-manifest.js";
export type { ChunkEntry, ChunkManifestArrays } from "./manifest/chunk-manifest.js";
export {
  chunkGridShape,
  createArrayMetadata,
  defaultFillValue,
  endianOf,
  fromNumpyDtype,
  itemSize,
  toNumpyDtype,
  validateArrayMetadata,
} from "./manifest/metadata.js";
export type { ArrayMetadata, CodecMetadata, DataType, GroupMetadata } from "./manifest/metadata.js";
export {
  broadcastManifestArray,
  concatManifestArrays,
  expandDimsManifestArray,
  ManifestArray,
  stackManifestArrays,
} from "./manifest/manifest-array.js";
export { ManifestGroup } from "./manifest/manifest-group.js";
export { ManifestStore } from "./store/manifest-store.js";
export type { RangeQuery } from "./store/manifest-store.js";
export {
  coalesceRanges,
  DEFAULT_COALESCE_GAP,
  DEFAULT_MAX_COALESCED,
} from "./readers/object-reader.js";
export type { ByteRange, CoalesceOptions, ObjectMeta, ObjectReader, ReadOptions } from "./readers/object-reader.js";
export { MemoryReader } from "./readers/memory-reader.js";
export { normalizeUrl, ReaderRegistry } from "./readers/reader-registry.js";
export { defineParserPlugin } from "./registry/parser.js";
export type { Parser, ParserPlugin } from "./registry/parser.js";
export { isVirtual, LoadedArray, VirtualDataset } from "./dataset/virtual-dataset.js";
export type { NumericArray, Variable } from "./dataset/virtual-dataset.js";
export { ParserRegistry, assertParserPlugin, SNIFF_BYTES } from "./registry/parser-registry.js";
export type { ParserEntryInfo, ParserSelection } from "./registry/parser-registry.js";
export { toVirtualDataset, loadArray } from "./dataset/to-virtual-dataset.js";
export type { ToVirtualDatasetOptions } from "./dataset/to-virtual-dataset.js";
export { openManifestStore, openVirtualDataset } from "./api/open-virtual-dataset.js";
export type { OpenVirtualDatasetOptions } from "./api/open-virtual-dataset.js";
