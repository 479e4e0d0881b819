/**
 * Zarr v3 metadata as stored in `zarr.json`, plus helpers between v3 data types and numpy-style
 * dtype strings (used by kerchunk / Zarr v2 output).
 * @module
 */
import { InvalidManifestError } from "../errors.js";

/** A codec entry in Zarr v3 metadata. */
export interface CodecMetadata {
  name: string;
  configuration?: Record<string, unknown>;
}

/** Zarr v3 data type names vz emits. Fixed-length byte strings use `fixed_length_bytes` (`|S<n>`). */
export type DataType =
  | "bool"
  | "int8"
  | "int16"
  | "int32"
  | "int64"
  | "uint8"
  | "uint16"
  | "uint32"
  | "uint64"
  | "float16"
  | "float32"
  | "float64"
  | "complex64"
  | "complex128"
  | "string"
  | `fixed_length_bytes:${number}`
  | `fixed_length_utf32:${number}`;

/** Zarr v3 array metadata (`zarr.json` of an array). */
export interface ArrayMetadata {
  zarr_format: 3;
  node_type: "array";
  shape: number[];
  data_type: DataType;
  chunk_grid: { name: "regular"; configuration: { chunk_shape: number[] } };
  chunk_key_encoding: { name: "default"; configuration: { separator: "/" } } | { name: "v2"; configuration: { separator: "." | "/" } };
  /**
   * The storage fill value (what missing chunks hold): a number (NaN / ±Infinity as numbers or
   * the strings "NaN", "Infinity", "-Infinity"), a bigint for int64/uint64 values no double holds
   * exactly (e.g. netCDF's default -9223372036854775806n, kept digit for digit through the kerchunk
   * writer and parser), a boolean, a string, or bytes for fixed-length byte strings. Not the CF
   * `_FillValue`, which is an attribute.
   */
  fill_value: unknown;
  codecs: CodecMetadata[];
  attributes: Record<string, unknown>;
  dimension_names?: (string | null)[];
  storage_transformers?: unknown[];
}

/** Zarr v3 group metadata (`zarr.json` of a group). */
export interface GroupMetadata {
  zarr_format: 3;
  node_type: "group";
  attributes: Record<string, unknown>;
}

const ITEM_SIZES: Readonly<Record<string, number>> = {
  bool: 1,
  int8: 1,
  uint8: 1,
  int16: 2,
  uint16: 2,
  float16: 2,
  int32: 4,
  uint32: 4,
  float32: 4,
  int64: 8,
  uint64: 8,
  float64: 8,
  complex64: 8,
  complex128: 16,
};

/**
 * Bytes per element of a data type name, or undefined when it has no fixed size (`string`) or is
 * unknown. Knows vz's names (`fixed_length_bytes:<n>`, `fixed_length_utf32:<n>`) and zarrita's
 * (`v2:S<n>`, `v2:U<n>`), so codecs can use it on the chunk metadata zarrita hands them.
 */
export function fixedItemSize(dataType: string): number | undefined {
  const known = ITEM_SIZES[dataType];
  if (known !== undefined) return known;
  const match = /^(?:fixed_length_(bytes|utf32):|v2:([SU]))(\d+)$/.exec(dataType);
  if (!match) return undefined;
  return Number(match[3]) * (match[1] === "utf32" || match[2] === "U" ? 4 : 1);
}

/** Item size in bytes of a v3 data type (string has no fixed size: -1). */
export function itemSize(dataType: DataType): number {
  if (dataType === "string") return -1;
  const size = fixedItemSize(dataType);
  if (size === undefined) throw new InvalidManifestError(`unknown data type ${dataType}`);
  return size;
}

const NUMPY_KIND: Record<string, string> = {
  bool: "b1",
  int8: "i1",
  int16: "i2",
  int32: "i4",
  int64: "i8",
  uint8: "u1",
  uint16: "u2",
  uint32: "u4",
  uint64: "u8",
  float16: "f2",
  float32: "f4",
  float64: "f8",
  complex64: "c8",
  complex128: "c16",
};

/** Numpy dtype string (`<i4`, `>f8`, `|u1`, `|S5`, `|O`) for a v3 data type and endianness. */
export function toNumpyDtype(dataType: DataType, endian: "little" | "big" = "little"): string {
  if (dataType === "string") return "|O";
  const fixed = /^fixed_length_(bytes|utf32):(\d+)$/.exec(dataType);
  if (fixed) return fixed[1] === "bytes" ? `|S${fixed[2]}` : `${endian === "big" ? ">" : "<"}U${fixed[2]}`;
  const kind = NUMPY_KIND[dataType];
  if (!kind) throw new InvalidManifestError(`no numpy dtype for ${dataType}`);
  if (itemSize(dataType) === 1) return `|${kind}`;
  return `${endian === "big" ? ">" : "<"}${kind}`;
}

/** Parses a numpy dtype string into a v3 data type and endianness. */
export function fromNumpyDtype(dtype: string): { dataType: DataType; endian: "little" | "big" } {
  const match = /^([<>|=]?)([biufcSUO])(\d*)$/.exec(dtype);
  if (!match) throw new InvalidManifestError(`unsupported numpy dtype "${dtype}"`);
  const [, order, kind, size] = match;
  const endian = order === ">" ? "big" : "little";
  if (kind === "O") return { dataType: "string", endian };
  if (kind === "S") return { dataType: `fixed_length_bytes:${Number(size)}`, endian };
  if (kind === "U") return { dataType: `fixed_length_utf32:${Number(size)}`, endian };
  const code = `${kind}${size}`;
  for (const [dataType, numpy] of Object.entries(NUMPY_KIND)) {
    if (numpy === code) return { dataType: dataType as DataType, endian };
  }
  throw new InvalidManifestError(`unsupported numpy dtype "${dtype}"`);
}

/** Endianness from the `bytes` codec of a codec list (little when absent). */
export function endianOf(codecs: readonly CodecMetadata[]): "little" | "big" {
  const bytes = codecs.find((c) => c.name === "bytes");
  return (bytes?.configuration?.endian as "little" | "big" | undefined) ?? "little";
}

/** Creates array metadata with vz's defaults (regular grid, default key encoding, bytes codec). */
export function createArrayMetadata(options: {
  shape: readonly number[];
  dataType: DataType;
  chunkShape: readonly number[];
  fillValue?: unknown;
  codecs?: CodecMetadata[];
  attributes?: Record<string, unknown>;
  dimensionNames?: readonly (string | null)[];
  endian?: "little" | "big";
}): ArrayMetadata {
  const codecs = options.codecs ?? [{ name: "bytes", configuration: { endian: options.endian ?? "little" } }];
  const metadata: ArrayMetadata = {
    zarr_format: 3,
    node_type: "array",
    shape: [...options.shape],
    data_type: options.dataType,
    chunk_grid: { name: "regular", configuration: { chunk_shape: [...options.chunkShape] } },
    chunk_key_encoding: { name: "default", configuration: { separator: "/" } },
    fill_value: options.fillValue ?? defaultFillValue(options.dataType),
    codecs,
    attributes: { ...(options.attributes ?? {}) },
  };
  if (options.dimensionNames) metadata.dimension_names = [...options.dimensionNames];
  validateArrayMetadata(metadata);
  return metadata;
}

/** Zarr's default fill value for a data type. */
export function defaultFillValue(dataType: DataType): unknown {
  if (dataType === "bool") return false;
  if (dataType === "string") return "";
  if (dataType.startsWith("fixed_length")) return "";
  if (dataType.startsWith("complex")) return [0, 0];
  return 0;
}

/** Throws InvalidManifestError when shapes, chunk shapes or dimension names disagree. */
export function validateArrayMetadata(metadata: ArrayMetadata, name = "array"): void {
  const { shape } = metadata;
  const chunks = metadata.chunk_grid.configuration.chunk_shape;
  if (chunks.length !== shape.length) {
    throw new InvalidManifestError(
      `${name}: chunk shape [${chunks.join(", ")}] has ${chunks.length} dimensions, shape [${shape.join(", ")}] has ${shape.length}`,
      { variable: name },
    );
  }
  for (let d = 0; d < shape.length; d++) {
    if (!Number.isSafeInteger(shape[d]) || shape[d]! < 0) {
      throw new InvalidManifestError(`${name}: invalid shape [${shape.join(", ")}]`, { variable: name });
    }
    if (!Number.isSafeInteger(chunks[d]) || chunks[d]! < 1) {
      throw new InvalidManifestError(`${name}: invalid chunk shape [${chunks.join(", ")}]`, { variable: name });
    }
  }
  if (metadata.dimension_names && metadata.dimension_names.length !== shape.length) {
    throw new InvalidManifestError(
      `${name}: ${metadata.dimension_names.length} dimension names for ${shape.length} dimensions`,
      { variable: name },
    );
  }
}

/** Number of chunks along each dimension (ceil(shape / chunk)). */
export function chunkGridShape(shape: readonly number[], chunkShape: readonly number[]): number[] {
  return shape.map((s, d) => Math.ceil(s / chunkShape[d]!));
}
