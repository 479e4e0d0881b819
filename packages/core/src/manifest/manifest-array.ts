/**
 * ManifestArray: Zarr v3 array metadata plus a ChunkManifest — a lazy, virtual array whose chunks
 * live in other files. Supports VirtualiZarr's concat / stack / broadcastTo / expandDims, refusing
 * with a {@link ConcatError} whatever cannot be expressed as a chunk-aligned reference set.
 * @module
 */
import { ConcatError } from "../errors.js";
import {
  broadcastManifest,
  ChunkManifest,
  concatManifests,
  expandManifestDims,
} from "./chunk-manifest.js";
import { type ArrayMetadata, chunkGridShape, type DataType, validateArrayMetadata } from "./metadata.js";

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function sameFill(a: unknown, b: unknown): boolean {
  if (typeof a === "number" && typeof b === "number" && Number.isNaN(a) && Number.isNaN(b)) return true;
  return sameJson(a, b);
}

/** A virtual array: metadata + where its chunks are. */
export class ManifestArray {
  readonly metadata: ArrayMetadata;
  readonly manifest: ChunkManifest;

  constructor(metadata: ArrayMetadata, manifest: ChunkManifest, name = "array") {
    validateArrayMetadata(metadata, name);
    const grid = chunkGridShape(metadata.shape, metadata.chunk_grid.configuration.chunk_shape);
    if (grid.length !== manifest.shape.length || grid.some((g, d) => g !== manifest.shape[d])) {
      throw new ConcatError(
        `${name}: shape [${metadata.shape.join(", ")}] with chunks [${metadata.chunk_grid.configuration.chunk_shape.join(", ")}] ` +
          `needs a chunk grid [${grid.join(", ")}], but the manifest's grid is [${manifest.shape.join(", ")}]`,
        { variable: name },
      );
    }
    this.metadata = metadata;
    this.manifest = manifest;
  }

  get shape(): readonly number[] {
    return this.metadata.shape;
  }
  get chunks(): readonly number[] {
    return this.metadata.chunk_grid.configuration.chunk_shape;
  }
  get dataType(): DataType {
    return this.metadata.data_type;
  }
  get ndim(): number {
    return this.metadata.shape.length;
  }
  get size(): number {
    return this.metadata.shape.reduce((a, b) => a * b, 1);
  }

  /** A copy with other metadata fields (attributes, dimension names, fill value ...). */
  withMetadata(patch: Partial<ArrayMetadata>): ManifestArray {
    return new ManifestArray({ ...this.metadata, ...patch }, this.manifest);
  }

  /** A copy with every chunk URL passed through `rename`. */
  renamePaths(rename: (url: string) => string): ManifestArray {
    return new ManifestArray(this.metadata, this.manifest.renamePaths(rename));
  }
}

function checkCompatible(arrays: readonly ManifestArray[], what: string): ManifestArray {
  const first = arrays[0];
  if (!first) throw new ConcatError(`${what}: no arrays given`);
  for (const [i, array] of arrays.entries()) {
    if (array.dataType !== first.dataType) {
      throw new ConcatError(`${what}: array ${i} has data type ${array.dataType}, array 0 has ${first.dataType}`);
    }
    if (array.ndim !== first.ndim) {
      throw new ConcatError(`${what}: array ${i} has ${array.ndim} dimensions, array 0 has ${first.ndim}`);
    }
    if (!sameJson(array.chunks, first.chunks)) {
      throw new ConcatError(
        `${what}: array ${i} has chunk shape [${array.chunks.join(", ")}], array 0 has [${first.chunks.join(", ")}]; ` +
          `virtual concatenation needs identical chunking (rechunking would need the data)`,
      );
    }
    if (!sameJson(array.metadata.codecs, first.metadata.codecs)) {
      throw new ConcatError(
        `${what}: array ${i} has codecs ${JSON.stringify(array.metadata.codecs)}, array 0 has ${JSON.stringify(first.metadata.codecs)}`,
      );
    }
    if (!sameFill(array.metadata.fill_value, first.metadata.fill_value)) {
      throw new ConcatError(
        `${what}: array ${i} has fill value ${JSON.stringify(array.metadata.fill_value)}, array 0 has ${JSON.stringify(first.metadata.fill_value)}`,
      );
    }
  }
  return first;
}

/**
 * Concatenates arrays along existing `axis`. Every array but the last must have a length along
 * `axis` that is a whole number of chunks (otherwise the joined array would need a partial chunk
 * in its middle, which Zarr's regular grid cannot express).
 */
export function concatManifestArrays(arrays: readonly ManifestArray[], axis: number): ManifestArray {
  const first = checkCompatible(arrays, "concat");
  const ndim = first.ndim;
  const normalized = axis < 0 ? axis + ndim : axis;
  if (normalized < 0 || normalized >= ndim) {
    throw new ConcatError(`concat: axis ${axis} is out of bounds for ${ndim}-dimensional arrays`);
  }
  for (const [i, array] of arrays.entries()) {
    for (let d = 0; d < ndim; d++) {
      if (d !== normalized && array.shape[d] !== first.shape[d]) {
        throw new ConcatError(
          `concat: array ${i} has shape [${array.shape.join(", ")}], array 0 has [${first.shape.join(", ")}]; ` +
            `they must agree on every axis but ${normalized}`,
        );
      }
    }
    const chunk = first.chunks[normalized]!;
    if (i < arrays.length - 1 && array.shape[normalized]! % chunk !== 0) {
      throw new ConcatError(
        `concat: array ${i} has length ${array.shape[normalized]} along axis ${normalized}, not a multiple of the chunk ` +
          `length ${chunk}; only the last array may end in a partial chunk`,
      );
    }
  }
  const manifest = concatManifests(
    arrays.map((a) => a.manifest),
    normalized,
  );
  const shape = [...first.shape];
  shape[normalized] = arrays.reduce((sum, a) => sum + a.shape[normalized]!, 0);
  return new ManifestArray({ ...first.metadata, shape }, manifest);
}

/** Stacks arrays along a new `axis` (each gets a length-1 axis there, chunk length 1). */
export function stackManifestArrays(arrays: readonly ManifestArray[], axis: number): ManifestArray {
  const first = checkCompatible(arrays, "stack");
  for (const [i, array] of arrays.entries()) {
    if (!sameJson(array.shape, first.shape)) {
      throw new ConcatError(`stack: array ${i} has shape [${array.shape.join(", ")}], array 0 has [${first.shape.join(", ")}]`);
    }
  }
  const normalized = axis < 0 ? axis + first.ndim + 1 : axis;
  if (normalized < 0 || normalized > first.ndim) {
    throw new ConcatError(`stack: axis ${axis} is out of bounds for ${first.ndim + 1}-dimensional result`);
  }
  return concatManifestArrays(
    arrays.map((a) => expandDimsManifestArray(a, normalized)),
    normalized,
  );
}

/** Adds a length-1 axis (chunk length 1) at `axis`. */
export function expandDimsManifestArray(array: ManifestArray, axis: number): ManifestArray {
  const normalized = axis < 0 ? axis + array.ndim + 1 : axis;
  if (normalized < 0 || normalized > array.ndim) {
    throw new ConcatError(`expandDims: axis ${axis} is out of bounds for ${array.ndim + 1}-dimensional result`);
  }
  const shape = [...array.shape];
  shape.splice(normalized, 0, 1);
  const chunkShape = [...array.chunks];
  chunkShape.splice(normalized, 0, 1);
  const names = array.metadata.dimension_names ? [...array.metadata.dimension_names] : undefined;
  names?.splice(normalized, 0, null);
  const metadata: ArrayMetadata = {
    ...array.metadata,
    shape,
    chunk_grid: { name: "regular", configuration: { chunk_shape: chunkShape } },
  };
  if (names) metadata.dimension_names = names;
  return new ManifestArray(metadata, expandManifestDims(array.manifest, normalized));
}

/**
 * Broadcasts to `shape` (numpy rules, new axes in front). An axis can only grow from length 1
 * when its chunk length is 1, so that each repeated chunk maps to whole chunks of the result.
 */
export function broadcastManifestArray(array: ManifestArray, shape: readonly number[]): ManifestArray {
  if (shape.length < array.ndim) {
    throw new ConcatError(`broadcastTo: cannot broadcast shape [${array.shape.join(", ")}] to fewer dimensions [${shape.join(", ")}]`);
  }
  const lead = shape.length - array.ndim;
  const chunkShape: number[] = [];
  for (let d = 0; d < shape.length; d++) {
    if (d < lead) {
      chunkShape.push(1);
      continue;
    }
    const from = array.shape[d - lead]!;
    const chunk = array.chunks[d - lead]!;
    if (from === shape[d]) chunkShape.push(chunk);
    else if (from === 1) chunkShape.push(1);
    else {
      throw new ConcatError(`broadcastTo: cannot broadcast shape [${array.shape.join(", ")}] to [${shape.join(", ")}]`);
    }
  }
  const grid = chunkGridShape(shape, chunkShape);
  const names = array.metadata.dimension_names
    ? [...new Array<null>(lead).fill(null), ...array.metadata.dimension_names]
    : undefined;
  const metadata: ArrayMetadata = {
    ...array.metadata,
    shape: [...shape],
    chunk_grid: { name: "regular", configuration: { chunk_shape: chunkShape } },
  };
  if (names) metadata.dimension_names = names;
  return new ManifestArray(metadata, broadcastManifest(array.manifest, grid));
}
