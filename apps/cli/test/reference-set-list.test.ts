/**
 * A kerchunk file holding a list of reference sets (kerchunk's scan_grib output, 18 sets): `vz
 * inspect` lists the sets, `--item N` reads one, and `vz read` / `vz virtualize` without it is a
 * typed error naming `--item N` and the count. Oracle: fsspec's reference filesystem + zarr 2
 * reading the same set (Debian's /usr/bin/python3); the inline arrays are compared (the GRIB
 * files the other chunks point to are not in the test data).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { pythonJson, vzIn } from "./cli-helpers.js";

const here = dirname(fileURLToPath(import.meta.url));
const hrrr = resolve(here, "../../../../shared/data/kerchunk/hrrr.wrfsfcf.subset.json");
const python = "/usr/bin/python3";
const hasData = existsSync(hrrr);
const hasPython = existsSync(python) && spawnSync(python, ["-c", "import fsspec, zarr"]).status === 0;
if (!hasData) console.warn(`skipping the list-of-reference-sets tests: ${hrrr} is absent (the shared test data)`);
const work = mkdtempSync(join(tmpdir(), "vz-cli-reference-sets-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const vz = vzIn(work);

const py = pythonJson;

/** Every set's array names and reference count, and the inline arrays' values of `items`, as fsspec + zarr read them. */
function oracle(items: number[]): { sets: { arrays: string[]; references: number }[]; values: Record<string, Record<string, number>> } {
  return py(`import json, fsspec, zarr
d = json.load(open(${JSON.stringify(hrrr)}))
sets = [{"arrays": [k[:-len("/.zarray")] for k in s["refs"] if k.endswith("/.zarray")], "references": len(s["refs"])} for s in d]
values = {}
for i in ${JSON.stringify(items)}:
    g = zarr.open_group(fsspec.filesystem("reference", fo=d[i]).get_mapper(""), mode="r")
    scalars = [k[:-len("/.zarray")] for k, v in d[i]["refs"].items() if k.endswith("/.zarray") and json.loads(v)["shape"] == []]
    values[str(i)] = {name: g[name][()].item() for name in scalars}
print(json.dumps({"sets": sets, "values": values}))`) as never;
}

describe.skipIf(!hasData)("a file holding a list of kerchunk reference sets", () => {
  it("vz inspect lists the sets (count, arrays, templates) instead of failing", async () => {
    const table = await vz("inspect", hrrr);
    expect(table.code, table.err).toBe(0);
    expect(table.out).toContain("18 reference sets (a list); read one with --item N (0 to 17)");
    expect(table.out).toMatch(/\n8\s+dswrf, surface, latitude, longitude, step, time, valid_time\s+23\s+u=testdata\/hrrr\.t01z\.wrfsfcf00\.grib2\n/);
    const json = await vz("inspect", hrrr, "--json");
    const listed = JSON.parse(json.out).referenceSets as { index: number; arrays: string[]; references: number }[];
    expect(listed.map((set) => set.index)).toEqual([...Array(18).keys()]);
    if (hasPython) expect(listed.map(({ arrays, references }) => ({ arrays, references }))).toEqual(oracle([]).sets);
  });

  it("vz read and vz virtualize without --item are a typed error naming --item N and the count", async () => {
    for (const argv of [["read", hrrr, "--var", "time"], ["virtualize", hrrr, "-o", "out.json"]]) {
      const result = await vz(...argv);
      expect(result.code).toBe(1);
      expect(result.err).toContain("vz: error [PARSE_FAILED]");
      expect(result.err).toContain("holds a list of 18 reference sets, not one");
      expect(result.err).toContain("--item N");
      expect(result.err).not.toMatch(/\n\s+at /);
    }
    expect(existsSync(join(work, "out.json"))).toBe(false);
    const outOfRange = await vz("read", hrrr, "--var", "time", "--item", "18");
    expect(outOfRange.err).toContain("item 18 is out of range: the file holds 18 reference sets (0 to 17)");
    const notANumber = await vz("read", hrrr, "--var", "time", "--item", "x");
    expect(notANumber.code).toBe(2);
  });

  it.skipIf(!hasPython)("--item N reads set N: its values equal fsspec + zarr reading that set", async () => {
    const items = [0, 8, 17];
    const expected = oracle(items).values;
    for (const item of items) {
      const names = Object.keys(expected[String(item)]!);
      expect(names.length).toBeGreaterThanOrEqual(4);
      for (const name of names) {
        const result = await vz("read", hrrr, "--var", name, "--item", String(item), "--json");
        expect(result.code, result.err).toBe(0);
        expect(Number(JSON.parse(result.out).values[0]), `item ${item} ${name}`).toBe(expected[String(item)]![name]);
      }
    }
    const inspected = JSON.parse((await vz("inspect", hrrr, "--item", "8", "--json")).out);
    expect(inspected.arrays.map((a: { path: string }) => a.path)).toContain("/dswrf");
  });

  it.skipIf(!hasPython)("vz virtualize --item N writes that set; the references read back the same values", async () => {
    const written = await vz("virtualize", hrrr, "--item", "8", "-o", "set8.json");
    expect(written.code, written.err).toBe(0);
    const expected = oracle([8]).values["8"]!;
    for (const [name, value] of Object.entries(expected)) {
      const result = await vz("read", "set8.json", "--var", name, "--json");
      expect(result.code, result.err).toBe(0);
      expect(Number(JSON.parse(result.out).values[0])).toBe(value);
    }
  });
});
