/** Shared by the kerchunk round-trip tests: the shared data folder, A/B/C round trips, Python. */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type KerchunkRefs, type ManifestStore, toKerchunkTree, toVirtualDataset, type VirtualDataset } from "@vz/core";
import { parseJsonNonFinite } from "@vz/core/internal";
import { writeKerchunkParquet, writeKerchunkRefs } from "@vz/core/node";
import { createKerchunkParser } from "@vz/parser-kerchunk";
import type { CliContext } from "../src/context.js";
import { run } from "../src/main.js";

export const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, "../../..");
export const dataDir = resolve(repoRoot, "../shared/data");
export const FOLDERS = ["hdf5", "hdf5_debian", "netcdf3", "netcdf4", "tiff", "tiff_derived"];
export const skipReason = existsSync(dataDir) ? undefined : `shared data not found at ${dataDir}`;

/** Every data file of the shared folders (not the oracle / third-party JSON, not scripts). */
export function dataFiles(): string[] {
  if (skipReason) return [];
  return FOLDERS.flatMap((folder) =>
    readdirSync(join(dataDir, folder))
      .filter((name) => !/\.(json|sh|md)$/.test(name))
      .sort()
      .map((name) => `${folder}/${name}`),
  );
}

/** References as comparable objects: metadata documents parsed, everything else as it is. */
export function normalized(refs: KerchunkRefs | Record<string, unknown>): Record<string, unknown> {
  const entries = ("refs" in refs && typeof refs.refs === "object" ? refs.refs : refs) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(entries)) {
    out[key] = typeof value === "string" && /(^|\/)\.z[a-z]+$/.test(key) ? parseJsonNonFinite(value) : value;
  }
  return out;
}

/** Every group of a store as a dataset (nothing loaded: inlined chunks stay inlined), written as references. */
export async function rewrite(store: ManifestStore): Promise<KerchunkRefs> {
  const datasets = new Map<string, VirtualDataset>();
  for (const [path] of store.group.walkGroups()) {
    const group = path.replace(/\/$/, "");
    datasets.set(group, await toVirtualDataset(store, { group, loadableVariables: [] }));
  }
  return toKerchunkTree(datasets);
}

/** A, B and C of a file (see the module comment), as comparable objects; undefined when vz refuses the file. */
export async function roundTrip(
  context: CliContext,
  source: string,
  work: string,
  label: string,
): Promise<{ stderr: string; a?: string; storeA?: ManifestStore; refsA?: Record<string, unknown>; fromB?: Record<string, unknown>; fromC?: Record<string, unknown> }> {
  const a = join(work, `${label}.json`);
  let stderr = "";
  const code = await run(["virtualize", source, "-o", a, "--skip-unsupported"], { cwd: work, out: () => {}, err: (text) => (stderr += text) });
  if (code !== 0) return { stderr };
  const parse = createKerchunkParser();
  const storeA = await parse(pathToFileURL(a).href, context.reader);
  const refsA = normalized(parseJsonNonFinite(readFileSync(a, "utf8")) as KerchunkRefs);
  const refsB = await rewrite(storeA);
  const b = join(work, `${label}.b.json`);
  await writeKerchunkRefs(refsB, b);
  const parquet = join(work, `${label}.parq`);
  await writeKerchunkParquet(refsB, parquet, { recordSize: 1000 });
  const fromC = normalized(await rewrite(await parse(pathToFileURL(parquet).href, context.reader)));
  const fromB = normalized(parseJsonNonFinite(readFileSync(b, "utf8")) as KerchunkRefs);
  return { stderr, a, storeA, refsA, fromB, fromC };
}

export const python = "/usr/bin/python3";
export function pythonReady(): string | undefined {
  if (!existsSync(python)) return `${python} not found`;
  const probe = spawnSync(python, ["-c", "import xarray, fsspec, zarr, h5py, netCDF4"], { encoding: "utf8" });
  return probe.status === 0 ? undefined : `Debian python3-xarray/fsspec/zarr/h5py/netcdf4 missing: ${probe.stderr.trim()}`;
}
export const pythonSkip = pythonReady();

export function runPython(args: string[]): string {
  return execFileSync(python, args, { encoding: "utf8", maxBuffer: 64 << 20, env: { ...process.env, PYTHONUTF8: "1" } });
}

/** The `.zarray` fill_value of `variable` in comparable references. */
export function fillValueOf(refs: Record<string, unknown> | undefined, variable: string): unknown {
  return (refs?.[`${variable}/.zarray`] as { fill_value?: unknown } | undefined)?.fill_value;
}

