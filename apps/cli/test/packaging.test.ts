/**
 * Packaging: `pnpm pack` of the CLI and the packages it needs, `npm install` of the tarballs into
 * a project outside the workspace, then `npx vz` as a user would run it (without LD_PRELOAD):
 * without the Icechunk extra installed `--format icechunk` is a typed error with the install
 * command and no native binary is pulled; with `@vz/icechunk` + `@earthmover/icechunk` installed
 * `vz virtualize --format icechunk` and `vz read repo` work, values equal the h5py oracle.
 *
 * npm runs with --offline: it needs the third-party packages in npm's cache (pnpm's store is not
 * one). When they are missing the test is skipped with the reason; run it once with
 * VZ_PACKAGING_ONLINE=1 (npm --prefer-offline, registry reachable) to fill the cache.
 */
import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../../..");
const dataDir = resolve(root, "../shared/data");
const airPath = join(dataDir, "netcdf4", "air.nc");
const packages = ["packages/combine", "packages/core", "packages/icechunk", "apps/cli", "plugins/parser-hdf5", "plugins/parser-kerchunk", "plugins/parser-netcdf3", "plugins/parser-tiff"];
const hasNpm = spawnSync("npm", ["--version"]).status === 0;
const built = packages.every((p) => existsSync(join(root, p, "dist")));
const skip = !hasNpm ? "npm is not installed" : !built ? "the packages are not built (pnpm build)" : !existsSync(airPath) ? `no shared data at ${dataDir}` : undefined;
const online = process.env.VZ_PACKAGING_ONLINE === "1";
const work = mkdtempSync(join(tmpdir(), "vz-packaging-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function run(command: string, args: string[], cwd: string, timeout = 180_000): { code: number | null; out: string; err: string } {
  const env: Record<string, string | undefined> = { ...process.env };
  delete env.LD_PRELOAD;
  for (const key of Object.keys(env)) if (key.startsWith("npm_") || key.startsWith("PNPM_")) delete env[key]; // not the workspace's pnpm run context
  const result = spawnSync(command, args, { cwd, env, encoding: "utf8", timeout });
  return { code: result.status, out: result.stdout ?? "", err: `${result.stderr ?? ""}${result.error ? String(result.error) : ""}` };
}

function npmInstall(project: string, specs: string[]): { ok: boolean; why: string } {
  const result = run("npm", ["install", online ? "--prefer-offline" : "--offline", "--no-audit", "--no-fund", ...specs], project, 240_000);
  if (result.code === 0) return { ok: true, why: "" };
  const missing = /request to (\S+) failed: cache mode is 'only-if-cached'/.exec(result.err)?.[1];
  return { ok: false, why: missing ? `npm's cache has no ${missing} (npm --offline); run once with VZ_PACKAGING_ONLINE=1` : result.err.split("\n").slice(-5).join("\n") };
}

describe.skipIf(Boolean(skip))(`packed CLI with Icechunk as an optional extra${skip ? ` (skipped: ${skip})` : ""}`, () => {
  it("installs without the native binary, explains how to add Icechunk, and works once it is added", async (context) => {
    const tarballs = join(work, "tarballs");
    for (const pkg of packages) {
      const packed = run("pnpm", ["pack", "--pack-destination", tarballs], join(root, pkg), 60_000);
      expect(packed.code, `pnpm pack ${pkg}: ${packed.err}`).toBe(0);
    }
    const file = (name: string) => join(tarballs, readdirSync(tarballs).find((f) => f.startsWith(`vz-${name}-`))!);
    const project = join(work, "project");
    run("mkdir", ["-p", project], work);
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "vz-packaging-check", version: "1.0.0", private: true }));

    const base = npmInstall(project, ["combine", "core", "cli", "parser-hdf5", "parser-kerchunk", "parser-netcdf3", "parser-tiff"].map(file));
    if (!base.ok) {
      console.warn(`packaging test skipped: ${base.why}`);
      context.skip();
    }
    expect(existsSync(join(project, "node_modules", "@earthmover"))).toBe(false); // no native binary pulled
    expect(existsSync(join(project, "node_modules", "@vz", "icechunk"))).toBe(false);

    const kerchunk = run("npx", ["--no-install", "vz", "virtualize", airPath, "-o", "air.json"], project);
    expect(kerchunk.code, kerchunk.err).toBe(0);
    const missing = run("npx", ["--no-install", "vz", "virtualize", airPath, "--format", "icechunk", "-o", "repo"], project);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain("vz: error [PLUGIN_LOAD_FAILED]: vz virtualize --format icechunk needs the optional packages @vz/icechunk and @earthmover/icechunk");
    expect(missing.err).toContain("npm install @vz/icechunk @earthmover/icechunk");
    expect(existsSync(join(project, "repo"))).toBe(false);

    const extra = npmInstall(project, [file("icechunk"), "@earthmover/icechunk@2.2.2"]);
    if (!extra.ok) {
      console.warn(`packaging test skipped: ${extra.why}`);
      context.skip();
    }
    const written = run("npx", ["--no-install", "vz", "virtualize", airPath, "--format", "icechunk", "-o", "repo"], project);
    expect(written.code, written.err).toBe(0);
    expect(written.err).toMatch(/^committed [0-9A-Z]{20} to /);
    const read = run("npx", ["--no-install", "vz", "read", "repo", "--var", "air", "--json", "--allow", dirname(airPath)], project);
    expect(read.code, read.err).toBe(0);
    const values = (JSON.parse(read.out) as { values: number[] }).values;
    const oracle = JSON.parse(readFileSync(`${airPath}.oracle.json`, "utf8")).hdf5.datasets["/air"].values as { sha256_le: string };
    expect(createHash("sha256").update(new Uint8Array(Int16Array.from(values).buffer)).digest("hex")).toBe(oracle.sha256_le);
    const refused = run("npx", ["--no-install", "vz", "read", "repo", "--var", "air"], project);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain("[URL_NOT_ALLOWED]");
  }, 600_000);
});
