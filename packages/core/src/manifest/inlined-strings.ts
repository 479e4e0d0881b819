/**
 * String variables that parsers read at parse time (HDF5/netCDF-4 vlen and fixed strings, joined
 * char arrays, DMR++ strings, Zarr fixed-length unicode) become `string` arrays with one inlined
 * `vlen-utf8` chunk holding every value — the form zarrita, xarray and the kerchunk writers read.
 * @module
 */
import { encodeVlenUtf8 } from "../codecs/vlen-utf8.js";
import { InvalidArgumentError } from "../errors.js";
import { ChunkManifestBuilder } from "./chunk-manifest.js";
import { ManifestArray } from "./manifest-array.js";
import { type ArrayMetadata, chunkGridShape } from "./metadata.js";

/** Options of {@link inlinedStringArray}. */
export interface InlinedStringArrayOptions {
  /** The variable's name or path (used in messages). */
  name: string;
  shape: readonly number[];
  /** Every value in C order: as many as the shape holds. */
  strings: readonly string[];
  attributes?: Record<string, unknown>;
  dimensionNames?: readonly (string | null)[] | undefined;
  /** Zarr fill value; "" by default. */
  fillValue?: string;
}

/**
 * A `string` array whose single chunk (chunk shape = the array's shape, at least 1 per
 * dimension) is inlined in vlen-utf8 form. An array with a zero-length dimension has a chunk grid
 * of 0 along it and no chunk.
 */
export function inlinedStringArray(options: InlinedStringArrayOptions): ManifestArray {
  const { name, shape, strings } = options;
  const size = shape.reduce((n, extent) => n * extent, 1);
  if (strings.length !== size) {
    throw new InvalidArgumentError(`variable ${name}: ${strings.length} strings given for shape [${shape.join(", ")}] (${size} values)`, { variable: name });
  }
  const chunkShape = shape.map((extent) => Math.max(1, extent));
  const builder = new ChunkManifestBuilder(chunkGridShape(shape, chunkShape));
  if (size > 0) builder.setInlined(shape.map(() => 0), encodeVlenUtf8(strings));
  const metadata: ArrayMetadata = {
    zarr_format: 3,
    node_type: "array",
    shape: [...shape],
    data_type: "string",
    chunk_grid: { name: "regular", configuration: { chunk_shape: chunkShape } },
    chunk_key_encoding: { name: "default", configuration: { separator: "/" } },
    fill_value: options.fillValue ?? "",
    codecs: [{ name: "vlen-utf8" }],
    attributes: { ...(options.attributes ?? {}) },
  };
  if (options.dimensionNames) metadata.dimension_names = [...options.dimensionNames];
  return new ManifestArray(metadata, builder.build(), name);
}
