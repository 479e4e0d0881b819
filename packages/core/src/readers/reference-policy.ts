/**
 * The reference policy: a reference set (kerchunk JSON/Parquet, DMR++ `href`s, Icechunk virtual
 * refs, ...) is untrusted input, so the chunk URLs it names are read only under places the user
 * allowed. By default the allowed place is the reference set's own place: the folder tree of a
 * local reference file, the origin (or bucket) of a remote one. {@link withReferencePolicy} wraps
 * an ObjectReader so that every read is checked before any request is made.
 *
 * Hosts that are loopback, link-local (cloud instance metadata), private-range or unique-local
 * are special: a prefix covers them only when it names the host (a bare scheme such as
 * `"https://"` never does), so a broad allowance cannot reach them by accident.
 * @module
 */
import { InvalidArgumentError, UrlNotAllowedError } from "../errors.js";
import type { ByteRange, ObjectMeta, ObjectReader, ReadOptions } from "./object-reader.js";
import { memoizeString } from "./memo.js";
import { normalizeUrl } from "./reader-registry.js";

/** The CLI flag that widens the allowed places (named in error messages). */
export const ALLOW_FLAG = "--allow";
/** The vz.config.json key that widens the allowed places (named in error messages). */
export const ALLOW_CONFIG_KEY = "allow";
/** The API option that widens the allowed places (named in error messages). */
export const ALLOW_OPTION = "allowedPrefixes";

const POLICY_MARKER = Symbol.for("vz.referencePolicy");

/** Options of {@link withReferencePolicy}. */
export interface ReferencePolicyOptions {
  /** Absolute URL of the reference set (a file, or a directory such as a kerchunk Parquet store). */
  referenceSet: string;
  /**
   * Further places chunk URLs may point into (absolute URL prefixes: `file:///data/`,
   * `https://host/path/`, `s3://bucket/prefix/`, or a bare scheme `"https://"`). A prefix names a
   * directory: `file:///data/in` allows `file:///data/in/a.nc`, not `file:///data/inx`.
   */
  allowedPrefixes?: readonly string[];
  /**
   * Resolves a host name to its addresses. Used only for an http(s) chunk URL that a bare-scheme
   * prefix (`"https://"`) allows, whose host is a name: when any address is loopback, link-local,
   * private or a metadata address, the URL is refused (a broad prefix never reaches the local
   * network, even through a public-looking name). Default: the resolver registered by
   * `@vz/core/node` (`node:dns`), none in browsers; `false` turns the check off.
   */
  lookup?: ((hostname: string) => Promise<string[]>) | false;
}

let registeredLookup: ((hostname: string) => Promise<string[]>) | undefined;

/** Registers the default host resolver of {@link withReferencePolicy} (`@vz/core/node` registers `node:dns`). */
export function registerHostResolver(lookup: ((hostname: string) => Promise<string[]>) | undefined): void {
  registeredLookup = lookup;
}

/** A reader that checks every URL against a reference policy. */
export interface ReferencePolicyReader extends ObjectReader {
  /** The reference set the policy protects. */
  readonly referenceSet: string;
  /** Every allowed place: the reference set's own place first, then the given prefixes (normalised). */
  readonly allowedPlaces: readonly string[];
  /** The reader reads go to once allowed. */
  readonly inner: ObjectReader;
  /** Throws UrlNotAllowedError when `url` is outside every allowed place; returns the normalised URL. */
  check(url: string): string;
}

/** True when `reader` already enforces a reference policy (across copies of @vz/core). */
export function isReferencePolicyReader(reader: unknown): reader is ReferencePolicyReader {
  return typeof reader === "object" && reader !== null && (reader as Record<symbol, unknown>)[POLICY_MARKER] === true;
}

const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//;

/**
 * The reference set's own place: for `file:` URLs the folder holding it (a directory reference
 * set such as `refs.parq/`: the folder holding the directory), for `s3:`/`gs:` the bucket, for
 * `http(s):` and anything else the origin.
 * @example
 * referencePlace("file:///data/refs/air.json") // "file:///data/refs/"
 * referencePlace("https://host:8080/refs/air.json") // "https://host:8080/"
 * referencePlace("s3://bucket/refs/air.json") // "s3://bucket/"
 */
export function referencePlace(referenceSet: string): string {
  const normalized = normalizeUrl(referenceSet);
  const scheme = SCHEME.exec(normalized)?.[1]?.toLowerCase();
  if (scheme === "file") {
    const path = normalized.replace(/[?#].*$/, "").replace(/\/+$/, "");
    return path.slice(0, path.lastIndexOf("/") + 1);
  }
  if (scheme === "s3" || scheme === "gs" || scheme === "gcs" || scheme === "az" || scheme === "abfs" || scheme === "memory") {
    const match = /^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]*)/.exec(normalized);
    return `${match![1]}/`;
  }
  try {
    const parsed = new URL(normalized);
    if (parsed.origin && parsed.origin !== "null") return `${parsed.origin}/`;
  } catch {
    // fall through
  }
  const match = /^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]*)/.exec(normalized);
  return `${match?.[1] ?? normalized}/`;
}

/** Normalises an allowed prefix: bare schemes lower-cased, the rest as URLs; InvalidArgumentError when it is no absolute URL. */
export function normalizePrefix(prefix: string): string {
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/$/.test(prefix)) return prefix.toLowerCase();
  if (!SCHEME.test(prefix)) {
    throw new InvalidArgumentError(
      `allowed prefix "${prefix}" is not an absolute URL (use file:///path/, https://host/path/, s3://bucket/prefix/ or a bare scheme like https://)`,
      { url: prefix },
    );
  }
  try {
    return normalizeUrl(prefix);
  } catch (cause) {
    throw new InvalidArgumentError(`allowed prefix "${prefix}" is not a valid URL`, { url: prefix, cause });
  }
}

/** True when `url` (normalised) lies under `prefix` (normalised): equal, or below it as a directory. */
export function underPrefix(url: string, prefix: string): boolean {
  if (/^[a-z][a-z0-9+.-]*:\/\/$/.test(prefix)) return url.toLowerCase().startsWith(prefix);
  if (url === prefix) return true;
  const directory = prefix.endsWith("/") ? prefix : `${prefix}/`;
  return url.startsWith(directory);
}

/** The lower-cased host of `url` without brackets, or undefined (file:, unparseable). */
const hostOf = memoizeString(hostOfUncached);

function hostOfUncached(url: string): string | undefined {
  try {
    const host = new URL(url).hostname.toLowerCase();
    return host.replace(/^\[|\]$/g, "") || undefined;
  } catch {
    return undefined;
  }
}

/** Host names of cloud instance-metadata services. */
const METADATA_NAMES = new Set(["metadata.google.internal", "metadata", "metadata.goog", "instance-data"]);

/**
 * True for an IP address (v4 or v6 text) that is a cloud instance-metadata address:
 * 169.254.0.0/16 (AWS, Azure, GCP, OpenStack), 100.100.100.200 (Alibaba), fd00:ec2::254 (AWS IPv6).
 */
export function isMetadataAddress(address: string): boolean {
  const host = address.toLowerCase().replace(/^\[|\]$/g, "").replace(/\.$/, "");
  if (METADATA_NAMES.has(host)) return true;
  const v4 = ipv4Of(host);
  if (v4) return (v4[0] === 169 && v4[1] === 254) || (v4[0] === 100 && v4[1] === 100 && v4[2] === 100 && v4[3] === 200);
  const v6 = expandIpv6(host);
  return v6 === "fd00:0ec2:0000:0000:0000:0000:0000:0254";
}

/** The four octets of a dotted IPv4 address (also inside an IPv4-mapped IPv6 address), or undefined. */
function ipv4Of(host: string): number[] | undefined {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(host)?.[1];
  const text = mapped ?? host;
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(text)) {
    const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
    if (hex) {
      const high = parseInt(hex[1]!, 16);
      const low = parseInt(hex[2]!, 16);
      return [high >> 8, high & 255, low >> 8, low & 255];
    }
    return undefined;
  }
  const parts = text.split(".").map(Number);
  return parts.every((p) => p <= 255) ? parts : undefined;
}

/** A full, zero-padded IPv6 text ("fd00:0ec2:0000:...") or undefined when `host` is no IPv6 address. */
function expandIpv6(host: string): string | undefined {
  if (!host.includes(":") || !/^[0-9a-f:.]+$/.test(host)) return undefined;
  const [head, tail, extra] = host.split("::");
  if (extra !== undefined) return undefined;
  const left = head ? head.split(":") : [];
  const right = tail !== undefined && tail !== "" ? tail.split(":") : [];
  if (left.some((p) => p.includes(".")) || right.some((p) => p.includes("."))) return undefined;
  const missing = 8 - left.length - right.length;
  if (tail === undefined ? missing !== 0 : missing < 0) return undefined;
  const groups = [...left, ...new Array(tail === undefined ? 0 : missing).fill("0"), ...right];
  if (groups.length !== 8 || groups.some((g) => g.length === 0 || g.length > 4)) return undefined;
  return groups.map((g) => g.padStart(4, "0")).join(":");
}

/**
 * True for a host that a reference set must not reach unless a prefix names it: `localhost`,
 * loopback (127/8, ::1), link-local (169.254/16, fe80::/10) and metadata addresses, private
 * ranges (10/8, 172.16/12, 192.168/16, 100.64/10 shared, 0/8), unique-local IPv6 (fc00::/7).
 */
export function isSpecialHost(host: string): boolean {
  const name = host.toLowerCase().replace(/^\[|\]$/g, "").replace(/\.$/, "");
  if (name === "localhost" || name.endsWith(".localhost") || isMetadataAddress(name)) return true;
  const v4 = ipv4Of(name);
  if (v4) {
    const [a, b] = v4 as [number, number, number, number];
    return (
      a === 0 || a === 10 || a === 127 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127)
    );
  }
  const v6 = expandIpv6(name);
  if (!v6) return false;
  if (v6 === "0000:0000:0000:0000:0000:0000:0000:0001" || v6 === "0000:0000:0000:0000:0000:0000:0000:0000") return true;
  const first = parseInt(v6.slice(0, 4), 16);
  return (first & 0xfe00) === 0xfc00 || (first & 0xffc0) === 0xfe80;
}

/** True when `prefix` names the host of `url` (same scheme and authority), i.e. allows it by name. */
function namesHost(prefix: string, url: string): boolean {
  if (/^[a-z][a-z0-9+.-]*:\/\/$/.test(prefix)) return false;
  const authority = (u: string): string | undefined => /^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]*)/.exec(u)?.[1]?.toLowerCase();
  return authority(prefix) !== undefined && authority(prefix) === authority(url);
}

/**
 * Checks `url` against the allowed places of a reference set; returns the normalised URL or throws
 * UrlNotAllowedError naming the URL, the reference set, the allowed places and how to allow it.
 */
export function checkReferenceUrl(url: string, referenceSet: string, allowedPlaces: readonly string[]): string {
  return matchReferenceUrl(url, referenceSet, allowedPlaces).url;
}

/** Like {@link checkReferenceUrl}, also telling which allowed place matched. */
function matchReferenceUrl(url: string, referenceSet: string, allowedPlaces: readonly string[]): { url: string; place: string } {
  let normalized: string;
  try {
    normalized = normalizeUrl(url);
  } catch {
    throw refusal(url, referenceSet, allowedPlaces, "it is not an absolute URL");
  }
  const host = SCHEME.exec(normalized)?.[1]?.toLowerCase() === "file" ? undefined : hostOf(normalized);
  const special = host !== undefined && isSpecialHost(host);
  // Places naming a host or path first: a bare scheme matches only when nothing narrower does.
  const bare = (place: string): boolean => /^[a-z][a-z0-9+.-]*:\/\/$/.test(place);
  for (const place of [...allowedPlaces.filter((p) => !bare(p)), ...allowedPlaces.filter(bare)]) {
    if (!underPrefix(normalized, place)) continue;
    if (special && !namesHost(place, normalized)) continue;
    return { url: normalized, place };
  }
  const why = special
    ? `its host ${host} is ${isMetadataAddress(host) ? "a cloud instance-metadata host" : "a loopback, link-local or private-network host"}, which only a prefix naming that host allows`
    : "it lies outside every allowed place";
  throw refusal(url, referenceSet, allowedPlaces, why);
}

/** `url` without credentials or query string (signed URLs), for messages (as HttpReader's `redactUrl`). */
function shown(url: string): string {
  const match = /^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)([^/?#]*)([^?#]*)(\?[^#]*)?/.exec(url);
  if (!match) return url.replace(/\?.*$/, "?<redacted>");
  const authority = match[2]!.replace(/^.*@/, "<credentials>@");
  return `${match[1]}${authority}${match[3]}${match[4] ? "?<redacted>" : ""}`;
}

function suggestedPrefix(url: string): string {
  const match = /^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^?#]*\/)/.exec(url);
  return match ? match[1]! : url;
}

function refusal(url: string, referenceSet: string, allowedPlaces: readonly string[], why: string): UrlNotAllowedError {
  const prefix = shown(suggestedPrefix(url));
  return new UrlNotAllowedError(
    `refusing to read ${shown(url)}: the reference set ${shown(referenceSet)} points there, and ${why}. ` +
      `Allowed places: ${allowedPlaces.map(shown).join(", ") || "(none)"}. ` +
      `To allow it, pass ${ALLOW_FLAG} ${prefix} (vz CLI), add "${prefix}" to "${ALLOW_CONFIG_KEY}" in vz.config.json, ` +
      `or to the ${ALLOW_OPTION} option (API)`,
    { url: shown(url) },
  );
}

/**
 * Wraps `reader` so that it reads only URLs under the reference set's own place or an allowed
 * prefix; a refused URL throws UrlNotAllowedError before `reader` is called. A reader that already
 * enforces a policy is returned as it is (the outermost caller's policy holds).
 * @example
 * const guarded = withReferencePolicy(reader, { referenceSet: "file:///data/refs/air.json", allowedPrefixes: ["s3://bucket/"] });
 * await guarded.getRange("file:///data/refs/air.nc", 0, 8); // read
 * await guarded.getRange("file:///etc/passwd", 0, 16);      // UrlNotAllowedError, reader not called
 */
export function withReferencePolicy(reader: ObjectReader, options: ReferencePolicyOptions): ReferencePolicyReader {
  if (isReferencePolicyReader(reader)) return reader;
  const referenceSet = normalizeUrl(options.referenceSet);
  const places = [referencePlace(referenceSet), ...(options.allowedPrefixes ?? []).map(normalizePrefix)];
  const lookup = options.lookup === false ? undefined : (options.lookup ?? registeredLookup);
  return new PolicyReader(reader, referenceSet, [...new Set(places)], lookup);
}

/** How long a host's resolved addresses are reused by a policy reader: 30 s. */
const LOOKUP_TTL_MS = 30_000;

class PolicyReader implements ReferencePolicyReader {
  readonly [POLICY_MARKER] = true;
  readonly #lookup: ((hostname: string) => Promise<string[]>) | undefined;
  readonly #resolved = new Map<string, { at: number; addresses: Promise<string[]> }>();
  /** Allowed URLs and the place that allows each (a refused URL is checked, and refused, anew each time). */
  readonly #matched = memoizeString((url: string) => matchReferenceUrl(url, this.referenceSet, this.allowedPlaces));

  constructor(
    readonly inner: ObjectReader,
    readonly referenceSet: string,
    readonly allowedPlaces: readonly string[],
    lookup: ((hostname: string) => Promise<string[]>) | undefined,
  ) {
    this.#lookup = lookup;
  }

  check(url: string): string {
    // The reference set itself (and files inside a directory reference set) are always readable.
    if (url === this.referenceSet) return url;
    return this.#matched(url).url;
  }

  /** {@link check}, plus: a host name that only a bare scheme allows must not resolve to a special address. */
  async #allowed(url: string): Promise<string> {
    if (url === this.referenceSet) return url;
    const match = this.#matched(url);
    if (!this.#lookup || !/^[a-z][a-z0-9+.-]*:\/\/$/.test(match.place) || !/^https?:/i.test(match.url)) return match.url;
    const host = hostOf(match.url);
    if (host === undefined || /^[\d.]+$/.test(host) || host.includes(":")) return match.url;
    let entry = this.#resolved.get(host);
    if (!entry || Date.now() - entry.at > LOOKUP_TTL_MS) {
      entry = { at: Date.now(), addresses: this.#lookup(host) };
      this.#resolved.set(host, entry);
    }
    let addresses: string[];
    try {
      addresses = await entry.addresses;
    } catch {
      this.#resolved.delete(host);
      return match.url; // a name that does not resolve: the request reports it
    }
    const bad = addresses.find((address) => isSpecialHost(address));
    if (bad !== undefined) {
      throw refusal(
        url,
        this.referenceSet,
        this.allowedPlaces,
        `its host ${host} resolves to ${bad}, ${isMetadataAddress(bad) ? "a cloud instance-metadata address" : "a loopback, link-local or private-network address"}, which only a prefix naming that host allows`,
      );
    }
    return match.url;
  }

  async get(url: string, opts?: ReadOptions): Promise<Uint8Array> {
    return this.inner.get(await this.#allowed(url), opts);
  }
  async getRange(url: string, offset: number, length: number, opts?: ReadOptions): Promise<Uint8Array> {
    return this.inner.getRange(await this.#allowed(url), offset, length, opts);
  }
  async getRanges(url: string, ranges: readonly ByteRange[], opts?: ReadOptions): Promise<Uint8Array[]> {
    return this.inner.getRanges(await this.#allowed(url), ranges, opts);
  }
  async head(url: string, opts?: ReadOptions): Promise<ObjectMeta> {
    return this.inner.head(await this.#allowed(url), opts);
  }
  async *list(prefix: string, opts?: ReadOptions): AsyncIterable<{ url: string; size: number }> {
    yield* this.inner.list(await this.#allowed(prefix), opts);
  }
  toString(): string {
    return `ReferencePolicyReader(${this.referenceSet}; allowed: ${this.allowedPlaces.join(", ")})`;
  }
}
