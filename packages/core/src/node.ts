/**
 * @vz/core/node — Node-only pieces: local file reader, package discovery of parser plugins,
 * atomic file writers.
 * @module
 */
export { FileReader, toUrl } from "./readers/node/file-reader.js";
export { NODE_FETCH_MAX_SOCKETS, nodeFetch } from "./readers/node/node-fetch.js";
export { createDefaultReaders, isMetadataHost, metadataAddressCheck, s3OptionsFromEnv } from "./readers/node/default-readers.js";
export type { DefaultReadersOptions } from "./readers/node/default-readers.js";
export {
  createDiscoveredParserRegistry,
  discoverParsers,
  readParserDeclarations,
} from "./registry/node/discover.js";
export type { DiscoveredParser } from "./registry/node/discover.js";
export { writeKerchunk, writeKerchunkRefs, writeTextAtomically } from "./writers/node/write-file.js";
export type { WriteKerchunkOptions } from "./writers/node/write-file.js";
export { writeKerchunkParquet } from "./writers/node/write-parquet.js";
export type { WriteKerchunkParquetOptions } from "./writers/node/write-parquet.js";
export { createThreadPool, deserializeDataset, serializeDataset } from "./api/node/thread-pool.js";
export type { SerializedData, SerializedDataset, ThreadPoolOptions } from "./api/node/thread-pool.js";
