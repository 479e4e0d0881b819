/**
 * The `vz` binary with Icechunk, run as child processes without LD_PRELOAD (on glibc < 2.38 the
 * CLI must load the native binding by itself): write air.nc into a repository, read it back with
 * the trust rule (`--allow`), a repository holding its own data, nested groups — values compared
 * with the h5py oracle (../shared/data/*.oracle.json) and with h5py on generated files.
 */
import { createHash } from "node:crypto";
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { isVzError } from "@vz/core";
import { afterAll, describe, expect, it } from "vitest";
import { importIcechunk } from "../src/icechunk.js";

const here = dirname(fileURLToPath(import.meta.url));
const bin = resolve(here, "../dist/bin.js");
const dataDir = resolve(here, "../../../../shared/data");
const airPath = join(dataDir, "netcdf4", "air.nc");
const python = "/usr/bin/python3";
const hasH5py = existsSync(python) && spawnSync(python, ["-c", "import netCDF4, h5py"]).status === 0;
const skip = !existsSync(bin) ? `${bin} is not built (pnpm build)` : !existsSync(dataDir) ? `no shared data at ${dataDir}` : undefined;
const work = mkdtempSync(join(tmpdir(), "vz-cli-icechunk-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs `node dist/bin.js ...` in `work` with LD_PRELOAD removed from the environment. */
function vz(...args: string[]): { code: number | null; out: string; err: string } {
  const env: Record<string, string | undefined> = { ...process.env };
  delete env.LD_PRELOAD;
  const result = spawnSync(process.execPath, [bin, ...args], { cwd: work, env, encoding: "utf8", timeout: 120_000 });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

function sha256Int16(values: number[]): string {
  return createHash("sha256").update(new Uint8Array(Int16Array.from(values).buffer)).digest("hex");
}
function airOracle(): { shape: number[]; sha256_le: string } {
  return JSON.parse(readFileSync(`${airPath}.oracle.json`, "utf8")).hdf5.datasets["/air"].values;
}

describe.skipIf(Boolean(skip))(`vz with Icechunk, as a child process without LD_PRELOAD${skip ? ` (skipped: ${skip})` : ""}`, () => {
  it("virtualize --format icechunk, then read --allow <data folder> gives h5py's values; without --allow a typed error", () => {
    const written = vz("virtualize", airPath, "--format", "icechunk", "-o", "air-repo");
    expect(written.err).toMatch(/^committed [0-9A-Z]{20} to .*air-repo \(branch main\): 1 group, 4 arrays, 1 virtual refs/);
    expect(written.code).toBe(0);

    const read = vz("read", "air-repo", "--var", "air", "--json", "--allow", dataDir);
    expect(read.err.replace(/^raw stored values: .*\n/m, "")).toBe(""); // only the note that packed values are printed raw
    expect(read.code).toBe(0);
    const parsed = JSON.parse(read.out) as { shape: number[]; values: number[] };
    expect(parsed.shape).toEqual(airOracle().shape);
    expect(sha256Int16(parsed.values)).toBe(airOracle().sha256_le);

    const refused = vz("read", "air-repo", "--var", "air", "--json");
    expect(refused.code).toBe(1);
    expect(refused.out).toBe("");
    const container = `${pathToFileURL(dirname(airPath)).href}/`;
    expect(refused.err).toContain("vz: error [URL_NOT_ALLOWED]");
    expect(refused.err).toContain(`container ${container}`);
    expect(refused.err).toContain(`Icechunk repository ${join(work, "air-repo")}`);
    expect(refused.err).toContain(`allowed places (${pathToFileURL(join(work, "air-repo")).href}/)`);
    expect(refused.err).toContain(`--allow ${container}`);
    expect(refused.err).toContain('"allow" in vz.config.json');
    expect(refused.err).not.toMatch(/\n\s+at /); // no stack trace

    // The exact flag the message suggests works.
    const suggested = vz("read", "air-repo", "--var", "air", "--slice", "0,0,0:4", "--json", "--allow", container);
    expect(suggested.code).toBe(0);
    expect((JSON.parse(suggested.out) as { values: number[] }).values).toEqual(parsed.values.slice(0, 4));
  });

  it("a repository whose data sits inside the repository folder reads with no flag", () => {
    const repo = join(work, "self-contained");
    mkdirSync(join(repo, "data"), { recursive: true });
    copyFileSync(airPath, join(repo, "data", "air.nc"));
    expect(vz("virtualize", join(repo, "data", "air.nc"), "--format", "icechunk", "-o", repo).code).toBe(0);
    const read = vz("read", repo, "--var", "air", "--json");
    expect(read.err.replace(/^raw stored values: .*\n/m, "")).toBe(""); // only the note that packed values are printed raw
    expect(sha256Int16((JSON.parse(read.out) as { values: number[] }).values)).toBe(airOracle().sha256_le);
  });

  it("a source file replaced after virtualization is a typed read error, not a crash", () => {
    const folder = join(work, "changing");
    mkdirSync(folder, { recursive: true });
    const copy = join(folder, "air.nc");
    copyFileSync(airPath, copy);
    expect(vz("virtualize", copy, "--format", "icechunk", "-o", "changing-repo").code).toBe(0);
    expect(vz("read", "changing-repo", "--var", "air", "--slice", "0,0,0", "--allow", folder).code).toBe(0);
    const later = new Date(Date.now() + 120_000);
    utimesSync(copy, later, later);
    const read = vz("read", "changing-repo", "--var", "air", "--slice", "0,0,0", "--allow", folder);
    expect(read.code).toBe(1);
    expect(read.err).toMatch(/^vz: error \[READ_FAILED\]: Icechunk repository .*changing-repo: cannot read "\/?air\/c\/0\/0\/0": .*checksum/);
    expect(read.err).not.toMatch(/\n\s+at /);
  });

  it("a missing variable is a typed error naming the repository and the variable", () => {
    const read = vz("read", "air-repo", "--var", "nope", "--allow", dataDir);
    expect(read.code).toBe(1);
    expect(read.err).toContain('vz: error [INVALID_ARGUMENT]: vz read: no array "nope" in the Icechunk repository');
  });

  it("a folder that is no repository is a typed error, for writing and for reading", () => {
    const broken = join(work, "broken");
    mkdirSync(broken, { recursive: true });
    writeFileSync(join(broken, "repo"), "not an icechunk file");
    const written = vz("virtualize", airPath, "--format", "icechunk", "-o", broken);
    expect(written.code).toBe(1);
    expect(written.err).toMatch(new RegExp(`^vz: error \\[WRITE_FAILED\\]: writeIcechunk: cannot open or create the Icechunk repository at ${broken}: `));
    expect(written.err).not.toMatch(/\n\s+at /);
    const empty = join(work, "empty");
    mkdirSync(empty, { recursive: true });
    const read = vz("read", empty, "--var", "air");
    expect(read.code).toBe(1);
    expect(read.err).toBe(`vz: error [NOT_FOUND]: no Icechunk repository at ${empty}\n`);
  });

  it.skipIf(!hasH5py)("writes the whole group tree of a nested netCDF4 file; read --var g/sub/v equals h5py", () => {
    const folder = join(work, "nested-data");
    mkdirSync(folder, { recursive: true });
    const file = join(folder, "nested.nc");
    execFileSync(python, [
      "-c",
      `import netCDF4, numpy as np
with netCDF4.Dataset(${JSON.stringify(file)}, "w") as ds:
    ds.createDimension("x", 5)
    r = ds.createVariable("r", "i4", ("x",)); r[:] = np.arange(5) * 7
    g = ds.createGroup("g"); g.createDimension("y", 3)
    u = g.createVariable("u", "f4", ("y", "x"), zlib=True, chunksizes=(2, 2)); u[:] = np.arange(15, dtype="f4").reshape(3, 5) / 8
    s = g.createGroup("sub")
    v = s.createVariable("v", "f8", ("x",), zlib=True, shuffle=True); v[:] = np.sqrt(np.arange(5) + 0.5)`,
    ]);
    const written = vz("virtualize", file, "--format", "icechunk", "-o", "nested-repo");
    expect(written.code).toBe(0);
    expect(written.err).toContain("3 groups");
    for (const variable of ["r", "g/u", "g/sub/v"]) {
      const read = vz("read", "nested-repo", "--var", variable, "--json", "--allow", folder);
      expect(read.err.replace(/^raw stored values: .*\n/m, ""), variable).toBe("");
      const got = JSON.parse(read.out) as { shape: number[]; values: number[] };
      const expected = JSON.parse(
        execFileSync(python, ["-c", `import h5py, json, numpy as np\nd = h5py.File(${JSON.stringify(file)}, "r")[${JSON.stringify(`/${variable}`)}]\nprint(json.dumps({"shape": list(d.shape), "values": np.asarray(d[()]).ravel().tolist()}))`], { encoding: "utf8" }),
      ) as { shape: number[]; values: number[] };
      expect(got.shape, variable).toEqual(expected.shape);
      expect(got.values, variable).toEqual(expected.values);
    }
  });
});

describe("Icechunk as an optional extra", () => {
  it("without @vz/icechunk installed, --format icechunk is a typed error with the install command", async () => {
    // The real "package not found" error of Node importing @vz/icechunk from a folder outside the workspace
    // (in a child process: vitest's own resolver would find the workspace's copy).
    const outside = join(work, "outside");
    mkdirSync(outside, { recursive: true });
    const probe = spawnSync(
      process.execPath,
      ["--input-type=module", "-e", 'import("@vz/icechunk").then(() => console.log("{}"), (e) => console.log(JSON.stringify({ message: e.message, code: e.code })))'],
      { cwd: outside, encoding: "utf8" },
    );
    const nodeError = JSON.parse(probe.stdout) as { message: string; code: string };
    expect(nodeError.code).toBe("ERR_MODULE_NOT_FOUND");
    const error = await importIcechunk("vz virtualize --format icechunk", () => Promise.reject(Object.assign(new Error(nodeError.message), { code: nodeError.code }))).catch((e: unknown) => e);
    expect(isVzError(error, "PLUGIN_LOAD_FAILED")).toBe(true);
    expect((error as Error).message).toContain("vz virtualize --format icechunk needs the optional packages @vz/icechunk and @earthmover/icechunk");
    expect((error as Error).message).toContain("npm install @vz/icechunk @earthmover/icechunk");
  });
});
