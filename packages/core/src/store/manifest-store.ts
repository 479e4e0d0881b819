/**
 * ManifestStore: a read-only, zarrita-compatible store over a ManifestGroup. Metadata keys serve
 * `zarr.json`; chunk keys are mapped to byte ranges of the source files and read through an
 * ObjectReader; a missing chunk is `undefined` (zarrita then uses the fill value).
 * @module
 */
import { registerCodecs } from "../codecs/register-codecs.js";
import { NotFoundError, type VzError } from "../errors.js";
import { ManifestArray } from "../manifest/manifest-array.js";
import { ManifestGroup } from "../manifest/manifest-group.js";
import type { ObjectReader, ReadOptions } from "../readers/object-reader.js";

/** Byte range in zarrita's shape. */
export type RangeQuery = { offset: number; length: number } | { suffixLength: number };

const encoder = new TextEncoder();

function encodeJson(value: unknown): Uint8Array {
  return encoder.encode(
    JSON.stringify(value, (_key, v) => {
      if (typeof v === "number" && !Number.isFinite(v)) return Number.isNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity";
      if (typeof v === "bigint") return Number(v);
      return v;
    }),
  );
}

/**
 * The metadata document of a node as zarrita reads it: zarrita 0.7 knows fixed-length byte
 * strings (numpy `|S<n>`, e.g. netCDF `char` arrays) under its own data type name `v2:S<n>`.
 */
function metadataDocument(node: ManifestGroup | ManifestArray): Uint8Array {
  if (!(node instanceof ManifestArray)) return encodeJson(node.metadata);
  const metadata = node.metadata;
  const fixed = /^fixed_length_bytes:(\d+)$/.exec(metadata.data_type);
  if (!fixed) return encodeJson(metadata);
  const fill = metadata.fill_value;
  const fillValue = typeof fill === "string" ? fill : Array.isArray(fill) ? String.fromCharCode(...(fill as number[])) : "";
  return encodeJson({ ...metadata, data_type: `v2:S${fixed[1]}`, fill_value: fillValue });
}

/** A store over virtual references that zarrita (and anything with `get`/`getRange`) can open. */
export class ManifestStore {
  readonly group: ManifestGroup;
  readonly reader: ObjectReader;
  /**
   * Problems the parser met but did not raise, e.g. variables skipped because they cannot be
   * virtualized (each a typed error naming file, variable and reason).
   */
  readonly diagnostics: readonly VzError[];

  constructor(group: ManifestGroup, reader: ObjectReader, options: { diagnostics?: readonly VzError[] } = {}) {
    this.group = group;
    this.reader = reader;
    this.diagnostics = [...(options.diagnostics ?? [])];
    // zarrita must know vz's codecs (fletcher32, bz2, lz4h5, lzf, fixed shuffle) to decode chunks.
    registerCodecs();
  }

  /** Resolves a store key to a metadata document, a chunk reference, or nothing. */
  #locate(key: string):
    | { kind: "metadata"; node: ManifestGroup | ManifestArray }
    | { kind: "chunk"; array: ManifestArray; coords: number[]; path: string }
    | undefined {
    const path = key.replace(/^\/+/, "");
    if (path === "zarr.json") return { kind: "metadata", node: this.group };
    if (path.endsWith("/zarr.json")) {
      const node = this.group.resolve(path.slice(0, -"/zarr.json".length));
      return node ? { kind: "metadata", node } : undefined;
    }
    // chunk key: <array path>/c/<i>/<j>... or <array path>/c for 0-d arrays
    const match = /^(.*?)\/c((?:\/\d+)*)$/.exec(path);
    if (!match) return undefined;
    const arrayPath = match[1]!;
    const node = this.group.resolve(arrayPath);
    if (!(node instanceof ManifestArray)) return undefined;
    const coords = match[2] ? match[2].slice(1).split("/").map(Number) : [];
    if (coords.length !== node.ndim) return undefined;
    return { kind: "chunk", array: node, coords, path: arrayPath };
  }

  /** Bytes at `key`, or undefined when there is nothing there. */
  async get(key: string, opts?: ReadOptions): Promise<Uint8Array | undefined> {
    const location = this.#locate(key);
    if (!location) return undefined;
    if (location.kind === "metadata") return metadataDocument(location.node);
    const entry = location.array.manifest.get(location.coords);
    if (!entry) return undefined;
    if ("data" in entry) return entry.data;
    return this.reader.getRange(entry.url, entry.offset, entry.length, opts);
  }

  /** Part of the bytes at `key` (zarrita uses this for sharded arrays). */
  async getRange(key: string, range: RangeQuery, opts?: ReadOptions): Promise<Uint8Array | undefined> {
    const location = this.#locate(key);
    if (!location) return undefined;
    if (location.kind === "metadata") {
      const bytes = metadataDocument(location.node);
      return "suffixLength" in range ? bytes.subarray(bytes.length - range.suffixLength) : bytes.subarray(range.offset, range.offset + range.length);
    }
    const entry = location.array.manifest.get(location.coords);
    if (!entry) return undefined;
    if ("data" in entry) {
      const bytes = entry.data;
      return "suffixLength" in range ? bytes.subarray(bytes.length - range.suffixLength) : bytes.subarray(range.offset, range.offset + range.length);
    }
    if ("suffixLength" in range) {
      const length = Math.min(range.suffixLength, entry.length);
      return this.reader.getRange(entry.url, entry.offset + entry.length - length, length, opts);
    }
    const start = Math.min(range.offset, entry.length);
    const length = Math.max(0, Math.min(range.length, entry.length - start));
    return this.reader.getRange(entry.url, entry.offset + start, length, opts);
  }

  /** Whether `key` exists. */
  async exists(key: string): Promise<boolean> {
    const location = this.#locate(key);
    if (!location) return false;
    if (location.kind === "metadata") return true;
    return location.array.manifest.get(location.coords) !== undefined;
  }

  /** Immediate children of a group path: sub-groups and arrays, plus `zarr.json`. */
  listDir(prefix = ""): { keys: string[]; prefixes: string[] } {
    const node = this.group.resolve(prefix.replace(/^\/+|\/+$/g, ""));
    if (!node) throw new NotFoundError(`ManifestStore.listDir: no group or array at "${prefix}"`);
    if (node instanceof ManifestArray) return { keys: ["zarr.json"], prefixes: node.manifest.chunkCount > 0 ? ["c"] : [] };
    return { keys: ["zarr.json"], prefixes: [...node.groups.keys(), ...node.arrays.keys()].sort() };
  }

  /** Every metadata key in the store, e.g. ["zarr.json", "temp/zarr.json"]. */
  listMetadataKeys(): string[] {
    const keys: string[] = [];
    for (const [path] of this.group.walkGroups()) keys.push(path ? `${path}/zarr.json` : "zarr.json");
    for (const [path] of this.group.walkArrays()) keys.push(`${path}/zarr.json`);
    return keys;
  }
}
