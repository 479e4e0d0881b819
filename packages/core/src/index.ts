/**
 * @vz/core — what a user calls: the contracts (`Parser`, `ParserPlugin`, `ObjectReader`), chunk
 * manifests, `ManifestArray` / `ManifestGroup` / `ManifestStore`, `VirtualDataset` /
 * `VirtualDatatree`, the object readers, the parser registry, the open* / to* / combine API, the
 * kerchunk writers and the errors. Node-only pieces (local files, package discovery, file
 * writers) are in `@vz/core/node`; codec classes and decoders in `@vz/core/codecs`; building
 * blocks for plugins, the CLI and the queue (no stability promise) in `@vz/core/internal`;
 * conformance kits in `@vz/core/testing`.
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
export { CombineError } from "@vz/combine";
export type { CombineAttrs, Compat, Join, VariableSelection } from "@vz/combine";

// Contracts.
export { defineParserPlugin } from "./registry/parser.js";
export type { Parser, ParserPlugin } from "./registry/parser.js";
export type { ZarrCodecClass } from "./codecs/plugin-codecs.js";
export type { ByteRange, ObjectMeta, ObjectReader, ReadOptions } from "./readers/object-reader.js";

// Data structures.
export { ChunkManifest, ChunkManifestBuilder, INLINED, MISSING } from "./manifest/chunk-manifest.js";
export type { ChunkEntry, ChunkManifestArrays } from "./manifest/chunk-manifest.js";
export { createArrayMetadata } from "./manifest/metadata.js";
export type { ArrayMetadata, CodecMetadata, DataType, GroupMetadata } from "./manifest/metadata.js";
export {
  broadcastManifestArray,
  concatManifestArrays,
  expandDimsManifestArray,
  ManifestArray,
  stackManifestArrays,
} from "./manifest/manifest-array.js";
export { ManifestGroup } from "./manifest/manifest-group.js";
export { inlinedStringArray } from "./manifest/inlined-strings.js";
export type { InlinedStringArrayOptions } from "./manifest/inlined-strings.js";
export { ManifestStore } from "./store/manifest-store.js";
export type { ManifestStoreOptions, RangeQuery } from "./store/manifest-store.js";
export { LoadedArray, VirtualDataset } from "./dataset/virtual-dataset.js";
export type { NumericArray, Variable } from "./dataset/virtual-dataset.js";
export { VirtualDatatree } from "./dataset/virtual-datatree.js";
export type { DimSelection, Indexers, RenamePaths } from "./dataset/vz-ops.js";

// Readers.
export { MemoryReader } from "./readers/memory-reader.js";
export { HttpReader } from "./readers/http-reader.js";
export type { HttpReaderOptions } from "./readers/http-reader.js";
export type { RetryOptions } from "./readers/retry.js";
export { S3Reader } from "./readers/s3-reader.js";
export type { AwsCredentialsSource, S3ReaderOptions } from "./readers/s3-reader.js";
export type { AwsCredentials } from "./readers/sigv4.js";
export { ReaderRegistry } from "./readers/reader-registry.js";
export { withBlockCache } from "./readers/with-block-cache.js";
export type { BlockCachedReader, BlockCacheOptions, BlockCacheStats } from "./readers/with-block-cache.js";
export { withReferencePolicy } from "./readers/reference-policy.js";
export type { ReferencePolicyOptions, ReferencePolicyReader } from "./readers/reference-policy.js";

// Parser registry.
export { ParserRegistry } from "./registry/parser-registry.js";
export type { ParserEntryInfo, ParserSelection } from "./registry/parser-registry.js";

// open* / to* / combine.
export { openManifestStore, openVirtualDataset } from "./api/open-virtual-dataset.js";
export type { OpenVirtualDatasetOptions } from "./api/open-virtual-dataset.js";
export { openVirtualDatatree } from "./api/open-virtual-datatree.js";
export type { OpenVirtualDatatreeOptions } from "./api/open-virtual-datatree.js";
export { openVirtualMfdataset, openVirtualMfdatatree } from "./api/open-virtual-mfdataset.js";
export type {
  MfdatasetPaths,
  MfdatasetProgress,
  NestedPaths,
  OpenVirtualMfdatasetOptions,
  OpenVirtualMfdatatreeOptions,
} from "./api/open-virtual-mfdataset.js";
export { toVirtualDataset, toVirtualDatatree } from "./dataset/to-virtual-dataset.js";
export type { ToVirtualDatasetOptions } from "./dataset/to-virtual-dataset.js";
export { combineDatasetsByCoords, combineDatasetsNested, concatDatasets, mergeDatasets } from "./api/combine-datasets.js";
export type { NestedVirtualDatasets, VariableData } from "./api/combine-datasets.js";
export { createInProcessExecutor } from "./api/executor.js";
export type {
  DatasetParsePool,
  Executor,
  ExecutorMapOptions,
  PoolParseOptions,
  ThreadPoolFactoryOptions,
} from "./api/executor.js";

// Values.
export { readArrayValues } from "./store/read-values.js";
export type { ArraySelection, ArrayValues } from "./store/read-values.js";
export { decodeCfValues } from "./dataset/cf-decode.js";
export type { CfDecoded } from "./dataset/cf-decode.js";
export { formatCfTime } from "./dataset/cf-time.js";
export type { CfCalendar, CfTimeEncoding } from "./dataset/cf-time.js";

// Kerchunk writers (files: writeKerchunk / writeKerchunkParquet in @vz/core/node).
export { kerchunkToJson, maskedFillValues, toKerchunk, toKerchunkTree } from "./writers/kerchunk.js";
export type {
  KerchunkFormat,
  KerchunkReference,
  KerchunkRefs,
  MaskedFillValue,
  ToKerchunkOptions,
  ZarrV2ArrayMetadata,
  ZarrV2Codec,
} from "./writers/kerchunk.js";
