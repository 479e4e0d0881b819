/**
 * Dense link and attribute storage (h5py, libver="latest"): v2 B-trees of record types 5, 6, 8
 * and 9 walked with iterateBTree2, objects read from the fractal heap (managed objects in direct
 * blocks under one or more levels of indirect blocks, and a huge object). Oracle: the names
 * h5py created, in creation order for the track_order group; the huge attribute's bytes as
 * numpy wrote them; each name's record hash is recomputed with lookup3.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { iterateBTree2 } from "../src/btree2.js";
import { FractalHeap } from "../src/fractal-heap.js";
import { type HdfFile, lookup3 } from "../src/io.js";
import { readObjectHeader } from "../src/object-header.js";
import { FIXTURES_UNAVAILABLE, fixtureDirectory, fixtureJson, openFixture } from "./chunk-index-fixtures.js";

interface DenseGroup {
  /** File of the group when not dense.json's file (the user-block file). */
  file?: string;
  name: string;
  track: boolean;
  links: string[];
  attributes: string[];
  address: number;
}

const skipReason = FIXTURES_UNAVAILABLE ? ` (skipped: ${FIXTURES_UNAVAILABLE})` : "";
const utf8 = new TextDecoder();

/** Fractal heap and index addresses of a link info (0x02) or attribute info (0x15) message. */
async function denseInfo(file: HdfFile, address: number, type: 0x02 | 0x15) {
  const header = await readObjectHeader(file, address);
  const message = header.messages.find((m) => m.type === type);
  if (!message) throw new Error(`no message ${type} in the object header at ${address}`);
  const data = message.data;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const flags = data[1]!;
  let p = 2 + (flags & 1 ? (type === 0x02 ? 8 : 2) : 0);
  const address64 = () => {
    const value = Number(view.getBigUint64(p, true));
    p += 8;
    return value;
  };
  const heap = address64();
  const names = address64();
  const order = flags & 2 ? address64() : -1;
  return { heap, names, order };
}

/** Name of a link message (version 1). */
function linkName(message: Uint8Array): string {
  expect(message[0]).toBe(1);
  const flags = message[1]!;
  let p = 2;
  if (flags & 0x08) p += 1;
  if (flags & 0x04) p += 8;
  if (flags & 0x10) p += 1;
  const sizeBytes = 1 << (flags & 3);
  let length = 0;
  for (let i = sizeBytes - 1; i >= 0; i--) length = length * 256 + message[p + i]!;
  p += sizeBytes;
  return utf8.decode(message.subarray(p, p + length));
}

/** Name of an attribute message (version 3 as written with libver="latest"). */
function attributeName(message: Uint8Array): string {
  expect(message[0]).toBe(3);
  const nameSize = message[2]! | (message[3]! << 8);
  return utf8.decode(message.subarray(9, 9 + nameSize - 1));
}

const u32 = (bytes: Uint8Array, pos: number) => new DataView(bytes.buffer, bytes.byteOffset).getUint32(pos, true);

describe.skipIf(FIXTURES_UNAVAILABLE !== undefined)(`dense links and attributes: v2 B-trees + fractal heap${skipReason}`, () => {
  const dense = FIXTURES_UNAVAILABLE ? { file: "", groups: [] as DenseGroup[] } : fixtureJson<{ file: string; groups: DenseGroup[] }>("dense.json");

  it.each(dense.groups.map((g) => [g.name, g] as const))("group %s: every link name decodes (type 5 records, and type 6 in creation order)", async (_name, group) => {
    const file = await openFixture(group.file ?? dense.file);
    const info = await denseInfo(file, group.address, 0x02);
    const heap = await FractalHeap.open(file, info.heap);
    const names: string[] = [];
    let previousHash = -1;
    for await (const { type, record } of iterateBTree2(file, info.names)) {
      expect(type).toBe(5);
      const hash = u32(record, 0);
      expect(hash).toBeGreaterThanOrEqual(previousHash); // key order
      previousHash = hash;
      const name = linkName(await heap.read(record.subarray(4, 11)));
      expect(lookup3(new TextEncoder().encode(name))).toBe(hash);
      names.push(name);
    }
    expect(names.sort()).toEqual([...group.links].sort());
    if (group.track) {
      const ordered: string[] = [];
      let previous = -1;
      for await (const { type, record } of iterateBTree2(file, info.order)) {
        expect(type).toBe(6);
        const order = Number(new DataView(record.buffer, record.byteOffset).getBigUint64(0, true));
        expect(order).toBeGreaterThan(previous);
        previous = order;
        ordered.push(linkName(await heap.read(record.subarray(8, 15))));
      }
      expect(ordered).toEqual(group.links);
    }
  });

  it.each(dense.groups.map((g) => [g.name, g] as const))("group %s: every attribute name decodes (type 8 records, and type 9 in creation order)", async (_name, group) => {
    const file = await openFixture(group.file ?? dense.file);
    const info = await denseInfo(file, group.address, 0x15);
    const heap = await FractalHeap.open(file, info.heap);
    const names: string[] = [];
    for await (const { type, record } of iterateBTree2(file, info.names)) {
      expect(type).toBe(8);
      const message = await heap.read(record.subarray(0, 8));
      const name = attributeName(message);
      expect(lookup3(new TextEncoder().encode(name))).toBe(u32(record, 13));
      names.push(name);
      if (name === "huge") {
        expect((record[0]! >> 4) & 3).toBe(1); // a huge object
        const expected = readFileSync(path.join(fixtureDirectory(), "huge.bin"));
        expect(Buffer.from(message.subarray(message.length - expected.length)).equals(expected)).toBe(true);
      }
    }
    expect(names.sort()).toEqual([...group.attributes].sort());
    if (group.track) {
      const ordered: string[] = [];
      for await (const { type, record } of iterateBTree2(file, info.order)) {
        expect(type).toBe(9);
        ordered.push(attributeName(await heap.read(record.subarray(0, 8))));
      }
      expect(ordered).toEqual(group.attributes);
    }
  });

  it("the big attribute heap uses nested indirect blocks, and its objects are cached per block", async () => {
    const file = await openFixture(dense.file);
    const group = dense.groups.find((g) => g.name === "big")!;
    const info = await denseInfo(file, group.address, 0x15);
    const heap = await FractalHeap.open(file, info.heap);
    expect(heap.rootRows).toBeGreaterThan(0);
    const maxDirectRows = Math.log2(heap.maxDirectBlockSize) - Math.log2(heap.startingBlockSize) + 2;
    expect(heap.rootRows).toBeGreaterThan(maxDirectRows); // child indirect blocks exist
    expect(heap.flags & 2).toBe(2); // direct blocks are checksummed (and verified on read)
    expect(heap.hugeBTreeAddress).toBeGreaterThan(0); // the huge attribute is found through the heap's v2 B-tree
  });

  it("a flipped byte in a direct block fails its checksum", async () => {
    const { MemoryReader, isVzError } = await import("@vz/core");
    const { HdfFile } = await import("../src/io.js");
    const { readSuperblock } = await import("../src/superblock.js");
    const group = dense.groups.find((g) => g.name === "by_name")!;
    const bytes = new Uint8Array(readFileSync(path.join(fixtureDirectory(), dense.file)));
    const original = await openFixture(dense.file);
    const info = await denseInfo(original, group.address, 0x02);
    // every direct block of this heap: signature "FHDB", version 0, then the heap header address
    const blocks: number[] = [];
    for (let i = bytes.indexOf(0x46); i >= 0 && i < bytes.length - 13; i = bytes.indexOf(0x46, i + 1)) {
      if (bytes[i + 1] === 0x48 && bytes[i + 2] === 0x44 && bytes[i + 3] === 0x42 && Number(new DataView(bytes.buffer).getBigUint64(i + 5, true)) === info.heap) blocks.push(i);
    }
    expect(blocks.length).toBeGreaterThan(0);
    for (const block of blocks) bytes[block + 40]! ^= 0xff;
    const url = "memory://corrupt.h5";
    const file = await HdfFile.open(url, new MemoryReader({ [url]: bytes }));
    await readSuperblock(file);
    const heap = await FractalHeap.open(file, info.heap);
    const record = (await iterateBTree2(file, info.names)[Symbol.asyncIterator]().next()).value as { record: Uint8Array };
    const error = await heap.read(record.record.subarray(4, 11)).then(() => undefined, (e: unknown) => e);
    expect(isVzError(error, "PARSE_FAILED")).toBe(true);
    expect((error as Error).message).toMatch(/fractal heap direct block at file offset \d+: checksum mismatch/);
  });

  it("a corrupt heap header checksum and a bad heap ID raise ParseError", async () => {
    const group = dense.groups.find((g) => g.name === "by_name")!;
    const file = await openFixture(dense.file);
    const info = await denseInfo(file, group.address, 0x02);
    const heap = await FractalHeap.open(file, info.heap);
    await expect(heap.read(new Uint8Array([0x30, 0, 0, 0, 0, 0, 0]))).rejects.toThrow(/heap ID of unknown type 3/);
    await expect(heap.read(new Uint8Array([0x00, 0xff, 0xff, 0xff, 0xff, 0x10, 0x00]))).rejects.toThrow(/fractal heap at file offset/);
    const { MemoryReader, isVzError } = await import("@vz/core");
    const { HdfFile } = await import("../src/io.js");
    const { readSuperblock } = await import("../src/superblock.js");
    const bytes = new Uint8Array(readFileSync(path.join(fixtureDirectory(), dense.file)));
    bytes[info.heap + 20]! ^= 0xff;
    const url = "memory://corrupt.h5";
    const corrupt = await HdfFile.open(url, new MemoryReader({ [url]: bytes }));
    await readSuperblock(corrupt);
    const error = await FractalHeap.open(corrupt, info.heap).then(() => undefined, (e: unknown) => e);
    expect(isVzError(error, "PARSE_FAILED")).toBe(true);
    expect((error as Error).message).toMatch(new RegExp(`fractal heap header at file offset ${info.heap}: checksum mismatch`));
  });
});
