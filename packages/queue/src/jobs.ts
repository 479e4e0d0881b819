/**
 * What coordinator and workers agree on: the queue's name, the job's data, its deterministic id,
 * where results live, and how errors cross Redis as typed errors.
 * @module
 */
import { createHash } from "node:crypto";
import { isVzError, type PoolParseOptions, VzError, type VzErrorCode } from "@vz/core";

/** Default BullMQ queue name. */
export const DEFAULT_QUEUE_NAME = "vz-virtualize";
/** How long results (and finished jobs) stay in Redis by default: 24 hours. */
export const DEFAULT_RESULT_TTL_SECONDS = 24 * 60 * 60;

/** A job: one file to parse and build into a dataset. */
export interface ParseJobData {
  /**
   * Format of this record and of its result (bumped when either changes, so ids of old jobs never
   * match). 2: results are whole trees. 3: results carry the parser's diagnostics (skips), so a
   * result of a version 2 job — which has none — is never reused as if the parser skipped nothing.
   */
  v: 3;
  url: string;
  /** Parser name (discovered in the worker); absent: auto-detected there. */
  parser?: string;
  parserOptions?: unknown;
  /**
   * Without `parser`: options for the parser the worker detects, by its name (e.g. a kerchunk
   * reference file's own folder as its `root`); a parser not named here gets `parserOptions`.
   */
  parserOptionsByName?: Record<string, unknown>;
  options: PoolParseOptions;
  /** Seconds the worker keeps the result. */
  resultTtl: number;
}

/** What a worker returns (BullMQ stores it as JSON); the dataset itself is at `key`. */
export interface ParseJobResult {
  key: string;
  bytes: number;
  variables: number;
  chunks: number;
  /** Items the parser left out of the file (its diagnostics, in the result). */
  skipped?: number;
}

/** The identity of a file's content: ETag, else size and last-modified. */
export interface FileIdentity {
  etag?: string;
  size: number;
  lastModified?: string;
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value as Record<string, unknown>)
        .sort()
        .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
        .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

/**
 * The job id: a hash of the file's URL, its identity and everything that shapes the result
 * (parser, its options, the dataset options). The same work gets the same id, so it is never
 * done twice while its result lives; a changed file gets a new id.
 */
export function jobIdFor(data: Omit<ParseJobData, "resultTtl">, identity: FileIdentity): string {
  const text = JSON.stringify(canonical({ data, identity: { etag: identity.etag, size: identity.size, lastModified: identity.lastModified } }));
  return `vz-${createHash("sha256").update(text).digest("hex").slice(0, 40)}`;
}

/** The Redis key of a job's encoded dataset. */
export function resultKey(queueName: string, jobId: string): string {
  return `vz:${queueName}:result:${jobId}`;
}

const ERROR_TAG = "vz-error:";

/** Error codes that no retry can fix: the worker fails the job at once. */
export const PERMANENT_CODES: ReadonlySet<VzErrorCode> = new Set([
  "NOT_FOUND",
  "PERMISSION_DENIED",
  "URL_NOT_ALLOWED",
  "UNSUPPORTED",
  "INVALID_MANIFEST",
  "PARSER_NOT_FOUND",
  "PARSE_FAILED",
  "PLUGIN_LOAD_FAILED",
  "INVALID_ARGUMENT",
]);

/** A job's failure reason carrying the typed error (BullMQ keeps only a message string). */
export function encodeFailure(error: unknown, url: string): string {
  const record = isVzError(error)
    ? { code: error.code, name: error.name, message: error.message, url: error.url ?? url, ...(error.variable !== undefined ? { variable: error.variable } : {}) }
    : { code: "PARSE_FAILED" as VzErrorCode, name: "ParseError", message: `${url}: ${(error as Error)?.message ?? String(error)}`, url };
  return `${ERROR_TAG}${JSON.stringify(record)}`;
}

/** The typed error behind a failed job's reason. */
export function decodeFailure(reason: string | undefined, url: string): VzError {
  if (reason?.startsWith(ERROR_TAG)) {
    try {
      const record = JSON.parse(reason.slice(ERROR_TAG.length)) as { code: VzErrorCode; name: string; message: string; url?: string; variable?: string };
      const error = new VzError(record.code, record.message, { url: record.url ?? url, ...(record.variable !== undefined ? { variable: record.variable } : {}) });
      Object.defineProperty(error, "name", { value: record.name });
      return error;
    } catch {
      // fall through: an unreadable reason is reported as it is
    }
  }
  return new VzError("READ_FAILED", `queue job for ${url} failed: ${reason ?? "no reason given"}`, { url });
}
