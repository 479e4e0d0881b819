/** Shared test helpers: where the DMR++ pairs are, Python, and comparing two ManifestStores. */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { resolve } from "node:path";
import type { ManifestArray, ManifestStore } from "@vz/core";
import { readArrayThroughZarrita, isDecodableByZarrita } from "@vz/core/testing";

/** The repository root (plugins/parser-dmrpp/test → ../../..). */
export const REPO_ROOT = resolve(import.meta.dirname, "../../..");
/** `../shared/data/dmrpp` relative to the repository root: DMR++ files with the files they describe. */
export const DMRPP_DATA = resolve(REPO_ROOT, "../shared/data/dmrpp");
export const HAVE_DMRPP_DATA = existsSync(resolve(DMRPP_DATA, "MANIFEST.md"));
export const NO_DATA_REASON = `${DMRPP_DATA} is absent (the OPeNDAP bes DMR++ test pairs); skipped`;

/** Data files (without `.dmrpp`) that have a DMR++ beside them, by kind. */
export function pairs(kind: "hdf5" | "hdf4" | "other"): string[] {
  if (!HAVE_DMRPP_DATA) return [];
  return readdirSync(DMRPP_DATA)
    .filter((name) => name.endsWith(".dmrpp"))
    .map((name) => name.slice(0, -".dmrpp".length))
    .filter((name) => existsSync(resolve(DMRPP_DATA, name)))
    .filter((name) => (kind === "hdf4" ? /\.hdf$/.test(name) : kind === "hdf5" ? /\.(h5|nc4?|he5)$/.test(name) : !/\.(h5|nc4?|he5|hdf)$/.test(name)))
    .sort();
}

export const PYTHON = "/usr/bin/python3";

/** Modules of `modules` that do not import with Debian's python3 (["python3"] when absent). */
export function missingPythonModules(modules: readonly string[]): string[] {
  if (!existsSync(PYTHON)) return ["python3"];
  return modules.filter((module) => spawnSync(PYTHON, ["-c", `import ${module}`], { stdio: "ignore" }).status !== 0);
}

/** Runs Debian's python3 with arguments and returns stdout; throws with stderr. */
export function runPython(args: readonly string[]): string {
  try {
    return execFileSync(PYTHON, args, { encoding: "utf8", maxBuffer: 256 * 1024 * 1024, stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    throw new Error(`python failed: ${(error as { stderr?: string }).stderr ?? String(error)}`, { cause: error });
  }
}

const json = (value: unknown) => JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? `${v}n` : v));

function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a === "number" && typeof b === "number") return a === b || (Number.isNaN(a) && Number.isNaN(b));
  if (typeof a === "bigint" || typeof b === "bigint") return String(a) === String(b);
  return a === b;
}

/** netCDF-4 stores a variable named like a dimension it is not the coordinate of as `_nc4_non_coord_<name>`. */
export function netcdfName(path: string): string {
  return path
    .split("/")
    .map((part) => part.replace(/^_nc4_non_coord_/, ""))
    .join("/");
}

/** What comparing the DMR++ store with the HDF5 parser's store found. */
export interface PairComparison {
  /** Arrays compared in both (metadata, manifest, values). */
  compared: number;
  /** Arrays whose values were read through zarrita from both stores and compared. */
  valuesCompared: number;
  /** Variables both parsers refuse (UnsupportedFeatureError in both stores' diagnostics). */
  bothRefuse: string[];
  /** Every difference, one line each ("path: what"). */
  differences: string[];
}

/**
 * Compares a DMR++ store with the HDF5 parser's store of the same file: array set (netCDF-4's
 * `_nc4_non_coord_` names mapped to the netCDF name), shape, data type, chunk shape, fill value,
 * codecs, dimension names, the attributes both have, every chunk (kind, URL, offset, length, inlined bytes), and the values read through
 * zarrita (up to `maxReadBytes` per array: the first chunk of larger arrays).
 */
export async function compareStores(
  dmrpp: ManifestStore,
  hdf5: ManifestStore,
  options: { aliases?: Readonly<Record<string, string>>; maxReadBytes?: number } = {},
): Promise<PairComparison> {
  const maxReadBytes = options.maxReadBytes ?? 4 * 1024 * 1024;
  const aliases = options.aliases ?? {};
  const differences: string[] = [];
  // DMR++ paths the caller maps to other HDF5 paths (a handler's renamed view) are compared under the HDF5 name.
  const ours = new Map<string, [string, ManifestArray]>([...dmrpp.group.walkArrays()].map(([path, array]) => [aliases[path] ?? path, [path, array]]));
  const theirs = new Map<string, [string, ManifestArray]>([...hdf5.group.walkArrays()].map(([path, array]) => [netcdfName(path), [path, array]]));
  const refusedByUs = new Set(dmrpp.diagnostics.filter((e) => e.code === "UNSUPPORTED").map((e) => e.variable ?? "?"));
  const refusedByThem = new Set(hdf5.diagnostics.filter((e) => e.code === "UNSUPPORTED").map((e) => netcdfName(e.variable ?? "?")));
  const bothRefuse = [...refusedByUs].filter((v) => refusedByThem.has(v)).sort();
  for (const v of refusedByUs) if (!refusedByThem.has(v)) differences.push(`${v}: refused by the DMR++ parser only`);
  for (const v of refusedByThem) if (!refusedByUs.has(v)) differences.push(`${v}: refused by the HDF5 parser only`);
  let compared = 0;
  let valuesCompared = 0;
  for (const [path, [ourPath, ourArray]] of ours) {
    const entry = theirs.get(path);
    if (!entry) {
      if (!refusedByThem.has(path)) differences.push(`${path}: only in the DMR++`);
      continue;
    }
    const [theirPath, theirArray] = entry;
    compared++;
    const a = ourArray.metadata;
    const b = theirArray.metadata;
    const before = differences.length;
    if (json(a.shape) !== json(b.shape)) differences.push(`${path}: shape ${json(a.shape)} vs ${json(b.shape)}`);
    if (a.data_type !== b.data_type) differences.push(`${path}: data type ${a.data_type} vs ${b.data_type}`);
    const chunksA = a.chunk_grid.configuration.chunk_shape;
    const chunksB = b.chunk_grid.configuration.chunk_shape;
    if (json(chunksA) !== json(chunksB)) differences.push(`${path}: chunk shape ${json(chunksA)} vs ${json(chunksB)}`);
    if (differences.length > before) continue; // different grids: nothing more to compare
    if (!sameValue(a.fill_value, b.fill_value) && json(a.fill_value) !== json(b.fill_value)) differences.push(`${path}: fill value ${json(a.fill_value)} vs ${json(b.fill_value)}`);
    if (json(a.codecs) !== json(b.codecs)) differences.push(`${path}: codecs ${json(a.codecs)} vs ${json(b.codecs)}`);
    const afterMetadata = differences.length;
    // attributes both stores have (the DMR++ adds the handler's origname, fullnamepath, DODS_EXTRA)
    for (const [name, value] of Object.entries(a.attributes)) {
      if (name in b.attributes && json(value) !== json(b.attributes[name]) && !(typeof value === "number" && Number.isNaN(value) && Number.isNaN(b.attributes[name]))) {
        differences.push(`${path}: attribute ${name} ${json(value).slice(0, 120)} vs ${json(b.attributes[name]).slice(0, 120)}`);
      }
    }
    // dimension names do not change the chunks or values; compared and reported separately
    if (json(a.dimension_names) !== json(b.dimension_names)) differences.push(`${path}: dimension names ${json(a.dimension_names)} vs ${json(b.dimension_names)}`);
    const m = ourArray.manifest;
    const n = theirArray.manifest;
    for (let i = 0; i < m.gridSize; i++) {
      const kind = m.kindAt(i);
      if (kind !== n.kindAt(i)) {
        differences.push(`${path}: chunk ${i} is ${kind} vs ${n.kindAt(i)}`);
        break;
      }
      if (kind === "ref") {
        const urlA = m.urls[m.urlIdAt(i)];
        const urlB = n.urls[n.urlIdAt(i)];
        if (urlA !== urlB || m.offsetAt(i) !== n.offsetAt(i) || m.lengthAt(i) !== n.lengthAt(i)) {
          differences.push(`${path}: chunk ${i} at ${urlA} ${m.offsetAt(i)}+${m.lengthAt(i)} vs ${urlB} ${n.offsetAt(i)}+${n.lengthAt(i)}`);
          break;
        }
      }
    }
    if (differences.length > afterMetadata) continue;
    if (!isDecodableByZarrita(a) || !isDecodableByZarrita(b)) continue;
    if (a.shape.some((s) => s === 0)) continue; // nothing to read (zarrita cannot index empty arrays)
    const x = await readArrayThroughZarrita(dmrpp, ourPath, { maxReadBytes });
    const y = await readArrayThroughZarrita(hdf5, theirPath, { maxReadBytes });
    valuesCompared++;
    if (x.values.length !== y.values.length) {
      differences.push(`${path}: ${x.values.length} values read vs ${y.values.length}`);
      continue;
    }
    for (let i = 0; i < x.values.length; i++) {
      if (!sameValue(x.values[i], y.values[i])) {
        differences.push(`${path}: value ${i} is ${String(x.values[i])} vs ${String(y.values[i])}`);
        break;
      }
    }
  }
  for (const [path] of theirs) if (!ours.has(path) && !refusedByUs.has(path)) differences.push(`${path}: only in the HDF5 file`);
  for (const [name, value] of Object.entries(dmrpp.group.attributes)) {
    if (name in hdf5.group.attributes && json(value) !== json(hdf5.group.attributes[name])) {
      differences.push(`/: attribute ${name} ${json(value).slice(0, 120)} vs ${json(hdf5.group.attributes[name]).slice(0, 120)}`);
    }
  }
  return { compared, valuesCompared, bothRefuse, differences: differences.sort() };
}
