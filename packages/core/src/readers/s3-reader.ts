/**
 * S3Reader: objects in Amazon S3 or an S3-compatible store (MinIO, moto, R2, ...), addressed as
 * `s3://bucket/key`, signed with AWS Signature V4 on WebCrypto (no AWS SDK), so it runs in
 * browsers too. Reads go through {@link HttpReader}'s machinery: ranges, retries, timeouts.
 *
 * Keys in `s3://` URLs are percent-decoded (`s3://b/a%20b` and `s3://b/a b` name the key `a b`);
 * write a literal `%` as `%25`.
 * @module
 */
import { InvalidArgumentError, ReadError } from "../errors.js";
import { HttpReader, type ErrorDetail, type HttpReaderOptions, type PreparedRequest } from "./http-reader.js";
import type { ReadOptions } from "./object-reader.js";
import { encodeS3Key, signRequest, uriEncode, type AwsCredentials, type SigningKeyCache } from "./sigv4.js";

/** Where credentials come from: fixed values, or a function asked again before they expire. */
export type AwsCredentialsSource = AwsCredentials | (() => Promise<AwsCredentials>);

/** Options of {@link S3Reader}. */
export interface S3ReaderOptions extends Omit<HttpReaderOptions, "headers"> {
  /** AWS region used for signing and for the AWS endpoint. Default `us-east-1`. */
  region?: string;
  /** A custom endpoint, e.g. `http://127.0.0.1:9000` (MinIO, moto, R2). Default: AWS. */
  endpoint?: string;
  /**
   * Path-style URLs (`endpoint/bucket/key`) instead of virtual-hosted ones (`bucket.endpoint/key`).
   * Default: true with a custom `endpoint`; false for AWS (path style is still used for bucket
   * names that are not valid host names, e.g. with dots).
   */
  forcePathStyle?: boolean;
  /** Credentials; requests are sent unsigned when absent. */
  credentials?: AwsCredentialsSource;
  /** Send unsigned requests even when credentials are given (public buckets). */
  anonymous?: boolean;
  /** Keys per ListObjectsV2 page (`max-keys`, 1..1000). Default: the server's (1000 on AWS). */
  listPageSize?: number;
}

/** Bucket and (decoded) key of an `s3://` URL. */
export function parseS3Url(url: string): { bucket: string; key: string; query: string } {
  const match = /^s3:\/\/([^/?#]+)\/?([^?#]*)(\?[^#]*)?$/i.exec(url);
  if (!match) {
    throw new InvalidArgumentError(`not an s3:// URL (s3://bucket/key): ${url}`, { url });
  }
  const key = match[2]!
    .split("/")
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        return segment;
      }
    })
    .join("/");
  return { bucket: match[1]!, key, query: match[3] ?? "" };
}

const DNS_BUCKET = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

/**
 * The HTTP(S) URL of an S3 object (or of a bucket when `key` is empty, for listing).
 * `query` is appended as given (start it with `?`).
 */
export function s3HttpUrl(
  bucket: string,
  key: string,
  options: { region?: string; endpoint?: string; forcePathStyle?: boolean },
  query = "",
): string {
  const region = options.region ?? "us-east-1";
  const path = encodeS3Key(key);
  if (options.endpoint) {
    const endpoint = new URL(options.endpoint);
    const base = endpoint.href.replace(/\/+$/, "");
    if (options.forcePathStyle ?? true) return `${base}/${uriEncode(bucket)}/${path}${query}`;
    return `${endpoint.protocol}//${bucket}.${endpoint.host}${endpoint.pathname.replace(/\/+$/, "")}/${path}${query}`;
  }
  if (!(options.forcePathStyle ?? false) && DNS_BUCKET.test(bucket)) {
    return `https://${bucket}.s3.${region}.amazonaws.com/${path}${query}`;
  }
  return `https://s3.${region}.amazonaws.com/${uriEncode(bucket)}/${path}${query}`;
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

/** Decodes the XML entities S3 uses in text nodes. */
export function decodeXmlText(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-zA-Z]+);/g, (whole, name: string) => {
    if (name.startsWith("#x")) return String.fromCodePoint(Number.parseInt(name.slice(2), 16));
    if (name.startsWith("#")) return String.fromCodePoint(Number.parseInt(name.slice(1), 10));
    return ENTITIES[name] ?? whole;
  });
}

function xmlElement(xml: string, name: string): string | undefined {
  const match = new RegExp(`<${name}(?:\\s[^>]*)?>([\\s\\S]*?)</${name}>`).exec(xml);
  return match ? decodeXmlText(match[1]!) : undefined;
}

/** One page of a ListObjectsV2 answer. */
export function parseListObjectsV2(xml: string): {
  objects: { key: string; size: number }[];
  truncated: boolean;
  continuationToken?: string;
} {
  const objects: { key: string; size: number }[] = [];
  for (const match of xml.matchAll(/<Contents(?:\s[^>]*)?>([\s\S]*?)<\/Contents>/g)) {
    const key = xmlElement(match[1]!, "Key");
    const size = xmlElement(match[1]!, "Size");
    if (key === undefined || size === undefined || !/^\s*\d+\s*$/.test(size)) continue;
    objects.push({ key, size: Number(size) });
  }
  const truncated = xmlElement(xml, "IsTruncated")?.trim().toLowerCase() === "true";
  const token = xmlElement(xml, "NextContinuationToken");
  return { objects, truncated, ...(token ? { continuationToken: token } : {}) };
}

const NOT_FOUND_CODES = new Set(["NoSuchKey", "NoSuchBucket", "NotFound", "NoSuchVersion"]);
const PERMISSION_CODES = new Set([
  "AccessDenied",
  "AllAccessDisabled",
  "AccountProblem",
  "ExpiredToken",
  "InvalidAccessKeyId",
  "InvalidToken",
  "SignatureDoesNotMatch",
  "InvalidObjectState",
]);
const RETRY_CODES = new Set([
  "InternalError",
  "RequestTimeout",
  "ServiceUnavailable",
  "SlowDown",
  "Throttling",
  "ThrottlingException",
  "RequestLimitExceeded",
]);

/** Refresh provided credentials this long before they expire. */
const REFRESH_MARGIN_MS = 5 * 60 * 1000;

/**
 * An ObjectReader over S3. Status and S3 error codes map to typed errors: NoSuchKey/NoSuchBucket
 * → NotFoundError, AccessDenied & co → PermissionDeniedError, InvalidRange →
 * RangeNotSatisfiableError, SlowDown/InternalError/5xx/429 → retried, then ReadError. Credentials
 * never appear in messages, `toString()` or `JSON.stringify(reader)`.
 * @example
 * const reader = new S3Reader({ region: "eu-west-1", credentials: { accessKeyId, secretAccessKey } });
 * const bytes = await reader.getRange("s3://bucket/data/file.nc", 0, 4096);
 */
export class S3Reader extends HttpReader {
  readonly #region: string;
  readonly #endpoint: string | undefined;
  readonly #forcePathStyle: boolean | undefined;
  readonly #credentials: AwsCredentialsSource | undefined;
  readonly #anonymous: boolean;
  readonly #listPageSize: number | undefined;
  readonly #signingKeys: SigningKeyCache = new Map();
  #cached: AwsCredentials | undefined;
  #pending: Promise<AwsCredentials> | undefined;

  constructor(options: S3ReaderOptions = {}) {
    super(options);
    this.#region = options.region ?? "us-east-1";
    this.#endpoint = options.endpoint;
    this.#forcePathStyle = options.forcePathStyle;
    this.#credentials = options.credentials;
    this.#anonymous = options.anonymous ?? options.credentials === undefined;
    this.#listPageSize = options.listPageSize;
    if (options.endpoint !== undefined) {
      try {
        new URL(options.endpoint);
      } catch (cause) {
        throw new InvalidArgumentError(`S3Reader: endpoint is not a URL: ${options.endpoint}`, { cause });
      }
    }
  }

  /** The region requests are signed for. */
  get region(): string {
    return this.#region;
  }

  /** The HTTP(S) URL a `s3://bucket/key` URL is fetched from (without signature). */
  httpUrl(url: string): string {
    const { bucket, key, query } = parseS3Url(url);
    return s3HttpUrl(bucket, key, this.#endpointOptions(), query);
  }

  #endpointOptions(): { region: string; endpoint?: string; forcePathStyle?: boolean } {
    return {
      region: this.#region,
      ...(this.#endpoint !== undefined ? { endpoint: this.#endpoint } : {}),
      ...(this.#forcePathStyle !== undefined ? { forcePathStyle: this.#forcePathStyle } : {}),
    };
  }

  async #resolveCredentials(): Promise<AwsCredentials | undefined> {
    if (this.#anonymous || this.#credentials === undefined) return undefined;
    if (typeof this.#credentials !== "function") return this.#credentials;
    const cached = this.#cached;
    if (cached && (!cached.expiration || cached.expiration.getTime() - Date.now() > REFRESH_MARGIN_MS)) return cached;
    if (!this.#pending) {
      this.#pending = this.#credentials().finally(() => {
        this.#pending = undefined;
      });
    }
    this.#cached = await this.#pending;
    return this.#cached;
  }

  protected override async prepareRequest(
    method: string,
    url: string,
    headers: Record<string, string>,
  ): Promise<PreparedRequest> {
    const requestUrl = this.httpUrl(url);
    const credentials = await this.#resolveCredentials();
    if (!credentials) return { url: requestUrl, headers };
    const toSign: Record<string, string> = {};
    const unsigned: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers)) {
      if (name.toLowerCase() === "range") toSign[name.toLowerCase()] = value;
      else unsigned[name] = value;
    }
    const signed = await signRequest({
      method,
      url: requestUrl,
      headers: toSign,
      region: this.#region,
      service: "s3",
      credentials,
      signingKeyCache: this.#signingKeys,
    });
    return { url: requestUrl, headers: { ...unsigned, ...signed } };
  }

  protected override async describeErrorResponse(response: Response): Promise<ErrorDetail> {
    const text = (await response.text()).slice(0, 16_384);
    const code = xmlElement(text, "Code")?.trim();
    const message = xmlElement(text, "Message")?.trim().slice(0, 300);
    return { ...(code ? { code } : {}), ...(message ? { message } : {}) };
  }

  protected override classifyErrorCode(code: string): "not-found" | "permission" | "range" | "retry" | undefined {
    if (NOT_FOUND_CODES.has(code)) return "not-found";
    if (PERMISSION_CODES.has(code)) return "permission";
    if (code === "InvalidRange") return "range";
    if (RETRY_CODES.has(code)) return "retry";
    return undefined;
  }

  protected override displayUrl(url: string): string {
    return url.startsWith("s3://") ? url : super.displayUrl(url);
  }

  /** Objects under `prefix` (`s3://bucket/some/prefix`), through ListObjectsV2 with continuation tokens. */
  override async *list(prefix: string, opts: ReadOptions = {}): AsyncIterable<{ url: string; size: number }> {
    const { bucket, key } = parseS3Url(prefix);
    let token: string | undefined;
    for (let page = 0; ; page++) {
      let query = `?list-type=2&prefix=${uriEncode(key)}`;
      if (this.#listPageSize !== undefined) query += `&max-keys=${Math.max(1, Math.min(1000, Math.floor(this.#listPageSize)))}`;
      if (token !== undefined) query += `&continuation-token=${uriEncode(token)}`;
      const listUrl = `s3://${bucket}/${query}`;
      const xml = await this.send(
        "GET",
        listUrl,
        {},
        { what: "LIST", url: listUrl, ...(opts.signal ? { signal: opts.signal } : {}) },
        (response) => response.text(),
      );
      const result = parseListObjectsV2(xml);
      for (const object of result.objects) yield { url: `s3://${bucket}/${object.key}`, size: object.size };
      if (!result.truncated) return;
      if (!result.continuationToken || result.continuationToken === token) {
        throw new ReadError(`LIST s3://${bucket}/${key}: truncated answer without a new continuation token (page ${page})`, {
          url: prefix,
        });
      }
      token = result.continuationToken;
    }
  }

  override toString(): string {
    return `S3Reader(region=${this.#region}${this.#endpoint ? `, endpoint=${redactEndpoint(this.#endpoint)}` : ""}, signed=${!this.#anonymous})`;
  }

  override toJSON(): Record<string, unknown> {
    return {
      reader: "S3Reader",
      region: this.#region,
      ...(this.#endpoint ? { endpoint: redactEndpoint(this.#endpoint) } : {}),
      signed: !this.#anonymous,
    };
  }
}

function redactEndpoint(endpoint: string): string {
  try {
    const url = new URL(endpoint);
    url.username = "";
    url.password = "";
    url.search = "";
    return url.href;
  } catch {
    return "<invalid endpoint>";
  }
}
