/**
 * Helpers shared by vz's zarrita codecs: the decoded byte size of a chunk, and decode errors.
 * @module
 */
import { ReadError } from "../errors.js";
import { fixedItemSize } from "../manifest/metadata.js";

/** What zarrita passes to `fromConfig` as the second argument (the chunk's metadata). */
export interface CodecChunkMetadata {
  dataType: string;
  shape: readonly number[];
  codecs?: readonly { name: string; configuration?: Record<string, unknown> }[];
  fillValue?: unknown;
}

/**
 * Bytes per element of a zarrita data type, or undefined when it has no fixed size
 * ("string", "v2:object"). Handles zarrita's `v2:S<n>` / `v2:U<n>` and vz's `fixed_length_*`.
 */
export function elementByteSize(dataType: string): number | undefined {
  return fixedItemSize(dataType);
}

/** Decoded byte size of one chunk (product of the chunk shape × element size), if fixed. */
export function chunkByteSize(meta: CodecChunkMetadata | undefined): number | undefined {
  if (!meta) return undefined;
  const size = elementByteSize(meta.dataType);
  if (size === undefined) return undefined;
  let count = 1;
  for (const extent of meta.shape) count *= extent;
  return count * size;
}

/** The error every vz decoder throws for corrupt or inconsistent chunk bytes. */
export function decodeError(codec: string, reason: string, cause?: unknown): ReadError {
  return new ReadError(`cannot decode chunk with codec "${codec}": ${reason}`, cause === undefined ? {} : { cause });
}

/** Throws when a decoder produced a different number of bytes than the chunk must have. */
export function assertDecodedLength(codec: string, actual: number, expected: number | undefined): void {
  if (expected !== undefined && actual !== expected) {
    throw decodeError(
      codec,
      `decoded ${actual} bytes but the chunk holds ${expected} bytes (wrong offset/length in the manifest, or a corrupt chunk)`,
    );
  }
}

/** Refuses encoding: vz's codecs decode only (vz never writes chunk data). */
export function refuseEncode(codec: string): never {
  throw decodeError(codec, "encoding is not supported by vz (read-only codec)");
}
