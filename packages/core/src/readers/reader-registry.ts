/**
 * ReaderRegistry: an ObjectReader that routes URL prefixes to readers and refuses every URL that
 * no registered prefix covers, so a reference file cannot make vz read arbitrary files or hosts.
 * @module
 */
import { UrlNotAllowedError } from "../errors.js";
import { memoizeString } from "./memo.js";
import type { ByteRange, ObjectMeta, ObjectReader, ReadOptions } from "./object-reader.js";

/** Normalises a URL (resolves `..` and `.`, lower-cases scheme and host) for prefix checks. */
export function normalizeUrl(url: string): string {
  return normalizeUrlMemo(url);
}

// every chunk request of a selection normalises the same few URLs (registry, reference policy)
const normalizeUrlMemo = memoizeString(normalizeUrlUncached);

function normalizeUrlUncached(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.protocol === "s3:" || parsed.protocol === "gs:" || parsed.protocol === "memory:") {
      // new URL keeps these opaque-ish; still collapse dot segments in the path
      const path = parsed.pathname.split("/");
      const out: string[] = [];
      for (const part of path) {
        if (part === "..") out.pop();
        else if (part !== ".") out.push(part);
      }
      return `${parsed.protocol}//${parsed.host}${out.join("/")}${parsed.search}`;
    }
    return parsed.href;
  } catch {
    throw new UrlNotAllowedError(`not an absolute URL: "${url}" (relative paths need an explicit root)`, { url });
  }
}

/** Routes reads by longest matching URL prefix. */
export class ReaderRegistry implements ObjectReader {
  readonly #routes: { prefix: string; reader: ObjectReader }[] = [];

  constructor(routes: Record<string, ObjectReader> = {}) {
    for (const [prefix, reader] of Object.entries(routes)) this.register(prefix, reader);
  }

  /** Routes URLs starting with `prefix` (e.g. `s3://bucket/`, `https://host/`, `file:///data/`) to `reader`. */
  register(prefix: string, reader: ObjectReader): this {
    // A bare scheme ("https://") is no parseable URL; keep it as is (lower-cased).
    const bareScheme = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/$/.test(prefix);
    const normalized = bareScheme ? prefix.toLowerCase() : prefix.includes("://") ? normalizeUrl(prefix) : prefix;
    this.#routes.push({ prefix: normalized, reader });
    this.#routes.sort((a, b) => b.prefix.length - a.prefix.length);
    return this;
  }

  /** Registered prefixes, longest first. */
  get prefixes(): string[] {
    return this.#routes.map((r) => r.prefix);
  }

  /** The reader for `url`, or throws UrlNotAllowedError. */
  resolve(url: string): { url: string; reader: ObjectReader } {
    const normalized = normalizeUrl(url);
    for (const route of this.#routes) {
      if (normalized.startsWith(route.prefix)) return { url: normalized, reader: route.reader };
    }
    throw new UrlNotAllowedError(
      `no reader registered for ${url}; registered prefixes: ${this.#routes.map((r) => r.prefix).join(", ") || "(none)"}`,
      { url },
    );
  }

  async get(url: string, opts?: ReadOptions): Promise<Uint8Array> {
    const { url: u, reader } = this.resolve(url);
    return reader.get(u, opts);
  }
  async getRange(url: string, offset: number, length: number, opts?: ReadOptions): Promise<Uint8Array> {
    const { url: u, reader } = this.resolve(url);
    return reader.getRange(u, offset, length, opts);
  }
  async getRanges(url: string, ranges: readonly ByteRange[], opts?: ReadOptions): Promise<Uint8Array[]> {
    const { url: u, reader } = this.resolve(url);
    return reader.getRanges(u, ranges, opts);
  }
  async head(url: string, opts?: ReadOptions): Promise<ObjectMeta> {
    const { url: u, reader } = this.resolve(url);
    return reader.head(u, opts);
  }
  // async (generator) so that a refused URL rejects the returned promise instead of throwing
  async *list(prefix: string, opts?: ReadOptions): AsyncIterable<{ url: string; size: number }> {
    const { url: u, reader } = this.resolve(prefix);
    yield* reader.list(u, opts);
  }
}
