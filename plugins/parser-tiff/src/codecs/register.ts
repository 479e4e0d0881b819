/**
 * The TIFF codecs as zarrita codec classes: the plugin contributes them (`ParserPlugin.codecs`, so
 * that reading kerchunk/Icechunk references of TIFFs finds them), and {@link registerTiffCodecs}
 * adds them to zarrita's registry directly.
 * @module
 */
import type { ZarrCodecClass } from "@vz/core";
import { addZarritaCodecs, registerCodecs } from "@vz/core/codecs";
import { JpegCodec } from "./jpeg.js";
import { LzwCodec } from "./lzw.js";
import { PackBitsCodec } from "./packbits.js";
import { DeltaCodec, FloatPredictorCodec } from "./predictor.js";
import { ZeroPadCodec } from "./zero-pad.js";

/** Codec names this package provides (Zarr v3 codec `name`s; kerchunk v2 `id`s are the same strings). */
export const TIFF_CODEC_NAMES = [
  "imagecodecs_lzw",
  "imagecodecs_packbits",
  "imagecodecs_jpeg",
  "imagecodecs_delta",
  "imagecodecs_floatpred",
  "vz_zero_pad",
] as const;

/** Codec name → zarrita codec class. */
export const TIFF_CODECS: Readonly<Record<(typeof TIFF_CODEC_NAMES)[number], ZarrCodecClass>> = {
  imagecodecs_lzw: LzwCodec as unknown as ZarrCodecClass,
  imagecodecs_packbits: PackBitsCodec as unknown as ZarrCodecClass,
  imagecodecs_jpeg: JpegCodec as unknown as ZarrCodecClass,
  imagecodecs_delta: DeltaCodec as unknown as ZarrCodecClass,
  imagecodecs_floatpred: FloatPredictorCodec as unknown as ZarrCodecClass,
  vz_zero_pad: ZeroPadCodec as unknown as ZarrCodecClass,
};

/**
 * Adds the TIFF decoders to zarrita's registry (idempotent; entries already present are kept) and
 * resolves once zarrita (loaded on first use) has them. Readers of references do not need this
 * when they pass a ParserRegistry holding the TIFF plugin to `openManifestStore` (or call
 * `registerPluginCodecs`), which adds the same codecs lazily; a ManifestStore made by this parser
 * adds them before its first read.
 * @example
 * import { registerTiffCodecs } from "@vz/parser-tiff";
 * await registerTiffCodecs(); // then zarr.open(...) / zarr.get(...) decode LZW, JPEG, predictors
 */
export async function registerTiffCodecs(): Promise<void> {
  addTiffCodecs();
  await registerCodecs();
}

/** {@link registerTiffCodecs} without loading zarrita: added when vz loads its registry (the store's first read). */
export function addTiffCodecs(): void {
  // an entry already there is kept: a user's own decoder, or the same class added by registerPluginCodecs
  addZarritaCodecs(TIFF_CODECS);
}
