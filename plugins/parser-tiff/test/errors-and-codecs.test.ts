/**
 * Hand-made TIFFs: bad input gives typed errors naming the file, the IFD and the reason; PackBits
 * decodes the TIFF 6.0 specification's example; option checks; sniffing and plugin declaration.
 */
import { readFileSync } from "node:fs";
import { isVzError, MemoryReader } from "@vz/core";
import * as zarr from "zarrita";
import { describe, expect, it } from "vitest";
import plugin, { createTiffParser, decodePackBits, sniffTiff } from "../src/index.js";
import { buildTiff, stripImage } from "./tiny-tiff.js";

const URL_ = "memory://test/image.tif";
const parse = (bytes: Uint8Array, options = {}) => createTiffParser(options)(URL_, new MemoryReader({ [URL_]: bytes }));

async function failure(bytes: Uint8Array, options = {}): Promise<Error & { code: string; variable?: string; url?: string }> {
  const error = await parse(bytes, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isVzError(error), `expected a VzError, got ${String(error)}`).toBe(true);
  return error as Error & { code: string; variable?: string; url?: string };
}

// TIFF 6.0 section 9 (PackBits) example: packed bytes and what they unpack to
const PACKED = [0xfe, 0xaa, 0x02, 0x80, 0x00, 0x2a, 0xfd, 0xaa, 0x03, 0x80, 0x00, 0x2a, 0x22, 0xf7, 0xaa];
const UNPACKED = [
  0xaa, 0xaa, 0xaa, 0x80, 0x00, 0x2a, 0xaa, 0xaa, 0xaa, 0xaa, 0x80, 0x00, 0x2a, 0x22, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
  0xaa,
];

describe("bad input", () => {
  it("refuses a file that is not a TIFF", async () => {
    const error = await failure(new TextEncoder().encode("\x89HDF\r\n\x1a\n0000000000000000"));
    expect(error.code).toBe("PARSE_FAILED");
    expect(error.message).toContain(URL_);
    expect(error.message).toContain("not a TIFF");
  });

  it("refuses a truncated header", async () => {
    const error = await failure(new Uint8Array([0x49, 0x49, 0x2a, 0x00]));
    expect(error.code).toBe("PARSE_FAILED");
    expect(error.message).toContain("too short");
  });

  it("stops on an IFD chain that loops", async () => {
    const good = buildTiff({ entries: stripImage(2, 2, 4), data: new Uint8Array(4) });
    const looping = buildTiff({ entries: stripImage(2, 2, 4), data: new Uint8Array(4), nextIfd: 12 });
    expect((await parse(good)).group.arrays.has("0")).toBe(true);
    const error = await failure(looping);
    expect(error.message).toMatch(/loops back to offset 12/);
  });

  it("refuses an IFD offset outside the file", async () => {
    const error = await failure(buildTiff({ entries: stripImage(2, 2, 4), data: new Uint8Array(4), firstIfd: 1_000_000 }));
    expect(error.message).toContain("IFD 0 offset 1000000 lies outside the file");
  });

  it("refuses a strip that lies outside the file", async () => {
    const error = await failure(buildTiff({ entries: stripImage(2, 2, 4, [{ tag: 273, type: 4, values: [500_000] }]), data: new Uint8Array(4) }));
    expect(error.code).toBe("PARSE_FAILED");
    expect(error.message).toContain(URL_);
    expect(error.message).toContain("IFD 0 strip 0");
    expect(error.variable).toBe("0");
  });

  it("refuses an uncompressed strip shorter than its rows", async () => {
    const error = await failure(buildTiff({ entries: stripImage(4, 4, 10), data: new Uint8Array(16) }));
    expect(error.message).toContain("has 10 bytes, 16 needed");
  });

  it("refuses offset/byte-count arrays of the wrong length", async () => {
    const entries = stripImage(4, 4, 8, [
      { tag: 278, type: 4, values: [2] },
      { tag: 273, type: 4, values: [8, 16, 24] },
      { tag: 279, type: 4, values: [8, 8, 8] },
    ]);
    const error = await failure(buildTiff({ entries, data: new Uint8Array(32) }));
    expect(error.message).toContain("expected 2 strips");
  });

  it.each([
    [[{ tag: 259, type: 3, values: [34925] }], "tiff-compression", "compression 34925 (LZMA) has no decoder"],
    [[{ tag: 259, type: 3, values: [6] }], "tiff-compression", "old-style JPEG"],
    [[{ tag: 258, type: 3, values: [16] }, { tag: 339, type: 3, values: [3] }], "tiff-bit-depth", "16-bit floating point"],
    [[{ tag: 258, type: 3, values: [32] }, { tag: 339, type: 3, values: [6] }], "tiff-bit-depth", "complex float"],
    [[{ tag: 258, type: 3, values: [4] }], "tiff-bit-depth", "4-bit unsigned integer"],
    [[{ tag: 262, type: 3, values: [6] }], "tiff-ycbcr", "YCbCr data without JPEG"],
    [[{ tag: 32997, type: 4, values: [3] }], "tiff-image-depth", "ImageDepth 3"],
    [[{ tag: 317, type: 3, values: [3] }], "tiff-predictor", "floating-point predictor (3) on integer samples"],
  ])("raises UnsupportedFeatureError for %j", async (overrides, feature, reason) => {
    const error = (await failure(buildTiff({ entries: stripImage(4, 4, 16, overrides), data: new Uint8Array(64) }))) as Error & {
      feature?: string;
      code: string;
    };
    expect(error.code).toBe("UNSUPPORTED");
    expect(error.feature).toBe(feature);
    expect(error.message).toContain(`TIFF ${URL_}: IFD 0: `);
    expect(error.message).toContain(reason);
  });

  it("stops with AbortedError when the signal is aborted", async () => {
    const bytes = buildTiff({ entries: stripImage(2, 2, 4), data: new Uint8Array(4) });
    const controller = new AbortController();
    controller.abort();
    const error = await createTiffParser()(URL_, new MemoryReader({ [URL_]: bytes }), { signal: controller.signal }).catch((e: unknown) => e);
    expect(isVzError(error, "ABORTED")).toBe(true);
  });

  it("checks the ifds option", async () => {
    const bytes = buildTiff({ entries: stripImage(2, 2, 4), data: new Uint8Array(4) });
    const error = await failure(bytes, { ifds: [3] });
    expect(error.code).toBe("INVALID_ARGUMENT");
    expect(error.message).toContain("IFD 3, the file has 1");
  });
});

describe("hand-made images", () => {
  it("decodes the TIFF 6.0 PackBits example", async () => {
    expect([...decodePackBits(Uint8Array.from(PACKED))]).toEqual(UNPACKED);
    const bytes = buildTiff({
      entries: stripImage(24, 1, PACKED.length, [{ tag: 259, type: 3, values: [32773] }]),
      data: Uint8Array.from(PACKED),
    });
    const store = await parse(bytes);
    expect(store.group.arrays.get("0")!.metadata.codecs.map((c) => c.name)).toEqual(["bytes", "imagecodecs_packbits"]);
    const array = await zarr.open.v3(zarr.root(store as never).resolve("0"), { kind: "array" });
    const chunk = (await zarr.get(array as never)) as unknown as { data: Uint8Array };
    expect([...chunk.data]).toEqual(UNPACKED);
  });

  it("reads a big-endian uint16 image and records GDAL nodata as the fill value", async () => {
    const data = new Uint8Array([0x01, 0x02, 0x03, 0x04, 0xff, 0xfe, 0x00, 0x07]);
    const bytes = buildTiff({
      little: false,
      entries: stripImage(2, 2, 8, [
        { tag: 258, type: 3, values: [16] },
        { tag: 42113, type: 2, values: [...new TextEncoder().encode("7"), 0] },
      ]),
      data,
    });
    const store = await parse(bytes);
    const meta = store.group.arrays.get("0")!.metadata;
    expect(meta.data_type).toBe("uint16");
    expect(meta.fill_value).toBe(7);
    expect(meta.attributes.GDAL_NODATA).toBe("7");
    expect(meta.codecs).toEqual([{ name: "bytes", configuration: { endian: "big" } }]);
    const array = await zarr.open.v3(zarr.root(store as never).resolve("0"), { kind: "array" });
    const chunk = (await zarr.get(array as never)) as unknown as { data: Uint16Array };
    expect([...chunk.data]).toEqual([0x0102, 0x0304, 0xfffe, 0x0007]);
  });
});

describe("codec limits", () => {
  it("PackBits stops at the chunk size", () => {
    const bomb = new Uint8Array(2000);
    for (let i = 0; i < bomb.length; i += 2) bomb.set([0x81, 0xaa], i); // each pair: 128 bytes
    expect(decodePackBits(bomb).length).toBe(128_000);
    expect(decodePackBits(bomb, 300).length).toBe(300);
  });

  it("JPEG refuses a frame larger than the chunk before decoding it", async () => {
    // SOI + SOF0 declaring 10000 x 10000 x 3
    const stream = Uint8Array.from([0xff, 0xd8, 0xff, 0xc0, 0x00, 0x11, 0x08, 0x27, 0x10, 0x27, 0x10, 0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01, 0xff, 0xd9]);
    const { JpegCodec } = await import("../src/codecs/jpeg.js");
    const codec = JpegCodec.fromConfig({ bitspersample: 8 }, { dataType: "uint8", shape: [256, 256, 3] });
    await expect(codec.decode(stream)).rejects.toThrow(/larger than the chunk/);
  });
});

describe("lazy tag reading", () => {
  it("skips a huge ImageDescription instead of reading it", async () => {
    const description = new Uint8Array(200_000).fill(0x41);
    const bytes = buildTiff({
      entries: stripImage(2, 2, 4, [{ tag: 270, type: 2, values: [...description, 0] }]),
      data: new Uint8Array(4),
    });
    const reader = new MemoryReader({ [URL_]: bytes });
    let read = 0;
    const counting = {
      get: (url: string) => reader.get(url),
      head: (url: string) => reader.head(url),
      list: (prefix: string) => reader.list(prefix),
      getRange: (url: string, offset: number, length: number) => {
        read += length;
        return reader.getRange(url, offset, length);
      },
      getRanges: (url: string, ranges: readonly { offset: number; length: number }[]) => {
        for (const range of ranges) read += range.length;
        return reader.getRanges(url, ranges);
      },
    };
    const store = await createTiffParser({ headerRead: 1024 })(URL_, counting);
    expect(store.group.arrays.get("0")!.metadata.attributes.tiff_image_description).toBeUndefined();
    expect(read).toBeLessThan(20_000);
    const small = buildTiff({ entries: stripImage(2, 2, 4, [{ tag: 270, type: 2, values: [...new TextEncoder().encode("hello"), 0] }]), data: new Uint8Array(4) });
    expect((await parse(small)).group.arrays.get("0")!.metadata.attributes.tiff_image_description).toBe("hello");
  });
});

describe("plugin", () => {
  it("declares itself as package.json says", () => {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
      virtualizarr: { parsers: Record<string, string> };
    };
    expect(Object.keys(pkg.virtualizarr.parsers)).toEqual([plugin.name]);
    expect(pkg.virtualizarr.parsers.tiff).toBe("./dist/index.js");
    expect(plugin.extensions).toEqual(["tif", "tiff", "cog", "gtiff"]);
    expect(typeof plugin.create()).toBe("function");
  });

  it("sniffs classic and BigTIFF in both byte orders, nothing else", () => {
    for (const magic of [[0x49, 0x49, 0x2a, 0x00], [0x4d, 0x4d, 0x00, 0x2a], [0x49, 0x49, 0x2b, 0x00], [0x4d, 0x4d, 0x00, 0x2b]]) {
      expect(plugin.sniff!(Uint8Array.from(magic))).toBe(true);
    }
    expect(sniffTiff(Uint8Array.from([0x89, 0x48, 0x44, 0x46]))).toBe(false);
    expect(sniffTiff(Uint8Array.from([0x49, 0x49, 0x00, 0x2a]))).toBe(false);
    expect(sniffTiff(Uint8Array.from([0x49, 0x49]))).toBe(false);
  });
});
