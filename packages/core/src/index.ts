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
  inGroup,
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
export { DEFAULT_STORE_COALESCE_GAP, DEFAULT_STORE_CONCURRENCY, ManifestStore } from "./store/manifest-store.js";
export type { ManifestStoreOptions, RangeQuery } from "./store/manifest-store.js";
export {
  coalesceRanges,
  DEFAULT_COALESCE_GAP,
  DEFAULT_MAX_COALESCED,
} from "./readers/object-reader.js";
export type { ByteRange, CoalesceOptions, ObjectMeta, ObjectReader, ReadOptions } from "./readers/object-reader.js";
export { MemoryReader } from "./readers/memory-reader.js";
export { normalizeUrl, ReaderRegistry } from "./readers/reader-registry.js";
export {
  ALLOW_CONFIG_KEY,
  ALLOW_FLAG,
  ALLOW_OPTION,
  checkReferenceUrl,
  isMetadataAddress,
  isReferencePolicyReader,
  isSpecialHost,
  normalizePrefix,
  referencePlace,
  registerHostResolver,
  underPrefix,
  withReferencePolicy,
} from "./readers/reference-policy.js";
export type { ReferencePolicyOptions, ReferencePolicyReader } from "./readers/reference-policy.js";
export { DEFAULT_COALESCE_CONCURRENCY } from "./readers/object-reader.js";
export { DEFAULT_HTTP_TIMEOUT_MS, DEFAULT_MAX_REDIRECTS, HttpReader, parseContentRange, redactUrl } from "./readers/http-reader.js";
export type { ErrorDetail, HttpReaderOptions, PreparedRequest } from "./readers/http-reader.js";
export { parseS3Url, S3Reader, s3HttpUrl } from "./readers/s3-reader.js";
export type { AwsCredentialsSource, S3ReaderOptions } from "./readers/s3-reader.js";
export { encodeS3Key, sha256Hex, signRequest, signRequestParts, uriEncode } from "./readers/sigv4.js";
export type { AwsCredentials, SignatureParts, SigningKeyCache, SignRequestInput } from "./readers/sigv4.js";
export { backoffDelay, DEFAULT_RETRY, parseRetryAfter } from "./readers/retry.js";
export type { RetryOptions } from "./readers/retry.js";
export { DEFAULT_BLOCK_CACHE_BYTES, DEFAULT_BLOCK_SIZE, withBlockCache } from "./readers/with-block-cache.js";
export type { BlockCachedReader, BlockCacheOptions, BlockCacheStats } from "./readers/with-block-cache.js";
export { defineParserPlugin } from "./registry/parser.js";
export type { Parser, ParserPlugin } from "./registry/parser.js";
export { isVirtual, LoadedArray, VirtualDataset } from "./dataset/virtual-dataset.js";
export type { NumericArray, Variable } from "./dataset/virtual-dataset.js";
export { ParserRegistry, assertParserPlugin, SNIFF_BYTES } from "./registry/parser-registry.js";
export type { ParserEntryInfo, ParserSelection } from "./registry/parser-registry.js";
export { toVirtualDataset, toVirtualDatatree, loadArray } from "./dataset/to-virtual-dataset.js";
export { isVirtualDatatree, normalizeGroupPath, VirtualDatatree } from "./dataset/virtual-datatree.js";
export type { DimSelection, Indexers, RenamePaths } from "./dataset/vz-ops.js";
export { cfTimeEncodingOf, encodeTimeVariables } from "./dataset/encode-times.js";
export { openVirtualDatatree } from "./api/open-virtual-datatree.js";
export type { OpenVirtualDatatreeOptions } from "./api/open-virtual-datatree.js";
export type { ToVirtualDatasetOptions } from "./dataset/to-virtual-dataset.js";
export { openManifestStore, openVirtualDataset } from "./api/open-virtual-dataset.js";
export type { OpenVirtualDatasetOptions } from "./api/open-virtual-dataset.js";
export { addZarritaCodecs, ensureFloat16Array, registerCodecs, VZ_CODEC_NAMES } from "./codecs/register-codecs.js";
export { CODEC_PACKAGES, missingCodecError, registerPluginCodecs } from "./codecs/plugin-codecs.js";
export type { ZarrCodecClass } from "./codecs/plugin-codecs.js";
export { readArrayValues } from "./store/read-values.js";
export type { ArraySelection, ArrayValues } from "./store/read-values.js";
export { Bz2Codec, decodeBzip2 } from "./codecs/bz2.js";
export { chunkByteSize, elementByteSize } from "./codecs/chunk-size.js";
export { fletcher32, Fletcher32Codec } from "./codecs/fletcher32.js";
export { decodeLz4Block, decodeLz4H5, Lz4H5Codec } from "./codecs/lz4-h5.js";
export { decodeLzf, LzfCodec } from "./codecs/lzf.js";
export { ShuffleCodec, shuffleBytes, unshuffleBytes } from "./codecs/shuffle.js";
export { decodeVlenUtf8, encodeVlenUtf8, VlenUtf8Codec } from "./codecs/vlen-utf8.js";
export {
  asciiJsonPieces,
  attributesToJson,
  datasetsToKerchunkJsonPieces,
  groupEntries,
  kerchunkJsonPieces,
  kerchunkToJson,
  toKerchunk,
  toKerchunkTree,
} from "./writers/kerchunk.js";
export type {
  KerchunkFormat,
  KerchunkReference,
  KerchunkRefs,
  ToKerchunkOptions,
  ZarrV2ArrayMetadata,
  ZarrV2Codec,
} from "./writers/kerchunk.js";
export { maskedFillValues } from "./writers/kerchunk.js";
export type { MaskedFillValue } from "./writers/kerchunk.js";
export { DEFAULT_RECORD_SIZE, kerchunkParquetFiles, parseJsonNonFinite } from "./writers/kerchunk-parquet.js";
export type { KerchunkParquetFile, KerchunkParquetOptions } from "./writers/kerchunk-parquet.js";
export {
  combineDatasetsByCoords,
  combineDatasetsNested,
  concatDatasets,
  mergeDatasets,
  toVirtualDatasetFromCombined,
  virtualArrayBackend,
} from "./api/combine-datasets.js";
export type { NestedVirtualDatasets, VariableData } from "./api/combine-datasets.js";
export {
  DEFAULT_MFDATASET_CONCURRENCY,
  expandGlob,
  harmonizeCfEncodings,
  openVirtualMfdataset,
  openVirtualMfdatatree,
  sameGroups,
} from "./api/open-virtual-mfdataset.js";
export type {
  MfdatasetPaths,
  MfdatasetProgress,
  NestedPaths,
  OpenVirtualMfdatasetOptions,
  OpenVirtualMfdatatreeOptions,
} from "./api/open-virtual-mfdataset.js";
export { createInProcessExecutor, isDatasetParsePool } from "./api/executor.js";
export type {
  DatasetParsePool,
  Executor,
  ExecutorMapOptions,
  PoolParseOptions,
  ThreadPoolFactoryOptions,
} from "./api/executor.js";
export {
  dayNumber,
  decodeCfTimes,
  encodeCfTimes,
  formatCfTime,
  isCfTimeUnits,
  NAT,
  normalizeCalendar,
  parseCfTimeUnits,
  reencodeCfTimes,
} from "./dataset/cf-time.js";
export type { CfCalendar, CfTimeEncoding, CfTimeUnits, ReencodeOptions } from "./dataset/cf-time.js";
export { decodeCfValues } from "./dataset/cf-decode.js";
export type { CfDecoded } from "./dataset/cf-decode.js";
export { CombineError, isCombineError } from "@vz/combine";
export type { CombineAttrs, Compat, Join, VariableSelection } from "@vz/combine";
