/**
 * Atomic output of kerchunk Parquet references (Node only): every file goes into a temporary
 * directory beside the target, which is renamed onto the target at the end. On any error the
 * temporary directory is removed and the target is left as it was.
 * @module
 */
import { randomBytes } from "node:crypto";
import { mkdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { isVzError, WriteError } from "../../errors.js";
import type { KerchunkRefs } from "../kerchunk.js";
import { type KerchunkParquetOptions, kerchunkParquetFiles } from "../kerchunk-parquet.js";

/** Options of {@link writeKerchunkParquet}. */
export interface WriteKerchunkParquetOptions extends KerchunkParquetOptions {
  /** Replace an existing directory at the target (default true). When false an existing target is an error. */
  overwrite?: boolean;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Writes `refs` (from `toKerchunk`) as a kerchunk Parquet reference directory at `dir`, readable
 * by fsspec's `ReferenceFileSystem` (LazyReferenceMapper) and by the vz `kerchunk` parser.
 * @example
 * import { toKerchunk } from "@vz/core";
 * import { writeKerchunkParquet } from "@vz/core/node";
 * await writeKerchunkParquet(toKerchunk(vds), "combined.parq", { recordSize: 100_000 });
 */
export async function writeKerchunkParquet(refs: KerchunkRefs, dir: string, options: WriteKerchunkParquetOptions = {}): Promise<void> {
  const target = resolve(dir);
  const parent = dirname(target);
  try {
    const info = await stat(parent);
    if (!info.isDirectory()) throw new WriteError(`cannot write ${target}: ${parent} is not a directory`, { url: target });
  } catch (error) {
    if (isVzError(error)) throw error;
    throw new WriteError(`cannot write ${target}: directory ${parent} does not exist or is not readable`, { url: target, cause: error });
  }
  const targetExists = await exists(target);
  if (targetExists && options.overwrite === false) {
    throw new WriteError(`cannot write ${target}: it exists and overwrite is false`, { url: target });
  }
  const suffix = `${process.pid}.${randomBytes(6).toString("hex")}`;
  const temporary = join(parent, `.${basename(target)}.${suffix}.tmp`);
  const backup = join(parent, `.${basename(target)}.${suffix}.old`);
  try {
    await mkdir(temporary);
    const made = new Set<string>([temporary]);
    for await (const file of kerchunkParquetFiles(refs, options)) {
      const path = join(temporary, ...file.path.split("/"));
      if (!path.startsWith(temporary + "/")) throw new WriteError(`cannot write ${target}: file name "${file.path}" leaves the directory`, { url: target });
      const folder = dirname(path);
      if (!made.has(folder)) {
        await mkdir(folder, { recursive: true });
        made.add(folder);
      }
      await writeFile(path, file.bytes);
    }
    if (targetExists) await rename(target, backup);
    try {
      await rename(temporary, target);
    } catch (error) {
      if (targetExists) await rename(backup, target).catch(() => undefined);
      throw error;
    }
    if (targetExists) await rm(backup, { recursive: true, force: true });
  } catch (error) {
    await rm(temporary, { recursive: true, force: true }).catch(() => undefined);
    if (isVzError(error)) throw error;
    throw new WriteError(`cannot write ${target}: ${(error as Error).message}`, { url: target, cause: error });
  }
}
