/**
 * toIcechunk: writes a VirtualDataset into an Icechunk session/store — group and array
 * `zarr.json`, every ManifestArray chunk as a virtual reference (batched `setVirtualRefs`),
 * loaded variables and inlined chunks as real chunks — mirroring VirtualiZarr's
 * `vds.vz.to_icechunk`. With `appendDim`, appends along a dimension of an existing repository.
 * @module
 */
import {
  type ArrayMetadata,
  ConcatError,
  InvalidArgumentError,
  LoadedArray,
  ManifestArray,
  type ObjectReader,
  UrlNotAllowedError,
  type VirtualDataset,
  WriteError,
} from "@vz/core";
import { encodeVlenUtf8 } from "@vz/core/codecs";
import { encodeTimeVariables, isVirtual } from "@vz/core/internal";
import { containerPrefixFor } from "./containers.js";
import type { IcechunkSession, IcechunkStore } from "./load.js";

/** Options of {@link toIcechunk}. */
export interface ToIcechunkOptions {
  /** Group path to write into ("" = root); with a tree, the path the tree's root is written at. */
  group?: string;
  /** Append along this dimension of the arrays already in the repository. */
  appendDim?: string;
  /** Treat every source file as last modified at this time (Icechunk then refuses chunks of files changed later). */
  lastUpdatedAt?: Date;
  /** Per-URL identity (ETag / last modified) seen at parse time; used as virtual chunk checksums. */
  checksums?: ReadonlyMap<string, { etag?: string; lastModified?: Date }>;
  /** When given, `head` every referenced URL once to get its ETag / last-modified checksum. */
  reader?: ObjectReader;
  /** Ask Icechunk to check that a virtual chunk container covers every reference (default true). */
  validateContainers?: boolean;
  /** Only URLs under these prefixes may be referenced (default: any prefix the repository has a container for). */
  allowedPrefixes?: readonly string[];
  /** Virtual refs per `setVirtualRefs` call (default 100,000). */
  batchSize?: number;
}

/** What {@link toIcechunk} wrote. */
export interface ToIcechunkResult {
  arrays: number;
  virtualRefs: number;
  realChunks: number;
}

const encoder = new TextEncoder();

function json(value: unknown): Uint8Array {
  return encoder.encode(
    JSON.stringify(value, (_key, v) => {
      if (typeof v === "number" && !Number.isFinite(v)) return Number.isNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity";
      if (typeof v === "bigint") return Number(v);
      return v;
    }),
  );
}

function join(...parts: string[]): string {
  return parts.filter((p) => p !== "").join("/");
}

function chunkKey(path: string, coords: readonly number[]): string {
  return coords.length === 0 ? `${path}/c` : `${path}/c/${coords.join("/")}`;
}

/** Encodes a loaded array as one uncompressed chunk plus its metadata. */
export function encodeLoaded(array: LoadedArray, attributes: Record<string, unknown>, dims: readonly string[]): { metadata: ArrayMetadata; bytes: Uint8Array } {
  const values = array.values;
  let bytes: Uint8Array;
  let dataType = array.dataType;
  let codecs: ArrayMetadata["codecs"] = [{ name: "bytes", configuration: { endian: "little" } }];
  let fillValue: unknown = array.fillValue ?? 0;
  if (Array.isArray(values) && (values.length === 0 || typeof values[0] === "string")) {
    bytes = encodeVlenUtf8((values as string[]).map(String));
    dataType = "string";
    codecs = [{ name: "vlen-utf8" }];
    fillValue = "";
  } else if (Array.isArray(values)) {
    bytes = Uint8Array.from(values as boolean[], (v) => (v ? 1 : 0));
    dataType = "bool";
    fillValue = Boolean(fillValue);
  } else {
    const typed = values as ArrayBufferView;
    bytes = new Uint8Array(typed.buffer.slice(typed.byteOffset, typed.byteOffset + typed.byteLength));
  }
  if (typeof fillValue === "number" && (dataType === "int64" || dataType === "uint64")) fillValue = Math.trunc(fillValue);
  const metadata: ArrayMetadata = {
    zarr_format: 3,
    node_type: "array",
    shape: [...array.shape],
    data_type: dataType,
    chunk_grid: { name: "regular", configuration: { chunk_shape: array.shape.map((s) => Math.max(1, s)) } },
    chunk_key_encoding: { name: "default", configuration: { separator: "/" } },
    fill_value: fillValue ?? null,
    codecs,
    attributes,
    dimension_names: [...dims],
  };
  return { metadata: repositoryMetadata(metadata), bytes };
}

async function readJson(store: IcechunkStore, key: string): Promise<Record<string, unknown> | undefined> {
  const bytes = await store.get(key);
  if (!bytes) return undefined;
  return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
}

async function ensureGroups(store: IcechunkStore, group: string, attrs: Record<string, unknown>, append: boolean): Promise<void> {
  const parts = group.split("/").filter(Boolean);
  for (let i = 0; i < parts.length; i++) {
    const key = join(...parts.slice(0, i), "zarr.json");
    if (!(await store.exists(key))) await store.set(key, json({ zarr_format: 3, node_type: "group", attributes: {} }));
  }
  const key = join(group, "zarr.json");
  if (append && (await store.exists(key))) return;
  await store.set(key, json({ zarr_format: 3, node_type: "group", attributes: attrs }));
}

async function identities(
  datasets: readonly VirtualDataset[],
  options: ToIcechunkOptions,
): Promise<Map<string, { etag?: string; lastModified?: Date }>> {
  const result = new Map(options.checksums ?? []);
  if (options.reader) {
    const urls = new Set<string>();
    for (const vds of datasets) for (const variable of vds.variables.values()) if (isVirtual(variable)) for (const url of variable.data.manifest.urls) urls.add(url);
    await Promise.all(
      [...urls].filter((url) => !result.has(url)).map(async (url) => {
        const meta = await options.reader!.head(url);
        result.set(url, { ...(meta.etag ? { etag: meta.etag } : {}), ...(meta.lastModified ? { lastModified: meta.lastModified } : {}) });
      }),
    );
  }
  return result;
}

/**
 * Icechunk keeps last-modified checksums in whole seconds and accepts a chunk while the source's
 * last-modified time is not after it; a sub-second file time must be rounded up, or the unchanged
 * file would look modified.
 */
function wholeSecondsUp(date: Date): Date {
  return new Date(Math.ceil(date.getTime() / 1000) * 1000);
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Array metadata as the repository stores it. vz's internal name for fixed-length byte strings
 * (numpy `|S<n>`, netCDF `char`), `fixed_length_bytes:<n>`, is written as zarr-python 3.1's
 * `{"name": "null_terminated_bytes", "configuration": {"length_bytes": n}}` with its fill value
 * base64-encoded, as zarr-python writes it; every other data type is written as it is.
 */
export function repositoryMetadata(metadata: ArrayMetadata): ArrayMetadata {
  const fixed = /^fixed_length_bytes:(\d+)$/.exec(String(metadata.data_type));
  if (!fixed) return metadata;
  const fill = metadata.fill_value as unknown;
  const bytes =
    typeof fill === "string"
      ? Uint8Array.from(fill, (c) => c.charCodeAt(0) & 0xff)
      : Array.isArray(fill)
        ? Uint8Array.from(fill as number[])
        : typeof fill === "number"
          ? Uint8Array.of(fill & 0xff)
          : new Uint8Array(0);
  return {
    ...metadata,
    data_type: { name: "null_terminated_bytes", configuration: { length_bytes: Number(fixed[1]) } } as unknown as ArrayMetadata["data_type"],
    fill_value: btoa(String.fromCharCode(...bytes)),
  };
}

/**
 * A store whose `zarr.json` documents name zarr-python's `null_terminated_bytes` data type shows
 * them to zarrita 0.7 under its own name for the same type (`v2:S<n>`, fill value as text); every
 * other key and document passes through unchanged.
 */
export function withZarritaDataTypes<S extends { get(key: string, ...rest: never[]): Promise<Uint8Array | undefined> }>(store: S): S {
  const get = async (key: string, ...rest: never[]): Promise<Uint8Array | undefined> => {
    const bytes = await store.get(key, ...rest);
    if (!bytes || !key.endsWith("zarr.json")) return bytes;
    let document: Record<string, unknown>;
    try {
      document = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
    } catch {
      return bytes;
    }
    const dataType = document.data_type as { name?: unknown; configuration?: { length_bytes?: unknown } } | undefined;
    if (typeof dataType !== "object" || dataType === null || dataType.name !== "null_terminated_bytes") return bytes;
    const length = Number(dataType.configuration?.length_bytes);
    const fill = typeof document.fill_value === "string" ? atob(document.fill_value) : "";
    return new TextEncoder().encode(JSON.stringify({ ...document, data_type: `v2:S${length}`, fill_value: fill }));
  };
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property === "get") return get;
      const value = Reflect.get(target, property, receiver) as unknown;
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** A data type for messages: its name, or its JSON for a data type with a configuration. */
function dataTypeText(dataType: unknown): string {
  return typeof dataType === "string" ? dataType : JSON.stringify(dataType);
}

/** A tree of datasets keyed by group path: "" (or "/") for the root, "a/b" for nested groups. */
export type VirtualDatasetTree = ReadonlyMap<string, VirtualDataset>;

type Plan = {
  name: string;
  path: string;
  metadata: ArrayMetadata;
  array: ManifestArray | LoadedArray;
  axis: number;
  offsetChunks: number;
  existing?: Record<string, unknown>;
};

/** The (group path, dataset) pairs of a dataset or tree, parents before children, under `base`. */
export function datasetGroups(data: VirtualDataset | VirtualDatasetTree, base = ""): [string, VirtualDataset][] {
  const root = base.replace(/^\/+|\/+$/g, "");
  if (!(data instanceof Map)) return [[root, data as VirtualDataset]];
  const groups = new Map<string, VirtualDataset>();
  for (const [key, vds] of data as VirtualDatasetTree) {
    const trimmed = typeof key === "string" ? key.replace(/^\/+|\/+$/g, "") : undefined;
    if (trimmed === undefined || (trimmed !== "" && trimmed.split("/").some((part) => part === "" || part === "." || part === ".."))) {
      throw new InvalidArgumentError(`toIcechunk: invalid group path ${JSON.stringify(key)} in the dataset tree (use "" for the root, "a/b" for nested groups)`);
    }
    const path = join(root, trimmed);
    if (groups.has(path)) {
      throw new InvalidArgumentError(`toIcechunk: the dataset tree has group "/${path}" twice (e.g. both "" and "/" for the root)`);
    }
    groups.set(path, vds);
  }
  if (groups.size === 0) throw new InvalidArgumentError("toIcechunk: the dataset tree is empty");
  const depth = (path: string) => (path === "" ? 0 : path.split("/").length);
  const entries = [...groups].sort((a, b) => depth(a[0]) - depth(b[0]) || a[0].localeCompare(b[0]));
  for (const [path, vds] of entries) {
    for (const name of vds.variables.keys()) {
      const child = join(path, name);
      if (groups.has(child)) throw new InvalidArgumentError(`toIcechunk: "/${child}" is both a variable and a group of the dataset tree`, { variable: child });
    }
  }
  return entries;
}

/**
 * Writes `vds` — or a whole tree of groups, `Map<groupPath, VirtualDataset>` — into an Icechunk
 * session or store (commit is left to the caller, so several writes can share one transaction).
 * Everything is validated before anything is written.
 * @example
 * const session = await repo.writableSession("main");
 * await toIcechunk(vds, session);
 * await session.commit("add 2024-01-01");
 */
export async function toIcechunk(
  data: VirtualDataset | VirtualDatasetTree,
  target: IcechunkSession | IcechunkStore,
  options: ToIcechunkOptions = {},
): Promise<ToIcechunkResult> {
  const store: IcechunkStore = "store" in target ? target.store : target;
  // times decoded by decodeTimes go back to their stored units
  const groups = datasetGroups(data, options.group ?? "").map(([path, vds]): [string, VirtualDataset] => [path, encodeTimeVariables(vds, "toIcechunk")]);
  const batchSize = options.batchSize ?? 100_000;
  const validate = options.validateContainers ?? true;
  const append = options.appendDim !== undefined;
  const ids = await identities(groups.map(([, vds]) => vds), options);
  const result: ToIcechunkResult = { arrays: 0, virtualRefs: 0, realChunks: 0 };

  if (append) {
    for (const [group] of groups) {
      if (!(await readJson(store, join(group, "zarr.json")))) {
        throw new InvalidArgumentError(`toIcechunk: cannot append along "${options.appendDim}": group "/${group}" does not exist in the repository`);
      }
    }
    if (!groups.some(([, vds]) => [...vds.variables.values()].some((v) => v.dims.includes(options.appendDim!)))) {
      throw new InvalidArgumentError(`toIcechunk: no variable of the dataset has the append dimension "${options.appendDim}"`);
    }
  }
  // Validate everything (every group) before writing anything.
  const plans: Plan[] = [];
  for (const [group, vds] of groups) plans.push(...(await planGroup(store, group, vds, options)));

  try {
    for (const [group, vds] of groups) await ensureGroups(store, group, { ...vds.attrs }, append);
    for (const plan of plans) {
      result.arrays++;
      if (plan.array instanceof ManifestArray) {
        await store.set(`${plan.path}/zarr.json`, json(plan.metadata));
        const manifest = plan.array.manifest;
        const grid = manifest.shape;
        const coords = new Array<number>(grid.length).fill(0);
        let batch: { index: number[]; location: string; offset: number; length: number; etagChecksum?: string; lastModified?: Date }[] = [];
        const flush = async () => {
          if (batch.length === 0) return;
          const failed = await store.setVirtualRefs(`/${plan.path}`, batch, validate);
          if (failed && failed.length > 0) {
            throw new UrlNotAllowedError(
              `toIcechunk: variable "${plan.name}": ${failed.length} virtual reference(s) are not covered by any virtual chunk container of the repository (first: chunk [${failed[0]!.join(", ")}])`,
              { variable: plan.name },
            );
          }
          result.virtualRefs += batch.length;
          batch = [];
        };
        for (let i = 0; i < manifest.gridSize; i++) {
          const kind = manifest.kindAt(i);
          if (kind !== "missing") {
            const index = [...coords];
            if (plan.axis >= 0) index[plan.axis]! += plan.offsetChunks;
            if (kind === "inlined") {
              await store.set(chunkKey(plan.path, index), manifest.inlinedAt(i)!);
              result.realChunks++;
            } else {
              const location = manifest.urls[manifest.urlIdAt(i)]!;
              const id = ids.get(location);
              const spec: (typeof batch)[number] = { index, location, offset: manifest.offsetAt(i), length: manifest.lengthAt(i) };
              if (id?.etag) spec.etagChecksum = id.etag;
              else if (options.lastUpdatedAt) spec.lastModified = wholeSecondsUp(options.lastUpdatedAt);
              else if (id?.lastModified) spec.lastModified = wholeSecondsUp(id.lastModified);
              batch.push(spec);
              if (batch.length >= batchSize) await flush();
            }
          }
          for (let d = grid.length - 1; d >= 0; d--) {
            coords[d]!++;
            if (coords[d]! < grid[d]!) break;
            coords[d] = 0;
          }
        }
        await flush();
      } else {
        let loaded = plan.array as LoadedArray;
        if (plan.existing && plan.axis >= 0) loaded = await appendLoaded(store, plan.path, plan.existing, loaded, plan.axis, plan.name);
        const { metadata, bytes } = encodeLoaded(loaded, plan.metadata.attributes, plan.metadata.dimension_names as string[]);
        await store.set(`${plan.path}/zarr.json`, json(metadata));
        if (loaded.shape.every((s) => s > 0)) {
          await store.set(chunkKey(plan.path, loaded.shape.map(() => 0)), bytes);
          result.realChunks++;
        }
      }
    }
  } catch (cause) {
    if ((cause as { code?: string }).code) throw cause;
    throw new WriteError(`toIcechunk: writing failed: ${(cause as Error).message}`, { cause });
  }
  return result;
}

/** Reads an existing loaded (single-chunk, uncompressed) array and appends `added` along `axis`. */
async function appendLoaded(
  store: IcechunkStore,
  path: string,
  existing: Record<string, unknown>,
  added: LoadedArray,
  axis: number,
  name: string,
): Promise<LoadedArray> {
  const old = existing as unknown as ArrayMetadata;
  const chunk = old.chunk_grid.configuration.chunk_shape;
  if (!sameJson(chunk, old.shape.map((s) => Math.max(1, s))) || old.codecs.length !== 1 || old.codecs[0]!.name !== "bytes") {
    throw new ConcatError(`toIcechunk: cannot append to variable "${name}": it was not written as one uncompressed chunk`, { variable: name });
  }
  if (axis !== 0) throw new ConcatError(`toIcechunk: appending loaded variable "${name}" is supported along its first dimension only`, { variable: name });
  const bytes = (await store.get(chunkKey(path, old.shape.map(() => 0)))) ?? new Uint8Array(0);
  const values = added.values as ArrayBufferView & ArrayLike<number>;
  const Ctor = (values as unknown as { constructor: new (buffer: ArrayBufferLike, offset?: number, length?: number) => ArrayBufferView & ArrayLike<number> }).constructor;
  const element = (values as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
  if (!element) throw new ConcatError(`toIcechunk: appending non-numeric loaded variable "${name}" is not supported`, { variable: name });
  const oldValues = new Ctor(bytes.slice().buffer, 0, bytes.byteLength / element);
  const merged = new Ctor(new ArrayBuffer((oldValues.length + values.length) * element));
  (merged as unknown as { set(a: ArrayLike<number>, o?: number): void }).set(oldValues, 0);
  (merged as unknown as { set(a: ArrayLike<number>, o?: number): void }).set(values, oldValues.length);
  const shape = [...added.shape];
  shape[0] = old.shape[0]! + added.shape[0]!;
  return new LoadedArray({ dataType: added.dataType, shape, values: merged as never, fillValue: added.fillValue });
}

/** Validates one group's variables against the repository and returns what to write. */
async function planGroup(store: IcechunkStore, group: string, vds: VirtualDataset, options: ToIcechunkOptions): Promise<Plan[]> {
  const append = options.appendDim !== undefined;
  const plans: Plan[] = [];
  for (const [name, variable] of vds.variables) {
    const path = join(group, name);
    const axis = append ? variable.dims.indexOf(options.appendDim!) : -1;
    const existing = append ? await readJson(store, `${path}/zarr.json`) : undefined;
    if (append && axis < 0) {
      if (existing) continue; // e.g. lat/lon: already there, unchanged
    }
    if (isVirtual(variable)) {
      for (const url of variable.data.manifest.urls) {
        if (options.allowedPrefixes && !options.allowedPrefixes.some((p) => url.startsWith(p))) {
          throw new UrlNotAllowedError(`toIcechunk: variable "${path}" references ${url}, outside the allowed prefixes ${options.allowedPrefixes.join(", ")}`, {
            url,
            variable: path,
          });
        }
        containerPrefixFor(url);
      }
      const metadata: ArrayMetadata = repositoryMetadata({
        ...variable.data.metadata,
        attributes: { ...variable.attrs },
        dimension_names: [...variable.dims],
      });
      let offsetChunks = 0;
      if (existing && axis >= 0) {
        const old = existing as unknown as ArrayMetadata;
        const chunk = metadata.chunk_grid.configuration.chunk_shape;
        const why =
          !sameJson(old.data_type, metadata.data_type)
            ? `data type ${dataTypeText(metadata.data_type)} vs ${dataTypeText(old.data_type)} in the repository`
            : !sameJson(old.codecs, metadata.codecs)
              ? `codecs ${JSON.stringify(metadata.codecs)} vs ${JSON.stringify(old.codecs)} in the repository`
              : !sameJson(old.chunk_grid?.configuration?.chunk_shape, chunk)
                ? `chunk shape [${chunk.join(", ")}] vs [${old.chunk_grid?.configuration?.chunk_shape?.join(", ")}] in the repository`
                : old.shape.length !== metadata.shape.length || old.shape.some((s, d) => d !== axis && s !== metadata.shape[d])
                  ? `shape [${metadata.shape.join(", ")}] does not match [${old.shape.join(", ")}] off the append axis`
                  : old.shape[axis]! % chunk[axis]! !== 0
                    ? `the repository's length ${old.shape[axis]} along "${options.appendDim}" is not a multiple of the chunk length ${chunk[axis]} (its last chunk is partial)`
                    : undefined;
        if (why) throw new ConcatError(`toIcechunk: cannot append variable "${path}" along "${options.appendDim}": ${why}`, { variable: path });
        offsetChunks = old.shape[axis]! / chunk[axis]!;
        metadata.shape = [...metadata.shape];
        metadata.shape[axis] = old.shape[axis]! + metadata.shape[axis]!;
      } else if (append && !existing) {
        throw new InvalidArgumentError(`toIcechunk: cannot append variable "${path}": it is not in the repository`, { variable: path });
      }
      plans.push({ name: path, path, metadata, array: variable.data, axis, offsetChunks, ...(existing ? { existing } : {}) });
    } else {
      const loaded = variable.data as LoadedArray;
      const { metadata } = encodeLoaded(loaded, { ...variable.attrs }, variable.dims);
      if (existing && axis >= 0 && !sameJson(existing.data_type, metadata.data_type)) {
        throw new ConcatError(`toIcechunk: cannot append variable "${path}": data type ${dataTypeText(metadata.data_type)} vs ${dataTypeText(existing.data_type)} in the repository`, { variable: path });
      }
      plans.push({ name: path, path, metadata, array: loaded, axis, offsetChunks: 0, ...(existing ? { existing } : {}) });
    }
  }

  return plans;
}
