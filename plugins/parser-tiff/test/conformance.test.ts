/**
 * @vz/core's conformance kit (describeParser) on shared TIFFs, and a fuzz run over mutated copies
 * of small TIFFs: every outcome is a store or a typed VzError, never a crash or a hang.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describeParser, fuzzParser } from "@vz/core/testing";
import { describe, expect, it } from "vitest";
import plugin from "../src/index.js";
import { DATA_ROOT, HAS_DATA } from "./helpers.js";

const data = (name: string) => join(DATA_ROOT, name);

describeParser({
  name: "tiff",
  plugin,
  packageJson: new URL("../package.json", import.meta.url),
  skip: HAS_DATA ? false : "../shared/data is absent",
  cases: [
    { file: data("tiff/byte.tif"), expect: { arrays: ["0", "x", "y"], shapes: { "0": [20, 20] }, dataTypes: { "0": "uint8" }, dimensionNames: { "0": ["y", "x"] }, attributes: { epsg: 26711 } } },
    { file: data("tiff/RGB.byte.tif"), expect: { shapes: { "0": [718, 791, 3] }, chunkShapes: { "0": [1, 791, 3] }, dimensionNames: { "0": ["y", "x", "band"] } } },
    { file: data("tiff/shade.tif"), expect: { shapes: { "0": [1024, 1024] }, chunkShapes: { "0": [256, 256] } } },
    { file: data("tiff_derived/rgb_tiled_deflate_band.tif"), expect: { dimensionNames: { "0": ["band", "y", "x"] }, chunkShapes: { "0": [1, 256, 256] } } },
    { file: data("tiff_derived/rgb_tiled_lzw_pred2_bigtiff.tif"), expect: { attributes: { tiff_bigtiff: true } } },
    { file: data("tiff/no_pixelscale_or_tiepoints.tiff"), expect: { arrays: ["0", "x", "y"], attributes: { tiff_byte_order: "big" } } },
    { file: data("tiff/lcmap_tiny_cog_2019.tif"), expect: { arrays: ["0", "1", "2", "x", "y", "x_1", "y_1", "x_2", "y_2"] } },
    { name: "cogeo.tif with raising on its 1-bit masks", file: data("tiff/cogeo.tif"), parserOptions: { onUnsupported: "raise" }, expect: { error: "UNSUPPORTED" } },
  ],
});

const FUZZ_FILES = ["tiff/byte.tif", "tiff/float_nan.tif", "tiff/GeogToWGS84GeoKey5.tif", "tiff/utm.tif", "tiff/red.tif", "tiff/cogeo.tif", "tiff_derived/rgb_tiled_lzw_pred2_bigtiff.tif", "tiff/no_pixelscale_or_tiepoints.tiff"];

describe.skipIf(!HAS_DATA)("fuzzing (skipped when ../shared/data is absent)", () => {
  it("gives a store or a typed error for 800 mutated TIFFs (classic, BigTIFF, big-endian, COG)", async () => {
    const files = FUZZ_FILES.map((name) => ({ name, bytes: new Uint8Array(readFileSync(data(name))) }));
    const report = await fuzzParser({ plugin, files, cases: 800, seed: 99, timeoutMs: 5000 });
    expect(report.failures).toEqual([]);
    expect(report.cases).toBe(800);
    expect(report.parsed + report.typedErrors).toBe(800);
  }, 120_000);
});
