/**
 * @vz/core/testing — conformance kits every reader and parser runs (vitest).
 * @module
 */
export {
  describeObjectReader,
  expectBytes,
  expectVzError,
  patternBytes,
} from "./testing/describe-object-reader.js";
export type { DescribeObjectReaderOptions, ObjectReaderFixture } from "./testing/describe-object-reader.js";
// The vitest-free helpers (servers, fuzzer), also available alone as @vz/core/testing/tools.
export * from "./testing-tools.js";
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
