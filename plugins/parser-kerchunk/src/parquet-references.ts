/**
 * Kerchunk Parquet references (fsspec's `LazyReferenceMapper` layout), read lazily:
 *
 * ```
 * <dir>/.zmetadata                 {"metadata": {".zgroup": {...}, "t/.zarray": {...}, ...}, "record_size": N}
 * <dir>/<field>/refs.<i>.parq      columns path (string), offset (int64), size (int64), raw (binary)
 * ```
 * Row j of `refs.<i>.parq` is chunk number i·N + j of the field's chunk grid in C order. A row with
 * null path and null raw is a missing chunk (so is a record file that does not exist); a row with
 * raw bytes is an inlined chunk; a row with a path and offset = size = 0 is a whole file.
 *
 * {@link openParquetReferences} reads `.zmetadata` only. A field's record files are read the first
 * time its manifest is needed: {@link ParquetReferences.loadArray}, a chunk read through
 * {@link LazyReferenceStore}, or {@link ParquetReferences.toManifestStore} (which loads every field).
 * @module
 */
import {
  ChunkManifestBuilder,
  InvalidArgumentError,
  InvalidManifestError,
  isVzError,
  ManifestArray,
  ManifestGroup,
  ManifestStore,
  type ObjectReader,
  ParseError,
  type ReadOptions,
  UnsupportedFeatureError,
  type VzError,
} from "@vz/core";
import {
  type ArrayEntry,
  buildGroupTree,
  collectArrays,
  type KerchunkReadOptions,
  parseMetadataValue,
  UrlResolver,
} from "./metadata-tree.js";
import { parseJsonLenient } from "./zarr-v2-metadata.js";

/** Options of {@link openParquetReferences}. */
export interface ParquetReferenceOptions extends KerchunkReadOptions {
  /** How many record files of one field are read at the same time (default 4). */
  concurrency?: number;
}

const textDecoder = new TextDecoder();

/** URL of a file inside the reference directory, each path segment percent-encoded. */
function childUrl(base: string, path: string): string {
  return `${base}/${path.split("/").map(encodeURIComponent).join("/")}`;
}

/** A Parquet reference set: metadata read, record files read on demand. */
export class ParquetReferences {
  /** URL of the reference directory (no trailing slash). */
  readonly url: string;
  /** References per record file. */
  readonly recordSize: number;
  /** Zarr v2 metadata documents by key, as in `.zmetadata`. */
  readonly metadata: ReadonlyMap<string, unknown>;
  /** Arrays that vz can represent, by path in the reference set. */
  readonly arrays: ReadonlyMap<string, ArrayEntry>;
  /** Problems met while opening (arrays left out, each a typed error). */
  readonly diagnostics: readonly VzError[];
  readonly #reader: ObjectReader;
  readonly #options: ParquetReferenceOptions;
  readonly #resolver: UrlResolver;
  readonly #loaded = new Map<string, Promise<ManifestArray>>();

  constructor(
    url: string,
    reader: ObjectReader,
    zmetadata: { metadata: ReadonlyMap<string, unknown>; recordSize: number },
    options: ParquetReferenceOptions = {},
  ) {
    this.url = url.replace(/\/+$/, "");
    this.#reader = reader;
    this.#options = options;
    this.recordSize = zmetadata.recordSize;
    this.metadata = zmetadata.metadata;
    this.#resolver = new UrlResolver(this.url, options.root);
    const diagnostics: VzError[] = [];
    const arrays = collectArrays(this.metadata, this.url, diagnostics);
    if (arrays.has("")) {
      arrays.delete("");
      diagnostics.push(
        new UnsupportedFeatureError("parquet-root-array", `kerchunk ${this.url}: an array at the root of a Parquet reference set has no field directory`, {
          url: this.url,
          variable: "/",
        }),
      );
    }
    for (const path of [...arrays.keys()]) {
      // a field path names a directory under the reference directory: never leave it
      if (path.split("/").some((segment) => segment === "" || segment === "." || segment === "..")) {
        arrays.delete(path);
        diagnostics.push(
          new InvalidManifestError(`kerchunk ${this.url}: array path "${path}" has an empty, "." or ".." segment; it was left out`, {
            url: this.url,
            variable: path,
          }),
        );
      }
    }
    this.arrays = arrays;
    this.diagnostics = diagnostics;
  }

  /** Paths of the arrays, e.g. ["lat", "lon", "g/temp"]. */
  get arrayPaths(): string[] {
    return [...this.arrays.keys()];
  }

  /** The ManifestArray of `path`, reading its record files on first use (cached). */
  loadArray(path: string, readOptions?: ReadOptions): Promise<ManifestArray> {
    let pending = this.#loaded.get(path);
    if (!pending) {
      const entry = this.arrays.get(path);
      if (!entry) {
        return Promise.reject(
          new InvalidArgumentError(`kerchunk ${this.url}: no array "${path}"; arrays: ${this.arrayPaths.join(", ")}`, { url: this.url, variable: path }),
        );
      }
      pending = this.#readArray(entry, readOptions);
      pending.catch(() => this.#loaded.delete(path));
      this.#loaded.set(path, pending);
    }
    return pending;
  }

  /** Whether the record files of `path` have been read (or are being read). */
  isLoaded(path: string): boolean {
    return this.#loaded.has(path);
  }

  async #readArray(entry: ArrayEntry, readOptions?: ReadOptions): Promise<ManifestArray> {
    const chunkCount = entry.grid.reduce((n, s) => n * s, 1);
    const builder = new ChunkManifestBuilder(entry.grid);
    const records = Math.ceil(chunkCount / this.recordSize);
    const concurrency = Math.max(1, this.#options.concurrency ?? 4);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < records) {
        const record = next++;
        await this.#readRecord(entry, record, chunkCount, builder, readOptions);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, records) }, worker));
    return new ManifestArray(entry.metadata, builder.build(), entry.path);
  }

  async #readRecord(entry: ArrayEntry, record: number, chunkCount: number, builder: ChunkManifestBuilder, readOptions?: ReadOptions): Promise<void> {
    const fileUrl = childUrl(this.url, `${entry.path}/refs.${record}.parq`);
    let bytes: Uint8Array;
    try {
      bytes = await this.#reader.get(fileUrl, readOptions);
    } catch (error) {
      if (isVzError(error, "NOT_FOUND")) return; // fsspec: a record file that does not exist holds no chunks
      throw error;
    }
    const { parquetMetadata, parquetRead } = await import("hyparquet");
    const { compressors } = await import("hyparquet-compressors");
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    const file = { byteLength: buffer.byteLength, slice: (start: number, end?: number) => buffer.slice(start, end) };
    const columns = new Map<string, unknown[] | ArrayLike<unknown>>();
    let rows = 0;
    try {
      const metadata = parquetMetadata(buffer);
      rows = Number(metadata.num_rows);
      const names = new Set(metadata.schema.slice(1).map((element) => element.name));
      const wanted = ["path", "offset", "size", "raw"].filter((name) => names.has(name));
      if (!names.has("path") && !names.has("raw")) {
        throw new InvalidManifestError(`record file has neither a "path" nor a "raw" column (columns: ${[...names].join(", ")})`);
      }
      const parts = new Map<string, { rowStart: number; data: ArrayLike<unknown> }[]>();
      await parquetRead({
        file,
        metadata,
        columns: wanted,
        compressors,
        utf8: false,
        onChunk: (chunk) => {
          let list = parts.get(chunk.columnName);
          if (!list) parts.set(chunk.columnName, (list = []));
          list.push({ rowStart: chunk.rowStart, data: chunk.columnData as ArrayLike<unknown> });
        },
      });
      for (const [name, list] of parts) {
        if (list.length === 1 && list[0]!.rowStart === 0) columns.set(name, list[0]!.data);
        else {
          const joined = new Array<unknown>(rows);
          for (const part of list) for (let i = 0; i < part.data.length; i++) joined[part.rowStart + i] = part.data[i];
          columns.set(name, joined);
        }
      }
    } catch (cause) {
      if (isVzError(cause)) throw cause;
      throw new ParseError(`kerchunk ${fileUrl}: cannot read Parquet record ${record} of "${entry.path}": ${(cause as Error).message}`, {
        url: fileUrl,
        parser: "kerchunk",
        variable: entry.path,
        cause,
      });
    }
    const paths = columns.get("path");
    const offsets = columns.get("offset");
    const sizes = columns.get("size");
    const raws = columns.get("raw");
    const base = record * this.recordSize;
    const count = Math.min(rows, this.recordSize, chunkCount - base);
    const urlIds = new Map<string, number>();
    for (let row = 0; row < count; row++) {
      const index = base + row;
      const raw = raws?.[row];
      if (raw !== null && raw !== undefined) {
        const data = raw instanceof Uint8Array ? raw : typeof raw === "string" ? new TextEncoder().encode(raw) : undefined;
        if (!data) throw new InvalidManifestError(`kerchunk ${fileUrl}: row ${row} has a "raw" value that is not bytes`, { url: fileUrl, variable: entry.path });
        builder.setInlined(index, data);
        continue;
      }
      let path = paths?.[row];
      if (path === null || path === undefined) continue; // missing chunk
      if (path instanceof Uint8Array) path = textDecoder.decode(path);
      if (typeof path !== "string") throw new InvalidManifestError(`kerchunk ${fileUrl}: row ${row} has a non-string path`, { url: fileUrl, variable: entry.path });
      let urlId = urlIds.get(path);
      if (urlId === undefined) {
        urlId = builder.urlId(this.#resolver.resolve(path, `${entry.path}/${index}`));
        urlIds.set(path, urlId);
      }
      const offset = Number(offsets?.[row] ?? 0);
      const size = Number(sizes?.[row] ?? 0);
      if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(size) || offset < 0 || size < 0) {
        throw new InvalidManifestError(`kerchunk ${fileUrl}: row ${row} has offset ${offset} / size ${size}`, { url: fileUrl, variable: entry.path });
      }
      if (offset === 0 && size === 0) {
        throw new UnsupportedFeatureError(
          "whole-file-reference",
          `kerchunk ${fileUrl}: row ${row} of "${entry.path}" references the whole file ${path}, whose length is not in the reference set`,
          { url: fileUrl, variable: entry.path },
        );
      }
      builder.setById(index, urlId, offset, size);
    }
  }

  /** Every array loaded, as a ManifestGroup tree (rooted at the `group` option). */
  async toManifestGroup(readOptions?: ReadOptions): Promise<ManifestGroup> {
    const arrays = new Map<string, ManifestArray>();
    const prefix = (this.#options.group ?? "").replace(/^\/+|\/+$/g, "");
    const wanted = this.arrayPaths.filter((path) => prefix === "" || path.startsWith(`${prefix}/`));
    const loaded = await Promise.all(wanted.map((path) => this.loadArray(path, readOptions)));
    wanted.forEach((path, i) => arrays.set(path, loaded[i]!));
    // arrays outside the wanted group get an empty manifest: they are not part of the result
    for (const [path, entry] of this.arrays) {
      if (!arrays.has(path)) arrays.set(path, new ManifestArray(entry.metadata, emptyManifest(entry.grid), path));
    }
    return buildGroupTree(this.metadata, arrays, this.url, this.#options);
  }

  /** An eager ManifestStore: reads every record file of every array (of the selected group). */
  async toManifestStore(readOptions?: ReadOptions): Promise<ManifestStore> {
    return new ManifestStore(await this.toManifestGroup(readOptions), this.#reader, { diagnostics: this.diagnostics });
  }

  /** A zarrita-readable store that reads a field's record files on its first chunk read. */
  createLazyStore(): LazyReferenceStore {
    return new LazyReferenceStore(this, this.#reader, this.#options.group ?? "");
  }

  /** @internal Skeleton tree (manifests empty) for serving metadata. */
  skeleton(): ManifestGroup {
    const arrays = new Map<string, ManifestArray>();
    for (const [path, entry] of this.arrays) arrays.set(path, new ManifestArray(entry.metadata, emptyManifest(entry.grid), path));
    return buildGroupTree(this.metadata, arrays, this.url, this.#options);
  }
}

function emptyManifest(grid: readonly number[]): ReturnType<ChunkManifestBuilder["build"]> {
  return new ChunkManifestBuilder(grid).build();
}

/**
 * A read-only store (zarrita's `get` / `getRange`) over Parquet references that reads a field's
 * record files only when one of its chunks is first requested. Metadata keys (`zarr.json`) need
 * no record file.
 */
export class LazyReferenceStore {
  readonly references: ParquetReferences;
  readonly #reader: ObjectReader;
  readonly #prefix: string;
  readonly #metadataStore: ManifestStore;

  constructor(references: ParquetReferences, reader: ObjectReader, group: string) {
    this.references = references;
    this.#reader = reader;
    this.#prefix = group.replace(/^\/+|\/+$/g, "");
    this.#metadataStore = new ManifestStore(references.skeleton(), reader);
  }

  async #chunk(key: string, readOptions?: ReadOptions): Promise<ManifestStore | undefined> {
    const path = key.replace(/^\/+/, "");
    const match = /^(.*?)\/c((?:\/\d+)*)$/.exec(path);
    if (!match) return undefined;
    const arrayPath = this.#prefix ? `${this.#prefix}/${match[1]}` : match[1]!;
    if (!this.references.arrays.has(arrayPath)) return undefined;
    const array = await this.references.loadArray(arrayPath, readOptions);
    const name = arrayPath.slice(arrayPath.lastIndexOf("/") + 1);
    const parent = match[1]!.includes("/") ? match[1]!.slice(0, match[1]!.lastIndexOf("/")) : "";
    // a one-array store placed at the same path serves the chunk with ManifestStore's logic
    let group = new ManifestGroup({ arrays: { [name]: array } });
    for (const part of parent.split("/").filter(Boolean).reverse()) group = new ManifestGroup({ groups: { [part]: group } });
    return new ManifestStore(group, this.#reader);
  }

  /** Bytes at `key` (metadata document or chunk), or undefined. */
  async get(key: string, readOptions?: ReadOptions): Promise<Uint8Array | undefined> {
    if (key.endsWith("zarr.json")) return this.#metadataStore.get(key, readOptions);
    const store = await this.#chunk(key, readOptions);
    return store?.get(key, readOptions);
  }

  /** Part of the bytes at `key`. */
  async getRange(key: string, range: { offset: number; length: number } | { suffixLength: number }, readOptions?: ReadOptions): Promise<Uint8Array | undefined> {
    if (key.endsWith("zarr.json")) return this.#metadataStore.getRange(key, range, readOptions);
    const store = await this.#chunk(key, readOptions);
    return store?.getRange(key, range, readOptions);
  }
}

/**
 * Opens a Parquet reference directory, reading only its `.zmetadata`.
 * @example
 * const references = await openParquetReferences("file:///refs/combined.parq", reader);
 * const store = references.createLazyStore(); // or: await references.toManifestStore()
 */
export async function openParquetReferences(
  url: string,
  reader: ObjectReader,
  options: ParquetReferenceOptions = {},
  readOptions?: ReadOptions,
): Promise<ParquetReferences> {
  const base = url.replace(/\/+$/, "").replace(/\/\.zmetadata$/, "");
  const metadataUrl = `${base}/.zmetadata`;
  const bytes = await reader.get(metadataUrl, readOptions);
  let document: unknown;
  try {
    document = parseJsonLenient(textDecoder.decode(bytes));
  } catch (cause) {
    throw new ParseError(`kerchunk ${metadataUrl}: .zmetadata is not valid JSON: ${(cause as Error).message}`, { url: metadataUrl, parser: "kerchunk", cause });
  }
  const { metadata, record_size: recordSize } = (document ?? {}) as { metadata?: unknown; record_size?: unknown };
  if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) {
    throw new ParseError(`kerchunk ${metadataUrl}: .zmetadata has no "metadata" object`, { url: metadataUrl, parser: "kerchunk" });
  }
  if (!Number.isSafeInteger(recordSize) || (recordSize as number) < 1) {
    throw new ParseError(`kerchunk ${metadataUrl}: .zmetadata "record_size" ${JSON.stringify(recordSize)} is not a positive integer`, {
      url: metadataUrl,
      parser: "kerchunk",
    });
  }
  const documents = new Map<string, unknown>();
  for (const [key, value] of Object.entries(metadata as Record<string, unknown>)) documents.set(key, parseMetadataValue(value, key, metadataUrl));
  return new ParquetReferences(base, reader, { metadata: documents, recordSize: recordSize as number }, options);
}
