/**
 * Builds a ManifestStore from an existing Zarr store (v2 or v3): the hierarchy from consolidated
 * metadata or from the metadata documents found by listing the store, and one reference per
 * stored chunk (or shard) — the whole object, offset 0 — found by listing, or by `head` on every
 * chunk of the grid where the store cannot be listed (HTTP). Chunks absent from the store stay
 * missing, so readers see the fill value.
 * @module
 */
import {
  AbortedError,
  InvalidArgumentError,
  type ArrayMetadata,
  type ChunkManifest,
  ChunkManifestBuilder,
  isVzError,
  ManifestArray,
  ManifestGroup,
  ManifestStore,
  NotFoundError,
  ParseError,
  UnsupportedFeatureError,
  type ObjectReader,
  type ReadOptions,
  type VzError,
} from "@vz/core";
import { chunkGridShape, parseJsonNonFinite } from "@vz/core/internal";
import { type ChunkKeyEncoding, parseStoredChunkKey, storedChunkKey } from "./chunk-keys.js";
import { type ConvertedArray, convertV2Array, convertV3Array, groupAttributes } from "./metadata.js";
import { innerChunkManifest, shardLayout } from "./shards.js";
import { inlineUtf32Strings, utf32Width } from "./strings.js";

/** Options of {@link createZarrParser}. */
export interface ZarrParserOptions {
  /**
   * Consolidated metadata (`.zmetadata` in v2, `consolidated_metadata` in the root `zarr.json`
   * of v3): `undefined` (default) uses it when present, as `xr.open_zarr` does; `true` requires
   * it; `false` ignores it and reads every node's own metadata.
   */
  consolidated?: boolean;
  /**
   * How chunks are found: `"list"` lists the store (`ObjectReader.list`); `"head"` asks for
   * every chunk of the grid with `head` (missing ones stay missing); `"auto"` (default) lists
   * and falls back to `"head"` when the reader cannot list (HTTP).
   */
  chunkDiscovery?: "auto" | "list" | "head";
  /** Metadata reads and `head` requests in flight at once. Default 16. */
  concurrency?: number;
  /** Refuse arrays whose chunk grid has more chunks than this. Default 16 777 216 (2^24). */
  maxChunks?: number;
  /**
   * A group of the store ("model/output") to take as the root (VirtualiZarr's `group`). The group
   * is read as a store of its own: its own consolidated metadata counts, the root's does not.
   */
  group?: string;
  /** Array paths ("temp", "group/temp") to leave out (VirtualiZarr's `skip_variables`), relative to the root read. */
  skipVariables?: readonly string[];
  /**
   * What to do with an array vz cannot express (an unknown data type, a non-regular chunk
   * grid...): `"raise"` (default) fails; `"skip"` leaves it out and reports it in the store's
   * diagnostics.
   */
  onUnsupported?: "raise" | "skip";
  /**
   * Add xarray's `_FillValue` attribute from a v2 array's `fill_value` (what xarray's zarr backend
   * does on opening a v2 store), so that kerchunk output masks the same values. Default true.
   */
  fillValueAttribute?: boolean;
  /**
   * Sharded v3 arrays (`sharding_indexed`): `"keep"` (default) references each shard whole and
   * keeps the sharding codec, reading nothing more; `"inner"` reads every shard's index (one
   * ranged read per shard) and references each inner chunk inside its shard, the array's metadata
   * becoming the inner chunk grid and codecs — which Zarr v2 / kerchunk output can express.
   */
  shards?: "keep" | "inner";
  /**
   * Fixed-length unicode arrays (numpy `<U<n>`, v3 `fixed_length_utf32`): `"string"` (default)
   * reads them at parse time and inlines them as `string` arrays (`vlen-utf8`), which zarrita and
   * so vz can read and load (e.g. string dimension coordinates); `"keep"` references them in
   * place as `fixed_length_utf32` (kerchunk output keeps `<U<n>`; zarrita 0.7 cannot decode it).
   */
  fixedLengthStrings?: "string" | "keep";
  /** In `"string"` mode, arrays larger than this (in bytes, 4 per character) are kept in place. Default 64 MiB. */
  maxStringBytes?: number;
}

const DEFAULT_CONCURRENCY = 16;
const DEFAULT_MAX_CHUNKS = 2 ** 24;
const DEFAULT_MAX_STRING_BYTES = 64 * 1024 * 1024;
const PARSER = "zarr";

/** A listed object. */
interface Listed {
  url: string;
  size: number;
}

/** A node of the hierarchy with its metadata documents. */
type NodeDocuments =
  | { kind: "group"; path: string; key: string; document: unknown }
  | { kind: "array"; path: string; key: string; document: unknown; attributes?: unknown };

const decoder = new TextDecoder("utf-8", { fatal: true });

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function joinKey(path: string, leaf: string): string {
  return path === "" ? leaf : `${path}/${leaf}`;
}

function parentOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? "" : path.slice(0, slash);
}

/** Runs `work` on every item with at most `limit` in flight. */
async function forEachLimit<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await work(item);
    }
  });
  await Promise.all(runners);
}

/** Reads one store: key ↔ URL mapping, listing, metadata documents. */
class StoreAccess {
  readonly url: string;
  readonly root: string;
  readonly reader: ObjectReader;
  readonly signal: AbortSignal | undefined;
  /** Every object of the store by key, when the store could be listed. */
  listing: Map<string, Listed> | undefined;
  readonly #encoded: boolean;

  constructor(url: string, reader: ObjectReader, signal: AbortSignal | undefined) {
    this.url = url;
    this.root = url.replace(/\/+$/, "");
    this.reader = reader;
    this.signal = signal;
    // file:// and http(s):// URLs carry percent-encoded paths; s3:// and memory:// URLs raw keys.
    this.#encoded = /^(file|https?):/i.test(this.root);
  }

  get readOptions(): ReadOptions | undefined {
    return this.signal ? { signal: this.signal } : undefined;
  }

  throwIfAborted(): void {
    if (this.signal?.aborted) throw new AbortedError(`Zarr store ${this.url}: aborted`, { url: this.url, cause: this.signal.reason });
  }

  /** The key of an object URL under the store root, or undefined. */
  keyOf(objectUrl: string): string | undefined {
    if (!objectUrl.startsWith(`${this.root}/`)) return undefined;
    const raw = objectUrl.slice(this.root.length + 1);
    if (!this.#encoded) return raw;
    try {
      return raw.split("/").map(decodeURIComponent).join("/");
    } catch {
      return raw;
    }
  }

  /** The URL of a key: the listed one when known, else built from the root. */
  urlOf(key: string): string {
    const listed = this.listing?.get(key);
    if (listed) return listed.url;
    return `${this.root}/${this.#encoded ? key.split("/").map(encodeURIComponent).join("/") : key}`;
  }

  /** Lists the store. False when the reader cannot list (UnsupportedFeatureError), unless `required`. */
  async list(required: boolean): Promise<boolean> {
    const listing = new Map<string, Listed>();
    try {
      for await (const object of this.reader.list(`${this.root}/`, this.readOptions)) {
        const key = this.keyOf(object.url);
        if (key !== undefined && key !== "") listing.set(key, { url: object.url, size: object.size });
      }
    } catch (error) {
      if (!required && isVzError(error, "UNSUPPORTED")) return false;
      throw error;
    }
    this.throwIfAborted();
    this.listing = listing;
    return true;
  }

  /** The parsed JSON at `key`, or undefined when there is no such object. */
  async readJson(key: string, variable?: string): Promise<unknown> {
    if (this.listing && !this.listing.has(key)) return undefined;
    let bytes: Uint8Array;
    try {
      bytes = await this.reader.get(this.urlOf(key), this.readOptions);
    } catch (error) {
      if (isVzError(error, "NOT_FOUND")) return undefined;
      throw error;
    }
    const where = `Zarr store ${this.url}: ${key}${variable !== undefined ? ` of ${variable === "" ? "the root group" : `"${variable}"`}` : ""}`;
    let text: string;
    try {
      text = decoder.decode(bytes);
    } catch (cause) {
      throw new ParseError(`${where}: not UTF-8 text`, { url: this.url, parser: PARSER, cause, ...(variable ? { variable } : {}) });
    }
    try {
      return parseJsonNonFinite(text);
    } catch (cause) {
      throw new ParseError(`${where}: invalid JSON (${(cause as Error).message})`, {
        url: this.url,
        parser: PARSER,
        cause,
        ...(variable ? { variable } : {}),
      });
    }
  }
}

/** The metadata documents of every node, from v2 consolidated metadata or per-node files. */
async function v2Nodes(access: StoreAccess, options: ZarrParserOptions, concurrency: number): Promise<NodeDocuments[]> {
  const consolidated = options.consolidated === false ? undefined : await access.readJson(".zmetadata", "");
  if (consolidated !== undefined) {
    const fail = (why: string): never => {
      throw new ParseError(`Zarr store ${access.url}: .zmetadata: ${why}`, { url: access.url, parser: PARSER });
    };
    if (!isObject(consolidated) || !isObject(consolidated.metadata)) fail('no "metadata" object');
    const metadata = (consolidated as { metadata: Record<string, unknown> }).metadata;
    const nodes: NodeDocuments[] = [];
    for (const [key, document] of Object.entries(metadata)) {
      const leaf = key.slice(key.lastIndexOf("/") + 1);
      const path = parentOf(key === leaf ? "" : key);
      const nodePath = key === leaf ? "" : path;
      if (leaf === ".zgroup") nodes.push({ kind: "group", path: nodePath, key: ".zmetadata", document: metadata[joinKey(nodePath, ".zattrs")] });
      else if (leaf === ".zarray") {
        nodes.push({ kind: "array", path: nodePath, key: `.zmetadata["${key}"]`, document, attributes: metadata[joinKey(nodePath, ".zattrs")] });
      }
    }
    if (!nodes.some((n) => n.path === "")) fail('no ".zgroup" of the root group');
    return nodes;
  }
  if (options.consolidated === true) {
    throw new NotFoundError(`Zarr store ${access.url}: no .zmetadata (consolidated metadata was required)`, { url: access.url });
  }
  if (!access.listing) {
    throw new UnsupportedFeatureError(
      "zarr-hierarchy-without-listing",
      `Zarr store ${access.url}: the store cannot be listed and has no consolidated metadata (.zmetadata), so its arrays cannot be found`,
      { url: access.url },
    );
  }
  const found: { kind: "group" | "array"; path: string }[] = [];
  for (const key of access.listing.keys()) {
    const leaf = key.slice(key.lastIndexOf("/") + 1);
    if (leaf === ".zgroup" || leaf === ".zarray") found.push({ kind: leaf === ".zgroup" ? "group" : "array", path: parentOf(key === leaf ? "" : key) });
  }
  const nodes: NodeDocuments[] = [];
  await forEachLimit(found, concurrency, async (node) => {
    const attributes = await access.readJson(joinKey(node.path, ".zattrs"), node.path);
    if (node.kind === "group") {
      nodes.push({ kind: "group", path: node.path, key: joinKey(node.path, ".zattrs"), document: attributes });
    } else {
      const key = joinKey(node.path, ".zarray");
      nodes.push({ kind: "array", path: node.path, key, document: await access.readJson(key, node.path), attributes });
    }
  });
  return nodes;
}

/** The metadata documents of every node, from v3 consolidated metadata or every `zarr.json`. */
async function v3Nodes(access: StoreAccess, rootDocument: unknown, options: ZarrParserOptions, concurrency: number): Promise<NodeDocuments[]> {
  const nodes: NodeDocuments[] = [];
  const kindOf = (document: unknown): "group" | "array" | undefined =>
    isObject(document) && (document.node_type === "group" || document.node_type === "array") ? document.node_type : undefined;
  const add = (path: string, key: string, document: unknown): void => {
    const kind = kindOf(document);
    if (!kind) {
      throw new ParseError(
        `Zarr store ${access.url}: ${key}${path ? ` of "${path}"` : ""}: node_type ${JSON.stringify(isObject(document) ? document.node_type : document)} is not "group" or "array"`,
        { url: access.url, parser: PARSER, ...(path ? { variable: path } : {}) },
      );
    }
    nodes.push({ kind, path, key, document });
  };
  add("", "zarr.json", rootDocument);
  const consolidated = isObject(rootDocument) ? rootDocument.consolidated_metadata : undefined;
  if (options.consolidated !== false && isObject(consolidated)) {
    if (!isObject(consolidated.metadata)) {
      throw new ParseError(`Zarr store ${access.url}: zarr.json: consolidated_metadata has no "metadata" object`, { url: access.url, parser: PARSER });
    }
    for (const [path, document] of Object.entries(consolidated.metadata)) {
      add(path.replace(/^\/+|\/+$/g, ""), `zarr.json (consolidated_metadata["${path}"])`, document);
    }
    return nodes;
  }
  if (options.consolidated === true) {
    throw new NotFoundError(`Zarr store ${access.url}: zarr.json has no consolidated_metadata (consolidated metadata was required)`, { url: access.url });
  }
  if (!access.listing) {
    throw new UnsupportedFeatureError(
      "zarr-hierarchy-without-listing",
      `Zarr store ${access.url}: the store cannot be listed and zarr.json has no consolidated metadata, so its arrays cannot be found`,
      { url: access.url },
    );
  }
  const keys = [...access.listing.keys()].filter((key) => key.endsWith("/zarr.json"));
  await forEachLimit(keys, concurrency, async (key) => {
    const path = parentOf(key);
    add(path, key, await access.readJson(key, path));
  });
  return nodes;
}

/** A converted array and the references of its chunks. */
interface ArrayPlan {
  path: string;
  converted: ConvertedArray;
  builder: ChunkManifestBuilder;
  grid: number[];
  /** Metadata and manifest replacing the stored ones: inner chunks (shards: "inner") or inlined strings. */
  inner?: { metadata: ArrayMetadata; manifest: ChunkManifest };
}

/** Fills the chunk manifests from the listing: each object under an array's path that is one of its chunk keys. */
function chunksFromListing(access: StoreAccess, plans: Map<string, ArrayPlan>): void {
  for (const [key, object] of access.listing!) {
    // The owner is the shortest array path that prefixes the key (nothing lives inside an array).
    let plan: ArrayPlan | undefined;
    let rest = "";
    for (let slash = key.indexOf("/"); slash >= 0; slash = key.indexOf("/", slash + 1)) {
      plan = plans.get(key.slice(0, slash));
      if (plan) {
        rest = key.slice(slash + 1);
        break;
      }
    }
    if (!plan) continue;
    const coords = parseStoredChunkKey(rest, plan.converted.encoding, plan.grid.length);
    // Keys outside the grid (left behind when an array shrank) are never read by Zarr either.
    if (!coords || coords.some((c, d) => c >= plan.grid[d]!)) continue;
    plan.builder.set(coords, object.url, 0, object.size);
  }
}

/** Fills the chunk manifests by asking for every chunk of the grid (stores that cannot be listed). */
async function chunksByHead(access: StoreAccess, plans: Map<string, ArrayPlan>, concurrency: number): Promise<void> {
  // Chunk coordinates are generated as the requests go (never a list of every chunk of every array).
  function* jobs(): Generator<{ plan: ArrayPlan; coords: number[] }> {
    for (const plan of plans.values()) {
      const ndim = plan.grid.length;
      const total = plan.grid.reduce((a, b) => a * b, 1);
      const coords = new Array<number>(ndim).fill(0);
      for (let index = 0; index < total; index++) {
        yield { plan, coords: [...coords] };
        for (let d = ndim - 1; d >= 0; d--) {
          coords[d]!++;
          if (coords[d]! < plan.grid[d]!) break;
          coords[d] = 0;
        }
      }
    }
  }
  const queue = jobs();
  let failed = false;
  const worker = async (): Promise<void> => {
    for (let next = queue.next(); !next.done && !failed; next = queue.next()) {
      access.throwIfAborted();
      const { plan, coords } = next.value;
      const url = access.urlOf(joinKey(plan.path, storedChunkKey(coords, plan.converted.encoding)));
      let size: number;
      try {
        size = (await access.reader.head(url, access.readOptions)).size;
      } catch (error) {
        if (isVzError(error, "NOT_FOUND")) continue; // never written: stays missing
        failed = true; // the other workers stop asking
        throw error;
      }
      plan.builder.set(coords, url, 0, size);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** Parses the Zarr store at `url` (its root directory or prefix) into a ManifestStore. */
export async function parseZarr(
  url: string,
  reader: ObjectReader,
  options: ZarrParserOptions = {},
  readOptions: ReadOptions = {},
): Promise<ManifestStore> {
  try {
    return await parseStore(url, reader, options, readOptions);
  } catch (error) {
    if (isVzError(error)) throw error;
    throw new ParseError(`Zarr store ${url}: ${(error as Error).message}`, { url, parser: PARSER, cause: error });
  }
}

/** Throws InvalidArgumentError naming the first bad option. */
function validateOptions(url: string, options: ZarrParserOptions): void {
  const choices: [keyof ZarrParserOptions, readonly string[]][] = [
    ["chunkDiscovery", ["auto", "list", "head"]],
    ["onUnsupported", ["raise", "skip"]],
    ["shards", ["keep", "inner"]],
    ["fixedLengthStrings", ["string", "keep"]],
  ];
  for (const [name, allowed] of choices) {
    const value = options[name];
    if (value !== undefined && !allowed.includes(value as string)) {
      throw new InvalidArgumentError(`Zarr store ${url}: option ${name} ${JSON.stringify(value)} is not ${allowed.map((a) => `"${a}"`).join(" or ")}`, { url });
    }
  }
  for (const name of ["concurrency", "maxChunks", "maxStringBytes"] as const) {
    const value = options[name];
    if (value !== undefined && !(Number.isSafeInteger(value) && value >= 1)) {
      throw new InvalidArgumentError(`Zarr store ${url}: option ${name} ${JSON.stringify(value)} is not a positive integer`, { url });
    }
  }
  if (options.group !== undefined && (typeof options.group !== "string" || options.group.split("/").some((part) => part === "." || part === ".."))) {
    throw new InvalidArgumentError(`Zarr store ${url}: option group ${JSON.stringify(options.group)} is not a group path`, { url });
  }
  if (options.skipVariables !== undefined && !(Array.isArray(options.skipVariables) && options.skipVariables.every((v) => typeof v === "string"))) {
    throw new InvalidArgumentError(`Zarr store ${url}: option skipVariables must be a list of array paths`, { url });
  }
}

async function parseStore(url: string, reader: ObjectReader, options: ZarrParserOptions, readOptions: ReadOptions): Promise<ManifestStore> {
  validateOptions(url, options);
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  const maxChunks = options.maxChunks ?? DEFAULT_MAX_CHUNKS;
  const discovery = options.chunkDiscovery ?? "auto";
  const group = (options.group ?? "").replace(/^\/+|\/+$/g, "");
  const groupPart = /^(file|https?):/i.test(url) ? group.split("/").map(encodeURIComponent).join("/") : group;
  const access = new StoreAccess(group ? `${url.replace(/\/+$/, "")}/${groupPart}` : url, reader, readOptions.signal);
  if (discovery !== "head") await access.list(discovery === "list");
  access.throwIfAborted();

  // Zarr v3 first (as zarr-python), then v2.
  const rootV3 = await access.readJson("zarr.json", "");
  let nodes: NodeDocuments[];
  let format: 2 | 3;
  if (rootV3 !== undefined) {
    format = 3;
    nodes = await v3Nodes(access, rootV3, options, concurrency);
  } else {
    format = 2;
    const present = async (key: string): Promise<boolean> =>
      access.listing ? access.listing.has(key) : (await access.readJson(key, "")) !== undefined;
    if (!(await present(".zmetadata")) && !(await present(".zgroup"))) {
      if (await present(".zarray")) {
        throw new UnsupportedFeatureError("zarr-root-array", `Zarr store ${url}: the root of the store is an array; vz needs a group at the root`, { url });
      }
      throw new NotFoundError(`Zarr store ${url}: no zarr.json, .zgroup or .zmetadata at the root of the store`, { url });
    }
    nodes = await v2Nodes(access, options, concurrency);
    if (!nodes.some((n) => n.kind === "group" && n.path === "")) {
      if (!(await present(".zgroup"))) {
        throw new NotFoundError(`Zarr store ${url}: no .zgroup at the root of the store`, { url });
      }
      nodes.push({ kind: "group", path: "", key: ".zattrs", document: await access.readJson(".zattrs", "") });
    }
  }
  access.throwIfAborted();

  const root = nodes.find((n) => n.path === "");
  if (!root || root.kind !== "group") {
    throw new UnsupportedFeatureError("zarr-root-array", `Zarr store ${url}: the root of the store is an array; vz needs a group at the root`, { url });
  }
  const diagnostics: VzError[] = [];
  const skip = new Set(options.skipVariables ?? []);
  const byPath = new Map(nodes.map((n) => [n.path, n]));
  const plans = new Map<string, ArrayPlan>();
  const groupAttributesByPath = new Map<string, Record<string, unknown>>();
  const childrenOf = new Map<string, string[]>();
  const seen = new Set<string>();
  for (const node of [...nodes].sort((a, b) => a.path.split("/").length - b.path.split("/").length || (a.path < b.path ? -1 : 1))) {
    if (seen.has(node.path)) continue; // the root group listed again in consolidated metadata
    seen.add(node.path);
    if (node.path !== "" && node.path.split("/").some((part) => part === "" || part === "." || part === ".." || part === "zarr.json")) {
      throw new ParseError(`Zarr store ${url}: ${node.key}: invalid node path "${node.path}"`, { url, parser: PARSER, variable: node.path });
    }
    if (node.path !== "") {
      const parent = byPath.get(parentOf(node.path));
      if (!parent || parent.kind !== "group" || !groupAttributesByPath.has(parentOf(node.path))) {
        diagnostics.push(
          new UnsupportedFeatureError("zarr-orphan-node", `Zarr store ${url}: "${node.path}" is not inside a group of the hierarchy; left out`, {
            url,
            variable: node.path,
          }),
        );
        continue;
      }
    }
    const context = { store: url, key: node.key, array: node.path };
    if (node.kind === "group") {
      groupAttributesByPath.set(node.path, groupAttributes(node.document, context, format));
      childrenOf.set(node.path, []);
      if (node.path !== "") childrenOf.get(parentOf(node.path))!.push(node.path);
      continue;
    }
    if (skip.has(node.path)) continue;
    let converted: ConvertedArray;
    try {
      if (node.document === undefined) {
        throw new ParseError(`Zarr store ${url}: ${node.key} of array "${node.path}": missing`, { url, variable: node.path, parser: PARSER });
      }
      converted =
        format === 2
          ? convertV2Array(node.document, node.attributes, context, options.fillValueAttribute === undefined ? {} : { fillValueAttribute: options.fillValueAttribute })
          : convertV3Array(node.document, context);
      const grid = chunkGridShape(converted.metadata.shape, converted.metadata.chunk_grid.configuration.chunk_shape);
      const total = grid.reduce((a, b) => a * b, 1);
      if (!(total <= maxChunks)) {
        throw new UnsupportedFeatureError(
          "zarr-chunk-count",
          `Zarr store ${url}: array "${node.path}" has a grid of ${grid.join(" × ")} chunks, more than maxChunks (${maxChunks})`,
          { url, variable: node.path },
        );
      }
      plans.set(node.path, { path: node.path, converted, builder: new ChunkManifestBuilder(grid), grid });
    } catch (error) {
      if (isVzError(error, "UNSUPPORTED") && options.onUnsupported === "skip") {
        diagnostics.push(error as VzError);
        continue;
      }
      throw error;
    }
    childrenOf.get(parentOf(node.path))!.push(node.path);
  }

  if (access.listing) chunksFromListing(access, plans);
  else await chunksByHead(access, plans, concurrency);
  access.throwIfAborted();
  if (options.shards === "inner") {
    for (const plan of plans.values()) {
      const context = { store: url, array: plan.path };
      try {
        const layout = shardLayout(plan.converted.metadata, context);
        if (!layout) continue;
        plan.inner = await innerChunkManifest(plan.converted.metadata, plan.builder.build(), layout, reader, {
          ...context,
          concurrency,
          maxChunks,
          ...(readOptions.signal ? { readOptions: { signal: readOptions.signal } } : {}),
        });
      } catch (error) {
        if (isVzError(error, "UNSUPPORTED") && options.onUnsupported === "skip") {
          diagnostics.push(error as VzError);
          plans.delete(plan.path);
          const siblings = childrenOf.get(parentOf(plan.path))!;
          siblings.splice(siblings.indexOf(plan.path), 1);
          continue;
        }
        throw error;
      }
    }
    access.throwIfAborted();
  }

  if (options.fixedLengthStrings !== "keep") {
    const maxStringBytes = options.maxStringBytes ?? DEFAULT_MAX_STRING_BYTES;
    for (const plan of plans.values()) {
      const width = utf32Width(plan.converted.metadata);
      if (width === undefined) continue;
      const bytes = plan.converted.metadata.shape.reduce((a, b) => a * b, 1) * width * 4;
      if (bytes > maxStringBytes) continue; // too large to read now: referenced in place
      plan.inner = await inlineUtf32Strings(plan.converted.metadata, plan.builder.build(), width, reader, plan.path, url);
    }
    access.throwIfAborted();
  }

  const build = (path: string): ManifestGroup => {
    const arrays = new Map<string, ManifestArray>();
    const groups = new Map<string, ManifestGroup>();
    for (const child of childrenOf.get(path) ?? []) {
      const name = child.slice(child.lastIndexOf("/") + 1);
      const plan = plans.get(child);
      if (plan) {
        arrays.set(
          name,
          plan.inner
            ? new ManifestArray(plan.inner.metadata, plan.inner.manifest, child)
            : new ManifestArray(plan.converted.metadata, plan.builder.build(), child),
        );
      } else if (childrenOf.has(child)) groups.set(name, build(child));
    }
    return new ManifestGroup({ arrays, groups, attributes: groupAttributesByPath.get(path) ?? {} });
  };
  return new ManifestStore(build(""), reader, { diagnostics });
}

export type { ChunkKeyEncoding };
