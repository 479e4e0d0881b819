/**
 * ChunkManifest: where every chunk of one array lives — (url, offset, length) per chunk of the
 * chunk grid, held struct-of-arrays in typed arrays with a de-duplicated URL table, so a manifest
 * costs ~13–16 bytes per chunk and no JS object per chunk.
 * @module
 */
import { InvalidManifestError } from "../errors.js";

/** One chunk reference, as in kerchunk `[url, offset, length]`. */
export interface ChunkEntry {
  url: string;
  offset: number;
  length: number;
}

/** Id stored for a chunk that does not exist (reads as fill value). */
export const MISSING = 0xffffffff;
/** Id stored for a chunk whose bytes are inlined in the manifest. */
export const INLINED = 0xfffffffe;
const MAX_URL_ID = 0xfffffffd;

type IdArray = Uint8Array | Uint16Array | Uint32Array;
type LengthArray = Uint32Array | Float64Array;

/** Data needed to build a manifest from typed arrays (ids index into `urls`; see MISSING/INLINED). */
export interface ChunkManifestArrays {
  /** Chunk grid shape (number of chunks along each dimension). */
  shape: readonly number[];
  urls: readonly string[];
  urlIds: ArrayLike<number>;
  offsets: ArrayLike<number>;
  lengths: ArrayLike<number>;
  /** Inlined chunk bytes by flat (C-order) chunk index. */
  inlined?: ReadonlyMap<number, Uint8Array>;
}

function product(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

function idArrayFor(urlCount: number, size: number): IdArray {
  // The top two values of each width are reserved for MISSING / INLINED.
  if (urlCount < 0xfe) return new Uint8Array(size);
  if (urlCount < 0xfffe) return new Uint16Array(size);
  return new Uint32Array(size);
}

function idSentinels(ids: IdArray): { missing: number; inlined: number } {
  if (ids instanceof Uint8Array) return { missing: 0xff, inlined: 0xfe };
  if (ids instanceof Uint16Array) return { missing: 0xffff, inlined: 0xfffe };
  return { missing: MISSING, inlined: INLINED };
}

/** Whether `url` is absolute (has a scheme such as `file:`, `s3:` or `https:`). */
export function isAbsoluteUrl(url: string): boolean {
  return /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(url);
}

/** A chunk grid of references. Immutable after construction. */
export class ChunkManifest {
  /** Chunk grid shape. */
  readonly shape: readonly number[];
  /** De-duplicated URL table. */
  readonly urls: readonly string[];
  readonly #ids: IdArray;
  readonly #offsets: Float64Array;
  readonly #lengths: LengthArray;
  readonly #inlined: ReadonlyMap<number, Uint8Array>;
  readonly #missingId: number;
  readonly #inlinedId: number;

  private constructor(
    shape: readonly number[],
    urls: readonly string[],
    ids: IdArray,
    offsets: Float64Array,
    lengths: LengthArray,
    inlined: ReadonlyMap<number, Uint8Array>,
  ) {
    this.shape = Object.freeze([...shape]);
    this.urls = Object.freeze([...urls]);
    this.#ids = ids;
    this.#offsets = offsets;
    this.#lengths = lengths;
    this.#inlined = inlined;
    const sentinels = idSentinels(ids);
    this.#missingId = sentinels.missing;
    this.#inlinedId = sentinels.inlined;
  }

  /**
   * Builds a manifest from typed arrays (ids: index into `urls`, or MISSING / INLINED).
   * Validates shapes, ids, safe-integer offsets and absolute URLs.
   */
  static fromArrays(data: ChunkManifestArrays, options: { validate?: boolean } = {}): ChunkManifest {
    const size = product(data.shape);
    for (const s of data.shape) {
      if (!Number.isSafeInteger(s) || s < 0) {
        throw new InvalidManifestError(`ChunkManifest: invalid chunk grid shape [${data.shape.join(", ")}]`);
      }
    }
    if (data.urlIds.length !== size || data.offsets.length !== size || data.lengths.length !== size) {
      throw new InvalidManifestError(
        `ChunkManifest: chunk grid [${data.shape.join(", ")}] has ${size} chunks but got ${data.urlIds.length} ids, ` +
          `${data.offsets.length} offsets, ${data.lengths.length} lengths`,
      );
    }
    if (data.urls.length > MAX_URL_ID) throw new InvalidManifestError(`ChunkManifest: too many distinct URLs`);
    const ids = idArrayFor(data.urls.length, size);
    const sentinels = idSentinels(ids);
    const offsets = data.offsets instanceof Float64Array ? data.offsets : Float64Array.from(data.offsets);
    let needsWide = false;
    for (let i = 0; i < size; i++) {
      const length = data.lengths[i]!;
      if (length > 0xffffffff) {
        needsWide = true;
        break;
      }
    }
    const lengths: LengthArray = needsWide
      ? Float64Array.from(data.lengths)
      : data.lengths instanceof Uint32Array
        ? data.lengths
        : Uint32Array.from(data.lengths);
    const inlined = new Map(data.inlined ?? []);
    const validate = options.validate ?? true;
    for (let i = 0; i < size; i++) {
      const id = data.urlIds[i]!;
      if (id === MISSING) ids[i] = sentinels.missing;
      else if (id === INLINED) {
        if (!inlined.has(i)) throw new InvalidManifestError(`ChunkManifest: chunk ${i} is marked inlined but has no data`);
        ids[i] = sentinels.inlined;
      } else {
        if (validate) {
          if (!Number.isInteger(id) || id < 0 || id >= data.urls.length) {
            throw new InvalidManifestError(`ChunkManifest: chunk ${i} refers to URL id ${id}, but there are ${data.urls.length} URLs`);
          }
          const offset = offsets[i]!;
          const length = lengths[i]!;
          if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
            throw new InvalidManifestError(
              `ChunkManifest: chunk ${i} has invalid offset ${offset} / length ${length} (must be non-negative safe integers)`,
            );
          }
        }
        ids[i] = id;
      }
    }
    for (const [index, bytes] of inlined) {
      if (!Number.isInteger(index) || index < 0 || index >= size) {
        throw new InvalidManifestError(`ChunkManifest: inlined chunk index ${index} outside the grid of ${size} chunks`);
      }
      if (ids[index] !== sentinels.inlined) {
        if (ids[index] !== sentinels.missing) {
          throw new InvalidManifestError(`ChunkManifest: chunk ${index} is both referenced and inlined`);
        }
        ids[index] = sentinels.inlined;
      }
      if (!(bytes instanceof Uint8Array)) throw new InvalidManifestError(`ChunkManifest: inlined chunk ${index} is not bytes`);
    }
    if (validate) {
      for (const url of data.urls) {
        if (!isAbsoluteUrl(url)) {
          throw new InvalidManifestError(
            `ChunkManifest: chunk URL "${url}" is relative; resolve it against an explicit root (e.g. file:///data/) first`,
          );
        }
      }
    }
    return new ChunkManifest(data.shape, data.urls, ids, offsets, lengths, inlined);
  }

  /**
   * Builds a manifest from kerchunk-style entries keyed by chunk key ("0.1" or "0/1"); values are
   * `{url, offset, length}` objects or `[url, offset, length]` tuples. `shape` is the chunk grid.
   */
  static fromEntries(
    entries: Record<string, ChunkEntry | readonly [string, number, number]>,
    shape: readonly number[],
  ): ChunkManifest {
    const builder = new ChunkManifestBuilder(shape);
    for (const [key, value] of Object.entries(entries)) {
      const coords = parseChunkKey(key, shape.length);
      const entry = Array.isArray(value)
        ? { url: value[0] as string, offset: value[1] as number, length: value[2] as number }
        : (value as ChunkEntry);
      builder.set(coords, entry.url, entry.offset, entry.length);
    }
    return builder.build();
  }

  /** A manifest of the given grid shape with no chunks at all. */
  static empty(shape: readonly number[]): ChunkManifest {
    return new ChunkManifestBuilder(shape).build();
  }

  /** Number of cells in the chunk grid. */
  get gridSize(): number {
    return this.#ids.length;
  }

  /** Number of chunks that exist (referenced or inlined). */
  get chunkCount(): number {
    let n = 0;
    const ids = this.#ids;
    const missing = this.#missingId;
    for (let i = 0; i < ids.length; i++) if (ids[i] !== missing) n++;
    return n;
  }

  /** Approximate bytes held by this manifest's typed arrays and inlined data. */
  get byteSize(): number {
    let inlinedBytes = 0;
    for (const bytes of this.#inlined.values()) inlinedBytes += bytes.byteLength;
    let urlBytes = 0;
    for (const url of this.urls) urlBytes += url.length * 2;
    return this.#ids.byteLength + this.#offsets.byteLength + this.#lengths.byteLength + inlinedBytes + urlBytes;
  }

  /** Flat C-order index of chunk `coords`, or -1 when out of the grid. */
  flatIndex(coords: readonly number[]): number {
    if (coords.length !== this.shape.length) return -1;
    let index = 0;
    for (let d = 0; d < coords.length; d++) {
      const c = coords[d]!;
      const s = this.shape[d]!;
      if (!Number.isInteger(c) || c < 0 || c >= s) return -1;
      index = index * s + c;
    }
    return index;
  }

  /** Kind of chunk at flat index `index`. */
  kindAt(index: number): "missing" | "inlined" | "ref" {
    const id = this.#ids[index];
    if (id === undefined || id === this.#missingId) return "missing";
    if (id === this.#inlinedId) return "inlined";
    return "ref";
  }

  /** URL id, offset and length at flat index (for `ref` chunks); fast path without allocation. */
  urlIdAt(index: number): number {
    return this.#ids[index]!;
  }
  offsetAt(index: number): number {
    return this.#offsets[index]!;
  }
  lengthAt(index: number): number {
    return this.#lengths[index]!;
  }
  inlinedAt(index: number): Uint8Array | undefined {
    return this.#inlined.get(index);
  }

  /** The reference of chunk `coords`, its inlined bytes, or undefined when missing. */
  get(coords: readonly number[]): ChunkEntry | { data: Uint8Array } | undefined {
    const index = this.flatIndex(coords);
    if (index < 0) return undefined;
    return this.getFlat(index);
  }

  /** Same as {@link get} for a flat index. */
  getFlat(index: number): ChunkEntry | { data: Uint8Array } | undefined {
    const kind = this.kindAt(index);
    if (kind === "missing") return undefined;
    if (kind === "inlined") return { data: this.#inlined.get(index)! };
    return { url: this.urls[this.#ids[index]!]!, offset: this.#offsets[index]!, length: this.#lengths[index]! };
  }

  /** Every existing chunk as `[coords, entry]`, in C order. */
  *entries(): IterableIterator<[number[], ChunkEntry | { data: Uint8Array }]> {
    const coords = new Array<number>(this.shape.length).fill(0);
    for (let i = 0; i < this.#ids.length; i++) {
      const entry = this.getFlat(i);
      if (entry) yield [[...coords], entry];
      for (let d = coords.length - 1; d >= 0; d--) {
        coords[d]!++;
        if (coords[d]! < this.shape[d]!) break;
        coords[d] = 0;
      }
    }
  }

  /** The manifest's content as plain typed arrays with MISSING/INLINED sentinels (copies). */
  toArrays(): { shape: number[]; urls: string[]; urlIds: Uint32Array; offsets: Float64Array; lengths: Float64Array; inlined: Map<number, Uint8Array> } {
    const size = this.#ids.length;
    const urlIds = new Uint32Array(size);
    for (let i = 0; i < size; i++) {
      const id = this.#ids[i]!;
      urlIds[i] = id === this.#missingId ? MISSING : id === this.#inlinedId ? INLINED : id;
    }
    return {
      shape: [...this.shape],
      urls: [...this.urls],
      urlIds,
      offsets: new Float64Array(this.#offsets),
      lengths: Float64Array.from(this.#lengths),
      inlined: new Map(this.#inlined),
    };
  }

  /** A copy with every URL passed through `rename` (e.g. to move files to another bucket). */
  renamePaths(rename: (url: string) => string): ChunkManifest {
    const arrays = this.toArrays();
    return ChunkManifest.fromArrays({ ...arrays, urls: arrays.urls.map(rename) });
  }

  /** Whether both manifests reference exactly the same chunks. */
  equals(other: ChunkManifest): boolean {
    if (this.shape.length !== other.shape.length || this.shape.some((s, i) => s !== other.shape[i])) return false;
    for (let i = 0; i < this.#ids.length; i++) {
      const a = this.getFlat(i);
      const b = other.getFlat(i);
      if (a === undefined || b === undefined) {
        if (a !== b) return false;
        continue;
      }
      if ("data" in a || "data" in b) {
        if (!("data" in a) || !("data" in b)) return false;
        if (a.data.length !== b.data.length || a.data.some((v, j) => v !== b.data[j])) return false;
        continue;
      }
      if (a.url !== b.url || a.offset !== b.offset || a.length !== b.length) return false;
    }
    return true;
  }
}

/** Parses a chunk key "1.2", "1/2" or "c/1/2" into coordinates; "0" for a 0-d array. */
export function parseChunkKey(key: string, ndim: number): number[] {
  let body = key.startsWith("c/") ? key.slice(2) : key === "c" ? "" : key;
  if (ndim === 0) {
    if (body === "" || body === "0") return [];
    throw new InvalidManifestError(`ChunkManifest: chunk key "${key}" does not fit a 0-d array`);
  }
  const parts = body.split(/[./]/);
  if (parts.length !== ndim || parts.some((p) => !/^\d+$/.test(p))) {
    throw new InvalidManifestError(`ChunkManifest: chunk key "${key}" does not match ${ndim} dimensions`);
  }
  return parts.map(Number);
}

/**
 * Builds a ChunkManifest chunk by chunk without an object per chunk. Unset chunks are missing.
 * @example
 * const b = new ChunkManifestBuilder([2]);
 * b.set([0], "file:///data/a.nc", 100, 50);
 * const manifest = b.build();
 */
export class ChunkManifestBuilder {
  readonly shape: readonly number[];
  readonly #urlIndex = new Map<string, number>();
  readonly #urls: string[] = [];
  readonly #ids: Uint32Array;
  readonly #offsets: Float64Array;
  readonly #lengths: Float64Array;
  readonly #inlined = new Map<number, Uint8Array>();

  constructor(shape: readonly number[]) {
    this.shape = [...shape];
    const size = product(shape);
    if (!Number.isSafeInteger(size) || size < 0) {
      throw new InvalidManifestError(`ChunkManifest: invalid chunk grid shape [${shape.join(", ")}]`);
    }
    this.#ids = new Uint32Array(size).fill(MISSING);
    this.#offsets = new Float64Array(size);
    this.#lengths = new Float64Array(size);
  }

  #index(coords: readonly number[] | number): number {
    if (typeof coords === "number") {
      if (!Number.isInteger(coords) || coords < 0 || coords >= this.#ids.length) {
        throw new InvalidManifestError(`ChunkManifest: chunk index ${coords} outside the grid [${this.shape.join(", ")}]`);
      }
      return coords;
    }
    if (coords.length !== this.shape.length) {
      throw new InvalidManifestError(
        `ChunkManifest: chunk key [${coords.join(", ")}] has ${coords.length} dimensions, the grid has ${this.shape.length}`,
      );
    }
    let index = 0;
    for (let d = 0; d < coords.length; d++) {
      const c = coords[d]!;
      const s = this.shape[d]!;
      if (!Number.isInteger(c) || c < 0 || c >= s) {
        throw new InvalidManifestError(`ChunkManifest: chunk key [${coords.join(", ")}] outside the grid [${this.shape.join(", ")}]`);
      }
      index = index * s + c;
    }
    return index;
  }

  /** Interns `url` and returns its id (use with {@link setById} in hot loops). */
  urlId(url: string): number {
    let id = this.#urlIndex.get(url);
    if (id === undefined) {
      id = this.#urls.length;
      this.#urls.push(url);
      this.#urlIndex.set(url, id);
    }
    return id;
  }

  /** Sets chunk `coords` (or flat index) to a byte range of `url`. */
  set(coords: readonly number[] | number, url: string, offset: number, length: number): this {
    return this.setById(this.#index(coords), this.urlId(url), offset, length);
  }

  /** Sets flat chunk `index` to a byte range of the URL with id `urlId` (from {@link urlId}). */
  setById(index: number, urlId: number, offset: number, length: number): this {
    this.#ids[index] = urlId;
    this.#offsets[index] = offset;
    this.#lengths[index] = length;
    this.#inlined.delete(index);
    return this;
  }

  /** Stores chunk bytes inline (for small or loaded data). */
  setInlined(coords: readonly number[] | number, data: Uint8Array): this {
    const index = this.#index(coords);
    this.#ids[index] = INLINED;
    this.#inlined.set(index, data);
    return this;
  }

  /** Marks chunk `coords` missing. */
  setMissing(coords: readonly number[] | number): this {
    const index = this.#index(coords);
    this.#ids[index] = MISSING;
    this.#inlined.delete(index);
    return this;
  }

  build(): ChunkManifest {
    return ChunkManifest.fromArrays({
      shape: this.shape,
      urls: this.#urls,
      urlIds: this.#ids,
      offsets: this.#offsets,
      lengths: this.#lengths,
      inlined: this.#inlined,
    });
  }
}

/**
 * Concatenates manifests along `axis` of the chunk grid (grids must agree on every other axis).
 * URL tables are merged and de-duplicated.
 */
export function concatManifests(manifests: readonly ChunkManifest[], axis: number): ChunkManifest {
  const first = manifests[0];
  if (!first) throw new InvalidManifestError("concatManifests: no manifests given");
  const ndim = first.shape.length;
  if (axis < 0 || axis >= ndim) throw new InvalidManifestError(`concatManifests: axis ${axis} outside ${ndim} dimensions`);
  for (const [i, m] of manifests.entries()) {
    if (m.shape.length !== ndim || m.shape.some((s, d) => d !== axis && s !== first.shape[d])) {
      throw new InvalidManifestError(
        `concatManifests: manifest ${i} has chunk grid [${m.shape.join(", ")}], incompatible with [${first.shape.join(", ")}] off axis ${axis}`,
      );
    }
  }
  const outShape = [...first.shape];
  outShape[axis] = manifests.reduce((sum, m) => sum + m.shape[axis]!, 0);
  const outer = product(first.shape.slice(0, axis));
  const inner = product(first.shape.slice(axis + 1));
  const size = product(outShape);
  const urls: string[] = [];
  const urlIndex = new Map<string, number>();
  const remaps = manifests.map((m) =>
    m.urls.map((url) => {
      let id = urlIndex.get(url);
      if (id === undefined) {
        id = urls.length;
        urls.push(url);
        urlIndex.set(url, id);
      }
      return id;
    }),
  );
  const ids = new Uint32Array(size);
  const offsets = new Float64Array(size);
  const lengths = new Float64Array(size);
  const inlined = new Map<number, Uint8Array>();
  const outAxis = outShape[axis]!;
  let axisStart = 0;
  for (const [mi, m] of manifests.entries()) {
    const remap = remaps[mi]!;
    const span = m.shape[axis]!;
    for (let o = 0; o < outer; o++) {
      for (let a = 0; a < span; a++) {
        const srcBase = (o * span + a) * inner;
        const dstBase = (o * outAxis + axisStart + a) * inner;
        for (let k = 0; k < inner; k++) {
          const src = srcBase + k;
          const dst = dstBase + k;
          const kind = m.kindAt(src);
          if (kind === "missing") ids[dst] = MISSING;
          else if (kind === "inlined") {
            ids[dst] = INLINED;
            inlined.set(dst, m.inlinedAt(src)!);
          } else {
            ids[dst] = remap[m.urlIdAt(src)]!;
            offsets[dst] = m.offsetAt(src);
            lengths[dst] = m.lengthAt(src);
          }
        }
      }
    }
    axisStart += span;
  }
  return ChunkManifest.fromArrays({ shape: outShape, urls, urlIds: ids, offsets, lengths, inlined }, { validate: false });
}

/** Adds a new axis of length 1 to the chunk grid at `axis`. */
export function expandManifestDims(manifest: ChunkManifest, axis: number): ChunkManifest {
  const arrays = manifest.toArrays();
  const shape = [...arrays.shape];
  shape.splice(axis, 0, 1);
  return ChunkManifest.fromArrays({ ...arrays, shape }, { validate: false });
}

/** Repeats the grid so that it gets `shape` (numpy broadcasting of the chunk grid; new axes lead). */
export function broadcastManifest(manifest: ChunkManifest, shape: readonly number[]): ChunkManifest {
  const source = manifest.shape;
  if (shape.length < source.length) {
    throw new InvalidManifestError(`broadcastManifest: cannot broadcast grid [${source.join(", ")}] to [${shape.join(", ")}]`);
  }
  const lead = shape.length - source.length;
  for (let d = 0; d < source.length; d++) {
    if (source[d] !== 1 && source[d] !== shape[lead + d]) {
      throw new InvalidManifestError(`broadcastManifest: cannot broadcast grid [${source.join(", ")}] to [${shape.join(", ")}]`);
    }
  }
  const arrays = manifest.toArrays();
  const size = product(shape);
  const ids = new Uint32Array(size);
  const offsets = new Float64Array(size);
  const lengths = new Float64Array(size);
  const inlined = new Map<number, Uint8Array>();
  const coords = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < size; i++) {
    let src = 0;
    for (let d = 0; d < source.length; d++) {
      const c = source[d] === 1 ? 0 : coords[lead + d]!;
      src = src * source[d]! + c;
    }
    ids[i] = arrays.urlIds[src]!;
    offsets[i] = arrays.offsets[src]!;
    lengths[i] = arrays.lengths[src]!;
    const data = arrays.inlined.get(src);
    if (data) inlined.set(i, data);
    for (let d = shape.length - 1; d >= 0; d--) {
      coords[d]!++;
      if (coords[d]! < shape[d]!) break;
      coords[d] = 0;
    }
  }
  return ChunkManifest.fromArrays({ shape, urls: arrays.urls, urlIds: ids, offsets, lengths, inlined }, { validate: false });
}
