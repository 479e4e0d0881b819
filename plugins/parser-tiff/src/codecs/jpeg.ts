/**
 * `imagecodecs_jpeg` — JPEG (TIFF compression 7) decoder as a bytes-to-bytes codec, configured as
 * tifffile writes it: {tables (base64 JPEGTables or null), header, bitspersample, colorspace_jpeg,
 * colorspace_data}. Entropy decoding and IDCT use geotiff.js's pure-JS baseline decoder, which
 * returns the raw component samples; when `colorspace_data` is 2 (RGB) and the stream is YCbCr —
 * `colorspace_jpeg` 3, or, when that is null, what libjpeg assumes from the stream's JFIF/Adobe
 * markers and component ids — YCbCr is converted to RGB with libjpeg's fixed-point equations. geotiff.js is
 * imported on first decode only.
 *
 * Chroma planes are upsampled with libjpeg's default triangle filter ("fancy upsampling") before
 * the conversion. Values can still differ from libjpeg's (GDAL's) by a few units because the two
 * IDCTs round differently.
 * @module
 */

import { chunkByteSize, type ChunkMeta } from "./shared.js";

interface JpegConfig {
  tables?: string | null;
  header?: string | null;
  bitspersample?: number;
  colorspace_jpeg?: number | null;
  colorspace_data?: number | null;
}

interface Decoder {
  decode(buffer: ArrayBufferLike): Promise<ArrayBufferLike>;
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

const SCALE = 16;
const HALF = 1 << (SCALE - 1);
const fix = (x: number): number => Math.round(x * (1 << SCALE));
const CR_R = fix(1.402);
const CB_B = fix(1.772);
const CR_G = fix(0.71414);
const CB_G = fix(0.34414);

/** libjpeg's YCbCr→RGB (jdcolor.c) on interleaved 3-component data, in place. */
export function convertYCbCrToRgb(data: Uint8Array): void {
  for (let i = 0; i + 2 < data.length; i += 3) {
    const y = data[i]!;
    const cb = data[i + 1]! - 128;
    const cr = data[i + 2]! - 128;
    const r = y + ((CR_R * cr + HALF) >> SCALE);
    const g = y + ((-CB_G * cb - CR_G * cr + HALF) >> SCALE);
    const b = y + ((CB_B * cb + HALF) >> SCALE);
    data[i] = r < 0 ? 0 : r > 255 ? 255 : r;
    data[i + 1] = g < 0 ? 0 : g > 255 ? 255 : g;
    data[i + 2] = b < 0 ? 0 : b > 255 ? 255 : b;
  }
}

/** Frame size and per-component sampling factors from the first SOF marker of a JPEG stream. */
export function readFrame(stream: Uint8Array): { width: number; height: number; sampling: { h: number; v: number }[] } | undefined {
  let i = 2;
  while (i + 4 < stream.length) {
    if (stream[i] !== 0xff) {
      i++;
      continue;
    }
    const marker = stream[i + 1]!;
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0xff) {
      i += marker === 0xff ? 1 : 2;
      continue;
    }
    const length = (stream[i + 2]! << 8) | stream[i + 3]!;
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      const height = (stream[i + 5]! << 8) | stream[i + 6]!;
      const width = (stream[i + 7]! << 8) | stream[i + 8]!;
      const count = stream[i + 9] ?? 0;
      const sampling: { h: number; v: number }[] = [];
      for (let c = 0; c < count; c++) {
        const factors = stream[i + 11 + c * 3] ?? 0x11;
        sampling.push({ h: factors >> 4, v: factors & 15 });
      }
      return { width, height, sampling };
    }
    i += 2 + length;
  }
  return undefined;
}

/**
 * Re-does chroma upsampling of interleaved 3-component data the way libjpeg does by default
 * ("fancy" triangle filter, jdsample.c h2v1/h2v2), from the replicated samples geotiff.js returns.
 */
export function fancyUpsampleChroma(data: Uint8Array, width: number, height: number, sampling: readonly { h: number; v: number }[]): void {
  const maxH = Math.max(...sampling.map((s) => s.h));
  const maxV = Math.max(...sampling.map((s) => s.v));
  for (let c = 1; c < 3; c++) {
    const { h, v } = sampling[c]!;
    const fx = maxH / h;
    const fy = maxV / v;
    if (fx !== 2 || (fy !== 1 && fy !== 2)) continue;
    const cw = Math.ceil(width / fx);
    const ch = Math.ceil(height / fy);
    if (cw < 2) continue;
    // native (downsampled) samples
    const native = new Int32Array(cw * ch);
    for (let j = 0; j < ch; j++) for (let i = 0; i < cw; i++) native[j * cw + i] = data[(j * fy * width + i * fx) * 3 + c]!;
    const row = new Int32Array(2 * cw);
    for (let y = 0; y < height; y++) {
      if (fy === 1) {
        const base = y * cw;
        const at = (k: number): number => native[base + k]!;
        row[0] = at(0);
        row[1] = (at(0) * 3 + at(1) + 2) >> 2;
        for (let k = 1; k < cw - 1; k++) {
          const value = at(k) * 3;
          row[2 * k] = (value + at(k - 1) + 1) >> 2;
          row[2 * k + 1] = (value + at(k + 1) + 2) >> 2;
        }
        const last = at(cw - 1);
        row[2 * cw - 2] = (last * 3 + at(cw - 2) + 1) >> 2;
        row[2 * cw - 1] = last;
      } else {
        const nearest = y >> 1;
        // the other row is the one above for even output rows, below for odd (edges replicate)
        const other = Math.min(ch - 1, Math.max(0, y % 2 === 0 ? nearest - 1 : nearest + 1));
        const sum = (k: number): number => native[nearest * cw + k]! * 3 + native[other * cw + k]!;
        let thisSum = sum(0);
        let nextSum = sum(1);
        row[0] = (thisSum * 4 + 8) >> 4;
        row[1] = (thisSum * 3 + nextSum + 7) >> 4;
        let lastSum = thisSum;
        thisSum = nextSum;
        for (let k = 1; k < cw - 1; k++) {
          nextSum = sum(k + 1);
          row[2 * k] = (thisSum * 3 + lastSum + 8) >> 4;
          row[2 * k + 1] = (thisSum * 3 + nextSum + 7) >> 4;
          lastSum = thisSum;
          thisSum = nextSum;
        }
        row[2 * cw - 2] = (thisSum * 3 + lastSum + 8) >> 4;
        row[2 * cw - 1] = (thisSum * 4 + 7) >> 4;
      }
      for (let x = 0; x < width; x++) data[(y * width + x) * 3 + c] = row[x]!;
    }
  }
}

/**
 * The colour space libjpeg assumes for a stream when none is forced (jdapimin.c
 * `default_decompress_parms`), as a J_COLOR_SPACE number: 1 gray, 2 RGB, 3 YCbCr, 4 CMYK, 5 YCCK.
 * Three components: a JFIF marker means YCbCr; else an Adobe marker's transform (0 RGB, else
 * YCbCr); else the component ids ('R','G','B' → RGB, otherwise YCbCr). Four: Adobe transform 2 →
 * YCCK, else CMYK.
 */
export function defaultJpegColorspace(stream: Uint8Array): number | undefined {
  let jfif = false;
  let adobeTransform: number | undefined;
  let i = 2;
  while (i + 4 <= stream.length) {
    if (stream[i] !== 0xff) {
      i++;
      continue;
    }
    const marker = stream[i + 1]!;
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0xff) {
      i += marker === 0xff ? 1 : 2;
      continue;
    }
    if (marker === 0xda || marker === 0xd9) return undefined; // scan before any frame header
    const length = (stream[i + 2]! << 8) | stream[i + 3]!;
    const body = stream.subarray(i + 4, i + 2 + length);
    if (marker === 0xe0 && body.length >= 5 && String.fromCharCode(...body.subarray(0, 5)) === "JFIF\0") jfif = true;
    if (marker === 0xee && body.length >= 12 && String.fromCharCode(...body.subarray(0, 5)) === "Adobe") adobeTransform = body[11];
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      const count = body[5] ?? 0;
      const ids = Array.from({ length: count }, (_, c) => body[6 + c * 3]);
      if (count === 1) return 1;
      if (count === 3) {
        if (jfif) return 3;
        if (adobeTransform !== undefined) return adobeTransform === 0 ? 2 : 3;
        return ids[0] === 0x52 && ids[1] === 0x47 && ids[2] === 0x42 ? 2 : 3;
      }
      if (count === 4) return adobeTransform === 2 ? 5 : 4;
      return undefined;
    }
    i += 2 + length;
  }
  return undefined;
}

/** zarrita codec `imagecodecs_jpeg`. */
export class JpegCodec {
  readonly kind = "bytes_to_bytes";
  readonly #tables: Uint8Array | undefined;
  /** Output colour space asked for (`colorspace_data`) and the JPEG colour space forced (`colorspace_jpeg`), if any. */
  readonly #outColorspace: unknown;
  readonly #jpegColorspace: number | null;
  readonly #maxSize: number;
  #decoder: Promise<Decoder> | undefined;

  constructor(config: JpegConfig, maxSize = Number.POSITIVE_INFINITY) {
    this.#maxSize = maxSize;
    if ((config.bitspersample ?? 8) !== 8) {
      throw new Error(`imagecodecs_jpeg: ${config.bitspersample}-bit JPEG is not supported (only 8-bit baseline/progressive)`);
    }
    this.#tables = config.tables ? fromBase64(config.tables) : undefined;
    this.#outColorspace = config.colorspace_data ?? null;
    this.#jpegColorspace = config.colorspace_jpeg ?? null;
  }

  static fromConfig(config: JpegConfig, meta?: ChunkMeta): JpegCodec {
    return new JpegCodec(config ?? {}, meta ? chunkByteSize(meta) : undefined);
  }

  #load(): Promise<Decoder> {
    this.#decoder ??= import("geotiff").then(async (geotiff) => {
      const parameters: Record<string, unknown> = { tileWidth: 0, tileHeight: 0, predictor: 1, bitsPerSample: 8, planarConfiguration: 1 };
      if (this.#tables) parameters.JPEGTables = this.#tables;
      return (await geotiff.getDecoder(7, parameters as never)) as unknown as Decoder;
    });
    return this.#decoder;
  }

  async encode(): Promise<Uint8Array> {
    throw new Error("imagecodecs_jpeg: encoding is not supported (vz only reads TIFF)");
  }

  async decode(bytes: Uint8Array): Promise<Uint8Array> {
    const frame = readFrame(bytes);
    if (!frame) throw new Error("imagecodecs_jpeg: no JPEG frame (SOF marker) in the chunk");
    const frameBytes = frame.width * frame.height * frame.sampling.length;
    if (frameBytes > this.#maxSize) {
      throw new Error(`imagecodecs_jpeg: the JPEG frame (${frame.width} x ${frame.height} x ${frame.sampling.length}) is larger than the chunk (${this.#maxSize} bytes)`);
    }
    const decoder = await this.#load();
    const input = bytes.slice().buffer;
    const out = new Uint8Array(await decoder.decode(input));
    // as libjpeg: convert YCbCr to RGB when RGB output is asked for and the stream is YCbCr, either
    // forced by colorspace_jpeg or, when that is not given, by libjpeg's own guess from the markers
    const source = this.#jpegColorspace ?? defaultJpegColorspace(bytes);
    if (this.#outColorspace === 2 && source === 3) {
      if (frame.sampling.length === 3 && out.length === frame.width * frame.height * 3) {
        fancyUpsampleChroma(out, frame.width, frame.height, frame.sampling);
        convertYCbCrToRgb(out);
      }
    }
    return out;
  }
}
