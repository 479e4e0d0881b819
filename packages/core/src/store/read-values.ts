/**
 * Reads values of one array of a zarrita-readable store (a ManifestStore, an Icechunk session
 * store) with vz's codecs: float16 readable, selections with no elements (a zero-length
 * dimension, an empty slice) give an empty result instead of failing inside zarrita, and a chunk
 * codec nobody provides is a typed error naming the codec and the package that provides it.
 * zarrita is imported on the first call.
 * @module
 */
import type * as zarr from "zarrita";
import { missingCodecError, unknownCodecOf } from "../codecs/plugin-codecs.js";
import { registerCodecs } from "../codecs/register-codecs.js";
import { InvalidArgumentError, isVzError, ReadError } from "../errors.js";
import { ManifestStore } from "./manifest-store.js";

/** One entry per dimension: `null` (all), an index, or a `zarr.slice`. */
export type ArraySelection = (number | null | zarr.Slice)[];

/** What {@link readArrayValues} returns. */
export interface ArrayValues {
  /** zarrita data type of the array ("float16", "int32", ...). */
  dtype: string;
  /** Shape of the selection (dimensions indexed by a number are dropped). */
  shape: number[];
  /** Values in C order (a typed array, or a plain array for bool/string types); a scalar for a 0-d result. */
  data: ArrayLike<unknown> | number | bigint | string | boolean;
}

const EMPTY: Record<string, () => ArrayLike<unknown>> = {
  int8: () => new Int8Array(0),
  int16: () => new Int16Array(0),
  int32: () => new Int32Array(0),
  int64: () => new BigInt64Array(0),
  uint8: () => new Uint8Array(0),
  uint16: () => new Uint16Array(0),
  uint32: () => new Uint32Array(0),
  uint64: () => new BigUint64Array(0),
  float16: () => new (globalThis as unknown as { Float16Array: new (n: number) => ArrayLike<number> }).Float16Array(0),
  float32: () => new Float32Array(0),
  float64: () => new Float64Array(0),
};

/** Output shape of `selection` over `shape` (numbers drop their dimension); throws for an index out of range. */
function selectionShape(zarrita: typeof zarr, shape: readonly number[], selection: ArraySelection, path: string): number[] {
  const out: number[] = [];
  shape.forEach((extent, d) => {
    const entry = selection[d] ?? null;
    if (entry === null) out.push(extent);
    else if (typeof entry === "number") {
      if (entry >= extent || entry < -extent) {
        throw new InvalidArgumentError(`variable "${path}": index ${entry} is out of range for dimension ${d} of length ${extent}`, { variable: path });
      }
    } else {
      const [start, stop, step] = zarrita._zarrita_internal_sliceIndices(entry, extent);
      out.push(Math.max(0, Math.ceil((stop - start) / step)));
    }
  });
  return out;
}

/**
 * Reads `selection` (default: everything) of the array at `path` of `store`.
 * @example
 * const { shape, data } = await readArrayValues(manifestStore, "temp", { selection: [0, null], url });
 */
export async function readArrayValues(
  store: zarr.Readable,
  path: string,
  options: { selection?: ArraySelection; url?: string } = {},
): Promise<ArrayValues> {
  // a ManifestStore registers vz's codecs (and Float16Array for float16 arrays) itself
  const [zarrita] = await Promise.all([import("zarrita"), store instanceof ManifestStore ? undefined : registerCodecs()]);
  const context = { variable: path, ...(options.url ? { url: options.url } : {}) };
  let array: zarr.Array<zarr.DataType, zarr.Readable>;
  try {
    array = await zarrita.open.v3(zarrita.root(store).resolve(path), { kind: "array" });
  } catch (cause) {
    if (isVzError(cause)) throw cause;
    throw new ReadError(`${options.url ? `${options.url}: ` : ""}cannot open variable "${path}": ${(cause as Error).message}`, { ...context, cause });
  }
  const selection = options.selection ?? new Array<null>(array.shape.length).fill(null);
  if (selection.length !== array.shape.length) {
    throw new InvalidArgumentError(`variable "${path}": the selection has ${selection.length} entries, the array has ${array.shape.length} dimensions`, context);
  }
  const shape = selectionShape(zarrita, array.shape, selection, path);
  if (shape.some((extent) => extent === 0)) {
    // zarrita's indexer fails on selections with no elements; the answer is known without reading
    return { dtype: array.dtype, shape, data: (EMPTY[array.dtype] ?? (() => []))() };
  }
  try {
    const result = (await zarrita.get(array, selection)) as unknown;
    if (typeof result !== "object" || result === null) return { dtype: array.dtype, shape: [], data: result as number };
    const chunk = result as { data: ArrayLike<unknown>; shape: number[] };
    return { dtype: array.dtype, shape: chunk.shape, data: chunk.data };
  } catch (cause) {
    if (isVzError(cause)) throw cause;
    const codec = unknownCodecOf(cause);
    if (codec !== undefined) throw missingCodecError(codec, { ...context, cause });
    throw new ReadError(`${options.url ? `${options.url}: ` : ""}cannot read variable "${path}": ${(cause as Error).message}`, { ...context, cause });
  }
}
