/**
 * vz's zarrita codecs against data encoded by independent implementations: Python's zlib / bz2,
 * numcodecs 0.11 (Shuffle, Blosc, Zstd), the python-lz4 block compressor framed as the HDF5 LZ4
 * filter does, and HDF5 itself (h5py `read_direct_chunk` for fletcher32, shuffle+deflate, LZF).
 * The fixture generator is codecs-fixtures.py, run at test time with Debian's /usr/bin/python3.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deflateSync, inflateSync } from "node:zlib";
import * as zarr from "zarrita";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ChunkManifestBuilder,
  type CodecMetadata,
  createArrayMetadata,
  type DataType,
  isVzError,
  ManifestArray,
  ManifestGroup,
  ManifestStore,
  MemoryReader,
} from "../src/index.js";
import {
  Bz2Codec,
  decodeLz4Block,
  decodeLz4H5,
  decodeLzf,
  fletcher32,
  Fletcher32Codec,
  Lz4H5Codec,
  LzfCodec,
  registerCodecs,
  ShuffleCodec,
  unshuffleBytes,
  VZ_CODEC_NAMES,
} from "../src/codecs.js";
import { missingPythonModules, PYTHON, runPython } from "./interop-python.js";

const missing = missingPythonModules(["numpy", "numcodecs", "h5py", "lz4.block"]);
const skipReason = missing.length > 0 ? ` (SKIPPED: ${PYTHON} lacks ${missing.join(", ")})` : "";

type Cases = {
  raw: { f8: string; i2be: string; noise: string };
  zlib: { f8: string };
  bz2: { f8: string; noise: string };
  shuffle: { f8: string; i2be: string };
  shuffle4: { f8: string };
  blosc: Record<string, string>;
  zstd: { f8: string };
  lz4h5: { f8: string; noise: string; mixed: string };
  strings7: string;
  h5: { data: string; shape: number[]; chunks: number[]; datasets: Record<string, { chunks: Record<string, string> }> };
};

const bytesOf = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, "base64"));

/** Reads `bytes` as one chunk of a 1-d or n-d array through a ManifestStore and zarrita. */
async function readThroughZarrita(options: {
  dataType: DataType;
  shape: number[];
  chunkShape: number[];
  codecs: CodecMetadata[];
  chunks: Record<string, Uint8Array>;
}): Promise<zarr.Chunk<zarr.DataType>> {
  const reader = new MemoryReader();
  const grid = options.shape.map((s, d) => Math.ceil(s / options.chunkShape[d]!));
  const builder = new ChunkManifestBuilder(grid);
  for (const [key, bytes] of Object.entries(options.chunks)) {
    const url = `memory://codecs/${key}.bin`;
    reader.put(url, bytes);
    builder.set(key.split(".").map(Number), url, 0, bytes.length);
  }
  const metadata = createArrayMetadata({
    shape: options.shape,
    dataType: options.dataType,
    chunkShape: options.chunkShape,
    codecs: options.codecs,
  });
  const group = new ManifestGroup({ arrays: { x: new ManifestArray(metadata, builder.build(), "x") } });
  const store = new ManifestStore(group, reader);
  const array = await zarr.open(zarr.root(store).resolve("x"), { kind: "array" });
  return zarr.get(array);
}

const LE = { name: "bytes", configuration: { endian: "little" } };

describe(`codecs${skipReason}`, () => {
  let directory = "";
  let cases: Cases;
  let smooth: Float64Array;

  beforeAll(async () => {
    await registerCodecs();
    if (missing.length > 0) return;
    directory = mkdtempSync(join(tmpdir(), "vz-codecs-"));
    runPython(readFileSync(new URL("./codecs-fixtures.py", import.meta.url), "utf8"), [directory]);
    cases = JSON.parse(readFileSync(join(directory, "cases.json"), "utf8")) as Cases;
    const raw = bytesOf(cases.raw.f8);
    smooth = new Float64Array(raw.buffer, raw.byteOffset, raw.byteLength / 8);
  });
  afterAll(() => {
    if (directory) rmSync(directory, { recursive: true, force: true });
  });

  it("registerCodecs is idempotent and registers every vz codec name", async () => {
    await Promise.all([registerCodecs(), registerCodecs()]);
    await registerCodecs();
    for (const name of VZ_CODEC_NAMES) expect(zarr.registry.has(name), name).toBe(true);
  });

  it.skipIf(missing.length > 0)("numcodecs.zlib (node:zlib in Node) decodes Python zlib output", async () => {
    const chunk = await readThroughZarrita({
      dataType: "float64",
      shape: [3000],
      chunkShape: [3000],
      codecs: [LE, { name: "numcodecs.zlib", configuration: { level: 6 } }],
      chunks: { "0": bytesOf(cases.zlib.f8) },
    });
    expect(Array.from(chunk.data as Float64Array)).toEqual(Array.from(smooth));
  });

  it.skipIf(missing.length > 0)("numcodecs.bz2 decodes Python bz2 output (compressible and random data)", async () => {
    const codec = Bz2Codec.fromConfig({ level: 9 });
    expect(await codec.decode(bytesOf(cases.bz2.noise))).toEqual(bytesOf(cases.raw.noise));
    const chunk = await readThroughZarrita({
      dataType: "float64",
      shape: [3000],
      chunkShape: [3000],
      codecs: [LE, { name: "numcodecs.bz2", configuration: { level: 9 } }],
      chunks: { "0": bytesOf(cases.bz2.f8) },
    });
    expect(Array.from(chunk.data as Float64Array)).toEqual(Array.from(smooth));
  });

  it.skipIf(missing.length > 0)("numcodecs.bz2 refuses a corrupt stream with a typed error", async () => {
    const corrupt = bytesOf(cases.bz2.f8);
    corrupt[corrupt.length >> 1] = corrupt[corrupt.length >> 1]! ^ 0x5a;
    const error = await Bz2Codec.fromConfig({}).decode(corrupt).catch((e: unknown) => e);
    expect(isVzError(error, "READ_FAILED")).toBe(true);
    expect((error as Error).message).toMatch(/numcodecs\.bz2/);
  });

  it.skipIf(missing.length > 0)("numcodecs.shuffle decodes numcodecs Shuffle (float64 LE and int16 BE)", async () => {
    const f8 = await readThroughZarrita({
      dataType: "float64",
      shape: [3000],
      chunkShape: [3000],
      codecs: [LE, { name: "numcodecs.shuffle", configuration: { elementsize: 8 } }],
      chunks: { "0": bytesOf(cases.shuffle.f8) },
    });
    expect(Array.from(f8.data as Float64Array)).toEqual(Array.from(smooth));
    const i2 = await readThroughZarrita({
      dataType: "int16",
      shape: [5000],
      chunkShape: [5000],
      codecs: [{ name: "bytes", configuration: { endian: "big" } }, { name: "numcodecs.shuffle", configuration: { elementsize: 2 } }],
      chunks: { "0": bytesOf(cases.shuffle.i2be) },
    });
    expect(Array.from(i2.data as Int16Array)).toEqual(Array.from({ length: 5000 }, (_, i) => i - 2500));
  });

  it.skipIf(missing.length > 0)("numcodecs.shuffle honours a configured elementsize that differs from the item size", async () => {
    // zarrita 0.7.5's built-in shuffle would use 8 (float64) here and scramble the values.
    const chunk = await readThroughZarrita({
      dataType: "float64",
      shape: [3000],
      chunkShape: [3000],
      codecs: [LE, { name: "numcodecs.shuffle", configuration: { elementsize: 4 } }],
      chunks: { "0": bytesOf(cases.shuffle4.f8) },
    });
    expect(Array.from(chunk.data as Float64Array)).toEqual(Array.from(smooth));
  });

  it("unshuffle's word paths (2, 4, 8 bytes) match the byte-by-byte definition, with trailing bytes", () => {
    for (const elementSize of [2, 3, 4, 8]) {
      // counts that are and are not multiples of 4 (the 4-byte path takes four elements at a time
      // from aligned input), and results of 4096 bytes and more (written into memory not zeroed first)
      const lengths = [0, elementSize - 1, elementSize * 7, elementSize * 7 + elementSize - 1, elementSize * 8, elementSize * 1500, elementSize * 1500 + elementSize - 1, elementSize * 1501];
      for (const length of lengths) {
        const shuffled = Uint8Array.from({ length }, (_, i) => (i * 37 + 11 + (i >> 8)) & 255);
        const count = Math.floor(length / elementSize);
        const expected = shuffled.slice();
        for (let byte = 0; byte < elementSize; byte++) for (let i = 0; i < count; i++) expected[i * elementSize + byte] = shuffled[byte * count + i]!;
        for (const offset of [3, 0, 8]) {
          const view = new Uint8Array(length + offset);
          view.set(shuffled, offset); // an input at an odd offset of its buffer, and aligned ones
          expect(Array.from(unshuffleBytes(view.subarray(offset), elementSize)), `${elementSize}/${length}/${offset}`).toEqual(Array.from(expected));
        }
      }
    }
  });

  it("numcodecs.zlib and gzip decode exactly and refuse corrupt data", async () => {
    const values = Float32Array.from({ length: 3000 }, (_, i) => Math.sin(i) * 1000);
    const raw = new Uint8Array(values.buffer);
    const { gzipSync } = await import("node:zlib");
    for (const [name, encoded] of [
      ["numcodecs.zlib", deflateSync(raw)],
      ["numcodecs.gzip", gzipSync(raw)],
    ] as const) {
      const chunk = await readThroughZarrita({
        dataType: "float32",
        shape: [3000],
        chunkShape: [3000],
        codecs: [LE, { name, configuration: { level: 1 } }],
        chunks: { "0": new Uint8Array(encoded) },
      });
      expect(Array.from(chunk.data as Float32Array), name).toEqual(Array.from(values));
      const corrupt = new Uint8Array(encoded).slice(0, 40);
      await expect(
        readThroughZarrita({ dataType: "float32", shape: [3000], chunkShape: [3000], codecs: [LE, { name }], chunks: { "0": corrupt } }),
      ).rejects.toThrow();
    }
  });

  it("shuffle keeps a trailing partial element as it is (HDF5 behaviour)", async () => {
    const data = Uint8Array.from({ length: 23 }, (_, i) => i * 3 + 1);
    const codec = ShuffleCodec.fromConfig({ elementsize: 5 });
    const shuffled = await codec.encode(data);
    expect(Array.from(shuffled.subarray(20))).toEqual([61, 64, 67]);
    expect(shuffled[1]).toBe(data[5]);
    expect(await codec.decode(shuffled)).toEqual(data);
  });

  it.skipIf(missing.length > 0)("numcodecs.blosc (numcodecs.js) decodes Blosc lz4/zstd/zlib/blosclz with shuffle 0/1/2", async () => {
    for (const [key, encoded] of Object.entries(cases.blosc)) {
      const [cname, shuffle] = key.split("-");
      const chunk = await readThroughZarrita({
        dataType: "float64",
        shape: [3000],
        chunkShape: [3000],
        codecs: [
          LE,
          { name: "numcodecs.blosc", configuration: { cname, clevel: 5, shuffle: Number(shuffle), blocksize: 0, typesize: 8 } },
        ],
        chunks: { "0": bytesOf(encoded) },
      });
      expect(Array.from(chunk.data as Float64Array), key).toEqual(Array.from(smooth));
    }
  });

  it.skipIf(missing.length > 0)("numcodecs.zstd (numcodecs.js) decodes numcodecs Zstd, with and without configuration", async () => {
    for (const codec of [{ name: "numcodecs.zstd", configuration: { level: 3 } }, { name: "numcodecs.zstd" }]) {
      const chunk = await readThroughZarrita({
        dataType: "float64",
        shape: [3000],
        chunkShape: [3000],
        codecs: [LE, codec],
        chunks: { "0": bytesOf(cases.zstd.f8) },
      });
      expect(Array.from(chunk.data as Float64Array)).toEqual(Array.from(smooth));
    }
  });

  it.skipIf(missing.length > 0)("imagecodecs_lz4h5 decodes HDF5-LZ4 framing (several blocks, raw-stored blocks)", async () => {
    expect(decodeLz4H5(bytesOf(cases.lz4h5.noise))).toEqual(bytesOf(cases.raw.noise));
    const mixed = decodeLz4H5(bytesOf(cases.lz4h5.mixed));
    expect(mixed.subarray(0, 5000)).toEqual(bytesOf(cases.raw.noise));
    expect(mixed.subarray(5000)).toEqual(bytesOf(cases.raw.f8));
    const chunk = await readThroughZarrita({
      dataType: "float64",
      shape: [3000],
      chunkShape: [3000],
      codecs: [LE, { name: "imagecodecs_lz4h5" }],
      chunks: { "0": bytesOf(cases.lz4h5.f8) },
    });
    expect(Array.from(chunk.data as Float64Array)).toEqual(Array.from(smooth));
  });

  it.skipIf(missing.length > 0)("imagecodecs_lz4h5 refuses truncated chunks and a header that disagrees with the chunk size", async () => {
    const encoded = bytesOf(cases.lz4h5.f8);
    expect(() => decodeLz4H5(encoded.subarray(0, encoded.length - 10))).toThrow(/imagecodecs_lz4h5|lz4/);
    expect(() => decodeLz4H5(encoded.subarray(0, 8))).toThrow(/12-byte header/);
    // The same stream declared for a chunk of 2000 float64 values (16000 bytes) is 24000 bytes.
    const codec = Lz4H5Codec.fromConfig({}, { dataType: "float64", shape: [2000], codecs: [LE, { name: "imagecodecs_lz4h5" }] });
    await expect(codec.decode(encoded)).rejects.toThrow(/decoded 24000 bytes but the chunk holds 16000 bytes/);
  });

  it("the LZ4 block decoder handles overlapping matches and rejects bad offsets", () => {
    // token 0x1f: 1 literal "a", match length 15+4 at offset 1 → 20 × "a", then a final literal "b".
    const block = Uint8Array.from([0x1f, 0x61, 0x01, 0x00, 0x00, 0x10, 0x62]);
    const out = new Uint8Array(21);
    expect(decodeLz4Block(block, out)).toBe(21);
    expect(new TextDecoder().decode(out)).toBe(`${"a".repeat(20)}b`);
    expect(() => decodeLz4Block(Uint8Array.from([0x10, 0x61, 0x05, 0x00]), new Uint8Array(10))).toThrow(/invalid match offset 5/);
    expect(() => decodeLz4Block(Uint8Array.from([0x1f, 0x61, 0x01, 0x00, 0x00]), new Uint8Array(10))).toThrow(/overflows/);
  });

  it.skipIf(missing.length > 0)("HDF5 chunks (h5py read_direct_chunk): fletcher32, shuffle+deflate(+fletcher32), lzf, shuffle+lzf", async () => {
    const expected = bytesOf(cases.h5.data);
    const values = Array.from(new Float32Array(expected.buffer, expected.byteOffset, expected.byteLength / 4));
    const pipelines: Record<string, CodecMetadata[]> = {
      fletcher32: [LE, { name: "numcodecs.fletcher32" }],
      shuffle_deflate: [LE, { name: "numcodecs.shuffle", configuration: { elementsize: 4 } }, { name: "numcodecs.zlib", configuration: { level: 4 } }],
      shuffle_deflate_fletcher32: [
        LE,
        { name: "numcodecs.shuffle", configuration: { elementsize: 4 } },
        { name: "numcodecs.zlib", configuration: { level: 4 } },
        { name: "numcodecs.fletcher32" },
      ],
      lzf: [LE, { name: "imagecodecs_lzf" }],
      shuffle_lzf: [LE, { name: "numcodecs.shuffle", configuration: { elementsize: 4 } }, { name: "imagecodecs_lzf" }],
    };
    for (const [name, codecs] of Object.entries(pipelines)) {
      const chunks = Object.fromEntries(Object.entries(cases.h5.datasets[name]!.chunks).map(([key, text]) => [key, bytesOf(text)]));
      expect(Object.keys(chunks).length, name).toBe(4);
      const chunk = await readThroughZarrita({ dataType: "float32", shape: cases.h5.shape, chunkShape: cases.h5.chunks, codecs, chunks });
      expect(Array.from(chunk.data as Float32Array), name).toEqual(values);
    }
  });

  it.skipIf(missing.length > 0)("fletcher32 matches HDF5's checksum and refuses a corrupted chunk", async () => {
    const raw = bytesOf(cases.h5.datasets.fletcher32!.chunks["0.0"]!);
    const stored = new DataView(raw.buffer, raw.byteOffset).getUint32(raw.length - 4, true);
    expect(fletcher32(raw.subarray(0, raw.length - 4))).toBe(stored);
    const corrupt = raw.slice();
    corrupt[17] = corrupt[17]! ^ 0x01;
    await expect(Fletcher32Codec.fromConfig().decode(corrupt)).rejects.toThrow(/checksum mismatch: stored 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}/);
    const error = await readThroughZarrita({
      dataType: "float32",
      shape: [20, 15],
      chunkShape: [20, 15],
      codecs: [LE, { name: "numcodecs.fletcher32" }],
      chunks: { "0.0": corrupt },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(isVzError((error as Error).cause, "READ_FAILED")).toBe(true);
    await expect(Fletcher32Codec.fromConfig().decode(Uint8Array.of(1, 2))).rejects.toThrow(/too short/);
  });

  it("fletcher32 handles odd lengths like HDF5 (trailing byte as the high byte of a word)", () => {
    // Reference values computed by hand from H5_checksum_fletcher32's definition.
    expect(fletcher32(Uint8Array.of())).toBe(0);
    expect(fletcher32(Uint8Array.of(0x01, 0x02))).toBe(0x01020102);
    expect(fletcher32(Uint8Array.of(0x01, 0x02, 0x03))).toBe(((0x0102 + (0x0102 + 0x0300)) << 16) | (0x0102 + 0x0300));
  });

  it.skipIf(missing.length > 0)("fletcher32 verifies odd-length HDF5 chunks (uint8, 7 per chunk, written by h5py)", async () => {
    const chunks = cases.h5.datasets.fletcher32_odd!.chunks;
    const values = Array.from({ length: 21 }, (_, i) => (i * 37) % 251);
    const chunk = await readThroughZarrita({
      dataType: "uint8",
      shape: [21],
      chunkShape: [7],
      codecs: [LE, { name: "numcodecs.fletcher32" }],
      chunks: Object.fromEntries(Object.entries(chunks).map(([key, text]) => [key, bytesOf(text)])),
    });
    expect(Array.from(chunk.data as Uint8Array)).toEqual(values);
  });

  it.skipIf(missing.length > 0)("HDF5 shuffle with elementsize 7 (|S7 strings, h5py) unshuffles exactly", async () => {
    const raw = bytesOf(cases.h5.datasets.strings7!.chunks["0"]!);
    const inflated = new Uint8Array(inflateSync(raw));
    const unshuffled = await ShuffleCodec.fromConfig({ elementsize: 7 }, { dataType: "fixed_length_bytes:7", shape: [25] }).decode(inflated);
    expect(unshuffled).toEqual(bytesOf(cases.strings7).subarray(0, 25 * 7));
    expect(ShuffleCodec.fromConfig(undefined, { dataType: "fixed_length_bytes:7", shape: [25] }).elementSize).toBe(7);
  });

  it("LZF decodes h5py-style streams and refuses streams longer than the chunk", async () => {
    // Literal run of 3 ("abc") then a back reference of length 3+2... built by hand per liblzf's format:
    // control 0x02 → 3 literals; control (3 << 5) | 0, next byte 2 → length 5, offset 3.
    const stream = Uint8Array.of(0x02, 0x61, 0x62, 0x63, 0x60, 0x02);
    expect(new TextDecoder().decode(decodeLzf(stream))).toBe("abcabcab");
    expect(() => decodeLzf(stream, 4)).toThrow(/more than the 4 bytes/);
    expect(() => decodeLzf(Uint8Array.of(0x60, 0x09))).toThrow(/before the start/);
    const codec = LzfCodec.fromConfig({}, { dataType: "uint8", shape: [9], codecs: [LE, { name: "imagecodecs_lzf" }] });
    await expect(codec.decode(stream)).rejects.toThrow(/decoded 8 bytes but the chunk holds 9 bytes/);
  });

  it('LZF reads imagecodecs\' "header" configuration: false = raw stream, true = 4-byte little-endian size first', async () => {
    const stream = Uint8Array.of(0x02, 0x61, 0x62, 0x63, 0x60, 0x02); // "abcabcab"
    const meta = { dataType: "uint8", shape: [8], codecs: [LE, { name: "imagecodecs_lzf" }] };
    const raw = await LzfCodec.fromConfig({ header: false }, meta).decode(stream);
    expect(new TextDecoder().decode(raw)).toBe("abcabcab");
    const withHeader = Uint8Array.of(8, 0, 0, 0, ...stream);
    expect(new TextDecoder().decode(await LzfCodec.fromConfig({ header: true }, meta).decode(withHeader))).toBe("abcabcab");
    // the raw codec reading a headered stream, or a header that disagrees with the chunk, fails loudly
    await expect(LzfCodec.fromConfig({ header: false }, meta).decode(withHeader)).rejects.toThrow(/imagecodecs_lzf/);
    await expect(LzfCodec.fromConfig({ header: true }, meta).decode(Uint8Array.of(9, 0, 0, 0, ...stream))).rejects.toThrow(/size header says 9 bytes/);
    expect(() => LzfCodec.fromConfig({ header: "yes" }, meta)).toThrow(/must be true or false/);
  });

  it("a chunk of the wrong byte length fails loudly instead of decoding to a short array", async () => {
    const values = Float64Array.from([1.5, 2.5, 3.5]);
    const error = await readThroughZarrita({
      dataType: "float64",
      shape: [4],
      chunkShape: [4],
      codecs: [LE],
      chunks: { "0": new Uint8Array(values.buffer) },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(String((error as Error).cause)).toMatch(/decoded 24 bytes but the chunk holds 32 bytes/);
    const compressed = new Uint8Array(deflateSync(new Uint8Array(values.buffer)));
    const viaZlib = await readThroughZarrita({
      dataType: "float64",
      shape: [4],
      chunkShape: [4],
      codecs: [LE, { name: "numcodecs.zlib", configuration: { level: 1 } }],
      chunks: { "0": compressed },
    }).catch((e: unknown) => e);
    expect(String((viaZlib as Error).cause)).toMatch(/decoded 24 bytes but the chunk holds 32 bytes/);
  });

  it("vz's codecs are decode-only and say so", async () => {
    await expect(Fletcher32Codec.fromConfig().encode(Uint8Array.of(1))).rejects.toThrow(/read-only codec/);
  });
});
