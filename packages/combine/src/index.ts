/**
 * @vz/combine — xarray's concat / merge / combine_nested / combine_by_coords for datasets whose
 * arrays are opaque to it: an {@link ArrayBackend} supplies concat, stack, broadcast, compare.
 * Knows nothing about Zarr or chunk manifests (@vz/core supplies the backend for them).
 * @module
 */
export { VERSION } from "./version.js";
export { CombineError, isCombineError } from "./errors.js";
export type { CombineErrorCode, CombineErrorContext, CombineErrorReason } from "./errors.js";
export type {
  ArrayBackend,
  ArrayValues,
  CombineAttrs,
  CombineDataset,
  CombinedDataset,
  CombineVariable,
  CommonOptions,
  Compat,
  ConcatLikeOptions,
  Join,
  VariableSelection,
} from "./types.js";
export { attrValuesEqual, combineAttributes } from "./attrs.js";
export { concat } from "./concat.js";
export type { ConcatOptions } from "./concat.js";
export { merge } from "./merge.js";
export type { MergeOptions } from "./merge.js";
export { combineByCoords, combineNested } from "./combine.js";
export type { CombineByCoordsOptions, CombineNestedOptions, NestedDatasets } from "./combine.js";
