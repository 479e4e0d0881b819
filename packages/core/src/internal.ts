/**
 * @vz/core/internal — building blocks the vz plugins, the CLI, the web app and the queue share but
 * a user of `@vz/core` does not call: dtype and chunk-grid helpers for parsers, reader plumbing
 * (range coalescing, retries, SigV4 signing, Content-Range parsing, reference-policy helpers and
 * flag names), the streaming kerchunk JSON pieces and Parquet files, CF time arithmetic, and the
 * group helpers of the tree combine. **No stability promise**: any release may change or remove
 * these names. Browser-safe, like the main entry.
 * @module
 */
export { inGroup } from "./errors.js";

// Manifests and metadata (parsers).
export { isAbsoluteUrl } from "./manifest/chunk-manifest.js";
export {
  chunkGridShape,
  defaultFillValue,
  endianOf,
  fromNumpyDtype,
  itemSize,
  toNumpyDtype,
  validateArrayMetadata,
} from "./manifest/metadata.js";
export { DEFAULT_STORE_COALESCE_GAP, DEFAULT_STORE_CONCURRENCY } from "./store/manifest-store.js";
export { isVirtual } from "./dataset/virtual-dataset.js";
export { loadArray } from "./dataset/to-virtual-dataset.js";

// Reader plumbing.
export { coalesceRanges, DEFAULT_COALESCE_CONCURRENCY, DEFAULT_COALESCE_GAP, DEFAULT_MAX_COALESCED } from "./readers/object-reader.js";
export type { CoalesceOptions } from "./readers/object-reader.js";
export { normalizeUrl } from "./readers/reader-registry.js";
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
} from "./readers/reference-policy.js";
export { DEFAULT_HTTP_TIMEOUT_MS, DEFAULT_MAX_REDIRECTS, parseContentRange, redactUrl } from "./readers/http-reader.js";
export type { ErrorDetail, PreparedRequest, RequestContext } from "./readers/http-reader.js";
export { parseS3Url, s3HttpUrl } from "./readers/s3-reader.js";
export { encodeS3Key, sha256Hex, signRequest, signRequestParts, uriEncode } from "./readers/sigv4.js";
export type { SignatureParts, SigningKeyCache, SignRequestInput } from "./readers/sigv4.js";
export { backoffDelay, DEFAULT_RETRY, parseRetryAfter } from "./readers/retry.js";
export { DEFAULT_BLOCK_CACHE_BYTES, DEFAULT_BLOCK_SIZE } from "./readers/with-block-cache.js";

// Parser registry.
export { assertParserPlugin, SNIFF_BYTES } from "./registry/parser-registry.js";

// Kerchunk writer pieces (streamed JSON, Parquet files) and the JSON reader for non-finite numbers.
export {
  asciiJsonPieces,
  attributesToJson,
  datasetsToKerchunkJsonPieces,
  groupEntries,
  kerchunkJsonPieces,
} from "./writers/kerchunk.js";
export { DEFAULT_RECORD_SIZE, kerchunkParquetFiles, parseJsonNonFinite } from "./writers/kerchunk-parquet.js";
export type { KerchunkParquetFile, KerchunkParquetOptions } from "./writers/kerchunk-parquet.js";

// CF times.
export { cfTimeEncodingOf, encodeTimeVariables } from "./dataset/encode-times.js";
export {
  decodeCfTimes,
  encodeCfTimes,
  isCfTimeUnits,
  NAT,
  normalizeCalendar,
  parseCfTimeUnits,
  reencodeCfTimes,
} from "./dataset/cf-time.js";
export type { CfTimeUnits, ReencodeOptions } from "./dataset/cf-time.js";

// Many files and trees.
export { DEFAULT_MFDATASET_CONCURRENCY, expandGlob, sameGroups } from "./api/open-virtual-mfdataset.js";
export type { WithoutBackend } from "./api/combine-datasets.js";

// What `vz inspect --json` reports of an array.
export { describeArray } from "./manifest/describe-array.js";
export type { ArrayDescription } from "./manifest/describe-array.js";
