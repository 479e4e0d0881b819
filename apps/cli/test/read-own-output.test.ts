/**
 * vz reads back what it writes, through the real command line (child processes of the built CLI):
 * - TIFFs that GDAL writes with every codec vz maps (LZW, PackBits, ZSTD, deflate, predictors 2
 *   and 3, JPEG gray/RGB/YCbCr; strips with a short last strip and partial tiles):
 *   `vz virtualize` → kerchunk JSON → `vz read --parser kerchunk` equals GDAL's ReadAsArray
 *   (JPEG within ±3 of libjpeg);
 * - float16 and zero-length HDF5 datasets (h5py): `vz read` of the file and of vz's kerchunk
 *   references equals h5py, and Python reads the zero-length references too.
 * Skipped, with the reason, without Debian's Python (GDAL, h5py, zarr, fsspec) or the built CLI.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const here = dirname(fileURLToPath(import.meta.url));
const bin = resolve(here, "../dist/bin.js");
const python = "/usr/bin/python3";

function skipReason(): string | undefined {
  if (!existsSync(bin)) return `the CLI is not built (${bin}); run pnpm build`;
  if (!existsSync(python)) return `${python} not found`;
  const probe = spawnSync(python, ["-c", "from osgeo import gdal; import h5py, numpy, zarr, fsspec"], { encoding: "utf8" });
  return probe.status === 0 ? undefined : `Debian python3 GDAL/h5py/zarr/fsspec missing: ${probe.stderr.trim()}`;
}
const reason = skipReason();

interface Expected {
  shape: number[];
  values: number[];
}
interface Inputs {
  tiffs: (Expected & { name: string; path: string; lossy: boolean })[];
  hdf5: { path: string; arrays: Record<string, Expected> };
}

const work = mkdtempSync(join(tmpdir(), "vz-own-output-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs the vz CLI in a child process. */
function vz(...args: string[]): { code: number; out: string; err: string } {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd: work, encoding: "utf8", maxBuffer: 64 << 20 });
  return { code: result.status ?? -1, out: result.stdout, err: result.stderr };
}

/** `vz read ... --json` of one variable. */
function read(source: string, variable: string, ...extra: string[]): { dtype: string; shape: number[]; values: (number | null)[] } {
  const result = vz("read", source, "--var", variable, "--json", ...extra);
  expect(result.err, `vz read ${source} --var ${variable}`).toBe("");
  expect(result.code).toBe(0);
  return JSON.parse(result.out) as { dtype: string; shape: number[]; values: (number | null)[] };
}

/** The `.zarray` of array "0" in a kerchunk JSON file. */
function zarray(refs: string, name = "0"): { filters: { id: string; [k: string]: unknown }[] | null; compressor: { id: string; [k: string]: unknown } | null } {
  const document = JSON.parse(readFileSync(refs, "utf8")) as { refs: Record<string, string> };
  return JSON.parse(document.refs[`${name}/.zarray`]!) as never;
}

describe.skipIf(Boolean(reason))(`vz reads its own output${reason ? ` (skipped: ${reason})` : ""}`, () => {
  let inputs: Inputs;
  beforeAll(() => {
    inputs = JSON.parse(execFileSync(python, [join(here, "own-output", "make_inputs.py"), work], { encoding: "utf8", maxBuffer: 64 << 20 })) as Inputs;
  }, 120_000);

  it("kerchunk references of TIFFs with every codec read back equal to GDAL", () => {
    const codecsSeen = new Set<string>();
    for (const tiff of inputs.tiffs) {
      const refs = join(work, `${tiff.name}.json`);
      const written = vz("virtualize", tiff.path, "-o", refs, "--parser", "tiff");
      expect(written.code, `${tiff.name}: ${written.err}`).toBe(0);
      const meta = zarray(refs);
      for (const codec of [...(meta.filters ?? []), ...(meta.compressor ? [meta.compressor] : [])]) codecsSeen.add(codec.id);
      const ours = read(refs, "0", "--parser", "kerchunk");
      expect(ours.shape, tiff.name).toEqual(tiff.shape);
      expect(ours.values.length, tiff.name).toBe(tiff.values.length);
      if (tiff.lossy) {
        let max = 0;
        ours.values.forEach((v, i) => (max = Math.max(max, Math.abs((v as number) - tiff.values[i]!))));
        expect(max, `${tiff.name}: largest difference from libjpeg`).toBeLessThanOrEqual(3);
      } else {
        const wrong = ours.values.findIndex((v, i) => v !== tiff.values[i]);
        expect(wrong, `${tiff.name}: first differing value at ${wrong}: ${ours.values[wrong]} vs GDAL ${tiff.values[wrong]}`).toBe(-1);
      }
    }
    // every codec vz maps TIFF compressions and predictors to was exercised
    expect([...codecsSeen].sort()).toEqual(
      ["imagecodecs_delta", "imagecodecs_floatpred", "imagecodecs_jpeg", "imagecodecs_lzw", "imagecodecs_packbits", "vz_zero_pad", "zlib", "zstd"].sort(),
    );
  }, 180_000);

  it("vz parsers --json lists the codecs the TIFF plugin provides", () => {
    const listed = JSON.parse(vz("parsers", "--json").out) as { parsers: { name: string; codecs: string[] }[] };
    expect(listed.parsers.find((p) => p.name === "tiff")?.codecs).toEqual(
      ["imagecodecs_lzw", "imagecodecs_packbits", "imagecodecs_jpeg", "imagecodecs_delta", "imagecodecs_floatpred", "vz_zero_pad"],
    );
    expect(listed.parsers.find((p) => p.name === "hdf5")?.codecs).toEqual([]);
  });

  it("writes the short-strip padding codec as vz_zero_pad with the chunk's byte size", () => {
    const refs = join(work, "lzw_strip_rgb_u8.json");
    const meta = zarray(refs);
    // 8 rows x 45 columns x 3 bands of uint8
    expect(meta.filters).toEqual([{ id: "vz_zero_pad", nbytes: 8 * 45 * 3 }]);
    expect(meta.compressor).toEqual({ id: "imagecodecs_lzw" });
  });

  it("float16 and zero-length HDF5 datasets read equal to h5py, from the file and from vz's references", () => {
    const h5 = inputs.hdf5.path;
    const refs = join(work, "half_and_empty.json");
    const written = vz("virtualize", h5, "-o", refs);
    expect(written.code, written.err).toBe(0);
    for (const [name, expected] of Object.entries(inputs.hdf5.arrays)) {
      for (const [source, extra] of [[h5, []], [refs, ["--parser", "kerchunk"]]] as const) {
        const ours = read(source, name, ...extra);
        expect(ours.shape, `${name} from ${source}`).toEqual(expected.shape);
        expect(ours.values, `${name} from ${source}`).toEqual(expected.values);
      }
    }
    expect(read(refs, "half", "--parser", "kerchunk").dtype).toBe("float16");
    // a selection of a zero-length array is empty, with the selection's shape (an empty slice of a
    // non-empty dimension is refused before reading: see read-and-globs.test.ts)
    expect(read(refs, "empty", "--parser", "kerchunk", "--slice", ":,1:3")).toMatchObject({ shape: [0, 2], values: [] });
    // an index into a zero-length dimension is a usage error naming the variable, not a crash
    const outOfRange = vz("read", refs, "--parser", "kerchunk", "--var", "empty", "--slice", "0,:");
    expect(outOfRange.code).not.toBe(0);
    expect(outOfRange.err).toMatch(/^vz: error \[INVALID_ARGUMENT\]: .*index 0 is out of range for dimension 0 .*length 0.* of "empty"/);
    // Python reads the same references (float16 and zero-length arrays)
    const script = `import sys, json, fsspec, zarr, numpy as np
g = zarr.open(fsspec.filesystem("reference", fo=sys.argv[1]).get_mapper(""), mode="r")
print(json.dumps({k: {"shape": list(g[k].shape), "values": g[k][...].astype(np.float64).ravel().tolist()} for k in ["half", "half_chunked", "empty", "empty_chunked"]}))`;
    const python3 = JSON.parse(execFileSync(python, ["-c", script, refs], { encoding: "utf8" })) as Record<string, Expected>;
    expect(python3).toEqual(inputs.hdf5.arrays);
  }, 120_000);
});
