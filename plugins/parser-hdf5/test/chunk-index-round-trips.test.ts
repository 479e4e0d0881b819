/**
 * Round trips: a remote file should cost one round of (concurrent) requests per dependent level
 * of the chunk index. A reader that answers requests in rounds (everything requested while a round
 * is pending is answered together) counts the dependent steps readChunkIndex takes, with a small
 * cache block size and no speculative read so that nothing is served for free.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { MemoryReader, type ObjectReader } from "@vz/core";
import { describe, expect, it } from "vitest";
import { readChunkIndex } from "../src/chunk-index.js";
import { HdfFile } from "../src/io.js";
import { readSuperblock } from "../src/superblock.js";
import { chunkIndexInfoAt, FIXTURES_UNAVAILABLE, fixtureCases, fixtureDirectory } from "./chunk-index-fixtures.js";

const skipReason = FIXTURES_UNAVAILABLE ? ` (skipped: ${FIXTURES_UNAVAILABLE})` : "";

/** Wraps a reader: requests wait for the current round, which is answered as a whole 15 ms after it opens. */
class RoundReader {
  rounds = 0;
  requests = 0;
  #pending: (() => void)[] = [];
  readonly #inner: ObjectReader;

  constructor(inner: ObjectReader) {
    this.#inner = inner;
  }

  #wait(): Promise<void> {
    return new Promise((resolve) => {
      if (this.#pending.length === 0) {
        setTimeout(() => {
          const waiting = this.#pending;
          this.#pending = [];
          this.rounds++;
          for (const release of waiting) release();
        }, 15);
      }
      this.#pending.push(resolve);
    });
  }

  reader(): ObjectReader {
    const inner = this.#inner;
    return {
      get: inner.get.bind(inner),
      getRanges: inner.getRanges.bind(inner),
      head: inner.head.bind(inner),
      list: inner.list.bind(inner),
      getRange: async (url, offset, length, options) => {
        this.requests++;
        await this.#wait();
        return inner.getRange(url, offset, length, options);
      },
    };
  }
}

// [file, dataset, maximum rounds for the chunk index alone; -1 = one per level of the v1 B-tree]
const EXPECTED = [
  ["btree1.h5", "/deep", -1], // root, internal level, leaves
  ["latest.h5", "/farray_paged", 3], // header, data block prefix, pages
  ["latest.h5", "/earray_plain", 4], // header, index block, secondary blocks, data blocks
  ["latest.h5", "/btree2_deep", 4], // header, root, internal level, leaves
  ["latest.h5", "/btree2_deep_gzip", 4],
] as const;

describe.skipIf(FIXTURES_UNAVAILABLE !== undefined)(`one round trip per index level${skipReason}`, () => {
  it.each(EXPECTED)("%s:%s in at most %i rounds (-1: one per B-tree level)", async (fileName, name, expectedRounds) => {
    const fixture = fixtureCases().find((c) => c.file === fileName && c.name === name)!;
    const url = "memory://remote.h5";
    const bytes = new Uint8Array(readFileSync(path.join(fixtureDirectory(), fileName)));
    const rounds = new RoundReader(new MemoryReader({ [url]: bytes }));
    const file = await HdfFile.open(url, rounds.reader(), { blockSize: 4096, initialReadSize: 4096 });
    await readSuperblock(file);
    const info = await chunkIndexInfoAt(file, fixture.address, fixture.name);
    let maxRounds: number = expectedRounds;
    if (maxRounds < 0) {
      const rootLevel = bytes[file.absolute(info.address) + 5]!;
      expect(rootLevel).toBeGreaterThanOrEqual(2); // a three-level tree: the test means something
      maxRounds = rootLevel + 1;
    }
    const before = rounds.rounds;
    let count = 0;
    await readChunkIndex(file, info, () => count++);
    expect(count).toBe(fixture.chunkList.length);
    expect(rounds.rounds - before).toBeLessThanOrEqual(maxRounds);
  });
});
