/**
 * @vz/core/codecs — the codecs vz adds to zarrita and their decoders: `registerCodecs` (called by
 * `ManifestStore`, so a user rarely needs it), `registerPluginCodecs` (codecs parser plugins
 * provide), the codec classes (`numcodecs.bz2`, `numcodecs.fletcher32`, `imagecodecs_lz4h5`,
 * `imagecodecs_lzf`, `numcodecs.shuffle`, `vlen-utf8`), their block decoders and chunk-size helpers.
 * Browser-safe, like the main entry.
 * @module
 */
export { addZarritaCodecs, ensureFloat16Array, registerCodecs, VZ_CODEC_NAMES } from "./codecs/register-codecs.js";
export { CODEC_PACKAGES, missingCodecError, registerPluginCodecs } from "./codecs/plugin-codecs.js";
export type { ZarrCodecClass } from "./codecs/plugin-codecs.js";
export { Bz2Codec, decodeBzip2 } from "./codecs/bz2.js";
export { chunkByteSize, elementByteSize } from "./codecs/chunk-size.js";
export type { CodecChunkMetadata } from "./codecs/chunk-size.js";
export { fletcher32, Fletcher32Codec } from "./codecs/fletcher32.js";
export { decodeLz4Block, decodeLz4H5, Lz4H5Codec } from "./codecs/lz4-h5.js";
export { decodeLzf, LzfCodec } from "./codecs/lzf.js";
export { ShuffleCodec, shuffleBytes, unshuffleBytes } from "./codecs/shuffle.js";
export { decodeVlenUtf8, encodeVlenUtf8, VlenUtf8Codec } from "./codecs/vlen-utf8.js";
