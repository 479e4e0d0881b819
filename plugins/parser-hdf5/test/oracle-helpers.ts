/**
 * Helpers for comparing the parser's output with the shared oracle files
 * (/work/shared/data/**\/*.oracle.json, made by h5py / netCDF4 in make_oracle.py).
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type { ManifestArray } from "@vz/core";

/** /work/shared/data, located relative to the repository root. */
export const SHARED_DATA = path.resolve(import.meta.dirname, "../../..", "../shared/data");

/** Whether the shared data directory is present. */
export const HAVE_SHARED_DATA = existsSync(SHARED_DATA);

/** Every HDF5 file with an oracle in the given sub-directories of the shared data. */
export function hdf5DataFiles(directories: readonly string[]): string[] {
  if (!HAVE_SHARED_DATA) return [];
  const files: string[] = [];
  for (const directory of directories) {
    const full = path.join(SHARED_DATA, directory);
    if (!existsSync(full)) continue;
    for (const name of readdirSync(full).sort()) {
      if (!name.endsWith(".oracle.json")) continue;
      const oracle = JSON.parse(readFileSync(path.join(full, name), "utf8")) as { kind?: string };
      if (oracle.kind === "hdf5") files.push(path.join(directory, name.slice(0, -".oracle.json".length)));
    }
  }
  return files;
}

export function sha256(bytes: Uint8Array | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Python's `json.dumps(value, separators=(",", ":"))` (ensure_ascii) for lists of strings/numbers. */
export function pythonJson(value: unknown): string {
  if (typeof value === "string") {
    let out = '"';
    for (const ch of value) {
      const code = ch.codePointAt(0)!;
      if (ch === '"') out += '\\"';
      else if (ch === "\\") out += "\\\\";
      else if (ch === "\n") out += "\\n";
      else if (ch === "\r") out += "\\r";
      else if (ch === "\t") out += "\\t";
      else if (ch === "\b") out += "\\b";
      else if (ch === "\f") out += "\\f";
      else if (code < 0x20 || (code >= 0x7f && code <= 0xffff)) out += `\\u${code.toString(16).padStart(4, "0")}`;
      else if (code > 0xffff) {
        const high = Math.floor((code - 0x10000) / 0x400) + 0xd800;
        const low = ((code - 0x10000) % 0x400) + 0xdc00;
        out += `\\u${high.toString(16)}\\u${low.toString(16)}`;
      } else out += ch;
    }
    return `${out}"`;
  }
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(",")}]`;
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : JSON.stringify(value);
  return JSON.stringify(value);
}

/** The canonical chunk list of make_oracle.py: sorted [[coords], offset, size] of referenced chunks. */
export function canonicalChunkList(array: ManifestArray): [number[], number, number][] {
  const manifest = array.manifest;
  const grid = manifest.shape;
  const entries: [number[], number, number][] = [];
  for (let i = 0; i < manifest.gridSize; i++) {
    if (manifest.kindAt(i) !== "ref") continue;
    const coords = new Array<number>(grid.length).fill(0);
    let rest = i;
    for (let d = grid.length - 1; d >= 0; d--) {
      coords[d] = rest % grid[d]!;
      rest = Math.floor(rest / grid[d]!);
    }
    entries.push([coords, manifest.offsetAt(i), manifest.lengthAt(i)]);
  }
  entries.sort((a, b) => {
    for (let d = 0; d < a[0].length; d++) if (a[0][d] !== b[0][d]) return a[0][d]! - b[0][d]!;
    return 0;
  });
  return entries;
}

/** sha256 of the canonical chunk list as make_oracle.py computes it. */
export function chunkListSha(entries: [number[], number, number][]): string {
  return sha256(JSON.stringify(entries));
}

/** Oracle numpy dtype string → expected Zarr data type and endianness. */
export function expectedDataType(dtype: string): { dataType: string; endian: "little" | "big" } | undefined {
  const match = /^([<>|])([biuf])(\d+)$/.exec(dtype);
  if (!match) return undefined;
  const [, order, kind, size] = match;
  const bytes = Number(size);
  const dataType = kind === "b" ? "bool" : kind === "f" ? `float${bytes * 8}` : `${kind === "u" ? "uint" : "int"}${bytes * 8}`;
  return { dataType, endian: order === ">" ? "big" : "little" };
}

/** The oracle's facts about one HDF5 dataset (the fields the tests use). */
export interface OracleDataset {
  error?: string;
  shape: number[];
  dtype: string | unknown[];
  layout: "contiguous" | "chunked" | "compact" | string;
  chunks: number[] | null;
  filters: { id: number }[];
  hdf5_fillvalue?: unknown;
  attrs: Record<string, unknown>;
  dimension_list?: string[][] | string;
  is_dimension_scale?: boolean;
  netcdf_phony_dimension?: boolean;
  chunk_manifest?: { count: number; sha256: string; total_bytes: number; all?: [number[], number, number][]; first3?: [number[], number, number][]; last?: [number[], number, number] };
  contiguous?: { offset: number | null; storage_size: number };
  compact_storage_size?: number;
  chunks_with_nonzero_filter_mask?: number;
  string?: { encoding: string; length: number | null };
  values: { sha256_le?: string; sha256_json?: string; first?: unknown[]; skipped?: string; read_error?: string };
}

export interface Oracle {
  size: number;
  /** xarray (netcdf4 engine) view per group. */
  cf?: Record<string, { variables?: Record<string, { dims: string[] }> }>;
  hdf5: { datasets: Record<string, OracleDataset>; groups: Record<string, { attrs: Record<string, unknown>; members: string[] }>; userblock_size: number; libver_superblock: number; links?: Record<string, string> };
}

export function readOracle(file: string): Oracle {
  return JSON.parse(readFileSync(path.join(SHARED_DATA, `${file}.oracle.json`), "utf8")) as Oracle;
}
