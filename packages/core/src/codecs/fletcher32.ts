/**
 * HDF5's Fletcher-32 checksum filter (H5Z_FILTER_FLETCHER32, numcodecs `fletcher32`): the encoded
 * chunk is the data followed by a 4-byte little-endian checksum. Decoding verifies and strips it.
 * @module
 */
import { decodeError, refuseEncode } from "./chunk-size.js";

/**
 * HDF5's Fletcher-32 over `data`: 16-bit big-endian words, sums reduced every 360 words, an odd
 * trailing byte taken as the high byte of a last word.
 */
export function fletcher32(data: Uint8Array): number {
  let sum1 = 0;
  let sum2 = 0;
  const words = data.length >>> 1;
  let position = 0;
  let remaining = words;
  while (remaining > 0) {
    const block = remaining > 360 ? 360 : remaining;
    remaining -= block;
    for (let i = 0; i < block; i++) {
      sum1 += (data[position]! << 8) | data[position + 1]!;
      sum2 += sum1;
      position += 2;
    }
    sum1 = (sum1 & 0xffff) + (sum1 >>> 16);
    sum2 = (sum2 & 0xffff) + (sum2 >>> 16);
  }
  if (data.length & 1) {
    sum1 += data[position]! << 8;
    sum2 += sum1;
    sum1 = (sum1 & 0xffff) + (sum1 >>> 16);
    sum2 = (sum2 & 0xffff) + (sum2 >>> 16);
  }
  sum1 = (sum1 & 0xffff) + (sum1 >>> 16);
  sum2 = (sum2 & 0xffff) + (sum2 >>> 16);
  return ((sum2 << 16) | sum1) >>> 0;
}

/** zarrita codec `numcodecs.fletcher32` (bytes to bytes). */
export class Fletcher32Codec {
  readonly kind = "bytes_to_bytes";

  static fromConfig(): Fletcher32Codec {
    return new Fletcher32Codec();
  }

  async encode(_bytes: Uint8Array): Promise<Uint8Array> {
    return refuseEncode("numcodecs.fletcher32");
  }

  async decode(bytes: Uint8Array): Promise<Uint8Array> {
    if (bytes.length < 4) {
      throw decodeError("numcodecs.fletcher32", `chunk of ${bytes.length} bytes is too short to hold a 4-byte checksum`);
    }
    const data = bytes.subarray(0, bytes.length - 4);
    const tail = bytes.length - 4;
    const stored = (bytes[tail]! | (bytes[tail + 1]! << 8) | (bytes[tail + 2]! << 16) | (bytes[tail + 3]! << 24)) >>> 0;
    const computed = fletcher32(data);
    // HDF5 before 1.6.3 wrote the checksum with its two 16-bit halves byte-swapped; HDF5 still
    // accepts that form, and so do we.
    const swapped = (((computed & 0xff00ff00) >>> 8) | ((computed & 0x00ff00ff) << 8)) >>> 0;
    if (stored !== computed && stored !== swapped) {
      throw decodeError(
        "numcodecs.fletcher32",
        `checksum mismatch: stored 0x${stored.toString(16).padStart(8, "0")}, computed 0x${computed
          .toString(16)
          .padStart(8, "0")} over ${data.length} bytes (the chunk is corrupt or its offset/length is wrong)`,
      );
    }
    return data;
  }

  computeEncodedSize(decodedSize: number): number {
    return decodedSize + 4;
  }
}
