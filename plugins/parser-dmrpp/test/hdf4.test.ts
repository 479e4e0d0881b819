/**
 * The HDF4 pairs of ../shared/data/dmrpp: the DMR++ is the only index vz has of these files.
 * Every array the DMR++ parser makes is read through ManifestStore + zarrita and compared, value
 * by value, with what the NCSA HDF4 library reads from the .hdf file (pyhdf, Debian's
 * python3-hdf4: SD for SDS datasets, VS for vdata fields; test/python/hdf4_values.py). Arrays the
 * OPeNDAP handler computed (HDF-EOS2 grid coordinates, stored in the DMR++ as
 * dmrpp:missingdata) have no HDF4 object; for them the size is checked against the HDF4
 * dimension record and the values against the cell centres computed from the grid's corners in
 * the file's StructMetadata.0. Variables vz cannot express must come out as the listed typed skips.
 * The raw buffer pair (numbers.bin) is checked against the file's own bytes.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { FileReader, toUrl } from "@vz/core/node";
import { readArrayThroughZarrita } from "@vz/core/testing";
import { describe, expect, it } from "vitest";
import { createDmrppParser } from "../src/index.js";
import { DMRPP_DATA, HAVE_DMRPP_DATA, missingPythonModules, NO_DATA_REASON, pairs, runPython } from "./helpers.js";

const missing = missingPythonModules(["pyhdf.SD", "pyhdf.VS"]);
const skip = !HAVE_DMRPP_DATA ? NO_DATA_REASON : missing.length > 0 ? `Python modules missing: ${missing.join(", ")} (Debian package python3-hdf4)` : false;

interface Oracle {
  sds: Record<string, { shape: number[]; values?: (number | string)[]; error?: string; fill?: number }>;
  vdata: { name: string; ref: number; fields?: Record<string, (number | string)[]> }[];
  eos_grids: Record<string, { XDim: number[]; YDim: number[] }>;
}

/** Variables the parser must skip, with the UnsupportedFeatureError feature. */
const SKIPPED: Record<string, Record<string, string>> = {
  "fileout_netcdf_PointFile.hdf": { "Simple_Point/Data_Vgroup/Sensor": "dap:structure" },
  "fileout_netcdf_vdata_linked_blocks.hdf": { Solid_Particle_Mass: "hdf4:linked-blocks" },
  "fileout_netcdf_vdata_test.hdf": { "vgroup/Test_Vset_Name": "dap:structure" },
};

/** Arrays the handler computed (no HDF4 object holds them): the HDF4 dimension record giving their size, and the HDF-EOS grid and axis. */
const COMPUTED: Record<string, Record<string, { dimension: string; grid: string; axis: "XDim" | "YDim" }>> = {
  "fileout_netcdf_grid_1_2d.hdf": {
    "GeoGrid/YDim_GeoGrid": { dimension: "YDim:GeoGrid", grid: "GeoGrid", axis: "YDim" },
    "GeoGrid/XDim_GeoGrid": { dimension: "XDim:GeoGrid", grid: "GeoGrid", axis: "XDim" },
  },
};

/**
 * The HDF4 values of a DMR++ array: an SDS of the same name, or vdata `V` field `F` named `V_F`
 * (or `V` when F = V). Several vdatas of one name (in different vgroups) are taken in reference
 * order, `occurrence` counting the DMR++ arrays of that name in document order.
 */
function oracleValues(oracle: Oracle, path: string, occurrence: number): (number | string)[] | undefined {
  const name = path.slice(path.lastIndexOf("/") + 1);
  const sds = oracle.sds[name];
  if (sds) return sds.values ?? (sds.fill !== undefined ? new Array<number>(sds.shape.reduce((a, b) => a * b, 1)).fill(sds.fill) : undefined);
  const matches: (number | string)[][] = [];
  for (const vdata of oracle.vdata) {
    for (const [field, values] of Object.entries(vdata.fields ?? {})) {
      if (`${vdata.name.replace(/\W/g, "_")}_${field}` === name || (vdata.name === name && field === name)) matches.push(values);
    }
  }
  return matches[occurrence];
}

describe.skipIf(Boolean(skip))(`HDF4 pairs: DMR++ values against the HDF4 library (pyhdf)${skip ? ` (skipped: ${skip})` : ""}`, () => {
  const files = pairs("hdf4");

  it("finds the 13 HDF4 pairs", () => {
    expect(files.length).toBe(13);
  });

  it.each(files)("%s", async (file) => {
    const store = await createDmrppParser({ dataUrl: toUrl(resolve(DMRPP_DATA, file)), onUnsupported: "skip" })(toUrl(resolve(DMRPP_DATA, `${file}.dmrpp`)), new FileReader());
    const oracle = JSON.parse(runPython([resolve(import.meta.dirname, "python/hdf4_values.py"), resolve(DMRPP_DATA, file)])) as Oracle;
    const skipped = Object.fromEntries(store.diagnostics.map((e) => [e.variable, (e as { feature?: string }).feature]));
    expect(skipped).toEqual(SKIPPED[file] ?? {});
    let checked = 0;
    const seen = new Map<string, number>();
    for (const [path] of store.group.walkArrays()) {
      const leaf = path.slice(path.lastIndexOf("/") + 1);
      const occurrence = seen.get(leaf) ?? 0;
      seen.set(leaf, occurrence + 1);
      const computed = COMPUTED[file]?.[path];
      const { values, shape } = await readArrayThroughZarrita(store, path);
      if (computed) {
        const dimension = oracle.vdata.find((v) => v.name === computed.dimension)?.fields?.Values;
        expect(dimension, `${path}: HDF4 dimension record ${computed.dimension}`).toBeDefined();
        expect(shape, `${path}: size of the handler-computed coordinate`).toEqual([dimension![0]]);
        const centres = oracle.eos_grids[computed.grid]?.[computed.axis];
        expect(centres, `${path}: grid ${computed.grid} in StructMetadata.0`).toBeDefined();
        expect(Array.from(values as Float64Array)).toEqual(centres);
        continue;
      }
      const expected = oracleValues(oracle, path, occurrence);
      expect(expected, `${path}: no SDS or vdata field of that name in ${file}`).toBeDefined();
      expect(values.length, `${path}: number of values`).toBe(expected!.length);
      for (let i = 0; i < expected!.length; i++) {
        const want = expected![i] === "NaN" ? Number.NaN : expected![i];
        const got = values[i];
        if (!(got === want || (Number.isNaN(got) && Number.isNaN(want)))) expect.fail(`${path}[${i}] is ${String(got)}, pyhdf reads ${String(want)}`);
      }
      checked++;
    }
    // every file yields something checked: values, a computed coordinate's size, or a typed skip
    expect(checked + Object.keys(COMPUTED[file] ?? {}).length + Object.keys(skipped).length).toBeGreaterThan(0);
  });
});

describe.skipIf(!HAVE_DMRPP_DATA)(`raw buffer pair (numbers.bin)${HAVE_DMRPP_DATA ? "" : ` (${NO_DATA_REASON})`}`, () => {
  it("reads the 24 bytes of the file", async () => {
    const file = "dmrpp_module_buffer_chunk_numbers.bin";
    const store = await createDmrppParser({ dataUrl: toUrl(resolve(DMRPP_DATA, file)) })(toUrl(resolve(DMRPP_DATA, `${file}.dmrpp`)), new FileReader());
    const { values } = await readArrayThroughZarrita(store, "num");
    expect(Array.from(values as Uint8Array)).toEqual(Array.from(readFileSync(resolve(DMRPP_DATA, file)).subarray(0, 24)));
  });
});
