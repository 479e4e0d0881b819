import { describe, expect, it } from "vitest";
import { type CombinedDataset, combineByCoords, combineNested, isCombineError, merge } from "../src/index.js";
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
  expect((thrown as { code: string }).code).toBe(code);
  expect((thrown as { reason: string }).reason).toBe(reason);
  expect((thrown as Error).message).toMatch(message);
}

function values(result: CombinedDataset<Nd>, name: string): (number | string)[] {
  return result.variables.get(name)!.data.values;
}

/** A tile of a 4 (y) × 6 (x) field f = 10·y + x, rows y0..y0+1 and columns x0..x0+2. */
function tile(y0: number, x0: number, options: { descendingY?: boolean; name?: string } = {}) {
  const ys = options.descendingY ? [y0 + 1, y0] : [y0, y0 + 1];
  const xs = [x0, x0 + 1, x0 + 2];
  const f: number[] = [];
  for (const y of ys) for (const x of xs) f.push(10 * y + x);
  return dataset(
    { y: index("y", ys), x: index("x", xs), [options.name ?? "f"]: variable(["y", "x"], nd([2, 3], f)) },
    ["y", "x"],
    { title: "tiles" },
  );
}

function field(ys: number[], xs: number[]): number[] {
  const f: number[] = [];
  for (const y of ys) for (const x of xs) f.push(10 * y + x);
  return f;
}

describe("merge", () => {
  it("unites variables and checks shared ones (no_conflicts by default)", () => {
    const a = dataset({ x: index("x", [0, 1]), t: variable(["x"], nd([2], [1, Number.NaN])) }, ["x"], { a: 1 });
    const b = dataset({ x: index("x", [0, 1]), t: variable(["x"], nd([2], [1, 2])), p: variable(["x"], nd([2], [5, 6])) }, ["x"], { b: 2 });
    const result = merge([a, b], { backend });
    expect([...result.variables.keys()]).toEqual(["x", "t", "p"]);
    expect(values(result, "t")).toEqual([1, 2]);
    expect(values(result, "p")).toEqual([5, 6]);
    expect([...result.coordNames]).toEqual(["x"]);
    expect(result.attrs).toEqual({ a: 1 });
    expect(merge([a, b], { backend, combineAttrs: "no_conflicts" }).attrs).toEqual({ a: 1, b: 2 });
  });

  it("refuses conflicting values, differing indexes, and dimension length conflicts", () => {
    const a = dataset({ x: index("x", [0, 1]), t: variable(["x"], nd([2], [1, 2])) }, ["x"]);
    const b = dataset({ x: index("x", [0, 1]), t: variable(["x"], nd([2], [1, 3])) }, ["x"]);
    expectError(() => merge([a, b], { backend, labels: ["file:///a.nc", "file:///b.nc"] }), "conflict", /"t" between dataset 0 \(file:\/\/\/a\.nc\).*dataset 1 \(file:\/\/\/b\.nc\).*compat="no_conflicts"/);
    expect(values(merge([a, b], { backend, compat: "override" }), "t")).toEqual([1, 2]);
    const c = dataset({ x: index("x", [0, 2]), q: variable(["x"], nd([2], [1, 3])) }, ["x"]);
    expectError(() => merge([a, c], { backend }), "index-mismatch", /join="outer": index "x" differs/);
    expectError(() => merge([a, c], { backend, join: "exact" }), "index-mismatch", /join="exact"/);
    expect(values(merge([a, c], { backend, join: "override" }), "x")).toEqual([0, 1]);
    const d = dataset({ q: variable(["y"], nd([2], [1, 3])) });
    const e = dataset({ r: variable(["y"], nd([3], [1, 3, 4])) });
    expectError(() => merge([d, e], { backend }), "dimension-mismatch", /dimension "y" has length 2 in dataset 0 but 3 in dataset 1/);
    const f = dataset({ x: index("x", [0, 1]), t: variable(["x"], nd([2], [1, 2])) }, ["x", "t"]);
    expectError(() => merge([a, f], { backend }), "coordinate-mismatch", /"t" is a coordinate/);
  });
});

describe("combineNested", () => {
  it("tiles a 2×2 nested list along two dimensions", () => {
    const result = combineNested([[tile(0, 0), tile(0, 3)], [tile(2, 0), tile(2, 3)]], ["y", "x"], { backend });
    expect(values(result, "y")).toEqual([0, 1, 2, 3]);
    expect(values(result, "x")).toEqual([0, 1, 2, 3, 4, 5]);
    expect(values(result, "f")).toEqual(field([0, 1, 2, 3], [0, 1, 2, 3, 4, 5]));
    expect(result.attrs).toEqual({}); // combineAttrs "drop" by default, as xarray
  });

  it("merges along a null dimension", () => {
    const result = combineNested([[tile(0, 0), tile(0, 0, { name: "g" })], [tile(2, 0), tile(2, 0, { name: "g" })]], ["y", null], { backend });
    expect([...result.variables.keys()].sort()).toEqual(["f", "g", "x", "y"]);
    expect(values(result, "g")).toEqual(field([0, 1, 2, 3], [0, 1, 2]));
  });

  it("refuses ragged lists, wrong depth, and names flat dataset indexes in errors", () => {
    expectError(() => combineNested([[tile(0, 0), tile(0, 3)], [tile(2, 0)]], ["y", "x"], { backend }), "invalid-option", /lengths 2 and 1/, "INVALID_ARGUMENT");
    expectError(() => combineNested([[tile(0, 0)], tile(2, 0)], ["y", "x"], { backend }), "invalid-option", /inconsistent depths/, "INVALID_ARGUMENT");
    expectError(() => combineNested([tile(0, 0), tile(2, 0)], ["y", "x"], { backend }), "invalid-option", /2 concatDims .* nested 1 level/, "INVALID_ARGUMENT");
    const odd = dataset({ y: index("y", [2, 3]), x: index("x", [0, 1, 9]), f: variable(["y", "x"], nd([2, 3], field([2, 3], [0, 1, 2]))) }, ["y", "x"]);
    expectError(
      () => combineNested([tile(0, 0), odd], "y", { backend, labels: ["file:///t0.nc", "file:///t1.nc"] }),
      "index-mismatch",
      /index "x" differs between dataset 0 \(file:\/\/\/t0\.nc\) and dataset 1 \(file:\/\/\/t1\.nc\)/,
    );
  });
});

describe("combineByCoords", () => {
  it("orders shuffled pieces along one dimension", () => {
    const pieces = [tile(2, 0), tile(0, 0)];
    const result = combineByCoords(pieces, { backend });
    expect(values(result, "y")).toEqual([0, 1, 2, 3]);
    expect(values(result, "f")).toEqual(field([0, 1, 2, 3], [0, 1, 2]));
    expect(result.attrs).toEqual({ title: "tiles" });
  });

  it("tiles a shuffled 2×2 grid, and decreasing coordinates", () => {
    const result = combineByCoords([tile(2, 3), tile(0, 0), tile(2, 0), tile(0, 3)], { backend });
    expect(values(result, "f")).toEqual(field([0, 1, 2, 3], [0, 1, 2, 3, 4, 5]));
    const down = combineByCoords([tile(0, 0, { descendingY: true }), tile(2, 0, { descendingY: true })], { backend });
    expect(values(down, "y")).toEqual([3, 2, 1, 0]);
    expect(values(down, "f")).toEqual(field([3, 2, 1, 0], [0, 1, 2]));
  });

  it("merges groups with different data variables", () => {
    const result = combineByCoords([tile(2, 0), tile(0, 0, { name: "g" }), tile(0, 0), tile(2, 0, { name: "g" })], { backend });
    expect(values(result, "f")).toEqual(field([0, 1, 2, 3], [0, 1, 2]));
    expect(values(result, "g")).toEqual(field([0, 1, 2, 3], [0, 1, 2]));
  });

  it("refuses non-monotonic, overlapping, duplicated, gapped and incomplete inputs", () => {
    const zigzag = dataset({ y: index("y", [5, 4, 6]), f: variable(["y"], nd([3], [1, 2, 3])) }, ["y"]);
    const other = dataset({ y: index("y", [7, 8, 9]), f: variable(["y"], nd([3], [1, 2, 3])) }, ["y"]);
    expectError(() => combineByCoords([zigzag, other], { backend }), "not-monotonic", /"y" is neither monotonically increasing nor monotonically decreasing.*dataset 0/);
    const overlap = dataset({ y: index("y", [1, 2]), x: index("x", [0, 1, 2]), f: variable(["y", "x"], nd([2, 3], field([1, 2], [0, 1, 2]))) }, ["y", "x"]);
    expectError(() => combineByCoords([tile(0, 0), overlap], { backend }), "not-monotonic", /not strictly monotonic at position 2 \(1 then 1\).*overlap/);
    expectError(() => combineByCoords([tile(0, 0), tile(0, 0), tile(2, 0)], { backend }), "not-a-hypercube", /dataset 0 and dataset 1 start at the same coordinate values/);
    expectError(
      () => combineByCoords([tile(0, 0), tile(4, 0)], { backend, labels: ["file:///a.nc", "file:///b.nc"] }),
      "not-a-hypercube",
      /gap along "y" between dataset 0 \(file:\/\/\/a\.nc\) \(ends at 1\) and dataset 1 \(file:\/\/\/b\.nc\) \(starts at 4\)/,
    );
    expect(values(combineByCoords([tile(0, 0), tile(4, 0)], { backend, gaps: "allow" }), "y")).toEqual([0, 1, 4, 5]);
    expectError(() => combineByCoords([tile(0, 0), tile(0, 3), tile(2, 0)], { backend }), "not-a-hypercube", /3 datasets for a 2×2 grid/);
    expectError(() => combineByCoords([tile(0, 0), tile(0, 0, { name: "f" })], { backend }), "no-order", /could not find any dimension coordinate that differs/);
  });

  it("needs loaded indexes", () => {
    const virtualIndex = (y0: number) =>
      dataset({ y: variable(["y"], nd([2], [y0, y0 + 1], { virtual: true })), f: variable(["y"], nd([2], [1, 2])) }, ["y"]);
    expectError(() => combineByCoords([virtualIndex(0), virtualIndex(2)], { backend }), "no-order", /index "y" of dataset 0 is not loaded/);
  });

  it("combines 1,000 datasets in well under a second", () => {
    const pieces = Array.from({ length: 1000 }, (_, k) =>
      dataset({ time: index("time", [2 * k, 2 * k + 1]), v: variable(["time"], nd([2], [k, k])) }, ["time"]),
    ).reverse();
    const start = performance.now();
    const result = combineByCoords(pieces, { backend, coords: "minimal", compat: "override" });
    const elapsed = performance.now() - start;
    expect(result.variables.get("time")!.data.shape).toEqual([2000]);
    expect(values(result, "v").slice(0, 4)).toEqual([0, 0, 1, 1]);
    expect(elapsed).toBeLessThan(2000);
  });
});
