/** Test helpers: in-memory reference sets and reading values through zarrita. */
import { createHash } from "node:crypto";
import { type ManifestStore, MemoryReader, ReaderRegistry } from "@vz/core";
import { registerCodecs } from "@vz/core/codecs";
import * as zarr from "zarrita";

await registerCodecs();

const encoder = new TextEncoder();

/** A MemoryReader holding `objects`, behind a ReaderRegistry that allows `memory://` only. */
export function memoryRegistry(objects: Record<string, Uint8Array | string>): { reader: ReaderRegistry; memory: MemoryReader } {
  const memory = new MemoryReader();
  for (const [url, value] of Object.entries(objects)) memory.put(url, typeof value === "string" ? encoder.encode(value) : value);
  return { reader: new ReaderRegistry({ "memory://": memory }), memory };
}

/** Little-endian bytes of float64 values. */
export function float64Bytes(values: readonly number[]): Uint8Array {
  return new Uint8Array(Float64Array.from(values).buffer);
}

/** Big-endian bytes of int32 values. */
export function int32BigEndianBytes(values: readonly number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setInt32(i * 4, v, false));
  return out;
}

/** Every value of the array at `path` of a zarrita-readable store. */
export async function readValues(store: Pick<ManifestStore, "get">, path: string): Promise<{ shape: number[]; data: unknown }> {
  const array = await zarr.open.v3(zarr.root(store as unknown as zarr.Readable).resolve(path), { kind: "array" });
  const chunk = (await zarr.get(array)) as unknown;
  // zarrita returns a bare scalar for 0-d arrays
  if (typeof chunk !== "object" || chunk === null || !("data" in chunk)) return { shape: [], data: chunk };
  const { shape, data } = chunk as { shape: number[]; data: unknown };
  return { shape, data };
}

/** sha256 of the little-endian bytes of a typed array (the oracle's `sha256_le`). */
export function sha256Le(data: ArrayBufferView): string {
  return createHash("sha256").update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)).digest("hex");
}

/** Python's `json.dumps(list, separators=(",", ":"))` (ensure_ascii) of a list of strings, hashed. */
export function sha256PythonJson(values: readonly string[]): string {
  const text = `[${values
    .map((value) =>
      JSON.stringify(value).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`),
    )
    .join(",")}]`;
  return createHash("sha256").update(text).digest("hex");
}
