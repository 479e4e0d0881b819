/**
 * Chunk keys of Zarr arrays as they are stored: Zarr v2 (`0.1`, `0/1`, `0` for 0-d arrays) and
 * Zarr v3 `default` (`c/0/1`, `c.0.1`, `c` for 0-d arrays) and `v2` key encodings.
 * @module
 */

/** How an array names its chunks in the store, relative to the array's own path. */
export interface ChunkKeyEncoding {
  /** `default`: "c" + separator + coordinates; `v2`: the coordinates alone. */
  kind: "default" | "v2";
  separator: "/" | ".";
}

const DIGITS = /^\d+$/;

/**
 * The chunk coordinates of `key` (relative to the array path), or undefined when `key` is not a
 * chunk key of an array with `ndim` dimensions under `encoding`.
 */
export function parseStoredChunkKey(key: string, encoding: ChunkKeyEncoding, ndim: number): number[] | undefined {
  let rest = key;
  if (encoding.kind === "default") {
    if (ndim === 0) return key === "c" ? [] : undefined;
    const prefix = `c${encoding.separator}`;
    if (!key.startsWith(prefix)) return undefined;
    rest = key.slice(prefix.length);
  } else if (ndim === 0) {
    return key === "0" ? [] : undefined;
  }
  const parts = rest.split(encoding.separator);
  if (parts.length !== ndim) return undefined;
  const coords = new Array<number>(ndim);
  for (let d = 0; d < ndim; d++) {
    const part = parts[d]!;
    if (!DIGITS.test(part)) return undefined;
    const value = Number(part);
    if (!Number.isSafeInteger(value)) return undefined;
    coords[d] = value;
  }
  return coords;
}

/** The stored key (relative to the array path) of the chunk at `coords`. */
export function storedChunkKey(coords: readonly number[], encoding: ChunkKeyEncoding): string {
  if (encoding.kind === "default") return coords.length === 0 ? "c" : `c${encoding.separator}${coords.join(encoding.separator)}`;
  return coords.length === 0 ? "0" : coords.join(encoding.separator);
}
