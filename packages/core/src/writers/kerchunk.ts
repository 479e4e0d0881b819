/**
 * Kerchunk references (version 1) from a VirtualDataset: Zarr v2 metadata serialised as JSON
 * strings plus `[url, offset, length]` per chunk, readable by fsspec's ReferenceFileSystem +
 * zarr 2 + xarray (`xr.open_dataset("reference://", engine="zarr", ...)`).
 * @module
 */
import { InvalidArgumentError, UnsupportedFeatureError } from "../errors.js";
import { ChunkManifest, INLINED, MISSING } from "../manifest/chunk-manifest.js";
import { type CodecMetadata, type DataType, endianOf, itemSize, toNumpyDtype } from "../manifest/metadata.js";
import { encodeVlenUtf8 } from "../codecs/vlen-utf8.js";
import { encodedFillChunk } from "./fill-chunk.js";
import { isVirtual, type LoadedArray, type Variable, type VirtualDataset } from "../dataset/virtual-dataset.js";
import { encodeTimeVariables } from "../dataset/encode-times.js";
import { VirtualDatatree } from "../dataset/virtual-datatree.js";

/** One kerchunk reference: a byte range `[url, offset, length]`, a whole file `[url]`, or inline data. */
export type KerchunkReference = string | [string, number, number] | [string];

/** Kerchunk references, version 1 (https://fsspec.github.io/kerchunk/spec.html). */
export interface KerchunkRefs {
  version: 1;
  refs: Record<string, KerchunkReference>;
  templates?: Record<string, string>;
}

/** Output formats of kerchunk references: a JSON file, or a Parquet reference directory. */
export type KerchunkFormat = "json" | "parquet";

/** Options of {@link toKerchunk}. */
export interface ToKerchunkOptions {
  /**
   * Group path ("a" or "a/b") under which the dataset is written; intermediate groups get a
   * `.zgroup`. Default: the root.
   */
  group?: string;
  /** Only "json" (in-memory references); Parquet output is written by `writeKerchunk(..., { format: "parquet" })`. */
  format?: KerchunkFormat;
}

/** A Zarr v2 codec configuration (`{"id": "zlib", "level": 4}`). */
export interface ZarrV2Codec {
  id: string;
  [key: string]: unknown;
}

/** The `.zarray` document of a Zarr v2 array. */
export interface ZarrV2ArrayMetadata {
  zarr_format: 2;
  shape: number[];
  chunks: number[];
  dtype: string;
  compressor: ZarrV2Codec | null;
  filters: ZarrV2Codec[] | null;
  fill_value: unknown;
  order: "C";
}

/** v2 codec ids that are compressors (may stand in `.zarray` "compressor"); others are filters. */
const COMPRESSORS = new Set([
  "zlib",
  "gzip",
  "blosc",
  "zstd",
  "bz2",
  "lz4",
  "lzma",
  "imagecodecs_lz4h5",
  "imagecodecs_lzf",
  "imagecodecs_lz4",
  "imagecodecs_lzw",
  "imagecodecs_jpeg",
  "imagecodecs_jpeg2k",
  "imagecodecs_png",
  "imagecodecs_webp",
  "imagecodecs_deflate",
  "imagecodecs_zstd",
  "imagecodecs_packbits",
]);

const BLOSC_SHUFFLE: Record<string, number> = { noshuffle: 0, shuffle: 1, bitshuffle: 2 };

/** Zarr v3 codec entry → Zarr v2 codec configuration. */
function toV2Codec(codec: CodecMetadata, variable: string): ZarrV2Codec {
  const configuration = { ...(codec.configuration ?? {}) };
  const id = codec.name.startsWith("numcodecs.") ? codec.name.slice("numcodecs.".length) : codec.name;
  if (id === "blosc") {
    // numcodecs' Blosc takes cname/clevel/shuffle/blocksize; typesize comes from the data.
    delete configuration.typesize;
    const shuffle = configuration.shuffle;
    if (typeof shuffle === "string") {
      const mapped = BLOSC_SHUFFLE[shuffle];
      if (mapped === undefined) {
        throw new UnsupportedFeatureError("blosc-shuffle", `kerchunk: variable "${variable}" has blosc shuffle "${shuffle}"`, { variable });
      }
      configuration.shuffle = mapped;
    }
  }
  if (id === "zstd") delete configuration.checksum;
  return { id, ...configuration };
}

/** v3 data type + codecs → v2 dtype, filters and compressor. */
function toV2Codecs(
  dataType: DataType,
  codecs: readonly CodecMetadata[],
  variable: string,
): { dtype: string; filters: ZarrV2Codec[] | null; compressor: ZarrV2Codec | null } {
  const filters: ZarrV2Codec[] = [];
  let seenArrayToBytes = false;
  for (const codec of codecs) {
    if (codec.name === "bytes") {
      seenArrayToBytes = true;
      continue;
    }
    if (codec.name === "vlen-utf8" || codec.name === "numcodecs.vlen-utf8") {
      seenArrayToBytes = true;
      filters.push({ id: "vlen-utf8" });
      continue;
    }
    if (!seenArrayToBytes && codec.name.startsWith("numcodecs.")) {
      // numcodecs array filters (delta, fixedscaleoffset, astype, ...) come before `bytes` in v3
      // and are ordinary filters in v2, in the same order.
      filters.push(toV2Codec(codec, variable));
      continue;
    }
    if (!seenArrayToBytes) {
      throw new UnsupportedFeatureError(
        `codec-${codec.name}`,
        `kerchunk: variable "${variable}" uses array-to-array codec "${codec.name}", which Zarr v2 references cannot express`,
        { variable },
      );
    }
    filters.push(toV2Codec(codec, variable));
  }
  if (dataType === "string" && !filters.some((f) => f.id === "vlen-utf8")) {
    throw new UnsupportedFeatureError(
      "string-encoding",
      `kerchunk: string variable "${variable}" has no vlen-utf8 codec (codecs ${JSON.stringify(codecs)})`,
      { variable },
    );
  }
  const last = filters[filters.length - 1];
  let compressor: ZarrV2Codec | null = null;
  if (last && COMPRESSORS.has(last.id)) {
    compressor = last;
    filters.pop();
  }
  return { dtype: toNumpyDtype(dataType, endianOf(codecs)), filters: filters.length > 0 ? filters : null, compressor };
}

function base64(bytes: Uint8Array): string {
  let text = "";
  const step = 0x8000;
  for (let i = 0; i < bytes.length; i += step) {
    text += String.fromCharCode(...bytes.subarray(i, i + step));
  }
  return btoa(text);
}

function nonFinite(value: number): string | number {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "Infinity";
  if (value === -Infinity) return "-Infinity";
  return value;
}

/** Reads a v3 hex float fill value ("0x7fc00000") as a number. */
function hexFloat(hex: string, dataType: DataType): number | undefined {
  const size = itemSize(dataType);
  const digits = hex.slice(2);
  if (!/^[0-9a-fA-F]+$/.test(digits) || digits.length !== size * 2) return undefined;
  const view = new DataView(new ArrayBuffer(size));
  for (let i = 0; i < size; i++) view.setUint8(i, parseInt(digits.slice(i * 2, i * 2 + 2), 16));
  if (dataType === "float64") return view.getFloat64(0);
  if (dataType === "float32") return view.getFloat32(0);
  return undefined;
}

/** v3 fill value → the `.zarray` encoding Zarr v2 expects ("NaN"/"Infinity" strings, base64 for |S). */
/** Whether `value` can be the fill value of `dataType`. */
function fillFits(value: unknown, dataType: DataType): boolean {
  if (value === null || value === undefined) return false;
  if (/^u?int(8|16|32|64)$/.test(dataType)) {
    if (typeof value === "bigint") return true;
    return typeof value === "number" && Number.isInteger(value);
  }
  if (dataType.startsWith("float")) return typeof value === "number" || (typeof value === "string" && /^(NaN|-?Infinity|0x[0-9a-fA-F]+)$/.test(value));
  if (dataType === "bool") return typeof value === "boolean" || value === 0 || value === 1;
  if (dataType === "string" || dataType.startsWith("fixed_length")) return typeof value === "string";
  return true;
}

/** Largest total of encoded fill bytes {@link inlineMissingChunks} writes inline for one array. */
const MAX_INLINED_FILL_BYTES = 1024 * 1024;
/** At most this many missing chunks are written inline (one JSON entry each). */
const MAX_INLINED_FILL_CHUNKS = 100_000;

/**
 * A copy of `manifest` whose missing chunks are inlined chunks of fill values, encoded with the
 * array's codecs; undefined when the codecs or the fill value cannot be encoded by vz, or the
 * inline data would exceed {@link MAX_INLINED_FILL_BYTES} / {@link MAX_INLINED_FILL_CHUNKS}.
 */
function inlineMissingChunks(
  manifest: ChunkManifest,
  dataType: DataType,
  codecs: readonly CodecMetadata[],
  chunkShape: readonly number[],
  fill: unknown,
): ChunkManifest | undefined {
  const missing = manifest.gridSize - manifest.chunkCount;
  if (missing > MAX_INLINED_FILL_CHUNKS) return undefined;
  const chunk = encodedFillChunk(dataType, codecs, chunkShape, fill);
  if (!chunk || missing * chunk.length > MAX_INLINED_FILL_BYTES) return undefined;
  const arrays = manifest.toArrays();
  for (let i = 0; i < arrays.urlIds.length; i++) {
    if (arrays.urlIds[i] === MISSING) {
      arrays.urlIds[i] = INLINED;
      arrays.inlined.set(i, chunk);
    }
  }
  return ChunkManifest.fromArrays(arrays, { validate: false });
}

const INTEGER_RANGES: Partial<Record<DataType, [bigint, bigint]>> = {
  int8: [-128n, 127n],
  uint8: [0n, 255n],
  int16: [-32768n, 32767n],
  uint16: [0n, 65535n],
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
};

function toV2FillValue(value: unknown, dataType: DataType, variable: string): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === "bigint") {
    // 64-bit integers keep every digit (written as a bare JSON number by jsonText).
    const range = INTEGER_RANGES[dataType];
    if (!range || value < range[0] || value > range[1]) {
      throw new UnsupportedFeatureError("fill-value", `kerchunk: variable "${variable}" has fill value ${value}, which is not a ${dataType}`, { variable });
    }
    return Number.isSafeInteger(Number(value)) ? Number(value) : value;
  }
  if (dataType.startsWith("fixed_length_bytes")) {
    if (typeof value === "string") return base64(new TextEncoder().encode(value));
    if (Array.isArray(value)) return base64(Uint8Array.from(value as number[]));
    return null;
  }
  if (dataType === "string" || dataType.startsWith("fixed_length_utf32")) return typeof value === "string" ? value : null;
  if (typeof value === "number") return nonFinite(value);
  if (typeof value === "string") {
    if (value === "NaN" || value === "Infinity" || value === "-Infinity") return value;
    if (value.startsWith("0x")) {
      const parsed = hexFloat(value, dataType);
      if (parsed !== undefined) return nonFinite(parsed);
    }
    throw new UnsupportedFeatureError("fill-value", `kerchunk: variable "${variable}" has fill value ${JSON.stringify(value)} for ${dataType}`, { variable });
  }
  if (Array.isArray(value)) return value.map((part) => (typeof part === "number" ? nonFinite(part) : part));
  return value;
}

/**
 * JSON text of an attribute document, as zarr-python writes it: NaN / ±Infinity appear as the
 * bare tokens `NaN`, `Infinity`, `-Infinity` (Python's json accepts them), typed arrays as lists,
 * bigints as numbers with every digit (JSON numbers have no size limit; Python reads them
 * exactly, e.g. an int64 fill value -9223372036854775806).
 */
export function attributesToJson(attributes: Record<string, unknown>): string {
  return jsonText(attributes);
}

const JSON_MARKER = "\u0000vz-json:";

/** A bigint as a JSON value: a number when a double holds it exactly, else a marker replaced by its digits. */
function bigintJson(value: bigint): number | string {
  return Number.isSafeInteger(Number(value)) ? Number(value) : `${JSON_MARKER}${value.toString()}`;
}

/** JSON text with bare NaN / ±Infinity tokens and exact bigint digits, ASCII only (see {@link attributesToJson}). */
function jsonText(document: unknown): string {
  const text = JSON.stringify(document, (_key, value: unknown) => {
    if (typeof value === "number" && !Number.isFinite(value)) return `${JSON_MARKER}${nonFinite(value)}`;
    // Integral doubles beyond 2^53 with their exact digits (-2^63 as -9223372036854775808, not -9223372036854776000).
    if (typeof value === "number" && !Number.isSafeInteger(value) && Number.isInteger(value) && Math.abs(value) < 1e21) return `${JSON_MARKER}${BigInt(value)}`;
    if (typeof value === "bigint") return bigintJson(value);
    if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
      return Array.from(value as unknown as ArrayLike<number | bigint>, (v) => (typeof v === "bigint" ? bigintJson(v) : v));
    }
    return value;
  });
  // ASCII only, as zarr-python's json_dumps (ensure_ascii): zarr 2.x decodes metadata as ASCII.
  return text
    .replace(/"\\u0000vz-json:(NaN|Infinity|-Infinity|-?\d+)"/g, "$1")
    .replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Little-endian bytes of loaded values for their data type. */
function encodeLoaded(array: LoadedArray, variable: string): Uint8Array {
  const { dataType, values } = array;
  if (dataType === "string") {
    return encodeVlenUtf8(Array.from(values as ArrayLike<unknown>, (v) => String(v)));
  }
  const fixed = /^fixed_length_(bytes|utf32):(\d+)$/.exec(dataType);
  if (fixed) {
    const width = Number(fixed[2]);
    const utf32 = fixed[1] === "utf32";
    const itemBytes = utf32 ? width * 4 : width;
    const out = new Uint8Array(values.length * itemBytes);
    const view = new DataView(out.buffer);
    for (let i = 0; i < values.length; i++) {
      const text = String(values[i]);
      if (utf32) {
        const codePoints = Array.from(text, (c) => c.codePointAt(0)!);
        if (codePoints.length > width) throw new InvalidArgumentError(`kerchunk: value "${text}" of "${variable}" is longer than ${width}`, { variable });
        codePoints.forEach((cp, k) => view.setUint32(i * itemBytes + k * 4, cp, true));
      } else {
        const encoded = new TextEncoder().encode(text);
        if (encoded.length > width) throw new InvalidArgumentError(`kerchunk: value "${text}" of "${variable}" is longer than ${width} bytes`, { variable });
        out.set(encoded, i * itemBytes);
      }
    }
    return out;
  }
  const size = itemSize(dataType);
  const out = new Uint8Array(values.length * size);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    const offset = i * size;
    switch (dataType) {
      case "bool":
        view.setUint8(offset, value ? 1 : 0);
        break;
      case "int8":
        view.setInt8(offset, Number(value));
        break;
      case "uint8":
        view.setUint8(offset, Number(value));
        break;
      case "int16":
        view.setInt16(offset, Number(value), true);
        break;
      case "uint16":
        view.setUint16(offset, Number(value), true);
        break;
      case "int32":
        view.setInt32(offset, Number(value), true);
        break;
      case "uint32":
        view.setUint32(offset, Number(value), true);
        break;
      case "int64":
        view.setBigInt64(offset, BigInt(value as number | bigint), true);
        break;
      case "uint64":
        view.setBigUint64(offset, BigInt(value as number | bigint), true);
        break;
      case "float32":
        view.setFloat32(offset, Number(value), true);
        break;
      case "float64":
        view.setFloat64(offset, Number(value), true);
        break;
      default:
        throw new UnsupportedFeatureError(`loaded-${dataType}`, `kerchunk: loaded variable "${variable}" has data type ${dataType}, which cannot be inlined`, { variable });
    }
  }
  return out;
}


function joinPath(...parts: string[]): string {
  return parts.filter((part) => part !== "").join("/");
}

function assertNodeName(name: string, what: string): void {
  const parts = name.split("/");
  if (name === "" || parts.some((part) => part === "" || part === "." || part === ".." || part.startsWith(".z"))) {
    throw new InvalidArgumentError(`kerchunk: invalid ${what} name "${name}"`, { variable: name });
  }
}

/** Chunk key in kerchunk/Zarr v2 form: "i.j.k", "0" for 0-d arrays. */
function chunkKey(coords: readonly number[]): string {
  return coords.length === 0 ? "0" : coords.join(".");
}

/**
 * The references of one node (group or array) before they are laid out: its metadata files
 * (".zgroup", ".zarray", ".zattrs") and its chunks — a manifest (kept as is, so that large
 * manifests can be streamed without an object per chunk) or one inlined chunk.
 */
interface NodeReferences {
  files: Map<string, string>;
  manifest?: ChunkManifest;
  inlinedChunk?: [string, string];
}

/** Every node of the output by path ("" = root). */
type NodeTable = Map<string, NodeReferences>;

function nodeOf(table: NodeTable, path: string): NodeReferences {
  let node = table.get(path);
  if (!node) {
    node = { files: new Map() };
    table.set(path, node);
  }
  return node;
}

function ensureGroup(table: NodeTable, path: string): void {
  const parts = path === "" ? [] : path.split("/");
  for (let i = 0; i <= parts.length; i++) {
    const prefix = parts.slice(0, i).join("/");
    const node = nodeOf(table, prefix);
    if (node.files.has(".zarray")) {
      throw new InvalidArgumentError(`kerchunk: "${prefix}" is both an array and a group`, { variable: prefix });
    }
    if (!node.files.has(".zgroup")) node.files.set(".zgroup", JSON.stringify({ zarr_format: 2 }));
    if (!node.files.has(".zattrs")) node.files.set(".zattrs", "{}");
  }
}

function addVariable(table: NodeTable, path: string, name: string, variable: Variable): void {
  const node = nodeOf(table, path);
  if (node.files.size > 0) {
    throw new InvalidArgumentError(`kerchunk: "${path}" is written twice (as array and group, or two variables)`, { variable: name });
  }
  const attributes: Record<string, unknown> = { ...variable.attrs, _ARRAY_DIMENSIONS: [...variable.dims] };
  // CF's _FillValue goes into .zarray's fill_value (as kerchunk does): xarray's zarr backend takes
  // fill_value as _FillValue, so keeping both would mask two different values when they differ
  // (netCDF4 files whose HDF5 fill value is not their _FillValue attribute).
  const cfFill = Array.isArray(attributes._FillValue) && attributes._FillValue.length === 1 ? attributes._FillValue[0] : attributes._FillValue;
  const dataTypeOf = isVirtual(variable) ? variable.data.metadata.data_type : (variable.data as LoadedArray).dataType;
  // A _FillValue the data type cannot hold (NaN on an int16, as some netCDF3 files have) stays an attribute.
  const hasCfFill = Object.hasOwn(attributes, "_FillValue") && fillFits(cfFill, dataTypeOf);
  if (hasCfFill) delete attributes._FillValue;
  if (isVirtual(variable)) {
    const { metadata, manifest } = variable.data;
    // Without _FillValue, the storage fill value only matters for missing chunks; leave it out when
    // every chunk exists so that readers do not mask real values equal to a library default fill.
    toV2FillValue(metadata.fill_value, metadata.data_type, name); // validates the storage fill value
    let storageFill = hasCfFill ? cfFill : manifest.chunkCount === manifest.gridSize ? null : metadata.fill_value;
    let written = manifest;
    if (!hasCfFill && storageFill !== null) {
      // Missing chunks without a CF _FillValue (never-written chunks of an HDF5 dataset with a
      // fill value, netCDF "container" scalars): a .zarray fill_value would make xarray mask real
      // values equal to it (and turn integers into floats), where xarray on the original file
      // reads them as they are. So the missing chunks are written inline as chunks of the storage
      // fill, encoded with the array's codecs (bytes, shuffle, zlib, gzip, zstd, blosc, lz4), and
      // fill_value is null. Only when vz cannot encode them (other codecs) or they would take more
      // than 1 MiB / 100,000 entries does fill_value stay (as kerchunk writes it; xarray then
      // masks that value).
      const filled = inlineMissingChunks(manifest, metadata.data_type, metadata.codecs, metadata.chunk_grid.configuration.chunk_shape, metadata.fill_value);
      if (filled) {
        written = filled;
        storageFill = null;
      }
    }
    const { dtype, filters, compressor } = toV2Codecs(metadata.data_type, metadata.codecs, name);
    const zarray: ZarrV2ArrayMetadata = {
      zarr_format: 2,
      shape: [...metadata.shape],
      chunks: [...metadata.chunk_grid.configuration.chunk_shape],
      dtype,
      compressor,
      filters,
      fill_value: toV2FillValue(storageFill, metadata.data_type, name),
      order: "C",
    };
    node.files.set(".zarray", jsonText(zarray));
    node.files.set(".zattrs", attributesToJson(attributes));
    node.manifest = written;
    return;
  }
  const loaded = variable.data as LoadedArray;
  const isString = loaded.dataType === "string";
  const zarray: ZarrV2ArrayMetadata = {
    zarr_format: 2,
    shape: [...loaded.shape],
    chunks: loaded.shape.map((extent) => Math.max(extent, 1)),
    dtype: toNumpyDtype(loaded.dataType, "little"),
    compressor: null,
    filters: isString ? [{ id: "vlen-utf8" }] : null,
    fill_value: toV2FillValue(hasCfFill ? cfFill : loaded.dataType === "string" ? loaded.fillValue : null, loaded.dataType, name),
    order: "C",
  };
  node.files.set(".zarray", jsonText(zarray));
  node.files.set(".zattrs", attributesToJson(attributes));
  if (loaded.values.length > 0) {
    node.inlinedChunk = [chunkKey(loaded.shape.map(() => 0)), `base64:${base64(encodeLoaded(loaded, name))}`];
  }
}

/**
 * Adds `vds` at group path `group`. Variable names with "/" are placed in sub-groups. Every group
 * on the way gets a `.zgroup`; the dataset's group a `.zattrs` with its attributes and, when it
 * has coordinates, VirtualiZarr's space-separated `coordinates` attribute.
 */
function addDataset(table: NodeTable, vds: VirtualDataset, group: string): void {
  if (group !== "") assertNodeName(group, "group");
  ensureGroup(table, group);
  const attributes: Record<string, unknown> = { ...vds.attrs };
  const coordinates = vds.coords;
  if (coordinates.length > 0 && attributes.coordinates === undefined) attributes.coordinates = coordinates.join(" ");
  nodeOf(table, group).files.set(".zattrs", attributesToJson(attributes));
  void vds.dims; // validates dimension lengths across variables
  for (const [name, variable] of vds.variables) {
    assertNodeName(name, "variable");
    const path = joinPath(group, name);
    ensureGroup(table, path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : "");
    addVariable(table, path, name, variable);
  }
}

function tableOf(datasets: Iterable<[string, VirtualDataset]>): NodeTable {
  const table: NodeTable = new Map();
  const seen = new Set<string>();
  for (const [group, vds] of datasets) {
    const normalized = group.replace(/^\/+|\/+$/g, "");
    if (seen.has(normalized)) throw new InvalidArgumentError(`kerchunk: group "${normalized}" is given twice`);
    seen.add(normalized);
    addDataset(table, encodeTimeVariables(vds, `kerchunk${normalized ? ` group "${normalized}"` : ""}`), normalized);
  }
  return table;
}

function materialize(table: NodeTable): KerchunkRefs {
  const refs: Record<string, KerchunkReference> = {};
  for (const [path, node] of table) {
    const prefix = path === "" ? "" : `${path}/`;
    for (const [leaf, value] of node.files) refs[prefix + leaf] = value;
    if (node.inlinedChunk) refs[prefix + node.inlinedChunk[0]] = node.inlinedChunk[1];
    if (node.manifest) {
      for (const [key, reference] of manifestReferences(node.manifest)) refs[prefix + key] = reference;
    }
  }
  return { version: 1, refs };
}

/** Every existing chunk of a manifest as [chunk key, reference], in C order (= numeric key order). */
function* manifestReferences(manifest: ChunkManifest): Generator<[string, KerchunkReference]> {
  const ndim = manifest.shape.length;
  const coords = new Array<number>(ndim).fill(0);
  const size = manifest.gridSize;
  const urls = manifest.urls;
  for (let index = 0; index < size; index++) {
    const kind = manifest.kindAt(index);
    if (kind === "ref") yield [chunkKey(coords), [urls[manifest.urlIdAt(index)]!, manifest.offsetAt(index), manifest.lengthAt(index)]];
    else if (kind === "inlined") yield [chunkKey(coords), `base64:${base64(manifest.inlinedAt(index)!)}`];
    for (let d = ndim - 1; d >= 0; d--) {
      coords[d]!++;
      if (coords[d]! < manifest.shape[d]!) break;
      coords[d] = 0;
    }
  }
}

/**
 * Kerchunk version-1 references for a dataset (VirtualiZarr's `vds.vz.to_kerchunk(format="dict")`).
 * Virtual variables become `[url, offset, length]` per chunk (missing chunks omitted, inlined
 * chunks as `base64:`), loaded variables one inlined uncompressed chunk, strings `|O` with a
 * `vlen-utf8` filter.
 * @example
 * const refs = toKerchunk(vds);
 * await writeFile("refs.json", kerchunkToJson(refs));
 */
export function toKerchunk(vds: VirtualDataset | VirtualDatatree, options: ToKerchunkOptions = {}): KerchunkRefs {
  assertJsonFormat(options.format);
  return materialize(tableOf(groupEntries(vds, options.group)));
}

/**
 * References for several datasets, each at its group path ("" = root, "a/b" nested), e.g. every
 * group of a netCDF4 file: each group gets `.zgroup` and `.zattrs`, its arrays `group/var/.zarray`
 * and chunk keys `group/var/0.0`. Takes the flat map or a VirtualDatatree.
 */
export function toKerchunkTree(datasets: ReadonlyMap<string, VirtualDataset> | Record<string, VirtualDataset> | VirtualDatatree): KerchunkRefs {
  return materialize(tableOf(groupEntries(datasets)));
}

/**
 * (group path, dataset) pairs of a dataset, a tree or a map of datasets by group path, placed
 * under `group` when given.
 */
export function groupEntries(
  source: VirtualDataset | VirtualDatatree | ReadonlyMap<string, VirtualDataset> | Record<string, VirtualDataset>,
  group?: string,
): [string, VirtualDataset][] {
  const base = (group ?? "").replace(/^\/+|\/+$/g, "");
  const under = (path: string) => {
    const normalized = path.replace(/^\/+|\/+$/g, "");
    return base === "" ? normalized : normalized === "" ? base : `${base}/${normalized}`;
  };
  let entries: [string, VirtualDataset][];
  if (source instanceof VirtualDatatree) entries = [...source.toMap()];
  else if (source instanceof Map) entries = [...source];
  else if (isDataset(source)) entries = [["", source]];
  else entries = Object.entries(source as Record<string, VirtualDataset>);
  return entries.map(([path, vds]) => [under(path), vds]);
}

function isDataset(value: unknown): value is VirtualDataset {
  return typeof value === "object" && value !== null && (value as VirtualDataset).variables instanceof Map && (value as VirtualDataset).coordNames instanceof Set;
}

function assertJsonFormat(format: KerchunkFormat | undefined): void {
  if (format !== undefined && format !== "json") {
    throw new UnsupportedFeatureError(
      `kerchunk-${String(format)}`,
      `kerchunk: format "${String(format)}" is not an in-memory format; toKerchunk returns JSON-style references ` +
        `(write Parquet with writeKerchunk(vds, dir, { format: "parquet" }) from @vz/core/node)`,
    );
  }
}

/** Orders node paths: segment by segment, a path before the paths below it. */
function compareNodePaths(a: string, b: string): number {
  if (a === b) return 0;
  if (a === "") return -1;
  if (b === "") return 1;
  const sa = a.split("/");
  const sb = b.split("/");
  const n = Math.min(sa.length, sb.length);
  for (let i = 0; i < n; i++) {
    if (sa[i] !== sb[i]) return sa[i]! < sb[i]! ? -1 : 1;
  }
  return sa.length - sb.length;
}

/** Parses a chunk key leaf ("12.0.3") into `out`; false when it is not one. */
function parseChunkLeaf(leaf: string, start: number, out: number[]): boolean {
  out.length = 0;
  let value = 0;
  let digits = 0;
  for (let i = start; i < leaf.length; i++) {
    const code = leaf.charCodeAt(i);
    if (code >= 48 && code <= 57) {
      value = value * 10 + (code - 48);
      digits++;
    } else if (code === 46 && digits > 0) {
      out.push(value);
      value = 0;
      digits = 0;
    } else {
      return false;
    }
  }
  if (digits === 0) return false;
  out.push(value);
  return true;
}

/**
 * Sorts the keys of one node (all sharing the prefix of length `prefixLength`): metadata leaves
 * (".*") first, then chunk keys numerically, then the rest. Returns the original key strings.
 */
function sortNodeKeys(keys: string[], prefixLength: number): string[] {
  const metadata: string[] = [];
  const other: string[] = [];
  const chunkKeys: string[] = [];
  const coordinates: number[][] = [];
  const scratch: number[] = [];
  for (const key of keys) {
    if (key.charCodeAt(prefixLength) === 46 /* . */) metadata.push(key);
    else if (parseChunkLeaf(key, prefixLength, scratch)) {
      chunkKeys.push(key);
      coordinates.push([...scratch]);
    } else other.push(key);
  }
  metadata.sort();
  other.sort();
  if (chunkKeys.length > 1) {
    const ndim = coordinates[0]!.length;
    const uniform = coordinates.every((c) => c.length === ndim);
    const extents = new Array<number>(ndim).fill(0);
    for (const c of coordinates) for (let d = 0; d < c.length; d++) if (c[d]! + 1 > extents[d]!) extents[d] = c[d]! + 1;
    const total = extents.reduce((a, b) => a * b, 1);
    if (uniform && Number.isSafeInteger(total)) {
      // Flat C-order index of each key: one numeric sort of (index, position) pairs, no string comparisons.
      const order = new Float64Array(chunkKeys.length);
      const positions = new Map<number, number>();
      for (let i = 0; i < coordinates.length; i++) {
        const c = coordinates[i]!;
        let index = 0;
        for (let d = 0; d < ndim; d++) index = index * extents[d]! + c[d]!;
        order[i] = index;
        positions.set(index, i);
      }
      order.sort();
      const sorted = new Array<string>(chunkKeys.length);
      for (let i = 0; i < order.length; i++) sorted[i] = chunkKeys[positions.get(order[i]!)!]!;
      return metadata.concat(sorted, other);
    }
    const indices = coordinates.map((_, i) => i);
    indices.sort((x, y) => {
      const cx = coordinates[x]!;
      const cy = coordinates[y]!;
      for (let k = 0; k < Math.min(cx.length, cy.length); k++) if (cx[k] !== cy[k]) return cx[k]! - cy[k]!;
      return cx.length - cy.length;
    });
    return metadata.concat(
      indices.map((i) => chunkKeys[i]!),
      other,
    );
  }
  return metadata.concat(chunkKeys, other);
}

/** Batches "key":value lines into pieces of about 1 MiB. */
class PieceBuffer {
  #text = "";
  #first = true;
  add(key: string, value: KerchunkReference): string | undefined {
    const serialized =
      Array.isArray(value) && value.length === 3 && typeof value[1] === "number" && typeof value[2] === "number"
        ? `[${JSON.stringify(value[0])},${value[1]},${value[2]}]`
        : JSON.stringify(value);
    return this.addEntry(`${JSON.stringify(key)}:${serialized}`);
  }
  /** Adds an already serialised `"key":value` entry. */
  addEntry(entry: string): string | undefined {
    this.#text += `${this.#first ? "" : ","}\n${entry}`;
    this.#first = false;
    if (this.#text.length < 1 << 20) return undefined;
    const piece = this.#text;
    this.#text = "";
    return piece;
  }
  rest(): string {
    const piece = this.#text;
    this.#text = "";
    return piece;
  }
}

function header(templates: Record<string, string> | undefined): string {
  let text = `{"version":1,`;
  if (templates && Object.keys(templates).length > 0) {
    const names = Object.keys(templates).sort();
    text += `"templates":{${names.map((k) => `${JSON.stringify(k)}:${JSON.stringify(templates[k])}`).join(",")}},`;
  }
  return `${text}"refs":{`;
}

/**
 * Serialises references as JSON text in pieces (one reference per line), in a stable order that
 * does not depend on insertion order: nodes by path (a group before what it contains), in each
 * node metadata first, then chunks in numeric order. Use for streaming large reference sets.
 */
export function* kerchunkJsonPieces(refs: KerchunkRefs): Generator<string> {
  const byNode = new Map<string, string[]>();
  for (const key of Object.keys(refs.refs)) {
    const slash = key.lastIndexOf("/");
    const node = slash < 0 ? "" : key.slice(0, slash);
    let keys = byNode.get(node);
    if (!keys) {
      keys = [];
      byNode.set(node, keys);
    }
    keys.push(key);
  }
  yield header(refs.templates);
  const buffer = new PieceBuffer();
  for (const node of [...byNode.keys()].sort(compareNodePaths)) {
    const prefixLength = node === "" ? 0 : node.length + 1;
    for (const key of sortNodeKeys(byNode.get(node)!, prefixLength)) {
      const piece = buffer.add(key, refs.refs[key]!);
      if (piece !== undefined) yield piece;
    }
  }
  yield `${buffer.rest()}\n}}\n`;
}

/**
 * The same text as `kerchunkToJson(toKerchunkTree(datasets))`, produced without materialising one
 * object per chunk: chunk references are read from the manifests as they are written out.
 */
export function* datasetsToKerchunkJsonPieces(
  datasets: ReadonlyMap<string, VirtualDataset> | Record<string, VirtualDataset> | VirtualDatatree,
  options: { format?: KerchunkFormat } = {},
): Generator<string> {
  assertJsonFormat(options.format);
  const table = tableOf(groupEntries(datasets));
  yield header(undefined);
  const buffer = new PieceBuffer();
  for (const path of [...table.keys()].sort(compareNodePaths)) {
    const node = table.get(path)!;
    const prefix = path === "" ? "" : `${path}/`;
    const leaves = new Map<string, KerchunkReference>(node.files);
    if (node.inlinedChunk) leaves.set(node.inlinedChunk[0], node.inlinedChunk[1]);
    for (const leaf of sortNodeKeys([...leaves.keys()], 0)) {
      const piece = buffer.add(prefix + leaf, leaves.get(leaf)!);
      if (piece !== undefined) yield piece;
    }
    if (node.manifest) yield* manifestEntries(node.manifest, prefix, buffer);
  }
  yield `${buffer.rest()}\n}}\n`;
}

/** Serialised chunk entries of a manifest, in C order, with URLs quoted once per URL. */
function* manifestEntries(manifest: ChunkManifest, prefix: string, buffer: PieceBuffer): Generator<string> {
  const quotedUrls = manifest.urls.map((url) => JSON.stringify(url));
  const quotedPrefix = JSON.stringify(prefix).slice(0, -1); // opening quote + escaped prefix
  const ndim = manifest.shape.length;
  const coords = new Array<number>(ndim).fill(0);
  const size = manifest.gridSize;
  for (let index = 0; index < size; index++) {
    const kind = manifest.kindAt(index);
    let entry: string | undefined;
    if (kind === "ref") {
      entry = `${quotedPrefix}${ndim === 0 ? "0" : coords.join(".")}":[${quotedUrls[manifest.urlIdAt(index)]},${manifest.offsetAt(index)},${manifest.lengthAt(index)}]`;
    } else if (kind === "inlined") {
      entry = `${quotedPrefix}${ndim === 0 ? "0" : coords.join(".")}":${JSON.stringify(`base64:${base64(manifest.inlinedAt(index)!)}`)}`;
    }
    if (entry !== undefined) {
      const piece = buffer.addEntry(entry);
      if (piece !== undefined) yield piece;
    }
    for (let d = ndim - 1; d >= 0; d--) {
      coords[d]!++;
      if (coords[d]! < manifest.shape[d]!) break;
      coords[d] = 0;
    }
  }
}

/** Stable JSON text of kerchunk references (see {@link kerchunkJsonPieces}). */
export function kerchunkToJson(refs: KerchunkRefs): string {
  let text = "";
  for (const piece of asciiJsonPieces(kerchunkJsonPieces(refs))) text += piece;
  return text;
}

const NON_ASCII = /[\u007f-\uffff]/g;

/**
 * Escapes every non-ASCII character as `\uXXXX` (as Python's json.dumps does by default), so the
 * references read correctly whatever the reader's default encoding is (older fsspec opens JSON
 * with the locale's encoding, ASCII under LANG=C). Non-ASCII only occurs inside JSON strings.
 */
export function* asciiJsonPieces(pieces: Iterable<string>): Generator<string> {
  for (const piece of pieces) {
    yield piece.replace(NON_ASCII, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  }
}

/** A variable whose missing chunks the kerchunk writer leaves to `.zarray` fill_value (see {@link maskedFillValues}). */
export interface MaskedFillValue {
  variable: string;
  /** The storage fill value written as fill_value. */
  fillValue: unknown;
  missingChunks: number;
}

/**
 * Variables (of one dataset) for which the kerchunk writer keeps the storage fill value as
 * `.zarray` fill_value although they have no CF `_FillValue`: some chunks are missing and vz
 * cannot write them inline (codecs it does not encode, or more than 1 MiB / 100,000 inline
 * chunks). xarray reads that fill_value as `_FillValue` and masks real values equal to it, which
 * xarray on the original file does not; callers report these (the CLI does) so nothing changes
 * silently.
 * @example
 * for (const m of maskedFillValues(vds)) console.warn(`${m.variable}: fill value ${m.fillValue} masks values`);
 */
export function maskedFillValues(vds: VirtualDataset): MaskedFillValue[] {
  const out: MaskedFillValue[] = [];
  for (const [name, variable] of vds.variables) {
    if (!isVirtual(variable)) continue;
    const { metadata, manifest } = variable.data;
    if (manifest.chunkCount === manifest.gridSize || metadata.fill_value === null || metadata.fill_value === undefined) continue;
    const attributes = variable.attrs;
    const cfFill = Array.isArray(attributes._FillValue) && attributes._FillValue.length === 1 ? attributes._FillValue[0] : attributes._FillValue;
    if (Object.hasOwn(attributes, "_FillValue") && fillFits(cfFill, metadata.data_type)) continue;
    if (inlineMissingChunks(manifest, metadata.data_type, metadata.codecs, metadata.chunk_grid.configuration.chunk_shape, metadata.fill_value)) continue;
    out.push({ variable: name, fillValue: metadata.fill_value, missingChunks: manifest.gridSize - manifest.chunkCount });
  }
  return out;
}
