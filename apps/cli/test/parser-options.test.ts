/**
 * `--parser-option NAME.KEY=VALUE`: any parser option from the command line, over the config's
 * `parserOptions` for that parser, whether the parser is named or auto-detected, for one file or
 * many. Oracles: netCDF4-python (char arrays joined by chartostring), numpy (the bytes behind a
 * kerchunk reference), Debian's /usr/bin/python3.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseParserOptions, run } from "../src/main.js";
import { pythonJson, vzIn } from "./cli-helpers.js";

const python = "/usr/bin/python3";
const hasPython = existsSync(python) && spawnSync(python, ["-c", "import netCDF4, numpy"]).status === 0;
const work = mkdtempSync(join(tmpdir(), "vz-cli-parser-options-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const vz = vzIn(work);

const py = pythonJson;

describe("parseParserOptions", () => {
  it("parses VALUE as JSON when it parses, else keeps the string; groups by parser", () => {
    expect(parseParserOptions(["hdf5.charArrays=string", "kerchunk.root=../data", "tiff.x=3", "tiff.y=true", "tiff.z={\"a\":[1]}", "hdf5.e="])).toEqual({
      hdf5: { charArrays: "string", e: "" },
      kerchunk: { root: "../data" },
      tiff: { x: 3, y: true, z: { a: [1] } },
    });
  });
  it("refuses a value without NAME.KEY=", async () => {
    const result = await vz("inspect", "x.nc", "--parser-option", "charArrays=string");
    expect(result.code).toBe(2);
    expect(result.err).toContain('--parser-option "charArrays=string": expected NAME.KEY=VALUE');
  });
});

describe.skipIf(!hasPython)("--parser-option on real files", () => {
  let expected: string[];
  beforeAll(() => {
    for (const name of ["chars1.nc", "chars2.nc"]) {
      execFileSync(python, ["-c", `import netCDF4, numpy as np
with netCDF4.Dataset(${JSON.stringify(join(work, name))}, "w") as ds:
    ds.createDimension("n", 3); ds.createDimension("strlen", 5)
    v = ds.createVariable("names", "S1", ("n", "strlen"))
    v[:] = netCDF4.stringtochar(np.array(["ab", "cdefg", "x"], dtype="S5"))
    t = ds.createVariable("t", "i4", ("n",)); t[:] = [1, 2, 3]`]);
    }
    expected = py(`import netCDF4, json
with netCDF4.Dataset(${JSON.stringify(join(work, "chars1.nc"))}) as ds:
    print(json.dumps([str(s) for s in netCDF4.chartostring(ds.variables["names"][:].data)]))`) as string[];
  });

  it("hdf5.charArrays=string joins char arrays (auto-detected parser) into the strings netCDF4-python gives", async () => {
    expect(expected).toEqual(["ab", "cdefg", "x"]);
    const plain = await vz("read", "chars1.nc", "--var", "names", "--json");
    expect(plain.code, plain.err).toBe(0);
    expect(JSON.parse(plain.out).shape).toEqual([3, 5]);
    const joined = await vz("read", "chars1.nc", "--var", "names", "--json", "--parser-option", "hdf5.charArrays=string");
    expect(joined.code, joined.err).toBe(0);
    expect(JSON.parse(joined.out).values).toEqual(expected);
    const inspected = await vz("inspect", "chars1.nc", "--json", "--parser-option", "hdf5.charArrays=string");
    expect(JSON.parse(inspected.out).arrays.find((a: { path: string }) => a.path === "/names").shape).toEqual([3]);
  });

  it("wins over the config's parserOptions and reaches the parser's own validation", async () => {
    const dir = join(work, "configured");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "vz.config.json"), JSON.stringify({ parserOptions: { hdf5: { charArrays: "chars" } } }));
    const config = join(dir, "vz.config.json");
    const fromConfig = await vz("read", "chars1.nc", "--var", "names", "--json", "--config", config);
    expect(JSON.parse(fromConfig.out).shape).toEqual([3, 5]);
    const overridden = await vz("read", "chars1.nc", "--var", "names", "--json", "--config", config, "--parser-option", "hdf5.charArrays=string");
    expect(JSON.parse(overridden.out).values).toEqual(expected);
    const bad = await vz("inspect", "chars1.nc", "--parser-option", "hdf5.charArrays=bogus");
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('option charArrays must be "chars" or "string", got "bogus"');
    expect(bad.err).not.toMatch(/\n\s+at /);
  });

  it("applies to every file of a glob whose parser is auto-detected", async () => {
    const result = await vz("virtualize", "chars*.nc", "--concat-dim", "n", "-o", "both.json", "--parser-option", "hdf5.charArrays=string");
    expect(result.code, result.err).toBe(0);
    const read = await vz("read", "both.json", "--var", "names", "--json");
    expect(read.code, read.err).toBe(0);
    expect(JSON.parse(read.out).values).toEqual([...expected, ...expected]);
  });

  it("kerchunk.root (relative to the working directory, like --root) is where relative chunk URLs live", async () => {
    mkdirSync(join(work, "data"), { recursive: true });
    mkdirSync(join(work, "refs"), { recursive: true });
    const values = py(`import numpy as np, json
a = np.arange(6, dtype="<f8") * 1.5
a.tofile(${JSON.stringify(join(work, "data", "x.bin"))})
print(json.dumps(a.tolist()))`) as number[];
    writeFileSync(
      join(work, "refs", "x.json"),
      JSON.stringify({
        version: 1,
        refs: {
          ".zgroup": '{"zarr_format":2}',
          "x/.zarray": '{"chunks":[6],"compressor":null,"dtype":"<f8","fill_value":null,"filters":null,"order":"C","shape":[6],"zarr_format":2}',
          "x/.zattrs": '{"_ARRAY_DIMENSIONS":["i"]}',
          "x/0": ["x.bin", 0, 48],
        },
      }),
    );
    const without = await vz("read", "refs/x.json", "--var", "x", "--json");
    expect(without.code).toBe(1);
    const withRoot = await vz("read", "refs/x.json", "--var", "x", "--json", "--parser-option", "kerchunk.root=data");
    expect(withRoot.code, withRoot.err).toBe(0);
    expect(JSON.parse(withRoot.out).values).toEqual(values);
  });
});
