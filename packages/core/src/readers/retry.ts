/**
 * Retry policy shared by the HTTP and S3 readers: exponential backoff with full jitter, Retry-After,
 * per-request timeouts and AbortSignal handling.
 *
 * Defaults follow Rust object_store / obstore (`BackoffConfig`): first delay 100 ms, doubling, at
 * most 15 s between attempts; vz retries at most 5 times (obstore: 10) so a dead server fails in
 * well under a minute.
 * @module
 */
import { AbortedError } from "../errors.js";

/** How failed requests are retried. */
export interface RetryOptions {
  /** Retries after the first attempt (0 disables retrying). Default 5. */
  maxRetries?: number;
  /** Upper bound of the first backoff delay in milliseconds. Default 100. */
  initialDelayMs?: number;
  /** Upper bound of any backoff delay in milliseconds. Default 15 000. */
  maxDelayMs?: number;
  /** Growth factor of the delay bound per attempt. Default 2. */
  base?: number;
  /**
   * Longest `Retry-After` the reader waits for; a server asking for more is not retried and the
   * request fails at once. Default 60 000 ms.
   */
  maxRetryAfterMs?: number;
  /** Random source in [0, 1) for the jitter (tests inject a fixed one). Default `Math.random`. */
  random?: () => number;
}

/** The defaults of {@link RetryOptions}. */
export const DEFAULT_RETRY: Readonly<Required<Omit<RetryOptions, "random">>> = Object.freeze({
  maxRetries: 5,
  initialDelayMs: 100,
  maxDelayMs: 15_000,
  base: 2,
  maxRetryAfterMs: 60_000,
});

/**
 * Thrown inside a {@link withRetry} operation to mark a failure as transient. `error` is what the
 * caller sees when no retry is left; `retryAfterMs` is the server's Retry-After, when it sent one.
 */
export class RetryableFailure {
  constructor(
    readonly error: unknown,
    readonly retryAfterMs?: number,
  ) {}
}

/**
 * Delay before retry number `attempt` (0 for the first retry): full jitter, a uniformly random
 * delay in [0, min(maxDelay, initial · base^attempt)).
 */
export function backoffDelay(attempt: number, options: RetryOptions = {}): number {
  const initial = options.initialDelayMs ?? DEFAULT_RETRY.initialDelayMs;
  const max = options.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs;
  const base = options.base ?? DEFAULT_RETRY.base;
  const random = options.random ?? Math.random;
  const bound = Math.min(max, initial * base ** attempt);
  return Math.floor(random() * bound);
}

/**
 * Parses an HTTP `Retry-After` header (delta seconds or an HTTP date) into milliseconds from
 * `now`; undefined when absent or unreadable.
 */
export function parseRetryAfter(header: string | null | undefined, now: number = Date.now()): number | undefined {
  if (header === null || header === undefined) return undefined;
  const text = header.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** Waits `ms` milliseconds; rejects with AbortedError when `signal` aborts first. */
export function sleep(ms: number, signal: AbortSignal | undefined, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new AbortedError(`${what}: aborted`, { cause: signal.reason }));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new AbortedError(`${what}: aborted`, { cause: signal?.reason }));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Runs `operation` until it succeeds, throws something other than a {@link RetryableFailure}, or
 * the retries are used up (then the last failure's `error` is thrown). `attempt` counts from 0.
 */
export async function withRetry<T>(
  operation: (attempt: number) => Promise<T>,
  options: { retry?: RetryOptions; signal?: AbortSignal; what: string },
): Promise<T> {
  const retry = options.retry ?? {};
  const maxRetries = retry.maxRetries ?? DEFAULT_RETRY.maxRetries;
  const maxRetryAfter = retry.maxRetryAfterMs ?? DEFAULT_RETRY.maxRetryAfterMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (failure) {
      if (!(failure instanceof RetryableFailure)) throw failure;
      if (options.signal?.aborted) throw new AbortedError(`${options.what}: aborted`, { cause: options.signal.reason });
      if (attempt >= maxRetries) throw failure.error;
      if (failure.retryAfterMs !== undefined && failure.retryAfterMs > maxRetryAfter) throw failure.error;
      const delay = Math.max(failure.retryAfterMs ?? 0, backoffDelay(attempt, retry));
      await sleep(delay, options.signal, options.what);
    }
  }
}

/**
 * An AbortController that aborts when `parent` aborts or after `timeoutMs`; `timedOut()` tells
 * which. Call `dispose()` when the request is done.
 */
export function linkedTimeout(
  parent: AbortSignal | undefined,
  timeoutMs: number,
): { signal: AbortSignal; timedOut: () => boolean; dispose: () => void } {
  const controller = new AbortController();
  let expired = false;
  const onAbort = (): void => controller.abort(parent?.reason);
  if (parent?.aborted) controller.abort(parent.reason);
  else parent?.addEventListener("abort", onAbort, { once: true });
  const timer =
    Number.isFinite(timeoutMs) && timeoutMs > 0
      ? setTimeout(() => {
          expired = true;
          controller.abort(new Error(`timed out after ${timeoutMs} ms`));
        }, timeoutMs)
      : undefined;
  return {
    signal: controller.signal,
    timedOut: () => expired,
    dispose: () => {
      if (timer !== undefined) clearTimeout(timer);
      parent?.removeEventListener("abort", onAbort);
    },
  };
}
