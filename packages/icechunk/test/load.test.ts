/**
 * Loading the native binding on this machine's glibc: @vz/icechunk loads its compat shim in
 * process, so child processes started without LD_PRELOAD still load @earthmover/icechunk.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { glibcCompatEnv, glibcCompatLibrary, glibcCompatNeeded, glibcVersion } from "../src/index.js";

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, "..", "dist", "index.js");
const glibc = glibcVersion();
const oldGlibc = glibcCompatNeeded();
const hasCc = spawnSync("cc", ["--version"]).status === 0;
const work = mkdtempSync(join(tmpdir(), "vz-icechunk-load-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The environment of this process without LD_PRELOAD (vitest sets one for the workspace's tests). */
function bareEnv(extra: Record<string, string> = {}): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env, ...extra };
  delete env.LD_PRELOAD;
  return env;
}

/** Creates an in-memory repository, writes one key in a commit and reads it back; prints JSON. */
const roundTrip = `const storage = await ic.Storage.newInMemory();
const repo = await ic.Repository.create(storage);
const session = await repo.writableSession("main");
await session.store.set("zarr.json", Buffer.from('{"zarr_format":3,"node_type":"group","attributes":{"k":42}}'));
const id = await session.commit("one");
const read = await repo.readonlySession({ branch: "main" });
console.log(JSON.stringify({ id, attrs: JSON.parse(new TextDecoder().decode(await read.store.get("zarr.json"))).attributes }));`;

function runModule(code: string, env: Record<string, string | undefined>): { status: number | null; stdout: string; stderr: string } {
  // Run from the package folder so that @earthmover/icechunk resolves as it does for @vz/icechunk.
  const result = spawnSync(process.execPath, ["--input-type=module", "-e", code], { cwd: join(here, ".."), env, encoding: "utf8", timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe.skipIf(!existsSync(dist))(`loading @earthmover/icechunk (glibc ${glibc ?? "none"})`, () => {
  it("loadIcechunk works in a process started without LD_PRELOAD", () => {
    const result = runModule(`const ic = await (await import(${JSON.stringify(dist)})).loadIcechunk();\n${roundTrip}`, bareEnv());
    expect(result.stderr).toBe("");
    expect(JSON.parse(result.stdout)).toEqual({ id: expect.stringMatching(/^[0-9A-Z]{20}$/), attrs: { k: 42 } });
  });

  it.skipIf(!oldGlibc)("without the shim (VZ_GLIBC_COMPAT=0) the failure is a typed error that explains it", () => {
    const code = `import(${JSON.stringify(dist)}).then((m) => m.loadIcechunk()).then(() => console.log("loaded"), (e) => console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message })))`;
    const result = runModule(code, bareEnv({ VZ_GLIBC_COMPAT: "0" }));
    const error = JSON.parse(result.stdout.trim()) as { name: string; code: string; message: string };
    expect(error.name).toBe("PluginLoadError");
    expect(error.code).toBe("PLUGIN_LOAD_FAILED");
    expect(error.message).toContain("__isoc23_sscanf");
    expect(error.message).toContain("VZ_GLIBC_COMPAT=0");
  });

  it.skipIf(!oldGlibc)("glibcCompatEnv gives a child that imports the binding directly (a third party) a working LD_PRELOAD", async () => {
    const env = await glibcCompatEnv(bareEnv());
    expect(env.LD_PRELOAD).toMatch(/libvz-glibc-compat[^:]*\.so/);
    const result = runModule(`const ic = await import("@earthmover/icechunk");\n${roundTrip}`, env);
    expect(result.stderr).toBe("");
    expect(JSON.parse(result.stdout).attrs).toEqual({ k: 42 });
    const without = runModule(`await import("@earthmover/icechunk");`, bareEnv());
    expect(without.status).not.toBe(0);
    expect(without.stderr).toContain("__isoc23_sscanf");
  });

  it.skipIf(!oldGlibc || !hasCc)("without a prebuilt shim it compiles one with cc into the cache folder, which works with LD_PRELOAD", async () => {
    const cacheDir = join(work, "cache");
    const path = await glibcCompatLibrary({ prebuilt: false, cacheDir });
    expect(dirname(path)).toBe(cacheDir);
    expect(await glibcCompatLibrary({ prebuilt: false, cacheDir })).toBe(path); // compiled once
    const result = runModule(`const ic = await import("@earthmover/icechunk");\n${roundTrip}`, { ...bareEnv(), LD_PRELOAD: path });
    expect(JSON.parse(result.stdout).attrs).toEqual({ k: 42 });
  });

  it.skipIf(process.platform !== "linux" || process.arch !== "x64" || !hasCc)(
    "the build ships a prebuilt linux-x64 shim that defines the two symbols and needs no newer glibc",
    () => {
      const prebuilt = join(here, "..", "dist", "native", "linux-x64", "libvz-glibc-compat.so");
      expect(existsSync(prebuilt)).toBe(true);
      const defined = execFileSync("nm", ["-D", "--defined-only", prebuilt], { encoding: "utf8" });
      expect(defined).toMatch(/ T __isoc23_sscanf$/m);
      expect(defined).toMatch(/ T __isoc23_strtol$/m);
      const undefinedSymbols = execFileSync("nm", ["-D", "--undefined-only", prebuilt], { encoding: "utf8" });
      expect(undefinedSymbols).not.toMatch(/__isoc23_|GLIBC_2\.3[89]/);
    },
  );
});
