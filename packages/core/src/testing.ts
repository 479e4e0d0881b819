/**
 * @vz/core/testing — conformance kits every reader and parser runs (vitest).
 * @module
 */
export {};
export {
  describeObjectReader,
  expectBytes,
  expectVzError,
  patternBytes,
} from "./testing/describe-object-reader.js";
export type { DescribeObjectReaderOptions, ObjectReaderFixture } from "./testing/describe-object-reader.js";
export { startRangeServer } from "./testing/range-server.js";
export type {
  RangeServer,
  RangeServerFault,
  RangeServerFaultRule,
  RangeServerOptions,
  RangeServerRequest,
} from "./testing/range-server.js";
export { findMotoServer, MOTO_SERVER_FALLBACK, startS3Server } from "./testing/s3-server.js";
export type { S3ServerOptions, S3TestServer } from "./testing/s3-server.js";
export {
  assertChunkRefsInside,
  assertPluginDeclaration,
  assertZarrMetadata,
  assertZarrMetadataDocument,
  describeParser,
  isDecodableByZarrita,
  readArrayThroughZarrita,
  resolveParserCase,
} from "./testing/describe-parser.js";
export type {
  DescribeParserOptions,
  ParserCase,
  ParserCaseExpectation,
} from "./testing/describe-parser.js";
export { createRandom, fuzzParser, mutateBytes } from "./testing/fuzz.js";
export type { FuzzReport, MutationKind } from "./testing/fuzz.js";
