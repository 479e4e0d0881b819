/**
 * Encoded fill chunks (written inline for missing chunks by the kerchunk writer): the deflate,
 * zlib and gzip encoders are checked against Node's zlib (an independent decoder), and the
 * encoded chunks decode, through the same codec chain in reverse, to chunks of the fill value.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync, inflateRawSync, inflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import type { CodecMetadata, DataType } from "../src/index.js";
import { deflateRaw, encodedFillChunk, gzipCompress, zlibCompress } from "../src/writers/fill-chunk.js";
import { missingPythonModules, runPython } from "./interop-python.js";

function randomBytes(length: number, seed: number, alphabet = 256): Uint8Array {
  let state = seed;
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    out[i] = (state >>> 16) % alphabet;
  }
  return out;
}

function unshuffle(bytes: Uint8Array, elementSize: number): Uint8Array {
  const count = Math.floor(bytes.length / elementSize);
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < count; i++) for (let j = 0; j < elementSize; j++) out[i * elementSize + j] = bytes[j * count + i]!;
  out.set(bytes.subarray(count * elementSize), count * elementSize);
  return out;
}

describe("deflate / zlib / gzip encoders", () => {
  const inputs: [string, Uint8Array][] = [
    ["empty", new Uint8Array(0)],
    ["one byte", Uint8Array.of(7)],
    ["random", randomBytes(5000, 1)],
    ["few symbols (many short matches)", randomBytes(70_000, 2, 3)],
    ["constant", new Uint8Array(100_000).fill(0x9d)],
    ["period 8", new Uint8Array(new Float64Array(4096).fill(1e20).buffer)],
    ["period 5", Uint8Array.from({ length: 1003 }, (_, i) => [1, 2, 3, 4, 5][i % 5]!)],
  ];
  it.each(inputs)("%s: Node's zlib inflates what we deflate", (_label, data) => {
    expect(new Uint8Array(inflateRawSync(deflateRaw(data)))).toEqual(data);
    expect(new Uint8Array(inflateSync(zlibCompress(data)))).toEqual(data);
    expect(new Uint8Array(gunzipSync(gzipCompress(data)))).toEqual(data);
  });

  it("compresses a constant chunk about 100-fold", () => {
    const data = new Uint8Array(new Int32Array(65_536).fill(-99).buffer);
    expect(zlibCompress(data).length).toBeLessThan(data.length / 100);
  });
});

describe("encodedFillChunk", () => {
  const bytes = (endian: "little" | "big"): CodecMetadata => ({ name: "bytes", configuration: { endian } });
  const cases: [DataType, unknown, CodecMetadata[], (view: DataView, offset: number) => unknown, number][] = [
    ["int32", -99, [bytes("little")], (v, o) => v.getInt32(o, true), 4],
    ["int16", -99, [bytes("big"), { name: "numcodecs.zlib", configuration: { level: 4 } }], (v, o) => v.getInt16(o, false), 2],
    ["int32", -99, [bytes("little"), { name: "numcodecs.shuffle", configuration: { elementsize: 4 } }, { name: "numcodecs.zlib", configuration: { level: 1 } }], (v, o) => v.getInt32(o, true), 4],
    ["float64", 1e20, [bytes("little"), { name: "numcodecs.gzip", configuration: { level: 9 } }], (v, o) => v.getFloat64(o, true), 8],
    ["float32", "NaN", [bytes("big"), { name: "numcodecs.shuffle", configuration: { elementsize: 4 } }, { name: "numcodecs.zlib" }], (v, o) => v.getFloat32(o, false), 4],
    ["int64", -9223372036854775806n, [bytes("little"), { name: "numcodecs.zlib" }], (v, o) => v.getBigInt64(o, true), 8],
    ["uint64", 18446744073709551614n, [bytes("big")], (v, o) => v.getBigUint64(o, false), 8],
    ["uint8", 255, [bytes("little"), { name: "numcodecs.zlib" }], (v, o) => v.getUint8(o), 1],
  ];
  it.each(cases)("%s fill %s through %j decodes to the fill value everywhere", (dataType, fill, codecs, read, size) => {
    const chunk = encodedFillChunk(dataType, codecs, [7, 5], fill)!;
    expect(chunk).toBeDefined();
    let raw = chunk;
    for (const codec of [...codecs].reverse()) {
      if (codec.name === "numcodecs.zlib") raw = new Uint8Array(inflateSync(raw));
      else if (codec.name === "numcodecs.gzip") raw = new Uint8Array(gunzipSync(raw));
      else if (codec.name === "numcodecs.shuffle") raw = unshuffle(raw, Number(codec.configuration!.elementsize));
    }
    expect(raw.length).toBe(35 * size);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const expected = fill === "NaN" ? Number.NaN : fill;
    for (let i = 0; i < 35; i++) expect(read(view, i * size)).toEqual(expected);
  });

  const missing = missingPythonModules(["numcodecs", "numpy"]);
  it.skipIf(missing.length > 0)(`numcodecs (Python) decodes zstd, blosc and lz4 fill chunks to the fill value${missing.length > 0 ? ` (skipped: ${missing.join(", ")} missing)` : ""}`, () => {
    const chains: [string, DataType, number | bigint, string, CodecMetadata[]][] = [
      ["zstd", "int32", -99, "<i4", [bytes("little"), { name: "numcodecs.zstd", configuration: { level: 3 } }]],
      ["shuffle+zstd", "float64", 1e20, "<f8", [bytes("little"), { name: "numcodecs.shuffle", configuration: { elementsize: 8 } }, { name: "numcodecs.zstd" }]],
      ["blosc", "int16", -99, ">i2", [bytes("big"), { name: "numcodecs.blosc", configuration: { cname: "lz4", clevel: 5, shuffle: 1, typesize: 2 } }]],
      ["lz4", "uint64", 18446744073709551614n, "<u8", [bytes("little"), { name: "numcodecs.lz4", configuration: { acceleration: 1 } }]],
    ];
    const shape = [300, 50];
    const payload = chains.map(([label, dataType, fill, dtype, codecs]) => ({
      label,
      dtype,
      fill: String(fill),
      // as the kerchunk writer writes them for numcodecs (blosc without the v3 typesize)
      codecs: codecs.slice(1).map((c) => {
        const { typesize: _typesize, ...configuration } = c.configuration ?? {};
        return { id: c.name.replace(/^numcodecs\./, ""), ...configuration };
      }),
      data: Buffer.from(encodedFillChunk(dataType, codecs, shape, fill)!).toString("base64"),
    }));
    const script = [
      "import sys, json, base64, numpy as np, numcodecs",
      "out = {}",
      "for case in json.load(open(sys.argv[1])):",
      "    data = base64.b64decode(case['data'])",
      "    size = len(data)",
      "    for codec in reversed(case['codecs']):",
      "        data = numcodecs.get_codec(dict(codec)).decode(data)",
      "    values = np.frombuffer(bytes(data), dtype=case['dtype'])",
      "    want = np.array(int(case['fill']) if values.dtype.kind in 'iu' else float(case['fill']), dtype=case['dtype'])",
      "    out[case['label']] = [int(values.size), bool((values == want).all()), size]",
      "print(json.dumps(out))",
    ].join("\n");
    const directory = mkdtempSync(join(tmpdir(), "vz-fill-chunk-"));
    const input = join(directory, "chunks.json");
    writeFileSync(input, JSON.stringify(payload));
    let result: Record<string, [number, boolean, number]>;
    try {
      result = JSON.parse(runPython(script, [input])) as Record<string, [number, boolean, number]>;
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
    for (const [label] of chains) expect(result[label]!.slice(0, 2), label).toEqual([15_000, true]);
    // a shuffled constant chunk is runs of one byte: zstd RLE blocks, a few dozen bytes
    expect(result["shuffle+zstd"]![2]).toBeLessThan(200);
  });

  it("gives up (undefined) on codecs it cannot encode and on values the type cannot hold", () => {
    expect(encodedFillChunk("int32", [bytes("little"), { name: "numcodecs.bz2" }], [4], 0)).toBeUndefined();
    expect(encodedFillChunk("int32", [bytes("little"), { name: "imagecodecs_lzf" }], [4], 0)).toBeUndefined();
    expect(encodedFillChunk("int32", [{ name: "transpose", configuration: { order: [0] } }, bytes("little")], [4], 0)).toBeUndefined();
    expect(encodedFillChunk("int16", [bytes("little")], [4], 40_000)).toBeUndefined();
    expect(encodedFillChunk("int16", [bytes("little")], [4], 1.5)).toBeUndefined();
    expect(encodedFillChunk("uint8", [bytes("little")], [4], -1)).toBeUndefined();
    expect(encodedFillChunk("fixed_length_bytes:3", [bytes("little")], [4], "abc")).toBeUndefined();
  });
});

describe("64-bit integer fill values in comparisons", () => {
  it("virtual arrays with the same bigint fill value compare equal (no TypeError from JSON.stringify)", async () => {
    const { ChunkManifestBuilder, createArrayMetadata, ManifestArray } = await import("../src/index.js");
    const { virtualArrayBackend } = await import("../src/api/combine-datasets.js");
    const make = (fill: bigint) =>
      new ManifestArray(
        createArrayMetadata({ shape: [2], dataType: "int64", chunkShape: [2], fillValue: fill }),
        new ChunkManifestBuilder([1]).set(0, "memory://a.bin", 0, 16).build(),
      );
    expect(virtualArrayBackend.equals(make(-9223372036854775806n), make(-9223372036854775806n))).toBe(true);
    expect(virtualArrayBackend.equals(make(-9223372036854775806n), make(-9223372036854775805n))).toBe(false);
  });
});
