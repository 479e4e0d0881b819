/**
 * A small N-dimensional in-memory backend for the tests: C-order arrays of numbers or strings.
 * `virtual: true` marks an array whose values combine cannot see (like a ManifestArray); `chunk`
 * makes concat refuse non-final pieces whose length along the axis is not a multiple of it,
 * as virtual arrays do.
 */
import type { ArrayBackend, CombineDataset, CombineVariable } from "../src/index.js";

export interface Nd {
  shape: number[];
  values: (number | string)[];
  virtual?: boolean;
  chunk?: number;
}

export function nd(shape: number[], values: (number | string)[], extra: Partial<Nd> = {}): Nd {
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== values.length) throw new Error(`nd: ${values.length} values for shape [${shape}]`);
  return { shape, values, ...extra };
}

function strides(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length).fill(1);
  for (let d = shape.length - 2; d >= 0; d--) out[d] = out[d + 1]! * shape[d + 1]!;
  return out;
}

function unravel(index: number, shape: readonly number[]): number[] {
  const s = strides(shape);
  return shape.map((_, d) => Math.floor(index / s[d]!) % shape[d]!);
}

function same(a: number | string | undefined, b: number | string | undefined): boolean {
  return a === b || (typeof a === "number" && typeof b === "number" && Number.isNaN(a) && Number.isNaN(b));
}

function isNull(v: number | string | undefined): boolean {
  return typeof v === "number" && Number.isNaN(v);
}

export const backend: ArrayBackend<Nd> = {
  shape: (a) => a.shape,
  concat(arrays, axis) {
    const first = arrays[0]!;
    if (arrays.some((a) => !!a.virtual !== !!first.virtual)) throw new Error("cannot concatenate virtual with loaded arrays");
    arrays.forEach((a, i) => {
      if (a.shape.length !== first.shape.length || a.shape.some((s, d) => d !== axis && s !== first.shape[d])) {
        throw new Error(`array ${i} has shape [${a.shape}], array 0 has [${first.shape}]`);
      }
      if (a.chunk !== undefined && i < arrays.length - 1 && a.shape[axis]! % a.chunk !== 0) {
        throw new Error(`array ${i} has length ${a.shape[axis]} along axis ${axis}, not a multiple of the chunk length ${a.chunk}`);
      }
    });
    const shape = [...first.shape];
    shape[axis] = arrays.reduce((n, a) => n + a.shape[axis]!, 0);
    const size = shape.reduce((a, b) => a * b, 1);
    const values: (number | string)[] = [];
    for (let i = 0; i < size; i++) {
      const coords = unravel(i, shape);
      let c = coords[axis]!;
      let k = 0;
      while (c >= arrays[k]!.shape[axis]!) c -= arrays[k++]!.shape[axis]!;
      const source = arrays[k]!;
      const local = [...coords];
      local[axis] = c;
      const st = strides(source.shape);
      values.push(source.values[local.reduce((acc, x, d) => acc + x * st[d]!, 0)]!);
    }
    return { ...first, shape, values };
  },
  stack(arrays, axis) {
    return backend.concat(arrays.map((a) => backend.expandDims(a, axis)), axis);
  },
  expandDims(a, axis) {
    const shape = [...a.shape];
    shape.splice(axis, 0, 1);
    return { ...a, shape };
  },
  broadcastTo(a, shape) {
    const lead = shape.length - a.shape.length;
    if (lead < 0 || a.shape.some((s, d) => s !== 1 && s !== shape[lead + d])) throw new Error(`cannot broadcast [${a.shape}] to [${shape}]`);
    const size = shape.reduce((x, y) => x * y, 1);
    const st = strides(a.shape);
    const values: (number | string)[] = [];
    for (let i = 0; i < size; i++) {
      const coords = unravel(i, shape).slice(lead);
      values.push(a.values[coords.reduce((acc, x, d) => acc + (a.shape[d] === 1 ? 0 : x) * st[d]!, 0)]!);
    }
    return { ...a, shape: [...shape], values };
  },
  equals(a, b, options) {
    if (!!a.virtual !== !!b.virtual) return false;
    if (a.shape.length !== b.shape.length || a.shape.some((s, d) => s !== b.shape[d])) return false;
    return a.values.every((v, i) => same(v, b.values[i]) || (!!options?.ignoreNulls && (isNull(v) || isNull(b.values[i]))));
  },
  values: (a) => (a.virtual ? undefined : a.values),
  fillNulls(a, b) {
    return { ...a, values: a.values.map((v, i) => (isNull(v) ? b.values[i]! : v)) };
  },
  describe: (a) => `${a.virtual ? "virtual" : "loaded"} [${a.shape.join(", ")}]`,
};

export type TestVariable = CombineVariable<Nd>;

export function variable(dims: string[], data: Nd, attrs: Record<string, unknown> = {}): TestVariable {
  return { dims, data, attrs };
}

export function dataset(
  variables: Record<string, TestVariable>,
  coordNames: string[] = [],
  attrs: Record<string, unknown> = {},
): CombineDataset<Nd> {
  return { variables: new Map(Object.entries(variables)), coordNames: new Set(coordNames), attrs };
}

/** A 1-d loaded index variable. */
export function index(dim: string, values: (number | string)[]): TestVariable {
  return variable([dim], nd([values.length], values));
}
