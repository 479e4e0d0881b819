/**
 * Round trips: what writeIcechunk writes, vz's openRepository and a third party (the
 * @earthmover/icechunk binding used directly) read back with h5py's values — given authorisation
 * for the repository's virtual chunk containers, which are persisted in its config. Also the trust
 * rule (containers outside the allowed places are refused) and whole group trees.
 */
import { createHash } from "node:crypto";
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { isVzError, openVirtualDataset, type VirtualDataset } from "@vz/core";
import { registerCodecs } from "@vz/core/codecs";
import { FileReader } from "@vz/core/node";
import { findMotoServer, startS3Server } from "@vz/core/testing/tools";
import hdf5 from "@vz/parser-hdf5";
import * as zarr from "zarrita";
import { afterAll, describe, expect, it, vi } from "vitest";
import { localPathToUrl, resolveLocalPath } from "../src/trust.js";
import { loadIcechunk, normalizeAllowedPrefix, openRepository, repositoryPlace, writeIcechunk } from "../src/index.js";

const dataDir = resolve(fileURLToPath(new URL(".", import.meta.url)), "../../../../shared/data");
const python = "/usr/bin/python3";
const hasPython = existsSync(python) && spawnSync(python, ["-c", "import netCDF4, h5py"]).status === 0;
let icechunkError: string | undefined;
try {
  await loadIcechunk();
} catch (error) {
  icechunkError = (error as Error).message;
}
const skip = !existsSync(dataDir) ? `no shared data at ${dataDir}` : icechunkError;
const airPath = join(dataDir, "netcdf4", "air.nc");
const reader = new FileReader();
const work = mkdtempSync(join(tmpdir(), "vz-icechunk-rt-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function airOracle(variable: string): { shape: number[]; sha256_le: string } {
  return JSON.parse(readFileSync(`${airPath}.oracle.json`, "utf8")).hdf5.datasets[`/${variable}`].values;
}
function sha256(view: ArrayBufferView): string {
  return createHash("sha256").update(new Uint8Array(view.buffer, view.byteOffset, view.byteLength)).digest("hex");
}
async function readArray(store: unknown, path: string) {
  await registerCodecs();
  const array = await zarr.open.v3(zarr.root(store as zarr.Readable).resolve(path), { kind: "array" });
  return zarr.get(array);
}

describe("trust places", () => {
  it("a local repository trusts its folder tree, an S3 one its bucket prefix; allowed folders become file:// directory prefixes", () => {
    expect(repositoryPlace("/data/repo")).toBe("file:///data/repo/");
    expect(repositoryPlace("repo", "/work")).toBe("file:///work/repo/");
    expect(repositoryPlace("s3://bucket/repos/air")).toBe("s3://bucket/repos/air/");
    expect(normalizeAllowedPrefix("/data/netcdf")).toBe("file:///data/netcdf/");
    expect(normalizeAllowedPrefix("netcdf", "/data")).toBe("file:///data/netcdf/");
    expect(normalizeAllowedPrefix("s3://bucket/key-prefix")).toBe("s3://bucket/key-prefix");
  });

  it("without Node's builtins (in a browser) local paths resolve and encode exactly as Node's pathToFileURL", () => {
    const ascii = Array.from({ length: 127 }, (_, i) => String.fromCharCode(i + 1)).filter((ch) => ch !== "/").join("");
    const paths = ["/data/a b/ü#1%?.nc", "/x/y/../z/./w", "/tab\there/new\nline", "/back\\slash/[brackets]{braces}|^~", `/all/${ascii}`];
    const withNode = paths.map((p) => localPathToUrl(resolveLocalPath("/", p)));
    const spy = vi.spyOn(process as unknown as { getBuiltinModule: () => unknown }, "getBuiltinModule").mockReturnValue(undefined);
    try {
      expect(paths.map((p) => localPathToUrl(resolveLocalPath("/", p)))).toEqual(withNode);
      expect(resolveLocalPath("/work/a", "../b/./c")).toBe("/work/b/c");
    } finally {
      spy.mockRestore();
    }
    expect(withNode).toEqual(paths.map((p) => pathToFileURL(resolve("/", p)).href));
  });
});

describe.skipIf(Boolean(skip))(`Icechunk round trip${skip ? ` (skipped: ${skip})` : ""}`, () => {
  it("openRepository reads air.nc's values (h5py oracle) when the data folder is allowed, and refuses it otherwise", async () => {
    const vds = await openVirtualDataset(pathToFileURL(airPath).href, { parser: hdf5, reader });
    const location = join(work, "air-repo");
    await writeIcechunk(vds, { location, reader });
    const { store, locations } = await openRepository({ location, allowedPrefixes: [dataDir] });
    expect(locations).toEqual([pathToFileURL(airPath).href]);
    const air = await readArray(store, "air");
    expect(air.shape).toEqual(airOracle("air").shape);
    expect(sha256(air.data as Int16Array)).toBe(airOracle("air").sha256_le);

    const error = await openRepository({ location }).catch((e: unknown) => e);
    expect(isVzError(error, "URL_NOT_ALLOWED")).toBe(true);
    const message = (error as Error).message;
    const prefix = `${pathToFileURL(dirname(airPath)).href}/`;
    expect(message).toContain(`container ${prefix}`);
    expect(message).toContain(`Icechunk repository ${location}`);
    expect(message).toContain(`allowed places (${pathToFileURL(location).href}/)`);
    expect(message).toContain(`--allow ${prefix}`);
    expect(message).toContain('"allow" in vz.config.json');
    // A sibling folder with a common name prefix does not count as allowed.
    const sibling = await openRepository({ location, allowedPrefixes: [`${dirname(airPath)}-other`] }).catch((e: unknown) => e);
    expect(isVzError(sibling, "URL_NOT_ALLOWED")).toBe(true);
  });

  it("a repository whose data sits inside its own folder reads with no allowance", async () => {
    const location = join(work, "self-contained");
    mkdirSync(join(location, "data"), { recursive: true });
    const copy = join(location, "data", "air.nc");
    copyFileSync(airPath, copy);
    const vds = await openVirtualDataset(pathToFileURL(copy).href, { parser: hdf5, reader });
    await writeIcechunk(vds, { location, reader });
    const air = await readArray((await openRepository({ location })).store, "air");
    expect(sha256(air.data as Int16Array)).toBe(airOracle("air").sha256_le);
  });

  it("a third party (the @earthmover/icechunk binding, not vz) finds the persisted containers, authorises them and reads equal values", async () => {
    const vds = await openVirtualDataset(pathToFileURL(airPath).href, { parser: hdf5, reader });
    const location = join(work, "third-party");
    await writeIcechunk(vds, { location, reader });
    const { Repository, Storage } = await import("@earthmover/icechunk");
    const storage = await Storage.newLocalFilesystem(location);
    // No config is passed: the containers come from the repository itself. Authorise the folders of its chunks.
    const sources = await (await (await Repository.open(storage)).readonlySession({ branch: "main" })).allVirtualChunkLocations();
    expect(sources).toEqual([pathToFileURL(airPath).href]);
    const authorize = Object.fromEntries(sources.map((url) => [url.slice(0, url.lastIndexOf("/") + 1), null]));
    const repo = await Repository.open(storage, null, authorize);
    const session = await repo.readonlySession({ branch: "main" });
    const root = zarr.root(session.store as unknown as zarr.Readable);
    const air = await zarr.get(await zarr.open.v3(root.resolve("air"), { kind: "array" }));
    expect(sha256(air.data as Int16Array)).toBe(airOracle("air").sha256_le);
    const lat = await zarr.get(await zarr.open.v3(root.resolve("lat"), { kind: "array" }));
    expect(sha256(lat.data as Float32Array)).toBe(airOracle("lat").sha256_le);
    // Without the authorisation, Icechunk itself refuses the chunk.
    const unauthorised = await (await Repository.open(storage)).readonlySession({ branch: "main" });
    await expect(zarr.get(await zarr.open.v3(zarr.root(unauthorised.store as unknown as zarr.Readable).resolve("air"), { kind: "array" }))).rejects.toThrow(/authorize/);
  });

  it("an append from a second folder adds its container to the persisted ones: both folders' chunks read back", async () => {
    const location = join(work, "two-folders");
    const folders = [join(work, "day1"), join(work, "day2")];
    const datasets: VirtualDataset[] = [];
    for (const folder of folders) {
      mkdirSync(folder, { recursive: true });
      copyFileSync(airPath, join(folder, "air.nc"));
      datasets.push(await openVirtualDataset(pathToFileURL(join(folder, "air.nc")).href, { parser: hdf5, reader, loadableVariables: ["time", "lat", "lon"] }));
    }
    await writeIcechunk(datasets[0]!, { location, reader });
    await writeIcechunk(datasets[1]!, { location, reader, appendDim: "time" });
    const onlyFirst = await openRepository({ location, allowedPrefixes: [folders[0]!] }).catch((e: unknown) => e);
    expect(isVzError(onlyFirst, "URL_NOT_ALLOWED")).toBe(true);
    expect((onlyFirst as Error).message).toContain(`--allow ${pathToFileURL(folders[1]!).href}/`);
    const { store, locations } = await openRepository({ location, allowedPrefixes: folders });
    expect(locations.sort()).toEqual(folders.map((f) => pathToFileURL(join(f, "air.nc")).href));
    const air = await readArray(store, "air");
    const oracle = airOracle("air");
    expect(air.shape).toEqual([oracle.shape[0]! * 2, ...oracle.shape.slice(1)]);
    const half = (air.data as Int16Array).length / 2;
    expect(sha256((air.data as Int16Array).subarray(0, half))).toBe(oracle.sha256_le);
    expect(sha256((air.data as Int16Array).subarray(half))).toBe(oracle.sha256_le);
  });

  it.skipIf(!findMotoServer())("an S3 repository (moto) trusts its bucket prefix: its own data reads with no allowance, local files are refused", async () => {
    const server = await startS3Server({ buckets: ["vz-trust"] });
    try {
      const s3 = {
        region: server.region,
        endpointUrl: server.endpoint,
        forcePathStyle: true,
        allowHttp: true,
        credentials: { accessKeyId: server.credentials.accessKeyId, secretAccessKey: server.credentials.secretAccessKey },
      };
      const source = await server.putObject("vz-trust", "repos/self/data/air.nc", readFileSync(airPath));
      const inside = await openVirtualDataset(source, { parser: hdf5, reader: server.reader });
      await writeIcechunk(inside, { location: "s3://vz-trust/repos/self", s3, reader: server.reader });
      const { store, locations } = await openRepository({ location: "s3://vz-trust/repos/self", s3 });
      expect(locations).toEqual(["s3://vz-trust/repos/self/data/air.nc"]);
      expect(sha256((await readArray(store, "air")).data as Int16Array)).toBe(airOracle("air").sha256_le);

      const local = await openVirtualDataset(pathToFileURL(airPath).href, { parser: hdf5, reader });
      await writeIcechunk(local, { location: "s3://vz-trust/repos/local", s3, reader });
      const error = await openRepository({ location: "s3://vz-trust/repos/local", s3 }).catch((e: unknown) => e);
      expect(isVzError(error, "URL_NOT_ALLOWED")).toBe(true);
      expect((error as Error).message).toContain("allowed places (s3://vz-trust/repos/local/)");
      const { store: allowedStore } = await openRepository({ location: "s3://vz-trust/repos/local", s3, allowedPrefixes: [dirname(airPath)] });
      expect(sha256((await readArray(allowedStore, "air")).data as Int16Array)).toBe(airOracle("air").sha256_le);
    } finally {
      await server.close();
    }
  }, 180_000);

  describe.skipIf(!hasPython)("groups", () => {
    const nested = join(work, "nested", "nested.nc");
    const groups = ["", "g", "g/sub"];
    const variables: Record<string, string> = { "": "t2m", g: "u", "g/sub": "v" };

    function h5pyValues(path: string): { shape: number[]; values: number[] } {
      const script = `import h5py, json, numpy as np
with h5py.File(${JSON.stringify(nested)}, "r") as f:
    d = f[${JSON.stringify(path)}]
    print(json.dumps({"shape": list(d.shape), "values": np.asarray(d[()]).ravel().tolist()}))`;
      return JSON.parse(execFileSync(python, ["-c", script], { encoding: "utf8" }));
    }

    it("writes every group of a tree (Map keyed by group path) and reads nested variables back equal to h5py", async () => {
      mkdirSync(dirname(nested), { recursive: true });
      execFileSync(python, [
        "-c",
        `import netCDF4, numpy as np
with netCDF4.Dataset(${JSON.stringify(nested)}, "w") as ds:
    ds.title = "root"
    ds.createDimension("x", 6); ds.createDimension("y", 4)
    v = ds.createVariable("t2m", "f4", ("y", "x"), zlib=True, chunksizes=(2, 3)); v[:] = np.arange(24, dtype="f4").reshape(4, 6) / 4
    g = ds.createGroup("g"); g.note = "first level"
    u = g.createVariable("u", "i2", ("x",), zlib=True, shuffle=True, chunksizes=(4,)); u[:] = np.arange(6, dtype="i2") * -3
    s = g.createGroup("sub"); s.note = "second level"
    s.createDimension("z", 5)
    w = s.createVariable("v", "f8", ("z", "x")); w[:] = np.arange(30, dtype="f8").reshape(5, 6) ** 1.5`,
      ]);
      const url = pathToFileURL(nested).href;
      const tree = new Map<string, VirtualDataset>();
      for (const group of groups) tree.set(group === "" ? "/" : group, await openVirtualDataset(url, { parser: hdf5, reader, group }));
      const location = join(work, "nested-repo");
      const result = await writeIcechunk(tree, { location, reader, message: "tree" });
      expect(result.arrays).toBeGreaterThanOrEqual(3);
      const { store } = await openRepository({ location, allowedPrefixes: [dirname(nested)] });
      for (const group of groups) {
        const path = group === "" ? variables[group]! : `${group}/${variables[group]}`;
        const got = await readArray(store, path);
        const expected = h5pyValues(`/${path}`);
        expect(got.shape, path).toEqual(expected.shape);
        expect(Array.from(got.data as ArrayLike<number>), path).toEqual(expected.values);
      }
      const groupMeta = async (path: string) => JSON.parse(new TextDecoder().decode((await store.get(path))!)) as { node_type: string; attributes: Record<string, unknown> };
      expect(await groupMeta("zarr.json")).toMatchObject({ node_type: "group", attributes: { title: "root" } });
      expect(await groupMeta("g/zarr.json")).toMatchObject({ node_type: "group", attributes: { note: "first level" } });
      expect(await groupMeta("g/sub/zarr.json")).toMatchObject({ node_type: "group", attributes: { note: "second level" } });
    });

    it("refuses a tree with the root twice or a variable that is also a group, before writing anything", async () => {
      const url = pathToFileURL(nested).href;
      const root = await openVirtualDataset(url, { parser: hdf5, reader });
      const location = join(work, "bad-tree");
      const twice = await writeIcechunk(new Map([["", root], ["/", root]]), { location }).catch((e: unknown) => e);
      expect(isVzError(twice, "INVALID_ARGUMENT")).toBe(true);
      expect((twice as Error).message).toContain('group "/" twice');
      const clash = await writeIcechunk(new Map([["", root], ["t2m", root]]), { location: join(work, "bad-tree-2") }).catch((e: unknown) => e);
      expect(isVzError(clash, "INVALID_ARGUMENT")).toBe(true);
      expect((clash as Error).message).toContain('"/t2m" is both a variable and a group');
    });
  });
});
