/**
 * A Zarr v3 store under an S3 prefix (moto_server on 127.0.0.1): listed through the S3 reader,
 * chunks referenced as s3:// URLs, values read back through the ManifestStore as zarrita reads the
 * store's objects directly. A sibling prefix sharing the name's start is not taken in.
 */
import { findMotoServer, startS3Server, type S3TestServer } from "@vz/core/testing/tools";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as zarr from "zarrita";
import { ManifestArray } from "@vz/core";
import { createZarrParser } from "../src/index.js";
import { readThroughZarrita, sameValues } from "./helpers.js";

const moto = findMotoServer();
const BUCKET = "vz-zarr";

describe.skipIf(!moto)(`Zarr store on S3 (moto)${moto ? "" : " (skipped: moto_server not found)"}`, () => {
  let server: S3TestServer;
  const objects = new Map<string, Uint8Array>();

  beforeAll(async () => {
    const root = zarr.root(objects);
    await zarr.create(root, { attributes: { where: "s3" } });
    await zarr.create(root.resolve("inner"), { attributes: { nested: true } });
    const temp = await zarr.create(root.resolve("inner/temp"), {
      shape: [4, 6],
      chunkShape: [2, 2],
      dtype: "int16",
      codecs: [{ name: "bytes", configuration: { endian: "little" } }, { name: "zstd", configuration: { level: 1, checksum: false } }],
      fillValue: -9,
      dimensionNames: ["y", "x"],
    });
    // Columns 0-3 only: the chunks of columns 4-5 stay missing.
    await zarr.set(temp, [null, zarr.slice(0, 4)], { data: Int16Array.from({ length: 16 }, (_, i) => i * 3 - 20), shape: [4, 4], stride: [4, 1] });
    server = await startS3Server({ buckets: [BUCKET] });
    for (const [key, bytes] of objects) await server.putObject(BUCKET, `data.zarr${key}`, bytes);
    await server.putObject(BUCKET, "data.zarr2/zarr.json", new TextEncoder().encode('{"zarr_format": 3, "node_type": "group"}'));
    await server.putObject(BUCKET, "data.zarr2/other/zarr.json", new TextEncoder().encode("not part of data.zarr"));
  }, 120_000);

  afterAll(async () => {
    await server?.close();
  });

  it("lists the prefix, references s3:// chunks and reads the same values as zarrita", async () => {
    const store = await createZarrParser()(`s3://${BUCKET}/data.zarr`, server.reader);
    expect(store.group.attributes).toEqual({ where: "s3" });
    expect([...store.group.walkArrays()].map(([path]) => path)).toEqual(["inner/temp"]);
    const temp = store.group.resolve("inner/temp") as ManifestArray;
    expect(temp.manifest.chunkCount).toBe(4);
    expect(temp.manifest.get([0, 2])).toBeUndefined();
    expect(temp.manifest.get([1, 1])).toEqual({ url: `s3://${BUCKET}/data.zarr/inner/temp/c/1/1`, offset: 0, length: objects.get("/inner/temp/c/1/1")!.length });
    const oracle = await readThroughZarrita(objects as unknown as zarr.Readable, "inner/temp");
    const ours = await readThroughZarrita(store as unknown as zarr.Readable, "inner/temp");
    expect(ours.shape).toEqual([4, 6]);
    expect(sameValues(ours.values, oracle.values)).toBe(true);
    expect(ours.values.filter((v) => v === -9)).toHaveLength(8);
  });
});
