/**
 * Every TIFF in the shared data (tiff/ and tiff_derived/): strips/tiles equal the oracle's
 * (tifffile), values read through ManifestStore + zarrita equal GDAL's, georeferencing equals
 * GDAL's, and chunk references equal tifffile's kerchunk output where it exists.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { isVzError, openVirtualDataset, toKerchunk, type ManifestStore } from "@vz/core";
import { FileReader, toUrl } from "@vz/core/node";
import { beforeAll, describe, expect, it } from "vitest";
import plugin, { createTiffParser } from "../src/index.js";
import { CountingReader, coordinateValues, DATA_ROOT, HAS_DATA, HAS_GDAL_PYTHON, readBandFirst, runPython, sha256, stripsAndTiles } from "./helpers.js";

interface OraclePage {
  index: number;
  shape: number[];
  dtype: string | null;
  bitspersample: number;
  compression: number;
  subfiletype: number;
  strile_manifest: { count: number; sha256: string; total_bytes: number; all?: [number[], number, number][]; first3?: [number[], number, number][]; last?: [number[], number, number] };
}
interface Oracle {
  tiff: {
    pages: OraclePage[];
    gdal?: {
      geotransform: number[];
      epsg?: string | null;
      size: number[];
      bands: { nodata: number | string | null }[];
      values_band_y_x: { sha256_le: string; shape: number[] };
    };
  };
}

const files = HAS_DATA
  ? ["tiff", "tiff_derived"].flatMap((folder) =>
      readdirSync(join(DATA_ROOT, folder))
        .filter((name) => existsSync(join(DATA_ROOT, folder, `${name}.oracle.json`)))
        .map((name) => join(DATA_ROOT, folder, name)),
    )
  : [];

/** Largest and mean absolute difference between our IFD 0 and GDAL's ReadAsArray (for JPEG). */
function gdalDifference(file: string, ours: Uint8Array): { max: number; mean: number } {
  const reference = Buffer.from(
    runPython("import sys; from osgeo import gdal; sys.stdout.write(gdal.Open(sys.argv[1]).ReadAsArray().tobytes().hex())", [file]),
    "hex",
  );
  expect(reference.length).toBe(ours.length);
  let max = 0;
  let sum = 0;
  for (let i = 0; i < ours.length; i++) {
    const d = Math.abs(ours[i]! - reference[i]!);
    if (d > max) max = d;
    sum += d;
  }
  return { max, mean: sum / ours.length };
}

describe.skipIf(!HAS_DATA)("shared TIFF data in ../shared/data (skipped when that folder is absent)", () => {
  for (const file of files) {
    const name = file.slice(DATA_ROOT.length + 1);
    describe(name, () => {
      let store: ManifestStore;
      const oracle = JSON.parse(readFileSync(`${file}.oracle.json`, "utf8")) as Oracle;
      beforeAll(async () => {
        // unsupported IFDs (GDAL's 1-bit masks) are skipped on request; the default raises
        store = await createTiffParser({ onUnsupported: "skip" })(toUrl(file), new FileReader());
      });

      it("raises by default when an IFD cannot be virtualized", async () => {
        if (store.diagnostics.length === 0) return;
        const error = await createTiffParser()(toUrl(file), new FileReader()).catch((e: unknown) => e);
        expect(error).toMatchObject({ code: "UNSUPPORTED", variable: store.diagnostics[0]!.variable });
      });

      it("has one array per IFD whose strips/tiles equal the oracle's; unsupported IFDs are reported", () => {
        expect(store.group.attributes.tiff_ifd_count).toBe(oracle.tiff.pages.length);
        for (const page of oracle.tiff.pages) {
          const array = store.group.arrays.get(String(page.index));
          if (!array) {
            const diagnostic = store.diagnostics.find((d) => d.variable === String(page.index));
            expect(diagnostic, `IFD ${page.index} is neither an array nor a diagnostic`).toBeDefined();
            expect(isVzError(diagnostic, "UNSUPPORTED")).toBe(true);
            expect(diagnostic!.message).toContain(file);
            expect(diagnostic!.message).toContain(`IFD ${page.index}`);
            expect([8, 16, 32, 64]).not.toContain(page.bitspersample);
            continue;
          }
          expect(array.shape).toEqual(page.shape);
          const list = stripsAndTiles(array);
          const manifest = page.strile_manifest;
          expect(list.length).toBe(manifest.count);
          expect(list.reduce((sum, entry) => sum + entry[2], 0)).toBe(manifest.total_bytes);
          if (manifest.all) expect(list).toEqual(manifest.all);
          else {
            expect(list.slice(0, 3)).toEqual(manifest.first3);
            expect(list[list.length - 1]).toEqual(manifest.last);
          }
          expect(sha256(new TextEncoder().encode(JSON.stringify(list)))).toBe(manifest.sha256);
        }
      });

      it("reads IFD 0 through zarrita with GDAL's values", async () => {
        const gdal = oracle.tiff.gdal!;
        const { bytes, shape } = await readBandFirst(store, "0");
        const expectedShape = gdal.values_band_y_x.shape;
        expect(shape.length === 2 ? [1, ...shape] : shape).toEqual(expectedShape.length === 2 ? [1, ...expectedShape] : expectedShape);
        if (oracle.tiff.pages[0]!.compression !== 7) {
          expect(sha256(bytes)).toBe(gdal.values_band_y_x.sha256_le);
        } else if (HAS_GDAL_PYTHON) {
          // JPEG: libjpeg (GDAL) and the pure-JS decoder round differently; bound the difference
          const { max, mean } = gdalDifference(file, bytes);
          expect(max).toBeLessThanOrEqual(4);
          expect(mean).toBeLessThan(0.15);
        }
      });

      it("has GDAL's georeferencing: pixel-centre coordinates, EPSG code, nodata", () => {
        const gdal = oracle.tiff.gdal!;
        const transform = gdal.geotransform;
        const x = store.group.arrays.get("x");
        const y = store.group.arrays.get("y");
        if (transform.length === 6 && store.group.attributes.geotransform) {
          expect(store.group.attributes.geotransform as number[]).toEqual(transform.map((v) => expect.closeTo(v, 6)));
          expect(x && y).toBeTruthy();
          const xs = coordinateValues(store, "x");
          const ys = coordinateValues(store, "y");
          expect(xs.length).toBe(gdal.size[0]);
          expect(ys.length).toBe(gdal.size[1]);
          expect(xs[0]).toBeCloseTo(transform[0]! + 0.5 * transform[1]!, 6);
          expect(ys[ys.length - 1]).toBeCloseTo(transform[3]! + (ys.length - 0.5) * transform[5]!, 6);
        } else {
          expect(x).toBeUndefined();
        }
        if (gdal.epsg) expect(store.group.attributes.epsg).toBe(Number(gdal.epsg));
        const nodata = gdal.bands[0]!.nodata;
        const fill = store.group.arrays.get("0")!.metadata.fill_value;
        if (nodata === "NaN") expect(Number.isNaN(fill)).toBe(true);
        else if (typeof nodata === "number") expect(fill).toBeCloseTo(nodata, 0);
      });

      const overviews = oracle.tiff.pages.filter((page) => page.index > 0 && page.subfiletype === 1);
      it.skipIf(overviews.length === 0 || !HAS_GDAL_PYTHON)(
        `reads overviews with GDAL's overview values${overviews.length === 0 ? " (skipped: no overviews)" : ""}`,
        async () => {
          const hashes = JSON.parse(
            runPython(
              [
                "import sys, json, hashlib, numpy as np",
                "from osgeo import gdal",
                "ds = gdal.Open(sys.argv[1])",
                "out = []",
                "for k in range(ds.GetRasterBand(1).GetOverviewCount()):",
                "    a = np.stack([ds.GetRasterBand(b + 1).GetOverview(k).ReadAsArray() for b in range(ds.RasterCount)])",
                "    out.append(hashlib.sha256(a.astype(a.dtype.newbyteorder('<')).tobytes()).hexdigest())",
                "print(json.dumps(out))",
              ].join("\n"),
              [file],
            ),
          ) as string[];
          expect(hashes.length).toBe(overviews.length);
          for (const [k, page] of overviews.entries()) {
            const array = store.group.arrays.get(String(page.index))!;
            expect(array.metadata.attributes.tiff_kind).toBe("overview");
            const { bytes } = await readBandFirst(store, String(page.index));
            if (page.compression === 7) {
              const reference = Buffer.from(
                runPython(
                  "import sys, numpy as np\nfrom osgeo import gdal\nds = gdal.Open(sys.argv[1])\nk = int(sys.argv[2])\nsys.stdout.write(np.stack([ds.GetRasterBand(b + 1).GetOverview(k).ReadAsArray() for b in range(ds.RasterCount)]).tobytes().hex())",
                  [file, String(k)],
                ),
                "hex",
              );
              let max = 0;
              for (let i = 0; i < bytes.length; i++) max = Math.max(max, Math.abs(bytes[i]! - reference[i]!));
              expect(max).toBeLessThanOrEqual(4);
            } else {
              expect(sha256(bytes), `overview ${k} (IFD ${page.index})`).toBe(hashes[k]);
            }
          }
        },
      );

      it("needs one HEAD and at most two range requests", async () => {
        const counting = new CountingReader(new FileReader());
        await createTiffParser({ onUnsupported: "skip" })(toUrl(file), counting);
        expect(counting.heads).toBe(1);
        expect(counting.requests).toBeLessThanOrEqual(2);
      });

      const tifffileJson = `${file}.tifffile.json`;
      it.skipIf(!existsSync(tifffileJson))(
        `references the same chunks as tifffile's kerchunk output (level 0)${existsSync(tifffileJson) ? "" : " (skipped: no .tifffile.json beside this file)"}`, () => {
        const refs = (JSON.parse(readFileSync(tifffileJson, "utf8")) as { refs: Record<string, unknown> }).refs;
        const multiLevel = "0/.zarray" in refs;
        const prefix = multiLevel ? "0/" : "";
        const array = store.group.arrays.get("0")!;
        const zarray = JSON.parse(refs[`${prefix}.zarray`] as string) as { chunks: number[]; shape: number[] };
        expect(array.shape).toEqual(zarray.shape);
        let compared = 0;
        for (const [key, value] of Object.entries(refs)) {
          if (!key.startsWith(prefix) || !Array.isArray(value)) continue;
          const chunkKey = key.slice(prefix.length);
          if (!/^\d+(\.\d+)*$/.test(chunkKey)) continue;
          const coords = chunkKey.split(".").map(Number);
          if (array.chunks.every((c, d) => c === zarray.chunks[d])) {
            const entry = array.manifest.get(coords);
            expect(entry && "offset" in entry ? [entry.offset, entry.length] : entry).toEqual([value[1], value[2]]);
            compared++;
          }
        }
        if (array.chunks.every((c, d) => c === zarray.chunks[d])) expect(compared).toBe(array.manifest.chunkCount);
      });

      it.skipIf(!existsSync(tifffileJson))(
        `writes the same kerchunk compressor and filters as tifffile (level 0)${existsSync(tifffileJson) ? "" : " (skipped: no .tifffile.json beside this file)"}`,
        async () => {
          const refs = (JSON.parse(readFileSync(tifffileJson, "utf8")) as { refs: Record<string, string> }).refs;
          const theirs = JSON.parse(refs["0/.zarray"] ?? refs[".zarray"]!) as { compressor: Record<string, unknown> | null; filters: Record<string, unknown>[] | null };
          const dataset = await openVirtualDataset(toUrl(file), { parser: plugin, parserOptions: { onUnsupported: "skip" }, reader: new FileReader() });
          const ours = JSON.parse(toKerchunk(dataset).refs["0/.zarray"] as string) as typeof theirs;
          // tifffile writes {"id": "zlib"} / {"id": "zstd"} without a level; the level does not matter for decoding
          const withoutLevel = (codec: Record<string, unknown> | null) => (codec && (codec.id === "zlib" || codec.id === "zstd") ? { id: codec.id } : codec);
          expect(withoutLevel(ours.compressor)).toEqual(theirs.compressor);
          expect(ours.filters).toEqual(theirs.filters);
        },
      );
    });
  }
});
