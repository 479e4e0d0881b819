/**
 * Whole files, exactly: for every file in ../shared/data that vz virtualizes (unsupported
 * variables skipped and reported, as `vz virtualize --skip-unsupported` does),
 *   A = vz's kerchunk JSON of the file,
 *   B = A parsed by the kerchunk parser and written again as JSON,
 *   C = A parsed, written as Parquet, that directory parsed and written as JSON
 * hold the same references and metadata (compared as parsed JSON objects), and one chunk of
 * every array read through A (kerchunk parser → ManifestStore → zarrita) equals the same chunk
 * read from the original file through vz's parser.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ManifestArray, type ManifestStore, openManifestStore } from "@vz/core";
import { registerCodecs } from "@vz/core/codecs";
import { parseJsonNonFinite } from "@vz/core/internal";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as zarr from "zarrita";
import { type CliContext, createContext } from "../src/context.js";
import { pathToFileURL } from "node:url";
import { dataDir, dataFiles, fillValueOf, roundTrip, skipReason } from "./refs-helpers.js";

await registerCodecs();

const DECODE_FAILURE = /unknown codec|unsupported data ?type|not supported|no codec/i;

/** The selection covering chunk 0 of an array (the whole array for 0-d ones). */
function firstChunk(array: ManifestArray): (zarr.Slice | null)[] {
  return array.shape.map((extent, d) => zarr.slice(0, Math.min(extent, array.chunks[d]!)));
}

async function readRegion(store: ManifestStore, path: string, selection: (zarr.Slice | null)[]): Promise<unknown> {
  const opened = await zarr.open.v3(zarr.root(store as unknown as zarr.Readable).resolve(path), { kind: "array" });
  const result = (await zarr.get(opened, selection.length === 0 ? null : selection)) as unknown;
  if (typeof result !== "object" || result === null || !("data" in result)) return result;
  const { data, shape } = result as { data: unknown; shape: number[] };
  return { shape, data: ArrayBuffer.isView(data) || Array.isArray(data) ? Array.from(data as ArrayLike<unknown>) : Array.from(data as Iterable<unknown>) };
}

/** Stored bytes of chunk 0 of `path` (v3 chunk key), or undefined when that chunk is missing. */
function rawChunk0(store: ManifestStore, path: string, ndim: number): Promise<Uint8Array | undefined> {
  return store.get(`/${path}/c${"/0".repeat(ndim)}`);
}

describe.skipIf(Boolean(skipReason))(`kerchunk round trips of the shared files${skipReason ? ` (skipped: ${skipReason})` : ""}`, () => {
  const work = mkdtempSync(join(tmpdir(), "vz-refs-roundtrip-"));
  let context: CliContext;
  const totals = { files: 0, refused: [] as string[], arrays: 0, decoded: 0, raw: 0, skippedVariables: 0 };
  beforeAll(async () => {
    context = await createContext({ cwd: work, out: () => {}, err: () => {} });
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it.each(dataFiles())("%s: JSON → JSON and JSON → Parquet → JSON are the identity, chunks read as from the original", async (file) => {
    const source = join(dataDir, file);
    const { stderr, storeA, refsA, fromB, fromC } = await roundTrip(context, source, work, file.replace(/\//g, "_"));
    if (!storeA) {
      // A file vz refuses as a whole says why with a typed error naming it (bad_cdf5_begin.nc is
      // one; a file whose every variable is unsupported is another: its skips are listed first).
      expect(stderr).toMatch(/^vz: error \[[A-Z_]+\]: /m);
      expect(stderr).toContain(file.split("/").pop()!);
      totals.refused.push(file);
      return;
    }
    totals.files++;
    totals.skippedVariables += [...stderr.matchAll(/^skipped /gm)].length;
    expect(storeA.diagnostics.map((d) => d.message)).toEqual([]);
    expect(fromB, `${file}: A → JSON B`).toEqual(refsA);
    expect(fromC, `${file}: A → Parquet → JSON C`).toEqual(refsA);

    // One chunk of every array: through A against the original file through vz's parser.
    const { store: original } = await openManifestStore(pathToFileURL(source).href, {
      reader: context.reader,
      registry: context.registry,
      parserOptions: { onUnsupported: "skip" },
    });
    for (const [path, array] of storeA.group.walkArrays()) {
      totals.arrays++;
      const sourceArray = original.group.resolve(path) as ManifestArray | undefined;
      expect(sourceArray, `${file}: ${path} is an array of the original`).toBeDefined();
      // Decoded values, TIFF imagecodecs_* arrays included (their decoders come from @vz/parser-tiff).
      {
        let ours: unknown;
        let theirs: unknown;
        try {
          ours = await readRegion(storeA, path, firstChunk(array));
          theirs = await readRegion(original, path, firstChunk(array));
        } catch (error) {
          // data types / codecs zarrita cannot decode (float16, complex, |S): compare stored bytes below
          if (!DECODE_FAILURE.test((error as Error).message)) throw error;
          ours = theirs = undefined;
        }
        if (ours !== undefined) {
          expect(ours, `${file}: ${path} chunk 0`).toEqual(theirs);
          totals.decoded++;
          continue;
        }
      }
      // Types zarrita cannot decode: the stored bytes of chunk 0 are compared instead.
      const [mine, yours] = await Promise.all([rawChunk0(storeA, path, array.ndim), rawChunk0(original, path, array.ndim)]);
      if ((array.manifest.get(array.shape.map(() => 0)) as { data?: Uint8Array } | undefined)?.data && !(sourceArray!.manifest.get(sourceArray!.shape.map(() => 0)) as { data?: Uint8Array } | undefined)?.data) {
        // A loaded (inlined, little-endian, uncompressed) variable of a type zarrita cannot
        // decode: its bytes are vz's own encoding, not the file's; it was compared as
        // metadata/references above.
        continue;
      }
      expect(mine, `${file}: ${path} stored bytes of chunk 0`).toEqual(yours);
      totals.raw++;
    }
  });

  it("virtualized most shared files and checked a chunk of every array", () => {
    console.log(
      `kerchunk round trip: ${totals.files} files virtualized (${totals.skippedVariables} variables skipped as unsupported), ` +
        `refused: ${totals.refused.join(", ") || "none"}; ${totals.arrays} arrays, ${totals.decoded} chunks compared decoded, ${totals.raw} as stored bytes`,
    );
    expect(totals.files).toBeGreaterThanOrEqual(85);
    // Refused whole, each with a typed error: a corrupt header (bad_cdf5_begin), files whose every
    // variable is unsupported (compound, szip, filter-masked chunks, time and vlen-sequence types),
    // and files with no variables at all (only external links, only a dimension scale).
    expect(totals.refused.sort()).toEqual([
      "hdf5/NEONDSTowerTemperatureData.hdf5",
      "hdf5/compound-dtype-complex.h5",
      "hdf5/hdf5_mali_chunk2.h5",
      "hdf5/ref_szip.h5",
      "hdf5_debian/elink.h5",
      "hdf5_debian/elink2.h5",
      "hdf5_debian/smpl_compound_chunked.h5",
      "hdf5_debian/times-nested-be.h5",
      "hdf5_debian/vlunicode_endian.h5",
      "netcdf3/bad_cdf5_begin.nc",
      "netcdf4/ref_tst_compounds.nc",
      "netcdf4/ref_tst_dims.nc",
    ]);
    expect(totals.decoded).toBeGreaterThan(500);
  });
});

describe.skipIf(Boolean(skipReason))(`fill values that used to be lost on a round trip${skipReason ? ` (skipped: ${skipReason})` : ""}`, () => {
  const work = mkdtempSync(join(tmpdir(), "vz-refs-fill-"));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  // The file's CF _FillValue (from its .oracle.json, read with h5py) is the .zarray fill_value of A,
  // of A re-written as JSON (B) and of A re-written through Parquet (C). These were null in B and C.
  const cases: [string, string][] = [
    ["netcdf4/o3_Amon_GFDL-ESM4_historical_r1i1p1f1_gr1_185001-194912.nc", "o3"],
    ["netcdf4/air.nc", "lat"],
    ["netcdf4/issue671.nc", "soil_moisture"],
  ];
  it.each(cases)("%s: fill_value of %s survives JSON → JSON and JSON → Parquet → JSON", async (file, variable) => {
    const context = await createContext({ cwd: work, out: () => {}, err: () => {} });
    const oracle = parseJsonNonFinite(readFileSync(join(dataDir, `${file}.oracle.json`), "utf8")) as {
      hdf5: { datasets: Record<string, { dtype: string; attrs: Record<string, unknown> }> };
    };
    const facts = oracle.hdf5.datasets[`/${variable}`]!;
    const [expected] = facts.attrs._FillValue as [number];
    const { refsA, fromB, fromC } = await roundTrip(context, join(dataDir, file), work, variable);
    for (const [label, refs] of [["A", refsA], ["B", fromB], ["C", fromC]] as const) {
      const fill = fillValueOf(refs, variable);
      const value = fill === "NaN" ? Number.NaN : (fill as number);
      const asStored = facts.dtype.endsWith("f4") ? Math.fround(expected) : expected;
      expect(Object.is(value, asStored) || value === asStored, `${label}: ${variable} fill_value ${String(fill)}, expected ${expected}`).toBe(true);
      expect((refs?.[`${variable}/.zattrs`] as Record<string, unknown>)._FillValue, `${label}: _FillValue is fill_value, not an attribute too`).toBeUndefined();
    }
  });
});

