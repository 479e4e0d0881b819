/**
 * createDefaultReaders (Node only): the ReaderRegistry vz uses when the caller gives none.
 * @module
 */
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { InvalidArgumentError, UrlNotAllowedError } from "../../errors.js";
import { HttpReader, type HttpReaderOptions } from "../http-reader.js";
import { memoizeString } from "../memo.js";
import type { ByteRange, ObjectMeta, ObjectReader, ReadOptions } from "../object-reader.js";
import { ReaderRegistry } from "../reader-registry.js";
import { isMetadataAddress, registerHostResolver } from "../reference-policy.js";
import { S3Reader, type S3ReaderOptions } from "../s3-reader.js";
import { FileReader } from "./file-reader.js";
import { nodeFetch } from "./node-fetch.js";

/** Options of {@link createDefaultReaders}. */
export interface DefaultReadersOptions {
  /**
   * An allow list: when given, only URLs under these prefixes are read. Local paths (`/data/in`)
   * and `file://` URLs name directories (`/data/in` allows `file:///data/in/...` only, not
   * `/data/inx` nor `/data/in/../x`); `https://host/path/`, `http://...` and `s3://bucket/...`
   * allow those; a bare scheme (`"https://"`) allows the whole scheme. A scheme with no entry
   * gets no reader. Default: every URL of the enabled `schemes`.
   */
  allowedPrefixes?: readonly string[];
  /** Which schemes get a reader. Default all: `["file", "http", "https", "s3"]`. */
  schemes?: readonly ("file" | "http" | "https" | "s3")[];
  /** Options of the HTTP(S) reader. */
  http?: HttpReaderOptions;
  /** Options of the S3 reader; they override what the environment says. */
  s3?: S3ReaderOptions;
  /** Environment to read AWS settings from. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * Refuse cloud instance-metadata hosts (169.254.0.0/16, `fd00:ec2::254`, `metadata.google.internal`,
   * `100.100.100.200`) over http(s), so a reference file cannot make vz fetch credentials from
   * them. An explicit `allowedPrefixes` entry for such a host still allows it. Default true.
   */
  blockMetadataHosts?: boolean;
  /**
   * Resolves a host name to its addresses, for the metadata-host check after DNS resolution.
   * Default: `node:dns` `lookup` (all addresses). Replaceable in tests.
   */
  lookup?: (hostname: string) => Promise<string[]>;
}

/** How long a host's resolved addresses are reused by the metadata check: 30 s. */
const LOOKUP_TTL_MS = 30_000;

async function lookupAll(hostname: string): Promise<string[]> {
  const entries = await lookup(hostname, { all: true, verbatim: true });
  return entries.map((entry) => entry.address);
}

// Reference policies (withReferencePolicy) resolve host names with node:dns in Node.
registerHostResolver(lookupAll);

/**
 * An HttpReader `checkUrl` hook that resolves the host name of every request (and redirect
 * target) and refuses it when an address is a cloud instance-metadata address, unless the host
 * is in `exempt`. A name that does not resolve is left to the request to report. The request
 * itself resolves the name again (fetch offers no way to pin the address), so a DNS server that
 * answers differently within milliseconds (DNS rebinding) is not stopped by this check.
 */
export function metadataAddressCheck(
  resolveHost: (hostname: string) => Promise<string[]> = lookupAll,
  exempt: ReadonlySet<string> = new Set(),
): (url: string) => Promise<void> {
  const cache = new Map<string, { at: number; addresses: Promise<string[]> }>();
  return async (url: string) => {
    const hostname = hostnameOf(url);
    if (!hostname || exempt.has(hostname)) return;
    const refuse = (address: string): never => {
      throw new UrlNotAllowedError(
        `refusing to read ${url}: ${hostname === address ? "" : `${hostname} resolves to ${address}, `}a cloud instance-metadata address ` +
          `(list the host in allowedPrefixes to allow it)`,
        { url },
      );
    };
    if (isMetadataAddress(hostname)) refuse(hostname);
    if (isIP(hostname)) return;
    let entry = cache.get(hostname);
    if (!entry || Date.now() - entry.at > LOOKUP_TTL_MS) {
      entry = { at: Date.now(), addresses: resolveHost(hostname) };
      cache.set(hostname, entry);
    }
    let addresses: string[];
    try {
      addresses = await entry.addresses;
    } catch {
      cache.delete(hostname);
      return;
    }
    for (const address of addresses) if (isMetadataAddress(address)) refuse(address);
  };
}

/** The lower-cased host name of `url` without IPv6 brackets; undefined when `url` does not parse. */
const hostnameOf = memoizeString((url: string): string | undefined => {
  try {
    return new URL(url).hostname.toLowerCase().replace(/^\[|\]$/g, "");
  } catch {
    return undefined;
  }
});

/** True for URLs whose host serves cloud instance metadata (and credentials), by name or literal address. */
export function isMetadataHost(url: string): boolean {
  return isMetadataHostMemo(url);
}

// checked before every request: the chunks of a selection share a few URLs
const isMetadataHostMemo = memoizeString(isMetadataHostUncached);

function isMetadataHostUncached(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return false;
  }
  return isMetadataAddress(host);
}

/** An ObjectReader that refuses metadata hosts before delegating to `reader`. */
class MetadataHostGuard implements ObjectReader {
  constructor(readonly reader: ObjectReader) {}
  #check(url: string): void {
    if (isMetadataHost(url)) {
      throw new UrlNotAllowedError(`refusing to read ${url}: a cloud instance-metadata host (list it in allowedPrefixes to allow it)`, {
        url,
      });
    }
  }
  async get(url: string, opts?: ReadOptions): Promise<Uint8Array> {
    this.#check(url);
    return this.reader.get(url, opts);
  }
  async getRange(url: string, offset: number, length: number, opts?: ReadOptions): Promise<Uint8Array> {
    this.#check(url);
    return this.reader.getRange(url, offset, length, opts);
  }
  async getRanges(url: string, ranges: readonly ByteRange[], opts?: ReadOptions): Promise<Uint8Array[]> {
    this.#check(url);
    return this.reader.getRanges(url, ranges, opts);
  }
  async head(url: string, opts?: ReadOptions): Promise<ObjectMeta> {
    this.#check(url);
    return this.reader.head(url, opts);
  }
  async *list(prefix: string, opts?: ReadOptions): AsyncIterable<{ url: string; size: number }> {
    this.#check(prefix);
    yield* this.reader.list(prefix, opts);
  }
}

function isTrue(value: string | undefined): boolean {
  return value !== undefined && /^(1|true|yes|on)$/i.test(value.trim());
}

/**
 * S3Reader options from the usual AWS environment variables:
 * `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN`) → credentials (unsigned
 * requests when absent); `AWS_REGION`, else `AWS_DEFAULT_REGION`, else `us-east-1`;
 * `AWS_ENDPOINT_URL_S3`, else `AWS_ENDPOINT_URL` → endpoint; `AWS_S3_FORCE_PATH_STYLE` (true/1)
 * → path-style URLs (default: path style with a custom endpoint only); `AWS_NO_SIGN_REQUEST`
 * (true/1) → anonymous. Profiles, SSO and instance metadata are not read.
 */
export function s3OptionsFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): S3ReaderOptions {
  const options: S3ReaderOptions = { region: env.AWS_REGION || env.AWS_DEFAULT_REGION || "us-east-1" };
  const endpoint = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL;
  if (endpoint) options.endpoint = endpoint;
  if (env.AWS_S3_FORCE_PATH_STYLE !== undefined && env.AWS_S3_FORCE_PATH_STYLE !== "") {
    options.forcePathStyle = isTrue(env.AWS_S3_FORCE_PATH_STYLE);
  }
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    options.credentials = {
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
    };
  }
  if (isTrue(env.AWS_NO_SIGN_REQUEST)) options.anonymous = true;
  return options;
}

function filePrefix(entry: string): string {
  const url = entry.startsWith("file://") ? entry : pathToFileURL(resolve(entry)).href;
  return url.endsWith("/") ? url : `${url}/`;
}

/**
 * A ReaderRegistry with `file://` → FileReader, `http://` and `https://` → HttpReader and
 * `s3://` → S3Reader configured from the environment ({@link s3OptionsFromEnv}).
 * @example
 * const readers = createDefaultReaders({ allowedPrefixes: ["/data/netcdf"] });
 * await readers.head("file:///data/netcdf/a.nc"); // allowed
 * await readers.head("file:///etc/passwd");       // UrlNotAllowedError
 */
export function createDefaultReaders(options: DefaultReadersOptions = {}): ReaderRegistry {
  const schemes = new Set(options.schemes ?? ["file", "http", "https", "s3"]);
  const allowed = options.allowedPrefixes;
  const registry = new ReaderRegistry();
  const byScheme = (scheme: string): string[] | undefined => {
    if (!allowed) return undefined;
    return allowed.filter((entry) => {
      const match = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(entry);
      return match ? match[1]!.toLowerCase() === scheme : scheme === "file";
    });
  };
  for (const entry of allowed ?? []) {
    const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(entry)?.[1]?.toLowerCase() ?? "file";
    if (!["file", "http", "https", "s3"].includes(scheme)) {
      throw new InvalidArgumentError(`createDefaultReaders: no reader for allowed prefix ${entry}`, { url: entry });
    }
  }
  const add = (scheme: string, root: string, reader: ObjectReader, prefixes: string[] | undefined): void => {
    if (!schemes.has(scheme as "file")) return;
    for (const prefix of prefixes ?? [root]) registry.register(prefix, reader);
  };
  const fileRoots = byScheme("file");
  add("file", "file:///", new FileReader(), fileRoots?.map((entry) => (entry === "file://" ? "file:///" : filePrefix(entry))));
  const exempt = new Set<string>();
  for (const entry of allowed ?? []) {
    if (!/^https?:\/\/[^/]/i.test(entry)) continue;
    try {
      exempt.add(new URL(entry).hostname.toLowerCase().replace(/^\[|\]$/g, ""));
    } catch {
      // not a URL: refused below by the registry
    }
  }
  const check =
    options.blockMetadataHosts === false ? undefined : metadataAddressCheck(options.lookup ?? lookupAll, exempt);
  // node:http keep-alive transport unless the caller brings a fetch (undici's costs ~3x the CPU per request)
  const httpOptions: HttpReaderOptions = { fetch: nodeFetch as typeof globalThis.fetch, ...options.http };
  if (check) {
    const own = options.http?.checkUrl;
    httpOptions.checkUrl = async (url, opts) => {
      await check(url);
      if (own) await own(url, opts);
    };
  }
  const httpReader = new HttpReader(httpOptions);
  const guarded = options.blockMetadataHosts === false ? httpReader : new MetadataHostGuard(httpReader);
  for (const scheme of ["http", "https"] as const) {
    const prefixes = byScheme(scheme);
    if (!schemes.has(scheme)) continue;
    // A listed prefix naming a metadata host is an explicit choice; everything else is guarded.
    for (const prefix of prefixes ?? [`${scheme}://`]) {
      registry.register(prefix, prefix.endsWith("://") || !isMetadataHost(prefix) ? guarded : httpReader);
    }
  }
  // the same node:http transport for S3 (undici's fetch cost ~0.3 ms more CPU per chunk request)
  add("s3", "s3://", new S3Reader({ fetch: nodeFetch as typeof globalThis.fetch, ...s3OptionsFromEnv(options.env), ...options.s3 }), byScheme("s3"));
  return registry;
}
