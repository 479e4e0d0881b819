/**
 * Robustness: random byte flips in and around the chunk indexes (and fractal heaps) of the
 * generated fixtures. Every outcome must be either a normal return or a typed VzError (ParseError
 * naming the file) — never a TypeError / RangeError, an unbounded allocation or a hang. The v1
 * B-tree has no checksums, so a flip there may legitimately decode to other chunk addresses; the
 * checksummed structures must reject every flip in the bytes they cover.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { isVzError, MemoryReader } from "@vz/core";
import { createRandom } from "@vz/core/testing/tools";
import { describe, expect, it } from "vitest";
import { iterateBTree2 } from "../src/btree2.js";
import { readChunkIndex } from "../src/chunk-index.js";
import { FractalHeap } from "../src/fractal-heap.js";
import { HdfFile } from "../src/io.js";
import { readSuperblock } from "../src/superblock.js";
import { chunkIndexInfoAt, FIXTURES_UNAVAILABLE, fixtureCases, fixtureDirectory, fixtureJson, openFixture } from "./chunk-index-fixtures.js";

const skipReason = FIXTURES_UNAVAILABLE ? ` (skipped: ${FIXTURES_UNAVAILABLE})` : "";

/** Deterministic PRNG (mulberry32), shared with the fuzzer. */
const random = createRandom;

async function openBytes(bytes: Uint8Array): Promise<HdfFile> {
  const url = "memory://fuzzed.h5";
  const file = await HdfFile.open(url, new MemoryReader({ [url]: bytes }));
  await readSuperblock(file);
  return file;
}

/** Runs `attempt`; returns "ok" or "error", failing the test on anything but a VzError naming the file. */
async function outcome(attempt: () => Promise<unknown>): Promise<"ok" | "error"> {
  try {
    await attempt();
    return "ok";
  } catch (error) {
    if (!isVzError(error)) throw new Error(`not a VzError: ${String(error)}`, { cause: error });
    expect((error as Error).message).toContain("memory://fuzzed.h5");
    return "error";
  }
}

const TARGETS = [
  ["btree1.h5", "/deep"],
  ["btree1.h5", "/gzip_shuffle"],
  ["latest.h5", "/farray_paged"],
  ["latest.h5", "/farray_gzip"],
  ["latest.h5", "/earray_plain"],
  ["latest.h5", "/earray_dim1"],
  ["latest.h5", "/btree2_deep"],
  ["latest.h5", "/btree2_gzip"],
  ["latest.h5", "/single_gzip"],
  ["latest.h5", "/implicit"],
] as const;

describe.skipIf(FIXTURES_UNAVAILABLE !== undefined)(`random corruption of chunk indexes${skipReason}`, () => {
  it.each(TARGETS)("%s:%s — 60 runs of 1–8 flipped bytes near the index", async (fileName, name) => {
    const fixture = fixtureCases().find((c) => c.file === fileName && c.name === name)!;
    const pristine = new Uint8Array(readFileSync(path.join(fixtureDirectory(), fileName)));
    const clean = await openBytes(pristine);
    const info = await chunkIndexInfoAt(clean, fixture.address, fixture.name);
    const index = clean.absolute(info.address);
    const next = random(index);
    const results = { ok: 0, error: 0 };
    for (let run = 0; run < 60; run++) {
      const bytes = pristine.slice();
      const flips = 1 + Math.floor(next() * 8);
      for (let f = 0; f < flips; f++) {
        // mostly in the first 4 KiB of the index structure, sometimes anywhere after it
        const at = next() < 0.7 ? index + Math.floor(next() * 4096) : index + Math.floor(next() * (bytes.length - index));
        if (at < bytes.length) bytes[at] = Math.floor(next() * 256);
      }
      const file = await openBytes(bytes);
      results[await outcome(() => readChunkIndex(file, info, () => {}))]++;
    }
    expect(results.ok + results.error).toBe(60);
  });

  it("fractal heap and dense-storage B-tree headers: every one of 60 runs of flipped bytes is caught", async () => {
    const dense = fixtureJson<{ file: string; groups: { name: string; address: number }[] }>("dense.json");
    const pristine = new Uint8Array(readFileSync(path.join(fixtureDirectory(), dense.file)));
    const clean = await openFixture(dense.file);
    const { readObjectHeader } = await import("../src/object-header.js");
    const header = await readObjectHeader(clean, dense.groups.find((g) => g.name === "big")!.address);
    const message = header.messages.find((m) => m.type === 0x15)!;
    const view = new DataView(message.data.buffer, message.data.byteOffset);
    const heapAddress = Number(view.getBigUint64(2 + (message.data[1]! & 1 ? 2 : 0), true));
    const namesAddress = Number(view.getBigUint64(10 + (message.data[1]! & 1 ? 2 : 0), true));
    const next = random(heapAddress);
    let errors = 0;
    for (let run = 0; run < 60; run++) {
      const bytes = pristine.slice();
      // within the heap header (146 bytes with 8-byte offsets and lengths) or the B-tree header (38 bytes)
      const [base, size] = next() < 0.5 ? [heapAddress, 146] : [namesAddress, 38];
      for (let f = 0; f < 1 + Math.floor(next() * 4); f++) bytes[base + Math.floor(next() * size)]! ^= 1 + Math.floor(next() * 255);
      const file = await openBytes(bytes);
      const result = await outcome(async () => {
        const heap = await FractalHeap.open(file, heapAddress);
        for await (const { record } of iterateBTree2(file, namesAddress)) await heap.read(record.subarray(0, 8));
      });
      if (result === "error") errors++;
    }
    // Both headers are checksummed (and the flipped byte always changes): every flip is caught.
    expect(errors).toBe(60);
  });
});
