/**
 * readChunkIndex against h5py for every chunk index type: files generated at test time by
 * chunk-index-fixtures.py (h5py 3.7 / HDF5 1.10.8), oracle = h5py's get_chunk_info for every
 * allocated chunk (element offsets, filter mask, byte offset, size), compared chunk by chunk.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { isVzError, MemoryReader } from "@vz/core";
import { describe, expect, it } from "vitest";
import { type ChunkIndexInfo, readChunkIndex } from "../src/chunk-index.js";
import { ALL_FILTERS_SKIPPED } from "../src/chunk-index-shared.js";
import { HdfFile } from "../src/io.js";
import { readSuperblock } from "../src/superblock.js";
import {
  chunkIndexInfoAt,
  type FixtureCase,
  FIXTURES_UNAVAILABLE,
  fixtureCases,
  fixtureDirectory,
  fixtureJson,
  flatIndexOf,
  openFixture,
} from "./chunk-index-fixtures.js";

const CASES: FixtureCase[] = FIXTURES_UNAVAILABLE ? [] : fixtureCases();
const skipReason = FIXTURES_UNAVAILABLE ? ` (skipped: ${FIXTURES_UNAVAILABLE})` : "";

type Entry = [address: number, size: number, mask: number];

async function enumerate(file: HdfFile, info: ChunkIndexInfo): Promise<Map<number, Entry>> {
  const chunks = new Map<number, Entry>();
  await readChunkIndex(file, info, (flat, address, size, mask) => {
    if (chunks.has(flat)) throw new Error(`chunk ${flat} reported twice`);
    chunks.set(flat, [file.absolute(address), size, mask]);
  });
  return chunks;
}

function isPartialEdge(offsets: number[], info: ChunkIndexInfo): boolean {
  return offsets.some((offset, i) => offset + info.chunkShape[i]! > info.shape[i]!);
}

describe.skipIf(FIXTURES_UNAVAILABLE !== undefined)(`readChunkIndex against h5py get_chunk_info${skipReason}`, () => {
  it("covers every index type, with and without filters", () => {
    const kinds = new Set(CASES.map((c) => `${c.kind}${c.filtered ? "+filters" : ""}`));
    for (const kind of ["btree-v1", "single", "implicit", "fixed-array", "extensible-array", "btree-v2"]) expect(kinds).toContain(kind);
    for (const kind of ["btree-v1", "single", "fixed-array", "extensible-array", "btree-v2"]) expect(kinds).toContain(`${kind}+filters`);
  });

  it.each(CASES.map((c) => [`${c.file}:${c.name} (${c.kind}, ${c.chunkList.length} chunks; oracle: ${c.oracle})`, c] as const))("%s", async (_label, fixture) => {
    const file = await openFixture(fixture.file);
    const info = await chunkIndexInfoAt(file, fixture.address, fixture.name);
    expect(info.indexType).toBe(fixture.kind);
    expect(info.shape).toEqual(fixture.shape);
    expect(info.chunkShape).toEqual(fixture.chunks);
    const chunkBytes = info.chunkShape.reduce((a, b) => a * b, info.elementSize);
    const expected = new Map<number, Entry>();
    for (const [offsets, mask, byteOffset, size] of fixture.chunkList) {
      let expectedMask = mask;
      if (((info.layoutFlags ?? 0) & 1) === 1 && isPartialEdge(offsets, info)) {
        // Stored unfiltered: h5py reports the raw size; vz flags every filter as skipped.
        expect(size).toBe(chunkBytes);
        expectedMask = ALL_FILTERS_SKIPPED;
      }
      expected.set(flatIndexOf(offsets, info), [byteOffset + fixture.userblock, size, expectedMask]);
    }
    const actual = await enumerate(file, info);
    const sorted = (map: Map<number, Entry>) => [...map.entries()].sort((a, b) => a[0] - b[0]);
    expect(sorted(actual)).toEqual(sorted(expected));
    expect(file.baseAddress).toBe(fixture.userblock);
  });

  it("with a user block, the bytes at the reported offsets are the chunks' data", async () => {
    const cases = CASES.filter((c) => c.userblock > 0 && !c.filtered);
    expect(cases.length).toBe(3);
    const bytes = readFileSync(path.join(fixtureDirectory(), "userblock.h5"));
    for (const fixture of cases) {
      const file = await openFixture(fixture.file);
      const info = await chunkIndexInfoAt(file, fixture.address, fixture.name);
      const chunks = await enumerate(file, info);
      expect(chunks.size).toBe(32); // 30 x 10 in 4 x 3 chunks: a grid of 8 x 4
      // data = arange(300).reshape(30, 10): chunk (i, j) starts with element 40 i + 3 j
      for (const [flat, [address]] of chunks) {
        const first = Math.floor(flat / 4) * 40 + (flat % 4) * 3;
        expect(bytes.readInt32LE(address)).toBe(first);
      }
    }
  });

  it("partial edge chunks stored unfiltered are reported with every filter skipped", async () => {
    const edges = CASES.filter((c) => c.file === "edge.h5");
    expect(edges.length).toBe(3);
    for (const fixture of edges) {
      const file = await openFixture(fixture.file);
      const info = await chunkIndexInfoAt(file, fixture.address, fixture.name);
      expect((info.layoutFlags ?? 0) & 1).toBe(1);
      const chunks = await enumerate(file, info);
      const skipped = [...chunks.values()].filter((entry) => entry[2] === ALL_FILTERS_SKIPPED).length;
      // 45 x 33 in 10 x 8 chunks: grid 5 x 5, partial in the last row and the last column.
      expect(skipped).toBe(9);
    }
  });

  it("extensible array with 140,010 chunks (paged data blocks): every chunk holds its own row", async () => {
    const large = fixtureJson<{
      file: string; name: string; address: number; count: number;
      sample: [number[], number | null, number | null, number | null][];
    }>("earray_large.json");
    const file = await openFixture(large.file);
    const info = await chunkIndexInfoAt(file, large.address, large.name);
    expect(info.indexType).toBe("extensible-array");
    const chunks = await enumerate(file, info);
    expect(chunks.size).toBe(large.count);
    const bytes = readFileSync(path.join(fixtureDirectory(), large.file));
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let checked = 0;
    const wrong: string[] = [];
    for (const [flat, [address, size, mask]] of chunks) {
      if (size !== 8 || mask !== 0 || view.getInt32(address, true) !== flat || view.getInt32(address + 4, true) !== flat + 1_000_000) {
        wrong.push(`chunk ${flat}: ${size} bytes at ${address} (mask ${mask}) hold ${view.getInt32(address, true)}`);
      }
      checked++;
    }
    expect(wrong.slice(0, 5)).toEqual([]);
    expect(checked).toBe(140_010);
    for (const [[row], mask, byteOffset, size] of large.sample) {
      if (byteOffset === null) expect(chunks.has(row!)).toBe(false);
      else expect(chunks.get(row!)).toEqual([byteOffset, size, mask]);
    }
  });

  it("fetches each level of a multi-level B-tree concurrently (few requests with small cache blocks)", async () => {
    const deep = CASES.find((c) => c.name === "/deep")!;
    const file = await openFixture(deep.file, { blockSize: 4096 });
    const info = await chunkIndexInfoAt(file, deep.address, deep.name);
    const before = file.requests;
    const chunks = await enumerate(file, info);
    expect(chunks.size).toBe(4000);
    // 4000 chunks in a three-level tree: one round of merged requests per level, so a handful.
    expect(file.requests - before).toBeLessThanOrEqual(8);
  });
});

/** Opens `bytes` (a modified fixture) from memory. */
async function openBytes(bytes: Uint8Array): Promise<HdfFile> {
  const url = "memory://corrupt.h5";
  const file = await HdfFile.open(url, new MemoryReader({ [url]: bytes }));
  await readSuperblock(file);
  return file;
}

async function expectParseError(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isVzError(error, "PARSE_FAILED"), `expected a ParseError, got ${String(error)}`).toBe(true);
  expect((error as Error).message).toMatch(pattern);
  expect((error as Error).message).toContain("memory://corrupt.h5");
}

describe.skipIf(FIXTURES_UNAVAILABLE !== undefined)(`corrupt chunk indexes raise ParseError${skipReason}`, () => {
  const load = async (fileName: string, name: string) => {
    const fixture = CASES.find((c) => c.file === fileName && c.name === name)!;
    const bytes = new Uint8Array(readFileSync(path.join(fixtureDirectory(), fileName)));
    const original = await openBytes(bytes);
    const info = await chunkIndexInfoAt(original, fixture.address, fixture.name);
    return { bytes, info, index: original.absolute(info.address) };
  };

  it("v1 B-tree node referenced twice (cycle)", async () => {
    const { bytes, info, index } = await load("btree1.h5", "/deep");
    const view = new DataView(bytes.buffer);
    expect(bytes[index + 5]).toBeGreaterThan(0); // root is an internal node
    const keySize = 8 + 8 * (info.shape.length + 1);
    const child0 = index + 24 + keySize;
    const child1 = child0 + keySize + 8;
    view.setBigUint64(child1, view.getBigUint64(child0, true), true);
    await expectParseError(readChunkIndex(await openBytes(bytes), info, () => {}), /referenced twice/);
  });

  it("v1 B-tree with a wrong signature, and a truncated file", async () => {
    const { bytes, info, index } = await load("btree1.h5", "/deep");
    const wrong = bytes.slice();
    wrong[index] = 0x58;
    await expectParseError(readChunkIndex(await openBytes(wrong), info, () => {}), /bad signature/);
    await expectParseError(readChunkIndex(await openBytes(bytes.slice(0, index + 600)), info, () => {}), /end of the file|outside the file/);
  });

  it("v2 B-tree leaf with a flipped byte fails its checksum", async () => {
    const { bytes, info, index } = await load("latest.h5", "/btree2_plain");
    const view = new DataView(bytes.buffer);
    const root = Number(view.getBigUint64(index + 16, true));
    expect(String.fromCharCode(...bytes.subarray(root, root + 4))).toMatch(/BTLF|BTIN/);
    bytes[root + 8]! ^= 0xff;
    await expectParseError(readChunkIndex(await openBytes(bytes), info, () => {}), new RegExp(`checksum mismatch`));
  });

  it("v2 B-tree header claiming more records than the file can hold", async () => {
    const { bytes, info, index } = await load("latest.h5", "/btree2_plain");
    new DataView(bytes.buffer).setBigUint64(index + 26, 1n << 40n, true);
    // the header checksum now fails first: both are corrupt-file ParseErrors naming the offset
    await expectParseError(readChunkIndex(await openBytes(bytes), info, () => {}), new RegExp(`file offset ${index}`));
  });

  it("fixed array data block and extensible array index block checksums", async () => {
    for (const name of ["/farray_plain", "/earray_plain"]) {
      const { bytes, info, index } = await load("latest.h5", name);
      const view = new DataView(bytes.buffer);
      const lengthSize = 8;
      const block = Number(view.getBigUint64(name === "/farray_plain" ? index + 8 + lengthSize : index + 12 + 6 * lengthSize, true));
      bytes[block + 20]! ^= 0x01;
      await expectParseError(readChunkIndex(await openBytes(bytes), info, () => {}), /checksum mismatch/);
    }
  });
});
