/**
 * Interop: for a few HDF5 / netCDF-4 pairs, vz parses the DMR++, writes kerchunk JSON for every
 * group (toKerchunkTree), and Python xarray (fsspec reference filesystem + zarr) opens it with the
 * values h5py reads from the HDF5 file itself (test/python/compare_h5py.py).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { kerchunkToJson, toKerchunkTree, toVirtualDataset, type VirtualDataset } from "@vz/core";
import { FileReader, toUrl } from "@vz/core/node";
import { describe, expect, it } from "vitest";
import { createDmrppParser } from "../src/index.js";
import { DMRPP_DATA, HAVE_DMRPP_DATA, missingPythonModules, NO_DATA_REASON, runPython } from "./helpers.js";

const missing = missingPythonModules(["h5py", "xarray", "fsspec", "zarr", "numpy"]);
const skip = !HAVE_DMRPP_DATA ? NO_DATA_REASON : missing.length > 0 ? `Python modules missing: ${missing.join(", ")}` : false;
const out = mkdtempSync(join(tmpdir(), "vz-dmrpp-interop-"));

const FILES = [
  "dmrpp_module_dmrpp_chunked_shufzip_fourD.h5", // shuffle + deflate, 4-D
  "dmrpp_module_dmrpp_chunked_oneD_uneven.h5", // partial edge chunk
  "fileout_netcdf_nc4_group_atomic_comp.h5", // groups, netCDF-4 dimensions
  // (no fletcher32 file: Debian's numcodecs 0.11 has no fletcher32 codec; vz's zarrita codec reads them, see hdf5-pairs)
  "fileout_netcdf_Two_chunks_shuf_deflate.h5", // two chunks, shuffle + deflate
  "fileout_netcdf_One_chunk_shuf_2deflates.h5", // deflate twice
  "fileout_netcdf_Three_chunks_partial_shuf_deflate.h5", // partial chunks
  // (not FValue_chunk.h5: its fill time is H5D_FILL_TIME_NEVER, so h5py reads its unwritten chunks
  // as 0 while the DMR++'s fillValue (-99) is what Zarr readers return for missing chunks)
  "dmrpp_module_dmrpp_t_scalar_dset_float_be.h5", // big-endian scalar
  "fileout_netcdf_compact_example.h5", // compact storage inlined
  "dmrpp_module_string_arrays_chunked_fstr.h5", // fixed-length strings read at parse time
];

describe.skipIf(Boolean(skip))(`kerchunk JSON from a DMR++ opens in xarray with h5py's values${skip ? ` (skipped: ${skip})` : ""}`, () => {
  it.each(FILES)("%s", async (file) => {
    const store = await createDmrppParser({ dataUrl: toUrl(resolve(DMRPP_DATA, file)) })(toUrl(resolve(DMRPP_DATA, `${file}.dmrpp`)), new FileReader());
    const datasets = new Map<string, VirtualDataset>();
    for (const [path] of store.group.walkGroups()) datasets.set(path, await toVirtualDataset(store, { group: path, loadableVariables: [] }));
    const refs = join(out, `${file}.json`);
    writeFileSync(refs, kerchunkToJson(toKerchunkTree(datasets)));
    const report = JSON.parse(runPython([resolve(import.meta.dirname, "python/compare_h5py.py"), resolve(DMRPP_DATA, file), refs])) as {
      variables: number;
      problems: string[];
    };
    expect(report.problems).toEqual([]);
    expect(report.variables).toBe([...store.group.walkArrays()].length);
  });
});
