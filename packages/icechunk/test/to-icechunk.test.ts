import { mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { FileReader } from "@vz/core/node";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import {
  ChunkManifestBuilder,
  createArrayMetadata,
  isVzError,
  LoadedArray,
  ManifestArray,
  VirtualDataset,
} from "@vz/core";
import * as zarr from "zarrita";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadIcechunk, openRepositoryFor, virtualChunkContainersFor, writeIcechunk } from "../src/index.js";

let icechunkError: string | undefined;
try {
  await loadIcechunk();
} catch (error) {
  icechunkError = (error as Error).message;
}

/** Writes `steps` time steps of a 2x3 float32 field, one chunk per step, and returns the dataset over them. */
function makeDataset(dir: string, name: string, start: number, steps: number): { vds: VirtualDataset; values: number[]; times: number[] } {
  const path = join(dir, name);
  const values = Array.from({ length: steps * 6 }, (_, i) => (start * 6 + i) * 0.5 - 3);
  const buffer = Buffer.alloc(16 + values.length * 4);
  values.forEach((v, i) => buffer.writeFloatLE(v, 16 + i * 4));
  writeFileSync(path, buffer);
  const url = pathToFileURL(path).href;
  const builder = new ChunkManifestBuilder([steps, 1, 1]);
  for (let t = 0; t < steps; t++) builder.set([t, 0, 0], url, 16 + t * 24, 24);
  const temp = new ManifestArray(
    createArrayMetadata({ shape: [steps, 2, 3], dataType: "float32", chunkShape: [1, 2, 3], fillValue: Number.NaN, dimensionNames: ["time", "y", "x"] }),
    builder.build(),
  );
  const times = Array.from({ length: steps }, (_, i) => start + i);
  const vds = new VirtualDataset({
    variables: {
      temp: { dims: ["time", "y", "x"], attrs: { units: "K" }, data: temp },
      time: {
        dims: ["time"],
        attrs: { units: "days since 2020-01-01" },
        data: new LoadedArray({ dataType: "float64", shape: [steps], values: Float64Array.from(times) }),
      },
      label: { dims: ["x"], attrs: {}, data: new LoadedArray({ dataType: "string", shape: [3], values: ["a", "bé", "c"] }) },
    },
    coordNames: ["time", "label"],
    attrs: { title: "icechunk test" },
  });
  return { vds, values, times };
}

async function readBack(location: string, urls: string[], path: string) {
  const repo = await openRepositoryFor({ location }, urls);
  const session = await repo.readonlySession({ branch: "main" });
  const array = await zarr.open.v3(zarr.root(session.store as unknown as zarr.Readable).resolve(path), { kind: "array" });
  return zarr.get(array);
}

describe.skipIf(Boolean(icechunkError))(`toIcechunk${icechunkError ? ` (skipped: ${icechunkError})` : ""}`, () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "vz-icechunk-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("writes virtual refs and loaded variables that read back exactly through Icechunk's store", async () => {
    const { vds, values, times } = makeDataset(dir, "a.bin", 0, 4);
    const location = join(dir, "repo1");
    const result = await writeIcechunk(vds, { location, message: "first" });
    expect(result).toMatchObject({ arrays: 3, virtualRefs: 4, realChunks: 2 });
    const urls = [pathToFileURL(join(dir, "a.bin")).href];
    const temp = await readBack(location, urls, "temp");
    expect(temp.shape).toEqual([4, 2, 3]);
    expect(Array.from(temp.data as Float32Array)).toEqual(values.map((v) => Math.fround(v)));
    expect(Array.from((await readBack(location, urls, "time")).data as Float64Array)).toEqual(times);
    const labels = await readBack(location, urls, "label");
    expect(Array.from(labels.data as unknown as string[])).toEqual(["a", "bé", "c"]);
  });

  it("appends along time with the same values as writing both at once", async () => {
    const first = makeDataset(dir, "b1.bin", 0, 3);
    const second = makeDataset(dir, "b2.bin", 3, 2);
    const location = join(dir, "repo2");
    await writeIcechunk(first.vds, { location });
    await writeIcechunk(second.vds, { location, appendDim: "time", message: "append" });
    const urls = [pathToFileURL(join(dir, "b1.bin")).href, pathToFileURL(join(dir, "b2.bin")).href];
    const temp = await readBack(location, urls, "temp");
    expect(temp.shape).toEqual([5, 2, 3]);
    expect(Array.from(temp.data as Float32Array)).toEqual([...first.values, ...second.values].map((v) => Math.fround(v)));
    expect(Array.from((await readBack(location, urls, "time")).data as Float64Array)).toEqual([0, 1, 2, 3, 4]);
  });

  it("refuses to append an array whose chunking differs, naming the variable, and leaves the repository unchanged", async () => {
    const first = makeDataset(dir, "c1.bin", 0, 2);
    const location = join(dir, "repo3");
    await writeIcechunk(first.vds, { location });
    const other = makeDataset(dir, "c2.bin", 2, 2);
    const temp = other.vds.variables.get("temp")!.data as ManifestArray;
    const rechunked = new ManifestArray(
      { ...temp.metadata, chunk_grid: { name: "regular", configuration: { chunk_shape: [2, 2, 3] } } },
      new ChunkManifestBuilder([1, 1, 1]).set([0, 0, 0], temp.manifest.urls[0]!, 16, 48).build(),
    );
    const bad = other.vds.with({ variables: { temp: { ...other.vds.variables.get("temp")!, data: rechunked } } });
    const error = await writeIcechunk(bad, { location, appendDim: "time" }).catch((e: unknown) => e);
    expect(isVzError(error, "CONCAT_FAILED")).toBe(true);
    expect((error as Error).message).toContain('cannot append variable "temp" along "time": chunk shape [2, 2, 3] vs [1, 2, 3]');
    const urls = [pathToFileURL(join(dir, "c1.bin")).href];
    expect((await readBack(location, urls, "temp")).shape).toEqual([2, 2, 3]);
  });

  it("records each source file's last-modified time, so a file replaced after virtualization is refused on read", async () => {
    const { vds, values } = makeDataset(dir, "d.bin", 0, 2);
    const location = join(dir, "repo4");
    await writeIcechunk(vds, { location, reader: new FileReader() });
    const urls = [pathToFileURL(join(dir, "d.bin")).href];
    expect(Array.from((await readBack(location, urls, "temp")).data as Float32Array)).toEqual(values.map((v) => Math.fround(v)));
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(dir, "d.bin"), later, later);
    const error = await readBack(location, urls, "temp").catch((e: unknown) => e);
    expect(String((error as Error)?.message ?? error)).toMatch(/checksum of the object owning the virtual chunk has changed/);
  });

  it("builds one container per directory / bucket / origin and authorises them", () => {
    const { containers, authorize } = virtualChunkContainersFor(
      ["file:///data/a/x.nc", "file:///data/a/y.nc", "s3://bucket/k/z.nc", "https://host.example/p/q.tif"],
      { s3: { region: "us-west-2" } },
    );
    expect(Object.keys(containers).sort()).toEqual(["file:///data/a/", "https://host.example/", "s3://bucket/"]);
    expect(containers["file:///data/a/"]!.store).toEqual({ type: "LocalFileSystem", field0: "/data/a/" });
    expect(containers["s3://bucket/"]!.store).toEqual({ type: "S3", field0: { region: "us-west-2" } });
    expect(authorize["s3://bucket/"]).toEqual({ type: "S3", field0: { type: "FromEnv" } });
    expect(authorize["file:///data/a/"]).toBeNull();
  });
});
