/**
 * Encoded chunks of fill values, for writing missing chunks inline (see the kerchunk writer): a
 * chunk whose every element is the storage fill value, passed through the array's codecs when
 * vz can encode them (`bytes`, then `numcodecs.shuffle`, `zlib`, `gzip`, `zstd`, `blosc`, `lz4` in
 * any order). Deflate output uses fixed Huffman codes and short-distance matches, which compress a
 * constant chunk about 100-fold; zstd uses RLE blocks for runs of one byte (a shuffled constant
 * chunk); blosc and lz4 frames hold the bytes uncompressed. Standard decoders read all of them.
 * @module
 */
import type { CodecMetadata, DataType } from "../manifest/metadata.js";
import { endianOf, itemSize } from "../manifest/metadata.js";

/** Raw bytes of one element of `dataType` holding `fill`, or undefined when it cannot be expressed exactly. */
function fillElement(dataType: DataType, little: boolean, fill: unknown): Uint8Array | undefined {
  const size = itemSize(dataType);
  if (size <= 0 || dataType.startsWith("fixed_length") || dataType.startsWith("complex") || dataType === "float16") return undefined;
  const one = new DataView(new ArrayBuffer(size));
  const value = typeof fill === "string" && /^(NaN|-?Infinity)$/.test(fill) ? Number(fill) : fill;
  const integer = (): bigint | undefined => {
    if (typeof value === "bigint") return value;
    if (typeof value === "number" && Number.isInteger(value)) return BigInt(value);
    if (typeof value === "boolean") return value ? 1n : 0n;
    return undefined;
  };
  if (dataType === "float32" || dataType === "float64") {
    if (typeof value !== "number") return undefined;
    if (dataType === "float32") one.setFloat32(0, value, little);
    else one.setFloat64(0, value, little);
    return new Uint8Array(one.buffer);
  }
  const n = integer();
  if (n === undefined) return undefined;
  const bits = size * 8;
  const signed = dataType.startsWith("int");
  const low = signed ? -(1n << BigInt(bits - 1)) : 0n;
  const high = signed ? (1n << BigInt(bits - 1)) - 1n : (1n << BigInt(bits)) - 1n;
  if (dataType === "bool" ? n !== 0n && n !== 1n : n < low || n > high) return undefined;
  const unsigned = BigInt.asUintN(bits, n);
  for (let i = 0; i < size; i++) one.setUint8(little ? i : size - 1 - i, Number((unsigned >> BigInt(8 * i)) & 0xffn));
  return new Uint8Array(one.buffer);
}

/** numcodecs' Shuffle: byte j of element i goes to j * count + i; trailing bytes stay in place. */
function shuffle(bytes: Uint8Array, elementSize: number): Uint8Array {
  if (elementSize <= 1) return bytes;
  const count = Math.floor(bytes.length / elementSize);
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < elementSize; j++) out[j * count + i] = bytes[i * elementSize + j]!;
  }
  out.set(bytes.subarray(count * elementSize), count * elementSize);
  return out;
}

const LENGTH_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LENGTH_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DISTANCE_BASE = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193];
const DISTANCE_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6];
/** Longest distance searched for matches (fill chunks repeat with a period of at most 16 bytes). */
const MAX_DISTANCE = 16;

class BitWriter {
  #bytes: number[] = [];
  #buffer = 0;
  #count = 0;
  /** `length` bits of `value`, least significant first. */
  bits(value: number, length: number): void {
    for (let i = 0; i < length; i++) {
      this.#buffer |= ((value >>> i) & 1) << this.#count;
      if (++this.#count === 8) {
        this.#bytes.push(this.#buffer);
        this.#buffer = 0;
        this.#count = 0;
      }
    }
  }
  /** A Huffman code of `length` bits, most significant first. */
  code(value: number, length: number): void {
    for (let i = length - 1; i >= 0; i--) this.bits((value >>> i) & 1, 1);
  }
  finish(): Uint8Array {
    if (this.#count > 0) this.#bytes.push(this.#buffer);
    return Uint8Array.from(this.#bytes);
  }
}

/** A literal/length symbol with the fixed Huffman code of RFC 1951 §3.2.6. */
function writeSymbol(out: BitWriter, symbol: number): void {
  if (symbol < 144) out.code(0x30 + symbol, 8);
  else if (symbol < 256) out.code(0x190 + symbol - 144, 9);
  else if (symbol < 280) out.code(symbol - 256, 7);
  else out.code(0xc0 + symbol - 280, 8);
}

/** Raw deflate (one fixed-Huffman block) of `data`, with greedy matches up to {@link MAX_DISTANCE} back. */
export function deflateRaw(data: Uint8Array): Uint8Array {
  const out = new BitWriter();
  out.bits(1, 1); // BFINAL
  out.bits(1, 2); // BTYPE = fixed Huffman
  let i = 0;
  while (i < data.length) {
    let bestLength = 0;
    let bestDistance = 0;
    for (let distance = 1; distance <= Math.min(MAX_DISTANCE, i); distance++) {
      let length = 0;
      while (length < 258 && i + length < data.length && data[i + length] === data[i + length - distance]) length++;
      if (length > bestLength) {
        bestLength = length;
        bestDistance = distance;
        if (length === 258) break;
      }
    }
    if (bestLength < 3) {
      writeSymbol(out, data[i]!);
      i++;
      continue;
    }
    let code = LENGTH_BASE.length - 1;
    while (LENGTH_BASE[code]! > bestLength) code--;
    writeSymbol(out, 257 + code);
    out.bits(bestLength - LENGTH_BASE[code]!, LENGTH_EXTRA[code]!);
    let distanceCode = DISTANCE_BASE.length - 1;
    while (DISTANCE_BASE[distanceCode]! > bestDistance) distanceCode--;
    out.code(distanceCode, 5);
    out.bits(bestDistance - DISTANCE_BASE[distanceCode]!, DISTANCE_EXTRA[distanceCode]!);
    i += bestLength;
  }
  writeSymbol(out, 256); // end of block
  return out.finish();
}

function adler32(data: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (let i = 0; i < data.length; ) {
    const end = Math.min(data.length, i + 3800);
    for (; i < end; i++) {
      a += data[i]!;
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

let crcTable: Uint32Array | undefined;
function crc32(data: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = crcTable[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** zlib stream (RFC 1950) of `data`. */
export function zlibCompress(data: Uint8Array): Uint8Array {
  const body = deflateRaw(data);
  const out = new Uint8Array(body.length + 6);
  out[0] = 0x78;
  out[1] = 0x01;
  out.set(body, 2);
  new DataView(out.buffer).setUint32(out.length - 4, adler32(data), false);
  return out;
}

/** gzip member (RFC 1952) of `data`. */
export function gzipCompress(data: Uint8Array): Uint8Array {
  const body = deflateRaw(data);
  const out = new Uint8Array(10 + body.length + 8);
  out.set([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
  out.set(body, 10);
  const view = new DataView(out.buffer);
  view.setUint32(out.length - 8, crc32(data), true);
  view.setUint32(out.length - 4, data.length >>> 0, true);
  return out;
}

/** Largest zstd block (128 KiB). */
const ZSTD_BLOCK = 128 * 1024;

/**
 * A zstd frame (RFC 8878) of `data`: runs of one byte (4 or more) as RLE blocks, the rest as raw
 * blocks; single segment with the content size, which numcodecs' Zstd needs.
 */
export function zstdFrame(data: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [Uint8Array.of(0x28, 0xb5, 0x2f, 0xfd, 0xa0)];
  const size = new Uint8Array(4);
  new DataView(size.buffer).setUint32(0, data.length, true);
  parts.push(size);
  const blocks: [type: 0 | 1, start: number, length: number][] = [];
  let rawStart = 0;
  const flushRaw = (end: number): void => {
    for (let at = rawStart; at < end; at += ZSTD_BLOCK) blocks.push([0, at, Math.min(ZSTD_BLOCK, end - at)]);
  };
  for (let i = 0; i < data.length; ) {
    let run = 1;
    while (i + run < data.length && data[i + run] === data[i]) run++;
    if (run >= 4) {
      flushRaw(i);
      for (let at = i; at < i + run; at += ZSTD_BLOCK) blocks.push([1, at, Math.min(ZSTD_BLOCK, i + run - at)]);
      rawStart = i + run;
    }
    i += run;
  }
  flushRaw(data.length);
  if (blocks.length === 0) blocks.push([0, 0, 0]);
  blocks.forEach(([type, start, length], index) => {
    const last = index === blocks.length - 1 ? 1 : 0;
    const header = last | (type << 1) | (length << 3);
    parts.push(Uint8Array.of(header & 0xff, (header >>> 8) & 0xff, (header >>> 16) & 0xff));
    parts.push(type === 1 ? Uint8Array.of(data[start]!) : data.subarray(start, start + length));
  });
  return concat(parts);
}

/** A Blosc 1 frame of `data` stored without compression (the "memcpyed" flag), as every Blosc decoder reads. */
export function bloscMemcpyed(data: Uint8Array, typeSize: number): Uint8Array {
  const out = new Uint8Array(16 + data.length);
  const view = new DataView(out.buffer);
  out.set([2, 1, 0x02, Math.min(255, Math.max(1, typeSize))]);
  view.setUint32(4, data.length, true); // nbytes
  view.setUint32(8, data.length, true); // blocksize
  view.setUint32(12, data.length + 16, true); // cbytes
  out.set(data, 16);
  return out;
}

/** numcodecs' LZ4 of `data`: the uncompressed size (little-endian) and one LZ4 block of literals only. */
export function lz4Literals(data: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  const size = new Uint8Array(4);
  new DataView(size.buffer).setUint32(0, data.length, true);
  parts.push(size);
  const length = data.length;
  const token = Math.min(15, length) << 4;
  const extra: number[] = [];
  if (length >= 15) {
    let rest = length - 15;
    while (rest >= 255) {
      extra.push(255);
      rest -= 255;
    }
    extra.push(rest);
  }
  parts.push(Uint8Array.of(token, ...extra), data);
  return concat(parts);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * One chunk of `chunkShape` filled with `fill`, encoded with `codecs` (as stored), or undefined
 * when the value or a codec cannot be written exactly by vz.
 */
export function encodedFillChunk(dataType: DataType, codecs: readonly CodecMetadata[], chunkShape: readonly number[], fill: unknown): Uint8Array | undefined {
  if (codecs[0]?.name !== "bytes") return undefined;
  const element = fillElement(dataType, endianOf(codecs) === "little", fill);
  if (!element) return undefined;
  const count = chunkShape.reduce((a, b) => a * b, 1);
  let bytes: Uint8Array = new Uint8Array(count * element.length);
  for (let i = 0; i < bytes.length; i += element.length) bytes.set(element, i);
  for (const codec of codecs.slice(1)) {
    const name = codec.name.replace(/^numcodecs\./, "");
    if (name === "shuffle") {
      const size = Number(codec.configuration?.elementsize ?? element.length);
      if (!Number.isSafeInteger(size) || size < 1) return undefined;
      bytes = shuffle(bytes, size);
    } else if (name === "zlib") bytes = zlibCompress(bytes);
    else if (name === "gzip") bytes = gzipCompress(bytes);
    else if (name === "zstd") bytes = zstdFrame(bytes);
    else if (name === "blosc") bytes = bloscMemcpyed(bytes, Number(codec.configuration?.typesize ?? element.length));
    else if (name === "lz4") bytes = lz4Literals(bytes);
    else return undefined;
  }
  return bytes;
}
