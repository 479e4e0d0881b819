/**
 * The `kerchunk` parser: a kerchunk reference file (JSON version 0 or 1) or a Parquet reference
 * directory → a ManifestStore. It reads the reference file (or `.zmetadata` and the record files
 * of a Parquet directory) and nothing else; chunk URLs are only checked by the ReaderRegistry
 * when chunks are read.
 * @module
 */
import { isVzError, type ManifestStore, type ObjectReader, type ReadOptions } from "@vz/core";
import { type JsonReferenceOptions, parseKerchunkJsonBytes } from "./json-references.js";
import { openParquetReferences, type ParquetReferenceOptions } from "./parquet-references.js";

/** Options of {@link createKerchunkParser}. */
export interface KerchunkParserOptions extends JsonReferenceOptions, ParquetReferenceOptions {
  /**
   * "json", "parquet" (a directory with `.zmetadata`), or "auto" (default): a URL ending in "/"
   * or ".zmetadata" is Parquet, a URL that is no file but a directory with `.zmetadata` too,
   * anything else JSON.
   */
  format?: "auto" | "json" | "parquet";
}

const textDecoder = new TextDecoder();

/** Parses a kerchunk reference file or Parquet directory at `url`. */
export async function parseKerchunk(
  url: string,
  reader: ObjectReader,
  options: KerchunkParserOptions = {},
  readOptions?: ReadOptions,
): Promise<ManifestStore> {
  const format = options.format ?? "auto";
  const parquet = async (): Promise<ManifestStore> => (await openParquetReferences(url, reader, options, readOptions)).toManifestStore(readOptions);
  if (format === "parquet" || (format === "auto" && (url.endsWith("/") || url.endsWith("/.zmetadata")))) return parquet();
  let bytes: Uint8Array;
  try {
    bytes = await reader.get(url, readOptions);
  } catch (error) {
    if (format === "auto" && isVzError(error, "NOT_FOUND")) {
      try {
        return await parquet();
      } catch (parquetError) {
        if (isVzError(parquetError, "NOT_FOUND")) throw error;
        throw parquetError;
      }
    }
    throw error;
  }
  return parseKerchunkJsonBytes(bytes, url, reader, options, readOptions);
}

/** True when the first bytes look like a kerchunk JSON reference file. */
export function sniffKerchunk(head: Uint8Array): boolean {
  const text = textDecoder.decode(head.subarray(0, 4096));
  let trimmed = text.trimStart();
  // a list of reference sets: [{...}, ...]
  if (trimmed.startsWith("[")) trimmed = trimmed.slice(1).trimStart();
  if (!trimmed.startsWith("{")) return false;
  return /"(version|refs)"\s*:/.test(trimmed) || /"[^"]*\.z(group|array|attrs|metadata)"\s*:/.test(trimmed);
}
