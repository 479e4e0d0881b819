/**
 * @vz/core/node — Node-only pieces: local file reader, package discovery of parser plugins,
 * atomic file writers.
 * @module
 */
export { FileReader, toUrl } from "./readers/node/file-reader.js";
export {
  createDiscoveredParserRegistry,
  discoverParsers,
  readParserDeclarations,
} from "./registry/node/discover.js";
export type { DiscoveredParser } from "./registry/node/discover.js";
