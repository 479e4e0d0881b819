/**
 * The operations behind VirtualiZarr's `vds.vz` accessor, on single variables: relocating chunk
 * URLs (`rename_paths`), counting references and their bytes, and chunk-aligned selection (`isel`)
 * that slices a ManifestArray's chunk grid without reading any chunk.
 * @module
 */
import { InvalidArgumentError } from "../errors.js";
import { ChunkManifest, INLINED, MISSING } from "../manifest/chunk-manifest.js";
import { ManifestArray } from "../manifest/manifest-array.js";
import { LoadedArray, type NumericArray, type Variable } from "./virtual-dataset.js";

/**
 * New chunk locations for {@link VirtualDataset.renamePaths}: a function from old URL to new URL,
 * or (as VirtualiZarr's `rename_paths(new: str)`) one URL that every chunk then points at.
 */
export type RenamePaths = string | ((url: string) => string);

/** One dimension's selection in {@link VirtualDataset.isel}: an index (drops the dimension) or a slice. */
export type DimSelection = number | readonly [start: number | null | undefined, stop: number | null | undefined] | { start?: number | null; stop?: number | null; step?: number | null };

/** Selections by dimension name. */
export type Indexers = Readonly<Record<string, DimSelection>>;

/** A normalized selection along one axis: `[start, stop)`, and whether the axis is dropped (integer index). */
interface AxisSelection {
  start: number;
  stop: number;
  drop: boolean;
}

/** Turns a string rename into a function; a string is refused for manifests with several files. */
export function renameFunction(rename: RenamePaths, urls: readonly string[], variable: string, where: string): (url: string) => string {
  if (typeof rename === "function") return rename;
  if (typeof rename !== "string" || rename === "") {
    throw new InvalidArgumentError(`${where}: renamePaths takes a non-empty URL or a function (url) => url`, { variable });
  }
  if (urls.length > 1) {
    throw new InvalidArgumentError(
      `${where}: variable "${variable}" references ${urls.length} files (${urls.slice(0, 3).join(", ")}${urls.length > 3 ? ", ..." : ""}); ` +
        `renamePaths("${rename}") would point all of them at one file. Pass a function (url) => newUrl instead`,
      { variable },
    );
  }
  return () => rename;
}

/** Every URL of a manifest passed through `rename`, keeping the manifest's chunks. */
export function renameVariablePaths(variable: Variable, rename: RenamePaths, name: string, where: string): Variable {
  if (!(variable.data instanceof ManifestArray)) return variable;
  const manifest = variable.data.manifest;
  const used = usedUrls(manifest);
  const fn = renameFunction(rename, used, name, where);
  const renamed = manifest.renamePaths((url) => {
    const result = fn(url);
    if (typeof result !== "string" || result === "") {
      throw new InvalidArgumentError(`${where}: renamePaths returned ${JSON.stringify(result)} for "${url}" of variable "${name}"`, { variable: name });
    }
    return result;
  });
  return { ...variable, data: new ManifestArray(variable.data.metadata, renamed, name) };
}

/** URLs that at least one chunk of `manifest` references. */
export function usedUrls(manifest: ChunkManifest): string[] {
  const seen = new Set<number>();
  for (let i = 0; i < manifest.gridSize; i++) if (manifest.kindAt(i) === "ref") seen.add(manifest.urlIdAt(i));
  return [...new Set([...seen].sort((a, b) => a - b).map((id) => manifest.urls[id]!))];
}

/** Number of chunks that point into a file (inlined and missing chunks excluded). */
export function manifestRefCount(manifest: ChunkManifest): number {
  let n = 0;
  for (let i = 0; i < manifest.gridSize; i++) if (manifest.kindAt(i) === "ref") n++;
  return n;
}

/** Sum of the lengths of the byte ranges the manifest references (inlined chunks excluded). */
export function manifestReferencedBytes(manifest: ChunkManifest): number {
  let n = 0;
  for (let i = 0; i < manifest.gridSize; i++) if (manifest.kindAt(i) === "ref") n += manifest.lengthAt(i);
  return n;
}

/** In-memory bytes of loaded values (VirtualiZarr counts loaded variables with xarray's `.nbytes`). */
export function loadedNbytes(array: LoadedArray): number {
  const values = array.values;
  if (ArrayBuffer.isView(values)) return (values as NumericArray).byteLength;
  let n = 0;
  for (const value of values as (string | boolean)[]) n += typeof value === "string" ? new TextEncoder().encode(value).length : 1;
  return n;
}

function normalizeIndex(value: number, length: number, what: string, variable: string): number {
  if (!Number.isInteger(value)) throw new InvalidArgumentError(`${what}: index ${value} is not an integer`, { variable });
  const index = value < 0 ? value + length : value;
  if (index < 0 || index >= length) throw new InvalidArgumentError(`${what}: index ${value} is out of range for length ${length}`, { variable });
  return index;
}

function clampBound(value: number | null | undefined, length: number, fallback: number, what: string, variable: string): number {
  if (value === null || value === undefined) return fallback;
  if (!Number.isInteger(value)) throw new InvalidArgumentError(`${what}: slice bound ${value} is not an integer`, { variable });
  const bound = value < 0 ? value + length : value;
  return Math.min(Math.max(bound, 0), length);
}

/** Normalizes one dimension's selection against its length (Python semantics: negative counts from the end). */
export function normalizeSelection(selection: DimSelection, length: number, what: string, variable: string): AxisSelection {
  if (typeof selection === "number") {
    const index = normalizeIndex(selection, length, what, variable);
    return { start: index, stop: index + 1, drop: true };
  }
  let start: number | null | undefined;
  let stop: number | null | undefined;
  if (Array.isArray(selection)) {
    [start, stop] = selection as readonly [number | null | undefined, number | null | undefined];
  } else if (typeof selection === "object" && selection !== null) {
    const slice = selection as { start?: number | null; stop?: number | null; step?: number | null };
    if (slice.step !== undefined && slice.step !== null && slice.step !== 1) {
      throw new InvalidArgumentError(`${what}: step ${slice.step} is not supported (only contiguous, chunk-aligned slices)`, { variable });
    }
    start = slice.start;
    stop = slice.stop;
  } else {
    throw new InvalidArgumentError(`${what}: a selection is an index, [start, stop] or { start, stop }, got ${JSON.stringify(selection)}`, { variable });
  }
  const a = clampBound(start, length, 0, what, variable);
  const b = Math.max(a, clampBound(stop, length, length, what, variable));
  return { start: a, stop: b, drop: false };
}

/** Chunk-grid range of a selection, refusing selections that do not start and end on chunk boundaries. */
function chunkRange(selection: AxisSelection, length: number, chunk: number, dim: string, variable: string, where: string): [number, number] {
  const boundaries = (): string => {
    const last = Math.ceil(length / chunk);
    const shown = Array.from({ length: Math.min(last, 4) }, (_, k) => k * chunk);
    return `${shown.join(", ")}${last > 4 ? ", ..." : ""} (chunks of ${chunk}) and the end ${length}`;
  };
  const aligned = (value: number) => value % chunk === 0 || value === length;
  for (const [which, value] of [["start", selection.start], ["stop", selection.stop]] as const) {
    if (!aligned(value)) {
      throw new InvalidArgumentError(
        `${where}: variable "${variable}" cannot be selected along dimension "${dim}" ${selection.drop ? `at index ${selection.start}` : `with ${which} ${value}`}: ` +
          `${value} is not a chunk boundary; boundaries are ${boundaries()}. Virtual selections must be chunk-aligned (or load the variable)`,
        { variable },
      );
    }
  }
  return [selection.start / chunk, Math.ceil(selection.stop / chunk)];
}

/** Chunk-aligned selection of a ManifestArray; integer selections need a chunk length of 1 and drop the axis. */
export function iselManifestArray(array: ManifestArray, selections: readonly (AxisSelection | undefined)[], dims: readonly string[], variable: string, where: string): ManifestArray {
  const shape = array.shape;
  const chunks = array.chunks;
  const ranges: [number, number][] = [];
  for (let d = 0; d < shape.length; d++) {
    const selection = selections[d];
    if (!selection) {
      ranges.push([0, array.manifest.shape[d]!]);
      continue;
    }
    if (selection.drop && chunks[d] !== 1) {
      throw new InvalidArgumentError(
        `${where}: variable "${variable}" cannot be indexed with an integer along dimension "${dims[d]}": its chunks there are ${chunks[d]} long, not 1 (use a chunk-aligned slice)`,
        { variable },
      );
    }
    ranges.push(chunkRange(selection, shape[d]!, chunks[d]!, dims[d]!, variable, where));
  }
  const source = array.manifest.toArrays();
  const gridShape = ranges.map(([a, b]) => b - a);
  const size = gridShape.reduce((x, y) => x * y, 1);
  const urlIds = new Uint32Array(size);
  const offsets = new Float64Array(size);
  const lengths = new Float64Array(size);
  const inlined = new Map<number, Uint8Array>();
  const urlMap = new Map<number, number>();
  const urls: string[] = [];
  const coords = ranges.map(([a]) => a);
  const ndim = shape.length;
  for (let i = 0; i < size; i++) {
    let from = 0;
    for (let d = 0; d < ndim; d++) from = from * source.shape[d]! + coords[d]!;
    const id = source.urlIds[from]!;
    if (id === MISSING) urlIds[i] = MISSING;
    else if (id === INLINED) {
      urlIds[i] = INLINED;
      inlined.set(i, source.inlined.get(from)!);
    } else {
      let mapped = urlMap.get(id);
      if (mapped === undefined) {
        mapped = urls.length;
        urls.push(source.urls[id]!);
        urlMap.set(id, mapped);
      }
      urlIds[i] = mapped;
      offsets[i] = source.offsets[from]!;
      lengths[i] = source.lengths[from]!;
    }
    for (let d = ndim - 1; d >= 0; d--) {
      coords[d]!++;
      if (coords[d]! < ranges[d]![1]) break;
      coords[d] = ranges[d]![0];
    }
  }
  const newShape = shape.map((extent, d) => {
    const selection = selections[d];
    return selection ? selection.stop - selection.start : extent;
  });
  const keep = shape.map((_, d) => !selections[d]?.drop);
  const manifest = ChunkManifest.fromArrays({
    shape: gridShape.filter((_, d) => keep[d]),
    urls,
    urlIds,
    offsets,
    lengths,
    inlined,
  });
  const dimensionNames = array.metadata.dimension_names;
  const metadata = {
    ...array.metadata,
    shape: newShape.filter((_, d) => keep[d]),
    chunk_grid: { name: "regular" as const, configuration: { chunk_shape: chunks.filter((_, d) => keep[d]) } },
    ...(dimensionNames ? { dimension_names: dimensionNames.filter((_, d) => keep[d]) } : {}),
  };
  return new ManifestArray(metadata, manifest, variable);
}

/** Any selection of loaded values (copies the selected elements, C order). */
export function iselLoadedArray(array: LoadedArray, selections: readonly (AxisSelection | undefined)[]): LoadedArray {
  const shape = array.shape;
  const ranges = shape.map((extent, d) => {
    const s = selections[d];
    return s ? [s.start, s.stop] : [0, extent];
  }) as [number, number][];
  const newShape = ranges.map(([a, b]) => b - a);
  const size = newShape.reduce((x, y) => x * y, 1);
  const values = array.values;
  const out: NumericArray | unknown[] = ArrayBuffer.isView(values)
    ? new (values.constructor as new (length: number) => NumericArray)(size)
    : new Array<unknown>(size);
  const ndim = shape.length;
  const coords = ranges.map(([a]) => a);
  for (let i = 0; i < size; i++) {
    let from = 0;
    for (let d = 0; d < ndim; d++) from = from * shape[d]! + coords[d]!;
    (out as unknown[])[i] = (values as ArrayLike<unknown>)[from];
    for (let d = ndim - 1; d >= 0; d--) {
      coords[d]!++;
      if (coords[d]! < ranges[d]![1]) break;
      coords[d] = ranges[d]![0];
    }
  }
  return new LoadedArray({
    dataType: array.dataType,
    shape: newShape.filter((_, d) => !selections[d]?.drop),
    values: out as NumericArray | string[] | boolean[],
    fillValue: array.fillValue,
  });
}
