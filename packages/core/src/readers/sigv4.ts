/**
 * AWS Signature Version 4 for S3 requests (header-based signing), on WebCrypto
 * (`globalThis.crypto.subtle`) so it runs in browsers and Node without the AWS SDK. In Node the
 * hashes come from `node:crypto` (loaded once, dynamically, so the module stays browser-safe):
 * synchronous and several times cheaper per request than WebCrypto's promise-based calls, which
 * matters when a selection signs hundreds of chunk requests.
 *
 * Reference: "Signature Version 4 signing process" and "Authenticating Requests: Using the
 * Authorization Header" (Amazon S3 API reference).
 * @module
 */

/** AWS credentials. Never logged, never put in error messages. */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** When temporary credentials stop working; a credentials provider is asked again before. */
  expiration?: Date;
}

/** What {@link signRequest} signs. */
export interface SignRequestInput {
  method: string;
  /**
   * The request URL with its path already URI-encoded the S3 way (each byte outside
   * `A-Za-z0-9-._~/` as `%XX`); the path is signed as given (S3 does not double-encode).
   */
  url: string | URL;
  /** Headers to send and sign (besides `host`, which comes from the URL). */
  headers?: Record<string, string>;
  region: string;
  /** `s3` for S3. */
  service: string;
  credentials: AwsCredentials;
  /** Hex SHA-256 of the body, or `UNSIGNED-PAYLOAD`. Default: the hash of an empty body. */
  payloadHash?: string;
  /** Signing time. Default: now. */
  date?: Date;
  /**
   * Reuses derived signing keys (one per access key, day, region and service), saving four HMACs
   * per request. Keep it private: it holds key material.
   */
  signingKeyCache?: SigningKeyCache;
}

/** Derived SigV4 signing keys, reusable for one day per access key, region and service. */
export type SigningKeyCache = Map<string, { secretAccessKey: string; key: Uint8Array }>;

/** Hex SHA-256 of the empty string: the payload hash of GET and HEAD requests. */
export const EMPTY_PAYLOAD_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

const encoder = new TextEncoder();

function subtle(): SubtleCrypto {
  const crypto = (globalThis as { crypto?: Crypto }).crypto;
  if (!crypto?.subtle) throw new Error("AWS signing needs WebCrypto (globalThis.crypto.subtle), which this runtime lacks");
  return crypto.subtle;
}

function toHex(buffer: ArrayBuffer): string {
  const bytes = new Uint8Array(buffer);
  let out = "";
  for (const byte of bytes) out += byte.toString(16).padStart(2, "0");
  return out;
}

function asBuffer(data: string | Uint8Array): Uint8Array<ArrayBuffer> {
  if (typeof data === "string") return encoder.encode(data);
  const copy = new Uint8Array(data.byteLength);
  copy.set(data);
  return copy;
}

/** What SigV4 needs of `node:crypto`. */
interface NodeCrypto {
  createHash(algorithm: "sha256"): { update(data: string | Uint8Array): { digest(encoding: "hex"): string } };
  createHmac(algorithm: "sha256", key: Uint8Array): { update(data: string): { digest(): Uint8Array } };
}

let nodeCrypto: Promise<NodeCrypto | undefined> | undefined;

/** `node:crypto` when running in Node (loaded once), otherwise undefined (WebCrypto is used). */
function loadNodeCrypto(): Promise<NodeCrypto | undefined> {
  nodeCrypto ??= (async () => {
    const versions = (globalThis as { process?: { versions?: { node?: string } } }).process?.versions;
    if (!versions?.node) return undefined;
    try {
      const specifier = "node:crypto"; // a variable keeps bundlers for browsers from resolving it
      return (await import(/* @vite-ignore */ specifier)) as NodeCrypto;
    } catch {
      return undefined;
    }
  })();
  return nodeCrypto;
}

/** Hex SHA-256 of `data` (UTF-8 for strings). */
export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  const node = await loadNodeCrypto();
  if (node) return node.createHash("sha256").update(data).digest("hex");
  return toHex(await subtle().digest("SHA-256", asBuffer(data)));
}

async function hmac(key: string | Uint8Array, data: string): Promise<Uint8Array> {
  const node = await loadNodeCrypto();
  if (node) {
    const digest = node.createHmac("sha256", typeof key === "string" ? encoder.encode(key) : key).update(data).digest();
    return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength).slice(); // its own buffer, as WebCrypto's
  }
  const cryptoKey = await subtle().importKey("raw", asBuffer(key), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await subtle().sign("HMAC", cryptoKey, encoder.encode(data)));
}

async function deriveSigningKey(
  credentials: AwsCredentials,
  day: string,
  region: string,
  service: string,
  cache: SigningKeyCache | undefined,
): Promise<Uint8Array> {
  const id = `${credentials.accessKeyId}/${day}/${region}/${service}`;
  const cached = cache?.get(id);
  if (cached && cached.secretAccessKey === credentials.secretAccessKey) return cached.key;
  const dateKey = await hmac(`AWS4${credentials.secretAccessKey}`, day);
  const regionKey = await hmac(dateKey, region);
  const serviceKey = await hmac(regionKey, service);
  const key = await hmac(serviceKey, "aws4_request");
  if (cache) {
    if (cache.size >= 16) cache.clear();
    cache.set(id, { secretAccessKey: credentials.secretAccessKey, key });
  }
  return key;
}

/** URI-encodes `text` as SigV4 wants: every byte except `A-Za-z0-9-._~` becomes `%XX` (upper case). */
export function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Encodes an S3 object key for a URL path: {@link uriEncode} per segment, `/` kept. */
export function encodeS3Key(key: string): string {
  return key.split("/").map(uriEncode).join("/");
}

function decodeComponent(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function canonicalQuery(search: string): string {
  if (search.length <= 1) return "";
  const pairs = search
    .slice(1)
    .split("&")
    .filter((part) => part.length > 0)
    .map((part) => {
      const equals = part.indexOf("=");
      const key = equals < 0 ? part : part.slice(0, equals);
      const value = equals < 0 ? "" : part.slice(equals + 1);
      return [uriEncode(decodeComponent(key)), uriEncode(decodeComponent(value))] as const;
    });
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([key, value]) => `${key}=${value}`).join("&");
}

/** `YYYYMMDD'T'HHMMSS'Z'` for `x-amz-date`. */
export function amzDate(date: Date): string {
  return date.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}

/** The pieces of a signature, for tests and debugging (contains no secret). */
export interface SignatureParts {
  canonicalRequest: string;
  stringToSign: string;
  signature: string;
  /** Headers to add to the request (without `host`, which fetch sets from the URL). */
  headers: Record<string, string>;
}

/**
 * Signs a request with SigV4. Returns the headers to send: the input headers plus `x-amz-date`,
 * `x-amz-content-sha256`, `x-amz-security-token` (with a session token) and `authorization`.
 * @example
 * const headers = await signRequest({ method: "GET", url: "https://b.s3.us-east-1.amazonaws.com/k",
 *   region: "us-east-1", service: "s3", credentials, headers: { range: "bytes=0-9" } });
 */
export async function signRequest(input: SignRequestInput): Promise<Record<string, string>> {
  return (await signRequestParts(input)).headers;
}

/** {@link signRequest} that also returns the canonical request and string to sign. */
export async function signRequestParts(input: SignRequestInput): Promise<SignatureParts> {
  const url = typeof input.url === "string" ? new URL(input.url) : input.url;
  const date = input.date ?? new Date();
  const stamp = amzDate(date);
  const day = stamp.slice(0, 8);
  const payloadHash = input.payloadHash ?? EMPTY_PAYLOAD_SHA256;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.headers ?? {})) headers[name.toLowerCase()] = value;
  headers["x-amz-date"] = stamp;
  headers["x-amz-content-sha256"] = payloadHash;
  if (input.credentials.sessionToken) headers["x-amz-security-token"] = input.credentials.sessionToken;

  const signed: Record<string, string> = { ...headers, host: url.host };
  const names = Object.keys(signed).sort();
  const canonicalHeaders = names.map((name) => `${name}:${signed[name]!.trim().replace(/\s+/g, " ")}\n`).join("");
  const signedHeaders = names.join(";");
  const canonicalRequest = [
    input.method.toUpperCase(),
    url.pathname || "/",
    canonicalQuery(url.search),
    canonicalHeaders,
    signedHeaders,
    payloadHash,
  ].join("\n");
  const scope = `${day}/${input.region}/${input.service}/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", stamp, scope, await sha256Hex(canonicalRequest)].join("\n");
  const signingKey = await deriveSigningKey(input.credentials, day, input.region, input.service, input.signingKeyCache);
  const signature = toHex((await hmac(signingKey, stringToSign)).buffer as ArrayBuffer);
  headers.authorization =
    `AWS4-HMAC-SHA256 Credential=${input.credentials.accessKeyId}/${scope}, ` +
    `SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return { canonicalRequest, stringToSign, signature, headers };
}
