import { describe, expect, it } from "vitest";
import { type CombinedDataset, concat, isCombineError } from "../src/index.js";
import { backend, dataset, index, nd, type Nd, variable } from "./nd-backend.js";

function expectError(fn: () => unknown, reason: string, message: RegExp, code = "CONCAT_FAILED"): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown, "expected an error").toBeDefined();
  expect(isCombineError(thrown)).toBe(true);
  expect((thrown as Record<symbol, unknown>)[Symbol.for("vz.error")]).toBe(true);
  expect((thrown as { code: string }).code).toBe(code);
  expect((thrown as { reason: string }).reason).toBe(reason);
  expect((thrown as Error).message).toMatch(message);
}

function values(result: CombinedDataset<Nd>, name: string): (number | string)[] {
  return result.variables.get(name)!.data.values;
}

/** time (2) × x (3) piece number `k`: time = [2k, 2k+1], air = 100k + 10t + x. */
function piece(k: number, extra: Record<string, ReturnType<typeof variable>> = {}, attrs: Record<string, unknown> = {}) {
  const air: number[] = [];
  for (let t = 0; t < 2; t++) for (let x = 0; x < 3; x++) air.push(100 * k + 10 * t + x);
  return dataset(
    {
      time: index("time", [2 * k, 2 * k + 1]),
      x: index("x", [0.5, 1.5, 2.5]),
      air: variable(["time", "x"], nd([2, 3], air), { units: "K" }),
      ...extra,
    },
    ["time", "x"],
    attrs,
  );
}

describe("concat along an existing dimension", () => {
  it("joins every variable holding the dimension and keeps the other indexes", () => {
    const result = concat([piece(0), piece(1), piece(2)], "time", { backend });
    expect(values(result, "time")).toEqual([0, 1, 2, 3, 4, 5]);
    expect(result.variables.get("air")!.data.shape).toEqual([6, 3]);
    expect(values(result, "air")).toEqual([0, 1, 2, 10, 11, 12, 100, 101, 102, 110, 111, 112, 200, 201, 202, 210, 211, 212]);
    expect(values(result, "x")).toEqual([0.5, 1.5, 2.5]);
    expect([...result.coordNames].sort()).toEqual(["time", "x"]);
    expect(result.variables.get("air")!.attrs).toEqual({ units: "K" });
    expect(result.variables.get("air")!.dims).toEqual(["time", "x"]);
  });

  it("concatenates along a non-leading axis", () => {
    const left = dataset({ x: index("x", [0, 1]), v: variable(["y", "x"], nd([2, 2], [1, 2, 3, 4])) }, ["x"]);
    const right = dataset({ x: index("x", [2]), v: variable(["y", "x"], nd([2, 1], [5, 6])) }, ["x"]);
    const result = concat([left, right], "x", { backend });
    expect(result.variables.get("v")!.data.shape).toEqual([2, 3]);
    expect(values(result, "v")).toEqual([1, 2, 5, 3, 4, 6]);
  });

  it("names both datasets and their files when the backend refuses a pair", () => {
    const chunked = (k: number, length: number) =>
      dataset({ v: variable(["time"], nd([length], Array.from({ length }, (_, i) => k * 10 + i), { virtual: true, chunk: 2 })) });
    expectError(
      () => concat([chunked(0, 2), chunked(1, 3), chunked(2, 2)], "time", { backend, labels: ["file:///a.nc", "file:///b.nc", "file:///c.nc"] }),
      "array",
      /variable "v" along "time": dataset 1 \(file:\/\/\/b\.nc\) followed by dataset 2 \(file:\/\/\/c\.nc\).*not a multiple of the chunk length 2/,
    );
  });

  it("refuses a variable missing from one dataset, naming it and the dataset", () => {
    const a = piece(0, { extra: variable(["time"], nd([2], [1, 2])) });
    const b = piece(1);
    expectError(() => concat([a, b], "time", { backend, labels: ["s3://b/a.nc", "s3://b/b.nc"] }), "missing-variable", /"extra" is in dataset 0 \(s3:\/\/b\/a\.nc\) but not in dataset 1 \(s3:\/\/b\/b\.nc\)/);
  });

  it("refuses a variable that is a coordinate in one dataset and data in another", () => {
    const a = dataset({ time: index("time", [0]), lat: variable(["time"], nd([1], [5])) }, ["time", "lat"]);
    const b = dataset({ time: index("time", [1]), lat: variable(["time"], nd([1], [6])) }, ["time"]);
    expectError(() => concat([a, b], "time", { backend }), "coordinate-mismatch", /"lat" is a coordinate in dataset 0 but a data variable in dataset 1/);
  });

  it("refuses dims that would need transposing", () => {
    const a = dataset({ v: variable(["time", "x"], nd([1, 2], [1, 2])) });
    const b = dataset({ v: variable(["x", "time"], nd([2, 1], [3, 4])) });
    expectError(() => concat([a, b], "time", { backend }), "dimension-mismatch", /cannot be broadcast to .* without transposing/);
  });
});

describe("concat along a new dimension", () => {
  it("stacks variables under a new leading dimension", () => {
    const member = (k: number) => dataset({ x: index("x", [0, 1]), v: variable(["x"], nd([2], [k, k + 0.5])) }, ["x"]);
    const result = concat([member(1), member(2), member(3)], "ensemble", { backend });
    expect(result.variables.get("v")!.dims).toEqual(["ensemble", "x"]);
    expect(result.variables.get("v")!.data.shape).toEqual([3, 2]);
    expect(values(result, "v")).toEqual([1, 1.5, 2, 2.5, 3, 3.5]);
    expect(values(result, "x")).toEqual([0, 1]);
    expect(result.variables.has("ensemble")).toBe(false);
  });

  it("promotes a scalar coordinate named like the dimension into a 1-d index", () => {
    const step = (t: number) =>
      dataset({ time: variable([], nd([], [t])), x: index("x", [0, 1]), v: variable(["x"], nd([2], [t * 10, t * 10 + 1])) }, ["time", "x"]);
    const result = concat([step(3), step(4)], "time", { backend });
    expect(result.variables.get("time")!.dims).toEqual(["time"]);
    expect(values(result, "time")).toEqual([3, 4]);
    expect(result.variables.get("v")!.dims).toEqual(["time", "x"]);
    expect(values(result, "v")).toEqual([30, 31, 40, 41]);
    expect(result.coordNames.has("time")).toBe(true);
  });
});

describe("concat dataVars / coords selection", () => {
  const withConstant = (k: number, constant: number[]) => piece(k, { area: variable(["x"], nd([3], constant)) });

  it('"all" (default) broadcasts variables without the dimension along it', () => {
    const result = concat([withConstant(0, [1, 2, 3]), withConstant(1, [1, 2, 3])], "time", { backend });
    expect(result.variables.get("area")!.dims).toEqual(["time", "x"]);
    expect(values(result, "area")).toEqual([1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3]);
  });

  it('"minimal" keeps one copy of equal variables and refuses different ones under compat "equals"', () => {
    const same = concat([withConstant(0, [1, 2, 3]), withConstant(1, [1, 2, 3])], "time", { backend, dataVars: "minimal" });
    expect(same.variables.get("area")!.dims).toEqual(["x"]);
    expect(values(same, "area")).toEqual([1, 2, 3]);
    expectError(
      () => concat([withConstant(0, [1, 2, 3]), withConstant(1, [1, 2, 4])], "time", { backend, dataVars: "minimal" }),
      "conflict",
      /conflicting values for variable "area" between dataset 0 \(loaded \[3\]\) and dataset 1 \(loaded \[3\]\) with compat="equals"/,
    );
  });

  it('"minimal" with compat "override" takes the first dataset\'s variable', () => {
    const result = concat([withConstant(0, [1, 2, 3]), withConstant(1, [9, 9, 9])], "time", { backend, dataVars: "minimal", coords: "minimal", compat: "override" });
    expect(values(result, "area")).toEqual([1, 2, 3]);
  });

  it('"different" concatenates only the variables that differ', () => {
    const a = piece(0, { area: variable(["x"], nd([3], [1, 2, 3])), bias: variable(["x"], nd([3], [0, 0, 0])) });
    const b = piece(1, { area: variable(["x"], nd([3], [1, 2, 3])), bias: variable(["x"], nd([3], [0, 0, 1])) });
    const result = concat([a, b], "time", { backend, dataVars: "different" });
    expect(result.variables.get("area")!.dims).toEqual(["x"]);
    expect(result.variables.get("bias")!.dims).toEqual(["time", "x"]);
    expect(values(result, "bias")).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1]);
  });

  it('"different" refuses a variable missing from some datasets', () => {
    const a = piece(0, { area: variable(["x"], nd([3], [1, 2, 3])) });
    const b = piece(1);
    const c = piece(2, { area: variable(["x"], nd([3], [1, 2, 3])) });
    expectError(() => concat([a, b, c], "time", { backend, dataVars: "different" }), "missing-variable", /"area" is not present in dataset 1.*dataVars="minimal"/);
  });

  it("a list concatenates the named variables; unknown names are refused", () => {
    const a = piece(0, { area: variable(["x"], nd([3], [1, 2, 3])), keep: variable(["x"], nd([3], [7, 7, 7])) });
    const b = piece(1, { area: variable(["x"], nd([3], [1, 2, 3])), keep: variable(["x"], nd([3], [7, 7, 7])) });
    const result = concat([a, b], "time", { backend, dataVars: ["area"] });
    expect(result.variables.get("area")!.dims).toEqual(["time", "x"]);
    expect(result.variables.get("keep")!.dims).toEqual(["x"]);
    expectError(() => concat([a, b], "time", { backend, dataVars: ["nope"] }), "invalid-option", /dataVars "nope" are not data variables of dataset 0/, "INVALID_ARGUMENT");
    expectError(() => concat([a, b], "time", { backend, coords: ["area"] }), "invalid-option", /coords "area" are not coordinates of dataset 0/, "INVALID_ARGUMENT");
  });

  it('coords "different" with compat "override" is refused; "minimal" / "all" on a non-index coordinate', () => {
    const withLabel = (k: number, label: number[]) =>
      dataset({ ...Object.fromEntries(piece(k).variables), label: variable(["x"], nd([3], label)) }, ["time", "x", "label"]);
    expectError(
      () => concat([withLabel(0, [1, 2, 3]), withLabel(1, [1, 2, 3])], "time", { backend, compat: "override" }),
      "invalid-option",
      /coords="different" cannot be combined with compat="override"/,
      "INVALID_ARGUMENT",
    );
    const minimal = concat([withLabel(0, [1, 2, 3]), withLabel(1, [4, 5, 6])], "time", { backend, coords: "minimal", compat: "override" });
    expect(values(minimal, "label")).toEqual([1, 2, 3]);
    expect(minimal.coordNames.has("label")).toBe(true);
    const all = concat([withLabel(0, [1, 2, 3]), withLabel(1, [4, 5, 6])], "time", { backend, coords: "all" });
    expect(all.variables.get("label")!.dims).toEqual(["time", "x"]);
    expect(values(all, "label")).toEqual([1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6]);
    const different = concat([withLabel(0, [1, 2, 3]), withLabel(1, [4, 5, 6])], "time", { backend });
    expect(different.variables.get("label")!.dims).toEqual(["time", "x"]);
  });

  it("rejects unknown option values", () => {
    expectError(() => concat([piece(0)], "time", { backend, dataVars: "some" as never }), "invalid-option", /unknown dataVars "some"/, "INVALID_ARGUMENT");
    expectError(() => concat([piece(0)], "time", { backend, compat: "loose" as never }), "invalid-option", /unknown compat "loose"/, "INVALID_ARGUMENT");
    expectError(() => concat([piece(0)], "time", { backend, join: "sideways" as never }), "invalid-option", /unknown join "sideways"/, "INVALID_ARGUMENT");
    expectError(() => concat([], "time", { backend }), "invalid-option", /no datasets/, "INVALID_ARGUMENT");
    expectError(() => concat([piece(0)], "", { backend }), "invalid-option", /dim must be a non-empty string/, "INVALID_ARGUMENT");
  });
});

describe("concat compat", () => {
  it('"identical" also compares variable and dataset attributes', () => {
    const a = piece(0, { area: variable(["x"], nd([3], [1, 2, 3]), { units: "m2" }) });
    const b = piece(1, { area: variable(["x"], nd([3], [1, 2, 3]), { units: "km2" }) });
    expectError(() => concat([a, b], "time", { backend, dataVars: "minimal", coords: "minimal", compat: "identical" }), "conflict", /"area".*compat="identical"/);
    const c = piece(0, {}, { title: "one" });
    const d = piece(1, {}, { title: "two" });
    expectError(() => concat([c, d], "time", { backend, compat: "identical" }), "attrs-conflict", /attributes of the datasets \(compat="identical"\) differ between dataset 0 and dataset 1 \(keys "title"/);
  });

  it('"broadcast_equals" accepts a variable equal after broadcasting; "equals" does not', () => {
    const a = piece(0, { mask: variable(["x"], nd([3], [1, 0, 1])) });
    const b = piece(1, { mask: variable(["y", "x"], nd([2, 3], [1, 0, 1, 1, 0, 1])) });
    const result = concat([a, b], "time", { backend, dataVars: "minimal", compat: "broadcast_equals" });
    expect(result.variables.get("mask")!.dims).toEqual(["y", "x"]);
    expect(values(result, "mask")).toEqual([1, 0, 1, 1, 0, 1]);
    expectError(() => concat([a, b], "time", { backend, dataVars: "minimal", compat: "equals" }), "conflict", /"mask"/);
  });

  it('"no_conflicts" fills nulls of the first from the others and refuses real conflicts', () => {
    const a = piece(0, { q: variable(["x"], nd([3], [1, Number.NaN, 3])) });
    const b = piece(1, { q: variable(["x"], nd([3], [1, 2, Number.NaN])) });
    const result = concat([a, b], "time", { backend, dataVars: "minimal", compat: "no_conflicts" });
    expect(values(result, "q")).toEqual([1, 2, 3]);
    const c = piece(1, { q: variable(["x"], nd([3], [5, 2, 3])) });
    expectError(() => concat([a, c], "time", { backend, dataVars: "minimal", compat: "no_conflicts" }), "conflict", /"q"/);
  });

  it("virtual variables compare equal only when identical, and the message says so", () => {
    const a = piece(0, { v: variable(["x"], nd([3], [1, 2, 3], { virtual: true })) });
    const b = piece(1, { v: variable(["x"], nd([3], [1, 2, 4], { virtual: true })) });
    expectError(() => concat([a, b], "time", { backend, dataVars: "minimal" }), "conflict", /virtual \[3\].*not loaded compare equal only when they reference exactly the same chunks/);
  });
});

describe("concat join", () => {
  const shifted = (k: number, x: number[]) =>
    dataset({ time: index("time", [k]), x: index("x", x), v: variable(["time", "x"], nd([1, x.length], x.map((_, i) => k * 10 + i))) }, ["time", "x"]);

  it("accepts equal indexes with every join", () => {
    for (const join of ["outer", "inner", "left", "right", "exact", "override"] as const) {
      const result = concat([shifted(0, [1, 2]), shifted(1, [1, 2])], "time", { backend, join });
      expect(values(result, "v")).toEqual([0, 1, 10, 11]);
    }
  });

  it("refuses differing indexes for every join that would reindex, naming the index and datasets", () => {
    for (const join of ["outer", "inner", "left", "right"] as const) {
      expectError(
        () => concat([shifted(0, [1, 2]), shifted(1, [1, 3])], "time", { backend, join, labels: ["memory://a", "memory://b"] }),
        "index-mismatch",
        new RegExp(`join="${join}": index "x" differs between dataset 0 \\(memory://a\\) and dataset 1 \\(memory://b\\).*first difference at position 1: 2 vs 3.*reindexing`),
      );
    }
    expectError(() => concat([shifted(0, [1, 2]), shifted(1, [1, 3])], "time", { backend, join: "exact" }), "index-mismatch", /join="exact": index "x" differs/);
  });

  it('"override" uses the first index when lengths agree and refuses otherwise', () => {
    const result = concat([shifted(0, [1, 2]), shifted(1, [5, 6])], "time", { backend, join: "override" });
    expect(values(result, "x")).toEqual([1, 2]);
    expect(values(result, "v")).toEqual([0, 1, 10, 11]);
    expectError(() => concat([shifted(0, [1, 2]), shifted(1, [5, 6, 7])], "time", { backend, join: "override" }), "index-mismatch", /different lengths/);
  });

  it("refuses an unindexed dimension whose length differs", () => {
    const a = dataset({ v: variable(["time", "y"], nd([1, 2], [1, 2])) });
    const b = dataset({ v: variable(["time", "y"], nd([1, 3], [1, 2, 3])) });
    expectError(() => concat([a, b], "time", { backend }), "dimension-mismatch", /dimension "y" has length 2 in dataset 0 but 3 in dataset 1; it has no index/);
  });
});

describe("concat positions", () => {
  it("places whole datasets by position", () => {
    const result = concat([piece(1), piece(0)], "time", { backend, positions: [[2, 3], [0, 1]] });
    expect(values(result, "time")).toEqual([0, 1, 2, 3]);
  });

  it("refuses interleaving and invalid positions", () => {
    expectError(() => concat([piece(0), piece(1)], "time", { backend, positions: [[0, 2], [1, 3]] }), "invalid-option", /interleave/);
    expectError(() => concat([piece(0), piece(1)], "time", { backend, positions: [[0, 1], [1, 2]] }), "invalid-option", /once/, "INVALID_ARGUMENT");
    expectError(() => concat([piece(0), piece(1)], "time", { backend, positions: [[0, 1]] }), "invalid-option", /1 position lists for 2 datasets/, "INVALID_ARGUMENT");
  });
});

describe("combineAttrs", () => {
  const withAttrs = (k: number, attrs: Record<string, unknown>, varAttrs: Record<string, unknown> = { units: "K" }) =>
    dataset({ time: index("time", [k]), v: variable(["time"], nd([1], [k]), varAttrs) }, ["time"], attrs);

  it("drop / override / no_conflicts / drop_conflicts / identical on dataset and variable attributes", () => {
    const a = withAttrs(0, { title: "T", source: "a", history: [1, 2] }, { units: "K", long_name: "air" });
    const b = withAttrs(1, { title: "T", source: "b", history: new Float64Array([1, 2]) }, { units: "K", comment: "x" });
    expect(concat([a, b], "time", { backend, combineAttrs: "drop" }).attrs).toEqual({});
    expect(concat([a, b], "time", { backend, combineAttrs: "override" }).attrs).toEqual({ title: "T", source: "a", history: [1, 2] });
    const dropped = concat([a, b], "time", { backend, combineAttrs: "drop_conflicts" });
    expect(dropped.attrs).toEqual({ title: "T", history: [1, 2] });
    expect(dropped.variables.get("v")!.attrs).toEqual({ units: "K", long_name: "air", comment: "x" });
    expectError(() => concat([a, b], "time", { backend, combineAttrs: "no_conflicts" }), "attrs-conflict", /attribute "source" of the datasets is "a" in dataset 0 but "b" in dataset 1/);
    expectError(() => concat([a, b], "time", { backend, combineAttrs: "identical" }), "attrs-conflict", /differ between dataset 0 and dataset 1 \(keys "source"/);
    const c = withAttrs(1, { title: "T", extra: 5 });
    const union = concat([withAttrs(0, { title: "T" }), c], "time", { backend, combineAttrs: "no_conflicts" });
    expect(union.attrs).toEqual({ title: "T", extra: 5 });
    expect(() => concat([a, b], "time", { backend, combineAttrs: "merge" as never })).toThrow(/unknown combineAttrs "merge"/);
  });
});
