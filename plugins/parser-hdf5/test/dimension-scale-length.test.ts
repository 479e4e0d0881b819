/**
 * A dataset whose axis has another length than the fixed-size dimension scale attached to it (h5py
 * `dims[0].attach_scale` of a 4-element scale to an 8-element dataset) is malformed: the parser
 * refuses that variable (UNSUPPORTED, naming file, variable, axis and both lengths), and with
 * `onUnsupported: "skip"` leaves it out and keeps the rest. Values of the rest are compared with
 * h5py's (Debian's /usr/bin/python3).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { isVzError, ManifestArray, readArrayValues, toVirtualDataset } from "@vz/core";
import { FileReader, toUrl } from "@vz/core/node";
import type * as zarr from "zarrita";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHdf5Parser } from "../src/index.js";

const PYTHON = "/usr/bin/python3";
function canGenerate(): boolean {
  try {
    execFileSync(PYTHON, ["-c", "import h5py"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
const available = canGenerate();
if (!available) console.warn("skipping the dimension-scale length tests: Debian's python3 with h5py is needed to generate the file");

describe.skipIf(!available)("a dimension scale of another length than the axis it is attached to", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "vz-hdf5-scale-length-"));
  const file = path.join(dir, "badscale.h5");
  let oracle: { y: number[]; scale: number[] };
  beforeAll(() => {
    oracle = JSON.parse(
      execFileSync(PYTHON, ["-c", `import h5py, numpy as np, json
with h5py.File(${JSON.stringify(file)}, "w") as f:
    f["x"] = np.arange(8, dtype="f4")
    f["y"] = np.arange(8, dtype="i2") * 3
    f["scale"] = np.arange(4, dtype="f8")
    f["scale"].make_scale("scale")
    f["x"].dims[0].attach_scale(f["scale"])
with h5py.File(${JSON.stringify(file)}, "r") as f:
    print(json.dumps({"y": f["y"][:].tolist(), "scale": f["scale"][:].tolist()}))`], { encoding: "utf8" }),
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const reader = new FileReader();

  it("refuses the file by default, naming the variable, the axis and both lengths", async () => {
    const error = await createHdf5Parser()(toUrl(file), reader).catch((e: unknown) => e);
    expect(isVzError(error, "UNSUPPORTED")).toBe(true);
    expect((error as Error).message).toBe(
      `HDF5 ${toUrl(file)}: variable x: axis 0 has length 8 but the dimension scale "scale" attached to it has length 4; it cannot be virtualized`,
    );
    expect((error as { variable?: string }).variable).toBe("x");
  });

  it('with onUnsupported: "skip" leaves it out, reports it, and keeps the rest with their values', async () => {
    const store = await createHdf5Parser({ onUnsupported: "skip" })(toUrl(file), reader);
    expect([...store.group.arrays.keys()].sort()).toEqual(["scale", "y"]);
    expect(store.diagnostics.map((d) => [d.code, d.variable])).toEqual([["UNSUPPORTED", "x"]]);
    expect(store.diagnostics[0]!.message).toContain('axis 0 has length 8 but the dimension scale "scale" attached to it has length 4');
    for (const name of ["y", "scale"] as const) {
      expect(store.group.resolve(name)).toBeInstanceOf(ManifestArray);
      const values = await readArrayValues(store as unknown as zarr.Readable, name);
      expect(Array.from(values.data as ArrayLike<number>, Number)).toEqual(oracle[name]);
    }
    const dataset = await toVirtualDataset(store, { url: toUrl(file) });
    expect([...dataset.variables.keys()].sort()).toEqual(["scale", "y"]);
  });
});
