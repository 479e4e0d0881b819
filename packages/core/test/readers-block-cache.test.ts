/**
 * withBlockCache over HttpReader, checked by the requests the range server logs: aligned block
 * reads, runs of missing blocks merged into one range, shared in-flight requests, LRU eviction,
 * the clipped last block, large-read bypass, and aborts of one caller not failing another.
 */
import { afterEach, describe, expect, it } from "vitest";
import { HttpReader, withBlockCache } from "../src/index.js";
import { expectBytes, expectVzError, patternBytes, startRangeServer, type RangeServer } from "../src/testing.js";

const BLOCK = 16 * 1024;
const data = patternBytes(10 * BLOCK + 1234, 17);
const servers: RangeServer[] = [];
async function serve(latencyMs = 0): Promise<{ server: RangeServer; url: string }> {
  const server = await startRangeServer({ files: { "/obj.bin": data }, latencyMs });
  servers.push(server);
  return { server, url: `${server.url}/obj.bin` };
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});
const gets = (server: RangeServer): string[] => server.log.filter((entry) => entry.method === "GET").map((entry) => entry.range ?? "");
const range = (firstBlock: number, lastBlock: number): string =>
  `bytes=${firstBlock * BLOCK}-${Math.min(data.length, (lastBlock + 1) * BLOCK) - 1}`;

describe("withBlockCache", () => {
  it("serves many small reads inside one block with one HEAD and one block GET", async () => {
    const { server, url } = await serve();
    const reader = withBlockCache(new HttpReader(), { blockSize: BLOCK, maxBytes: 1024 * 1024 });
    for (const [offset, length] of [
      [0, 8],
      [100, 50],
      [4000, 96],
      [BLOCK - 8, 8],
    ] as const) {
      expectBytes(await reader.getRange(url, offset, length), data.subarray(offset, offset + length));
    }
    expect(server.log.map((entry) => entry.method)).toEqual(["HEAD", "GET"]);
    expect(gets(server)).toEqual([range(0, 0)]);
    expect(reader.stats).toMatchObject({ hits: 3, misses: 1, requests: 1, cachedBytes: BLOCK });
  });

  it("reads spanning blocks fetch the aligned blocks once, merging consecutive missing blocks", async () => {
    const { server, url } = await serve();
    const reader = withBlockCache(new HttpReader({ maxGap: 0 }), { blockSize: BLOCK, maxBytes: 1024 * 1024 });
    expectBytes(await reader.getRange(url, BLOCK + 5, 10), data.subarray(BLOCK + 5, BLOCK + 15));
    // blocks 0..4 wanted, block 1 cached: two runs (0) and (2..4)
    expectBytes(await reader.getRange(url, 10, 4 * BLOCK + 20), data.subarray(10, 4 * BLOCK + 30));
    expect(gets(server).sort()).toEqual([range(1, 1), range(0, 0), range(2, 4)].sort());
    expectBytes(await reader.getRange(url, 0, 5 * BLOCK), data.subarray(0, 5 * BLOCK));
    expect(gets(server).length).toBe(3);
  });

  it("clips the last block to the object size and refuses ranges past the end", async () => {
    const { server, url } = await serve();
    const reader = withBlockCache(new HttpReader(), { blockSize: BLOCK, maxBytes: 1024 * 1024 });
    expectBytes(await reader.getRange(url, data.length - 100, 100), data.subarray(data.length - 100));
    expect(gets(server)).toEqual([range(10, 10)]);
    await expectVzError(reader.getRange(url, data.length - 10, 11), "RANGE_NOT_SATISFIABLE");
    expect(gets(server).length).toBe(1);
  });

  it("concurrent reads of the same blocks share one request", async () => {
    const { server, url } = await serve(50);
    const reader = withBlockCache(new HttpReader(), { blockSize: BLOCK, maxBytes: 1024 * 1024 });
    const reads = Array.from({ length: 10 }, (_, i) => reader.getRange(url, i * 1000, 3000));
    const results = await Promise.all(reads);
    results.forEach((bytes, i) => expectBytes(bytes, data.subarray(i * 1000, i * 1000 + 3000)));
    expect(gets(server)).toEqual([range(0, 0)]);
    expect(server.log.filter((entry) => entry.method === "HEAD").length).toBe(1);
    expect(reader.stats.shared).toBeGreaterThan(0);
  });

  it("evicts least recently used blocks beyond maxBytes", async () => {
    const { server, url } = await serve();
    const reader = withBlockCache(new HttpReader(), { blockSize: BLOCK, maxBytes: 2 * BLOCK });
    await reader.getRange(url, 0, 1); // block 0
    await reader.getRange(url, BLOCK, 1); // block 1
    await reader.getRange(url, 0, 1); // block 0 again: a hit, now most recent
    await reader.getRange(url, 2 * BLOCK, 1); // block 2 evicts block 1
    expect(reader.stats.cachedBytes).toBe(2 * BLOCK);
    await reader.getRange(url, 0, 1); // hit
    await reader.getRange(url, BLOCK, 1); // refetched
    expect(gets(server)).toEqual([range(0, 0), range(1, 1), range(2, 2), range(1, 1)]);
  });

  it("getRanges fetches the union of missing blocks in one inner getRanges call", async () => {
    const { server, url } = await serve();
    const reader = withBlockCache(new HttpReader({ maxGap: 0 }), { blockSize: BLOCK, maxBytes: 1024 * 1024 });
    const ranges = [
      { offset: 9 * BLOCK + 7, length: 30 },
      { offset: 5, length: 10 },
      { offset: BLOCK - 3, length: 6 },
      { offset: 9 * BLOCK + 100, length: 0 },
      { offset: 6 * BLOCK, length: BLOCK },
    ];
    const pieces = await reader.getRanges(url, ranges);
    ranges.forEach((r, i) => expectBytes(pieces[i], data.subarray(r.offset, r.offset + r.length)));
    expect(gets(server).sort()).toEqual([range(0, 1), range(6, 6), range(9, 9)].sort());
    expect(reader.stats.requests).toBe(3);
  });

  it("reads larger than a quarter of the cache bypass it", async () => {
    const { server, url } = await serve();
    const reader = withBlockCache(new HttpReader(), { blockSize: BLOCK, maxBytes: 4 * BLOCK });
    expectBytes(await reader.getRange(url, 3, 2 * BLOCK), data.subarray(3, 3 + 2 * BLOCK));
    expect(gets(server)).toEqual([`bytes=3-${2 * BLOCK + 2}`]);
    expect(reader.stats.cachedBytes).toBe(0);
  });

  it("one caller aborting does not fail another caller waiting for the same block", async () => {
    const { server, url } = await serve(150);
    const reader = withBlockCache(new HttpReader(), { blockSize: BLOCK, maxBytes: 1024 * 1024 });
    await reader.head(url);
    const controller = new AbortController();
    const first = reader.getRange(url, 0, 10, { signal: controller.signal });
    const second = reader.getRange(url, 20, 10);
    setTimeout(() => controller.abort(), 30);
    await expectVzError(first, "ABORTED");
    expectBytes(await second, data.subarray(20, 30));
    expect(gets(server).length).toBeGreaterThanOrEqual(1);
  });
});
