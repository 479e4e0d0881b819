/**
 * Typed errors for vz. Identify them with {@link isVzError} (a `Symbol.for` marker), never with
 * `instanceof`: a plugin may load its own copy of `@vz/core`.
 *
 * Messages read `<what failed>: <identifiers> — <why>` and name the file (url), the variable
 * and the reason.
 * @module
 */

const MARKER = Symbol.for("vz.error");

/** Every code a {@link VzError} can carry. */
export type VzErrorCode =
  | "NOT_FOUND"
  | "PERMISSION_DENIED"
  | "RANGE_NOT_SATISFIABLE"
  | "READ_FAILED"
  | "TIMEOUT"
  | "ABORTED"
  | "URL_NOT_ALLOWED"
  | "UNSUPPORTED"
  | "INVALID_MANIFEST"
  | "PARSER_NOT_FOUND"
  | "PARSE_FAILED"
  | "PLUGIN_LOAD_FAILED"
  | "INCOMPATIBLE_MANIFESTS"
  | "CONCAT_FAILED"
  | "INVALID_ARGUMENT"
  | "WRITE_FAILED";

/** Context attached to an error: which file, which variable. */
export interface VzErrorContext {
  url?: string;
  variable?: string;
}

/** Base class of every vz error. */
export class VzError extends Error {
  readonly [MARKER] = true;
  readonly code: VzErrorCode;
  readonly url?: string;
  readonly variable?: string;
  constructor(code: VzErrorCode, message: string, options: { cause?: unknown } & VzErrorContext = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    if (options.url !== undefined) this.url = options.url;
    if (options.variable !== undefined) this.variable = options.variable;
  }
}

/** True when `error` is a vz error (optionally with one of `codes`), across package copies. */
export function isVzError<C extends VzErrorCode>(error: unknown, ...codes: C[]): error is VzError & { code: C } {
  return (
    typeof error === "object" &&
    error !== null &&
    (error as Record<symbol, unknown>)[MARKER] === true &&
    (codes.length === 0 || codes.includes((error as VzError).code as C))
  );
}

/**
 * `error` with "group "<path>": " before its message (same code, name, file and variable), so
 * that a failure while combining one group of a tree says which group; other errors and the
 * root group ("") pass through unchanged.
 */
export function inGroup(error: unknown, path: string): unknown {
  if (!isVzError(error) || path === "") return error;
  const wrapped = new VzError(error.code, `group "${path}": ${error.message}`, {
    cause: error,
    ...(error.url !== undefined ? { url: error.url } : {}),
    ...(error.variable !== undefined ? { variable: error.variable } : {}),
  });
  Object.defineProperty(wrapped, "name", { value: error.name });
  return wrapped;
}

/** An object (file) or key does not exist. */
export class NotFoundError extends VzError {
  constructor(message: string, options: { cause?: unknown } & VzErrorContext = {}) {
    super("NOT_FOUND", message, options);
  }
}

/** The store refused access (HTTP 401/403, S3 AccessDenied). */
export class PermissionDeniedError extends VzError {
  constructor(message: string, options: { cause?: unknown } & VzErrorContext = {}) {
    super("PERMISSION_DENIED", message, options);
  }
}

/** A byte range lies outside the object (HTTP 416, or a read past the end of a file). */
export class RangeNotSatisfiableError extends VzError {
  constructor(message: string, options: { cause?: unknown } & VzErrorContext = {}) {
    super("RANGE_NOT_SATISFIABLE", message, options);
  }
}

/** A read failed for another reason (5xx after retries, reset connection, short body). */
export class ReadError extends VzError {
  readonly status?: number;
  constructor(message: string, options: { cause?: unknown; status?: number } & VzErrorContext = {}) {
    super("READ_FAILED", message, options);
    if (options.status !== undefined) this.status = options.status;
  }
}

/** A request took longer than its timeout. */
export class TimeoutError extends VzError {
  constructor(message: string, options: { cause?: unknown } & VzErrorContext = {}) {
    super("TIMEOUT", message, options);
  }
}

/** The caller aborted the operation through its AbortSignal. */
export class AbortedError extends VzError {
  constructor(message: string, options: { cause?: unknown } & VzErrorContext = {}) {
    super("ABORTED", message, options);
  }
}

/** A URL is outside every registered reader prefix, or relative without a root. */
export class UrlNotAllowedError extends VzError {
  constructor(message: string, options: { cause?: unknown } & VzErrorContext = {}) {
    super("URL_NOT_ALLOWED", message, options);
  }
}

/** The file uses a feature vz cannot virtualize (a filter without decoder, a compound dtype, ...). */
export class UnsupportedFeatureError extends VzError {
  readonly feature: string;
  constructor(feature: string, message: string, options: { cause?: unknown } & VzErrorContext = {}) {
    super("UNSUPPORTED", message, options);
    this.feature = feature;
  }
}

/** A chunk manifest or array metadata is inconsistent. */
export class InvalidManifestError extends VzError {
  constructor(message: string, options: { cause?: unknown } & VzErrorContext = {}) {
    super("INVALID_MANIFEST", message, options);
  }
}

/** No parser matches the name, the file extension or the magic bytes. */
export class ParserNotFoundError extends VzError {
  constructor(message: string, options: { cause?: unknown } & VzErrorContext = {}) {
    super("PARSER_NOT_FOUND", message, options);
  }
}

/** A parser failed on a file: the file is corrupt, truncated, or not what it claims to be. */
export class ParseError extends VzError {
  readonly parser?: string;
  constructor(message: string, options: { cause?: unknown; parser?: string } & VzErrorContext = {}) {
    super("PARSE_FAILED", message, options);
    if (options.parser !== undefined) this.parser = options.parser;
  }
}

/** A parser plugin package could not be loaded or declares itself wrongly. */
export class PluginLoadError extends VzError {
  readonly packageName?: string;
  constructor(message: string, options: { cause?: unknown; packageName?: string } & VzErrorContext = {}) {
    super("PLUGIN_LOAD_FAILED", message, options);
    if (options.packageName !== undefined) this.packageName = options.packageName;
  }
}

/** Arrays cannot be concatenated, stacked or broadcast together. */
export class ConcatError extends VzError {
  constructor(message: string, options: { cause?: unknown } & VzErrorContext = {}) {
    super("CONCAT_FAILED", message, options);
  }
}

/** A caller passed an invalid option or argument. */
export class InvalidArgumentError extends VzError {
  constructor(message: string, options: { cause?: unknown } & VzErrorContext = {}) {
    super("INVALID_ARGUMENT", message, options);
  }
}

/** Writing output failed; nothing was left at the target path. */
export class WriteError extends VzError {
  constructor(message: string, options: { cause?: unknown } & VzErrorContext = {}) {
    super("WRITE_FAILED", message, options);
  }
}

/** Turns anything thrown into an AbortedError when the signal is aborted, else returns it as is. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new AbortedError(`${what}: aborted`, { cause: signal.reason });
}
