/**
 * The kerchunk Parquet reference directory of a file (the files `vz virtualize --format parquet`
 * writes, same bytes) packed in a zip, stored without compression (Parquet pages are compressed
 * already). Imported by the worker only when the download is asked for.
 * @module
 */
import { groupEntries, kerchunkParquetFiles, toKerchunkTree, type VirtualDatatree } from "@vz/core";
import { zipSync, type Zippable } from "fflate";

/** A fixed time for every entry: the same references give the same zip. */
const ZIP_TIME = new Date(Date.UTC(2000, 0, 1));

/**
 * The zip: one entry per file of the directory, under `folder/` (e.g. `x.nc.parq/.zmetadata`,
 * `x.nc.parq/tas/refs.0.parq`), in the order the CLI writes them.
 */
export function kerchunkParquetZip(tree: VirtualDatatree, folder: string): { zip: Uint8Array; files: number } {
  const refs = toKerchunkTree(new Map(groupEntries(tree)));
  const entries: Zippable = {};
  let files = 0;
  for (const file of kerchunkParquetFiles(refs)) {
    entries[`${folder}/${file.path}`] = [file.bytes, { level: 0, mtime: ZIP_TIME }];
    files++;
  }
  return { zip: zipSync(entries, { level: 0, mtime: ZIP_TIME }), files };
}
