/**
 * combineNested and combineByCoords: xarray's N-dimensional combination of datasets, either
 * tiled by the structure of nested lists or ordered by the values of their dimension coordinates.
 * @module
 */
import { concatItems, checkConcatOptions, toResult } from "./concat.js";
import { combinedLabel, errorContext, fail, invalid, isIndex, type Item, toItem, valuesEqual } from "./internal.js";
import { mergeItems } from "./merge.js";
import type { ArrayValues, CombineDataset, CombinedDataset, ConcatLikeOptions } from "./types.js";

/** A dataset or a (nested) list of them. */
export type NestedDatasets<A> = CombineDataset<A> | readonly NestedDatasets<A>[];

/** Options of {@link combineNested}. Defaults as xarray: compat "no_conflicts", combineAttrs "drop". */
export type CombineNestedOptions<A> = ConcatLikeOptions<A>;

/** Options of {@link combineByCoords}. Defaults as xarray: compat "no_conflicts", combineAttrs "no_conflicts". */
export interface CombineByCoordsOptions<A> extends ConcatLikeOptions<A> {
  /**
   * What to do when the datasets leave a gap along a concatenation dimension: every dataset is
   * evenly spaced with the same step, but the jump from one to the next is larger (typically a
   * missing file). "error" (default) refuses; "allow" accepts it as xarray does.
   */
  gaps?: "error" | "allow";
}

type TileId = readonly number[];

function isDataset(value: unknown): value is CombineDataset<unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && (value as CombineDataset<unknown>).variables instanceof Map;
}

/** Leaves of a nested list with their tile ids, checking that the lists form a hypercube. */
function tilesOf<A>(nested: NestedDatasets<A>): { id: TileId; dataset: CombineDataset<A> }[] {
  const tiles: { id: TileId; dataset: CombineDataset<A> }[] = [];
  const shape: number[] = [];
  let depth: number | undefined;
  const walk = (node: NestedDatasets<A>, id: number[]) => {
    if (isDataset(node)) {
      if (depth === undefined) depth = id.length;
      else if (depth !== id.length) {
        invalid(`combineNested: the nested lists do not form a hypercube: sub-lists have inconsistent depths (${depth} and ${id.length})`);
      }
      tiles.push({ id, dataset: node as CombineDataset<A> });
      return;
    }
    if (!Array.isArray(node)) invalid(`combineNested: expected a dataset or a list at position [${id.join(", ")}]`);
    const level = id.length;
    if (shape[level] === undefined) shape[level] = node.length;
    else if (shape[level] !== node.length) {
      invalid(`combineNested: the nested lists do not form a hypercube: lists at depth ${level} have lengths ${shape[level]} and ${node.length}`);
    }
    if (node.length === 0) invalid(`combineNested: empty list at position [${id.join(", ")}]`);
    node.forEach((child, i) => walk(child, [...id, i]));
  };
  walk(nested, []);
  return tiles;
}

/** xarray's _combine_nd: combines along each dim in turn (outermost tile axis first); null merges. */
function combineTiles<A>(tiles: { id: TileId; item: Item<A> }[], dims: readonly (string | null)[], options: ConcatLikeOptions<A>, defaults: { compat: NonNullable<ConcatLikeOptions<A>["compat"]>; combineAttrs: NonNullable<ConcatLikeOptions<A>["combineAttrs"]> }): Item<A> {
  const resolved = { ...options, compat: options.compat ?? defaults.compat, combineAttrs: options.combineAttrs ?? defaults.combineAttrs };
  let current = tiles;
  for (const dim of dims) {
    const groups = new Map<string, { id: TileId; members: { position: number; item: Item<A> }[] }>();
    for (const tile of current) {
      const rest = tile.id.slice(1);
      const key = rest.join(",");
      let group = groups.get(key);
      if (!group) groups.set(key, (group = { id: rest, members: [] }));
      group.members.push({ position: tile.id[0]!, item: tile.item });
    }
    current = [...groups.values()].map(({ id, members }) => {
      const items = members.sort((a, b) => a.position - b.position).map((m) => m.item);
      const item = dim === null ? mergeItems(items, resolved) : concatItems(items, dim, resolved);
      return { id, item };
    });
  }
  if (current.length !== 1) fail("not-a-hypercube", `combine: ${current.length} pieces left after combining along every dimension`);
  return current[0]!.item;
}

/**
 * Combines a nested list of datasets (xarray's `combine_nested`): the outermost list is combined
 * along `concatDims[0]`, the next along `concatDims[1]`, ...; a `null` dim merges instead.
 * Errors name datasets by their index in the flattened (depth-first) list.
 * @example
 * // 2×2 tiles: rows along "lat", columns along "lon"
 * combineNested([[a, b], [c, d]], ["lat", "lon"], { backend });
 */
export function combineNested<A>(
  datasets: NestedDatasets<A>,
  concatDims: string | null | readonly (string | null)[],
  options: CombineNestedOptions<A>,
): CombinedDataset<A> {
  checkConcatOptions(options);
  const dims = typeof concatDims === "string" || concatDims === null ? [concatDims] : [...concatDims];
  if (!Array.isArray(dims) || dims.some((d) => d !== null && (typeof d !== "string" || d === ""))) {
    invalid(`combineNested: concatDims must be a dimension name, null, or a list of them; got ${JSON.stringify(concatDims)}`);
  }
  const tiles = tilesOf(datasets);
  if (tiles.length === 0) invalid("combineNested: no datasets given");
  const depth = tiles[0]!.id.length;
  if (depth !== dims.length) {
    invalid(`combineNested: ${dims.length} concatDims (${JSON.stringify(dims)}) for datasets nested ${depth} level(s) deep`);
  }
  const items = tiles.map((tile, i) => ({ id: tile.id, item: toItem(tile.dataset, i, options.labels?.[i]) }));
  return toResult(combineTiles(items, dims, options, { compat: "no_conflicts", combineAttrs: "drop" }));
}

function compareValues(a: unknown, b: unknown): number {
  if (typeof a === "string" && typeof b === "string") return a < b ? -1 : a > b ? 1 : 0;
  if ((typeof a === "number" || typeof a === "bigint") && (typeof b === "number" || typeof b === "bigint")) {
    if (typeof a === "bigint" && typeof b === "bigint") return a < b ? -1 : a > b ? 1 : 0;
    const x = Number(a);
    const y = Number(b);
    if (Number.isNaN(x) || Number.isNaN(y)) return Number.NaN;
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (typeof a === "boolean" && typeof b === "boolean") return Number(a) - Number(b);
  return Number.NaN;
}

function monotonic(values: ArrayValues, direction: 1 | -1): boolean {
  for (let i = 1; i < values.length; i++) {
    const c = compareValues(values[i - 1], values[i]);
    if (!(c * direction <= 0)) return false;
  }
  return true;
}

function indexValues<A>(item: Item<A>, dim: string, options: ConcatLikeOptions<A>): ArrayValues {
  const variable = item.variables.get(dim)!;
  const values = options.backend.values(variable.data);
  if (!values) {
    fail(
      "no-order",
      `combineByCoords: the index "${dim}" of ${item.label} is not loaded; ordering datasets by coordinates needs its values ` +
        `(load it, e.g. with loadableVariables)`,
      errorContext(item, options.labels, dim),
    );
  }
  return values;
}

/** xarray's _infer_concat_order_from_coords. */
function inferOrder<A>(items: Item<A>[], options: CombineByCoordsOptions<A>): { tiles: { id: number[]; item: Item<A> }[]; dims: string[] } {
  const first = items[0]!;
  const dims: string[] = [];
  for (const v of first.variables.values()) for (const d of v.dims) if (!dims.includes(d)) dims.push(d);
  const ids = items.map(() => [] as number[]);
  const concatDims: string[] = [];
  for (const dim of dims) {
    if (!isIndex(first, dim)) continue;
    const missing = items.find((item) => !isIndex(item, dim));
    if (missing) {
      fail(
        "no-order",
        `combineByCoords: dimension "${dim}" has an index in ${first.label} but not in ${missing.label}; every dimension needs a 1-d coordinate to order datasets`,
        errorContext(missing, options.labels, dim),
      );
    }
    const indexes = items.map((item) => indexValues(item, dim, options));
    if (indexes.every((values) => valuesEqual(values, indexes[0]!))) continue;
    concatDims.push(dim);
    const emptyAt = indexes.findIndex((values) => values.length === 0);
    if (emptyAt >= 0) fail("no-order", `combineByCoords: index "${dim}" of ${items[emptyAt]!.label} is empty`, errorContext(items[emptyAt], options.labels, dim));
    let direction: 1 | -1;
    if (indexes.every((values) => monotonic(values, 1))) direction = 1;
    else if (indexes.every((values) => monotonic(values, -1))) direction = -1;
    else {
      const bad = indexes.findIndex((values) => !monotonic(values, 1));
      fail(
        "not-monotonic",
        `combineByCoords: coordinate "${dim}" is neither monotonically increasing nor monotonically decreasing in every dataset ` +
          `(${items[bad]!.label} is not increasing)`,
        errorContext(items[bad], options.labels, dim),
      );
    }
    const firsts = indexes.map((values) => values[0]!);
    const kinds = new Set(firsts.map((v) => (typeof v === "bigint" ? "number" : typeof v)));
    if (kinds.size > 1) fail("not-monotonic", `combineByCoords: coordinate "${dim}" mixes value types (${[...kinds].join(", ")}) across datasets`, { variable: dim });
    // dense rank of the first values
    const distinct = [...firsts].sort((a, b) => compareValues(a, b) * direction).filter((v, i, all) => i === 0 || compareValues(v, all[i - 1]) !== 0);
    firsts.forEach((value, i) => {
      const rank = distinct.findIndex((d) => compareValues(d, value) === 0);
      ids[i]!.push(rank);
    });
  }
  if (items.length > 1 && concatDims.length === 0) {
    fail(
      "no-order",
      `combineByCoords: could not find any dimension coordinate that differs between ${combinedLabel(items)}, so there is no order to concatenate them in ` +
        `(datasets with identical coordinates: ${items[0]!.label} and ${items[1]!.label})`,
      errorContext(items[1], options.labels),
    );
  }
  // Hypercube check: every combination of positions exactly once.
  const seen = new Map<string, Item<A>>();
  const extents = concatDims.map((_, d) => Math.max(...ids.map((id) => id[d]!)) + 1);
  ids.forEach((id, i) => {
    const key = id.join(",");
    const other = seen.get(key);
    if (other) {
      fail(
        "not-a-hypercube",
        `combineByCoords: ${other.label} and ${items[i]!.label} start at the same coordinate values along ${concatDims.map((d) => `"${d}"`).join(", ")} ` +
          `(they overlap or duplicate each other)`,
        errorContext(items[i], options.labels),
      );
    }
    seen.set(key, items[i]!);
  });
  const expected = extents.reduce((a, b) => a * b, 1);
  if (expected !== items.length) {
    fail(
      "not-a-hypercube",
      `combineByCoords: the datasets do not form a hypercube along ${concatDims.map((d) => `"${d}"`).join(", ")}: ` +
        `${items.length} datasets for a ${extents.join("×")} grid of distinct starting coordinates (a tile is missing)`,
    );
  }
  return { tiles: ids.map((id, i) => ({ id, item: items[i]! })), dims: concatDims };
}

function uniformStep(values: ArrayValues): number | undefined {
  if (values.length < 2) return undefined;
  const step = Number(values[1]) - Number(values[0]);
  for (let i = 2; i < values.length; i++) {
    const s = Number(values[i]) - Number(values[i - 1]);
    if (Math.abs(s - step) > Math.abs(step) * 1e-9) return undefined;
  }
  return step;
}

function checkResultIndex<A>(result: Item<A>, dims: readonly string[], sortedByDim: Map<string, Item<A>[]>, options: CombineByCoordsOptions<A>): void {
  for (const dim of dims) {
    if (!isIndex(result, dim)) continue;
    const values = indexValues(result, dim, options);
    const increasing = values.length < 2 || compareValues(values[0], values[1]) < 0;
    const direction = increasing ? 1 : -1;
    for (let i = 1; i < values.length; i++) {
      const c = compareValues(values[i - 1], values[i]) * direction;
      if (!(c < 0)) {
        fail(
          "not-monotonic",
          `combineByCoords: the combined coordinate "${dim}" is not strictly monotonic at position ${i} (${String(values[i - 1])} then ${String(values[i])}): ` +
            `datasets overlap along "${dim}"`,
          { variable: dim },
        );
      }
    }
    if ((options.gaps ?? "error") === "error") {
      const pieces = sortedByDim.get(dim) ?? [];
      const pieceValues = pieces.map((item) => options.backend.values(item.variables.get(dim)!.data)!);
      const steps = pieceValues.map(uniformStep);
      const step = steps[0];
      if (step !== undefined && steps.every((s) => s !== undefined && Math.abs(s - step) <= Math.abs(step) * 1e-9)) {
        for (let i = 1; i < pieceValues.length; i++) {
          const previous = pieceValues[i - 1]!;
          const jump = Number(pieceValues[i]![0]) - Number(previous[previous.length - 1]);
          if (Math.abs(jump - step) > Math.abs(step) * 1e-9) {
            fail(
              "not-a-hypercube",
              `combineByCoords: gap along "${dim}" between ${pieces[i - 1]!.label} (ends at ${String(previous[previous.length - 1])}) and ` +
                `${pieces[i]!.label} (starts at ${String(pieceValues[i]![0])}); every dataset has step ${step}. ` +
                `A file is probably missing; pass gaps: "allow" to combine anyway`,
              { ...errorContext(pieces[i], options.labels, dim) },
            );
          }
        }
      }
    }
  }
}

/**
 * Combines datasets by the values of their dimension coordinates (xarray's `combine_by_coords`):
 * datasets with the same data variables are ordered and tiled by their indexes (which must be
 * loaded, monotonic, and form a complete grid without overlaps or gaps), concatenated along the
 * dimensions whose indexes differ, and the groups are then merged.
 * @example
 * const combined = combineByCoords([february, january], { backend, coords: "minimal", compat: "override" });
 */
export function combineByCoords<A>(datasets: readonly CombineDataset<A>[], options: CombineByCoordsOptions<A>): CombinedDataset<A> {
  checkConcatOptions(options);
  if (options.gaps !== undefined && options.gaps !== "error" && options.gaps !== "allow") invalid(`unknown gaps "${String(options.gaps)}"`);
  if (!Array.isArray(datasets)) invalid("combineByCoords: datasets must be a flat array");
  if (datasets.length === 0) return { variables: new Map(), coordNames: new Set(), attrs: {} };
  const items = datasets.map((ds, i) => toItem<A>(ds, i, options.labels?.[i]));
  const resolved: CombineByCoordsOptions<A> = { ...options, compat: options.compat ?? "no_conflicts", combineAttrs: options.combineAttrs ?? "no_conflicts" };
  const groups = new Map<string, Item<A>[]>();
  for (const item of items) {
    const key = JSON.stringify([...item.variables.keys()].filter((n) => !item.coordNames.has(n)).sort());
    let group = groups.get(key);
    if (!group) groups.set(key, (group = []));
    group.push(item);
  }
  const combined: Item<A>[] = [];
  for (const key of [...groups.keys()].sort()) {
    const group = groups.get(key)!;
    if (group.length === 1) {
      combined.push(group[0]!);
      continue;
    }
    const { tiles, dims } = inferOrder(group, resolved);
    const result = combineTiles(tiles, dims, resolved, { compat: "no_conflicts", combineAttrs: "no_conflicts" });
    const sortedByDim = new Map<string, Item<A>[]>();
    dims.forEach((dim, d) => {
      // the pieces along dim, in order, at position 0 of the other dims
      const line = tiles.filter((t) => t.id.every((p, k) => k === d || p === 0)).sort((a, b) => a.id[d]! - b.id[d]!);
      sortedByDim.set(dim, line.map((t) => t.item));
    });
    checkResultIndex(result, dims, sortedByDim, resolved);
    combined.push(result);
  }
  if (combined.length === 1) return toResult(combined[0]!);
  return toResult(mergeItems(combined, resolved));
}
