/**
 * HDF5 filter pipeline → Zarr v3 codecs (vz's naming convention), and the few filters the parser
 * itself must undo to read string datasets at parse time (deflate, shuffle, fletcher32).
 * @module
 */
import { type CodecMetadata, ParseError, UnsupportedFeatureError } from "@vz/core";
import type { Filter } from "./messages.js";

let fflate: typeof import("fflate") | undefined;

/**
 * Loads the inflater {@link decodeFilters} uses for deflate (fflate), once: only datasets the
 * parser reads itself need it, so a parse of chunk references never loads it.
 */
export async function loadFilterDecoders(): Promise<void> {
  fflate ??= await import("fflate");
}

/** HDF5 filter ids. */
export const FilterId = {
  DEFLATE: 1,
  SHUFFLE: 2,
  FLETCHER32: 3,
  SZIP: 4,
  NBIT: 5,
  SCALEOFFSET: 6,
  BZIP2: 307,
  LZF: 32000,
  BLOSC: 32001,
  LZ4: 32004,
  ZSTD: 32015,
} as const;

const BLOSC_COMPRESSORS = ["blosclz", "lz4", "lz4hc", "snappy", "zlib", "zstd"];

const UNSUPPORTED_NAMES: Record<number, string> = {
  [FilterId.SZIP]: "szip",
  [FilterId.NBIT]: "nbit",
  [FilterId.SCALEOFFSET]: "scaleoffset",
};

/**
 * The bytes-to-bytes codecs for a filter pipeline, in pipeline (encode) order. Filters without a
 * decoder (szip, nbit, scaleoffset, unknown ids) raise UnsupportedFeatureError naming the variable.
 */
export function filtersToCodecs(filters: readonly Filter[], elementSize: number, url: string, variable: string): CodecMetadata[] {
  return filters.map((filter) => {
    const cd = filter.clientData;
    switch (filter.id) {
      case FilterId.DEFLATE:
        return { name: "numcodecs.zlib", configuration: { level: cd[0] ?? 6 } };
      case FilterId.SHUFFLE:
        return { name: "numcodecs.shuffle", configuration: { elementsize: cd[0] ?? elementSize } };
      case FilterId.FLETCHER32:
        return { name: "numcodecs.fletcher32" };
      case FilterId.ZSTD:
        return { name: "numcodecs.zstd", configuration: { level: cd[0] ?? 0 } };
      case FilterId.BZIP2:
        return { name: "numcodecs.bz2", configuration: { level: cd[0] ?? 9 } };
      case FilterId.LZ4:
        return { name: "imagecodecs_lz4h5" };
      case FilterId.LZF:
        // HDF5 stores raw liblzf streams; imagecodecs' Lzf codec expects a size header unless told
        return { name: "imagecodecs_lzf", configuration: { header: false } };
      case FilterId.BLOSC: {
        const code = cd[6] ?? 0;
        const cname = BLOSC_COMPRESSORS[code];
        if (cname === undefined) {
          throw new UnsupportedFeatureError(
            "filter:blosc",
            `HDF5 ${url}: variable ${variable}: blosc filter with unknown compressor code ${code}`,
            { url, variable },
          );
        }
        return {
          name: "numcodecs.blosc",
          configuration: { cname, clevel: cd[4] ?? 5, shuffle: cd[5] ?? 1, blocksize: 0, typesize: cd[2] ?? elementSize },
        };
      }
      default: {
        const name = UNSUPPORTED_NAMES[filter.id] ?? (filter.name || "unknown");
        throw new UnsupportedFeatureError(
          `filter:${name}`,
          `HDF5 ${url}: variable ${variable}: HDF5 filter ${filter.id} (${name}) has no Zarr codec; the variable cannot be virtualized`,
          { url, variable },
        );
      }
    }
  });
}

/**
 * Inflates one zlib stream synchronously (fflate). `expected`, the decoded size when known, lets
 * fflate write into a buffer of that size: tiny chunks then cost microseconds, not the
 * half-millisecond of a DecompressionStream each.
 */
function inflate(bytes: Uint8Array, expected: number | undefined, url: string, variable: string): Uint8Array {
  if (!fflate) throw new Error("internal: decodeFilters before loadFilterDecoders()");
  const { unzlibSync } = fflate;
  try {
    if (expected !== undefined) {
      try {
        const out = unzlibSync(bytes, { out: new Uint8Array(expected) });
        if (out.length === expected) return out;
      } catch {
        // a stream longer than expected: inflate it whole below and let the caller check its size
      }
    }
    return unzlibSync(bytes);
  } catch (cause) {
    throw new ParseError(`HDF5 ${url}: variable ${variable}: a deflate-compressed chunk does not inflate: ${(cause as Error).message}`, {
      url,
      variable,
      parser: "hdf5",
      cause,
    });
  }
}

function unshuffle(bytes: Uint8Array, elementSize: number): Uint8Array {
  if (elementSize <= 1) return bytes;
  const count = Math.floor(bytes.length / elementSize);
  const out = new Uint8Array(bytes.length);
  for (let b = 0; b < elementSize; b++) {
    for (let i = 0; i < count; i++) out[i * elementSize + b] = bytes[b * count + i]!;
  }
  out.set(bytes.subarray(count * elementSize), count * elementSize);
  return out;
}

/**
 * Undoes a filter pipeline for chunks the parser reads itself (string datasets). Supports deflate,
 * shuffle and fletcher32; anything else raises UnsupportedFeatureError. Call
 * {@link loadFilterDecoders} first.
 */
export function decodeFilters(
  bytes: Uint8Array,
  filters: readonly Filter[],
  filterMask: number,
  elementSize: number,
  url: string,
  variable: string,
  expectedSize?: number,
): Uint8Array {
  let data = bytes;
  for (let i = filters.length - 1; i >= 0; i--) {
    if (filterMask & (1 << i)) continue;
    const filter = filters[i]!;
    // the size after inflating: the chunk itself, unless fletcher32 (applied after deflate) adds 4 bytes
    let inflated = expectedSize;
    for (let k = 0; k < i && inflated !== undefined; k++) {
      if (filters[k]!.id === FilterId.FLETCHER32 && !(filterMask & (1 << k))) inflated += 4;
    }
    if (filter.id === FilterId.DEFLATE) data = inflate(data, inflated, url, variable);
    else if (filter.id === FilterId.SHUFFLE) data = unshuffle(data, filter.clientData[0] ?? elementSize);
    else if (filter.id === FilterId.FLETCHER32) data = data.subarray(0, Math.max(0, data.length - 4));
    else {
      throw new UnsupportedFeatureError(
        `filter:${UNSUPPORTED_NAMES[filter.id] ?? filter.id}`,
        `HDF5 ${url}: variable ${variable}: string values compressed with HDF5 filter ${filter.id} cannot be read at parse time`,
        { url, variable },
      );
    }
  }
  return data;
}
