/**
 * merge: xarray's `merge` of datasets into one, checking variables of the same name with
 * `compat` and refusing to reindex (see `join`).
 * @module
 */
import { combineAttributes } from "./attrs.js";
import { checkConcatOptions, toResult } from "./concat.js";
import { align, combinedLabel, dimSizes, errorContext, fail, invalid, type Item, toItems, uniqueVariable, type Var } from "./internal.js";
import type { CombineDataset, CombinedDataset, CommonOptions } from "./types.js";

/** Options of {@link merge}. `compat` defaults to "no_conflicts". */
export type MergeOptions<A> = CommonOptions<A>;

/**
 * Merges datasets (xarray's `merge`): the union of their variables; a variable present in several
 * must be equal under `compat` (default "no_conflicts"), dimensions must agree in length.
 * @example
 * const merged = merge([temperature, pressure], { backend });
 */
export function merge<A>(datasets: readonly CombineDataset<A>[], options: MergeOptions<A>): CombinedDataset<A> {
  checkConcatOptions(options);
  if (!Array.isArray(datasets)) invalid("merge: datasets must be an array");
  if (datasets.length === 0) return { variables: new Map(), coordNames: new Set(), attrs: {} };
  return toResult(mergeItems(toItems(datasets, options.labels), options));
}

/** merge on items in working form. */
export function mergeItems<A>(input: readonly Item<A>[], options: MergeOptions<A>): Item<A> {
  const { backend, labels } = options;
  const compat = options.compat ?? "no_conflicts";
  const join = options.join ?? "outer";
  const combineAttrs = options.combineAttrs ?? "override";
  const items = align([...input], join, new Set(), backend, labels);

  const order: string[] = [];
  const entries = new Map<string, { item: Item<A>; variable: Var<A> }[]>();
  for (const item of items) {
    for (const [name, variable] of item.variables) {
      let list = entries.get(name);
      if (!list) {
        entries.set(name, (list = []));
        order.push(name);
      }
      list.push({ item, variable });
    }
  }
  const variables = new Map<string, Var<A>>();
  for (const name of order) {
    const list = entries.get(name)!;
    const merged = uniqueVariable(backend, name, list, compat, labels);
    const attrs = combineAttributes(list.map((e) => e.variable.attrs), combineAttrs, (i) => list[i]!.item.label, `variable "${name}"`, name);
    variables.set(name, { ...merged, attrs });
  }

  // A variable must be a coordinate everywhere or nowhere.
  const coordNames = new Set<string>();
  for (const name of order) {
    const list = entries.get(name)!;
    const asCoord = list.find((e) => e.item.coordNames.has(name));
    const asData = list.find((e) => !e.item.coordNames.has(name));
    if (asCoord && asData) {
      fail(
        "coordinate-mismatch",
        `merge: unable to tell whether "${name}" is a coordinate: it is one in ${asCoord.item.label} but a data variable in ${asData.item.label}`,
        errorContext(asData.item, labels, name),
      );
    }
    if (asCoord) coordNames.add(name);
  }
  const result: Item<A> = {
    variables,
    coordNames,
    attrs: combineAttributes(items.map((item) => item.attrs), combineAttrs, (i) => items[i]!.label, "the datasets"),
    label: combinedLabel(items),
    sources: items.flatMap((item) => item.sources),
  };
  dimSizes(result, backend, labels);
  return result;
}
