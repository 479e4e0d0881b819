/**
 * Test helpers: where the shared data is, reading a ManifestStore's arrays through zarrita, and
 * the canonical value hashes of /work/shared/oracle/make_oracle.py.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type ManifestStore } from "@vz/core";
import { registerCodecs } from "@vz/core/codecs";
import * as zarr from "zarrita";

const here = dirname(fileURLToPath(import.meta.url));
/** Repository root (/work/main). */
export const REPO_ROOT = resolve(here, "../../..");
/** The shared netCDF3 data folder, or undefined when absent. */
export const NETCDF3_DATA = (() => {
  const dir = resolve(REPO_ROOT, "../shared/data/netcdf3");
  return existsSync(dir) ? dir : undefined;
})();

/** The netCDF3 files of the shared data that have an oracle. */
export function sharedFiles(): string[] {
  if (!NETCDF3_DATA) return [];
  return readdirSync(NETCDF3_DATA)
    .filter((name) => !name.endsWith(".json") && existsSync(join(NETCDF3_DATA!, `${name}.oracle.json`)))
    .sort();
}

/** The oracle document of a shared file. */
export function oracleOf(name: string): Record<string, any> {
  return JSON.parse(readFileSync(join(NETCDF3_DATA!, `${name}.oracle.json`), "utf8"));
}

export function sha256(bytes: Uint8Array | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Python's `json.dumps(value, separators=(",", ":"))` (ensure_ascii) for lists of strings. */
export function pythonJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Reads every value of array `path` through zarrita over the store. */
export async function readArray(store: ManifestStore, path: string): Promise<{ data: unknown; shape: number[] }> {
  await registerCodecs();
  const array = await zarr.open.v3(zarr.root(store as unknown as zarr.Readable).resolve(path), { kind: "array" });
  const result = await zarr.get(array);
  if (array.shape.length === 0) {
    // zarrita returns a 0-d array's value as a plain scalar
    if (typeof result === "string") return { data: [result], shape: [] };
    return { data: scalarArray(array.dtype, result as unknown as number | bigint), shape: [] };
  }
  const chunk = result as zarr.Chunk<zarr.DataType>;
  return { data: chunk.data, shape: chunk.shape };
}

const SCALAR_ARRAYS: Record<string, new (values: ArrayLike<number | bigint>) => ArrayBufferView> = {
  int8: Int8Array as never,
  uint8: Uint8Array as never,
  int16: Int16Array as never,
  uint16: Uint16Array as never,
  int32: Int32Array as never,
  uint32: Uint32Array as never,
  int64: BigInt64Array as never,
  uint64: BigUint64Array as never,
  float32: Float32Array as never,
  float64: Float64Array as never,
};

function scalarArray(dataType: string, value: number | bigint): ArrayBufferView {
  const Ctor = SCALAR_ARRAYS[dataType];
  if (!Ctor) throw new Error(`no typed array for ${dataType}`);
  return new Ctor([value]);
}

/** Little-endian bytes of a typed array (the machine is little-endian, as zarrita's output). */
export function typedBytes(data: unknown): Uint8Array {
  const view = data as ArrayBufferView;
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/**
 * The oracle's hash of a char variable read by netCDF4-python as an `S1` array: a JSON list with
 * one string per byte ("" for NUL), from our strings padded back to `width` bytes.
 */
export function charListHash(strings: readonly string[], width: number): string {
  // The parser decodes a variable as Latin-1 when one of its strings is not valid UTF-8; the
  // strings then hold only code points up to U+00FF, one per byte.
  const asLatin1 = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));
  let useLatin1 = strings.every((text) => [...text].every((c) => c.codePointAt(0)! <= 0xff));
  if (useLatin1) {
    const strict = new TextDecoder("utf-8", { fatal: true });
    useLatin1 = strings.some((text) => {
      try {
        strict.decode(asLatin1(text));
        return false;
      } catch {
        return true;
      }
    });
  }
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const chars: string[] = [];
  for (const text of strings) {
    const bytes = useLatin1 ? asLatin1(text) : encoder.encode(text);
    for (let i = 0; i < width; i++) {
      const byte = bytes[i] ?? 0;
      chars.push(byte === 0 ? "" : decoder.decode(Uint8Array.of(byte)));
    }
  }
  return sha256(pythonJson(chars));
}

/**
 * Whether an oracle char variable is exposed as strings along its last dimension (xarray's rule,
 * computed from the oracle's header facts): no variable is named like that dimension and every
 * variable using it is a char variable with it last.
 */
export function isStackedChar(variables: Record<string, { dims: string[]; dtype: string }>, name: string): boolean {
  const variable = variables[name]!;
  const last = variable.dims[variable.dims.length - 1];
  if (variable.dtype !== "|S1" || last === undefined || last in variables) return false;
  return Object.values(variables).every(
    (v) => !v.dims.includes(last) || (v.dtype === "|S1" && v.dims.indexOf(last) === v.dims.length - 1),
  );
}
