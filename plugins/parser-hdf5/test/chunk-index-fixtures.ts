/**
 * Test fixtures for the chunk-index, v2 B-tree and fractal-heap tests: HDF5 files generated at
 * test time by /usr/bin/python3 + h5py (chunk-index-fixtures.py) into a temporary directory, with
 * h5py's chunk lists as the oracle; helpers to open them and to build a ChunkIndexInfo from a
 * dataset's object header.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { FileReader, toUrl } from "@vz/core/node";
import type { ChunkIndexInfo } from "../src/chunk-index.js";
import { HdfFile } from "../src/io.js";
import { decodeDataspace, decodeDatatype, decodeLayout, messageCursor } from "../src/messages.js";
import { MessageType, readObjectHeader } from "../src/object-header.js";
import { readSuperblock } from "../src/superblock.js";

/** Debian's Python, which has h5py 3.7 on HDF5 1.10.8. */
export const PYTHON = "/usr/bin/python3";

/** Why the fixtures cannot be generated, or undefined when they can. */
export const FIXTURES_UNAVAILABLE: string | undefined = (() => {
  if (!existsSync(PYTHON)) return `${PYTHON} is missing`;
  const probe = spawnSync(PYTHON, ["-c", "import h5py, numpy"], { encoding: "utf8" });
  return probe.status === 0 ? undefined : `${PYTHON} cannot import h5py (${probe.stderr.trim().split("\n").pop()})`;
})();

/** One dataset of cases.json. */
export interface FixtureCase {
  file: string;
  name: string;
  kind: ChunkIndexInfo["indexType"];
  address: number;
  shape: number[];
  maxShape: number[];
  chunks: number[];
  elementSize: number;
  filtered: boolean;
  /** h5py: [element offsets, filter mask, byte offset, size] per allocated chunk. */
  chunkList: [number[], number, number, number][];
  /** Where the chunk coordinates come from (see locate_by_data in the Python script). */
  oracle: string;
  /** User block size = base address: h5py's byte offsets are relative to it. */
  userblock: number;
}

let directory: string | undefined;

/**
 * Generates the fixture files (once per script version: test files running in parallel processes
 * share one directory, made atomically by renaming a finished temporary one); returns the directory.
 */
export function fixtureDirectory(): string {
  if (directory) return directory;
  const script = path.join(import.meta.dirname, "chunk-index-fixtures.py");
  const digest = createHash("sha256").update(readFileSync(script)).digest("hex").slice(0, 16);
  const final = path.join(tmpdir(), `vz-hdf5-index-${digest}`);
  if (!existsSync(path.join(final, "dense.json"))) {
    const out = mkdtempSync(path.join(tmpdir(), "vz-hdf5-index-tmp-"));
    const run = spawnSync(PYTHON, [script, out], { encoding: "utf8", timeout: 300_000 });
    if (run.status !== 0) throw new Error(`fixture generation failed: ${run.stderr || run.error?.message}`);
    try {
      renameSync(out, final);
    } catch {
      rmSync(out, { recursive: true, force: true }); // another process finished first
    }
  }
  directory = final;
  return final;
}

/** The datasets described in cases.json. */
export function fixtureCases(): FixtureCase[] {
  return JSON.parse(readFileSync(path.join(fixtureDirectory(), "cases.json"), "utf8")) as FixtureCase[];
}

/** Reads a JSON file of the fixture directory. */
export function fixtureJson<T>(name: string): T {
  return JSON.parse(readFileSync(path.join(fixtureDirectory(), name), "utf8")) as T;
}

/** Opens a fixture file (superblock read, so offset sizes and base address are set). */
export async function openFixture(name: string, options: { blockSize?: number } = {}): Promise<HdfFile> {
  const file = await HdfFile.open(toUrl(path.join(fixtureDirectory(), name)), new FileReader(), options);
  await readSuperblock(file);
  return file;
}

/** Builds the ChunkIndexInfo of the chunked dataset whose object header is at `address`. */
export async function chunkIndexInfoAt(file: HdfFile, address: number, name: string): Promise<ChunkIndexInfo> {
  const header = await readObjectHeader(file, address);
  const message = (type: number) => header.messages.find((m) => m.type === type);
  const space = decodeDataspace(messageCursor(file, message(MessageType.DATASPACE)!));
  const type = decodeDatatype(messageCursor(file, message(MessageType.DATATYPE)!));
  const layout = decodeLayout(messageCursor(file, message(MessageType.LAYOUT)!), space.shape.length);
  if (layout.class !== "chunked") throw new Error(`${name} is not chunked`);
  const info: ChunkIndexInfo = {
    layoutVersion: layout.version,
    indexType: layout.indexType,
    address: layout.address,
    shape: space.shape,
    maxShape: space.maxShape,
    chunkShape: layout.chunkShape,
    elementSize: type.size,
    filtered: message(MessageType.FILTER_PIPELINE) !== undefined,
    name,
  };
  if (layout.flags !== undefined) info.layoutFlags = layout.flags;
  if (layout.singleChunk) info.singleChunk = layout.singleChunk;
  if (layout.indexParams) info.indexParams = layout.indexParams;
  return info;
}

/** Flat C-order index of the chunk whose first element is at `offsets`. */
export function flatIndexOf(offsets: number[], info: { shape: number[]; chunkShape: number[] }): number {
  let flat = 0;
  for (let i = 0; i < offsets.length; i++) {
    const grid = Math.ceil(info.shape[i]! / info.chunkShape[i]!);
    flat = flat * grid + offsets[i]! / info.chunkShape[i]!;
  }
  return flat;
}
