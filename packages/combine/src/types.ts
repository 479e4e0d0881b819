/**
 * The structural types @vz/combine works on: datasets of named variables (dims, attrs, data) and
 * an {@link ArrayBackend} that knows how to concatenate, stack, broadcast and compare the `data`.
 * @module
 */

/** Values of a loaded array, flat in C order. */
export type ArrayValues = ArrayLike<number | bigint | string | boolean>;

/**
 * Operations on the arrays held in variables. @vz/combine never looks inside an array: it only
 * calls these. Operations that cannot be done (e.g. concatenating virtual arrays whose chunking
 * differs) throw; combine wraps what they throw with the dataset and variable names.
 * @example
 * const numbers: ArrayBackend<number[]> = { shape: (a) => [a.length], concat: (as) => as.flat(), ... };
 */
export interface ArrayBackend<A> {
  /** Shape of the array. */
  shape(array: A): readonly number[];
  /** Joins arrays along existing `axis`. */
  concat(arrays: readonly A[], axis: number): A;
  /** Joins same-shaped arrays along a new `axis`. */
  stack(arrays: readonly A[], axis: number): A;
  /** Broadcasts to `shape` (numpy rules: new axes in front, length-1 axes repeat). */
  broadcastTo(array: A, shape: readonly number[]): A;
  /** Inserts a length-1 axis at `axis`. */
  expandDims(array: A, axis: number): A;
  /**
   * Whether two arrays hold the same values (same shape; NaN equals NaN). With `ignoreNulls`,
   * positions where either side is null (NaN) are not compared (xarray's `no_conflicts`).
   * A backend that cannot tell (arrays not loaded) returns true only when they are provably equal.
   */
  equals(a: A, b: A, options?: { ignoreNulls?: boolean }): boolean;
  /** The values of a loaded array (used for indexes), or undefined when the array is not loaded. */
  values(array: A): ArrayValues | undefined;
  /** `a` with its null elements replaced by `b`'s (xarray's `fillna`); absent when not supported. */
  fillNulls?(a: A, b: A): A;
  /** A short description for messages ("virtual float32 [10, 20]"). */
  describe?(array: A): string;
}

/** One variable: named dimensions, attributes, and the data the backend understands. */
export interface CombineVariable<A> {
  dims: readonly string[];
  attrs: Record<string, unknown>;
  data: A;
}

/** A dataset as @vz/combine sees it (core's VirtualDataset has this shape). */
export interface CombineDataset<A> {
  variables: ReadonlyMap<string, CombineVariable<A>>;
  coordNames: Iterable<string>;
  attrs: Record<string, unknown>;
}

/** A combined dataset. Variables keep the extra fields (e.g. `encoding`) of their first source. */
export interface CombinedDataset<A> {
  variables: Map<string, CombineVariable<A> & { dims: string[] }>;
  coordNames: Set<string>;
  attrs: Record<string, unknown>;
}

/** How variables of the same name are compared (xarray's `compat`). */
export type Compat = "no_conflicts" | "equals" | "identical" | "broadcast_equals" | "override";

/**
 * How indexes that differ between datasets are joined (xarray's `join`). Virtual arrays cannot be
 * reindexed, so "outer", "inner", "left" and "right" only work when the indexes are already
 * equal; otherwise they raise, as "exact" always does. "override" takes the first dataset's
 * index when the lengths agree.
 */
export type Join = "outer" | "inner" | "left" | "right" | "exact" | "override";

/** Which variables to concatenate (xarray's `data_vars` / `coords`). */
export type VariableSelection = "minimal" | "different" | "all" | readonly string[];

/** How attributes are combined (xarray's `combine_attrs`). */
export type CombineAttrs = "drop" | "identical" | "no_conflicts" | "drop_conflicts" | "override";

/** Options shared by every operation. */
export interface CommonOptions<A> {
  /** Operations on the variables' data. */
  backend: ArrayBackend<A>;
  /** Default "no_conflicts" for merge and combineByCoords, "equals" for concat and combineNested. */
  compat?: Compat;
  /** Default "outer" (which refuses whenever indexes differ; see {@link Join}). */
  join?: Join;
  /** Default "override" (the first dataset's attributes). */
  combineAttrs?: CombineAttrs;
  /** A name (file URL) for each dataset, used in error messages; same order as the datasets. */
  labels?: readonly string[];
}

/** Options of concat-like operations. */
export interface ConcatLikeOptions<A> extends CommonOptions<A> {
  /** Data variables to concatenate. Default "all". */
  dataVars?: VariableSelection;
  /** Coordinate variables (not indexes) to concatenate. Default "different". */
  coords?: VariableSelection;
}
