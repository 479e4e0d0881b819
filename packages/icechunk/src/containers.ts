/**
 * Virtual chunk containers: the repository configuration entries that say which URL prefixes a
 * repository may reference (and how to reach them), plus the matching access authorisation.
 * @module
 */
import { InvalidArgumentError, UrlNotAllowedError } from "@vz/core";

/** S3 settings used for `s3://` containers (credentials come from the environment unless given). */
export interface S3ContainerOptions {
  region?: string;
  endpointUrl?: string;
  allowHttp?: boolean;
  forcePathStyle?: boolean;
  anonymous?: boolean;
  /** Static credentials for reading the virtual chunks; default: from the environment. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

/** An Icechunk `VirtualChunkContainer` (structural). */
export interface VirtualChunkContainer {
  name?: string;
  urlPrefix: string;
  store: { type: string; field0?: unknown };
}

/** The container prefix that covers `url`: its directory for files, bucket for S3, origin for HTTP. */
export function containerPrefixFor(url: string): string {
  if (url.startsWith("file://")) return url.slice(0, url.lastIndexOf("/") + 1);
  const match = /^(s3|gs|az|https?):\/\/([^/]+)\//.exec(url);
  if (!match) {
    throw new UrlNotAllowedError(`no Icechunk virtual chunk container type for ${url} (supported: file://, s3://, gs://, http(s)://)`, {
      url,
    });
  }
  return `${match[1]}://${match[2]}/`;
}

function containerFor(prefix: string, s3: S3ContainerOptions): VirtualChunkContainer {
  if (prefix.startsWith("file://")) {
    return { urlPrefix: prefix, store: { type: "LocalFileSystem", field0: decodeURIComponent(prefix.slice("file://".length)) } };
  }
  if (prefix.startsWith("s3://")) {
    const options: Record<string, unknown> = {};
    if (s3.region) options.region = s3.region;
    if (s3.endpointUrl) options.endpointUrl = s3.endpointUrl;
    if (s3.allowHttp !== undefined) options.allowHttp = s3.allowHttp;
    else if (s3.endpointUrl?.startsWith("http://")) options.allowHttp = true;
    if (s3.forcePathStyle !== undefined) options.forcePathStyle = s3.forcePathStyle;
    if (s3.anonymous !== undefined) options.anonymous = s3.anonymous;
    return { urlPrefix: prefix, store: { type: s3.endpointUrl ? "S3Compatible" : "S3", field0: options } };
  }
  if (prefix.startsWith("gs://")) return { urlPrefix: prefix, store: { type: "Gcs", field0: {} } };
  if (prefix.startsWith("http://") || prefix.startsWith("https://")) return { urlPrefix: prefix, store: { type: "Http", field0: { opts: {}, headers: {} } } };
  throw new InvalidArgumentError(`unsupported container prefix ${prefix}`);
}

/**
 * Containers and access authorisation for every URL a dataset references.
 * @returns `containers` for `RepositoryConfig.virtualChunkContainers` and `authorize` for
 * `Repository.create/open(..., authorizeVirtualChunkAccess)`.
 */
export function virtualChunkContainersFor(
  urls: Iterable<string>,
  options: { s3?: S3ContainerOptions } = {},
): { containers: Record<string, VirtualChunkContainer>; authorize: Record<string, unknown> } {
  const s3 = options.s3 ?? {};
  const containers: Record<string, VirtualChunkContainer> = {};
  const authorize: Record<string, unknown> = {};
  for (const url of urls) {
    const prefix = containerPrefixFor(url);
    if (containers[prefix]) continue;
    containers[prefix] = containerFor(prefix, s3);
    authorize[prefix] = credentialsFor(prefix, s3);
  }
  return { containers, authorize };
}

/**
 * The access authorisation Icechunk needs for a container: S3 credentials (anonymous, static or
 * from the environment) for `s3://`, `HttpAccess` for `http(s)://`, GCS credentials from the
 * environment for `gs://`, none (`null`) for local files.
 */
export function credentialsFor(prefix: string, s3: S3ContainerOptions = {}): Record<string, unknown> | null {
  if (prefix.startsWith("s3://")) {
    if (s3.anonymous) return { type: "S3", field0: { type: "Anonymous" } };
    if (s3.credentials) {
      return {
        type: "S3",
        field0: {
          type: "Static",
          field0: {
            accessKeyId: s3.credentials.accessKeyId,
            secretAccessKey: s3.credentials.secretAccessKey,
            ...(s3.credentials.sessionToken ? { sessionToken: s3.credentials.sessionToken } : {}),
          },
        },
      };
    }
    return { type: "S3", field0: { type: "FromEnv" } };
  }
  if (prefix.startsWith("http://") || prefix.startsWith("https://")) return { type: "HttpAccess" };
  if (prefix.startsWith("gs://")) return { type: "Gcs", field0: { type: "FromEnv" } };
  return null;
}
