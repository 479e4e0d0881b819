/**
 * Shared between the JSON and the Parquet reference readers: the Zarr v2 metadata documents of a
 * reference set (`.zgroup`, `.zattrs`, `.zarray` by key) → translated arrays and the group tree.
 * @module
 */
import {
  type ArrayMetadata,
  InvalidArgumentError,
  isVzError,
  type ManifestArray,
  ManifestGroup,
  ParseError,
  UrlNotAllowedError,
  type VzError,
} from "@vz/core";
import { chunkGridShape } from "@vz/core/internal";
import { parseJsonLenient, translateZarrV2Array } from "./zarr-v2-metadata.js";

/** Options every kerchunk reader takes. */
export interface KerchunkReadOptions {
  /**
   * Absolute URL (e.g. `file:///data/` or `s3://bucket/prefix/`) against which relative chunk
   * URLs are resolved. Without it a relative URL is an error: nothing is resolved against the
   * current directory.
   */
  root?: string;
  /** Path of the group to return as the store's root ("" = the whole reference set). */
  group?: string;
  /** Name under which an array stored at the root of the reference set (a bare `.zarray`) appears. Default "data". */
  rootArrayName?: string;
}

/** A translated array of a reference set. */
export interface ArrayEntry {
  /** Path in the reference set ("" for an array at the root). */
  path: string;
  metadata: ArrayMetadata;
  /** Chunk grid shape (the manifest's shape). */
  grid: number[];
}

const textDecoder = new TextDecoder();

/** Whether `key` is a Zarr v2 metadata key (`.zarray`, `.zattrs`, `.zgroup`, `.zmetadata`, maybe under a path). */
export function isMetadataKey(key: string): boolean {
  const slash = key.lastIndexOf("/");
  return key.startsWith(".z", slash + 1);
}

/** Parses a metadata reference value: a JSON string, an already-parsed object, or `base64:` JSON. */
export function parseMetadataValue(value: unknown, key: string, url: string): unknown {
  if (typeof value === "string") {
    const text = value.startsWith("base64:") ? textDecoder.decode(decodeBase64(value.slice(7), key, url)) : value;
    try {
      return parseJsonLenient(text);
    } catch (cause) {
      throw new ParseError(`kerchunk ${url}: "${key}" is not valid JSON: ${(cause as Error).message}`, { url, parser: "kerchunk", cause });
    }
  }
  if (typeof value === "object" && value !== null && !Array.isArray(value)) return value;
  throw new ParseError(`kerchunk ${url}: metadata key "${key}" holds ${JSON.stringify(value)?.slice(0, 80)}, not a JSON document`, {
    url,
    parser: "kerchunk",
  });
}

/** Decodes base64 text (kerchunk `base64:` inline data). */
export function decodeBase64(text: string, key: string, url: string): Uint8Array {
  let binary: string;
  try {
    binary = atob(text);
  } catch (cause) {
    throw new ParseError(`kerchunk ${url}: "${key}" has invalid base64 data`, { url, parser: "kerchunk", cause });
  }
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

function parentOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? "" : path.slice(0, slash);
}

/**
 * Translates every `.zarray` of `metadata` (key → parsed document). An array vz cannot represent
 * is left out and its error added to `diagnostics` (as VirtualiZarr skips such variables).
 */
export function collectArrays(metadata: ReadonlyMap<string, unknown>, url: string, diagnostics: VzError[]): Map<string, ArrayEntry> {
  const arrays = new Map<string, ArrayEntry>();
  for (const [key, zarray] of metadata) {
    if (key !== ".zarray" && !key.endsWith("/.zarray")) continue;
    const path = key === ".zarray" ? "" : key.slice(0, -"/.zarray".length);
    const variable = path === "" ? "/" : path;
    try {
      const zattrs = metadata.get(path === "" ? ".zattrs" : `${path}/.zattrs`);
      const translated = translateZarrV2Array(zarray, zattrs, { url, variable });
      arrays.set(path, { path, metadata: translated, grid: chunkGridShape(translated.shape, translated.chunk_grid.configuration.chunk_shape) });
    } catch (error) {
      if (!isVzError(error)) throw error;
      diagnostics.push(error);
    }
  }
  return arrays;
}

/** Resolves chunk URLs: absolute ones stay, relative ones go against `root` or are refused. */
export class UrlResolver {
  readonly #root: string | undefined;
  readonly #url: string;
  readonly #cache = new Map<string, string>();

  constructor(referenceUrl: string, root: string | undefined) {
    this.#url = referenceUrl;
    if (root !== undefined) {
      if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(root)) {
        throw new InvalidArgumentError(`kerchunk ${referenceUrl}: root "${root}" is not an absolute URL (e.g. file:///data/)`, {
          url: referenceUrl,
        });
      }
      this.#root = root.endsWith("/") ? root : `${root}/`;
    }
  }

  /** The absolute URL for `target` as written in the reference set (`key` names the reference). */
  resolve(target: string, key: string): string {
    const cached = this.#cache.get(target);
    if (cached !== undefined) return cached;
    let resolved: string;
    if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(target)) resolved = target;
    else if (this.#root === undefined) {
      throw new UrlNotAllowedError(
        `kerchunk ${this.#url}: reference "${key}" points to the relative URL "${target}"; pass the root option ` +
          `(an absolute URL such as file:///data/) to say where relative URLs live`,
        { url: this.#url, variable: key },
      );
    } else {
      try {
        resolved = new URL(target, this.#root).href;
      } catch (cause) {
        throw new UrlNotAllowedError(`kerchunk ${this.#url}: reference "${key}" has URL "${target}", which cannot be resolved against ${this.#root}`, {
          url: this.#url,
          variable: key,
          cause,
        });
      }
    }
    this.#cache.set(target, resolved);
    return resolved;
  }
}

/**
 * Builds the group tree: every path with a `.zgroup`, every parent of an array; attributes from
 * the `.zattrs` of each group. An array at the root of the reference set is placed in the root
 * group as `rootArrayName`. Returns the group at `options.group`.
 */
export function buildGroupTree(
  metadata: ReadonlyMap<string, unknown>,
  arrays: ReadonlyMap<string, ManifestArray>,
  url: string,
  options: KerchunkReadOptions,
): ManifestGroup {
  const groupPaths = new Set<string>([""]);
  const addWithParents = (path: string): void => {
    for (let p = path; p !== ""; p = parentOf(p)) groupPaths.add(p);
  };
  for (const key of metadata.keys()) {
    if (key.endsWith("/.zgroup")) addWithParents(key.slice(0, -"/.zgroup".length));
  }
  for (const path of arrays.keys()) if (path !== "") addWithParents(parentOf(path));
  for (const path of arrays.keys()) {
    if (path !== "" && groupPaths.has(path)) {
      throw new ParseError(`kerchunk ${url}: "${path}" is both an array (.zarray) and a group (.zgroup or a parent of arrays)`, {
        url,
        parser: "kerchunk",
        variable: path,
      });
    }
  }
  // Build bottom-up: deepest groups first.
  const depth = (path: string): number => (path === "" ? 0 : path.split("/").length);
  const ordered = [...groupPaths].sort((a, b) => depth(b) - depth(a) || (a < b ? -1 : 1));
  const built = new Map<string, ManifestGroup>();
  for (const path of ordered) {
    const childArrays = new Map<string, ManifestArray>();
    const childGroups = new Map<string, ManifestGroup>();
    for (const [arrayPath, array] of arrays) {
      if (arrayPath === "") {
        if (path === "") childArrays.set(options.rootArrayName ?? "data", array);
      } else if (parentOf(arrayPath) === path) childArrays.set(arrayPath.slice(path === "" ? 0 : path.length + 1), array);
    }
    for (const [groupPath, group] of built) {
      if (groupPath !== "" && parentOf(groupPath) === path) childGroups.set(groupPath.slice(path === "" ? 0 : path.length + 1), group);
    }
    const attributes = path === "" && arrays.has("") ? {} : metadata.get(path === "" ? ".zattrs" : `${path}/.zattrs`);
    try {
      built.set(
        path,
        new ManifestGroup({
          arrays: childArrays,
          groups: childGroups,
          attributes: typeof attributes === "object" && attributes !== null && !Array.isArray(attributes) ? (attributes as Record<string, unknown>) : {},
        }),
      );
    } catch (cause) {
      throw new ParseError(`kerchunk ${url}: group "${path || "/"}": ${(cause as Error).message}`, { url, parser: "kerchunk", cause });
    }
  }
  const root = built.get("")!;
  const wanted = (options.group ?? "").replace(/^\/+|\/+$/g, "");
  if (wanted === "") return root;
  const node = root.resolve(wanted);
  if (!(node instanceof ManifestGroup)) {
    throw new InvalidArgumentError(
      `kerchunk ${url}: no group "${wanted}"; groups: ${[...root.walkGroups()].map(([p]) => p || "/").join(", ")}`,
      { url },
    );
  }
  return node;
}
