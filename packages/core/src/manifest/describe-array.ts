/**
 * The facts `vz inspect --json` reports of one array (and the web inspector shows): dims, shape,
 * numpy dtype, chunk shape, codecs, fill value, chunk counts, manifest size and attributes.
 * @module
 */
import type { ManifestArray } from "./manifest-array.js";
import { endianOf, toNumpyDtype } from "./metadata.js";

/** Facts about one array of a tree. */
export interface ArrayDescription {
  /** Its path from the root, with a leading "/". */
  path: string;
  dims: (string | null)[];
  shape: number[];
  /** numpy dtype string ("<f4", "|S1"), or the Zarr data type where numpy has none. */
  dtype: string;
  chunks: number[];
  codecs: string[];
  fillValue: unknown;
  /** Chunks present (referenced or inlined). */
  chunkCount: number;
  /** Chunks in the grid. */
  gridSize: number;
  /** Bytes the manifest holds in memory. */
  manifestBytes: number;
  attributes: Record<string, unknown>;
}

/** Describes `array`, found at `path`. */
export function describeArray(path: string, array: ManifestArray): ArrayDescription {
  let dtype: string;
  try {
    dtype = toNumpyDtype(array.dataType, endianOf(array.metadata.codecs));
  } catch {
    dtype = array.dataType;
  }
  return {
    path,
    dims: array.metadata.dimension_names ?? array.shape.map(() => null),
    shape: [...array.shape],
    dtype,
    chunks: [...array.chunks],
    codecs: array.metadata.codecs.map((c) => c.name),
    fillValue: array.metadata.fill_value,
    chunkCount: array.manifest.chunkCount,
    gridSize: array.manifest.gridSize,
    manifestBytes: array.manifest.byteSize,
    attributes: array.metadata.attributes,
  };
}
