/**
 * End-to-end tests of the vz command on the sample netCDF4 file the repository ships
 * (examples/sample.nc, made by netCDF4-python). Values are checked against netCDF4-python
 * (Debian's /usr/bin/python3) when it is installed.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { vzIn } from "./cli-helpers.js";

const here = dirname(fileURLToPath(import.meta.url));
const sample = resolve(here, "../../../examples/sample.nc");
const python = "/usr/bin/python3";
const hasNetcdf4 = existsSync(python) && spawnSync(python, ["-c", "import netCDF4"]).status === 0;
const work = mkdtempSync(join(tmpdir(), "vz-cli-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const vz = vzIn(work);

function netcdf4Values(variable: string, slice = "[:]"): number[] {
  const script = `import netCDF4, json, numpy as np
with netCDF4.Dataset(${JSON.stringify(sample)}) as ds:
    v = ds.variables[${JSON.stringify(variable)}]
    v.set_auto_maskandscale(False)
    print(json.dumps(np.asarray(v${slice}).ravel().tolist()))`;
  return JSON.parse(execFileSync(python, ["-c", script], { encoding: "utf8" })) as number[];
}

describe("vz", () => {
  it("lists the parsers it ships with", async () => {
    const { code, out } = await vz("parsers", "--json");
    expect(code).toBe(0);
    const names = (JSON.parse(out) as { parsers: { name: string; package: string }[] }).parsers.map((p) => `${p.name}:${p.package}`);
    expect(names).toEqual(
      expect.arrayContaining(["hdf5:@vz/parser-hdf5", "tiff:@vz/parser-tiff", "kerchunk:@vz/parser-kerchunk", "netcdf3:@vz/parser-netcdf3", "dmrpp:@vz/parser-dmrpp", "zarr:@vz/parser-zarr"]),
    );
  });

  it("inspects the sample: variables, dims, codecs and chunk counts", async () => {
    const { code, out } = await vz("inspect", sample, "--json");
    expect(code).toBe(0);
    const report = JSON.parse(out) as { parser: string; arrays: { path: string; dims: string[]; dtype: string; chunks: number[]; codecs: string[]; chunkCount: number }[] };
    expect(report.parser).toBe("hdf5");
    const air = report.arrays.find((a) => a.path === "/air")!;
    expect(air).toMatchObject({ dims: ["time", "lat", "lon"], dtype: "<f4", chunks: [2, 3, 4], chunkCount: 12 });
    expect(air.codecs).toEqual(["bytes", "numcodecs.shuffle", "numcodecs.zlib"]);
    const table = await vz("inspect", sample);
    expect(table.out).toMatch(/\/precip\s+\(time, lat, lon\)\s+<i2\s+\(5, 6, 8\)\s+\(1, 6, 8\)/);
  });

  it.skipIf(!hasNetcdf4)("reads values through ManifestStore + zarrita equal to netCDF4-python's", async () => {
    const all = await vz("read", sample, "--var", "air", "--json");
    expect(all.code).toBe(0);
    const parsed = JSON.parse(all.out) as { shape: number[]; values: number[] };
    expect(parsed.shape).toEqual([5, 6, 8]);
    expect(parsed.values).toEqual(netcdf4Values("air"));
    const part = JSON.parse((await vz("read", sample, "--var", "precip", "--slice", "1:3,:,2", "--json")).out) as { shape: number[]; values: number[] };
    expect(part.shape).toEqual([2, 6]);
    expect(part.values).toEqual(netcdf4Values("precip", "[1:3, :, 2]"));
  });

  it("writes kerchunk JSON atomically and reads it back through the kerchunk parser", async () => {
    const output = join(work, "sample.json");
    const result = await vz("virtualize", sample, "-o", output);
    expect(result.code).toBe(0);
    expect(result.err).toContain("5 variables");
    const refs = JSON.parse(readFileSync(output, "utf8")) as { version: number; refs: Record<string, unknown> };
    expect(refs.version).toBe(1);
    expect(refs.refs["air/0.0.0"]).toEqual([expect.stringMatching(/^file:\/\/.*sample\.nc$/), expect.any(Number), expect.any(Number)]);
    // The references point at examples/, outside their own folder: refused until allowed.
    const refused = await vz("read", output, "--var", "air", "--json", "--parser", "kerchunk");
    expect(refused.code).toBe(1);
    expect(refused.err).toContain("URL_NOT_ALLOWED");
    expect(refused.out).toBe("");
    const back = await vz("read", output, "--var", "air", "--json", "--parser", "kerchunk", "--allow", dirname(sample));
    expect(back.code).toBe(0);
    const direct = await vz("read", sample, "--var", "air", "--json");
    expect(JSON.parse(back.out).values).toEqual(JSON.parse(direct.out).values);
  });

  it("writes kerchunk Parquet references that read back with the same values", async () => {
    const output = join(work, "sample.parq");
    expect((await vz("virtualize", sample, "--format", "parquet", "-o", output)).code).toBe(0);
    expect(existsSync(join(output, ".zmetadata"))).toBe(true);
    const back = await vz("read", output, "--var", "precip", "--json", "--allow", dirname(sample));
    expect(back.code).toBe(0);
    const direct = await vz("read", sample, "--var", "precip", "--json");
    expect(JSON.parse(back.out).values).toEqual(JSON.parse(direct.out).values);
  });

  it("fails with a typed error naming the file, and leaves no output behind", async () => {
    const broken = join(work, "broken.nc");
    writeFileSync(broken, readFileSync(sample).subarray(0, 3000));
    const output = join(work, "broken.json");
    const result = await vz("virtualize", broken, "-o", output, "--parser", "hdf5");
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/^vz: error \[PARSE_FAILED\]: .*broken\.nc/);
    expect(existsSync(output)).toBe(false);
    const missing = await vz("inspect", join(work, "nope.nc"));
    expect(missing.code).toBe(1);
    expect(missing.err).toContain("[NOT_FOUND]");
    expect(missing.err).toContain("nope.nc");
  });

  it("refuses an unknown parser name, listing the available ones", async () => {
    const result = await vz("inspect", sample, "--parser", "grib");
    expect(result.code).toBe(1);
    expect(result.err).toContain('no parser named "grib"; available: dmrpp, hdf5, kerchunk, netcdf3, tiff');
  });
});

describe.skipIf(!hasNetcdf4)("vz read on character arrays (needs netCDF4-python)", () => {
  it("prints a netCDF char variable's bytes as Python shows them, 0x80 included, dtype |S1", async () => {
    const file = join(work, "chars.nc");
    const script = `import netCDF4, numpy as np, sys
with netCDF4.Dataset(sys.argv[1], "w") as d:
    d.createDimension("n", 2)
    d.createDimension("len", 3)
    d.createVariable("name", "S1", ("n", "len"))[:] = np.array([b"a\\x80", b"b\\\\c"], dtype="S3").view("S1").reshape(2, 3)
with netCDF4.Dataset(sys.argv[1]) as d:
    v = d["name"]
    v.set_auto_chartostring(False)
    v.set_auto_mask(False)
    print(repr([bytes(b) for b in v[:].reshape(-1).tolist()]))`;
    const python = execFileSync("/usr/bin/python3", ["-c", script, file], { encoding: "utf8" }).trim();
    expect(python).toBe(String.raw`[b'a', b'\x80', b'', b'b', b'\\', b'c']`);
    const { code, out } = await vz("read", file, "--var", "name", "--json");
    expect(code).toBe(0);
    const result = JSON.parse(out) as { dtype: string; shape: number[]; values: string[] };
    expect(result.dtype).toBe("|S1");
    expect(result.shape).toEqual([2, 3]);
    // the same bytes as netCDF4-python's list above, in Python's escaping without b''
    expect(result.values).toEqual(["a", "\\x80", "", "b", "\\\\", "c"]);
  });
});
