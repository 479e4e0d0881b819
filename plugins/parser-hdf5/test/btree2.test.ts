/**
 * iterateBTree2 on the chunk-index v2 B-trees h5py wrote (records of type 10 and 11): depth of
 * the trees, key order of the in-order traversal (records sorted by their scaled chunk offsets),
 * record count against the header, and agreement with the unordered level-by-level walk.
 */
import { describe, expect, it } from "vitest";
import { forEachBTree2Record, iterateBTree2, readBTree2Header } from "../src/btree2.js";
import { chunkIndexInfoAt, FIXTURES_UNAVAILABLE, fixtureCases, openFixture } from "./chunk-index-fixtures.js";

const skipReason = FIXTURES_UNAVAILABLE ? ` (skipped: ${FIXTURES_UNAVAILABLE})` : "";
const CASES = FIXTURES_UNAVAILABLE ? [] : fixtureCases().filter((c) => c.kind === "btree-v2");

/** The scaled offsets at the end of a chunk record, as one comparable key. */
function scaledKey(record: Uint8Array, rank: number): bigint[] {
  const view = new DataView(record.buffer, record.byteOffset, record.byteLength);
  const key: bigint[] = [];
  for (let i = 0; i < rank; i++) key.push(view.getBigUint64(record.length - 8 * (rank - i), true));
  return key;
}

const compare = (a: bigint[], b: bigint[]) => {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  return 0;
};

describe.skipIf(FIXTURES_UNAVAILABLE !== undefined)(`iterateBTree2 on chunk-index B-trees${skipReason}`, () => {
  it.each(CASES.map((c) => [c.name, c] as const))("%s: records in key order, all of them", async (_name, fixture) => {
    const file = await openFixture(fixture.file);
    const info = await chunkIndexInfoAt(file, fixture.address, fixture.name);
    const header = await readBTree2Header(file, file.absolute(info.address));
    expect(header.type).toBe(fixture.filtered ? 11 : 10);
    const keys: bigint[][] = [];
    for await (const { type, record } of iterateBTree2(file, info.address)) {
      expect(type).toBe(header.type);
      expect(record.length).toBe(header.recordSize);
      keys.push(scaledKey(record, info.shape.length));
    }
    expect(keys.length).toBe(header.totalRecords);
    expect(keys.length).toBe(fixture.chunkList.length);
    for (let i = 1; i < keys.length; i++) expect(compare(keys[i - 1]!, keys[i]!)).toBe(-1);
    const unordered: bigint[][] = [];
    await forEachBTree2Record(file, header, (bytes, _view, pos) => unordered.push(scaledKey(bytes.subarray(pos, pos + header.recordSize), info.shape.length)));
    expect(unordered.sort(compare)).toEqual(keys);
  });

  it("the 6,000-chunk tree has internal nodes two levels deep", async () => {
    const fixture = CASES.find((c) => c.name === "/btree2_deep")!;
    const file = await openFixture(fixture.file);
    const info = await chunkIndexInfoAt(file, fixture.address, fixture.name);
    const header = await readBTree2Header(file, file.absolute(info.address));
    expect(header.depth).toBeGreaterThanOrEqual(2);
    expect(header.totalRecords).toBe(6000);
  });
});
