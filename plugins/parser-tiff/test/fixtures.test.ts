/**
 * Corner cases on small TIFFs that GDAL writes at test time (see generate-fixtures.py): partial
 * last strips (uncompressed and compressed), planar-separate, big-endian, BigTIFF, predictors 2/3
 * on 8–64-bit samples, sparse files, overviews, masks, PixelIsPoint, JPEG, 1-bit. Offsets and byte
 * counts are compared with tifffile's, values with GDAL's.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { isVzError, type ManifestStore } from "@vz/core";
import { FileReader, toUrl } from "@vz/core/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTiffParser } from "../src/index.js";
import { coordinateValues, HAS_GDAL_PYTHON, PYTHON, readBandFirst, sha256, stripsAndTiles } from "./helpers.js";
import { execFileSync } from "node:child_process";

interface FixtureFacts {
  path: string;
  error?: string;
  byteorder: string;
  bigtiff: boolean;
  dtype: string;
  sha256: string;
  raw_hex: string | null;
  geotransform: number[];
  nodata: number | "NaN" | null;
  overview_sha256: string[];
  ifds: { shape: number[]; offsets: number[]; bytecounts: number[]; bitspersample: number; compression: number; planarconfig: number; tiled: boolean }[];
}

const LOSSLESS = [
  "strip_partial_none_u16_rgb",
  "strip_partial_deflate_i16_band",
  "big_endian_f32_pred3_tiled",
  "big_endian_u16_pred2_lzw_strip",
  "bigtiff_packbits_i8",
  "zstd_pred2_u32_tiled",
  "big_endian_f64_pred3_strip",
  "int64_deflate_pred2_big_endian_band",
  "int32_lzw_tiled_band_big_endian",
  "uncompressed_tiled_big_endian_f32",
  "bigtiff_big_endian_lzw_tiled",
  "f32_pred3_band_tiled",
  "uint64_deflate_pred2_strip",
  "overviews_deflate",
  "pixel_is_point",
  "sparse_nodata",
  "not_georeferenced",
  "with_mask",
];

describe.skipIf(!HAS_GDAL_PYTHON)("GDAL-written fixtures (skipped without /usr/bin/python3 + GDAL + tifffile)", () => {
  let dir: string;
  let facts: Record<string, FixtureFacts>;
  const stores = new Map<string, ManifestStore>();
  const open = async (name: string): Promise<ManifestStore> => {
    let store = stores.get(name);
    if (!store) {
      store = await createTiffParser()(toUrl(facts[name]!.path), new FileReader());
      stores.set(name, store);
    }
    return store;
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "vz-tiff-"));
    const script = fileURLToPath(new URL("./generate-fixtures.py", import.meta.url));
    facts = JSON.parse(execFileSync(PYTHON, [script, dir], { encoding: "utf8", maxBuffer: 1 << 28 })) as Record<string, FixtureFacts>;
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const name of LOSSLESS) {
    it(`${name}: strips/tiles equal tifffile's and values equal GDAL's`, async () => {
      const fact = facts[name]!;
      expect(fact.error).toBeUndefined();
      const store = await open(name);
      expect(store.group.attributes.tiff_byte_order).toBe(fact.byteorder === ">" ? "big" : "little");
      expect(store.group.attributes.tiff_bigtiff).toBe(fact.bigtiff);
      const main = store.group.arrays.get("0")!;
      expect(main.shape).toEqual(fact.ifds[0]!.shape);
      for (const [index, ifd] of fact.ifds.entries()) {
        const array = store.group.arrays.get(String(index));
        if (ifd.bitspersample === 1) {
          expect(array).toBeUndefined();
          continue;
        }
        const expected = ifd.offsets
          .map((offset, i) => [[i], offset, ifd.bytecounts[i]!] as [number[], number, number])
          .filter((entry) => entry[2] > 0 && entry[1] > 0);
        expect(stripsAndTiles(array!)).toEqual(expected);
      }
      const { bytes } = await readBandFirst(store, "0");
      expect(sha256(bytes)).toBe(fact.sha256);
      // overviews: IFD k (k >= 1) is GDAL's overview k-1
      for (const [k, sha] of fact.overview_sha256.entries()) {
        const overview = await readBandFirst(store, String(k + 1));
        expect(sha256(overview.bytes)).toBe(sha);
      }
    });
  }

  it("splits an uncompressed striped image with a short last strip into complete chunks (no padding codec)", async () => {
    const array = (await open("strip_partial_none_u16_rgb")).group.arrays.get("0")!;
    expect(array.chunks).toEqual([1, 29, 3]); // gcd(5 rows per strip, 37 rows)
    expect(array.metadata.codecs).toEqual([{ name: "bytes", configuration: { endian: "little" } }]);
    expect(array.metadata.attributes.tiff_rows_per_strip).toBe(5);
  });

  it("pads compressed short last strips and names predictors as imagecodecs/tifffile do", async () => {
    const planar = (await open("strip_partial_deflate_i16_band")).group.arrays.get("0")!;
    expect(planar.metadata.dimension_names).toEqual(["band", "y", "x"]);
    expect(planar.chunks).toEqual([1, 5, 29]);
    expect(planar.metadata.codecs.map((c) => c.name)).toEqual(["bytes", "vz_zero_pad", "numcodecs.zlib"]);
    // the padding codec carries the decoded chunk size: 1 x 5 x 29 int16
    expect(planar.metadata.codecs[1]!.configuration).toEqual({ nbytes: 1 * 5 * 29 * 2 });
    const float = (await open("big_endian_f32_pred3_tiled")).group.arrays.get("0")!;
    expect(float.metadata.codecs).toEqual([
      { name: "bytes", configuration: { endian: "big" } },
      { name: "imagecodecs_floatpred", configuration: { axis: -1, dist: 1, dtype: ">f4", shape: [16, 16] } },
      { name: "numcodecs.zlib", configuration: { level: 6 } },
    ]);
    expect(Number.isNaN(float.metadata.fill_value)).toBe(true);
    const delta = (await open("big_endian_u16_pred2_lzw_strip")).group.arrays.get("0")!;
    expect(delta.metadata.codecs.map((c) => c.name)).toEqual(["bytes", "vz_zero_pad", "imagecodecs_delta", "imagecodecs_lzw"]);
    expect(delta.metadata.codecs[1]!.configuration).toEqual({ nbytes: 7 * 40 * 2 * 2 });
    expect(delta.metadata.codecs[2]!.configuration).toEqual({ axis: -2, dist: 1, dtype: ">u2", shape: [7, 40, 2] });
  });

  it("keeps sparse tiles missing so they read as the nodata fill value", async () => {
    const array = (await open("sparse_nodata")).group.arrays.get("0")!;
    expect(array.metadata.fill_value).toBe(7);
    expect(array.manifest.chunkCount).toBe(1);
    expect(array.manifest.gridSize).toBe(9);
  });

  it("computes pixel-centre coordinates for PixelIsPoint rasters like GDAL", async () => {
    const fact = facts.pixel_is_point!;
    const store = await open("pixel_is_point");
    expect(store.group.attributes.geotiff_raster_type).toBe("PixelIsPoint");
    const [x0, dx, , y0, , dy] = fact.geotransform as [number, number, number, number, number, number];
    expect(store.group.attributes.geotransform).toEqual(fact.geotransform);
    const xs = coordinateValues(store, "x");
    const ys = coordinateValues(store, "y");
    expect([...xs]).toEqual(Array.from({ length: 12 }, (_, i) => x0 + (i + 0.5) * dx));
    expect([...ys]).toEqual(Array.from({ length: 10 }, (_, j) => y0 + (j + 0.5) * dy));
    expect(store.group.attributes.epsg).toBe(32611);
  });

  it("gives overviews their own y/x dims and coordinates", async () => {
    const store = await open("overviews_deflate");
    expect(store.group.arrays.get("1")!.metadata.dimension_names).toEqual(["y_1", "x_1"]);
    expect(store.group.arrays.get("1")!.metadata.attributes.tiff_kind).toBe("overview");
    const x1 = coordinateValues(store, "x_1");
    expect(x1.length).toBe(128);
    expect(x1[0]).toBeCloseTo(440720 + 60, 9); // pixel centre of a 120 m overview pixel
  });

  it("has no coordinates for a TIFF without georeferencing", async () => {
    const store = await open("not_georeferenced");
    expect([...store.group.arrays.keys()]).toEqual(["0"]);
    expect(store.group.attributes.geotiff_keys).toBeUndefined();
  });

  it("reports a 1-bit mask IFD as unsupported (skipped by default for masks, raised on request)", async () => {
    const store = await open("with_mask");
    expect([...store.group.arrays.keys()].filter((k) => /^\d+$/.test(k))).toEqual(["0"]);
    expect(store.diagnostics).toHaveLength(1);
    const diagnostic = store.diagnostics[0]!;
    expect(isVzError(diagnostic, "UNSUPPORTED")).toBe(true);
    expect(diagnostic.message).toContain(facts.with_mask!.path);
    expect(diagnostic.message).toContain("IFD 1");
    expect(diagnostic.message).toContain("1-bit");
    const raising = createTiffParser({ onUnsupported: "raise" });
    await expect(raising(toUrl(facts.with_mask!.path), new FileReader())).rejects.toMatchObject({ code: "UNSUPPORTED", variable: "1" });
    const onlyImage = await createTiffParser({ ifds: [0], onUnsupported: "raise" })(toUrl(facts.with_mask!.path), new FileReader());
    expect(onlyImage.diagnostics).toHaveLength(0);
  });

  it("throws UnsupportedFeatureError naming file and IFD for a 1-bit image, even with onUnsupported: skip", async () => {
    for (const options of [{}, { onUnsupported: "skip" as const }]) {
      const error = await createTiffParser(options)(toUrl(facts.one_bit!.path), new FileReader()).catch((e: unknown) => e);
      expect(isVzError(error, "UNSUPPORTED")).toBe(true);
      expect((error as Error).message).toContain(facts.one_bit!.path);
      expect((error as Error).message).toContain("IFD 0");
      expect((error as { variable?: string }).variable).toBe("0");
    }
  });

  for (const name of ["jpeg_gray_tiled", "jpeg_ycbcr_strip_partial"]) {
    it(`${name}: JPEG values are within libjpeg's rounding of GDAL's`, async () => {
      const fact = facts[name]!;
      const store = await open(name);
      const { bytes } = await readBandFirst(store, "0");
      const reference = Buffer.from(fact.raw_hex!, "hex");
      expect(bytes.length).toBe(reference.length);
      let max = 0;
      for (let i = 0; i < bytes.length; i++) max = Math.max(max, Math.abs(bytes[i]! - reference[i]!));
      expect(max).toBeLessThanOrEqual(4);
      expect(stripsAndTiles(store.group.arrays.get("0")!)).toEqual(
        fact.ifds[0]!.offsets.map((offset, i) => [[i], offset, fact.ifds[0]!.bytecounts[i]!]),
      );
    });
  }
});
