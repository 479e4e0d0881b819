/**
 * Zarr v2 metadata (`.zarray` / `.zattrs` as found in kerchunk references) translated to Zarr v3
 * {@link ArrayMetadata} in vz's conventions: `bytes` (endian) first, filters and compressor as
 * `numcodecs.<id>` codecs in v2 order, `_ARRAY_DIMENSIONS` as dimension names.
 * @module
 */
import { type ArrayMetadata, type CodecMetadata, type DataType, InvalidManifestError, UnsupportedFeatureError } from "@vz/core";
import { defaultFillValue, fromNumpyDtype, parseJsonNonFinite, validateArrayMetadata } from "@vz/core/internal";

/** Which file and variable a translation is about (for error messages). */
export interface TranslationContext {
  url: string;
  variable: string;
}

/**
 * numcodecs filters that transform arrays (not bytes); zarr-python 3 wraps them as
 * array-to-array codecs, so they go before the `bytes` codec.
 */
const ARRAY_TO_ARRAY_FILTERS = new Set(["delta", "fixedscaleoffset", "quantize", "astype", "bitround"]);

const NON_FINITE: Record<string, number> = { NaN: Number.NaN, Infinity: Number.POSITIVE_INFINITY, "-Infinity": Number.NEGATIVE_INFINITY };

function describe(context: TranslationContext): string {
  return `kerchunk ${context.url}: variable "${context.variable}"`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** A v2 codec configuration (`{"id": "zlib", "level": 4}`) → a v3 codec entry. */
export function v2CodecToV3(codec: unknown, context: TranslationContext): CodecMetadata {
  if (!isRecord(codec) || typeof codec.id !== "string" || codec.id === "") {
    throw new InvalidManifestError(`${describe(context)} has a codec without an "id": ${JSON.stringify(codec)}`, context);
  }
  const { id, ...configuration } = codec;
  // imagecodecs' numcodecs ids and vz's own (`vz_zero_pad`) are zarrita codec names as they stand
  const name = id.startsWith("imagecodecs_") || id.startsWith("vz_") ? id : `numcodecs.${id}`;
  return Object.keys(configuration).length > 0 ? { name, configuration } : { name };
}

function translateFillValue(value: unknown, dataType: DataType, context: TranslationContext): unknown {
  if (value === null || value === undefined) return defaultFillValue(dataType);
  // 64-bit integers are read exactly (bigint); on a float type the number is what is meant
  if (typeof value === "bigint" && (dataType.startsWith("float") || dataType.startsWith("complex"))) return Number(value);
  if (typeof value === "string" && value in NON_FINITE) {
    if (!dataType.startsWith("float") && !dataType.startsWith("complex")) {
      throw new InvalidManifestError(`${describe(context)} has fill value "${value}" for data type ${dataType}`, context);
    }
    return NON_FINITE[value];
  }
  if (dataType.startsWith("fixed_length_bytes") && typeof value === "string") {
    // Zarr v2 stores |S fill values base64-encoded.
    try {
      return Array.from(decodeBase64(value));
    } catch (cause) {
      throw new InvalidManifestError(`${describe(context)} has a fill value that is not base64: "${value}"`, { ...context, cause });
    }
  }
  if (Array.isArray(value)) {
    return value.map((part) => (typeof part === "string" && part in NON_FINITE ? NON_FINITE[part] : part));
  }
  return value;
}

/** Whether a v2 fill_value of `dataType` stands for a CF _FillValue (numbers, booleans, strings, fixed-length bytes). */
function carriesCfFill(value: unknown, dataType: DataType): boolean {
  if (value === null || value === undefined) return false;
  if (dataType.startsWith("fixed_length_bytes")) return typeof value === "string";
  if (dataType.startsWith("fixed_length") || dataType.startsWith("complex")) return false;
  return typeof value === "number" || typeof value === "bigint" || typeof value === "boolean" || typeof value === "string";
}

/**
 * The CF `_FillValue` attribute of a fixed-length bytes array from its v2 fill_value (base64):
 * the bytes as text when they are UTF-8 (netCDF char fills such as ""), else the byte values —
 * both of which the kerchunk writer turns back into the same base64.
 */
function bytesFillAttribute(base64Text: string): string | number[] {
  const bytes = Uint8Array.from(atob(base64Text), (c) => c.charCodeAt(0));
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return Array.from(bytes);
  }
}

/**
 * Translates a `.zarray` document (and the `.zattrs` of the same array) into v3 array metadata.
 * Throws {@link UnsupportedFeatureError} for what vz cannot represent (structured or datetime
 * dtypes, object arrays without `vlen-utf8`) and {@link InvalidManifestError} for malformed
 * documents.
 * @example
 * const metadata = translateZarrV2Array(JSON.parse(refs["t/.zarray"]), {}, { url, variable: "t" });
 */
export function translateZarrV2Array(
  zarray: unknown,
  zattrs: unknown,
  context: TranslationContext,
): ArrayMetadata {
  if (!isRecord(zarray)) throw new InvalidManifestError(`${describe(context)}: .zarray is not a JSON object`, context);
  if (zarray.zarr_format !== undefined && zarray.zarr_format !== 2) {
    throw new UnsupportedFeatureError("zarr-format", `${describe(context)}: .zarray has zarr_format ${JSON.stringify(zarray.zarr_format)}, expected 2`, context);
  }
  const { shape, chunks, dtype } = zarray;
  const isIntList = (v: unknown): v is number[] => Array.isArray(v) && v.every((n) => Number.isSafeInteger(n) && n >= 0);
  if (!isIntList(shape)) throw new InvalidManifestError(`${describe(context)}: .zarray shape ${JSON.stringify(shape)} is not a list of integers`, context);
  if (!isIntList(chunks) || chunks.length !== shape.length) {
    throw new InvalidManifestError(`${describe(context)}: .zarray chunks ${JSON.stringify(chunks)} do not match shape ${JSON.stringify(shape)}`, context);
  }
  if (chunks.some((c) => c < 1)) throw new InvalidManifestError(`${describe(context)}: .zarray chunks ${JSON.stringify(chunks)} has a zero length`, context);
  if (typeof dtype !== "string") {
    throw new UnsupportedFeatureError("structured-dtype", `${describe(context)}: structured dtype ${JSON.stringify(dtype)} is not supported`, context);
  }
  let parsed: { dataType: DataType; endian: "little" | "big" };
  try {
    parsed = fromNumpyDtype(dtype);
  } catch (cause) {
    throw new UnsupportedFeatureError(`dtype-${dtype}`, `${describe(context)}: numpy dtype "${dtype}" is not supported`, { ...context, cause });
  }
  const filters = zarray.filters === null || zarray.filters === undefined ? [] : zarray.filters;
  if (!Array.isArray(filters)) throw new InvalidManifestError(`${describe(context)}: .zarray filters is not a list`, context);
  const compressor = zarray.compressor ?? null;

  const before: CodecMetadata[] = [];
  const after: CodecMetadata[] = [];
  let arrayToBytes: CodecMetadata = { name: "bytes", configuration: { endian: parsed.endian } };
  let sawVlenUtf8 = false;
  for (const filter of filters) {
    const codec = v2CodecToV3(filter, context);
    const id = codec.name.replace(/^numcodecs\./, "");
    if (id === "vlen-utf8") {
      sawVlenUtf8 = true;
      arrayToBytes = { name: "vlen-utf8" };
    } else if (id === "vlen-bytes" || id === "vlen-array" || id === "json2" || id === "json" || id === "msgpack2" || id === "pickle") {
      throw new UnsupportedFeatureError(`codec-${id}`, `${describe(context)}: object codec "${id}" is not supported (only vlen-utf8 strings)`, context);
    } else if (ARRAY_TO_ARRAY_FILTERS.has(id) && !sawVlenUtf8) {
      before.push(codec);
    } else {
      after.push(codec);
    }
  }
  if (compressor !== null) after.push(v2CodecToV3(compressor, context));
  if (parsed.dataType === "string" && !sawVlenUtf8) {
    throw new UnsupportedFeatureError("object-dtype", `${describe(context)}: object dtype "${dtype}" without a vlen-utf8 filter is not supported`, context);
  }
  const order = zarray.order ?? "C";
  if (order === "F" && shape.length > 1) {
    // Fortran order: the chunk is stored transposed; v3 expresses this with a transpose codec.
    before.push({ name: "transpose", configuration: { order: shape.map((_, d) => shape.length - 1 - d) } });
  } else if (order !== "C" && order !== "F") {
    throw new InvalidManifestError(`${describe(context)}: .zarray order ${JSON.stringify(order)} is neither "C" nor "F"`, context);
  }

  const attributes: Record<string, unknown> = isRecord(zattrs) ? { ...zattrs } : {};
  const dimensions = attributes._ARRAY_DIMENSIONS;
  delete attributes._ARRAY_DIMENSIONS;
  const fillValue = translateFillValue(zarray.fill_value, parsed.dataType, context);
  if (carriesCfFill(zarray.fill_value, parsed.dataType) && !Object.hasOwn(attributes, "_FillValue")) {
    // xarray's zarr backend reads a v2 fill_value as the CF _FillValue (it masks values equal to
    // it), so that is what it means in a reference set; as an attribute it survives a re-write
    // (the kerchunk writer turns _FillValue back into fill_value) instead of being dropped as a
    // mere storage fill value.
    attributes._FillValue = parsed.dataType.startsWith("fixed_length_bytes") ? bytesFillAttribute(zarray.fill_value as string) : fillValue;
  }
  const metadata: ArrayMetadata = {
    zarr_format: 3,
    node_type: "array",
    shape: [...shape],
    data_type: parsed.dataType,
    chunk_grid: { name: "regular", configuration: { chunk_shape: [...chunks] } },
    chunk_key_encoding: { name: "default", configuration: { separator: "/" } },
    fill_value: fillValue,
    codecs: [...before, arrayToBytes, ...after],
    attributes,
  };
  if (dimensions !== undefined) {
    const valid = Array.isArray(dimensions) && dimensions.length === shape.length && dimensions.every((d) => typeof d === "string" || d === null);
    if (!valid) {
      throw new InvalidManifestError(
        `${describe(context)}: _ARRAY_DIMENSIONS ${JSON.stringify(dimensions)} does not name ${shape.length} dimensions`,
        context,
      );
    }
    metadata.dimension_names = [...(dimensions as (string | null)[])];
  }
  validateArrayMetadata(metadata, context.variable);
  return metadata;
}

/**
 * JSON.parse that also accepts the bare `NaN`, `Infinity` and `-Infinity` tokens Python's json
 * module writes (as zarr-python does in `.zattrs`). Alias of core's `parseJsonNonFinite`.
 */
export const parseJsonLenient: (text: string) => unknown = parseJsonNonFinite;
