/**
 * @vz/queue — virtualize an archive on many machines: a DatasetParsePool on BullMQ + Redis
 * (`createQueuePool`, the coordinator) and the workers that parse the files (`startQueueWorker`,
 * run by `vz worker`). Node only.
 * @module
 */
export { createDecodeInterner, decodeDataset, decodeResult, decodeTree, encodeDataset, encodeTree } from "./encoding.js";
export type { DecodedResult, DecodeInterner, ResultDiagnostic } from "./encoding.js";
export { DEFAULT_QUEUE_NAME, DEFAULT_RESULT_TTL_SECONDS, jobIdFor, resultKey } from "./jobs.js";
export type { FileIdentity, ParseJobData, ParseJobResult } from "./jobs.js";
export { createQueuePool } from "./pool.js";
export type { QueueFileResult, QueuePool, QueuePoolOptions, QueueProgress, QueueRunResult } from "./pool.js";
export { checkRedis, redactRedisUrl, redisOptions } from "./redis.js";
export { startQueueWorker } from "./worker.js";
export type { QueueWorker, QueueWorkerOptions } from "./worker.js";
export { openQueueMfdatatree } from "./combine.js";
export type { OpenQueueMfdatatreeOptions, QueueMfdatatree } from "./combine.js";
