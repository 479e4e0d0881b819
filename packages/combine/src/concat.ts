/**
 * concat: xarray's `concat` of datasets along an existing or a new dimension, restricted to what
 * virtual arrays allow (no reindexing, no transposing, no filling of missing variables).
 * @module
 */
import { combineAttributes } from "./attrs.js";
import {
  align,
  combinedLabel,
  dimSizes,
  errorContext,
  fail,
  invalid,
  isIndex,
  type Item,
  runBackend,
  setDims,
  toItems,
  uniqueVariable,
  type Var,
  variablesCompatible,
} from "./internal.js";
import type { ArrayBackend, CombineDataset, CombinedDataset, Compat, ConcatLikeOptions, VariableSelection } from "./types.js";

/** Options of {@link concat}. */
export interface ConcatOptions<A> extends ConcatLikeOptions<A> {
  /**
   * Where each dataset's elements go along `dim` (xarray's `positions`). Virtual arrays can only
   * be reordered in whole blocks: each list must be a contiguous ascending run, the runs must
   * tile 0..n-1, and each must be as long as its dataset along `dim`.
   */
  positions?: readonly (readonly number[])[];
}

const COMPATS: readonly Compat[] = ["no_conflicts", "equals", "identical", "broadcast_equals", "override"];

/** Checks the option values shared by concat-like operations. */
export function checkConcatOptions<A>(options: ConcatLikeOptions<A>): void {
  if (!options || typeof options.backend !== "object" || options.backend === null) invalid("a backend (ArrayBackend) is required");
  if (options.compat !== undefined && !COMPATS.includes(options.compat)) invalid(`unknown compat "${String(options.compat)}"`);
  for (const [key, value] of [["dataVars", options.dataVars], ["coords", options.coords]] as const) {
    if (value === undefined || Array.isArray(value)) continue;
    if (!["minimal", "different", "all"].includes(value as string)) invalid(`unknown ${key} "${String(value)}" (expected "minimal", "different", "all" or a list of names)`);
  }
}

/**
 * Concatenates datasets along `dim` (xarray's `concat`). Variables holding `dim` are joined along
 * it; with `dim` new, the selected variables get it as a leading dimension. Other variables must
 * be equal under `compat`. Indexes of other dimensions must already be equal (see `join`).
 * @example
 * const combined = concat([a, b], "time", { backend, coords: "minimal", compat: "override" });
 */
export function concat<A>(datasets: readonly CombineDataset<A>[], dim: string, options: ConcatOptions<A>): CombinedDataset<A> {
  checkConcatOptions(options);
  if (!Array.isArray(datasets) || datasets.length === 0) invalid("concat: no datasets given");
  return toResult(concatItems(toItems(datasets, options.labels), dim, options));
}

/** The public form of an item. */
export function toResult<A>(item: Item<A>): CombinedDataset<A> {
  return { variables: item.variables, coordNames: item.coordNames, attrs: item.attrs };
}

function orderByPositions<A>(items: Item<A>[], positions: readonly (readonly number[])[], dim: string, lengths: number[]): Item<A>[] {
  if (positions.length !== items.length) invalid(`concat: ${positions.length} position lists for ${items.length} datasets`);
  const total = lengths.reduce((a, b) => a + b, 0);
  const seen = new Uint8Array(total);
  positions.forEach((list, i) => {
    if (list.length !== lengths[i]) {
      invalid(`concat: positions for ${items[i]!.label} has ${list.length} entries, but it has ${lengths[i]} elements along "${dim}"`);
    }
    list.forEach((p, k) => {
      if (!Number.isInteger(p) || p < 0 || p >= total || seen[p]) invalid(`concat: positions must use each of 0..${total - 1} once; ${p} in ${items[i]!.label} is invalid or repeated`);
      seen[p] = 1;
      if (k > 0 && p !== list[k - 1]! + 1) {
        fail(
          "invalid-option",
          `concat: positions for ${items[i]!.label} interleave with other datasets (${list[k - 1]} then ${p}); ` +
            `virtual arrays can only be placed in contiguous blocks`,
          errorContext(items[i], undefined),
        );
      }
    });
  });
  return items
    .map((item, i) => ({ item, start: positions[i]![0] ?? 0 }))
    .sort((a, b) => a.start - b.start)
    .map(({ item }) => item);
}

/** Names of variables in order of first appearance over the items. */
function variableOrder<A>(items: readonly Item<A>[]): string[] {
  const order = new Set<string>();
  for (const item of items) for (const name of item.variables.keys()) order.add(name);
  return [...order];
}

/** Promotes a scalar variable named `dim` to a 1-d index, and gives data variables the new leading `dim`. */
function expandScalarDim<A>(item: Item<A>, dim: string, backend: ArrayBackend<A>, labels: readonly string[] | undefined): Item<A> {
  const variables = new Map<string, Var<A>>();
  for (const [name, variable] of item.variables) {
    if (name === dim || !item.coordNames.has(name)) {
      const data = runBackend(`${item.label}: cannot add dimension "${dim}" to variable "${name}"`, errorContext(item, labels, name), () =>
        backend.expandDims(variable.data, 0),
      );
      variables.set(name, { ...variable, dims: [dim, ...variable.dims], data });
    } else variables.set(name, variable);
  }
  const coordNames = new Set(item.coordNames);
  if (variables.has(dim)) coordNames.add(dim);
  return { ...item, variables, coordNames };
}

/** concat on items in working form (also used by combineNested / combineByCoords). */
export function concatItems<A>(input: readonly Item<A>[], dim: string, options: ConcatOptions<A>): Item<A> {
  const { backend, labels } = options;
  const compat = options.compat ?? "equals";
  const join = options.join ?? "outer";
  const dataVars: VariableSelection = options.dataVars ?? "all";
  const coords: VariableSelection = options.coords ?? "different";
  const combineAttrs = options.combineAttrs ?? "override";
  if (typeof dim !== "string" || dim === "") invalid(`concat: dim must be a non-empty string, got ${JSON.stringify(dim)}`);
  let items = [...input];

  // A name that is a coordinate in some datasets and a data variable in others is ambiguous.
  for (const name of variableOrder(items)) {
    const asCoord = items.find((item) => item.variables.has(name) && item.coordNames.has(name));
    const asData = items.find((item) => item.variables.has(name) && !item.coordNames.has(name));
    if (asCoord && asData) {
      fail("coordinate-mismatch", `variable "${name}" is a coordinate in ${asCoord.label} but a data variable in ${asData.label}`, errorContext(asData, labels, name));
    }
  }

  const isDimension = (item: Item<A>) => [...item.variables.values()].some((v) => v.dims.includes(dim));
  if (!items.some(isDimension) && items.some((item) => item.variables.has(dim))) {
    items = items.map((item) => expandScalarDim(item, dim, backend, labels));
  }

  items = align(items, join, new Set([dim]), backend, labels);
  const sizes = items.map((item) => dimSizes(item, backend, labels));
  const dimLengths = sizes.map((s) => s.get(dim) ?? 1);
  if (options.positions) items = orderByPositions(items, options.positions, dim, dimLengths);
  const orderedSizes = items.map((item) => dimSizes(item, backend, labels));
  const orderedLengths = orderedSizes.map((s) => s.get(dim) ?? 1);

  // Which variables to concatenate (xarray's _calc_concat_over).
  const concatOver = new Set<string>();
  for (const item of items) for (const [name, v] of item.variables) if (v.dims.includes(dim)) concatOver.add(name);
  const first = items[0]!;
  const subset = (item: Item<A>, kind: "dataVars" | "coords") =>
    [...item.variables.keys()].filter((name) => (kind === "coords") === item.coordNames.has(name));
  const process = (selection: VariableSelection, kind: "dataVars" | "coords") => {
    if (Array.isArray(selection)) {
      const valid = new Set(subset(first, kind));
      const unknown = selection.filter((name) => !valid.has(name));
      if (unknown.length > 0) {
        invalid(
          kind === "coords"
            ? `concat: coords ${unknown.map((n) => `"${n}"`).join(", ")} are not coordinates of ${first.label}`
            : `concat: dataVars ${unknown.map((n) => `"${n}"`).join(", ")} are not data variables of ${first.label}`,
        );
      }
      for (const name of selection) concatOver.add(name);
      return;
    }
    if (selection === "all") {
      for (const item of items) for (const name of subset(item, kind)) if (!isIndex(item, name)) concatOver.add(name);
      return;
    }
    if (selection === "minimal") return;
    // "different": concatenate the variables that are not equal in every dataset.
    if (compat === "override") invalid(`concat: ${kind}="different" cannot be combined with compat="override"`);
    for (const name of subset(first, kind)) {
      if (concatOver.has(name)) continue;
      const holders = items.filter((item) => item.variables.has(name));
      if (holders.length === 1) continue;
      if (holders.length !== items.length) {
        const missing = items.find((item) => !item.variables.has(name))!;
        fail(
          "missing-variable",
          `concat: "${name}" is not present in ${missing.label} (it is in ${first.label}) and ${kind}="different"; ` +
            `add it where it is missing or pass ${kind}="minimal"`,
          errorContext(missing, labels, name),
        );
      }
      const reference = first.variables.get(name)!;
      if (holders.slice(1).some((item) => !variablesCompatible(backend, reference, item.variables.get(name)!, compat))) concatOver.add(name);
    }
  };
  process(dataVars, "dataVars");
  process(coords, "coords");

  const order = variableOrder(items);
  const result = new Map<string, Var<A>>();
  const mergeCompat: Compat = compat;
  for (const name of order) {
    if (concatOver.has(name)) continue;
    const entries = items.filter((item) => item.variables.has(name)).map((item) => ({ item, variable: item.variables.get(name)! }));
    result.set(name, uniqueVariable(backend, name, entries, mergeCompat, labels));
  }

  const attrs = combineAttributes(items.map((item) => item.attrs), combineAttrs, (i) => items[i]!.label, "the datasets");
  if (compat === "identical") {
    // xarray: with compat="identical" the datasets' attributes must be equal as well.
    combineAttributes(items.map((item) => item.attrs), "identical", (i) => items[i]!.label, 'the datasets (compat="identical")');
  }

  // Shared dimension sizes for broadcasting variables that lack some dims.
  const sharedSizes = new Map<string, number>();
  for (const s of orderedSizes) for (const [d, n] of s) if (d !== dim) sharedSizes.set(d, n);

  for (const name of order) {
    if (!concatOver.has(name)) continue;
    const missing = items.find((item) => !item.variables.has(name));
    if (missing) {
      const holder = items.find((item) => item.variables.has(name))!;
      fail(
        "missing-variable",
        `concat along "${dim}": variable "${name}" is in ${holder.label} but not in ${missing.label}; ` +
          `virtual datasets cannot fill a missing variable (drop it, or make it present everywhere)`,
        errorContext(missing, labels, name),
      );
    }
    const variables = items.map((item) => item.variables.get(name)!);
    const commonDims: string[] = [];
    for (const v of variables) for (const d of v.dims) if (!commonDims.includes(d)) commonDims.push(d);
    if (!commonDims.includes(dim)) commonDims.unshift(dim);
    const expanded = variables.map((v, i) => {
      const local = new Map(sharedSizes);
      local.set(dim, orderedLengths[i]!);
      return setDims(backend, v, commonDims, local, { label: items[i]!.label, name, ...errorContext(items[i], labels) });
    });
    const axis = commonDims.indexOf(dim);
    const data = concatData(backend, expanded.map((v) => v.data), axis, name, dim, items, labels);
    const varAttrs = combineAttributes(variables.map((v) => v.attrs), combineAttrs, (i) => items[i]!.label, `variable "${name}"`, name);
    result.set(name, { ...variables[0]!, dims: commonDims, attrs: varAttrs, data });
  }

  const ordered = new Map<string, Var<A>>();
  for (const name of order) if (result.has(name)) ordered.set(name, result.get(name)!);
  const coordNames = new Set<string>();
  for (const item of items) for (const name of item.coordNames) if (ordered.has(name)) coordNames.add(name);
  return { variables: ordered, coordNames, attrs, label: combinedLabel(items), sources: items.flatMap((item) => item.sources) };
}

/** Concatenates the data of one variable; when that fails, finds the first pair of neighbours at fault. */
function concatData<A>(
  backend: ArrayBackend<A>,
  arrays: A[],
  axis: number,
  name: string,
  dim: string,
  items: readonly Item<A>[],
  labels: readonly string[] | undefined,
): A {
  try {
    return backend.concat(arrays, axis);
  } catch (cause) {
    for (let i = 1; i < arrays.length; i++) {
      try {
        backend.concat([arrays[i - 1]!, arrays[i]!], axis);
      } catch (pairCause) {
        fail(
          "array",
          `cannot concatenate variable "${name}" along "${dim}": ${items[i - 1]!.label} followed by ${items[i]!.label}: ${(pairCause as Error).message}`,
          { ...errorContext(items[i - 1]!.sources.length === 1 ? items[i - 1] : items[i], labels, name), cause: pairCause },
        );
      }
    }
    fail("array", `cannot concatenate variable "${name}" along "${dim}" over ${combinedLabel(items)}: ${(cause as Error)?.message ?? String(cause)}`, {
      variable: name,
      cause,
    });
  }
}
