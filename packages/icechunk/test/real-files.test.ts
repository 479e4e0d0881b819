/**
 * Real files from ../shared/data (a netCDF4 file and a GeoTIFF) virtualized into Icechunk
 * repositories — on the local file system and on S3 (moto_server on 127.0.0.1) — and read back
 * through Icechunk's own Store with zarrita: values equal the h5py / GDAL oracle's sha256.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { openVirtualDataset, type VirtualDataset } from "@vz/core";
import { FileReader } from "@vz/core/node";
import { findMotoServer, startS3Server } from "@vz/core/testing/tools";
import hdf5 from "@vz/parser-hdf5";
import tiff from "@vz/parser-tiff";
import * as zarr from "zarrita";
import { afterAll, describe, expect, it } from "vitest";
import { loadIcechunk, openRepositoryFor, writeIcechunk } from "../src/index.js";

const dataDir = resolve(fileURLToPath(new URL(".", import.meta.url)), "../../../../shared/data");
let icechunkError: string | undefined;
try {
  await loadIcechunk();
} catch (error) {
  icechunkError = (error as Error).message;
}
const skip = !existsSync(dataDir) ? `no shared data at ${dataDir}` : icechunkError;

function oracle(path: string): Record<string, any> {
  return JSON.parse(readFileSync(`${path}.oracle.json`, "utf8"));
}
function sha256(view: ArrayBufferView): string {
  return createHash("sha256").update(new Uint8Array(view.buffer, view.byteOffset, view.byteLength)).digest("hex");
}
async function readBack(location: string, urls: string[], path: string, s3?: Parameters<typeof openRepositoryFor>[0]["s3"]) {
  const repo = await openRepositoryFor({ location, ...(s3 ? { s3 } : {}) }, urls);
  const session = await repo.readonlySession({ branch: "main" });
  const array = await zarr.open.v3(zarr.root(session.store as unknown as zarr.Readable).resolve(path), { kind: "array" });
  return zarr.get(array);
}

describe.skipIf(Boolean(skip))(`Icechunk with real files${skip ? ` (skipped: ${skip})` : ""}`, () => {
  const work = mkdtempSync(join(tmpdir(), "vz-icechunk-real-"));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const reader = new FileReader();
  const airPath = join(dataDir, "netcdf4", "air.nc");
  const bytePath = join(dataDir, "tiff", "byte.tif");

  it("netCDF4 (air.nc): virtual refs read back through Icechunk's Store equal h5py's values", async () => {
    const url = pathToFileURL(airPath).href;
    const vds: VirtualDataset = await openVirtualDataset(url, { parser: hdf5, reader });
    const location = join(work, "air-repo");
    const result = await writeIcechunk(vds, { location, reader, message: "air.nc" });
    expect(result.virtualRefs).toBeGreaterThan(0);
    const air = await readBack(location, [url], "air");
    const expected = oracle(airPath).hdf5.datasets["/air"].values;
    expect(air.shape).toEqual(expected.shape);
    expect(sha256(air.data as Int16Array)).toBe(expected.sha256_le);
    const lat = await readBack(location, [url], "lat");
    expect(sha256(lat.data as Float32Array)).toBe(oracle(airPath).hdf5.datasets["/lat"].values.sha256_le);
  });

  it("GeoTIFF (byte.tif): the image read back through Icechunk's Store equals GDAL's", async () => {
    const url = pathToFileURL(bytePath).href;
    const vds = await openVirtualDataset(url, { parser: tiff, reader });
    const location = join(work, "tiff-repo");
    await writeIcechunk(vds, { location, reader });
    const image = await readBack(location, [url], "0");
    const expected = oracle(bytePath).tiff.gdal.values_band_y_x;
    expect(sha256(image.data as Uint8Array)).toBe(expected.sha256_le);
  });

  it.skipIf(!findMotoServer())("an S3-backed repository (moto on 127.0.0.1) works the same", async () => {
    const server = await startS3Server({ buckets: ["vz-icechunk"] });
    try {
      const url = pathToFileURL(airPath).href;
      const vds = await openVirtualDataset(url, { parser: hdf5, reader });
      const s3 = {
        region: server.region,
        endpointUrl: server.endpoint,
        forcePathStyle: true,
        allowHttp: true,
        credentials: { accessKeyId: server.credentials.accessKeyId, secretAccessKey: server.credentials.secretAccessKey },
      };
      const location = "s3://vz-icechunk/repos/air";
      await writeIcechunk(vds, { location, s3, reader });
      const air = await readBack(location, [url], "air", s3);
      expect(sha256(air.data as Int16Array)).toBe(oracle(airPath).hdf5.datasets["/air"].values.sha256_le);
      const listing: string[] = [];
      for await (const object of server.reader.list("s3://vz-icechunk/repos/air/")) listing.push(object.url);
      expect(listing.some((u) => u.includes("/snapshots/"))).toBe(true);
    } finally {
      await server.close();
    }
  }, 180_000);
});
