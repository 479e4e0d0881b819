/**
 * Round trip to Python: TIFFs that need no TIFF-specific codec (uncompressed — including the
 * gcd-split partial strips — and deflate) are virtualized, written as kerchunk JSON by @vz/core,
 * and opened by Python's fsspec + zarr; the values must equal GDAL's.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { kerchunkToJson, openVirtualDataset, toKerchunk } from "@vz/core";
import { FileReader, toUrl } from "@vz/core/node";
import { afterAll, describe, expect, it } from "vitest";
import plugin from "../src/index.js";
import { DATA_ROOT, HAS_DATA, HAS_GDAL_PYTHON, runPython } from "./helpers.js";

const CHECK = `
import sys, json, fsspec, zarr, numpy as np
from osgeo import gdal
refs, source = sys.argv[1], sys.argv[2]
group = zarr.open(fsspec.filesystem("reference", fo=refs).get_mapper(""), mode="r")
ours = group["0"][:]
if ours.ndim == 3 and group["0"].attrs["_ARRAY_DIMENSIONS"][2] == "band":
    ours = np.moveaxis(ours, 2, 0)
ds = gdal.Open(source)
gt = ds.GetGeoTransform()
x = group["x"][:] if "x" in group else None
print(json.dumps({"equal": bool(np.array_equal(ours, ds.ReadAsArray(), equal_nan=True)),
                  "x0": None if x is None else float(x[0]), "x0_gdal": gt[0] + 0.5 * gt[1]}))
`;

const FILES = [
  "tiff/RGB.byte.tif", // uncompressed strips, short last strip (split into 1-row chunks)
  "tiff/utm.tif", // uncompressed strips, 81 rows per strip, 100 rows
  "tiff_derived/rgb_tiled_deflate_band.tif", // deflate tiles, planar separate
  "tiff/GA4886_VanderfordGlacier_2022_EGM2008_64m-epsg3031.cog", // float32 COG with overviews
];

describe.skipIf(!HAS_DATA || !HAS_GDAL_PYTHON)("kerchunk JSON read by Python fsspec + zarr (skipped without shared data or Debian Python)", () => {
  const dir = mkdtempSync(join(tmpdir(), "vz-tiff-kerchunk-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const name of FILES) {
    it(`${name}: Python reads GDAL's values through our references`, async () => {
      const source = join(DATA_ROOT, name);
      const dataset = await openVirtualDataset(toUrl(source), { parser: plugin, reader: new FileReader() });
      const refs = join(dir, `${name.replace(/\//g, "_")}.json`);
      writeFileSync(refs, kerchunkToJson(toKerchunk(dataset)));
      const result = JSON.parse(runPython(CHECK, [refs, source])) as { equal: boolean; x0: number | null; x0_gdal: number };
      expect(result.equal).toBe(true);
      expect(result.x0).toBeCloseTo(result.x0_gdal, 6);
    });
  }
});
