/**
 * `vz.zero_pad` — a bytes-to-bytes codec whose decode zero-pads decoded bytes to the chunk's full
 * byte size. A TIFF strip at the bottom edge of an image may store only the rows inside the image;
 * once decompressed it is shorter than the chunk Zarr expects. Encode is the identity.
 * Configuration: none.
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

  static fromConfig(_config: unknown, meta: ChunkMeta): ZeroPadCodec {
    return new ZeroPadCodec(chunkByteSize(meta));
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
