/**
 * The trust rule for reading a repository: its virtual chunk containers say where its chunks
 * live, and they are untrusted input. vz authorises a container only when its URL prefix lies
 * under a place the user allowed — by default the repository's own place (its folder tree for a
 * local repository, its bucket prefix for S3), widened with `allowedPrefixes` (CLI `--allow`,
 * config `allow`).
 * @module
 */

type NodePath = typeof import("node:path");
type NodeUrl = typeof import("node:url");

/** Node's builtins when present (Node >= 20.16), without a static import: this module loads in browsers too. */
function builtin<T>(name: string): T | undefined {
  return (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule?.(name) as T | undefined;
}

/** An absolute local path for `path` relative to `cwd` (node:path, else POSIX rules). */
export function resolveLocalPath(cwd: string, path: string): string {
  const node = builtin<NodePath>("node:path");
  if (node) return node.resolve(cwd, path);
  const parts: string[] = [];
  for (const part of `${path.startsWith("/") ? "" : `${cwd}/`}${path}`.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return `/${parts.join("/")}`;
}

/** `file://` URL of an absolute local path, encoded as Node's pathToFileURL does. */
export function localPathToUrl(path: string): string {
  const node = builtin<NodeUrl>("node:url");
  if (node) return node.pathToFileURL(path).href;
  const url = new URL("file://");
  url.pathname = path.replace(/%/g, "%25").replace(/\\/g, "%5C").replace(/\n/g, "%0A").replace(/\r/g, "%0D").replace(/\t/g, "%09");
  // Node (20.x) also encodes these, which the URL path setter leaves alone.
  return url.href.replace(/[[\]^|~]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
}

const SCHEME = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//;

/** A directory URL always ends with "/" so that `/data` does not also allow `/database`. */
function asDirectory(url: string): string {
  return url.endsWith("/") ? url : `${url}/`;
}

/**
 * The place a repository at `location` (a local path, `file://` URL or `s3://bucket/prefix`)
 * trusts by default: `file:///abs/repo/` or `s3://bucket/prefix/`.
 */
export function repositoryPlace(location: string, cwd: string = defaultCwd()): string {
  if (SCHEME.test(location)) return asDirectory(location);
  return asDirectory(localPathToUrl(resolveLocalPath(cwd, location)));
}

/** `process.cwd()` where there is one. */
export function defaultCwd(): string {
  return (globalThis as { process?: { cwd?: () => string } }).process?.cwd?.() ?? "/";
}

/**
 * An allowed prefix as a URL prefix: local paths (absolute or relative to `cwd`) become
 * `file:///abs/path/` (a folder tree); URLs are kept as given (`s3://bucket/key-prefix`,
 * `https://host/path/`).
 */
export function normalizeAllowedPrefix(entry: string, cwd: string = defaultCwd()): string {
  if (SCHEME.test(entry)) return entry;
  return asDirectory(localPathToUrl(resolveLocalPath(cwd, entry)));
}

/** The first allowed place that covers `prefix`, if any. */
export function allowedPlaceFor(prefix: string, allowed: readonly string[]): string | undefined {
  return allowed.find((place) => prefix.startsWith(place));
}
