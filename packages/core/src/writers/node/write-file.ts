/**
 * Atomic file output of kerchunk references (Node only): the text goes to a temporary file in the
 * target's directory, is flushed, and is renamed over the target. On any error the temporary file
 * is removed and the target is left as it was.
 * @module
 */
import { randomBytes } from "node:crypto";
import { open, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { InvalidArgumentError, isVzError, UnsupportedFeatureError, WriteError } from "../../errors.js";
import type { VirtualDataset } from "../../dataset/virtual-dataset.js";
import type { VirtualDatatree } from "../../dataset/virtual-datatree.js";
import {
  asciiJsonPieces,
  datasetsToKerchunkJsonPieces,
  groupEntries,
  type KerchunkFormat,
  kerchunkJsonPieces,
  type KerchunkRefs,
  toKerchunkTree,
} from "../kerchunk.js";
import { writeKerchunkParquet } from "./write-parquet.js";

/** Options of {@link writeKerchunk}. */
export interface WriteKerchunkOptions {
  /**
   * "json" (default): one JSON file. "parquet": a kerchunk Parquet reference directory at `path`
   * (fsspec's LazyReferenceMapper layout, see `writeKerchunkParquet`).
   */
  format?: KerchunkFormat;
  /** Parquet only: references per record file (kerchunk's `record_size`, default 100,000). */
  recordSize?: number;
  /** Group path under which the dataset (or the tree's root) is written (see `toKerchunk`). */
  group?: string;
  /** Replace an existing file at the path (default true). When false an existing file is an error. */
  overwrite?: boolean;
}

/**
 * Writes pieces of text to `path` atomically (temp file in the same directory + rename).
 * @example
 * await writeTextAtomically("/tmp/out.json", ["{", "}"]);
 */
export async function writeTextAtomically(
  path: string,
  pieces: Iterable<string>,
  options: { overwrite?: boolean } = {},
): Promise<void> {
  const target = resolve(path);
  const directory = dirname(target);
  try {
    const info = await stat(directory);
    if (!info.isDirectory()) throw new WriteError(`cannot write ${target}: ${directory} is not a directory`, { url: target });
  } catch (error) {
    if (isVzError(error)) throw error;
    throw new WriteError(`cannot write ${target}: directory ${directory} does not exist or is not readable`, { url: target, cause: error });
  }
  if (options.overwrite === false) {
    const exists = await stat(target).then(
      () => true,
      () => false,
    );
    if (exists) throw new WriteError(`cannot write ${target}: the file exists and overwrite is false`, { url: target });
  }
  const temporary = join(directory, `.${basename(target)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(temporary, "wx");
    let buffered = "";
    for (const piece of pieces) {
      buffered += piece;
      if (buffered.length >= 1 << 22) {
        await handle.write(buffered);
        buffered = "";
      }
    }
    if (buffered.length > 0) await handle.write(buffered);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temporary, target);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await rm(temporary, { force: true }).catch(() => undefined);
    if (isVzError(error)) throw error;
    throw new WriteError(`cannot write ${target}: ${(error as Error).message}`, { url: target, cause: error });
  }
}

/**
 * Writes kerchunk references of `vds` to `path` (JSON, stable key order; the same text as
 * `kerchunkToJson(toKerchunk(vds, { group }))`), atomically: on any error nothing new is left at
 * `path` (an existing file stays untouched). Chunk references are streamed from the manifests, so
 * no object per chunk is built. `vds` may be a dataset, a VirtualDatatree (every group is written:
 * `.zgroup`/`.zattrs` per group, keys `group/sub/var/0.0`) or a map of datasets by group path.
 * @example
 * import { writeKerchunk } from "@vz/core/node";
 * await writeKerchunk(vds, "combined.json");
 * await writeKerchunk(await openVirtualDatatree(url, { reader }), "tree.json");
 */
export async function writeKerchunk(
  vds: VirtualDataset | VirtualDatatree | ReadonlyMap<string, VirtualDataset>,
  path: string,
  options: WriteKerchunkOptions = {},
): Promise<void> {
  const format = options.format ?? "json";
  if (typeof path !== "string" || path === "") throw new InvalidArgumentError("writeKerchunk: no output path given");
  const list = groupEntries(vds, options.group);
  const entries = new Map(list);
  if (entries.size !== list.length) {
    throw new InvalidArgumentError(`writeKerchunk ${path}: a group is given twice (${list.map(([group]) => group || "/").join(", ")})`, { url: path });
  }
  if (format === "parquet") {
    const refs = toKerchunkTree(entries);
    await writeKerchunkParquet(refs, path, {
      ...(options.overwrite === undefined ? {} : { overwrite: options.overwrite }),
      ...(options.recordSize === undefined ? {} : { recordSize: options.recordSize }),
    });
    return;
  }
  if (format !== "json") {
    throw new UnsupportedFeatureError(`kerchunk-${String(format)}`, `writeKerchunk ${path}: unknown format "${String(format)}" (use "json" or "parquet")`, {
      url: path,
    });
  }
  // Build the metadata (and surface any refusal) before a file is created.
  const pieces = asciiJsonPieces(datasetsToKerchunkJsonPieces(entries));
  const first = pieces.next();
  const all = (function* () {
    if (!first.done) yield first.value;
    yield* pieces;
  })();
  await writeTextAtomically(path, all, options.overwrite === undefined ? {} : { overwrite: options.overwrite });
}

/** Writes already-built references to `path` as JSON, atomically. */
export async function writeKerchunkRefs(refs: KerchunkRefs, path: string, options: { overwrite?: boolean } = {}): Promise<void> {
  await writeTextAtomically(path, asciiJsonPieces(kerchunkJsonPieces(refs)), options);
}
