/**
 * @vz/core/testing/tools — test helpers that do not need vitest, usable from scripts, benchmarks
 * and vitest globalSetup: a Range-capable HTTP server with fault injection, a moto S3 server, and
 * the mutation fuzzer.
 * @module
 */
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
export { createRandom, fuzzParser, mutateBytes } from "./testing/fuzz.js";
export type { FuzzReport, MutationKind } from "./testing/fuzz.js";
