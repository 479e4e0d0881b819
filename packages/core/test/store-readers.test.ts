/**
 * A hand-built ManifestStore over a file whose bytes this test writes reads back the exact values
 * through zarrita — from the local file, over HTTP (a Range server on 127.0.0.1) and from S3
 * (moto_server on 127.0.0.1, skipped with a message when moto is not installed).
 */
import { deflateSync } from "node:zlib";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import * as zarr from "zarrita";
import { afterAll, describe, expect, it } from "vitest";
import {
  ChunkManifestBuilder,
  createArrayMetadata,
  HttpReader,
  ManifestArray,
  ManifestGroup,
  ManifestStore,
  type ObjectReader,
} from "../src/index.js";
import { FileReader } from "../src/node.js";
import { findMotoServer, startRangeServer, startS3Server } from "../src/testing-tools.js";

// 5 x 6 float64 "temp" in chunks of 2 x 3 (grid 3 x 2; the last row of chunks is partial and
// stored full-size), chunk [1, 1] zlib-free but chunk order in the file reversed; and a
// zlib-compressed big-endian int16 "count" of 7 values in chunks of 4.
const temp = Array.from({ length: 30 }, (_, i) => Math.sin(i) * 100);
const count = [-3, 7, 32767, -32768, 0, 12, 99];
const layout: { key: [number, number]; offset: number; length: number }[] = [];
const zlibChunks: { offset: number; length: number }[] = [];

function buildFile(): Uint8Array {
  const parts: Uint8Array[] = [new Uint8Array(17)]; // a header the store must skip
  let position = 17;
  for (let ci = 2; ci >= 0; ci--) {
    for (let cj = 1; cj >= 0; cj--) {
      const chunk = new Float64Array(6);
      for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) {
        const row = ci * 2 + i;
        chunk[i * 3 + j] = row < 5 ? temp[row * 6 + cj * 3 + j]! : 0;
      }
      const bytes = new Uint8Array(chunk.buffer);
      layout.push({ key: [ci, cj], offset: position, length: bytes.length });
      parts.push(bytes);
      position += bytes.length;
    }
  }
  for (let c = 0; c < 2; c++) {
    const raw = new Uint8Array(8);
    const view = new DataView(raw.buffer);
    for (let k = 0; k < 4; k++) view.setInt16(k * 2, count[c * 4 + k] ?? 0, false);
    const compressed = deflateSync(raw);
    zlibChunks.push({ offset: position, length: compressed.length });
    parts.push(compressed);
    position += compressed.length;
  }
  const out = new Uint8Array(position);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function storeFor(url: string, reader: ObjectReader): ManifestStore {
  const tempBuilder = new ChunkManifestBuilder([3, 2]);
  for (const entry of layout) tempBuilder.set(entry.key, url, entry.offset, entry.length);
  const countBuilder = new ChunkManifestBuilder([2]);
  zlibChunks.forEach((c, i) => countBuilder.set([i], url, c.offset, c.length));
  return new ManifestStore(
    new ManifestGroup({
      arrays: {
        temp: new ManifestArray(createArrayMetadata({ shape: [5, 6], dataType: "float64", chunkShape: [2, 3], dimensionNames: ["y", "x"] }), tempBuilder.build()),
        count: new ManifestArray(
          createArrayMetadata({
            shape: [7],
            dataType: "int16",
            chunkShape: [4],
            codecs: [{ name: "bytes", configuration: { endian: "big" } }, { name: "numcodecs.zlib", configuration: { level: 6 } }],
          }),
          countBuilder.build(),
        ),
      },
    }),
    reader,
  );
}

async function expectValues(store: ManifestStore): Promise<void> {
  const root = zarr.root(store as unknown as zarr.Readable);
  const tempArray = await zarr.open.v3(root.resolve("temp"), { kind: "array" });
  expect(Array.from((await zarr.get(tempArray)).data as Float64Array)).toEqual(temp);
  const part = await zarr.get(tempArray, [zarr.slice(1, 4), 4]);
  expect(Array.from(part.data as Float64Array)).toEqual([temp[10], temp[16], temp[22]]);
  const countArray = await zarr.open.v3(root.resolve("count"), { kind: "array" });
  expect(Array.from((await zarr.get(countArray)).data as Int16Array)).toEqual(count);
}

const bytes = buildFile();
const dir = mkdtempSync(join(tmpdir(), "vz-store-readers-"));
const path = join(dir, "data.bin");
writeFileSync(path, bytes);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("ManifestStore + zarrita over real readers", () => {
  it("reads exact values from a local file (FileReader)", async () => {
    await expectValues(storeFor(pathToFileURL(path).href, new FileReader()));
  });

  it("reads exact values over HTTP Range requests (HttpReader against a loopback server)", async () => {
    const server = await startRangeServer({ files: { "/data/data.bin": bytes } });
    try {
      await expectValues(storeFor(`${server.url}/data/data.bin`, new HttpReader()));
      expect(server.log.some((r) => r.status === 206)).toBe(true);
    } finally {
      await server.close();
    }
  });

  it.skipIf(!findMotoServer())(`reads exact values from S3 (S3Reader against moto_server)${findMotoServer() ? "" : " — skipped: moto_server not installed"}`, async () => {
    const server = await startS3Server({ buckets: ["vz-store"] });
    try {
      const url = await server.putObject("vz-store", "nested/data.bin", bytes);
      await expectValues(storeFor(url, server.reader));
    } finally {
      await server.close();
    }
  }, 120_000);
});
