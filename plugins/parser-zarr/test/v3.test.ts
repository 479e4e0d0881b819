/**
 * Zarr v3 stores: arrays written with zarrita (`zarr.create` + `zarr.set`; zstd and blosc, chunk
 * key separators "/" and "."), arrays written here by hand (v2 chunk key encoding, a 0-d array) and a sharded
 * array whose shards are assembled here (gzip inner chunks, then the uint64 offset/length index
 * and its crc32c). Oracles: the values the test wrote, and zarrita reading the store directly;
 * vz's ManifestStore over the parser's output must read the same. Then the same store with
 * consolidated metadata, served over HTTP (no listing: chunks found with HEAD).
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HttpReader, ManifestArray, type ManifestStore, toVirtualDataset } from "@vz/core";
import { FileReader, toUrl, writeKerchunk } from "@vz/core/node";
import { startRangeServer } from "@vz/core/testing/tools";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as zarr from "zarrita";
import { createZarrParser } from "../src/index.js";
import { assembleShard, crc32c, DirectoryStore, missingPythonModules, readThroughZarrita, runPython, sameValues, writeJson } from "./helpers.js";

const work = mkdtempSync(join(tmpdir(), "vz-zarr-v3-"));
const storeDir = join(work, "v3.zarr");
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Little-endian bytes of int32 / int16 / float64 values. */
function int32Bytes(values: readonly number[]): Uint8Array {
  return new Uint8Array(Int32Array.from(values).buffer);
}

/** Values of the sharded array: 100 * row + column. */
const SHARDED_SHAPE = [12, 6];
const SHARD = [4, 6];
const INNER = [2, 3];
const SHARDED_FILL = -5;
/** (shard row, inner chunk index) left out; shard row 2 is not written at all. */
const MISSING_INNER = { shard: 1, inner: 3 };

function expectedSharded(): number[] {
  const values: number[] = [];
  for (let i = 0; i < SHARDED_SHAPE[0]!; i++) {
    for (let j = 0; j < SHARDED_SHAPE[1]!; j++) {
      const shard = Math.floor(i / SHARD[0]!);
      const inner = Math.floor((i % SHARD[0]!) / INNER[0]!) * (SHARD[1]! / INNER[1]!) + Math.floor(j / INNER[1]!);
      const absent = shard === 2 || (shard === MISSING_INNER.shard && inner === MISSING_INNER.inner);
      values.push(absent ? SHARDED_FILL : 100 * i + j);
    }
  }
  return values;
}

async function writeShardedArray(): Promise<void> {
  await writeJson(storeDir, "sharded/zarr.json", {
    zarr_format: 3,
    node_type: "array",
    shape: SHARDED_SHAPE,
    data_type: "int32",
    chunk_grid: { name: "regular", configuration: { chunk_shape: SHARD } },
    chunk_key_encoding: { name: "default", configuration: { separator: "/" } },
    fill_value: SHARDED_FILL,
    codecs: [
      {
        name: "sharding_indexed",
        configuration: {
          chunk_shape: INNER,
          codecs: [{ name: "bytes", configuration: { endian: "little" } }, { name: "gzip", configuration: { level: 1 } }],
          index_codecs: [{ name: "bytes", configuration: { endian: "little" } }, { name: "crc32c" }],
          index_location: "end",
        },
      },
    ],
    attributes: { description: "shards assembled by the test" },
    dimension_names: ["row", "column"],
  });
  for (const shard of [0, 1]) {
    const inner: (Uint8Array | undefined)[] = [];
    for (let ci = 0; ci < SHARD[0]! / INNER[0]!; ci++) {
      for (let cj = 0; cj < SHARD[1]! / INNER[1]!; cj++) {
        const index = inner.length;
        if (shard === MISSING_INNER.shard && index === MISSING_INNER.inner) {
          inner.push(undefined);
          continue;
        }
        const values: number[] = [];
        for (let a = 0; a < INNER[0]!; a++) {
          for (let b = 0; b < INNER[1]!; b++) values.push(100 * (shard * SHARD[0]! + ci * INNER[0]! + a) + cj * INNER[1]! + b);
        }
        inner.push(int32Bytes(values));
      }
    }
    const store = new DirectoryStore(storeDir);
    await store.set(`/sharded/c/${shard}/0`, assembleShard(inner));
  }
}

/** The arrays and their expected values where the test knows them independently of zarrita. */
const known: Record<string, { shape: number[]; values: unknown[] }> = {};

beforeAll(async () => {
  const store = new DirectoryStore(storeDir);
  const root = zarr.root(store);
  await zarr.create(root, { attributes: { title: "v3 fixture", answer: 42 } });
  const temp = await zarr.create(root.resolve("temp"), {
    shape: [5, 7],
    chunkShape: [2, 3],
    dtype: "float32",
    codecs: [{ name: "bytes", configuration: { endian: "little" } }, { name: "zstd", configuration: { level: 3, checksum: false } }],
    fillValue: -1.5,
    dimensionNames: ["y", "x"],
    attributes: { units: "K" },
  });
  // Rows 0-3 only: the chunks of row 4 are never written.
  await zarr.set(temp, [zarr.slice(0, 4), null], { data: Float32Array.from({ length: 28 }, (_, i) => i * 0.5 - 3), shape: [4, 7], stride: [7, 1] });
  await zarr.create(root.resolve("g"), { attributes: { level: 1 } });
  const counts = await zarr.create(root.resolve("g/counts"), {
    shape: [6],
    chunkShape: [4],
    dtype: "int32",
    codecs: [{ name: "bytes", configuration: { endian: "little" } }],
    fillValue: 0,
    chunkSeparator: ".",
  });
  await zarr.set(counts, null, { data: Int32Array.from([5, -4, 3, -2, 1, 0]), shape: [6], stride: [1] });
  await zarr.create(root.resolve("g/h"), { attributes: { level: 2 } });
  const flags = await zarr.create(root.resolve("g/h/flags"), {
    shape: [3, 3],
    chunkShape: [2, 2],
    dtype: "uint8",
    codecs: [{ name: "bytes", configuration: {} }, { name: "blosc", configuration: { cname: "lz4", clevel: 5, shuffle: "shuffle", typesize: 1, blocksize: 0 } }],
    fillValue: 9,
  });
  await zarr.set(flags, [zarr.slice(0, 2), zarr.slice(0, 2)], { data: Uint8Array.from([1, 2, 3, 4]), shape: [2, 2], stride: [2, 1] });

  // v2 chunk key encoding (keys "0.0"), written by hand; chunk (1, 0) left out.
  await writeJson(storeDir, "v2keys/zarr.json", {
    zarr_format: 3,
    node_type: "array",
    shape: [4, 4],
    data_type: "int16",
    chunk_grid: { name: "regular", configuration: { chunk_shape: [2, 2] } },
    chunk_key_encoding: { name: "v2", configuration: { separator: "." } },
    fill_value: 77,
    codecs: [{ name: "bytes", configuration: { endian: "big" } }],
    attributes: {},
  });
  const v2values: number[] = [];
  for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) v2values.push(i >= 2 && j < 2 ? 77 : i * 10 + j);
  for (const [ci, cj] of [[0, 0], [0, 1], [1, 1]] as const) {
    const bytes = new Uint8Array(8);
    const view = new DataView(bytes.buffer);
    for (let a = 0; a < 2; a++) for (let b = 0; b < 2; b++) view.setInt16((a * 2 + b) * 2, (ci * 2 + a) * 10 + cj * 2 + b, false);
    writeFileSync(join(storeDir, "v2keys", `${ci}.${cj}`), bytes);
  }
  known.v2keys = { shape: [4, 4], values: v2values };

  // A 0-d array (chunk key "c").
  await writeJson(storeDir, "scalar/zarr.json", {
    zarr_format: 3,
    node_type: "array",
    shape: [],
    data_type: "float64",
    chunk_grid: { name: "regular", configuration: { chunk_shape: [] } },
    chunk_key_encoding: { name: "default", configuration: { separator: "/" } },
    fill_value: "NaN",
    codecs: [{ name: "bytes", configuration: { endian: "little" } }],
    attributes: { note: "0-d" },
  });
  writeFileSync(join(storeDir, "scalar", "c"), new Uint8Array(new Float64Array([6.25]).buffer));
  known.scalar = { shape: [], values: [6.25] };

  await writeShardedArray();
  known.sharded = { shape: SHARDED_SHAPE, values: expectedSharded() };
});

const ARRAYS = ["temp", "g/counts", "g/h/flags", "v2keys", "scalar", "sharded"];

async function compareWithZarrita(store: ManifestStore): Promise<void> {
  const direct = new DirectoryStore(storeDir);
  expect([...store.group.walkArrays()].map(([path]) => path).sort()).toEqual([...ARRAYS].sort());
  for (const path of ARRAYS) {
    const oracle = await readThroughZarrita(direct as unknown as zarr.Readable, path);
    if (known[path]) {
      expect(oracle.shape, `${path}: zarrita's shape`).toEqual(known[path]!.shape);
      expect(sameValues(oracle.values, known[path]!.values), `${path}: zarrita reads what the test wrote`).toBe(true);
    }
    const ours = await readThroughZarrita(store as unknown as zarr.Readable, path);
    expect(ours.shape, `${path} shape`).toEqual(oracle.shape);
    expect(sameValues(ours.values, oracle.values), `${path}: ${JSON.stringify(ours.values)} vs ${JSON.stringify(oracle.values)}`).toBe(true);
  }
}

describe("Zarr v3", () => {
  it("crc32c matches the Castagnoli check value", () => {
    expect(crc32c(new TextEncoder().encode("123456789"))).toBe(0xe3069283);
  });

  it("every array (sharded or not, any key encoding) reads back through the ManifestStore as zarrita reads the store", async () => {
    const store = await createZarrParser()(toUrl(storeDir), new FileReader());
    await compareWithZarrita(store);
    expect(store.group.attributes).toEqual({ title: "v3 fixture", answer: 42 });
    expect([...store.group.walkGroups()].map(([path]) => path).sort()).toEqual(["", "g", "g/h"]);
  });

  it("references shards whole, with the sharding_indexed codec kept; missing chunks and shards stay missing", async () => {
    const store = await createZarrParser()(toUrl(storeDir), new FileReader());
    const sharded = store.group.resolve("sharded") as ManifestArray;
    expect(sharded.chunks).toEqual(SHARD);
    expect(sharded.metadata.codecs.map((c) => c.name)).toEqual(["sharding_indexed"]);
    expect(sharded.metadata.dimension_names).toEqual(["row", "column"]);
    expect(sharded.manifest.shape).toEqual([3, 1]);
    expect(sharded.manifest.chunkCount).toBe(2);
    for (const shard of [0, 1]) {
      const file = join(storeDir, "sharded", "c", String(shard), "0");
      expect(sharded.manifest.get([shard, 0])).toEqual({ url: toUrl(file), offset: 0, length: statSync(file).size });
    }
    expect(sharded.manifest.get([2, 0])).toBeUndefined();
    const temp = store.group.resolve("temp") as ManifestArray;
    expect(temp.manifest.chunkCount).toBe(2 * 3);
    expect(temp.manifest.get([2, 0])).toBeUndefined();
    const counts = store.group.resolve("g/counts") as ManifestArray;
    expect(counts.manifest.get([1])).toMatchObject({ url: toUrl(join(storeDir, "g/counts/c.1")) });
    expect(counts.metadata.chunk_key_encoding).toEqual({ name: "default", configuration: { separator: "/" } });
    expect((store.group.resolve("v2keys") as ManifestArray).manifest.chunkCount).toBe(3);
  });

  it("consolidated metadata over HTTP (no listing): chunks found with HEAD, same values", async () => {
    const copy = join(work, "v3c.zarr");
    cpSync(storeDir, copy, { recursive: true });
    const rootDocument = JSON.parse(readFileSync(join(copy, "zarr.json"), "utf8")) as Record<string, unknown>;
    const metadata: Record<string, unknown> = {};
    for (const path of [...ARRAYS, "g", "g/h"]) metadata[path] = JSON.parse(readFileSync(join(copy, path, "zarr.json"), "utf8"));
    rootDocument.consolidated_metadata = { kind: "inline", must_understand: false, metadata };
    writeFileSync(join(copy, "zarr.json"), JSON.stringify(rootDocument));
    const server = await startRangeServer({ root: work });
    try {
      const store = await createZarrParser()(`${server.url}/v3c.zarr`, new HttpReader());
      await compareWithZarrita(store);
      const sharded = store.group.resolve("sharded") as ManifestArray;
      expect(sharded.manifest.chunkCount).toBe(2);
      expect(sharded.manifest.get([0, 0])).toMatchObject({ url: `${server.url}/v3c.zarr/sharded/c/0/0`, offset: 0 });
      // The store without consolidated metadata cannot be read over HTTP: its nodes cannot be found.
      await expect(createZarrParser()(`${server.url}/v3.zarr`, new HttpReader())).rejects.toMatchObject({
        code: "UNSUPPORTED",
        feature: "zarr-hierarchy-without-listing",
      });
    } finally {
      await server.close();
    }
  });

  it('shards: "inner" reads each shard index and references inner chunks; same values; missing inner chunks stay missing', async () => {
    const store = await createZarrParser({ shards: "inner" })(toUrl(storeDir), new FileReader());
    await compareWithZarrita(store);
    const sharded = store.group.resolve("sharded") as ManifestArray;
    expect(sharded.chunks).toEqual(INNER);
    expect(sharded.metadata.codecs.map((c) => c.name)).toEqual(["bytes", "gzip"]);
    expect(sharded.manifest.shape).toEqual([6, 2]);
    expect(sharded.manifest.chunkCount).toBe(4 + 3);
    expect(sharded.manifest.get([3, 1])).toBeUndefined(); // shard 1, inner chunk 3
    expect(sharded.manifest.get([4, 0])).toBeUndefined(); // shard 2 (absent)
    const shard0 = toUrl(join(storeDir, "sharded", "c", "0", "0"));
    expect(sharded.manifest.get([0, 0])).toMatchObject({ url: shard0, offset: 0 });
    // The other arrays are unchanged.
    expect((store.group.resolve("temp") as ManifestArray).manifest.chunkCount).toBe(6);
  });

  it('shards: "inner": a corrupt shard index (crc32c) is a PARSE_FAILED naming the array and the shard', async () => {
    const copy = join(work, "corrupt-index.zarr");
    cpSync(storeDir, copy, { recursive: true });
    const shardFile = join(copy, "sharded", "c", "1", "0");
    const bytes = readFileSync(shardFile);
    bytes[bytes.length - 10]! ^= 0xff; // inside the offset/length pairs
    writeFileSync(shardFile, bytes);
    await expect(createZarrParser({ shards: "inner" })(toUrl(copy), new FileReader())).rejects.toMatchObject({
      code: "PARSE_FAILED",
      variable: "sharded",
      message: expect.stringMatching(/array "sharded": shard .*sharded\/c\/1\/0: the index checksum/),
    });
    // Keeping shards reads no index: the parse succeeds.
    await expect(createZarrParser()(toUrl(copy), new FileReader())).resolves.toBeDefined();
  });

  const python = missingPythonModules(["zarr", "fsspec", "numcodecs"]);
  it.skipIf(python.length > 0)(
    `shards: "inner" makes a sharded array expressible as kerchunk references that zarr-python 2 reads${python.length ? ` (skipped: ${python.join(", ")} missing)` : ""}`,
    async () => {
      const store = await createZarrParser({ shards: "inner" })(toUrl(storeDir), new FileReader());
      const vds = await toVirtualDataset(store, { loadableVariables: [], dropVariables: ["g", "scalar"] });
      const refs = join(work, "inner.json");
      await writeKerchunk(vds, refs);
      const read = JSON.parse(runPython([resolve(import.meta.dirname, "python/read-refs.py"), refs, "sharded"])) as {
        shape: number[];
        values: number[];
        compressor: unknown;
      };
      expect(read.shape).toEqual(SHARDED_SHAPE);
      expect(read.compressor).toEqual({ id: "gzip", level: 1 });
      expect(sameValues(read.values, expectedSharded())).toBe(true);
      // Keeping shards, the kerchunk writer refuses the array with a typed error.
      const kept = await toVirtualDataset(await createZarrParser()(toUrl(storeDir), new FileReader()), { loadableVariables: [] });
      await expect(writeKerchunk(kept, join(work, "kept.json"))).rejects.toMatchObject({ code: "UNSUPPORTED" });
    },
  );

  const cli = resolve(import.meta.dirname, "../../../apps/cli/dist/bin.js");
  it.skipIf(!existsSync(cli))("vz virtualize --format icechunk writes the store (shards kept) into an Icechunk repository that reads back the same", async (context) => {
    let icechunk: typeof import("@vz/icechunk");
    try {
      icechunk = await import("@vz/icechunk");
      await icechunk.loadIcechunk();
    } catch (error) {
      context.skip(`Icechunk cannot load: ${(error as Error).message}`);
      return;
    }
    const repo = join(work, "repo");
    execFileSync(process.execPath, [cli, "virtualize", storeDir, "--parser", "zarr", "--format", "icechunk", "-o", repo, "--loadable", ""], {
      cwd: work,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const store = await createZarrParser()(toUrl(storeDir), new FileReader());
    const urls = new Set<string>();
    for (const [, array] of store.group.walkArrays()) for (const url of array.manifest.urls) urls.add(url);
    const session = await (await icechunk.openRepositoryFor({ location: repo }, urls)).readonlySession({ branch: "main" });
    for (const path of ["sharded", "temp", "v2keys", "scalar"]) {
      const direct = await readThroughZarrita(new DirectoryStore(storeDir) as unknown as zarr.Readable, path);
      const read = await readThroughZarrita(session.store as unknown as zarr.Readable, path);
      expect(read.shape, path).toEqual(direct.shape);
      expect(sameValues(read.values, direct.values), `${path} from Icechunk`).toBe(true);
    }
  });
});
