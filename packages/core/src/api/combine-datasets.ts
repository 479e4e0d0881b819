/**
 * Core's side of @vz/combine: the {@link ArrayBackend} for variables backed by ManifestArrays
 * (virtual: concatenated chunk manifests) or LoadedArrays (in memory), and VirtualDataset
 * wrappers of concat / merge / combineNested / combineByCoords.
 * @module
 */
import {
  type ArrayBackend,
  type CombineByCoordsOptions,
  type CombinedDataset,
  type CombineNestedOptions,
  type ConcatOptions,
  type MergeOptions,
  combineByCoords,
  combineNested,
  concat,
  merge,
} from "@vz/combine";
import { LoadedArray, type NumericArray, type Variable, VirtualDataset } from "../dataset/virtual-dataset.js";
import {
  broadcastManifestArray,
  concatManifestArrays,
  expandDimsManifestArray,
  ManifestArray,
  stackManifestArrays,
} from "../manifest/manifest-array.js";
import type { DataType } from "../manifest/metadata.js";

/** What a variable's data is: virtual or loaded. */
export type VariableData = ManifestArray | LoadedArray;

type Values = NumericArray | string[] | boolean[];

function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function isFloat(values: Values): boolean {
  return values instanceof Float64Array || values instanceof Float32Array;
}

function allocateLike(values: Values, length: number): Values {
  if (Array.isArray(values)) return new Array(length) as string[] | boolean[];
  const Ctor = values.constructor as new (n: number) => NumericArray;
  return new Ctor(length);
}

/** Concatenates loaded arrays along `axis` (C order), promoting mixed numeric types to float64. */
function concatLoaded(arrays: readonly LoadedArray[], axis: number): LoadedArray {
  const first = arrays[0]!;
  const ndim = first.shape.length;
  if (axis < 0 || axis >= ndim) throw new Error(`axis ${axis} is out of bounds for ${ndim}-dimensional arrays`);
  arrays.forEach((a, i) => {
    if (a.shape.length !== ndim || a.shape.some((s, d) => d !== axis && s !== first.shape[d])) {
      throw new Error(`array ${i} has shape [${a.shape.join(", ")}], array 0 has [${first.shape.join(", ")}]; they must agree on every axis but ${axis}`);
    }
  });
  const sameKind = arrays.every((a) => a.values.constructor === first.values.constructor);
  let dataType: DataType = first.dataType;
  let sources = arrays.map((a) => a.values);
  if (!sameKind) {
    if (sources.some((v) => Array.isArray(v) || v instanceof BigInt64Array || v instanceof BigUint64Array)) {
      throw new Error(`cannot concatenate loaded arrays of data types ${arrays.map((a) => a.dataType).join(", ")}`);
    }
    sources = sources.map((v) => Float64Array.from(v as ArrayLike<number>));
    dataType = "float64";
  }
  const shape = [...first.shape];
  shape[axis] = arrays.reduce((n, a) => n + a.shape[axis]!, 0);
  const outer = product(first.shape.slice(0, axis));
  const inner = product(first.shape.slice(axis + 1));
  const out = allocateLike(sources[0]!, product(shape));
  let offset = 0;
  for (let o = 0; o < outer; o++) {
    for (const [k, source] of sources.entries()) {
      const block = arrays[k]!.shape[axis]! * inner;
      const start = o * block;
      if (Array.isArray(out)) for (let j = 0; j < block; j++) (out as unknown[])[offset + j] = (source as unknown[])[start + j];
      else (out as Float64Array).set((source as Float64Array).subarray(start, start + block), offset);
      offset += block;
    }
  }
  return new LoadedArray({ dataType, shape, values: out, fillValue: first.fillValue });
}

function broadcastLoaded(array: LoadedArray, shape: readonly number[]): LoadedArray {
  const lead = shape.length - array.shape.length;
  if (lead < 0 || array.shape.some((s, d) => s !== 1 && s !== shape[lead + d])) {
    throw new Error(`cannot broadcast shape [${array.shape.join(", ")}] to [${shape.join(", ")}]`);
  }
  const size = product(shape);
  const out = allocateLike(array.values, size);
  const sourceStrides = new Array<number>(array.shape.length).fill(1);
  for (let d = array.shape.length - 2; d >= 0; d--) sourceStrides[d] = sourceStrides[d + 1]! * array.shape[d + 1]!;
  const coords = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < size; i++) {
    let source = 0;
    for (let d = 0; d < array.shape.length; d++) if (array.shape[d] !== 1) source += coords[lead + d]! * sourceStrides[d]!;
    (out as unknown[])[i] = (array.values as unknown[])[source];
    for (let d = shape.length - 1; d >= 0; d--) {
      coords[d]!++;
      if (coords[d]! < shape[d]!) break;
      coords[d] = 0;
    }
  }
  return new LoadedArray({ dataType: array.dataType, shape, values: out, fillValue: array.fillValue });
}

function isNull(value: unknown): boolean {
  return typeof value === "number" && Number.isNaN(value);
}

function loadedEquals(a: LoadedArray, b: LoadedArray, ignoreNulls: boolean): boolean {
  if (a.shape.length !== b.shape.length || a.shape.some((s, d) => s !== b.shape[d])) return false;
  const x = a.values as ArrayLike<unknown>;
  const y = b.values as ArrayLike<unknown>;
  for (let i = 0; i < x.length; i++) {
    const p = x[i];
    const q = y[i];
    if (p === q) continue;
    if (isNull(p) && isNull(q)) continue;
    if (ignoreNulls && (isNull(p) || isNull(q))) continue;
    if ((typeof p === "bigint" || typeof q === "bigint") && typeof p !== "string" && typeof q !== "string") {
      try {
        if (BigInt(p as number) === BigInt(q as number)) continue;
      } catch {
        /* not integral: unequal */
      }
    }
    return false;
  }
  return true;
}

function sameJson(a: unknown, b: unknown): boolean {
  // int64/uint64 fill values are bigints (exact); JSON.stringify alone would throw on them
  const text = (value: unknown) => JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? `${v}n` : v));
  return text(a) === text(b);
}

function manifestEquals(a: ManifestArray, b: ManifestArray): boolean {
  const fillA = a.metadata.fill_value;
  const fillB = b.metadata.fill_value;
  const sameFill = (typeof fillA === "number" && typeof fillB === "number" && Number.isNaN(fillA) && Number.isNaN(fillB)) || sameJson(fillA, fillB);
  return (
    a.dataType === b.dataType &&
    sameJson(a.shape, b.shape) &&
    sameJson(a.chunks, b.chunks) &&
    sameJson(a.metadata.codecs, b.metadata.codecs) &&
    sameFill &&
    a.manifest.equals(b.manifest)
  );
}

const MIXED =
  "cannot combine a virtual (chunk-referenced) array with a loaded one; load the variable in every file (loadableVariables) or in none";

/**
 * The ArrayBackend over ManifestArray (virtual, via the manifest operations with VirtualiZarr's
 * validations) and LoadedArray (in-memory values). Mixing the two in one operation throws.
 */
export const virtualArrayBackend: ArrayBackend<VariableData> = {
  shape: (array) => array.shape,
  concat(arrays, axis) {
    if (arrays.every((a) => a instanceof ManifestArray)) return concatManifestArrays(arrays as ManifestArray[], axis);
    if (arrays.every((a) => a instanceof LoadedArray)) return concatLoaded(arrays as LoadedArray[], axis);
    throw new Error(MIXED);
  },
  stack(arrays, axis) {
    if (arrays.every((a) => a instanceof ManifestArray)) return stackManifestArrays(arrays as ManifestArray[], axis);
    if (arrays.every((a) => a instanceof LoadedArray)) return concatLoaded(arrays.map((a) => virtualArrayBackend.expandDims(a, axis) as LoadedArray), axis);
    throw new Error(MIXED);
  },
  broadcastTo(array, shape) {
    return array instanceof ManifestArray ? broadcastManifestArray(array, shape) : broadcastLoaded(array, shape);
  },
  expandDims(array, axis) {
    if (array instanceof ManifestArray) return expandDimsManifestArray(array, axis);
    const shape = [...array.shape];
    shape.splice(axis < 0 ? axis + shape.length + 1 : axis, 0, 1);
    return new LoadedArray({ dataType: array.dataType, shape, values: array.values, fillValue: array.fillValue });
  },
  equals(a, b, options) {
    if (a instanceof ManifestArray && b instanceof ManifestArray) return manifestEquals(a, b);
    if (a instanceof LoadedArray && b instanceof LoadedArray) return loadedEquals(a, b, options?.ignoreNulls ?? false);
    return false;
  },
  values: (array) => (array instanceof LoadedArray ? (array.values as ArrayLike<number | bigint | string | boolean>) : undefined),
  fillNulls(a, b) {
    if (!(a instanceof LoadedArray) || !(b instanceof LoadedArray) || !isFloat(a.values)) return a;
    const values = (a.values as Float64Array).slice();
    const other = b.values as ArrayLike<unknown>;
    for (let i = 0; i < values.length; i++) if (Number.isNaN(values[i]!) && typeof other[i] === "number") values[i] = other[i] as number;
    return new LoadedArray({ dataType: a.dataType, shape: a.shape, values, fillValue: a.fillValue });
  },
  describe(array) {
    return array instanceof ManifestArray
      ? `virtual ${array.dataType} [${array.shape.join(", ")}] in chunks [${array.chunks.join(", ")}]`
      : `loaded ${array.dataType} [${array.shape.join(", ")}]`;
  },
};

/** A VirtualDataset from @vz/combine's result (variables are shared, not copied). */
export function toVirtualDatasetFromCombined(result: CombinedDataset<VariableData>): VirtualDataset {
  return new VirtualDataset({ variables: result.variables as Map<string, Variable>, coordNames: result.coordNames, attrs: result.attrs });
}

/** Options of a @vz/combine function without `backend`: core supplies the virtual-array backend. */
export type WithoutBackend<O> = Omit<O, "backend">;

/**
 * Concatenates virtual datasets along `dim` (xarray's `concat`; see @vz/combine).
 * @example
 * const joined = concatDatasets([january, february], "time", { coords: "minimal", compat: "override" });
 */
export function concatDatasets(datasets: readonly VirtualDataset[], dim: string, options: WithoutBackend<ConcatOptions<VariableData>> = {}): VirtualDataset {
  return toVirtualDatasetFromCombined(concat(datasets, dim, { ...options, backend: virtualArrayBackend }));
}

/** Merges virtual datasets (xarray's `merge`). */
export function mergeDatasets(datasets: readonly VirtualDataset[], options: WithoutBackend<MergeOptions<VariableData>> = {}): VirtualDataset {
  return toVirtualDatasetFromCombined(merge(datasets, { ...options, backend: virtualArrayBackend }));
}

/** A dataset or nested lists of them. */
export type NestedVirtualDatasets = VirtualDataset | readonly NestedVirtualDatasets[];

/** Combines nested lists of virtual datasets (xarray's `combine_nested`). */
export function combineDatasetsNested(
  datasets: NestedVirtualDatasets,
  concatDims: string | null | readonly (string | null)[],
  options: WithoutBackend<CombineNestedOptions<VariableData>> = {},
): VirtualDataset {
  return toVirtualDatasetFromCombined(combineNested(datasets, concatDims, { ...options, backend: virtualArrayBackend }));
}

/** Combines virtual datasets by the values of their (loaded) dimension coordinates (xarray's `combine_by_coords`). */
export function combineDatasetsByCoords(datasets: readonly VirtualDataset[], options: WithoutBackend<CombineByCoordsOptions<VariableData>> = {}): VirtualDataset {
  return toVirtualDatasetFromCombined(combineByCoords(datasets, { ...options, backend: virtualArrayBackend }));
}
