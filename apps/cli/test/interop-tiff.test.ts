/**
 * Interop suite: for every TIFF/GeoTIFF/COG in ../shared/data, the kerchunk JSON written by
 * `vz virtualize` opens in Python (fsspec reference filesystem + zarr) with the full-resolution
 * image equal to GDAL's ReadAsArray and x/y coordinates equal to GDAL's geotransform. Arrays whose
 * codecs Debian's Python lacks (imagecodecs_*: LZW, JPEG, PackBits, predictors) are reported as
 * skipped, not compared.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { run } from "../src/main.js";

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, "../../..");
const dataDir = resolve(repoRoot, "../shared/data");
const python = "/usr/bin/python3";
const script = join(here, "interop", "compare_refs.py");

function pythonReady(): string | undefined {
  if (!existsSync(python)) return `${python} not found`;
  const probe = spawnSync(python, ["-c", "import fsspec, zarr; from osgeo import gdal"], { encoding: "utf8" });
  return probe.status === 0 ? undefined : `Debian python3-fsspec/zarr/gdal missing: ${probe.stderr.trim()}`;
}

const skipReason = !existsSync(dataDir) ? `shared data not found at ${dataDir}` : pythonReady();
const files = skipReason
  ? []
  : ["tiff", "tiff_derived"].flatMap((folder) =>
      readdirSync(join(dataDir, folder))
        .filter((name) => /\.(tiff?|cog)$/i.test(name))
        .map((name) => join(folder, name)),
    );

interface Comparison {
  arrays: { path: string; ok: boolean; reason: string }[];
  xarray?: unknown[];
}

describe.skipIf(Boolean(skipReason))(`interop: vz kerchunk JSON of TIFFs reads like GDAL${skipReason ? ` (skipped: ${skipReason})` : ""}`, () => {
  const work = mkdtempSync(join(tmpdir(), "vz-interop-tiff-"));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it.each(files)("%s", async (file) => {
    const source = join(dataDir, file);
    const output = join(work, `${file.replace(/\//g, "_")}.json`);
    let stderr = "";
    const code = await run(["virtualize", source, "-o", output, "--parser", "tiff", "--skip-unsupported"], {
      out: () => {},
      err: (text) => {
        stderr += text;
      },
    });
    if (code !== 0) {
      // A file vz refuses as a whole must say why with a typed error naming the file.
      expect(stderr).toMatch(/^vz: error \[[A-Z_]+\]: /);
      expect(stderr).toContain(file.split("/").pop()!);
      return;
    }
    const skipped = new Set([...stderr.matchAll(/^skipped (\S+):/gm)].map((m) => m[1]!.replace(/^\//, "")));
    const stdout = execFileSync(python, [script, output, source, "tiff"], { encoding: "utf8", maxBuffer: 64 << 20, env: { ...process.env, PYTHONUTF8: "1" } });
    const result = JSON.parse(stdout) as Comparison;
    void skipped;
    const failures = result.arrays.filter((a) => !a.ok).map((a) => `${file}: array ${a.path}: ${a.reason}`);
    expect(failures).toEqual([]);
    expect(result.arrays.some((a) => a.path === "0")).toBe(true);
  });
});
