/**
 * `--skip-unsupported` for a per-variable problem: an HDF5 file with one malformed variable (an
 * 8-element dataset with a 4-element dimension scale attached) is refused whole by default with
 * the reason and a hint; with the flag `vz inspect`, `vz virtualize` (one file or a glob) and
 * `vz read` keep the rest and report the skip with its reason. Oracle: h5py (Debian's python3).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { vzIn } from "./cli-helpers.js";

const python = "/usr/bin/python3";
const hasPython = existsSync(python) && spawnSync(python, ["-c", "import h5py"]).status === 0;
if (!hasPython) console.warn("skipping the --skip-unsupported tests: Debian's python3 with h5py is needed to generate the file");
const work = mkdtempSync(join(tmpdir(), "vz-cli-skip-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const vz = vzIn(work);

const reason = (file: string) =>
  `HDF5 ${pathToFileURL(join(work, file)).href}: variable x: axis 0 has length 8 but the dimension scale "scale" attached to it has length 4; it cannot be virtualized`;

describe.skipIf(!hasPython)("--skip-unsupported with one malformed variable", () => {
  let y: number[];
  beforeAll(() => {
    y = JSON.parse(
      execFileSync(python, ["-c", `import h5py, numpy as np, json
for name in ["bad1.h5", "bad2.h5"]:
    with h5py.File(${JSON.stringify(work)} + "/" + name, "w") as f:
        f["x"] = np.arange(8, dtype="f4")
        f["y"] = np.arange(8, dtype="i2") * 3
        f["scale"] = np.arange(4, dtype="f8")
        f["scale"].make_scale("scale")
        f["x"].dims[0].attach_scale(f["scale"])
with h5py.File(${JSON.stringify(work)} + "/bad1.h5", "r") as f:
    print(json.dumps(f["y"][:].tolist()))`], { encoding: "utf8" }),
    ) as number[];
  });

  it("without the flag every command refuses the file with the reason and the hint", async () => {
    for (const argv of [["inspect", "bad1.h5"], ["virtualize", "bad1.h5", "-o", "no.json"], ["read", "bad1.h5", "--var", "y"]]) {
      const result = await vz(...argv);
      expect(result.code, argv.join(" ")).toBe(1);
      expect(result.err).toContain(`vz: error [UNSUPPORTED]: ${reason("bad1.h5")}`);
      expect(result.err).toContain("vz: hint: --skip-unsupported");
      expect(result.err).not.toMatch(/\n\s+at /);
    }
    expect(existsSync(join(work, "no.json"))).toBe(false);
  });

  it("vz inspect keeps the rest and lists the skip with its reason", async () => {
    const result = await vz("inspect", "bad1.h5", "--skip-unsupported", "--json");
    expect(result.code, result.err).toBe(0);
    const report = JSON.parse(result.out);
    expect(report.arrays.map((a: { path: string }) => a.path).sort()).toEqual(["/scale", "/y"]);
    expect(report.diagnostics).toEqual([{ code: "UNSUPPORTED", variable: "x", message: reason("bad1.h5") }]);
  });

  it("vz virtualize (one file, and a glob) writes the rest and reports each skip; the output reads back h5py's values", async () => {
    const one = await vz("virtualize", "bad1.h5", "--skip-unsupported", "-o", "one.json");
    expect(one.code, one.err).toBe(0);
    expect(one.err).toContain(`skipped x: [UNSUPPORTED] ${reason("bad1.h5")}`);
    expect(one.err).toContain("2 variables");
    const read = await vz("read", "one.json", "--var", "y", "--json");
    expect(JSON.parse(read.out).values).toEqual(y);
    const many = await vz("virtualize", "bad*.h5", "--concat-dim", "phony_dim_1", "--skip-unsupported", "-o", "many.json");
    expect(many.code, many.err).toBe(0);
    for (const file of ["bad1.h5", "bad2.h5"]) expect(many.err).toContain(`skipped x in ${pathToFileURL(join(work, file)).href}: [UNSUPPORTED] ${reason(file)}`);
    const both = await vz("read", "many.json", "--var", "y", "--json");
    expect(JSON.parse(both.out).values).toEqual([...y, ...y]);
  });

  it("vz read --skip-unsupported reads another variable; asking for the skipped one gives its reason", async () => {
    const result = await vz("read", "bad1.h5", "--var", "y", "--skip-unsupported", "--json");
    expect(result.code, result.err).toBe(0);
    expect(JSON.parse(result.out).values).toEqual(y);
    expect(result.err).toContain(`skipped x: [UNSUPPORTED] ${reason("bad1.h5")}`);
    const skipped = await vz("read", "bad1.h5", "--var", "x", "--skip-unsupported");
    expect(skipped.code).toBe(1);
    expect(skipped.err).toBe(`vz: error [UNSUPPORTED]: ${reason("bad1.h5")}\n`);
  });
});

const cog = join(import.meta.dirname, "../../../../shared/data/tiff/cogeo.tif");
const hasCog = existsSync(cog);
if (!hasCog) console.warn(`skipping the TIFF --skip-unsupported test: ${cog} is absent (the shared test data)`);

describe.skipIf(!hasCog)("TIFF raises by default like every parser; --skip-unsupported lists the IFDs it skipped", () => {
  it("cogeo.tif (GDAL's 1-bit masks): refused by default, the 1-bit IFDs of tifffile's oracle skipped and listed with --skip-unsupported", async () => {
    const oracle = JSON.parse(readFileSync(`${cog}.oracle.json`, "utf8")) as { tiff: { pages: { index: number; bitspersample: number }[] } };
    const oneBit = oracle.tiff.pages.filter((p) => p.bitspersample === 1).map((p) => String(p.index));
    expect(oneBit.length).toBeGreaterThan(0);
    const refused = await vz("inspect", cog);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain(`vz: error [UNSUPPORTED]: TIFF ${pathToFileURL(cog).href}: IFD ${oneBit[0]}: 1-bit unsigned integer samples have no Zarr data type`);
    expect(refused.err).toContain("vz: hint: --skip-unsupported");
    const skipped = await vz("inspect", cog, "--skip-unsupported", "--json");
    expect(skipped.code, skipped.err).toBe(0);
    const report = JSON.parse(skipped.out) as { arrays: { path: string }[]; diagnostics: { code: string; variable: string; message: string }[] };
    expect(report.diagnostics.map((d) => d.variable)).toEqual(oneBit);
    for (const d of report.diagnostics) expect(d.message).toContain(`IFD ${d.variable}: 1-bit`);
    const kept = oracle.tiff.pages.filter((p) => p.bitspersample !== 1).map((p) => `/${p.index}`);
    for (const path of kept) expect(report.arrays.map((a) => a.path)).toContain(path);
  });
});
