import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { globToRegExp, loadConfig, parserRuleFor } from "../src/config.js";
import { run } from "../src/main.js";

const dirs: string[] = [];
function tempProject(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "vz-cli-config-"));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe("configuration", () => {
  it("turns globs into anchored regular expressions", () => {
    expect(globToRegExp("*.nc").test("a.nc")).toBe(true);
    expect(globToRegExp("*.nc").test("dir/a.nc")).toBe(false);
    expect(globToRegExp("**/*.nc").test("dir/sub/a.nc")).toBe(true);
    expect(globToRegExp("s3://bucket/**").test("s3://bucket/x/y.h5")).toBe(true);
    expect(globToRegExp("data?.tif").test("data1.tif")).toBe(true);
    expect(globToRegExp("a.b").test("axb")).toBe(false);
  });

  it("reads vz.config.json and picks the first matching parser rule", () => {
    const dir = tempProject({
      "vz.config.json": JSON.stringify({
        parserFor: [
          { pattern: "s3://archive/**/*.dat", parser: "hdf5", options: { group: "science" } },
          { pattern: "*.dat", parser: "netcdf3" },
        ],
      }),
    });
    const { config, source } = loadConfig(join(dir));
    expect(source).toBe(join(dir, "vz.config.json"));
    expect(parserRuleFor(config, "s3://archive/2020/01/x.dat")).toEqual({
      pattern: "s3://archive/**/*.dat",
      parser: "hdf5",
      options: { group: "science" },
    });
    expect(parserRuleFor(config, "file:///tmp/y.dat")?.parser).toBe("netcdf3");
    expect(parserRuleFor(config, "file:///tmp/y.nc")).toBeUndefined();
  });

  it("falls back to package.json#virtualizarr.config, searching upwards", () => {
    const dir = tempProject({
      "package.json": JSON.stringify({ name: "p", virtualizarr: { config: { parserFor: [{ pattern: "*.bin", parser: "tiff" }] } } }),
      "sub/deeper/.keep": "",
    });
    const { config } = loadConfig(join(dir, "sub", "deeper"));
    expect(config.parserFor?.[0]?.parser).toBe("tiff");
  });

  it("rejects malformed configuration with a typed error naming the file", async () => {
    const dir = tempProject({ "vz.config.json": '{"parserFor": [{"pattern": 3}]}' });
    let stderr = "";
    const code = await run(["parsers"], { cwd: dir, out: () => {}, err: (t) => (stderr += t) });
    expect(code).toBe(1);
    expect(stderr).toContain("[INVALID_ARGUMENT]");
    expect(stderr).toContain(join(dir, "vz.config.json"));
    expect(stderr).toContain('parserFor[0] needs a string "pattern" and "parser"');
  });

  it("exits 2 with usage on unknown commands and options", async () => {
    let stderr = "";
    expect(await run(["frobnicate"], { out: () => {}, err: (t) => (stderr += t) })).toBe(2);
    expect(stderr).toContain('unknown command "frobnicate"');
    stderr = "";
    expect(await run(["inspect", "--nope"], { out: () => {}, err: (t) => (stderr += t) })).toBe(2);
    expect(stderr).toContain("Unknown option '--nope'");
  });
});
