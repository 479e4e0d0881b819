/**
 * Every HDF5 / netCDF4 file of /work/shared/data/{netcdf4,hdf5,hdf5_debian} against its oracle
 * (h5py 3.7 / HDF5 1.10.8 facts from make_oracle.py): per dataset the chunk manifest (count,
 * entries, sha256 of the canonical list), dtype / shape / chunks / fill value / dimension names,
 * attributes, and the values read back through ManifestStore + zarrita (sha256 of the
 * little-endian bytes, or of the JSON string list). Non-virtualizable datasets must come out as
 * a typed UnsupportedFeatureError naming the variable with the expected feature.
 */
import { execFile, execFileSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { promisify } from "node:util";
import path from "node:path";
import { FileReader, toUrl } from "@vz/core/node";
import * as zarr from "zarrita";
import { afterAll, describe, expect, it } from "vitest";
import { createHdf5Parser } from "../src/index.js";
import { checkStoreAgainstOracle, type FileResult } from "./oracle-check.js";
import { HAVE_SHARED_DATA, hdf5DataFiles, readOracle, SHARED_DATA } from "./oracle-helpers.js";

const FILES = hdf5DataFiles(["netcdf4", "hdf5", "hdf5_debian"]);
const results: FileResult[] = [];

describe.skipIf(!HAVE_SHARED_DATA)(`shared HDF5 / netCDF4 data in ${SHARED_DATA}${HAVE_SHARED_DATA ? "" : " (absent: skipped)"}`, () => {
  afterAll(() => {
    const lines = ["| file | datasets ok | values checked | phony names checked | netCDF dims dropped | unsupported (reason) | notes |", "|---|---|---|---|---|---|---|"];
    for (const r of results) {
      lines.push(`| ${r.file} | ${r.ok} | ${r.valuesChecked} | ${r.phonyChecked ?? 0} | ${r.dropped} | ${r.unsupported.join("; ") || "-"} | ${r.notes.join("; ") || ""} |`);
    }
    writeFileSync(path.join(process.env.TMPDIR ?? "/tmp", "vz-parser-hdf5-results.md"), `${lines.join("\n")}\n`);
  });

  it.each(FILES)("%s matches its oracle", async (file) => {
    const oracle = readOracle(file);
    const url = toUrl(path.join(SHARED_DATA, file));
    const store = await createHdf5Parser({ onUnsupported: "skip" })(url, new FileReader());
    const result = { file, ok: 0, valuesChecked: 0, dropped: 0, unsupported: [] as string[], notes: [] as string[] };
    results.push(result);
    await checkStoreAgainstOracle(store, oracle, url, result);
  });

  it("elink.h5: the external link is reported (link and target file named), not followed", async () => {
    const url = toUrl(path.join(SHARED_DATA, "hdf5_debian/elink.h5"));
    const store = await createHdf5Parser()(url, new FileReader());
    const diagnostic = store.diagnostics.find((d) => d.code === "UNSUPPORTED");
    expect(diagnostic?.message).toContain("pep/pep2");
    expect(diagnostic?.message).toContain("elink2.h5");
    expect(diagnostic?.message).toContain(url);
    expect([...store.group.walkArrays()]).toEqual([]);
    expect(store.group.resolve("pep/pep3")).toBeDefined();
  });

  const blosc = path.join(SHARED_DATA, "hdf5_debian/blosc_bigendian.h5");
  const havePyTables = (() => {
    try {
      execFileSync("/usr/bin/python3", ["-c", "import tables"], { stdio: "ignore" });
      return true;
    } catch {
      return false;
    }
  })();
  it.skipIf(!havePyTables || !existsSync(blosc))("blosc_bigendian.h5: values through zarrita's blosc equal PyTables' (h5py cannot read filter 32001)", async () => {
    const script = "import tables, json, sys\nf = tables.open_file(sys.argv[1])\nprint(json.dumps({n._v_pathname[1:]: n.read().tolist() for n in f.walk_nodes('/', 'Array')}))\nf.close()";
    const { stdout } = await promisify(execFile)("/usr/bin/python3", ["-c", script, blosc]);
    const expected = JSON.parse(stdout.split("\n")[0]!) as Record<string, number[]>;
    const store = await createHdf5Parser()(toUrl(blosc), new FileReader());
    expect(Object.keys(expected).sort()).toEqual([...store.group.arrays.keys()].sort());
    for (const [key, want] of Object.entries(expected)) {
      const array = await zarr.open(zarr.root(store as unknown as zarr.Readable).resolve(key), { kind: "array" });
      const got = await zarr.get(array);
      expect(Array.from(got.data as Iterable<number | bigint>, Number), key).toEqual(want);
    }
  });
});
