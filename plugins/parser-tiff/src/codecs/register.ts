/**
 * Registers the TIFF codecs in zarrita's codec registry so that arrays made by this parser (or
 * read back from kerchunk references it wrote) decode with zarrita.
 * @module
 */
import { registry } from "zarrita";
import { JpegCodec } from "./jpeg.js";
import { LzwCodec } from "./lzw.js";
import { PackBitsCodec } from "./packbits.js";
import { DeltaCodec, FloatPredictorCodec } from "./predictor.js";
import { ZeroPadCodec } from "./zero-pad.js";

/** Codec names this package registers (Zarr v3 codec `name`s; kerchunk v2 `id`s are the same). */
export const TIFF_CODEC_NAMES = [
  "imagecodecs_lzw",
  "imagecodecs_packbits",
  "imagecodecs_jpeg",
  "imagecodecs_delta",
  "imagecodecs_floatpred",
  "vz.zero_pad",
] as const;

type Registry = Map<string, () => Promise<unknown>>;

/**
 * Adds the TIFF decoders to zarrita's registry (idempotent; entries already present are kept).
 * @example
 * import { registerTiffCodecs } from "@vz/parser-tiff";
 * registerTiffCodecs(); // then zarr.open(...) / zarr.get(...) decode LZW, JPEG, predictors
 */
export function registerTiffCodecs(): void {
  const target = registry as unknown as Registry;
  const entries: [string, unknown][] = [
    ["imagecodecs_lzw", LzwCodec],
    ["imagecodecs_packbits", PackBitsCodec],
    ["imagecodecs_jpeg", JpegCodec],
    ["imagecodecs_delta", DeltaCodec],
    ["imagecodecs_floatpred", FloatPredictorCodec],
    ["vz.zero_pad", ZeroPadCodec],
  ];
  for (const [name, codec] of entries) {
    if (!target.has(name)) target.set(name, async () => codec);
  }
}
