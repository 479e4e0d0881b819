/**
 * HttpReader: objects over HTTP(S) with `fetch` (browsers, Node, Deno), byte ranges through the
 * `Range` header, retries ({@link withRetry}) and per-request timeouts.
 *
 * HTTP has no standard listing, so {@link HttpReader.list} throws `UnsupportedFeatureError`
 * (feature `"http-list"`); list objects through an S3 reader or a file system instead.
 * @module
 */
import {
  AbortedError,
  InvalidArgumentError,
  NotFoundError,
  PermissionDeniedError,
  RangeNotSatisfiableError,
  ReadError,
  TimeoutError,
  UnsupportedFeatureError,
  UrlNotAllowedError,
  VzError,
  isVzError,
  throwIfAborted,
} from "../errors.js";
import {
  coalesceRanges,
  DEFAULT_COALESCE_CONCURRENCY,
  DEFAULT_COALESCE_GAP,
  DEFAULT_MAX_COALESCED,
  type ByteRange,
  type ObjectMeta,
  type ObjectReader,
  type ReadOptions,
} from "./object-reader.js";
import { memoizeString } from "./memo.js";
import { isMetadataAddress } from "./reference-policy.js";
import { linkedTimeout, parseRetryAfter, RetryableFailure, withRetry, type RetryOptions } from "./retry.js";

/** Options of {@link HttpReader}. */
export interface HttpReaderOptions {
  /** The fetch implementation. Default: `globalThis.fetch`. */
  fetch?: typeof globalThis.fetch;
  /** Extra request headers (e.g. `Authorization`), or a function giving them per URL. Never logged. */
  headers?: Record<string, string> | ((url: string) => Record<string, string> | Promise<Record<string, string>>);
  /** Timeout of one request attempt, body included, in milliseconds. Default 30 000. */
  timeoutMs?: number;
  /** Retry policy for 5xx, 429, timeouts and network errors. */
  retry?: RetryOptions;
  /** `getRanges` merges ranges closer than this. Default 32 KiB ({@link DEFAULT_COALESCE_GAP}). */
  maxGap?: number;
  /** `getRanges` never merges beyond this many bytes. Default 16 MiB. */
  maxRequestSize?: number;
  /** `getRanges` runs at most this many requests at once. Default 10. */
  concurrency?: number;
  /**
   * When a server ignores `Range` and answers 200 with the whole object, the reader slices the
   * range out of it if the object has at most this many bytes, and fails with ReadError otherwise.
   * Default 8 MiB.
   */
  maxWholeObjectBytes?: number;
  /**
   * What to do with HTTP redirects. Default `"same-origin"`: follow redirects that stay on the
   * origin (scheme, host and port) of the first request and refuse any other with a
   * UrlNotAllowedError naming the target, so an allowed host cannot send vz elsewhere (another
   * host, a cloud metadata service). `"follow"`: follow redirects to other origins too (CDNs,
   * signed-URL services), still never to a cloud instance-metadata host, and without the request
   * headers (credentials) once the origin changes. `"error"`: follow none (a ReadError).
   * Redirects are followed one by one (`fetch` with `redirect: "manual"`), at most
   * `maxRedirects` of them. Browsers hide redirect targets from `"manual"` fetches; there the
   * reader lets the browser follow and refuses the answer afterwards when it came from another
   * origin (the browser has then already sent that request, under its own CORS rules).
   */
  redirect?: "same-origin" | "follow" | "error";
  /** Most redirects followed for one request. Default 10 ({@link DEFAULT_MAX_REDIRECTS}). */
  maxRedirects?: number;
  /**
   * Called with every URL before a request is sent to it: the first URL of each request and every
   * redirect target. Throw (e.g. UrlNotAllowedError) to refuse it. `createDefaultReaders` (in
   * `@vz/core/node`) uses it to resolve host names with `node:dns` and refuse hosts whose
   * addresses are cloud instance-metadata addresses.
   */
  checkUrl?: (url: string, opts: ReadOptions) => void | Promise<void>;
}

/** Default bound on redirects followed for one request: 10. */
export const DEFAULT_MAX_REDIRECTS = 10;

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

// asked for every request (the chunks of a selection share a few URLs)
const originOf = memoizeString(originOfUncached);

function originOfUncached(url: string): string | undefined {
  try {
    const origin = new URL(url).origin;
    return origin === "null" ? undefined : origin;
  } catch {
    return undefined;
  }
}

/** Default per-request timeout: 30 s (obstore's default too). */
export const DEFAULT_HTTP_TIMEOUT_MS = 30_000;

/** A prepared request: the URL to fetch and the headers to send. */
export interface PreparedRequest {
  url: string;
  headers: Record<string, string>;
}

/** What an error response body says (S3 XML `<Code>`/`<Message>`). */
export interface ErrorDetail {
  code?: string;
  message?: string;
}

/** Removes credentials and query strings (signed URLs, tokens) from a URL before it is shown. */
export function redactUrl(url: string): string {
  const match = /^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)([^/?#]*)([^?#]*)(\?[^#]*)?/.exec(url);
  if (!match) return url.replace(/\?.*$/, "?<redacted>");
  const authority = match[2]!.replace(/^.*@/, "<credentials>@");
  return `${match[1]}${authority}${match[3]}${match[4] ? "?<redacted>" : ""}`;
}

function rangeText(offset: number, length: number): string {
  return `bytes=${offset}-${offset + length - 1}`;
}

/** Parses `Content-Range: bytes a-b/total` (total may be `*`) or `bytes *\/total`. */
export function parseContentRange(
  header: string | null,
): { start?: number; end?: number; total?: number } | undefined {
  if (!header) return undefined;
  const full = /^\s*bytes\s+(\d+)-(\d+)\/(\d+|\*)\s*$/i.exec(header);
  if (full) {
    const total = full[3] === "*" ? undefined : Number(full[3]);
    return { start: Number(full[1]), end: Number(full[2]), ...(total === undefined ? {} : { total }) };
  }
  const unsatisfied = /^\s*bytes\s+\*\/(\d+)\s*$/i.exec(header);
  if (unsatisfied) return { total: Number(unsatisfied[1]) };
  return undefined;
}

/**
 * The key of the method by which a response of `nodeFetch` (`@vz/core/node`) hands over its whole
 * body at once, cheaper than a stream reader per chunk (`(limit) => Promise<Uint8Array | undefined>`,
 * undefined when the body passes `limit` bytes). `Symbol.for`, so that copies of @vz/core agree.
 */
export const READ_WHOLE_BODY: unique symbol = Symbol.for("vz.readWholeBody") as never;

/** The method at {@link READ_WHOLE_BODY}. */
export type WholeBody = (limit: number) => Promise<Uint8Array | undefined>;

/** Reads a response body, failing when it grows beyond `limit` bytes. */
async function readBody(response: Response, limit: number = Number.POSITIVE_INFINITY): Promise<Uint8Array> {
  const whole = (response as unknown as { [READ_WHOLE_BODY]?: WholeBody })[READ_WHOLE_BODY];
  if (whole) {
    const bytes = await whole(limit);
    if (bytes === undefined) throw new BodyTooLarge(limit);
    return bytes;
  }
  if (!response.body) return new Uint8Array(await response.arrayBuffer());
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      throw new BodyTooLarge(limit);
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

class BodyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`body larger than ${limit} bytes`);
  }
}

/** Reads a 206 body that must have exactly `length` bytes (a short one is retried). */
async function readExactly(response: Response, length: number, where: string, shown: string): Promise<Uint8Array> {
  const bytes = await readBody(response, length).catch((error: unknown) => {
    if (error instanceof BodyTooLarge) {
      throw new ReadError(`GET ${where}: body is longer than the requested ${length} bytes`, { url: shown, status: 206 });
    }
    throw error;
  });
  if (bytes.length !== length) {
    throw new RetryableFailure(
      new ReadError(`GET ${where}: body has ${bytes.length} bytes, expected ${length}`, { url: shown, status: 206 }),
    );
  }
  return bytes;
}

async function discardBody(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => undefined);
}

function checkRangeArguments(url: string, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new RangeNotSatisfiableError(`invalid byte range offset ${offset} length ${length} of ${redactUrl(url)}`, {
      url: redactUrl(url),
    });
  }
}

/** Context of one logical request, for error messages. */
export interface RequestContext {
  what: string;
  url: string;
  range?: string;
  signal?: AbortSignal;
}

/**
 * An ObjectReader over HTTP(S). Status mapping: 404 → NotFoundError, 401/403 →
 * PermissionDeniedError, 416 → RangeNotSatisfiableError, others → ReadError{status}; 5xx, 429,
 * timeouts and network errors are retried with backoff. The first `head` of a URL pins its size,
 * ETag and Last-Modified; later reads that see another ETag fail with ReadError.
 * @example
 * const reader = new HttpReader({ timeoutMs: 10_000 });
 * const header = await reader.getRange("https://example.org/data.nc", 0, 512);
 */
export class HttpReader implements ObjectReader {
  readonly #fetch: typeof globalThis.fetch;
  readonly #headers: HttpReaderOptions["headers"];
  readonly #timeoutMs: number;
  readonly #retry: RetryOptions;
  readonly #maxGap: number;
  readonly #maxRequestSize: number;
  readonly #concurrency: number;
  readonly #maxWholeObjectBytes: number;
  readonly #redirect: "same-origin" | "follow" | "error";
  readonly #maxRedirects: number;
  readonly #checkUrl: HttpReaderOptions["checkUrl"];
  readonly #identities = new Map<string, ObjectMeta>();
  readonly #pendingHeads = new Map<string, Promise<ObjectMeta>>();

  constructor(options: HttpReaderOptions = {}) {
    const fetchImplementation = options.fetch ?? globalThis.fetch;
    if (typeof fetchImplementation !== "function") {
      throw new UnsupportedFeatureError("fetch", "HttpReader needs a fetch implementation: this runtime has no globalThis.fetch");
    }
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.#headers = options.headers;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS;
    this.#retry = options.retry ?? {};
    this.#maxGap = options.maxGap ?? DEFAULT_COALESCE_GAP;
    this.#maxRequestSize = options.maxRequestSize ?? DEFAULT_MAX_COALESCED;
    this.#concurrency = options.concurrency ?? DEFAULT_COALESCE_CONCURRENCY;
    this.#maxWholeObjectBytes = options.maxWholeObjectBytes ?? 8 * 1024 * 1024;
    this.#redirect = options.redirect ?? "same-origin";
    if (!["same-origin", "follow", "error"].includes(this.#redirect)) {
      throw new InvalidArgumentError(`HttpReader: redirect must be "same-origin", "follow" or "error", got ${JSON.stringify(options.redirect)}`);
    }
    this.#maxRedirects = options.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
    if (!Number.isInteger(this.#maxRedirects) || this.#maxRedirects < 0) {
      throw new InvalidArgumentError(`HttpReader: maxRedirects must be a non-negative integer, got ${String(options.maxRedirects)}`);
    }
    this.#checkUrl = options.checkUrl;
  }

  /** The URL to fetch and headers to send for `url`; subclasses sign or rewrite here. */
  protected async prepareRequest(method: string, url: string, headers: Record<string, string>): Promise<PreparedRequest> {
    const extra = typeof this.#headers === "function" ? await this.#headers(url) : (this.#headers ?? {});
    return { url, headers: { ...extra, ...headers } };
  }

  /** Reads what an error response says; the default discards the body. */
  protected async describeErrorResponse(response: Response): Promise<ErrorDetail> {
    await discardBody(response);
    return {};
  }

  /** Maps a store error code (S3 `<Code>`) to an error class, or undefined to map by status. */
  protected classifyErrorCode(_code: string): "not-found" | "permission" | "range" | "retry" | undefined {
    return undefined;
  }

  /** A label for messages: `url` without credentials or query string. */
  protected displayUrl(url: string): string {
    return redactUrl(url);
  }

  /**
   * Sends one logical request with retries. `handle` gets responses whose status `accept` allows
   * (default: 2xx); other statuses become typed errors.
   */
  protected async send<T>(
    method: string,
    url: string,
    headers: Record<string, string>,
    context: RequestContext,
    handle: (response: Response) => Promise<T>,
    accept: (status: number) => boolean = (status) => status >= 200 && status < 300,
  ): Promise<T> {
    const shown = this.displayUrl(url);
    const where = `${shown}${context.range ? ` (${context.range})` : ""}`;
    throwIfAborted(context.signal, `${context.what} ${where}`);
    if (this.#checkUrl) await this.#checkUrl(url, context.signal ? { signal: context.signal } : {});
    return withRetry(
      async () => {
        const link = linkedTimeout(context.signal, this.#timeoutMs);
        try {
          // Byte counts must be of the stored bytes, not of a compressed transfer. fetch adds
          // `Accept-Encoding: identity` itself to requests with a Range header (Fetch standard).
          const encoding: Record<string, string> = "range" in headers ? {} : { "accept-encoding": "identity" };
          const prepared = await this.prepareRequest(method, url, { ...encoding, ...headers });
          const response = await this.#fetchFollowing(method, prepared, { ...encoding, ...headers }, link.signal, context, where);
          if (!accept(response.status)) throw await this.#statusFailure(response, context, where);
          return await handle(response);
        } catch (error) {
          if (error instanceof RetryableFailure || isVzError(error)) throw error;
          if (context.signal?.aborted) {
            throw new AbortedError(`${context.what} ${where}: aborted`, { url: shown, cause: context.signal.reason });
          }
          if (link.timedOut()) {
            throw new RetryableFailure(
              new TimeoutError(`${context.what} ${where}: no complete response within ${this.#timeoutMs} ms`, {
                url: shown,
                cause: error,
              }),
            );
          }
          throw new RetryableFailure(
            new ReadError(`${context.what} ${where}: ${describeNetworkError(error)}`, { url: shown, cause: error }),
          );
        } finally {
          link.dispose();
        }
      },
      { retry: this.#retry, what: `${context.what} ${where}`, ...(context.signal ? { signal: context.signal } : {}) },
    );
  }

  /**
   * Sends `prepared`, following redirects one by one as the `redirect` option says: every target
   * is checked (origin, metadata hosts, `checkUrl`) before a request goes to it.
   */
  async #fetchFollowing(
    method: string,
    prepared: PreparedRequest,
    plainHeaders: Record<string, string>,
    signal: AbortSignal,
    context: RequestContext,
    where: string,
  ): Promise<Response> {
    if (this.#redirect === "error") {
      return this.#fetch(prepared.url, { method, headers: prepared.headers, signal, redirect: "error" });
    }
    const firstOrigin = originOf(prepared.url);
    let current = prepared.url;
    let headers = prepared.headers;
    for (let hops = 0; ; hops++) {
      const response = await this.#fetch(current, { method, headers, signal, redirect: "manual" });
      if (response.type === "opaqueredirect") {
        // A browser: the target is hidden. Let the browser follow, then refuse a foreign answer.
        const followed = await this.#fetch(current, { method, headers, signal, redirect: "follow" });
        const finalOrigin = originOf(followed.url);
        if (this.#redirect === "same-origin" && followed.redirected && finalOrigin !== undefined && finalOrigin !== firstOrigin) {
          await discardBody(followed);
          throw this.#redirectRefusal(context, where, followed.url, "another origin");
        }
        return followed;
      }
      const location = response.headers.get("location");
      if (!REDIRECT_STATUSES.has(response.status) || location === null) return response;
      await discardBody(response);
      let next: string;
      try {
        next = new URL(location, current).href;
      } catch (cause) {
        throw new ReadError(`${context.what} ${where}: HTTP ${response.status} redirect to an invalid Location "${location}"`, {
          url: this.displayUrl(context.url),
          status: response.status,
          cause,
        });
      }
      if (hops >= this.#maxRedirects) {
        throw new ReadError(`${context.what} ${where}: more than ${this.#maxRedirects} redirects (the last to ${redactUrl(next)})`, {
          url: this.displayUrl(context.url),
          status: response.status,
        });
      }
      const nextOrigin = originOf(next);
      const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(next)?.[1]?.toLowerCase();
      if (scheme !== "http" && scheme !== "https") throw this.#redirectRefusal(context, where, next, `a ${scheme ?? "non-HTTP"} URL`);
      const sameOrigin = nextOrigin !== undefined && nextOrigin === firstOrigin;
      if (!sameOrigin && this.#redirect === "same-origin") throw this.#redirectRefusal(context, where, next, "another origin");
      if (!sameOrigin && isMetadataAddress(new URL(next).hostname)) {
        throw this.#redirectRefusal(context, where, next, "a cloud instance-metadata host");
      }
      if (this.#checkUrl) await this.#checkUrl(next, { signal });
      // Credentials and signatures belong to the first origin: never send them elsewhere.
      if (!sameOrigin) headers = { ...plainHeaders };
      current = next;
    }
  }

  #redirectRefusal(context: RequestContext, where: string, target: string, what: string): UrlNotAllowedError {
    const hint =
      this.#redirect === "same-origin"
        ? '; the reader follows same-origin redirects only (HttpReader option redirect: "follow", or readers.http.redirect "follow" in vz.config.json, follows others)'
        : "";
    return new UrlNotAllowedError(`${context.what} ${where}: refusing to follow a redirect to ${redactUrl(target)}, ${what}${hint}`, {
      url: redactUrl(target),
    });
  }

  async #statusFailure(response: Response, context: RequestContext, where: string): Promise<VzError | RetryableFailure> {
    const status = response.status;
    let detail: ErrorDetail = {};
    try {
      detail = await this.describeErrorResponse(response);
    } catch {
      detail = {};
    }
    const shown = this.displayUrl(context.url);
    const codeText = detail.code ? ` ${detail.code}` : "";
    const messageText = detail.message ? `: ${detail.message}` : "";
    const text = `${context.what} ${where}: HTTP ${status}${codeText}${messageText}`;
    const kind = (detail.code ? this.classifyErrorCode(detail.code) : undefined) ?? classifyStatus(status);
    switch (kind) {
      case "not-found":
        return new NotFoundError(`${context.what} ${where}: object not found (HTTP ${status}${codeText})`, { url: shown });
      case "permission":
        return new PermissionDeniedError(`${context.what} ${where}: access denied (HTTP ${status}${codeText})`, {
          url: shown,
        });
      case "range": {
        const total = parseContentRange(response.headers.get("content-range"))?.total;
        const size = total === undefined ? "" : `; the object has ${total} bytes`;
        return new RangeNotSatisfiableError(`${context.what} ${where}: range not satisfiable (HTTP ${status}${codeText})${size}`, {
          url: shown,
        });
      }
      case "retry":
        return new RetryableFailure(
          new ReadError(text, { url: shown, status }),
          parseRetryAfter(response.headers.get("retry-after")),
        );
      default:
        return new ReadError(text, { url: shown, status });
    }
  }

  #checkIdentity(url: string, response: Response, context: RequestContext): void {
    const pinned = this.#identities.get(url);
    const etag = response.headers.get("etag");
    // Compare strong and weak forms alike (a server may weaken the tag on some responses).
    const strip = (tag: string): string => tag.replace(/^W\//, "");
    if (pinned?.etag && etag && strip(etag) !== strip(pinned.etag)) {
      throw new ReadError(
        `${context.what} ${this.displayUrl(url)}: the object changed since it was first read (ETag ${pinned.etag} → ${etag})`,
        { url: this.displayUrl(url), status: response.status },
      );
    }
  }

  async get(url: string, opts: ReadOptions = {}): Promise<Uint8Array> {
    const context: RequestContext = { what: "GET", url, ...(opts.signal ? { signal: opts.signal } : {}) };
    return this.send("GET", url, {}, context, async (response) => {
      this.#checkIdentity(url, response, context);
      const declared = response.headers.get("content-length");
      const bytes = await readBody(response);
      if (declared !== null && !response.headers.get("content-encoding") && Number(declared) !== bytes.length) {
        throw new RetryableFailure(
          new ReadError(`GET ${this.displayUrl(url)}: body has ${bytes.length} bytes, Content-Length said ${declared}`, {
            url: this.displayUrl(url),
            status: response.status,
          }),
        );
      }
      return bytes;
    });
  }

  async getRange(url: string, offset: number, length: number, opts: ReadOptions = {}): Promise<Uint8Array> {
    checkRangeArguments(url, offset, length);
    throwIfAborted(opts.signal, `GET ${this.displayUrl(url)}`);
    if (length === 0) {
      const meta = await this.head(url, opts);
      if (offset > meta.size) {
        throw new RangeNotSatisfiableError(
          `GET ${this.displayUrl(url)}: empty range at offset ${offset} lies past the end (${meta.size} bytes)`,
          { url: this.displayUrl(url) },
        );
      }
      return new Uint8Array(0);
    }
    const range = rangeText(offset, length);
    const context: RequestContext = { what: "GET", url, range, ...(opts.signal ? { signal: opts.signal } : {}) };
    const shown = this.displayUrl(url);
    const where = `${shown} (${range})`;
    return this.send("GET", url, { range }, context, async (response) => {
      this.#checkIdentity(url, response, context);
      if (response.status === 206) {
        const header = response.headers.get("content-range");
        if (header === null) {
          // Browsers hide Content-Range from cross-origin responses unless the server exposes it
          // (Access-Control-Expose-Headers); then only the body length can be checked.
          return readExactly(response, length, where, shown);
        }
        const contentRange = parseContentRange(header);
        if (!contentRange || contentRange.start === undefined || contentRange.end === undefined) {
          await discardBody(response);
          throw new ReadError(
            `GET ${where}: HTTP 206 with unreadable Content-Range "${response.headers.get("content-range") ?? ""}"`,
            { url: shown, status: 206 },
          );
        }
        const wantedEnd = offset + length - 1;
        if (
          contentRange.start === offset &&
          contentRange.end < wantedEnd &&
          contentRange.total !== undefined &&
          contentRange.end === contentRange.total - 1
        ) {
          await discardBody(response);
          throw new RangeNotSatisfiableError(
            `GET ${where}: range passes the end of the object (${contentRange.total} bytes)`,
            { url: shown },
          );
        }
        if (contentRange.start !== offset || contentRange.end !== wantedEnd) {
          await discardBody(response);
          throw new ReadError(
            `GET ${where}: server answered with Content-Range "${response.headers.get("content-range")}" instead of the requested range`,
            { url: shown, status: 206 },
          );
        }
        const pinned = this.#identities.get(url);
        if (pinned && contentRange.total !== undefined && contentRange.total !== pinned.size) {
          await discardBody(response);
          throw new ReadError(
            `GET ${where}: the object changed since it was first read (size ${pinned.size} → ${contentRange.total})`,
            { url: shown, status: 206 },
          );
        }
        return readExactly(response, length, where, shown);
      }
      // 200: the server ignored Range and sends the whole object.
      const declared = response.headers.get("content-length");
      if (declared !== null && Number(declared) > this.#maxWholeObjectBytes) {
        await discardBody(response);
        throw new ReadError(
          `GET ${where}: server ignores Range requests and the object has ${declared} bytes (more than ${this.#maxWholeObjectBytes})`,
          { url: shown, status: response.status },
        );
      }
      const whole = await readBody(response, this.#maxWholeObjectBytes).catch((error: unknown) => {
        if (error instanceof BodyTooLarge) {
          throw new ReadError(
            `GET ${where}: server ignores Range requests and the object is larger than ${this.#maxWholeObjectBytes} bytes`,
            { url: shown, status: response.status },
          );
        }
        throw error;
      });
      if (declared !== null && !response.headers.get("content-encoding") && Number(declared) !== whole.length) {
        throw new RetryableFailure(
          new ReadError(`GET ${where}: body has ${whole.length} bytes, Content-Length said ${declared}`, {
            url: shown,
            status: response.status,
          }),
        );
      }
      if (offset + length > whole.length) {
        throw new RangeNotSatisfiableError(`GET ${where}: range passes the end of the object (${whole.length} bytes)`, {
          url: shown,
        });
      }
      return whole.slice(offset, offset + length);
    });
  }

  async getRanges(url: string, ranges: readonly ByteRange[], opts: ReadOptions = {}): Promise<Uint8Array[]> {
    for (const range of ranges) checkRangeArguments(url, range.offset, range.length);
    throwIfAborted(opts.signal, `GET ${this.displayUrl(url)}`);
    if (ranges.some((range) => range.length === 0)) {
      const meta = await this.head(url, opts);
      const outside = ranges.find((range) => range.offset + range.length > meta.size);
      if (outside) {
        throw new RangeNotSatisfiableError(
          `GET ${this.displayUrl(url)}: range offset ${outside.offset} length ${outside.length} passes the end (${meta.size} bytes)`,
          { url: this.displayUrl(url) },
        );
      }
    }
    return coalesceRanges(ranges, (offset, length) => this.getRange(url, offset, length, opts), {
      maxGap: this.#maxGap,
      maxRequestSize: this.#maxRequestSize,
      concurrency: this.#concurrency,
    });
  }

  /**
   * Size, ETag and Last-Modified of `url`, from `HEAD`; when HEAD fails (other than 404) or gives
   * no Content-Length, from a 1-byte range GET. The first answer is pinned for the reader's life.
   */
  async head(url: string, opts: ReadOptions = {}): Promise<ObjectMeta> {
    throwIfAborted(opts.signal, `HEAD ${this.displayUrl(url)}`);
    for (let attempt = 0; ; attempt++) {
      const pinned = this.#identities.get(url);
      if (pinned) return { ...pinned };
      let pending = this.#pendingHeads.get(url);
      const shared = pending !== undefined;
      if (!pending) {
        pending = this.#headUncached(url, opts).finally(() => this.#pendingHeads.delete(url));
        this.#pendingHeads.set(url, pending);
      }
      try {
        const meta = await pending;
        this.#identities.set(url, meta);
        return { ...meta };
      } catch (error) {
        // Another caller's request was aborted by that caller: ask again with our own signal.
        if (shared && attempt < 2 && isVzError(error, "ABORTED") && !opts.signal?.aborted) continue;
        throw error;
      }
    }
  }

  async #headUncached(url: string, opts: ReadOptions): Promise<ObjectMeta> {
    const context: RequestContext = { what: "HEAD", url, ...(opts.signal ? { signal: opts.signal } : {}) };
    const fromHead = await this.send(
      "HEAD",
      url,
      {},
      context,
      async (response) => {
        await discardBody(response);
        if (!response.ok) return undefined;
        const length = response.headers.get("content-length");
        if (length === null || !/^\d+$/.test(length.trim())) return undefined;
        return metaFrom(url, Number(length), response);
      },
      (status) => (status >= 200 && status < 300) || (status >= 400 && status < 500 && status !== 404 && status !== 429),
    );
    if (fromHead) return fromHead;
    const shown = this.displayUrl(url);
    const probe: RequestContext = { ...context, what: "GET", range: "bytes=0-0" };
    return this.send(
      "GET",
      url,
      { range: "bytes=0-0" },
      probe,
      async (response) => {
        await discardBody(response);
        if (response.status === 416) {
          const total = parseContentRange(response.headers.get("content-range"))?.total;
          if (total === 0) return metaFrom(url, 0, response);
          throw new RangeNotSatisfiableError(`HEAD ${shown}: cannot learn the size (HTTP 416 to a 1-byte range)`, { url: shown });
        }
        if (response.status === 206) {
          const total = parseContentRange(response.headers.get("content-range"))?.total;
          if (total !== undefined) return metaFrom(url, total, response);
        } else {
          const length = response.headers.get("content-length");
          if (length !== null && /^\d+$/.test(length.trim()) && !response.headers.get("content-encoding")) {
            return metaFrom(url, Number(length), response);
          }
        }
        throw new ReadError(`HEAD ${shown}: the server tells neither Content-Length nor a Content-Range total`, {
          url: shown,
          status: response.status,
        });
      },
      (status) => (status >= 200 && status < 300) || status === 416,
    );
  }

  /** HTTP cannot list: always throws UnsupportedFeatureError (feature `"http-list"`). */
  // eslint-disable-next-line require-yield
  async *list(prefix: string, _opts?: ReadOptions): AsyncIterable<{ url: string; size: number }> {
    throw new UnsupportedFeatureError(
      "http-list",
      `cannot list ${this.displayUrl(prefix)}: HTTP servers have no standard listing; use an S3 or file reader to list objects`,
      { url: this.displayUrl(prefix) },
    );
  }

  toString(): string {
    return `${this.constructor.name}(timeoutMs=${this.#timeoutMs})`;
  }

  toJSON(): Record<string, unknown> {
    return { reader: this.constructor.name, timeoutMs: this.#timeoutMs };
  }
}

function metaFrom(url: string, size: number, response: Response): ObjectMeta {
  const meta: ObjectMeta = { url, size };
  const etag = response.headers.get("etag");
  if (etag) meta.etag = etag;
  const modified = response.headers.get("last-modified");
  if (modified) {
    const date = new Date(modified);
    if (!Number.isNaN(date.getTime())) meta.lastModified = date;
  }
  return meta;
}

function classifyStatus(status: number): "not-found" | "permission" | "range" | "retry" | undefined {
  if (status === 404 || status === 410) return "not-found";
  if (status === 401 || status === 403) return "permission";
  if (status === 416) return "range";
  if (status === 429 || status === 408 || status >= 500) return "retry";
  return undefined;
}

function describeNetworkError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 3 && current; depth++) {
    const message = (current as { message?: unknown }).message;
    const code = (current as { code?: unknown }).code;
    if (typeof message === "string" && message) parts.push(typeof code === "string" ? `${message} (${code})` : message);
    current = (current as { cause?: unknown }).cause;
  }
  return `network error: ${parts.join(": ") || String(error)}`;
}
