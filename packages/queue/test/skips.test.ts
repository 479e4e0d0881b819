/**
 * Nothing lost silently through the queue: variables the parser refuses and leaves out with
 * `--skip-unsupported` are reported by the coordinator exactly as the local run reports them —
 * for files parsed now by `vz worker` processes and for results reused from Redis — and without
 * `--skip-unsupported` the run fails naming the file and the variable, as locally.
 * Real redis-server, real `vz worker` processes, netCDF4 files written by netCDF4-python, which
 * is also the oracle for which variables are compound (no Zarr equivalent).
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { killRunning, PYTHON, ROOT, type RedisServer, runVz, startRedis, startWorker, stopChild, tempDir, type WorkerProcess } from "./helpers.js";

const tmp = tempDir("vz-queue-skips-");
/** Third-party files with compound variables and a compound fill value (../shared/data). */
const SHARED = join(ROOT, "../shared/data");
const sharedCompounds = join(SHARED, "netcdf4/ref_tst_compounds.nc");
const sharedArrays = join(SHARED, "hdf5/h5wasm_array.h5");
const hasShared = existsSync(sharedCompounds) && existsSync(sharedArrays);
if (!hasShared) console.warn("../shared/data absent: the shared-data skip tests through the queue are skipped");
let redis: RedisServer;
let worker: WorkerProcess;
let urls: string[];
/** Per file (in input order): the compound variables netCDF4-python reports, by path. */
let compound: string[][];

/**
 * Four files of one time step each with a plain `t2m`, a group `sub`, and compound variables in
 * some of them: `obs` at the root of files 0 and 2, `sub/pairs` in file 2 (file 1 has none).
 * Prints, per file, netCDF4's list of compound variables (the oracle).
 */
const SCRIPT = `
import sys, json, numpy as np, netCDF4
d = sys.argv[1]
out = []
for i in range(4):
    path = f"{d}/s{i}.nc"
    with netCDF4.Dataset(path, "w") as ds:
        ds.createDimension("time", None); ds.createDimension("lat", 4)
        t = ds.createVariable("time", "f8", ("time",)); t.units = "hours since 2000-01-01"; t[:] = [i]
        la = ds.createVariable("lat", "f4", ("lat",)); la[:] = np.arange(4)
        v = ds.createVariable("t2m", "f4", ("time", "lat"), chunksizes=(1, 2)); v[:] = np.arange(4).reshape(1, 4) + i
        pair = ds.createCompoundType(np.dtype([("a", "i4"), ("b", "f8")]), "pair")
        g = ds.createGroup("sub"); g.createDimension("x", 2)
        w = g.createVariable("w", "f4", ("x",)); w[:] = [i, i]
        if i in (0, 2):
            c = ds.createVariable("obs", pair, ("time",)); c[0] = np.array((i, 1.5), dtype=pair.dtype)
        if i == 2:
            p = g.createVariable("pairs", pair, ("x",)); p[:] = np.array([(1, 2.0), (3, 4.0)], dtype=pair.dtype)
    with netCDF4.Dataset(path) as ds:
        found = []
        def walk(group, prefix):
            for name, var in group.variables.items():
                if isinstance(var.datatype, netCDF4.CompoundType): found.append(prefix + name)
            for name, child in group.groups.items(): walk(child, prefix + name + "/")
        walk(ds, "")
        out.append(found)
print(json.dumps(out))
`;

/** The skip lines of a run's stderr. */
const skipLines = (stderr: string) => stderr.split("\n").filter((line) => line.startsWith("skipped "));

/** `lines` grouped by file in input order (each file's own lines keep their order): the local run parses files concurrently. */
function inInputOrder(lines: string[]): string[] {
  const index = (line: string) => urls.findIndex((url) => line.includes(` in ${url}: `));
  return lines
    .map((line, at) => ({ line, at, file: index(line) }))
    .sort((a, b) => a.file - b.file || a.at - b.at)
    .map(({ line }) => line);
}

beforeAll(async () => {
  compound = JSON.parse(execFileSync(PYTHON, ["-c", SCRIPT, tmp.dir], { encoding: "utf8" })) as string[][];
  urls = [0, 1, 2, 3].map((i) => pathToFileURL(join(tmp.dir, `s${i}.nc`)).href);
  redis = await startRedis();
  worker = await startWorker(redis.url, { concurrency: 2 });
}, 60_000);

afterAll(async () => {
  await killRunning();
  await stopChild(worker?.child, "SIGKILL");
  await redis?.stop();
  tmp.remove();
});

describe("skipped variables through the queue (--skip-unsupported)", () => {
  const files = () => urls.map((url) => new URL(url).pathname);

  it("prints the local run's skip lines, in input order, and writes byte-identical references; a rerun reusing every result prints them again", async () => {
    // The oracle: netCDF4 sees compound variables in files 0 and 2 only.
    expect(compound).toEqual([["obs"], [], ["obs", "sub/pairs"], []]);
    const local = await runVz(["virtualize", ...files(), "--concat-dim", "time", "--skip-unsupported", "-o", join(tmp.dir, "local.json")]);
    expect(local.code, local.stderr).toBe(0);
    const localLines = inInputOrder(skipLines(local.stderr));
    // One line per compound variable, naming the file and the variable, as UNSUPPORTED.
    const expected = urls.flatMap((url, i) => compound[i]!.map((name) => ({ url, name })));
    expect(localLines).toHaveLength(expected.length);
    for (const { url, name } of expected) {
      expect(localLines.some((line) => line.startsWith(`skipped ${name} in ${url}: [UNSUPPORTED] `) && line.includes(`variable ${name}`))).toBe(true);
    }

    const first = await runVz(["virtualize", ...files(), "--concat-dim", "time", "--skip-unsupported", "--queue", redis.url, "-o", join(tmp.dir, "queue.json")]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/virtualized 4 files on the queue \(0 results reused\)/);
    expect(skipLines(first.stderr)).toEqual(localLines);
    expect(readFileSync(join(tmp.dir, "queue.json")).equals(readFileSync(join(tmp.dir, "local.json")))).toBe(true);
    // The written references hold no compound variable, and every plain one of every group.
    const refs = JSON.parse(readFileSync(join(tmp.dir, "queue.json"), "utf8")) as { refs: Record<string, unknown> };
    const arrays = Object.keys(refs.refs).filter((key) => key.endsWith("/.zarray")).map((key) => key.slice(0, -"/.zarray".length)).sort();
    expect(arrays).toEqual(["lat", "sub/w", "t2m", "time"]);

    const again = await runVz(["virtualize", ...files(), "--concat-dim", "time", "--skip-unsupported", "--queue", redis.url, "-o", join(tmp.dir, "again.json")]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/\(4 results reused\)/);
    expect(skipLines(again.stderr)).toEqual(localLines);
    expect(readFileSync(join(tmp.dir, "again.json")).equals(readFileSync(join(tmp.dir, "local.json")))).toBe(true);
  }, 120_000);

  it("with --parser hdf5 named, the same lines and the same references", async () => {
    const local = await runVz(["virtualize", ...files(), "--parser", "hdf5", "--concat-dim", "time", "--skip-unsupported", "-o", join(tmp.dir, "named-local.json")]);
    expect(local.code, local.stderr).toBe(0);
    const queued = await runVz(["virtualize", ...files(), "--parser", "hdf5", "--concat-dim", "time", "--skip-unsupported", "--queue", redis.url, "-o", join(tmp.dir, "named-queue.json")]);
    expect(queued.code, queued.stderr).toBe(0);
    expect(skipLines(queued.stderr)).toEqual(inInputOrder(skipLines(local.stderr)));
    expect(skipLines(queued.stderr)).toHaveLength(3);
    expect(readFileSync(join(tmp.dir, "named-queue.json")).equals(readFileSync(join(tmp.dir, "named-local.json")))).toBe(true);
  }, 120_000);

  it("a single file: the local single-file lines, parsed now and reused", async () => {
    const file = files()[2]!;
    const local = await runVz(["virtualize", file, "--skip-unsupported", "-o", join(tmp.dir, "one-local.json")]);
    expect(local.code, local.stderr).toBe(0);
    const localLines = skipLines(local.stderr);
    expect(localLines.map((line) => line.split(":")[0]).sort()).toEqual(compound[2]!.map((name) => `skipped ${name}`).sort());
    for (const run of [1, 2]) {
      const queued = await runVz(["virtualize", file, "--skip-unsupported", "--queue", redis.url, "-o", join(tmp.dir, `one-queue-${run}.json`)]);
      expect(queued.code, queued.stderr).toBe(0);
      expect(skipLines(queued.stderr)).toEqual(localLines);
      expect(readFileSync(join(tmp.dir, `one-queue-${run}.json`)).equals(readFileSync(join(tmp.dir, "one-local.json")))).toBe(true);
    }
  }, 120_000);

  it("without --skip-unsupported the run fails naming a file and its compound variable, as locally, and writes nothing", async () => {
    const local = await runVz(["virtualize", ...files(), "--concat-dim", "time", "-o", join(tmp.dir, "strict-local.json")]);
    const queued = await runVz(["virtualize", ...files(), "--concat-dim", "time", "--queue", redis.url, "-o", join(tmp.dir, "strict-queue.json")]);
    for (const run of [local, queued]) {
      expect(run.code).not.toBe(0);
      expect(skipLines(run.stderr)).toEqual([]);
      // The local run parses files concurrently: whichever failing file comes first is named.
      const match = /vz: error \[UNSUPPORTED\]: file (\d) of 4 \(([^)]+)\): .*variable (\S+): datatype compound/.exec(run.stderr);
      expect(match, run.stderr).not.toBeNull();
      const index = Number(match![1]) - 1;
      expect(match![2]).toBe(urls[index]);
      expect(compound[index]).toContain(match![3]);
      expect(run.stderr).toContain("hint: --skip-unsupported");
    }
    expect(() => readFileSync(join(tmp.dir, "strict-queue.json"))).toThrow();
  }, 120_000);

  it.skipIf(!hasShared)("shared data (h5wasm_array.h5, ref_tst_compounds.nc): skipped variables and attributes reported as locally, same output or same error", async () => {
    // h5wasm_array.h5: compound, float array and string array datasets are left out; the rest is written.
    const local = await runVz(["virtualize", sharedArrays, "--skip-unsupported", "-o", join(tmp.dir, "arrays-local.json")]);
    expect(local.code, local.stderr).toBe(0);
    expect(skipLines(local.stderr).map((line) => line.split(":")[0]).sort()).toEqual(["skipped compound", "skipped float_arr", "skipped string_arr"]);
    const queued = await runVz(["virtualize", sharedArrays, "--skip-unsupported", "--queue", redis.url, "-o", join(tmp.dir, "arrays-queue.json")]);
    expect(queued.code, queued.stderr).toBe(0);
    expect(skipLines(queued.stderr)).toEqual(skipLines(local.stderr));
    expect(readFileSync(join(tmp.dir, "arrays-queue.json")).equals(readFileSync(join(tmp.dir, "arrays-local.json")))).toBe(true);
    // ref_tst_compounds.nc: its only variable is compound (and so is its _FillValue attribute):
    // both runs report the two skipped items and refuse to write an empty output, counting them.
    const localEmpty = await runVz(["virtualize", sharedCompounds, "--skip-unsupported", "-o", join(tmp.dir, "compounds-local.json")]);
    const queuedEmpty = await runVz(["virtualize", sharedCompounds, "--skip-unsupported", "--queue", redis.url, "-o", join(tmp.dir, "compounds-queue.json")]);
    for (const run of [localEmpty, queuedEmpty]) {
      expect(run.code).not.toBe(0);
      expect(run.stderr).toContain("(the parser reported 2 skipped item(s) above)");
    }
    expect(skipLines(localEmpty.stderr)).toHaveLength(2);
    expect(skipLines(queuedEmpty.stderr)).toEqual(skipLines(localEmpty.stderr));
  }, 120_000);
});
