/**
 * `vz_zero_pad` — a bytes-to-bytes codec whose decode zero-pads decoded bytes to the chunk's full
 * byte size. A compressed TIFF strip at the bottom edge of an image stores only the rows inside
 * the image; once decompressed it is shorter than the chunk Zarr expects. Encode is the identity.
 *
 * Configuration: `{ "nbytes": <decoded chunk size in bytes> }`, so the codec is self-describing in
 * kerchunk references (`{"id": "vz_zero_pad", "nbytes": 4096}` in `.zarray` filters; the v2 id and
 * the v3 / zarrita name are the same string). numcodecs and imagecodecs have no such codec: Python
 * cannot read arrays that use it (tifffile refuses such files for the same reason).
 * @module
 */
import { chunkByteSize, type ChunkMeta } from "./shared.js";

/** Zero-pads short chunks on decode. */
export class ZeroPadCodec {
  readonly kind = "bytes_to_bytes";
  readonly #size: number;

  constructor(size: number) {
    this.#size = size;
  }

  static fromConfig(config: { nbytes?: unknown } | undefined, meta: ChunkMeta): ZeroPadCodec {
    const size = chunkByteSize(meta);
    const declared = config?.nbytes;
    if (declared !== undefined && declared !== size) {
      throw new Error(`vz_zero_pad: configuration nbytes ${JSON.stringify(declared)} does not match the chunk (${meta.shape.join(" x ")} ${meta.dataType} = ${size} bytes)`);
    }
    return new ZeroPadCodec(size);
  }

  async encode(bytes: Uint8Array): Promise<Uint8Array> {
    return bytes;
  }

  async decode(bytes: Uint8Array): Promise<Uint8Array> {
    if (bytes.length === this.#size) return bytes;
    if (bytes.length > this.#size) return bytes.subarray(0, this.#size);
    const out = new Uint8Array(this.#size);
    out.set(bytes);
    return out;
  }
}
