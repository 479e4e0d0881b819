/**
 * The colour spaces of `imagecodecs_jpeg` are what tifffile writes: the rule itself against
 * tifffile's `jpeg_decode_colorspace` for every photometric / planar / extra-samples / JFIF
 * combination, and whole configurations against tifffile's own kerchunk output
 * (`ZarrTiffStore.write_fsspec`) for GDAL-written JPEG TIFFs (RGB without JFIF/Adobe marker — the
 * case libjpeg would otherwise convert from YCbCr —, YCbCr, gray, RGBA, tiles and strips) and a
 * hand-made RGB TIFF whose stream carries a JFIF marker. Values: GDAL's for GDAL's files (±3), and
 * for the JFIF file PIL's (libjpeg) decode of the stream itself.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openVirtualDataset, toKerchunk } from "@vz/core";
import { FileReader, toUrl } from "@vz/core/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultJpegColorspace, JpegCodec } from "../src/codecs/jpeg.js";
import plugin, { jpegColorspaces } from "../src/index.js";
import { HAS_GDAL_PYTHON, readBandFirst, runPython } from "./helpers.js";
import { buildTiff } from "./tiny-tiff.js";

const HAS_PIL = HAS_GDAL_PYTHON && (() => {
  try {
    runPython("import PIL");
    return true;
  } catch {
    return false;
  }
})();

/** tifffile's kerchunk `.zarray` of the first series, and its JFIF verdict. */
const TIFFFILE_REFS = `
import sys, io, json, tifffile
with tifffile.TiffFile(sys.argv[1]) as tif:
    buf = io.StringIO()
    tif.series[0].aszarr().write_fsspec(buf, url="file:///unused/")
    refs = json.loads(buf.getvalue())
    print(json.dumps({"zarray": json.loads(refs[".zarray"]), "jfif": tif.pages[0].is_jfif,
                      "photometric": int(tif.pages[0].photometric)}))
`;

/** APP markers (0xE0..0xEF) with their identifier, before the first SOS, of the first strip/tile. */
const APP_MARKERS = `
import sys, json, tifffile
with tifffile.TiffFile(sys.argv[1]) as tif:
    page = tif.pages[0]
    tif.filehandle.seek(page.dataoffsets[0])
    data = tif.filehandle.read(page.databytecounts[0])
found, i = [], 2
while i + 4 <= len(data) and data[i] == 0xFF:
    marker, length = data[i + 1], int.from_bytes(data[i + 2:i + 4], "big")
    if marker == 0xDA:
        break
    if 0xE0 <= marker <= 0xEF:
        found.append([marker, data[i + 4:i + 9].split(b"\\0")[0].decode("latin-1")])
    i += 2 + length
print(json.dumps(found))
`;

describe("jpegColorspaces follows tifffile's jpeg_decode_colorspace", () => {
  it.skipIf(!HAS_GDAL_PYTHON)("for every photometric, planar configuration, extra samples and JFIF flag (skipped without Debian's tifffile)", () => {
    const photometrics = [0, 1, 2, 3, 4, 5, 6, 8, 9, 10];
    const combos: [number, 1 | 2, number[], boolean][] = [];
    for (const photometric of photometrics) {
      for (const planar of [1, 2] as const) for (const extra of [[], [2]]) for (const jfif of [false, true]) combos.push([photometric, planar, extra, jfif]);
    }
    const expected = JSON.parse(
      runPython(
        `import sys, json
from tifffile.tifffile import jpeg_decode_colorspace
print(json.dumps([list(jpeg_decode_colorspace(p, pl, tuple(e), j)) for p, pl, e, j in json.loads(sys.argv[1])]))`,
        [JSON.stringify(combos)],
      ),
    ) as [number | null, number | string | null][];
    const ours = combos.map(([p, pl, e, j]) => {
      const { colorspaceJpeg, colorspaceData } = jpegColorspaces(p, pl, e, j);
      return [colorspaceJpeg, colorspaceData];
    });
    expect(ours).toEqual(expected);
    // the case of issue 14: RGB without JFIF is RGB → RGB, not YCbCr → RGB
    expect(jpegColorspaces(2, 1, [], false)).toEqual({ colorspaceJpeg: 2, colorspaceData: 2 });
  });
});

describe("defaultJpegColorspace reads the markers libjpeg reads", () => {
  /** SOI, optional APP segment, SOF0 with 3 or 4 components of the given ids. */
  const stream = (app: number[] | undefined, ids: number[]): Uint8Array => {
    const sof = [0xff, 0xc0, 0x00, 8 + ids.length * 3, 0x08, 0x00, 0x08, 0x00, 0x08, ids.length, ...ids.flatMap((id) => [id, 0x11, 0x00])];
    return Uint8Array.from([0xff, 0xd8, ...(app ?? []), ...sof, 0xff, 0xd9]);
  };
  const adobe = (transform: number): number[] => [0xff, 0xee, 0x00, 0x0e, ...Buffer.from("Adobe"), 0x00, 0x64, 0x00, 0x00, 0x00, 0x00, transform];
  const jfif = [0xff, 0xe0, 0x00, 0x10, ...Buffer.from("JFIF\0"), 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00];

  it("three components: JFIF → YCbCr, Adobe transform 0 → RGB / 1 → YCbCr, else ids 'R','G','B' → RGB, others YCbCr", () => {
    expect(defaultJpegColorspace(stream(jfif, [0x52, 0x47, 0x42]))).toBe(3);
    expect(defaultJpegColorspace(stream(adobe(0), [1, 2, 3]))).toBe(2);
    expect(defaultJpegColorspace(stream(adobe(1), [0x52, 0x47, 0x42]))).toBe(3);
    expect(defaultJpegColorspace(stream(undefined, [0x52, 0x47, 0x42]))).toBe(2);
    expect(defaultJpegColorspace(stream(undefined, [1, 2, 3]))).toBe(3);
    expect(defaultJpegColorspace(stream(undefined, [0, 1, 2]))).toBe(3);
  });

  it("one component → gray; four → CMYK, or YCCK with Adobe transform 2", () => {
    expect(defaultJpegColorspace(stream(undefined, [1]))).toBe(1);
    expect(defaultJpegColorspace(stream(undefined, [1, 2, 3, 4]))).toBe(4);
    expect(defaultJpegColorspace(stream(adobe(2), [1, 2, 3, 4]))).toBe(5);
  });
});

describe.skipIf(!HAS_PIL)("imagecodecs_jpeg configurations equal tifffile's kerchunk output (skipped without Debian's GDAL/tifffile/PIL)", () => {
  const dir = mkdtempSync(join(tmpdir(), "vz-tiff-jpeg-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // 48 rows: whole 8- and 16-row strips, since tifffile refuses incomplete chunks in kerchunk output
  const gdalCases: [string, number, string[]][] = [
    ["rgb_strips", 3, ["PHOTOMETRIC=RGB", "BLOCKYSIZE=8"]],
    ["rgb_tiles", 3, ["PHOTOMETRIC=RGB", "TILED=YES", "BLOCKXSIZE=16", "BLOCKYSIZE=16"]],
    ["ycbcr_strips", 3, ["PHOTOMETRIC=YCBCR", "BLOCKYSIZE=16"]],
    ["gray_tiles", 1, ["TILED=YES", "BLOCKXSIZE=16", "BLOCKYSIZE=16"]],
    ["rgba_strips", 4, ["BLOCKYSIZE=8"]],
  ];
  const path = (name: string): string => join(dir, `${name}.tif`);
  let jfifPixels: number[] = [];

  beforeAll(() => {
    runPython(
      `import sys, json, numpy as np
from osgeo import gdal
gdal.UseExceptions()
y, x = np.mgrid[0:48, 0:48]
for name, bands, options in json.loads(sys.argv[2]):
    mem = gdal.GetDriverByName("MEM").Create("", 48, 48, bands, gdal.GDT_Byte)
    for b in range(bands):
        mem.GetRasterBand(b + 1).WriteArray(((x * (5 + b * 3) + y * (7 - b * 2) + b * 60) % 256).astype(np.uint8))
    gdal.Translate(sys.argv[1] + "/" + name + ".tif", mem, format="GTiff", creationOptions=["COMPRESS=JPEG"] + options)`,
      [dir, JSON.stringify(gdalCases)],
    );
    // a JPEG stream with a JFIF marker (PIL writes one), wrapped as a one-strip RGB TIFF
    const made = JSON.parse(
      runPython(`import io, json, numpy as np
from PIL import Image
y, x = np.mgrid[0:24, 0:32]
rgb = np.stack([(x * 8) % 256, (y * 10) % 256, ((x + y) * 5) % 256], -1).astype(np.uint8)
buf = io.BytesIO()
Image.fromarray(rgb).save(buf, "JPEG", quality=92)
decoded = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))
print(json.dumps({"jpeg": buf.getvalue().hex(), "pixels": decoded.ravel().tolist()}))`),
    ) as { jpeg: string; pixels: number[] };
    const jpeg = Uint8Array.from(Buffer.from(made.jpeg, "hex"));
    jfifPixels = made.pixels;
    const tiff = buildTiff({
      data: jpeg,
      entries: [
        { tag: 256, type: 4, values: [32] },
        { tag: 257, type: 4, values: [24] },
        { tag: 258, type: 3, values: [8, 8, 8] },
        { tag: 259, type: 3, values: [7] },
        { tag: 262, type: 3, values: [2] },
        { tag: 273, type: 4, values: [8] },
        { tag: 277, type: 3, values: [3] },
        { tag: 278, type: 4, values: [24] },
        { tag: 279, type: 4, values: [jpeg.length] },
        { tag: 284, type: 3, values: [1] },
      ],
    });
    writeFileSync(path("rgb_jfif"), tiff);
  }, 60_000);

  const ourCompressor = async (file: string): Promise<Record<string, unknown>> => {
    const dataset = await openVirtualDataset(toUrl(file), { parser: plugin, reader: new FileReader() });
    const refs = toKerchunk(dataset) as { refs: Record<string, string> };
    return (JSON.parse(refs.refs["0/.zarray"]!) as { compressor: Record<string, unknown> }).compressor;
  };

  it("GDAL's RGB JPEG streams carry no JFIF or Adobe marker (so the JPEG colour space must be given)", () => {
    for (const name of ["rgb_strips", "rgb_tiles"]) {
      const markers = JSON.parse(runPython(APP_MARKERS, [path(name)])) as [number, string][];
      expect(markers.filter(([, id]) => id === "JFIF" || id === "Adobe"), name).toEqual([]);
    }
    const jfif = JSON.parse(runPython(APP_MARKERS, [path("rgb_jfif")])) as [number, string][];
    expect(jfif).toContainEqual([0xe0, "JFIF"]);
  });

  it.each([...gdalCases.map(([name]) => name), "rgb_jfif"])("%s: the whole imagecodecs_jpeg configuration equals tifffile's", async (name) => {
    const theirs = JSON.parse(runPython(TIFFFILE_REFS, [path(name)])) as { zarray: { compressor: Record<string, unknown> }; jfif: boolean; photometric: number };
    expect(theirs.jfif).toBe(name === "rgb_jfif");
    const ours = await ourCompressor(path(name));
    expect(ours).toEqual(theirs.zarray.compressor);
    if (name.startsWith("rgb_strips") || name === "rgb_tiles") expect(ours).toMatchObject({ colorspace_jpeg: 2, colorspace_data: 2 });
  });

  it("the decoder assumes libjpeg's colour space when colorspace_jpeg is not given (JFIF/Adobe markers, component ids)", async () => {
    const firstChunk = (name: string): { stream: Uint8Array; tables: string | null; shape: number[] } => {
      const found = JSON.parse(
        runPython(
          `import sys, json, base64, tifffile
with tifffile.TiffFile(sys.argv[1]) as tif:
    page = tif.pages[0]
    tif.filehandle.seek(page.dataoffsets[0])
    data = tif.filehandle.read(page.databytecounts[0])
    tables = None if page.jpegtables is None else base64.b64encode(page.jpegtables).decode()
    print(json.dumps({"stream": data.hex(), "tables": tables, "shape": [page.rowsperstrip if not page.is_tiled else page.tilelength, page.tilewidth or page.imagewidth, page.samplesperpixel]}))`,
          [path(name)],
        ),
      ) as { stream: string; tables: string | null; shape: number[] };
      return { stream: Uint8Array.from(Buffer.from(found.stream, "hex")), tables: found.tables, shape: found.shape };
    };
    const decode = (chunk: ReturnType<typeof firstChunk>, colorspaceJpeg: number | null): Promise<Uint8Array> =>
      JpegCodec.fromConfig(
        { tables: chunk.tables, header: null, bitspersample: 8, colorspace_jpeg: colorspaceJpeg, colorspace_data: 2 },
        { dataType: "uint8", shape: chunk.shape },
      ).decode(chunk.stream);
    const rgb = firstChunk("rgb_tiles"); // component ids 'R','G','B', no marker: libjpeg decodes as RGB
    expect(defaultJpegColorspace(rgb.stream)).toBe(2);
    expect(await decode(rgb, null)).toEqual(await decode(rgb, 2));
    const ycbcr = firstChunk("ycbcr_strips"); // component ids 1, 2, 3: YCbCr
    expect(defaultJpegColorspace(ycbcr.stream)).toBe(3);
    expect(await decode(ycbcr, null)).toEqual(await decode(ycbcr, 3));
    expect(await decode(ycbcr, null)).not.toEqual(await decode(ycbcr, 2));
    expect(defaultJpegColorspace(firstChunk("rgb_jfif").stream)).toBe(3); // JFIF: YCbCr
    expect(defaultJpegColorspace(firstChunk("gray_tiles").stream)).toBe(1);
    expect(defaultJpegColorspace(firstChunk("rgba_strips").stream)).toBe(4); // four components, no Adobe marker: CMYK
  });

  it("decodes RGB JPEG without JFIF as RGB, YCbCr, gray and RGBA as GDAL does (±3), and RGB with JFIF as YCbCr → RGB (libjpeg's values ±3)", async () => {
    const compare = (ours: Uint8Array, reference: ArrayLike<number>): number => {
      expect(ours.length).toBe(reference.length);
      let max = 0;
      for (let i = 0; i < ours.length; i++) max = Math.max(max, Math.abs(ours[i]! - reference[i]!));
      return max;
    };
    for (const [name] of gdalCases) {
      const store = await plugin.create()(toUrl(path(name)), new FileReader());
      const { bytes } = await readBandFirst(store, "0"); // band-first, as GDAL's ReadAsArray
      const gdal = Buffer.from(runPython("import sys; from osgeo import gdal; sys.stdout.write(gdal.Open(sys.argv[1]).ReadAsArray().tobytes().hex())", [path(name)]), "hex");
      expect(compare(bytes, gdal), name).toBeLessThanOrEqual(3);
    }
    const store = await plugin.create()(toUrl(path("rgb_jfif")), new FileReader());
    const { bytes, shape } = await readBandFirst(store, "0");
    expect(shape).toEqual([3, 24, 32]);
    // PIL's pixels are (y, x, band): reorder to band-first
    const bandFirst = new Uint8Array(bytes.length);
    for (let b = 0; b < 3; b++) for (let i = 0; i < 24 * 32; i++) bandFirst[b * 768 + i] = jfifPixels[i * 3 + b]!;
    expect(compare(bytes, bandFirst)).toBeLessThanOrEqual(3);
  });
});
