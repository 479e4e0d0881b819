/**
 * Encoded fill chunks (written inline for missing chunks by the kerchunk writer): the deflate,
 * zlib and gzip encoders are checked against Node's zlib (an independent decoder), and the
 * encoded chunks decode, through the same codec chain in reverse, to chunks of the fill value.
 */
import { gunzipSync, inflateRawSync, inflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import type { CodecMetadata, DataType } from "../src/index.js";
import { deflateRaw, encodedFillChunk, gzipCompress, zlibCompress } from "../src/writers/fill-chunk.js";

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

  it("gives up (undefined) on codecs it cannot encode and on values the type cannot hold", () => {
    expect(encodedFillChunk("int32", [bytes("little"), { name: "numcodecs.blosc" }], [4], 0)).toBeUndefined();
    expect(encodedFillChunk("int32", [{ name: "transpose", configuration: { order: [0] } }, bytes("little")], [4], 0)).toBeUndefined();
    expect(encodedFillChunk("int16", [bytes("little")], [4], 40_000)).toBeUndefined();
    expect(encodedFillChunk("int16", [bytes("little")], [4], 1.5)).toBeUndefined();
    expect(encodedFillChunk("uint8", [bytes("little")], [4], -1)).toBeUndefined();
    expect(encodedFillChunk("fixed_length_bytes:3", [bytes("little")], [4], "abc")).toBeUndefined();
  });
});
