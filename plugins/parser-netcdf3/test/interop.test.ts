/**
 * Interop: the kerchunk JSON vz writes for each netCDF3 file (shared files and generated
 * fixtures) opens in Python xarray (fsspec + zarr 2) with the values, dimensions and attributes
 * netCDF4-python reads from the original file (test/python/compare-kerchunk.py), and char
 * variables identical to xarray on the original file (tooling/python/compare-xarray.py).
 */
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { openVirtualDataset } from "@vz/core";
import { FileReader, toUrl, writeKerchunk } from "@vz/core/node";
import { describe, expect, it } from "vitest";
import netcdf3 from "../src/index.js";
import { NETCDF3_DATA, oracleOf, sharedFiles } from "./helpers.js";
import { missingPythonModules, runPython } from "./python-helpers.js";

const missing = missingPythonModules(["netCDF4", "xarray", "fsspec", "zarr", "numpy", "scipy"]);
const skipReason = missing.length > 0 ? `Python modules missing: ${missing.join(", ")}` : false;
const out = mkdtempSync(join(tmpdir(), "vz-netcdf3-interop-"));
const compare = resolve(import.meta.dirname, "python/compare-kerchunk.py");
const compareXarray = resolve(import.meta.dirname, "../../../tooling/python/compare-xarray.py");

const generated = skipReason ? "" : join(out, "generated");
if (!skipReason) runPython([resolve(import.meta.dirname, "python/make-fixtures.py"), generated]);

const files = [
  ...(NETCDF3_DATA ? sharedFiles().filter((name) => !oracleOf(name).netcdf3_header?.error).map((name) => join(NETCDF3_DATA!, name)) : []),
  ...(skipReason
    ? []
    : ["cdf5_types.nc", "cdf5_explicit_fill.nc", "cdf5_default_fill.nc", "single_record.nc", "padded_records_64bit.nc"].map((name) => join(generated, name))),
];

describe.skipIf(Boolean(skipReason))(`kerchunk JSON opens in xarray with netCDF4-python's values${skipReason ? ` (skipped: ${skipReason})` : ""}`, () => {
  for (const file of files) {
    const name = file.slice(file.lastIndexOf("/") + 1);
    it(name, async () => {
      const vds = await openVirtualDataset(toUrl(file), { parser: netcdf3, reader: new FileReader(), loadableVariables: [] });
      const refs = join(out, `${name}.json`);
      await writeKerchunk(vds, refs);
      expect(JSON.parse(readFileSync(refs, "utf8")).version).toBe(1);
      const report = JSON.parse(runPython([compare, file, refs])) as { variables: number; problems: string[] };
      expect(report.problems).toEqual([]);
      expect(report.variables).toBe(vds.variables.size);
    });
  }

  // Character arrays are written as |S1 with their character dimension; xarray decodes them from
  // the references exactly as from the original (dtype, dims, shape, bytes): every char variable
  // of the shared files and of a generated file with non-UTF-8 bytes (tooling/python/compare-xarray.py).
  const withChars = [
    ...(NETCDF3_DATA
      ? ["RGB.nc", "agilent_hplc.cdf", "bears.nc", "madis-sao.nc", "model1_md2.nc", "ref_nctest_64bit_offset.nc", "ref_nctest_classic.nc", "small_rotPole_precipitation.nc"]
          .map((name) => join(NETCDF3_DATA!, name))
          .filter((file) => existsSync(file))
      : []),
    join(generated, "chars_bytes.nc"),
  ];
  for (const file of withChars) {
    const name = file.slice(file.lastIndexOf("/") + 1);
    it(`${name}: char variables identical to xarray on the original`, async () => {
      const vds = await openVirtualDataset(toUrl(file), { parser: netcdf3, reader: new FileReader(), loadableVariables: [] });
      const refs = join(out, `${name}.chars.json`);
      await writeKerchunk(vds, refs);
      const report = JSON.parse(runPython([compareXarray, file, refs, "", "chars"])) as { checked: Record<string, unknown>; problems: string[] };
      expect(report.problems).toEqual([]);
      expect(Object.keys(report.checked).length).toBeGreaterThan(0);
      if (name === "chars_bytes.nc") {
        expect(report.checked).toEqual({
          b: ["|S5", ["time"], [3]],
          station: ["|S5", ["n"], [3]],
          flag: ["|S1", ["n"], [3]],
          utf: ["object", ["n"], [3]],
          c0: ["|S1", [], []],
        });
      }
    });
  }

  it("cdf5_default_fill.nc: int64/uint64 default fills are written with every digit and Python reads them as numpy int64/uint64", async () => {
    const file = join(generated, "cdf5_default_fill.nc");
    const vds = await openVirtualDataset(toUrl(file), { parser: netcdf3, reader: new FileReader(), loadableVariables: [] });
    const refs = join(out, "default-fill-digits.json");
    await writeKerchunk(vds, refs);
    const text = readFileSync(refs, "utf8");
    // the exact digits in the .zarray text (a double would give -9223372036854775808 / 18446744073709551616)
    expect(text).toContain('\\"fill_value\\":-9223372036854775806');
    expect(text).toContain('\\"fill_value\\":18446744073709551614');
    const python = runPython([
      "-c",
      [
        "import sys, json, fsspec, zarr, numpy as np",
        "g = zarr.open_group(fsspec.get_mapper('reference://', fo=sys.argv[1]), mode='r')",
        "print(json.dumps({k: [type(g[k].fill_value).__name__, str(g[k].fill_value)] for k in ('i8', 'u8')}))",
      ].join("\n"),
      refs,
    ]);
    expect(JSON.parse(python)).toEqual({ i8: ["int64", "-9223372036854775806"], u8: ["uint64", "18446744073709551614"] });
  });
});
