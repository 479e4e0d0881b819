/**
 * Kerchunk references (version 1, as made by `toKerchunk`) → the Parquet reference layout of
 * fsspec's `LazyReferenceMapper`:
 *
 * ```
 * .zmetadata              {"metadata": {<key>: <zarr v2 document>, ...}, "record_size": N}
 * <field>/refs.<i>.parq   columns path (string), offset (int64), size (int64), raw (binary)
 * ```
 * Row j of `refs.<i>.parq` is chunk number i·N + j of the field's chunk grid in C order; a
 * missing chunk has null path and null raw; an inlined chunk has its bytes in raw; a whole-file
 * reference `[url]` has offset = size = 0. Each record file holds the rows up to the last chunk
 * of the grid (the last file of a field may be shorter than N rows).
 * This module builds the files in memory (platform neutral); `writeKerchunkParquet` in
 * `@vz/core/node` writes them atomically. hyparquet-writer is imported on first use.
 * @module
 */
import { InvalidArgumentError, UnsupportedFeatureError } from "../errors.js";
import { attributesToJson, type KerchunkRefs } from "./kerchunk.js";

/** Options of {@link kerchunkParquetFiles}. */
export interface KerchunkParquetOptions {
  /** References per record file (kerchunk's `record_size`). Default 100,000. */
  recordSize?: number;
}

/** One file of a Parquet reference directory: its path inside the directory and its bytes. */
export interface KerchunkParquetFile {
  path: string;
  bytes: Uint8Array;
}

/** Default `record_size` (references per Parquet file). */
export const DEFAULT_RECORD_SIZE = 100_000;

const NON_FINITE: Record<string, number> = { NaN: Number.NaN, Infinity: Number.POSITIVE_INFINITY, "-Infinity": Number.NEGATIVE_INFINITY };

/** JSON strings, numbers and the non-finite tokens of a JSON text, in order (strings first, so nothing inside them matches). */
const JSON_TOKENS = /"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|NaN|-?Infinity/g;
const EXTENDED_MARKER = "\u0000vz-json:";

const INT64_MIN = -(2n ** 63n);
const UINT64_END = 2n ** 64n;

/**
 * Whether an integer token is an int64/uint64 value that no double holds exactly (a 64-bit fill
 * value such as -9223372036854775806). Larger integers are doubles written without an exponent
 * (JavaScript writes 1.0000000200408773e20 as 100000002004087730000) and stay numbers.
 */
function isInexact64BitInteger(token: string): boolean {
  const exact = BigInt(token);
  return exact >= INT64_MIN && exact < UINT64_END && BigInt(Number(token)) !== exact;
}

/**
 * JSON.parse that also accepts the bare `NaN`, `Infinity` and `-Infinity` tokens that Python's
 * json module (and so zarr-python and kerchunk) writes, and keeps 64-bit integers that no double
 * holds exactly as bigints (a netCDF int64 fill value such as -9223372036854775806 is not rounded to a double).
 * @example
 * parseJsonNonFinite('{"a": NaN}'); // { a: NaN }
 * parseJsonNonFinite('{"fill_value": -9223372036854775806}'); // { fill_value: -9223372036854775806n }
 */
export function parseJsonNonFinite(text: string): unknown {
  let plain: unknown;
  try {
    plain = JSON.parse(text);
    // 16 or more digits in a row may be an integer a double cannot hold; otherwise nothing to do.
    if (!/\d{16}/.test(text)) return plain;
  } catch (error) {
    if (!/NaN|Infinity/.test(text)) throw error;
  }
  let changed = false;
  const marked = text.replace(JSON_TOKENS, (token) => {
    const first = token.charCodeAt(0);
    if (first === 34 /* " */) return token;
    if (token in NON_FINITE) {
      changed = true;
      return JSON.stringify(EXTENDED_MARKER + token);
    }
    if (/^-?\d+$/.test(token) && !Number.isSafeInteger(Number(token)) && isInexact64BitInteger(token)) {
      changed = true;
      return JSON.stringify(`${EXTENDED_MARKER}${token}`);
    }
    return token;
  });
  if (!changed && plain !== undefined) return plain;
  return JSON.parse(marked, (_key, value: unknown) => {
    if (typeof value !== "string" || !value.startsWith(EXTENDED_MARKER)) return value;
    const token = value.slice(EXTENDED_MARKER.length);
    return token in NON_FINITE ? NON_FINITE[token] : BigInt(token);
  });
}

function isMetadataKey(key: string): boolean {
  return key.startsWith(".z", key.lastIndexOf("/") + 1);
}

function decodeBase64(text: string, key: string): Uint8Array {
  let binary: string;
  try {
    binary = atob(text);
  } catch (cause) {
    throw new InvalidArgumentError(`kerchunk parquet: reference "${key}" has invalid base64 data`, { cause, variable: key });
  }
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

interface Field {
  path: string;
  grid: number[];
  chunkCount: number;
  paths: (string | null)[];
  offsets: BigInt64Array;
  sizes: BigInt64Array;
  raws: (Uint8Array | null)[];
}

/** Flat C-order chunk number of a chunk key ("1.2", "1/2", "0" for 0-d), or -1 when it does not fit `grid`. */
function chunkNumber(chunk: string, grid: readonly number[]): number {
  if (grid.length === 0) return chunk === "0" ? 0 : -1;
  let index = 0;
  let dimension = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= chunk.length; i++) {
    const code = i < chunk.length ? chunk.charCodeAt(i) : 46;
    if (code >= 48 && code <= 57) {
      value = value * 10 + (code - 48);
      digits++;
    } else if (code === 46 || code === 47) {
      if (digits === 0 || dimension >= grid.length || value >= grid[dimension]!) return -1;
      index = index * grid[dimension]! + value;
      dimension++;
      value = 0;
      digits = 0;
    } else return -1;
  }
  return dimension === grid.length ? index : -1;
}

function renderUrl(url: string, templates: Record<string, string> | undefined, key: string): string {
  if (!url.includes("{{")) return url;
  return url.replace(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, (_match, name: string) => {
    const value = templates?.[name];
    if (value === undefined) {
      throw new InvalidArgumentError(`kerchunk parquet: reference "${key}" uses template "{{${name}}}", which is not defined`, { variable: key });
    }
    return value;
  });
}

/**
 * The files of a Parquet reference directory for `refs`: `.zmetadata` first, then each field's
 * record files (`<field>/refs.<i>.parq`, Snappy-compressed, no statistics). Asynchronous because
 * the Parquet encoder (hyparquet-writer) is loaded on first use; invalid references reject the
 * first `next()`.
 * @example
 * for await (const file of kerchunkParquetFiles(toKerchunk(vds), { recordSize: 10_000 })) console.log(file.path);
 */
export async function* kerchunkParquetFiles(refs: KerchunkRefs, options: KerchunkParquetOptions = {}): AsyncGenerator<KerchunkParquetFile> {
  const recordSize = options.recordSize ?? DEFAULT_RECORD_SIZE;
  if (!Number.isSafeInteger(recordSize) || recordSize < 1) {
    throw new InvalidArgumentError(`kerchunk parquet: recordSize ${recordSize} is not a positive integer`);
  }
  if (refs.version !== 1 || typeof refs.refs !== "object" || refs.refs === null) {
    throw new InvalidArgumentError("kerchunk parquet: expected version-1 references {version: 1, refs: {...}}");
  }
  const metadata: Record<string, unknown> = {};
  const fields = new Map<string, Field>();
  for (const [key, value] of Object.entries(refs.refs)) {
    if (!isMetadataKey(key)) continue;
    if (typeof value !== "string") throw new InvalidArgumentError(`kerchunk parquet: metadata "${key}" is not a JSON string`, { variable: key });
    const text = value.startsWith("base64:") ? new TextDecoder().decode(decodeBase64(value.slice(7), key)) : value;
    let document: unknown;
    try {
      document = parseJsonNonFinite(text);
    } catch (cause) {
      throw new InvalidArgumentError(`kerchunk parquet: metadata "${key}" is not valid JSON`, { cause, variable: key });
    }
    metadata[key] = document;
    if (key === ".zarray") {
      throw new UnsupportedFeatureError("parquet-root-array", "kerchunk parquet: an array at the root of the references has no field directory in the Parquet layout", {
        variable: "/",
      });
    }
    if (key.endsWith("/.zarray")) {
      const path = key.slice(0, -"/.zarray".length);
      const { shape, chunks } = document as { shape?: unknown; chunks?: unknown };
      if (!Array.isArray(shape) || !Array.isArray(chunks) || shape.length !== chunks.length) {
        throw new InvalidArgumentError(`kerchunk parquet: "${key}" has no matching shape and chunks`, { variable: path });
      }
      const grid = shape.map((s, d) => Math.ceil(Number(s) / Number(chunks[d])));
      const chunkCount = grid.reduce((n, g) => n * g, 1);
      fields.set(path, {
        path,
        grid,
        chunkCount,
        paths: new Array<string | null>(chunkCount).fill(null),
        offsets: new BigInt64Array(chunkCount),
        sizes: new BigInt64Array(chunkCount),
        raws: new Array<Uint8Array | null>(chunkCount).fill(null),
      });
    }
  }
  let lastField: Field | undefined;
  for (const [key, value] of Object.entries(refs.refs)) {
    if (isMetadataKey(key)) continue;
    let field: Field | undefined;
    let index = -1;
    // keys of one array usually come together: try the previous key's array first
    if (lastField && key.charCodeAt(lastField.path.length) === 47 && key.startsWith(lastField.path)) {
      index = chunkNumber(key.slice(lastField.path.length + 1), lastField.grid);
      if (index >= 0) field = lastField;
    }
    for (let slash = key.lastIndexOf("/"); slash > 0 && !field; slash = key.lastIndexOf("/", slash - 1)) {
      const candidate = fields.get(key.slice(0, slash));
      if (candidate) {
        index = chunkNumber(key.slice(slash + 1), candidate.grid);
        if (index >= 0) field = candidate;
      }
    }
    lastField = field;
    if (!field) {
      throw new InvalidArgumentError(`kerchunk parquet: reference "${key}" is no chunk of any array in the references`, { variable: key });
    }
    if (typeof value === "string") {
      field.raws[index] = value.startsWith("base64:") ? decodeBase64(value.slice(7), key) : new TextEncoder().encode(value);
    } else if (Array.isArray(value) && typeof value[0] === "string" && (value.length === 1 || value.length === 3)) {
      field.paths[index] = renderUrl(value[0], refs.templates, key);
      if (value.length === 3) {
        const [, offset, length] = value;
        if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
          throw new InvalidArgumentError(`kerchunk parquet: reference "${key}" has offset ${offset} / length ${length}`, { variable: field.path });
        }
        if (offset === 0 && length === 0) {
          throw new UnsupportedFeatureError("empty-reference", `kerchunk parquet: reference "${key}" has length 0, which the Parquet layout reads as a whole file`, {
            variable: field.path,
          });
        }
        field.offsets[index] = BigInt(offset);
        field.sizes[index] = BigInt(length);
      }
    } else {
      throw new InvalidArgumentError(`kerchunk parquet: reference "${key}" is neither [url, offset, length], [url] nor inline data`, { variable: field.path });
    }
  }
  const zmetadata = attributesToJson({ metadata, record_size: recordSize });
  const { parquetWriteBuffer } = await import("hyparquet-writer");
  yield { path: ".zmetadata", bytes: new TextEncoder().encode(zmetadata) };
  for (const field of fields.values()) {
    const records = Math.ceil(field.chunkCount / recordSize);
    for (let record = 0; record < records; record++) {
      const start = record * recordSize;
      const end = Math.min(start + recordSize, field.chunkCount);
      const buffer = parquetWriteBuffer({
        columnData: [
          { name: "path", data: field.paths.slice(start, end), type: "STRING" },
          { name: "offset", data: field.offsets.slice(start, end), type: "INT64", nullable: false },
          { name: "size", data: field.sizes.slice(start, end), type: "INT64", nullable: false },
          { name: "raw", data: field.raws.slice(start, end), type: "BYTE_ARRAY" },
        ],
        statistics: false,
        rowGroupSize: recordSize,
        createdBy: "vz kerchunk parquet writer",
      });
      yield { path: `${field.path}/refs.${record}.parq`, bytes: new Uint8Array(buffer) };
    }
  }
}
