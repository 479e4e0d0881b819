/**
 * netCDF `char` variables (fixed-length bytes, `|S1`) through an Icechunk repository: the
 * repository holds zarr-python 3.1's data type for them (`null_terminated_bytes` with
 * `length_bytes`, base64 fill value), and `vz read` of the repository gives the values `vz read`
 * gives for the original file and netCDF4-python gives for the variable (Debian's python3).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importIcechunk } from "../src/icechunk.js";

const here = dirname(fileURLToPath(import.meta.url));
const bin = resolve(here, "../dist/bin.js");
const python = "/usr/bin/python3";
const hasPython = existsSync(python) && spawnSync(python, ["-c", "import netCDF4"]).status === 0;
const skip = !existsSync(bin) ? `${bin} is not built (pnpm build)` : !hasPython ? "Debian's python3 with netCDF4 is needed to generate the file" : undefined;
if (skip) console.warn(`skipping the Icechunk char-array tests: ${skip}`);
const work = mkdtempSync(join(tmpdir(), "vz-cli-icechunk-chars-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function vz(...args: string[]): { code: number | null; out: string; err: string } {
  const env: Record<string, string | undefined> = { ...process.env };
  delete env.LD_PRELOAD;
  const result = spawnSync(process.execPath, [bin, ...args], { cwd: work, env, encoding: "utf8", timeout: 120_000 });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

describe.skipIf(Boolean(skip))("netCDF char arrays in an Icechunk repository", () => {
  let oracle: { names: string[]; flag: string[] };
  beforeAll(() => {
    oracle = JSON.parse(
      execFileSync(python, ["-c", `import netCDF4, numpy as np, json
path = ${JSON.stringify(join(work, "chars.nc"))}
with netCDF4.Dataset(path, "w") as ds:
    ds.createDimension("n", 3); ds.createDimension("strlen", 5)
    v = ds.createVariable("names", "S1", ("n", "strlen"))
    v[:] = netCDF4.stringtochar(np.array(["ab", "cdefg", "x"], dtype="S5"))
    f = ds.createVariable("flag", "S1", ("n",), fill_value=b"-")
    f[:] = np.array([b"y", b"n", b"y"])
    t = ds.createVariable("t", "i4", ("n",)); t[:] = [1, 2, 3]
with netCDF4.Dataset(path) as ds:
    out = {}
    for name in ["names", "flag"]:
        var = ds.variables[name]; var.set_auto_chartostring(False); var.set_auto_mask(False)
        out[name] = [b.decode("latin-1") for b in np.ravel(var[:])]
    print(json.dumps(out))`], { encoding: "utf8" }),
    );
  });

  it("virtualize --format icechunk then vz read gives the original's values (and netCDF4-python's)", () => {
    const written = vz("virtualize", "chars.nc", "--format", "icechunk", "-o", "repo");
    expect(written.code, written.err).toBe(0);
    for (const name of ["names", "flag"] as const) {
      const original = vz("read", "chars.nc", "--var", name, "--json");
      expect(original.code, original.err).toBe(0);
      const fromRepo = vz("read", "repo", "--var", name, "--json", "--allow", ".");
      expect(fromRepo.code, fromRepo.err).toBe(0);
      expect(JSON.parse(fromRepo.out)).toEqual(JSON.parse(original.out));
      expect(JSON.parse(fromRepo.out).dtype).toBe("|S1");
      expect(JSON.parse(fromRepo.out).values).toEqual(oracle[name]);
    }
  });

  it("the repository names zarr-python 3.1's null_terminated_bytes data type, fill value base64", async () => {
    const { openRepository } = await importIcechunk("test");
    const { store } = await openRepository({ location: join(work, "repo"), cwd: work, allowedPrefixes: [`file://${work}/`] });
    const document = async (key: string) => JSON.parse(new TextDecoder().decode((await store.get(key))!)) as Record<string, unknown>;
    const names = await document("names/zarr.json");
    expect(names.data_type).toEqual({ name: "null_terminated_bytes", configuration: { length_bytes: 1 } });
    expect(names.fill_value).toBe(""); // b"" (numpy reads S1 b"\\x00" as b"" too): no _FillValue
    const flag = await document("flag/zarr.json");
    expect(flag.data_type).toEqual({ name: "null_terminated_bytes", configuration: { length_bytes: 1 } });
    expect(flag.fill_value).toBe(btoa("-"));
    expect((await document("t/zarr.json")).data_type).toBe("int32");
  });
});
