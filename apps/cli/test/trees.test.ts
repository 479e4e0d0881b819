/**
 * Groups and trees end to end: files with nested groups, 40 groups in dense link storage and the
 * grouped netCDF-4 files of ../shared/data are virtualized whole (every group), opened in Python
 * (xarray over fsspec's reference filesystem, one group at a time) and compared with netCDF4-python
 * or h5py reading the originals. Also: `--group`, `vz read --var g/sub/var`, a file without
 * variables, the kerchunk parser reading the tree back, trees of many files, and the `vds.vz`
 * operations (renamePaths, nbytes, nrefs, isel) checked against h5py's chunk index.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  formatCfTime,
  isVzError,
  type LoadedArray,
  type ManifestArray,
  openVirtualDataset,
  openVirtualDatatree,
  openVirtualMfdatatree,
  VirtualDatatree,
} from "@vz/core";
import { isVirtual } from "@vz/core/internal";
import { writeKerchunk } from "@vz/core/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliContext, createContext } from "../src/context.js";
import { run } from "../src/main.js";

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, "../../..");
const dataDir = resolve(repoRoot, "../shared/data");
const python = "/usr/bin/python3";
const compareTree = join(here, "interop", "compare_tree.py");
const fixtureScript = join(here, "interop", "tree-fixtures.py");

function pythonReady(): string | undefined {
  if (!existsSync(python)) return `${python} not found`;
  const probe = spawnSync(python, ["-c", "import xarray, fsspec, zarr, h5py, netCDF4, cftime"], { encoding: "utf8" });
  return probe.status === 0 ? undefined : `Debian python3 xarray/fsspec/zarr/h5py/netCDF4/cftime missing: ${probe.stderr.trim()}`;
}
const skipReason = pythonReady();

/** compare_tree.py's report: every variable of every group, and "@attrs" (the group's attributes) for netCDF. */
interface TreeComparison {
  groups_original: string[];
  groups_refs: string[];
  variables: { group: string; variable: string; ok: boolean; reason: string; n?: number }[];
}

function py(script: string, ...args: string[]): string {
  return execFileSync(python, ["-c", script, ...args], { encoding: "utf8", maxBuffer: 64 << 20, env: { ...process.env, PYTHONUTF8: "1" } });
}

function compare(refs: string, original: string, kind: "netcdf" | "hdf5", subtree?: string): TreeComparison {
  const stdout = execFileSync(python, [compareTree, refs, original, kind, ...(subtree ? [subtree] : [])], {
    encoding: "utf8",
    maxBuffer: 64 << 20,
    env: { ...process.env, PYTHONUTF8: "1" },
  });
  return JSON.parse(stdout) as TreeComparison;
}

function expectSameTree(result: TreeComparison): void {
  expect([...result.groups_refs].sort()).toEqual([...result.groups_original].sort());
  expect(result.variables.filter((v) => !v.ok)).toEqual([]);
  expect(result.variables.length).toBeGreaterThan(0);
}

describe.skipIf(Boolean(skipReason))(`trees: every group, read back by Python${skipReason ? ` (skipped: ${skipReason})` : ""}`, () => {
  const work = mkdtempSync(join(tmpdir(), "vz-trees-"));
  const fx = join(work, "fx");
  let context: CliContext;
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  beforeAll(async () => {
    execFileSync(python, [fixtureScript, fx], { encoding: "utf8" });
    context = await createContext({ cwd: work, out: () => {}, err: () => {} });
  });

  async function vz(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = "";
    let err = "";
    const code = await run(argv, { out: (t) => (out += t), err: (t) => (err += t), cwd: work });
    return { code, out, err };
  }

  it("writes nested netCDF-4 groups (/analysis/surface/tas, /analysis/station with vlen strings) that xarray opens group by group", async () => {
    const refs = join(work, "nested.json");
    const { code, err } = await vz("virtualize", join(fx, "nested.nc"), "-o", refs);
    expect(err).toContain("4 groups");
    expect(code).toBe(0);
    const result = compare(refs, join(fx, "nested.nc"), "netcdf");
    expectSameTree(result);
    expect(result.groups_original.sort()).toEqual(["", "analysis", "analysis/station", "analysis/surface"]);
    expect(result.variables.filter((v) => v.variable !== "@attrs").map((v) => `${v.group}/${v.variable}`).sort()).toEqual([
      "analysis/station/obs",
      "analysis/station/station_name",
      "analysis/surface/lat",
      "analysis/surface/lon",
      "analysis/surface/tas",
      "analysis/time",
    ]);
  });

  it("writes 40 groups held in dense link storage (fractal heap + v2 B-tree), each equal to h5py", async () => {
    const file = join(fx, "dense.h5");
    // Independent check that the root's links really are in dense storage: h5debug shows the
    // root object header's Link Info message with a defined fractal heap address and no Link messages.
    const rootAddress = py("import h5py,sys; print(h5py.h5o.get_info(h5py.File(sys.argv[1],'r').id).addr)", file).trim();
    const header = execFileSync("h5debug", [file, rootAddress], { encoding: "utf8" });
    const heap = /'Dense' link storage fractal heap address:\s+(\d+)/.exec(header);
    expect(heap).not.toBeNull();
    expect(heap![1]).not.toBe("18446744073709551615");
    expect(header).not.toMatch(/`link'/);

    const refs = join(work, "dense.json");
    const { code, err } = await vz("virtualize", file, "-o", refs);
    expect(code).toBe(0);
    expect(err).toContain("41 groups, 40 variables");
    const result = compare(refs, file, "hdf5");
    expectSameTree(result);
    expect(result.groups_refs).toHaveLength(41);
    expect(result.variables.filter((v) => v.ok && v.variable === "x")).toHaveLength(40);
    expect(result.variables.filter((v) => v.ok && v.variable === "@attrs")).toHaveLength(41);
  });

  const shared: [string, "netcdf" | "hdf5"][] = [
    ["netcdf4/GPM_3IMERGHH_bounds.nc4", "netcdf"],
    ["netcdf4/SC_SPL3SMP_009_prefetch.nc4", "netcdf"],
    ["netcdf4/ATL16_prefetch_group.nc4", "netcdf"],
    ["hdf5/ATL03_gt1l.h5", "hdf5"], // 54 groups, 80 arrays: xarray (undecoded) against h5py
    ["hdf5/ref_groups.h5", "hdf5"],
  ];
  it.each(shared)("writes every group of ../shared/data/%s (compared with %s)", async (name, kind) => {
    const file = join(dataDir, name);
    if (!existsSync(file)) {
      console.warn(`skipped: ${file} not found (../shared/data is not next to the repository)`);
      return;
    }
    const refs = join(work, `${name.replace("/", "_")}.json`);
    const { code, err } = await vz("virtualize", file, "-o", refs);
    expect(code, err).toBe(0);
    expect(err).not.toContain(" 0 variables");
    const result = compare(refs, file, kind);
    expectSameTree(result);
    expect(result.groups_original.length).toBeGreaterThan(1);
    // every dataset of the oracle (h5py's walk, netCDF's phony dimensions aside) is an array of the references
    const oracle = JSON.parse(readFileSync(`${file}.oracle.json`, "utf8")) as { hdf5: { datasets: Record<string, { netcdf_phony_dimension?: boolean }> } };
    const expected = Object.entries(oracle.hdf5.datasets)
      .filter(([, info]) => !info.netcdf_phony_dimension)
      .map(([path]) => path.slice(1))
      .sort();
    const written = Object.keys((JSON.parse(readFileSync(refs, "utf8")) as { refs: Record<string, unknown> }).refs)
      .filter((key) => key.endsWith("/.zarray"))
      .map((key) => key.slice(0, -"/.zarray".length))
      .sort();
    expect(written).toEqual(expected);
  });

  it("--group writes that subtree as the root", async () => {
    const refs = join(work, "surface.json");
    const { code } = await vz("virtualize", join(fx, "nested.nc"), "--group", "analysis/surface", "-o", refs);
    expect(code).toBe(0);
    const result = compare(refs, join(fx, "nested.nc"), "netcdf", "analysis/surface");
    expectSameTree(result);
    expect(result.groups_refs).toEqual([""]);
    expect(result.variables.map((v) => v.variable).sort()).toEqual(["@attrs", "lat", "lon", "tas"]);
    const missing = await vz("virtualize", join(fx, "nested.nc"), "--group", "analysis/nowhere", "-o", join(work, "nowhere.json"));
    expect(missing.code).toBe(1);
    // the hdf5 parser reads only the chosen group, so it is the one to say the group is not there
    expect(missing.err).toMatch(/^vz: error \[NOT_FOUND\]: .*nested\.nc.*no group "\/?analysis\/nowhere"/);
    expect(existsSync(join(work, "nowhere.json"))).toBe(false);
  });

  it("vz read --var group/sub/var equals h5py, from the file and from the written references", async () => {
    const oracle = JSON.parse(
      py(
        "import h5py,json,sys\nf=h5py.File(sys.argv[1],'r'); d=h5py.File(sys.argv[2],'r')\nprint(json.dumps({'tas': f['analysis/surface/tas'][()].ravel().tolist(), 'names': [s.decode() for s in f['analysis/station/station_name'][()]], 'x': d['g17/x'][()].tolist()}))",
        join(fx, "nested.nc"),
        join(fx, "dense.h5"),
      ),
    ) as { tas: number[]; names: string[]; x: number[] };
    for (const source of [join(fx, "nested.nc"), join(work, "nested.json")]) {
      if (!existsSync(source)) await vz("virtualize", join(fx, "nested.nc"), "-o", source);
      const tas = await vz("read", source, "--var", "analysis/surface/tas", "--json");
      expect(tas.code, tas.err).toBe(0);
      const parsed = JSON.parse(tas.out) as { shape: number[]; values: number[] };
      expect(parsed.shape).toEqual([4, 3, 5]);
      expect(parsed.values).toEqual(oracle.tas);
      const names = await vz("read", source, "--var", "/analysis/station/station_name", "--json");
      expect((JSON.parse(names.out) as { values: string[] }).values).toEqual(oracle.names);
    }
    // Parquet references of the whole tree, through the CLI both ways
    const parquet = join(work, "nested.parq");
    const written = await vz("virtualize", join(fx, "nested.nc"), "--format", "parquet", "-o", parquet);
    expect(written.code, written.err).toBe(0);
    const fromParquet = await vz("read", parquet, "--var", "analysis/surface/tas", "--json");
    expect(fromParquet.code, fromParquet.err).toBe(0);
    expect((JSON.parse(fromParquet.out) as { values: number[] }).values).toEqual(oracle.tas);
    const x = await vz("read", join(fx, "dense.h5"), "--var", "g17/x", "--json");
    expect((JSON.parse(x.out) as { values: number[] }).values).toEqual(oracle.x);
    const absent = await vz("read", join(fx, "nested.nc"), "--var", "analysis/tas");
    expect(absent.code).toBe(1);
    expect(absent.err).toContain("analysis/surface/tas"); // lists the variables that exist
  });

  it("refuses a file without variables with a typed error, exit 1 and no output", async () => {
    const output = join(work, "empty.json");
    const { code, err } = await vz("virtualize", join(fx, "empty.nc"), "-o", output);
    expect(code).toBe(1);
    expect(err).toMatch(/^vz: error \[NOT_FOUND\]: .*empty\.nc has no variables in any group/);
    expect(existsSync(output)).toBe(false);
    const parquet = await vz("virtualize", join(fx, "empty.nc"), "-o", join(work, "empty.parq"), "--format", "parquet");
    expect(parquet.code).toBe(1);
    expect(existsSync(join(work, "empty.parq"))).toBe(false);
    // every variable dropped: the same error, saying why
    const dropped = await vz("virtualize", join(fx, "dense.h5"), "--drop", "x", "-o", output);
    expect(dropped.code).toBe(1);
    expect(dropped.err).toMatch(/^vz: error \[NOT_FOUND\]: .*dense\.h5 has no variables in any group \(after --drop\)/);
    // every variable skipped as unsupported (a chunked compound dataset)
    const compound = join(dataDir, "hdf5_debian", "smpl_compound_chunked.h5");
    if (existsSync(compound)) {
      const skipped = await vz("virtualize", compound, "--skip-unsupported", "-o", output);
      expect(skipped.code).toBe(1);
      expect(skipped.err).toMatch(/^skipped CompoundChunked: \[UNSUPPORTED\]/m);
      expect(skipped.err).toMatch(/^vz: error \[NOT_FOUND\]: .*smpl_compound_chunked\.h5 has no variables in any group \(the parser reported 1 skipped item\(s\) above\)/m);
    }
    expect(existsSync(output)).toBe(false);
  });

  it("writes every group into Icechunk; nested variables read back as from the file", async () => {
    const repo = join(work, "nested-repo");
    const written = await vz("virtualize", join(fx, "nested.nc"), "--format", "icechunk", "-o", repo);
    expect(written.code, written.err).toBe(0);
    expect(written.err).toContain("4 groups");
    for (const name of ["analysis/surface/tas", "analysis/station/obs", "analysis/time"]) {
      const fromRepo = await vz("read", repo, "--var", name, "--json", "--allow", fx);
      expect(fromRepo.code, fromRepo.err).toBe(0);
      const fromFile = await vz("read", join(fx, "nested.nc"), "--var", name, "--json");
      expect(JSON.parse(fromRepo.out).values, name).toEqual(JSON.parse(fromFile.out).values);
    }
  });

  it("vz inspect shows the tree", async () => {
    const { code, out } = await vz("inspect", join(fx, "nested.nc"));
    expect(code).toBe(0);
    expect(out).toContain("4 group(s), 6 array(s)");
    expect(out).toMatch(/^ {2}analysis\/ {2}1 array\(s\): time/m);
    expect(out).toMatch(/^ {4}station\/ {2}2 array\(s\): station_name, obs|^ {4}station\/ {2}2 array\(s\): obs, station_name/m);
    expect(out).toMatch(/^ {4}surface\/ {2}3 array\(s\)/m);
    const bad = await vz("inspect", join(fx, "nested.nc"), "--group", "nope");
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/^vz: error \[NOT_FOUND\]: .*nested\.nc.*no group "\/?nope"/);
  });

  it("openVirtualDatatree: group starts the tree below the root; loadable and drop take plain names or paths", async () => {
    const url = pathToFileURL(join(fx, "nested.nc")).href;
    const tree = await openVirtualDatatree(url, {
      reader: context.reader,
      registry: context.registry,
      parser: "hdf5",
      group: "/analysis/",
      loadableVariables: ["surface/lat", "time"],
      dropVariables: ["obs"],
    });
    expect(tree.path).toBe("");
    expect([...tree.toMap().keys()]).toEqual(["", "station", "surface"]);
    expect([...tree.get("station")!.dataset.variables.keys()]).toEqual(["station_name"]);
    const surface = tree.get("surface")!.dataset;
    expect(isVirtual(surface.variables.get("lon")!)).toBe(true);
    const lat = surface.variables.get("lat")!.data as LoadedArray;
    const oracle = JSON.parse(py("import h5py,json,sys; print(json.dumps(h5py.File(sys.argv[1],'r')['analysis/surface/lat'][()].tolist()))", join(fx, "nested.nc"))) as number[];
    expect(Array.from(lat.values as Float64Array)).toEqual(oracle);
    expect(Array.from((tree.dataset.variables.get("time")!.data as LoadedArray).values as Int32Array)).toEqual([0, 6, 12, 18]);
    await expect(openVirtualDatatree(url, { reader: context.reader, registry: context.registry, parser: "hdf5", loadableVariables: ["nope"] })).rejects.toThrow(
      /nested\.nc: loadableVariables: no variable "nope" in any group/,
    );
  });

  it("the kerchunk parser reads the written tree back into the same tree (JSON and Parquet)", async () => {
    const url = pathToFileURL(join(fx, "nested.nc")).href;
    const original = await openVirtualDatatree(url, { reader: context.reader, registry: context.registry, parser: "hdf5", loadableVariables: [] });
    for (const format of ["json", "parquet"] as const) {
      const output = join(work, `nested-readback.${format}`);
      await writeKerchunk(original, output, { format });
      const back = await openVirtualDatatree(pathToFileURL(output).href, { reader: context.reader, registry: context.registry, parser: "kerchunk", loadableVariables: [] });
      expect([...back.toMap().keys()].sort()).toEqual([...original.toMap().keys()].sort());
      for (const [path, dataset] of original.toMap()) {
        const other = back.toMap().get(path)!;
        expect([...other.variables.keys()].sort(), path).toEqual([...dataset.variables.keys()].sort());
        expect(other.attrs).toMatchObject(Object.fromEntries(Object.entries(dataset.attrs).filter(([key]) => key !== "coordinates")));
        for (const [name, variable] of dataset.variables) {
          const theirs = other.variables.get(name)!;
          expect(theirs.dims, `${path}/${name}`).toEqual(variable.dims);
          expect((theirs.data as ManifestArray).manifest.equals((variable.data as ManifestArray).manifest), `${path}/${name}`).toBe(true);
        }
      }
    }
  });

  it("combines many files group by group (openVirtualMfdatatree and vz virtualize with several files)", async () => {
    const files = [0, 1].map((k) => join(fx, `granule_${k}.nc`));
    const tree = await openVirtualMfdatatree(files, { reader: context.reader, registry: context.registry, parser: "hdf5", combine: "nested", concatDim: "time" });
    expect([...tree.toMap().keys()]).toEqual(["", "analysis", "analysis/surface"]);
    expect(tree.get("analysis/surface")!.dataset.dims.get("time")).toBe(4);
    const refs = join(work, "granules.json");
    const { code, err } = await vz("virtualize", ...files, "--concat-dim", "time", "-o", refs);
    expect(code, err).toBe(0);
    const values = JSON.parse(
      py(
        `import xarray as xr, netCDF4, json, sys, numpy as np
sys.path.insert(0, sys.argv[4]); import compare_refs  # noqa: F401 (fsspec workaround)
kw = {"consolidated": False, "storage_options": {"fo": sys.argv[1], "remote_protocol": "file"}}
ours = xr.open_dataset("reference://", engine="zarr", group="analysis/surface", backend_kwargs=kw)
times = xr.open_dataset("reference://", engine="zarr", group="analysis", backend_kwargs=kw)
theirs = np.concatenate([netCDF4.Dataset(f)["analysis/surface/tas"][:] for f in sys.argv[2:4]])
t = np.concatenate([netCDF4.Dataset(f)["analysis/time"][:] for f in sys.argv[2:4]])
print(json.dumps({"same": bool(np.array_equal(ours.tas.values, theirs)), "time": times.time.values.astype("datetime64[h]").astype("int64").tolist(), "raw": t.tolist(), "lat": ours.lat.values.tolist()}))`,
        refs,
        files[0]!,
        files[1]!,
        join(here, "interop"),
      ),
    ) as { same: boolean; time: number[]; raw: number[]; lat: number[] };
    expect(values.same).toBe(true);
    expect(values.raw).toEqual([0, 6, 12, 18]);
    // decoded by xarray from the combined references: hours since 1970 of 2020-01-01T00, 06, 12, 18
    const base = Date.UTC(2020, 0, 1) / 3_600_000;
    expect(values.time).toEqual(values.raw.map((h) => base + h));
    expect(values.lat).toEqual([-10, 0, 10]);
  });

  it("combines decoded times by coordinates (openVirtualMfdataset, decodeTimes: true) and writes them back in the stored units", async () => {
    const { openVirtualMfdataset } = await import("@vz/core");
    const files = [1, 0].map((k) => join(fx, `granule_${k}.nc`)); // out of order: byCoords sorts by the decoded times
    const vds = await openVirtualMfdataset(files, { reader: context.reader, registry: context.registry, parser: "hdf5", group: "analysis", decodeTimes: true });
    const time = vds.variables.get("time")!;
    expect(Array.from((time.data as LoadedArray).values as BigInt64Array, (v) => formatCfTime(v, "standard"))).toEqual([
      "2020-01-01T00:00:00",
      "2020-01-01T06:00:00",
      "2020-01-01T12:00:00",
      "2020-01-01T18:00:00",
    ]);
    const refs = join(work, "decoded-combined.json");
    await writeKerchunk(vds, refs);
    const raw = JSON.parse(
      py(
        `import xarray as xr, sys, json
sys.path.insert(0, sys.argv[2]); import compare_refs  # noqa: F401
ds = xr.open_dataset("reference://", engine="zarr", decode_times=False, backend_kwargs={"consolidated": False, "storage_options": {"fo": sys.argv[1], "remote_protocol": "file"}})
print(json.dumps({"values": ds.time.values.tolist(), "dtype": str(ds.time.dtype), "units": ds.time.attrs["units"]}))`,
        refs,
        join(here, "interop"),
      ),
    ) as { values: number[]; dtype: string; units: string };
    expect(raw).toEqual({ values: [0, 6, 12, 18], dtype: "int32", units: "hours since 2020-01-01 00:00:00" });
  });

  it("refuses to combine files whose groups differ, naming the group and files", async () => {
    await expect(
      openVirtualMfdatatree([join(fx, "granule_0.nc"), join(fx, "nested.nc")], {
        reader: context.reader,
        registry: context.registry,
        parser: "hdf5",
        combine: "nested",
        concatDim: "time",
      }),
    ).rejects.toThrow(/file 2 of 2 .*nested\.nc.* group "analysis\/st/);
  });

  it("renamePaths relocates every chunk URL of every group; the moved file reads the same in xarray", async () => {
    const moved = join(work, "moved");
    mkdirSync(moved, { recursive: true });
    copyFileSync(join(fx, "nested.nc"), join(moved, "renamed.nc"));
    const tree = await openVirtualDatatree(pathToFileURL(join(fx, "nested.nc")).href, { reader: context.reader, registry: context.registry, parser: "hdf5" });
    const target = pathToFileURL(join(moved, "renamed.nc")).href;
    // VirtualiZarr's string form: one new path for every chunk
    const renamed = tree.renamePaths(target);
    for (const [, node] of renamed.walk()) {
      for (const variable of node.dataset.variables.values()) {
        if (isVirtual(variable)) expect(variable.data.manifest.urls.every((u) => u === target)).toBe(true);
      }
    }
    expect(renamed.nrefs).toBe(tree.nrefs);
    const refs = join(work, "renamed.json");
    await writeKerchunk(renamed, refs);
    const result = compare(refs, join(moved, "renamed.nc"), "netcdf");
    expectSameTree(result);
    const urls = new Set(
      Object.values((JSON.parse(readFileSync(refs, "utf8")) as { refs: Record<string, unknown> }).refs)
        .filter(Array.isArray)
        .map((r) => (r as string[])[0]),
    );
    expect([...urls]).toEqual([target]);

    // the function form and the CLI's prefix replacement
    const byFunction = tree.renamePaths((url) => url.replace(pathToFileURL(fx).href, pathToFileURL(moved).href).replace("nested.nc", "renamed.nc"));
    expect(((byFunction.get("analysis/surface")!.dataset.variables.get("tas")!.data) as ManifestArray).manifest.urls).toEqual([target]);
    copyFileSync(join(fx, "nested.nc"), join(moved, "nested.nc"));
    const cliRefs = join(work, "cli-renamed.json");
    const cli = await vz("virtualize", join(fx, "nested.nc"), "-o", cliRefs, "--rename-paths", `${fx}/=${pathToFileURL(moved).href}/`);
    expect(cli.code, cli.err).toBe(0);
    expectSameTree(compare(cliRefs, join(moved, "nested.nc"), "netcdf"));
    const cliUrls = new Set(
      Object.values((JSON.parse(readFileSync(cliRefs, "utf8")) as { refs: Record<string, unknown> }).refs)
        .filter(Array.isArray)
        .map((r) => (r as string[])[0]),
    );
    expect([...cliUrls]).toEqual([pathToFileURL(join(moved, "nested.nc")).href]);
    const wrong = await vz("virtualize", join(fx, "nested.nc"), "-o", join(work, "wrong.json"), "--rename-paths", "s3://elsewhere/=s3://b/");
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(/^vz: error \[INVALID_ARGUMENT\]: (group "[^"]+": )?--rename-paths: chunk URL file:.*nested\.nc does not start with s3:\/\/elsewhere\//);
    expect(existsSync(join(work, "wrong.json"))).toBe(false);
  });

  it("renamePaths with one string is refused for a variable whose chunks come from several files", async () => {
    const combined = await openVirtualMfdatatree([0, 1].map((k) => join(fx, `granule_${k}.nc`)), {
      reader: context.reader,
      registry: context.registry,
      parser: "hdf5",
      combine: "nested",
      concatDim: "time",
    });
    let error: unknown;
    try {
      combined.renamePaths("s3://bucket/one.nc");
    } catch (caught) {
      error = caught;
    }
    expect(isVzError(error, "INVALID_ARGUMENT")).toBe(true);
    expect((error as Error).message).toMatch(/group "analysis\/surface": .*variable "tas" references 2 files/);
  });

  it("nrefs and referencedBytes equal h5py's chunk index; nbytes counts references and loaded values (VirtualiZarr)", async () => {
    const file = join(fx, "dense.h5");
    const index = JSON.parse(
      py(
        `import h5py, json, sys
f = h5py.File(sys.argv[1], "r")
out = {}
def visit(name, obj):
    if isinstance(obj, h5py.Dataset):
        out[name] = [[c.chunk_offset[0], c.byte_offset, c.size] for c in (obj.id.get_chunk_info(i) for i in range(obj.id.get_num_chunks()))]
f.visititems(visit)
print(json.dumps(out))`,
        file,
      ),
    ) as Record<string, [number, number, number][]>;
    const tree = await openVirtualDatatree(pathToFileURL(file).href, { reader: context.reader, registry: context.registry, parser: "hdf5" });
    const chunks = Object.values(index).flat();
    expect(tree.nrefs).toBe(chunks.length);
    expect(tree.referencedBytes).toBe(chunks.reduce((n, [, , size]) => n + size, 0));
    expect(tree.get("g05")!.dataset.referencedBytes).toBe(index["g05/x"]!.reduce((n, [, , size]) => n + size, 0));

    // nbytes of loaded variables: the in-memory size numpy reports
    const surface = await openVirtualDataset(pathToFileURL(join(fx, "nested.nc")).href, {
      reader: context.reader,
      registry: context.registry,
      parser: "hdf5",
      group: "analysis/surface",
      dropVariables: ["tas"],
      loadableVariables: ["lat", "lon"],
    });
    const numpyBytes = Number(py("import h5py,sys; f=h5py.File(sys.argv[1],'r'); print(f['analysis/surface/lat'].nbytes + f['analysis/surface/lon'].nbytes)", join(fx, "nested.nc")));
    expect(surface.nbytes).toBe(numpyBytes);
    expect(surface.nrefs).toBe(0);
    // references: grows with the manifests, far below the referenced bytes for large chunks
    const virtual = tree.get("g05")!.dataset;
    const manifest = (virtual.variables.get("x")!.data as ManifestArray).manifest;
    expect(virtual.nbytes).toBe(manifest.byteSize);
  });

  it("isel slices along chunk boundaries: the manifest equals h5py's chunk index and xarray reads the same values", async () => {
    const url = pathToFileURL(join(fx, "nested.nc")).href;
    const vds = await openVirtualDataset(url, { reader: context.reader, registry: context.registry, parser: "hdf5", group: "analysis/surface" });
    const index = JSON.parse(
      py(
        `import h5py, json, sys
d = h5py.File(sys.argv[1], "r")["analysis/surface/tas"]
print(json.dumps([[list(c.chunk_offset), c.byte_offset, c.size] for c in (d.id.get_chunk_info(i) for i in range(d.id.get_num_chunks()))]))`,
        join(fx, "nested.nc"),
      ),
    ) as [number[], number, number][];
    const selected = vds.isel({ time: [2, 4] });
    const tas = selected.variables.get("tas")!.data as ManifestArray;
    expect(tas.shape).toEqual([2, 3, 5]);
    expect(tas.manifest.shape).toEqual([1, 1, 1]);
    const expected = index.find(([offset]) => offset[0] === 2)!;
    expect(tas.manifest.get([0, 0, 0])).toEqual({ url, offset: expected[1], length: expected[2] });
    // loaded coordinates are sliced in memory, any range
    const lon = selected.drop(["tas"]).isel({ lon: [1, 3] }).variables.get("lon")!.data as LoadedArray;
    expect(Array.from(lon.values as Float64Array)).toEqual([90, 180]);

    const refs = join(work, "isel.json");
    await writeKerchunk(selected, refs);
    const same = py(
      `import xarray as xr, netCDF4, sys, numpy as np
sys.path.insert(0, sys.argv[3]); import compare_refs  # noqa: F401 (fsspec workaround)
ours = xr.open_dataset("reference://", engine="zarr", backend_kwargs={"consolidated": False, "storage_options": {"fo": sys.argv[1], "remote_protocol": "file"}})
theirs = xr.open_dataset(sys.argv[2], engine="netcdf4", group="analysis/surface").isel(time=slice(2, 4))
print(bool(np.array_equal(ours.tas.values, theirs.tas.values, equal_nan=True)) and ours.tas.shape == (2, 3, 5))`,
      refs,
      join(fx, "nested.nc"),
      join(here, "interop"),
    ).trim();
    expect(same).toBe("True");

    // a selection off the chunk grid is a typed error naming variable, dimension and boundary
    let error: unknown;
    try {
      vds.isel({ time: [1, 3] });
    } catch (caught) {
      error = caught;
    }
    expect(isVzError(error, "INVALID_ARGUMENT")).toBe(true);
    expect((error as Error).message).toMatch(/variable "tas" cannot be selected along dimension "time" with start 1: 1 is not a chunk boundary; boundaries are 0, 2 \(chunks of 2\) and the end 4/);
    expect(() => vds.isel({ time: 1 })).toThrow(/integer along dimension "time": its chunks there are 2 long/);
    expect(() => vds.isel({ depth: [0, 1] })).toThrow(/dimension "depth" does not exist/);

    // dense.h5: chunks of 5 along 12 elements; [5, 12) ends at the array's end
    const tree = await openVirtualDatatree(pathToFileURL(join(fx, "dense.h5")).href, { reader: context.reader, registry: context.registry, parser: "hdf5" });
    const g = tree.get("g03")!.dataset;
    const dim = g.variables.get("x")!.dims[0]!;
    const tail = tree.isel({ [dim]: { start: 5, stop: 12 } }).get("g03")!.dataset.variables.get("x")!.data as ManifestArray;
    const chunks = JSON.parse(
      py("import h5py,json,sys; d=h5py.File(sys.argv[1],'r')['g03/x']; print(json.dumps([[c.byte_offset, c.size] for c in (d.id.get_chunk_info(i) for i in range(d.id.get_num_chunks()))]))", join(fx, "dense.h5")),
    ) as [number, number][];
    expect([0, 1].map((i) => tail.manifest.get([i]))).toEqual(chunks.slice(1).map(([offset, length]) => ({ url: pathToFileURL(join(fx, "dense.h5")).href, offset, length })));
  });

  it("decodeTimes: true decodes loaded CF times as cftime/xarray do; false keeps the raw numbers", async () => {
    const file = join(fx, "times.nc");
    const url = pathToFileURL(file).href;
    const names = ["t_standard", "t_noleap", "t_360", "t_julian", "t_float", "t_fill", "t_missing"];
    const oracle = JSON.parse(
      py(
        `import netCDF4, cftime, json, sys, numpy as np, xarray as xr
out = {}
with netCDF4.Dataset(sys.argv[1]) as nc:
    for name in sys.argv[2:]:
        v = nc[name]
        v.set_auto_mask(True)
        data = v[:]
        dates = cftime.num2date(data, v.units, getattr(v, "calendar", "standard"), only_use_cftime_datetimes=True)
        mask = np.ma.getmaskarray(data).ravel()
        iso = [None if m else d.isoformat() for d, m in zip(np.ma.getdata(dates).ravel(), mask)]
        raw = nc[name]
        raw.set_auto_maskandscale(False)
        out[name] = {"iso": iso, "raw": np.asarray(raw[:]).tolist(), "units": v.units}
ds = xr.open_dataset(sys.argv[1])
out["ns"] = {n: ds[n].values.astype("int64").tolist() for n in ("t_standard", "t_float")}
print(json.dumps(out))`,
        file,
        ...names,
      ),
    ) as Record<string, { iso: (string | null)[]; raw: number[]; units: string }> & { ns: Record<string, number[]> };

    const decoded = await openVirtualDataset(url, { reader: context.reader, registry: context.registry, parser: "hdf5", decodeTimes: true });
    for (const name of names) {
      const variable = decoded.variables.get(name)!;
      const encoding = variable.encoding!.cfTime as { units: string; calendar: string };
      expect(encoding.units, name).toBe(oracle[name]!.units);
      expect(variable.attrs.units, name).toBeUndefined();
      const values = (variable.data as LoadedArray).values as BigInt64Array;
      const iso = Array.from(values, (v) => formatCfTime(v, encoding.calendar as never));
      expect(iso, name).toEqual(oracle[name]!.iso.map((s) => s ?? "NaT"));
    }
    for (const name of ["t_standard", "t_float"]) {
      expect(Array.from((decoded.variables.get(name)!.data as LoadedArray).values as BigInt64Array, Number), name).toEqual(oracle.ns[name]);
    }

    const raw = await openVirtualDataset(url, { reader: context.reader, registry: context.registry, parser: "hdf5", decodeTimes: false });
    for (const name of names) {
      const variable = raw.variables.get(name)!;
      expect(variable.attrs.units, name).toBe(oracle[name]!.units);
      expect(Array.from((variable.data as LoadedArray).values as ArrayLike<number | bigint>, Number), name).toEqual(oracle[name]!.raw);
    }

    // written references carry the original encoding: xarray decodes them to the original's values
    const refs = join(work, "times.json");
    await writeKerchunk(decoded, refs);
    const same = py(
      `import xarray as xr, sys, numpy as np, json, pandas as pd
def eq(a, b):
    return bool(a.shape == b.shape and ((pd.isnull(a) & pd.isnull(b)) | (a == b)).all())
ours = xr.open_dataset("reference://", engine="zarr", backend_kwargs={"consolidated": False, "storage_options": {"fo": sys.argv[1], "remote_protocol": "file"}})
theirs = xr.open_dataset(sys.argv[2])
raw = xr.open_dataset("reference://", engine="zarr", decode_times=False, backend_kwargs={"consolidated": False, "storage_options": {"fo": sys.argv[1], "remote_protocol": "file"}})
orig = xr.open_dataset(sys.argv[2], decode_times=False)
print(json.dumps({n: [eq(ours[n].values, theirs[n].values), str(raw[n].dtype) == str(orig[n].dtype), bool(np.array_equal(raw[n].values, orig[n].values, equal_nan=True))] for n in sys.argv[3:]}))`,
      refs,
      file,
      ...names,
    );
    expect(JSON.parse(same)).toEqual(Object.fromEntries(names.map((n) => [n, [true, true, true]])));

    // missing_value comes back as missing_value; packed times (scale_factor) are refused, not decoded wrongly
    expect(JSON.parse(readFileSync(refs, "utf8")).refs["t_missing/.zattrs"]).toContain('"missing_value":-999');
    await expect(
      openVirtualDataset(pathToFileURL(join(fx, "packed_time.nc")).href, { reader: context.reader, registry: context.registry, parser: "hdf5", decodeTimes: true }),
    ).rejects.toThrow(/packed_time\.nc: time variable "time": has time units and scale_factor\/add_offset \(packed times\); open it with decodeTimes: false/);

    // the Icechunk writer encodes them back too: vz read of the repository gives the stored numbers
    const { writeIcechunk } = await import("@vz/icechunk");
    const repo = join(work, "times-repo");
    await writeIcechunk(decoded, { location: repo, reader: context.reader });
    for (const name of names) {
      const read = await vz("read", repo, "--var", name, "--json", "--allow", fx);
      expect(read.code, read.err).toBe(0);
      expect((JSON.parse(read.out) as { values: (number | string)[] }).values.map(Number), name).toEqual(oracle[name]!.raw);
    }
  });
});

describe("VirtualDatatree", () => {
  it("builds from a flat map (\"\" root, \"a/b\" nested) and re-roots subtrees", async () => {
    const { VirtualDataset } = await import("@vz/core");
    const a = new VirtualDataset({ attrs: { name: "a" } });
    const ab = new VirtualDataset({ attrs: { name: "ab" } });
    const tree = VirtualDatatree.fromMap(new Map([["/a/b/", ab], ["a", a]]));
    expect([...tree.toMap().keys()]).toEqual(["", "a", "a/b"]);
    expect(tree.get("a/b")!.path).toBe("a/b");
    expect(tree.get("a/b")!.name).toBe("b");
    const sub = tree.subtree("a");
    expect([...sub.toMap().keys()]).toEqual(["", "b"]);
    expect(sub.get("b")!.dataset.attrs.name).toBe("ab");
    expect(() => tree.subtree("zz")).toThrow(/no group "zz"/);
    expect(() => VirtualDatatree.fromMap(new Map([["", a], ["/", ab]]))).toThrow(/given twice/);
  });
});
