/**
 * xarray (Debian's /usr/bin/python3) on vz's kerchunk references against xarray on the original
 * file: an HDF5 fill value without _FillValue does not become a mask, and every shared netCDF3 /
 * netCDF4 file splits into the same coordinates and data variables.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ManifestArray } from "@vz/core";
import { afterAll, describe, expect, it } from "vitest";
import { createContext } from "../src/context.js";
import { run } from "../src/main.js";
import { dataDir, fillValueOf, here, pythonSkip, roundTrip, runPython, skipReason } from "./refs-helpers.js";

describe.skipIf(Boolean(skipReason || pythonSkip))(
  `xarray on vz's references against xarray on the original${skipReason || pythonSkip ? ` (skipped: ${skipReason ?? pythonSkip})` : ""}`,
  () => {
    const work = mkdtempSync(join(tmpdir(), "vz-refs-xarray-"));
    afterAll(() => rmSync(work, { recursive: true, force: true }));

    it("an HDF5 fill value without _FillValue (unwritten chunks, real -99 values) is not a mask: same values and dtype as xarray on the file", async () => {
      const file = join(work, "fill99.h5");
      runPython([join(here, "interop", "fill_masking.py"), "make", file]);
      const context = await createContext({ cwd: work, out: () => {}, err: () => {} });
      const { a, storeA, refsA, fromB, fromC } = await roundTrip(context, file, work, "fill99");
      expect(a).toBeDefined();
      // missing chunks are inline chunks of -99 (encoded with the array's codecs), fill_value null
      for (const name of ["plain", "packed", "big_endian", "floats"]) {
        expect(fillValueOf(refsA, name), name).toBeNull();
        const array = storeA!.group.resolve(name) as ManifestArray;
        expect(array.manifest.chunkCount, name).toBe(array.manifest.gridSize);
      }
      expect(fromB).toEqual(refsA);
      expect(fromC).toEqual(refsA);
      const report = JSON.parse(runPython([join(here, "interop", "fill_masking.py"), "compare", file, a!])) as {
        variables: Record<string, { dtype: string; original_dtype: string }>;
        problems: string[];
      };
      expect(report.problems).toEqual([]);
      expect(report.variables.plain).toEqual({ dtype: "int32", original_dtype: "int32" });
      expect(Object.keys(report.variables).sort()).toEqual(["big_endian", "floats", "packed", "plain"]);
    });

    it("missing chunks vz cannot write inline (lzf) keep fill_value, and `vz virtualize` says so", async () => {
      const file = join(work, "fill99-lzf.h5");
      runPython([join(here, "interop", "fill_masking.py"), "make-lzf", file]);
      const output = join(work, "fill99-lzf.json");
      let stderr = "";
      const code = await run(["virtualize", file, "-o", output], { cwd: work, out: () => {}, err: (text) => (stderr += text) });
      expect(code).toBe(0);
      expect(stderr).toContain("note: lzf: 3 missing chunks cannot be written inline");
      expect(stderr).toContain("fill_value -99 is written");
      const refs = JSON.parse(readFileSync(output, "utf8")) as { refs: Record<string, string> };
      expect((JSON.parse(refs.refs["lzf/.zarray"]!) as { fill_value: unknown }).fill_value).toBe(-99);
    });

    const netcdfFiles = skipReason
      ? []
      : ["netcdf3", "netcdf4"].flatMap((folder) =>
          readdirSync(join(dataDir, folder))
            .filter((name) => !name.endsWith(".json"))
            .sort()
            .map((name) => `${folder}/${name}`),
        );
    const unopenable: string[] = [];
    it.each(netcdfFiles)("%s: coordinates and data variables split as xarray splits the original", async (file) => {
      const output = join(work, `${file.replace(/\//g, "_")}.json`);
      let stderr = "";
      const code = await run(["virtualize", join(dataDir, file), "-o", output, "--skip-unsupported"], {
        cwd: work,
        out: () => {},
        err: (text) => (stderr += text),
      });
      if (code !== 0) {
        expect(stderr).toMatch(/^vz: error \[[A-Z_]+\]: /m); // after the "skipped" lines, if any
        return;
      }
      const skipped = [...stderr.matchAll(/^skipped (\S+):/gm)].map((m) => m[1]!.replace(/^\//, ""));
      const result = JSON.parse(runPython([join(here, "interop", "coords_split.py"), join(dataDir, file), output, ...skipped])) as {
        original?: { coords: string[]; data_vars: string[] };
        refs?: { coords: string[]; data_vars: string[] };
        original_error?: string;
      };
      if (result.original_error) {
        unopenable.push(`${file} (${result.original_error.split("\n")[0]!.slice(0, 100)})`);
        return;
      }
      expect(result.refs).toEqual(result.original);
    });

    it("compared the split on nearly every netCDF file", () => {
      console.log(`coordinates split: xarray cannot open ${unopenable.length} originals: ${unopenable.join("; ") || "none"}`);
      expect(unopenable.length).toBeLessThanOrEqual(2);
    });
  },
);
