/**
 * CombineError: the typed error of @vz/combine. It carries the same cross-copy marker
 * (`Symbol.for("vz.error")`) as @vz/core's `VzError`, so core's `isVzError` recognises it, and a
 * `code` from core's code union ("CONCAT_FAILED" or "INVALID_ARGUMENT").
 * @module
 */

const MARKER = Symbol.for("vz.error");

/** Codes a {@link CombineError} carries (a subset of @vz/core's `VzErrorCode`). */
export type CombineErrorCode = "CONCAT_FAILED" | "INVALID_ARGUMENT";

/** Why combining failed, finer than {@link CombineErrorCode}. */
export type CombineErrorReason =
  | "conflict"
  | "attrs-conflict"
  | "missing-variable"
  | "coordinate-mismatch"
  | "index-mismatch"
  | "dimension-mismatch"
  | "not-monotonic"
  | "not-a-hypercube"
  | "no-order"
  | "array"
  | "invalid-option";

/** Where an error happened. */
export interface CombineErrorContext {
  /** Index of the dataset at fault (in the caller's flat list). */
  datasetIndex?: number;
  /** Label (file URL) of the dataset at fault, when the caller passed labels. */
  url?: string;
  /** Variable at fault. */
  variable?: string;
  cause?: unknown;
}

/** A typed error of @vz/combine; its message names the dataset(s), the variable and the reason. */
export class CombineError extends Error {
  readonly [MARKER] = true;
  readonly code: CombineErrorCode;
  readonly reason: CombineErrorReason;
  readonly datasetIndex?: number;
  readonly url?: string;
  readonly variable?: string;

  constructor(code: CombineErrorCode, reason: CombineErrorReason, message: string, context: CombineErrorContext = {}) {
    super(message, context.cause === undefined ? undefined : { cause: context.cause });
    this.name = "CombineError";
    this.code = code;
    this.reason = reason;
    if (context.datasetIndex !== undefined) this.datasetIndex = context.datasetIndex;
    if (context.url !== undefined) this.url = context.url;
    if (context.variable !== undefined) this.variable = context.variable;
  }
}

/** True when `error` is a {@link CombineError} (checked by marker and name, across package copies). */
export function isCombineError(error: unknown): error is CombineError {
  return (
    typeof error === "object" &&
    error !== null &&
    (error as Record<symbol, unknown>)[MARKER] === true &&
    (error as Error).name === "CombineError"
  );
}
