/**
 * The @vz/core conformance kit (describeParser) on an in-memory DMR++ pair (always) and on real
 * DMR++ files of ../shared/data/dmrpp (when present), the data file given with the dataUrl option.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { MemoryReader } from "@vz/core";
import { toUrl } from "@vz/core/node";
import { describeParser, fuzzParser, type ParserCase } from "@vz/core/testing";
import { describe, expect, it } from "vitest";
import plugin from "../src/index.js";
import { DMRPP_DATA, HAVE_DMRPP_DATA } from "./helpers.js";
import { makeSyntheticPair } from "./synthetic.js";

const pair = makeSyntheticPair("synthetic.h5");
const reader = new MemoryReader({
  "memory://conformance/dir/synthetic.h5.dmrpp": new TextEncoder().encode(pair.dmrpp),
  "memory://conformance/dir/synthetic.h5": pair.data,
  "memory://conformance/dir/not-xml.dmrpp": new TextEncoder().encode("just text, no markup"),
  "memory://conformance/dir/other-root.dmrpp": new TextEncoder().encode('<?xml version="1.0"?><Group name="x"/>'),
});

const real = (file: string, expect: ParserCase["expect"] = {}): ParserCase => ({
  file: resolve(DMRPP_DATA, `${file}.dmrpp`),
  parserOptions: { dataUrl: toUrl(resolve(DMRPP_DATA, file)), onUnsupported: "skip" },
  expect,
});

describeParser({
  name: "dmrpp",
  plugin,
  packageJson: new URL("../package.json", import.meta.url),
  parserOptions: { onUnsupported: "skip" },
  cases: [
    {
      name: "synthetic.h5.dmrpp (in memory)",
      url: "memory://conformance/dir/synthetic.h5.dmrpp",
      reader,
      expect: {
        arrays: ["temp", "counts", "small", "lat", "cloud", "never_written", "words", "title", "names", ...Object.keys(pair.shapes).filter((p) => p.startsWith("g/"))],
        groups: ["g"],
        shapes: pair.shapes,
        chunkShapes: { temp: [2, 3], counts: [6] },
        dataTypes: { temp: "float32", counts: "uint16", cloud: "uint8", words: "string", "g/v_Int64": "int64" },
        // anonymous dimensions: per group, a phony_dim_<n> of the same size not yet used by the variable is reused
        dimensionNames: { temp: ["y", "x"], counts: ["phony_dim_0"], small: ["phony_dim_1", "phony_dim_2"], words: ["phony_dim_3", "phony_dim_1"], "g/anon": ["phony_dim_5", "phony_dim_6"] },
        attributes: { title: "synthetic", history: "made in a test", "meta.version": 3 },
        values: pair.values,
      },
    },
    { name: "not-xml.dmrpp", url: "memory://conformance/dir/not-xml.dmrpp", reader, expect: { error: "PARSE_FAILED" } },
    { name: "other-root.dmrpp", url: "memory://conformance/dir/other-root.dmrpp", reader, expect: { error: "PARSE_FAILED" } },
    ...(HAVE_DMRPP_DATA
      ? [
          real("dmrpp_module_dmrpp_chunked_shufzip_fourD.h5"),
          real("fileout_netcdf_nc4_group_atomic_comp.h5", { arrays: ["dim1", "d1", "g1/dim2", "g1/d2"], groups: ["g1"], dimensionNames: { "g1/d2": ["dim1", "dim2"] } }),
          real("dmrpp_module_fill_value_FValue_int64.h5"),
          real("dmrpp_module_string_arrays_chunked_fstr.h5"),
          real("dmrpp_module_h4_dmrpp_SDS_simple_comp.hdf", { arrays: ["SDS_simple_comp"], values: { SDS_simple_comp: [1, 2, 3, 4, 5, 6, 7, 8] } }),
          real("fileout_netcdf_grid_1_2d.hdf"),
          real("fileout_netcdf_t_cf_1dllzs.h5"),
        ]
      : []),
  ],
});

describe("mutation fuzzing", () => {
  it("truncated, flipped, inflated and spliced DMR++ documents parse or fail with a typed VzError", async () => {
    const files = [{ name: "synthetic.h5.dmrpp", bytes: new TextEncoder().encode(pair.dmrpp) }];
    if (HAVE_DMRPP_DATA) {
      for (const name of ["fileout_netcdf_nc4_group_atomic_comp.h5", "dmrpp_module_string_arrays_t_vl_string_1d.h5", "fileout_netcdf_grid_1_2d.hdf"]) {
        files.push({ name: `${name}.dmrpp`, bytes: new Uint8Array(readFileSync(resolve(DMRPP_DATA, `${name}.dmrpp`))) });
      }
    }
    const report = await fuzzParser({ plugin, files, cases: 600, seed: 7, timeoutMs: 5000, parserOptions: { onUnsupported: "skip" } });
    expect(report.failures).toEqual([]);
    expect(report.parsed + report.typedErrors).toBe(600);
  });
});
