/**
 * Zarr array metadata as vz's Zarr v3 ArrayMetadata: Zarr v2 `.zarray` + `.zattrs` converted
 * (dtype, order, filters and compressor → codecs; `_ARRAY_DIMENSIONS` → dimension names), Zarr v3
 * `zarr.json` checked and kept (codecs, sharding included), with the chunk key encoding
 * normalised to vz's `c/i/j` keys. Each failure names the store, the metadata key and the array.
 * @module
 */
import { type ArrayMetadata, type CodecMetadata, type DataType, ParseError, UnsupportedFeatureError } from "@vz/core";
import { fromNumpyDtype, validateArrayMetadata } from "@vz/core/internal";
import type { ChunkKeyEncoding } from "./chunk-keys.js";

/** Where a metadata document came from, for error messages. */
export interface MetadataContext {
  /** The store URL as given. */
  store: string;
  /** The key of the document in the store (".zarray" of "temp" is "temp/.zarray"). */
  key: string;
  /** The array path ("temp", "group/temp"). */
  array: string;
}

/** An array's v3 metadata plus how its chunks are named in the store. */
export interface ConvertedArray {
  metadata: ArrayMetadata;
  encoding: ChunkKeyEncoding;
}

/** Options of the conversions. */
export interface ConversionOptions {
  /**
   * Add xarray's `_FillValue` attribute from a v2 `fill_value` (as xarray's zarr backend does
   * when it opens a v2 store), so that kerchunk output masks the same values. Default true.
   */
  fillValueAttribute?: boolean;
}

/** The key of the `.zattrs` next to a `.zarray` key (also inside `.zmetadata["a/.zarray"]`). */
function attributesKey(key: string): string {
  const at = key.lastIndexOf(".zarray");
  return at < 0 ? key : `${key.slice(0, at)}.zattrs${key.slice(at + ".zarray".length)}`;
}

function fail(context: MetadataContext, why: string): never {
  throw new ParseError(`Zarr store ${context.store}: ${context.key} of array "${context.array}": ${why}`, {
    url: context.store,
    variable: context.array,
    parser: "zarr",
  });
}

function unsupported(context: MetadataContext, feature: string, why: string): never {
  throw new UnsupportedFeatureError(feature, `Zarr store ${context.store}: ${context.key} of array "${context.array}": ${why}`, {
    url: context.store,
    variable: context.array,
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function integerList(value: unknown, minimum: number, what: string, context: MetadataContext): number[] {
  if (!Array.isArray(value) || !value.every((v) => Number.isSafeInteger(v) && (v as number) >= minimum)) {
    fail(context, `${what} ${JSON.stringify(value)} is not a list of integers ≥ ${minimum}`);
  }
  return value as number[];
}

/**
 * numcodecs filters that work on arrays (zarr-python's numcodecs.zarr3 wrappers make them
 * array-to-array codecs); they go before `bytes` in a v3 codec list. Every other v2 filter and
 * compressor works on bytes and goes after it.
 */
export const ARRAY_TO_ARRAY_FILTERS: ReadonlySet<string> = new Set([
  "delta",
  "fixedscaleoffset",
  "quantize",
  "astype",
  "bitround",
  "packbits",
  "categorize",
]);

/** Object codecs of v2 `|O` arrays; only vlen-utf8 maps onto a v3 data type vz knows. */
const OBJECT_CODECS = new Set(["vlen-utf8", "vlen-bytes", "vlen-array", "json2", "json", "pickle", "msgpack2", "msgpack"]);

function v2Codec(value: unknown, what: string, context: MetadataContext): { id: string; configuration: Record<string, unknown> } {
  if (!isObject(value) || typeof value.id !== "string" || value.id === "") fail(context, `${what} ${JSON.stringify(value)} has no codec id`);
  const { id, ...configuration } = value as { id: string } & Record<string, unknown>;
  return { id, configuration };
}

function numcodecs(codec: { id: string; configuration: Record<string, unknown> }): CodecMetadata {
  return { name: `numcodecs.${codec.id}`, configuration: { ...codec.configuration } };
}

/** A v2 fill value (JSON of `.zarray`) as a v3 fill value for `dataType`. */
function v2FillValue(value: unknown, dataType: DataType, context: MetadataContext): unknown {
  if (value === null) return null;
  if (dataType === "bool") {
    if (typeof value === "boolean") return value;
    if (value === 0 || value === 1) return value === 1;
    fail(context, `fill_value ${JSON.stringify(value)} is not a boolean`);
  }
  if (/^u?int(8|16|32|64)$/.test(dataType)) {
    if (typeof value === "number" && Number.isInteger(value)) return value;
    fail(context, `fill_value ${JSON.stringify(value)} is not an integer of ${dataType}`);
  }
  if (dataType.startsWith("float")) {
    if (typeof value === "number") return value;
    // Kept as numbers, as vz's other parsers do (the ManifestStore and the writers spell them "NaN", ...).
    if (value === "NaN" || value === "Infinity" || value === "-Infinity") return Number(value);
    fail(context, `fill_value ${JSON.stringify(value)} is not a number of ${dataType}`);
  }
  if (dataType.startsWith("complex")) {
    if (Array.isArray(value) && value.length === 2) return value;
    fail(context, `fill_value ${JSON.stringify(value)} is not a complex number`);
  }
  if (dataType === "string") {
    if (typeof value === "string") return value;
    if (value === 0) return "";
    fail(context, `fill_value ${JSON.stringify(value)} is not a string`);
  }
  if (dataType.startsWith("fixed_length_bytes")) {
    // v2 stores |S fill values as base64; vz keeps text (the kerchunk writer base64-encodes it again).
    if (typeof value !== "string") fail(context, `fill_value ${JSON.stringify(value)} is not base64 text`);
    try {
      return atob(value as string);
    } catch {
      fail(context, `fill_value ${JSON.stringify(value)} is not base64`);
    }
  }
  if (dataType.startsWith("fixed_length_utf32")) {
    if (typeof value === "string") return value;
    fail(context, `fill_value ${JSON.stringify(value)} is not a string`);
  }
  return value;
}

/**
 * Zarr v2 `.zarray` (+ `.zattrs`) → v3 metadata: dtype → data type and `bytes` endianness,
 * `order: "F"` → a `transpose` codec, filters and compressor → `numcodecs.<id>` codecs with
 * their configuration unchanged (so that a kerchunk writer gives back the same `.zarray`),
 * `_ARRAY_DIMENSIONS` → dimension names.
 */
export function convertV2Array(
  zarray: unknown,
  zattrs: unknown,
  context: MetadataContext,
  options: ConversionOptions = {},
): ConvertedArray {
  if (!isObject(zarray)) fail(context, "not a JSON object");
  if (zarray.zarr_format !== 2) fail(context, `zarr_format is ${JSON.stringify(zarray.zarr_format)}, not 2`);
  const shape = integerList(zarray.shape, 0, "shape", context);
  const chunks = integerList(zarray.chunks, 1, "chunks", context);
  if (chunks.length !== shape.length) fail(context, `chunks [${chunks.join(", ")}] and shape [${shape.join(", ")}] differ in length`);
  const separator = zarray.dimension_separator ?? ".";
  if (separator !== "." && separator !== "/") fail(context, `dimension_separator ${JSON.stringify(separator)} is not "." or "/"`);
  const order = zarray.order ?? "C";
  if (order !== "C" && order !== "F") fail(context, `order ${JSON.stringify(order)} is not "C" or "F"`);
  if (zarray.compressor !== null && zarray.compressor !== undefined && !isObject(zarray.compressor)) {
    fail(context, `compressor ${JSON.stringify(zarray.compressor)} is not a codec or null`);
  }
  const compressor = isObject(zarray.compressor) ? v2Codec(zarray.compressor, "compressor", context) : undefined;
  if (zarray.filters !== null && zarray.filters !== undefined && !Array.isArray(zarray.filters)) {
    fail(context, `filters ${JSON.stringify(zarray.filters)} is not a list or null`);
  }
  const filters = ((zarray.filters as unknown[] | null | undefined) ?? []).map((f, i) => v2Codec(f, `filters[${i}]`, context));
  const dtype = zarray.dtype;
  if (typeof dtype !== "string") unsupported(context, "zarr-structured-dtype", `structured dtype ${JSON.stringify(dtype)} is not supported`);

  const codecs: CodecMetadata[] = [];
  let dataType: DataType;
  let bytesCodecs: CodecMetadata[];
  if (dtype === "|O" || dtype === "O") {
    const objectCodec = filters[0];
    if (!objectCodec || !OBJECT_CODECS.has(objectCodec.id)) {
      fail(context, `object dtype "|O" needs an object codec as first filter, filters are ${JSON.stringify(zarray.filters)}`);
    }
    if (objectCodec.id !== "vlen-utf8") {
      unsupported(context, `zarr-object-codec-${objectCodec.id}`, `object codec "${objectCodec.id}" is not supported (only vlen-utf8 strings)`);
    }
    dataType = "string";
    bytesCodecs = [{ name: "vlen-utf8" }];
    filters.shift();
  } else {
    let parsed: { dataType: DataType; endian: "little" | "big" };
    try {
      parsed = fromNumpyDtype(dtype as string);
    } catch (cause) {
      throw new UnsupportedFeatureError("zarr-dtype", `Zarr store ${context.store}: ${context.key} of array "${context.array}": dtype "${dtype}" is not supported`, {
        url: context.store,
        variable: context.array,
        cause,
      });
    }
    dataType = parsed.dataType;
    bytesCodecs = [{ name: "bytes", configuration: { endian: parsed.endian } }];
  }
  if (order === "F" && shape.length > 1) {
    codecs.push({ name: "transpose", configuration: { order: shape.map((_, d) => shape.length - 1 - d) } });
  }
  let seenBytesFilter = false;
  for (const filter of filters) {
    if (ARRAY_TO_ARRAY_FILTERS.has(filter.id)) {
      if (seenBytesFilter || dataType === "string") {
        unsupported(context, `zarr-filter-order-${filter.id}`, `array filter "${filter.id}" after a bytes filter cannot be expressed as Zarr v3 codecs`);
      }
      codecs.push(numcodecs(filter));
    } else {
      if (!seenBytesFilter) codecs.push(...bytesCodecs);
      seenBytesFilter = true;
      codecs.push(numcodecs(filter));
    }
  }
  if (!seenBytesFilter) codecs.push(...bytesCodecs);
  if (compressor) codecs.push(numcodecs(compressor));

  let attributes: Record<string, unknown> = {};
  if (zattrs !== undefined) {
    if (!isObject(zattrs)) fail({ ...context, key: attributesKey(context.key) }, "not a JSON object");
    attributes = { ...zattrs };
  }
  let dimensionNames: (string | null)[] | undefined;
  if (attributes._ARRAY_DIMENSIONS !== undefined) {
    const dims = attributes._ARRAY_DIMENSIONS;
    if (!Array.isArray(dims) || dims.length !== shape.length || !dims.every((d) => typeof d === "string")) {
      fail({ ...context, key: attributesKey(context.key) }, `_ARRAY_DIMENSIONS ${JSON.stringify(dims)} is not ${shape.length} names`);
    }
    dimensionNames = dims as string[];
    delete attributes._ARRAY_DIMENSIONS;
  }
  const fillValue = v2FillValue(zarray.fill_value ?? null, dataType, context);
  if (fillValue !== null && options.fillValueAttribute !== false && !Object.hasOwn(attributes, "_FillValue")) {
    attributes._FillValue = fillValue;
  }
  const metadata: ArrayMetadata = {
    zarr_format: 3,
    node_type: "array",
    shape: [...shape],
    data_type: dataType,
    chunk_grid: { name: "regular", configuration: { chunk_shape: [...chunks] } },
    chunk_key_encoding: { name: "default", configuration: { separator: "/" } },
    // v2 allows no fill value (null): kept, so that output formats with the same rule say so too.
    fill_value: fillValue,
    codecs,
    attributes,
  };
  if (dimensionNames) metadata.dimension_names = dimensionNames;
  checkMetadata(metadata, context);
  return { metadata, encoding: { kind: "v2", separator } };
}

const V3_DATA_TYPES = new Set([
  "bool",
  "int8",
  "int16",
  "int32",
  "int64",
  "uint8",
  "uint16",
  "uint32",
  "uint64",
  "float16",
  "float32",
  "float64",
  "complex64",
  "complex128",
  "string",
]);

/** A v3 data type (name or `{name, configuration}`) as a vz DataType. */
function v3DataType(value: unknown, context: MetadataContext): DataType {
  if (typeof value === "string") {
    if (V3_DATA_TYPES.has(value)) return value as DataType;
    if (/^fixed_length_(bytes|utf32):\d+$/.test(value)) return value as DataType;
    unsupported(context, `zarr-data-type-${value}`, `data_type "${value}" is not supported`);
  }
  if (isObject(value) && typeof value.name === "string") {
    const configuration = isObject(value.configuration) ? value.configuration : {};
    if (value.name === "fixed_length_utf32" && Number.isSafeInteger(configuration.length_bytes) && (configuration.length_bytes as number) % 4 === 0) {
      return `fixed_length_utf32:${(configuration.length_bytes as number) / 4}`;
    }
    unsupported(context, `zarr-data-type-${value.name}`, `data_type ${JSON.stringify(value)} is not supported`);
  }
  fail(context, `data_type ${JSON.stringify(value)} is not a data type`);
}

function checkCodecs(value: unknown, context: MetadataContext, what = "codecs"): CodecMetadata[] {
  if (!Array.isArray(value) || value.length === 0) fail(context, `${what} ${JSON.stringify(value)} is not a non-empty list`);
  return (value as unknown[]).map((codec, i) => {
    if (typeof codec === "string") return { name: codec };
    if (!isObject(codec) || typeof codec.name !== "string" || codec.name === "") fail(context, `${what}[${i}] ${JSON.stringify(codec)} has no name`);
    if (codec.configuration !== undefined && !isObject(codec.configuration)) fail(context, `${what}[${i}] configuration is not an object`);
    if (codec.name === "sharding_indexed") {
      const configuration = (codec.configuration ?? {}) as Record<string, unknown>;
      integerList(configuration.chunk_shape, 1, `${what}[${i}] sharding chunk_shape`, context);
      checkCodecs(configuration.codecs, context, `${what}[${i}].codecs`);
      checkCodecs(configuration.index_codecs, context, `${what}[${i}].index_codecs`);
    }
    const out: CodecMetadata = { name: codec.name as string };
    if (codec.configuration !== undefined) out.configuration = { ...(codec.configuration as Record<string, unknown>) };
    return out;
  });
}

/**
 * A Zarr v3 array `zarr.json` checked and kept as it is (codecs, sharding, fill value,
 * attributes, dimension names), with the chunk key encoding normalised to vz's default `/`.
 */
export function convertV3Array(document: unknown, context: MetadataContext): ConvertedArray {
  if (!isObject(document)) fail(context, "not a JSON object");
  if (document.zarr_format !== 3) fail(context, `zarr_format is ${JSON.stringify(document.zarr_format)}, not 3`);
  if (document.node_type !== "array") fail(context, `node_type is ${JSON.stringify(document.node_type)}, not "array"`);
  const shape = integerList(document.shape, 0, "shape", context);
  const grid = document.chunk_grid;
  if (!isObject(grid) || typeof grid.name !== "string") fail(context, `chunk_grid ${JSON.stringify(grid)} is not a chunk grid`);
  if (grid.name !== "regular") unsupported(context, `zarr-chunk-grid-${grid.name}`, `chunk grid "${grid.name}" is not supported (only regular)`);
  const chunkShape = integerList(isObject(grid.configuration) ? grid.configuration.chunk_shape : undefined, 1, "chunk_shape", context);
  if (chunkShape.length !== shape.length) fail(context, `chunk_shape [${chunkShape.join(", ")}] and shape [${shape.join(", ")}] differ in length`);
  const keyEncoding = document.chunk_key_encoding ?? { name: "default" };
  if (!isObject(keyEncoding) || (keyEncoding.name !== "default" && keyEncoding.name !== "v2")) {
    fail(context, `chunk_key_encoding ${JSON.stringify(keyEncoding)} is not "default" or "v2"`);
  }
  const separator = (isObject(keyEncoding.configuration) ? keyEncoding.configuration.separator : undefined) ?? (keyEncoding.name === "default" ? "/" : ".");
  if (separator !== "/" && separator !== ".") fail(context, `chunk key separator ${JSON.stringify(separator)} is not "/" or "."`);
  if (Array.isArray(document.storage_transformers) && document.storage_transformers.length > 0) {
    unsupported(context, "zarr-storage-transformers", "storage transformers are not supported");
  }
  if (!("fill_value" in document)) fail(context, "fill_value is missing");
  const dataType = v3DataType(document.data_type, context);
  checkV3FillValue(document.fill_value, dataType, context);
  const codecs = checkCodecs(document.codecs, context);
  const attributes = document.attributes === undefined ? {} : document.attributes;
  if (!isObject(attributes)) fail(context, "attributes is not an object");
  const metadata: ArrayMetadata = {
    zarr_format: 3,
    node_type: "array",
    shape: [...shape],
    data_type: dataType,
    chunk_grid: { name: "regular", configuration: { chunk_shape: [...chunkShape] } },
    chunk_key_encoding: { name: "default", configuration: { separator: "/" } },
    // The float specials as numbers, as vz's other parsers keep them (written back as "NaN", ...).
    fill_value:
      dataType.startsWith("float") && (document.fill_value === "NaN" || document.fill_value === "Infinity" || document.fill_value === "-Infinity")
        ? Number(document.fill_value)
        : document.fill_value,
    codecs,
    attributes: { ...attributes },
  };
  if (document.dimension_names !== undefined && document.dimension_names !== null) {
    const names = document.dimension_names;
    if (!Array.isArray(names) || !names.every((n) => n === null || typeof n === "string")) {
      fail(context, `dimension_names ${JSON.stringify(names)} are not names or null`);
    }
    metadata.dimension_names = [...(names as (string | null)[])];
  }
  checkMetadata(metadata, context);
  return { metadata, encoding: { kind: keyEncoding.name as "default" | "v2", separator } };
}

/** Checks a v3 fill value against its data type (null, which zarrita writes by default, passes). */
function checkV3FillValue(value: unknown, dataType: DataType, context: MetadataContext): void {
  if (value === null) return;
  const bad = (): never => fail(context, `fill_value ${JSON.stringify(value)} is not a value of ${dataType}`);
  if (dataType === "bool") {
    if (typeof value !== "boolean") bad();
  } else if (/^u?int(8|16|32|64)$/.test(dataType)) {
    if (typeof value !== "number" || !Number.isInteger(value)) bad();
  } else if (dataType.startsWith("float")) {
    if (typeof value !== "number" && !(typeof value === "string" && /^(NaN|Infinity|-Infinity|0x[0-9a-fA-F]+)$/.test(value))) bad();
  } else if (dataType.startsWith("complex")) {
    if (!Array.isArray(value) || value.length !== 2) bad();
  } else if (dataType === "string" || dataType.startsWith("fixed_length_utf32")) {
    if (typeof value !== "string") bad();
  }
}

/** Group attributes of a v2 `.zattrs` or a v3 group `zarr.json`. */
export function groupAttributes(document: unknown, context: MetadataContext, format: 2 | 3): Record<string, unknown> {
  if (document === undefined) return {};
  if (!isObject(document)) fail(context, "not a JSON object");
  if (format === 2) return { ...document };
  if (document.zarr_format !== 3) fail(context, `zarr_format is ${JSON.stringify(document.zarr_format)}, not 3`);
  if (document.node_type !== "group") fail(context, `node_type is ${JSON.stringify(document.node_type)}, not "group"`);
  const attributes = document.attributes ?? {};
  if (!isObject(attributes)) fail(context, "attributes is not an object");
  return { ...attributes };
}

function checkMetadata(metadata: ArrayMetadata, context: MetadataContext): void {
  try {
    validateArrayMetadata(metadata, context.array);
  } catch (cause) {
    fail(context, (cause as Error).message);
  }
}
