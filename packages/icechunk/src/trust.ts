/**
 * The trust rule for reading a repository: its virtual chunk containers say where its chunks
 * live, and they are untrusted input. vz authorises a container only when its URL prefix lies
 * under a place the user allowed — by default the repository's own place (its folder tree for a
 * local repository, its bucket prefix for S3), widened with `allowedPrefixes` (CLI `--allow`,
 * config `allow`).
 * @module
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const SCHEME = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//;

/** A directory URL always ends with "/" so that `/data` does not also allow `/database`. */
function asDirectory(url: string): string {
  return url.endsWith("/") ? url : `${url}/`;
}

/**
 * The place a repository at `location` (a local path, `file://` URL or `s3://bucket/prefix`)
 * trusts by default: `file:///abs/repo/` or `s3://bucket/prefix/`.
 */
export function repositoryPlace(location: string, cwd: string = process.cwd()): string {
  if (location.startsWith("file://")) return asDirectory(location);
  if (SCHEME.test(location)) return asDirectory(location);
  return asDirectory(pathToFileURL(resolve(cwd, location)).href);
}

/**
 * An allowed prefix as a URL prefix: local paths (absolute or relative to `cwd`) become
 * `file:///abs/path/` (a folder tree); URLs are kept as given (`s3://bucket/key-prefix`,
 * `https://host/path/`).
 */
export function normalizeAllowedPrefix(entry: string, cwd: string = process.cwd()): string {
  if (SCHEME.test(entry)) return entry;
  return asDirectory(pathToFileURL(resolve(cwd, entry)).href);
}

/** The first allowed place that covers `prefix`, if any. */
export function allowedPlaceFor(prefix: string, allowed: readonly string[]): string | undefined {
  return allowed.find((place) => prefix.startsWith(place));
}
