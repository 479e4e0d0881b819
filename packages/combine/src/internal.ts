/**
 * Internal helpers shared by concat, merge and the combine functions: the working form of a
 * dataset (with a label for messages), dimension sizes, indexes, variable comparison by compat,
 * and the alignment check that replaces xarray's reindexing.
 * @module
 */
import { attrsEqual } from "./attrs.js";
import { CombineError, type CombineErrorReason, isCombineError } from "./errors.js";
import type { ArrayBackend, ArrayValues, CombineDataset, CombineVariable, Compat, Join } from "./types.js";

/** A variable in working form. */
export type Var<A> = CombineVariable<A> & { dims: string[] };

/** A dataset in working form: a label for messages and the dataset indexes it came from. */
export interface Item<A> {
  variables: Map<string, Var<A>>;
  coordNames: Set<string>;
  attrs: Record<string, unknown>;
  /** "dataset 3 (file:///x.nc)" or "datasets 0–11". */
  label: string;
  /** Indexes (in the caller's flat list) of the datasets merged into this one. */
  sources: number[];
}

/** Wraps the caller's datasets into working form. */
export function toItems<A>(datasets: readonly CombineDataset<A>[], labels: readonly string[] | undefined, offset = 0): Item<A>[] {
  return datasets.map((ds, i) => toItem(ds, i + offset, labels?.[i + offset]));
}

/** One dataset in working form. */
export function toItem<A>(ds: CombineDataset<A>, index: number, url?: string): Item<A> {
  if (!ds || !(ds.variables instanceof Map)) {
    throw new CombineError("INVALID_ARGUMENT", "invalid-option", `dataset ${index} is not a dataset (needs a variables Map)`, {
      datasetIndex: index,
    });
  }
  const variables = new Map<string, Var<A>>();
  for (const [name, variable] of ds.variables) variables.set(name, { ...variable, dims: [...variable.dims] });
  return {
    variables,
    coordNames: new Set([...ds.coordNames].filter((n) => variables.has(n))),
    attrs: ds.attrs ?? {},
    label: url ? `dataset ${index} (${url})` : `dataset ${index}`,
    sources: [index],
  };
}

/** A label for the combination of `items`. */
export function combinedLabel<A>(items: readonly Item<A>[]): string {
  const sources = items.flatMap((item) => item.sources).sort((a, b) => a - b);
  if (sources.length === 1) return items[0]!.label;
  const contiguous = sources.every((s, i) => i === 0 || s === sources[i - 1]! + 1);
  return contiguous ? `datasets ${sources[0]}–${sources[sources.length - 1]}` : `datasets ${sources.join(", ")}`;
}

/** Context (index, url) of item `item` for an error. */
export function errorContext<A>(item: Item<A> | undefined, labels: readonly string[] | undefined, variable?: string) {
  const index = item && item.sources.length === 1 ? item.sources[0] : undefined;
  const url = index !== undefined ? labels?.[index] : undefined;
  return {
    ...(index !== undefined ? { datasetIndex: index } : {}),
    ...(url !== undefined ? { url } : {}),
    ...(variable !== undefined ? { variable } : {}),
  };
}

/** Throws a CONCAT_FAILED CombineError. */
export function fail(reason: CombineErrorReason, message: string, context: { datasetIndex?: number; url?: string; variable?: string; cause?: unknown } = {}): never {
  throw new CombineError("CONCAT_FAILED", reason, message, context);
}

/** Throws an INVALID_ARGUMENT CombineError. */
export function invalid(message: string): never {
  throw new CombineError("INVALID_ARGUMENT", "invalid-option", message);
}

/** Length of every dimension of an item; refuses variables that disagree. */
export function dimSizes<A>(item: Item<A>, backend: ArrayBackend<A>, labels?: readonly string[]): Map<string, number> {
  const sizes = new Map<string, number>();
  const owner = new Map<string, string>();
  for (const [name, variable] of item.variables) {
    const shape = backend.shape(variable.data);
    if (shape.length !== variable.dims.length) {
      fail("dimension-mismatch", `${item.label}: variable "${name}" has dims (${variable.dims.join(", ")}) but shape [${shape.join(", ")}]`, errorContext(item, labels, name));
    }
    variable.dims.forEach((dim, d) => {
      const known = sizes.get(dim);
      if (known !== undefined && known !== shape[d]) {
        fail(
          "dimension-mismatch",
          `${item.label}: dimension "${dim}" has length ${known} in variable "${owner.get(dim)}" but ${shape[d]} in "${name}"`,
          errorContext(item, labels, name),
        );
      }
      sizes.set(dim, shape[d]!);
      owner.set(dim, name);
    });
  }
  return sizes;
}

/** Whether `name` is an index (dimension coordinate) of the item: a 1-d variable named like its dimension. */
export function isIndex<A>(item: Item<A>, name: string): boolean {
  const variable = item.variables.get(name);
  return variable !== undefined && variable.dims.length === 1 && variable.dims[0] === name;
}

/** Whether two loaded value lists are equal (NaN equals NaN). */
export function valuesEqual(a: ArrayValues, b: ArrayValues): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (typeof x === "number" && typeof y === "number" && Number.isNaN(x) && Number.isNaN(y)) continue;
    if ((typeof x === "bigint" || typeof y === "bigint") && typeof x !== "string" && typeof y !== "string") {
      if (Number(x) === Number(y) && BigInt(x as number | bigint) === BigInt(y as number | bigint)) continue;
    }
    return false;
  }
  return true;
}

function describeData<A>(backend: ArrayBackend<A>, data: A): string {
  return backend.describe?.(data) ?? `[${backend.shape(data).join(", ")}]`;
}

/** Runs a backend operation, turning what it throws into a CombineError naming the variable and datasets. */
export function runBackend<A, R>(what: string, context: { datasetIndex?: number; url?: string; variable?: string }, op: () => R): R {
  try {
    return op();
  } catch (cause) {
    if (isCombineError(cause)) throw cause;
    fail("array", `${what}: ${(cause as Error)?.message ?? String(cause)}`, { ...context, cause });
  }
}

/** Broadcasts `variable` to `dims` (adding missing dims in front, as xarray's set_dims). */
export function setDims<A>(
  backend: ArrayBackend<A>,
  variable: Var<A>,
  dims: readonly string[],
  sizes: ReadonlyMap<string, number>,
  context: { label: string; name: string; datasetIndex?: number; url?: string },
): Var<A> {
  if (variable.dims.length === dims.length && variable.dims.every((d, i) => d === dims[i])) return variable;
  const missing = dims.filter((d) => !variable.dims.includes(d));
  const expandedDims = [...missing, ...variable.dims];
  if (expandedDims.length !== dims.length || expandedDims.some((d, i) => d !== dims[i])) {
    fail(
      "dimension-mismatch",
      `${context.label}: variable "${context.name}" has dims (${variable.dims.join(", ")}) which cannot be broadcast to (${dims.join(", ")}) ` +
        `without transposing; virtual arrays cannot be transposed`,
      { variable: context.name, ...(context.datasetIndex !== undefined ? { datasetIndex: context.datasetIndex } : {}), ...(context.url ? { url: context.url } : {}) },
    );
  }
  let data = variable.data;
  const ctx = { variable: context.name, ...(context.datasetIndex !== undefined ? { datasetIndex: context.datasetIndex } : {}), ...(context.url ? { url: context.url } : {}) };
  for (let i = 0; i < missing.length; i++) {
    const d = data;
    data = runBackend(`${context.label}: cannot add dimension "${missing[i]}" to variable "${context.name}"`, ctx, () => backend.expandDims(d, 0));
  }
  const shape = dims.map((d, i) => sizes.get(d) ?? backend.shape(data)[i]!);
  const current = backend.shape(data);
  if (current.some((s, i) => s !== shape[i])) {
    const d = data;
    data = runBackend(
      `${context.label}: cannot broadcast variable "${context.name}" from [${current.join(", ")}] to [${shape.join(", ")}] (${dims.join(", ")})`,
      ctx,
      () => backend.broadcastTo(d, shape),
    );
  }
  return { ...variable, dims: [...dims], data };
}

/**
 * Compares two variables with `compat` (xarray's Variable.equals / identical / broadcast_equals /
 * no_conflicts). "override" is always true.
 */
export function variablesCompatible<A>(backend: ArrayBackend<A>, a: Var<A>, b: Var<A>, compat: Compat): boolean {
  if (compat === "override") return true;
  if (compat === "broadcast_equals" || compat === "no_conflicts") {
    const dims = [...new Set([...a.dims, ...b.dims])];
    const sizes = new Map<string, number>();
    for (const v of [a, b]) {
      const shape = backend.shape(v.data);
      v.dims.forEach((d, i) => {
        const known = sizes.get(d);
        if (known !== undefined && known !== shape[i]) sizes.set(d, -1);
        else sizes.set(d, shape[i]!);
      });
    }
    if ([...sizes.values()].includes(-1)) return false;
    let left: Var<A>;
    let right: Var<A>;
    try {
      left = setDims(backend, a, dims, sizes, { label: "", name: "" });
      right = setDims(backend, b, dims, sizes, { label: "", name: "" });
    } catch {
      return false;
    }
    return backend.equals(left.data, right.data, compat === "no_conflicts" ? { ignoreNulls: true } : undefined);
  }
  if (a.dims.length !== b.dims.length || a.dims.some((d, i) => d !== b.dims[i])) return false;
  const shapeA = backend.shape(a.data);
  const shapeB = backend.shape(b.data);
  if (shapeA.length !== shapeB.length || shapeA.some((s, i) => s !== shapeB[i])) return false;
  if (!backend.equals(a.data, b.data)) return false;
  if (compat === "identical" && !attrsEqual(a.attrs, b.attrs)) return false;
  return true;
}

/**
 * Merges the variables of one name from several datasets (xarray's unique_variable): the first,
 * after checking every other against it with `compat`; with "no_conflicts", nulls are filled
 * from later variables when the backend can.
 */
export function uniqueVariable<A>(
  backend: ArrayBackend<A>,
  name: string,
  entries: readonly { variable: Var<A>; item: Item<A> }[],
  compat: Compat,
  labels: readonly string[] | undefined,
): Var<A> {
  const first = entries[0]!;
  let out = first.variable;
  if (entries.length === 1 || compat === "override") return out;
  if (compat === "broadcast_equals") {
    const sizes = new Map<string, number>();
    const dims: string[] = [];
    for (const { variable } of entries) {
      const shape = backend.shape(variable.data);
      variable.dims.forEach((d, i) => {
        if (!dims.includes(d)) dims.push(d);
        sizes.set(d, Math.max(sizes.get(d) ?? 1, shape[i]!));
      });
    }
    out = setDims(backend, out, [...dims.filter((d) => !out.dims.includes(d)), ...out.dims], sizes, {
      label: first.item.label,
      name,
      ...errorContext(first.item, labels),
    });
  }
  for (const entry of entries.slice(1)) {
    if (!variablesCompatible(backend, out, entry.variable, compat)) {
      const virtualHint = backend.values(out.data) === undefined || backend.values(entry.variable.data) === undefined
        ? " (variables that are not loaded compare equal only when they reference exactly the same chunks)"
        : "";
      fail(
        "conflict",
        `conflicting values for variable "${name}" between ${first.item.label} (${describeData(backend, out.data)}) and ` +
          `${entry.item.label} (${describeData(backend, entry.variable.data)}) with compat="${compat}"${virtualHint}; ` +
          `pass compat="override" to take the first, or concatenate it`,
        errorContext(entry.item, labels, name),
      );
    }
    if (compat === "no_conflicts" && backend.fillNulls && !backend.equals(out.data, entry.variable.data)) {
      const sameDims = out.dims.length === entry.variable.dims.length && out.dims.every((d, i) => d === entry.variable.dims[i]);
      if (sameDims) {
        const target = out;
        out = { ...out, data: runBackend(`cannot fill nulls of variable "${name}"`, errorContext(entry.item, labels, name), () => backend.fillNulls!(target.data, entry.variable.data)) };
      }
    }
  }
  return out;
}

/**
 * xarray's `align`, restricted to what virtual arrays allow: indexes (dimension coordinates) that
 * differ between items cannot be reindexed, so every join but "override" refuses them;
 * "override" replaces them with the first item's index when lengths agree. Dimensions without
 * an index must have the same length everywhere. Dimensions in `exclude` are skipped.
 */
export function align<A>(items: Item<A>[], join: Join, exclude: ReadonlySet<string>, backend: ArrayBackend<A>, labels: readonly string[] | undefined): Item<A>[] {
  if (!["outer", "inner", "left", "right", "exact", "override"].includes(join)) invalid(`unknown join "${String(join)}"`);
  const sizes = items.map((item) => dimSizes(item, backend, labels));
  const allDims = new Set<string>();
  for (const s of sizes) for (const d of s.keys()) allDims.add(d);
  const replaced = new Map<number, Map<string, Var<A>>>();
  for (const dim of allDims) {
    if (exclude.has(dim)) continue;
    const indexed = items.map((item, i) => ({ item, i })).filter(({ item }) => isIndex(item, dim));
    const reference = indexed[0];
    if (reference) {
      const referenceVar = reference.item.variables.get(dim)!;
      const referenceValues = backend.values(referenceVar.data);
      for (const { item, i } of indexed.slice(1)) {
        const variable = item.variables.get(dim)!;
        const values = backend.values(variable.data);
        const equal =
          referenceValues && values ? valuesEqual(referenceValues, values) : backend.equals(referenceVar.data, variable.data);
        if (equal) continue;
        const lengths = `${backend.shape(referenceVar.data)[0]} values in ${reference.item.label}, ${backend.shape(variable.data)[0]} in ${item.label}`;
        if (join === "override") {
          if (backend.shape(referenceVar.data)[0] !== backend.shape(variable.data)[0]) {
            fail(
              "index-mismatch",
              `join="override": index "${dim}" has different lengths (${lengths}); override needs equal lengths`,
              errorContext(item, labels, dim),
            );
          }
          let patch = replaced.get(i);
          if (!patch) replaced.set(i, (patch = new Map()));
          patch.set(dim, { ...variable, data: referenceVar.data });
          continue;
        }
        const notLoaded = !referenceValues || !values ? "; the index is not loaded (add it to loadableVariables to compare values)" : "";
        const firstDifference = referenceValues && values ? describeDifference(referenceValues, values) : "";
        fail(
          "index-mismatch",
          join === "exact"
            ? `join="exact": index "${dim}" differs between ${reference.item.label} and ${item.label} (${lengths}${firstDifference})${notLoaded}`
            : `join="${join}": index "${dim}" differs between ${reference.item.label} and ${item.label} (${lengths}${firstDifference}); ` +
              `aligning would need reindexing, which virtual arrays cannot do; make the indexes equal, ` +
              `or pass join="override" to use the first dataset's index${notLoaded}`,
          errorContext(item, labels, dim),
        );
      }
    }
    // Dimensions (indexed or not) must agree in length where they are present.
    let known: { size: number; item: Item<A> } | undefined;
    items.forEach((item, i) => {
      const size = sizes[i]!.get(dim);
      if (size === undefined) return;
      if (!known) known = { size, item };
      else if (known.size !== size) {
        fail(
          "dimension-mismatch",
          `dimension "${dim}" has length ${known.size} in ${known.item.label} but ${size} in ${item.label}; ` +
            `${reference ? "" : "it has no index, so "}virtual arrays cannot be aligned along it`,
          errorContext(item, labels),
        );
      }
    });
  }
  if (replaced.size === 0) return items;
  return items.map((item, i) => {
    const patch = replaced.get(i);
    if (!patch) return item;
    const variables = new Map(item.variables);
    for (const [name, variable] of patch) variables.set(name, variable);
    return { ...item, variables };
  });
}

function describeDifference(a: ArrayValues, b: ArrayValues): string {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (!valuesEqual([a[i]!], [b[i]!])) return `; first difference at position ${i}: ${String(a[i])} vs ${String(b[i])}`;
  }
  return "";
}
