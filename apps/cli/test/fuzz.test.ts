/**
 * Mutation fuzzing of every parser the CLI ships, on the real files in ../shared/data (a reduced
 * count here; `node tooling/fuzz.mjs --cases 5000` runs a larger one): truncated, byte-flipped,
 * length-inflated, zeroed and spliced variants must parse or fail with a typed VzError, each
 * within a time limit — never an untyped exception or a hang.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { ParserPlugin } from "@vz/core";
import { fuzzParser } from "@vz/core/testing/tools";
import hdf5 from "@vz/parser-hdf5";
import kerchunk from "@vz/parser-kerchunk";
import netcdf3 from "@vz/parser-netcdf3";
import tiff from "@vz/parser-tiff";
import { describe, expect, it } from "vitest";

const here = dirname(fileURLToPath(import.meta.url));
const dataDir = resolve(here, "../../../../shared/data");
const CASES = Number(process.env.VZ_FUZZ_CASES ?? 1000);

const sources: { plugin: ParserPlugin; folders: string[]; keep: (name: string) => boolean }[] = [
  { plugin: hdf5 as ParserPlugin, folders: ["netcdf4", "hdf5", "hdf5_debian"], keep: (n) => !n.endsWith(".json") },
  { plugin: tiff as ParserPlugin, folders: ["tiff", "tiff_derived"], keep: (n) => /\.(tiff?|cog)$/i.test(n) },
  { plugin: netcdf3 as ParserPlugin, folders: ["netcdf3"], keep: (n) => !n.endsWith(".json") },
  { plugin: kerchunk as ParserPlugin, folders: ["kerchunk"], keep: (n) => n.endsWith(".json") && !n.endsWith(".oracle.json") },
];

describe.skipIf(!existsSync(dataDir))(`fuzzing every parser${existsSync(dataDir) ? "" : ` (skipped: no shared data at ${dataDir})`}`, () => {
  for (const source of sources) {
    it(`${source.plugin.name}: ${CASES} mutated real files give results or typed errors`, async () => {
      const files = source.folders
        .flatMap((folder) => readdirSync(join(dataDir, folder)).filter(source.keep).map((name) => join(dataDir, folder, name)))
        .filter((path) => statSync(path).size <= 1_000_000)
        .map((path) => ({ name: path.slice(dataDir.length + 1), bytes: new Uint8Array(readFileSync(path)) }));
      expect(files.length).toBeGreaterThan(0);
      const report = await fuzzParser({ plugin: source.plugin, files, cases: CASES, seed: 20261125, timeoutMs: 10_000 });
      expect(report.cases).toBe(CASES);
      expect(report.failures).toEqual([]);
      // the mutations do reach the parser's error paths
      expect(report.typedErrors).toBeGreaterThan(0);
    }, 600_000);
  }
});
