/**
 * A worker started only when the Parquet download is asked for: it turns the kerchunk references
 * of the file (`toKerchunkTree`, made by the parsing worker) into the kerchunk Parquet reference
 * directory (the files `vz virtualize --format parquet` writes, same bytes) and packs it in a zip. A worker of its own, so the Parquet
 * and zip writers are not part of what the page loads first.
 * Errors come back as the text the CLI prints (`error [CODE]: message`).
 * @module
 */
import { isVzError, type KerchunkRefs } from "@vz/core";
import { kerchunkParquetFiles } from "@vz/core/internal";
import { zipSync, type Zippable } from "fflate";

/** What the page sends: the kerchunk references of the file and the folder name inside the zip. */
export interface ParquetRequest {
  refs: KerchunkRefs;
  folder: string;
}

export type ParquetResponse = { ok: true; zip: Uint8Array; files: number } | { ok: false; error: string };

/** A fixed time for every entry: the same references give the same zip. */
const ZIP_TIME = new Date(Date.UTC(2000, 0, 1));

/**
 * The zip: one entry per file of the directory, under `folder/` (e.g. `x.nc.parq/.zmetadata`,
 * `x.nc.parq/tas/refs.0.parq`), in the order the CLI writes them, stored (Parquet pages are
 * compressed already).
 */
export async function kerchunkParquetZip(refs: KerchunkRefs, folder: string): Promise<{ zip: Uint8Array; files: number }> {
  const entries: Zippable = {};
  let files = 0;
  for await (const file of kerchunkParquetFiles(refs)) {
    entries[`${folder}/${file.path}`] = [file.bytes, { level: 0, mtime: ZIP_TIME }];
    files++;
  }
  return { zip: zipSync(entries, { level: 0, mtime: ZIP_TIME }), files };
}

const scope = self as unknown as { onmessage: ((event: MessageEvent<ParquetRequest>) => void) | null; postMessage(message: ParquetResponse, transfer?: Transferable[]): void };

scope.onmessage = async (event) => {
  try {
    const { zip, files } = await kerchunkParquetZip(event.data.refs, event.data.folder);
    scope.postMessage({ ok: true, zip, files }, [zip.buffer]);
  } catch (error) {
    const text = isVzError(error) ? `error [${error.code}]: ${error.message}` : `error: ${error instanceof Error ? error.message : String(error)}`;
    scope.postMessage({ ok: false, error: text });
  }
};
