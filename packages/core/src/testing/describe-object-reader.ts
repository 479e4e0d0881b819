/**
 * describeObjectReader: the vitest conformance suite every ObjectReader runs. It writes objects
 * through the fixture's `put`, then checks exact bytes for whole reads, ranges at many offsets,
 * zero-length and end-of-object ranges, typed errors for ranges past the end and missing objects,
 * `getRanges` order and coalescing, `head`, `list` with a prefix, aborts and concurrency.
 * @module
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isVzError, type VzErrorCode } from "../errors.js";
import type { ByteRange, ObjectReader } from "../readers/object-reader.js";

/** What a conformance run needs from a reader under test. */
export interface ObjectReaderFixture {
  reader: ObjectReader;
  /** Stores `bytes` under `key` (a relative path like `dir/a.bin`) and returns the URL to read it. */
  put(key: string, bytes: Uint8Array): Promise<string>;
  /** Releases servers, temp dirs, ... */
  cleanup?(): Promise<void>;
  /** `list: false` when the reader cannot list: then `list` must throw UnsupportedFeatureError. */
  capabilities?: { list?: boolean };
}

/** Options of {@link describeObjectReader}. */
export interface DescribeObjectReaderOptions {
  /** A reason to skip the whole suite (e.g. "moto_server not installed"), shown in the test name. */
  skip?: string | false;
}

/** Deterministic pseudo-random bytes (xorshift32), the same for the same seed. */
export function patternBytes(size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size);
  let state = seed >>> 0 || 0x9e3779b9;
  for (let index = 0; index < size; index++) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    out[index] = state & 0xff;
  }
  return out;
}

/** Asserts two byte arrays are equal, reporting the first difference (fast for large arrays). */
export function expectBytes(actual: unknown, expected: Uint8Array, label = "bytes"): void {
  expect(actual, `${label}: not a Uint8Array`).toBeInstanceOf(Uint8Array);
  const bytes = actual as Uint8Array;
  expect(bytes.length, `${label}: length`).toBe(expected.length);
  for (let index = 0; index < expected.length; index++) {
    if (bytes[index] !== expected[index]) {
      expect.fail(`${label}: first difference at byte ${index}: got ${bytes[index]}, expected ${expected[index]}`);
    }
  }
}

/** Awaits `promise`, asserting it rejects with a VzError of `code`; returns the error. */
export async function expectVzError(promise: Promise<unknown>, code: VzErrorCode, label = "call"): Promise<Error> {
  let outcome: { value: unknown } | { error: unknown };
  try {
    outcome = { value: await promise };
  } catch (error) {
    outcome = { error };
  }
  if ("value" in outcome) expect.fail(`${label}: expected ${code}, but it resolved`);
  const error = outcome.error;
  if (!isVzError(error, code)) {
    expect.fail(
      `${label}: expected a VzError ${code}, got ${(error as Error)?.name ?? typeof error} ${(error as { code?: string })?.code ?? ""}: ${(error as Error)?.message ?? String(error)}`,
    );
  }
  return error as Error;
}

async function collect(iterable: AsyncIterable<{ url: string; size: number }>): Promise<{ url: string; size: number }[]> {
  const out: { url: string; size: number }[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/**
 * Defines the conformance suite for one reader.
 * @example
 * describeObjectReader("MemoryReader", async () => {
 *   const reader = new MemoryReader();
 *   return { reader, put: async (key, bytes) => { reader.put(`memory://t/${key}`, bytes); return `memory://t/${key}`; } };
 * });
 */
export function describeObjectReader(
  name: string,
  setup: () => Promise<ObjectReaderFixture>,
  options: DescribeObjectReaderOptions = {},
): void {
  if (options.skip) {
    describe.skip(`ObjectReader conformance: ${name} (skipped: ${options.skip})`, () => {
      it("is skipped", () => undefined);
    });
    return;
  }
  describe(`ObjectReader conformance: ${name}`, () => {
    const size = 300_001;
    const data = patternBytes(size, 7);
    const run = `run-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e9).toString(36)}`;
    let fixture: ObjectReaderFixture;
    let url = "";
    let emptyUrl = "";
    let missingUrl = "";

    beforeAll(async () => {
      fixture = await setup();
      url = await fixture.put(`${run}/data.bin`, data);
      emptyUrl = await fixture.put(`${run}/empty.bin`, new Uint8Array(0));
      missingUrl = url.replace(/data\.bin$/, "missing-object.bin");
    });

    afterAll(async () => {
      await fixture?.cleanup?.();
    });

    it("get returns the whole object byte for byte", async () => {
      expectBytes(await fixture.reader.get(url), data, "get");
    });

    it("getRange returns exact bytes at many offsets and lengths", async () => {
      const cases: [number, number][] = [
        [0, 1],
        [0, 8],
        [1, 7],
        [7, 13],
        [4095, 2],
        [4096, 4096],
        [65535, 2],
        [65536, 65536],
        [100_000, 100_000],
        [size - 1, 1],
        [size - 10, 10],
        [0, size],
        [123_457, 1],
      ];
      for (const [offset, length] of cases) {
        expectBytes(await fixture.reader.getRange(url, offset, length), data.subarray(offset, offset + length), `getRange(${offset}, ${length})`);
      }
    });

    it("getRange of zero length returns no bytes, also at the very end", async () => {
      for (const offset of [0, 1000, size]) {
        expectBytes(await fixture.reader.getRange(url, offset, 0), new Uint8Array(0), `getRange(${offset}, 0)`);
      }
    });

    it("getRange past the end or with a negative/non-integer range rejects with RangeNotSatisfiableError", async () => {
      const cases: [number, number][] = [
        [size - 5, 10],
        [size, 1],
        [size + 100, 5],
        [size + 1, 0],
        [-1, 4],
        [0, -1],
        [1.5, 2],
      ];
      for (const [offset, length] of cases) {
        await expectVzError(fixture.reader.getRange(url, offset, length), "RANGE_NOT_SATISFIABLE", `getRange(${offset}, ${length})`);
      }
    });

    it("an empty object reads as zero bytes and has size 0", async () => {
      expectBytes(await fixture.reader.get(emptyUrl), new Uint8Array(0), "get(empty)");
      expect((await fixture.reader.head(emptyUrl)).size).toBe(0);
      expectBytes(await fixture.reader.getRange(emptyUrl, 0, 0), new Uint8Array(0), "getRange(empty, 0, 0)");
      await expectVzError(fixture.reader.getRange(emptyUrl, 0, 1), "RANGE_NOT_SATISFIABLE", "getRange(empty, 0, 1)");
    });

    it("a missing object rejects with NotFoundError naming it, for every method", async () => {
      const calls: [string, () => Promise<unknown>][] = [
        ["get", () => fixture.reader.get(missingUrl)],
        ["getRange", () => fixture.reader.getRange(missingUrl, 0, 4)],
        ["getRanges", () => fixture.reader.getRanges(missingUrl, [{ offset: 0, length: 4 }])],
        ["head", () => fixture.reader.head(missingUrl)],
      ];
      for (const [label, call] of calls) {
        const error = await expectVzError(call(), "NOT_FOUND", label);
        expect(error.message, `${label} message names the object`).toContain("missing-object.bin");
      }
    });

    it("getRanges returns pieces in the caller's order for overlapping, adjacent, duplicate, far and empty ranges", async () => {
      const ranges: ByteRange[] = [
        { offset: 250_000, length: 30 },
        { offset: 10, length: 20 },
        { offset: 15, length: 20 },
        { offset: 30, length: 5 },
        { offset: 35, length: 100 },
        { offset: 10, length: 20 },
        { offset: 200_000, length: 0 },
        { offset: size - 3, length: 3 },
        { offset: 40_000, length: 1 },
        { offset: 0, length: 1 },
        { offset: 100_000, length: 65_536 },
      ];
      const pieces = await fixture.reader.getRanges(url, ranges);
      expect(pieces.length).toBe(ranges.length);
      ranges.forEach((range, index) => {
        expectBytes(pieces[index], data.subarray(range.offset, range.offset + range.length), `range #${index} ${range.offset}+${range.length}`);
      });
    });

    it("getRanges of many small scattered ranges matches the data", async () => {
      const random = patternBytes(800, 3);
      const ranges: ByteRange[] = [];
      for (let index = 0; index < 200; index++) {
        const offset = ((random[index * 4]! << 16) | (random[index * 4 + 1]! << 8) | random[index * 4 + 2]!) % (size - 300);
        ranges.push({ offset, length: 1 + random[index * 4 + 3]! });
      }
      const pieces = await fixture.reader.getRanges(url, ranges);
      ranges.forEach((range, index) => {
        expectBytes(pieces[index], data.subarray(range.offset, range.offset + range.length), `range #${index}`);
      });
    });

    it("getRanges with an empty list returns an empty list", async () => {
      expect(await fixture.reader.getRanges(url, [])).toEqual([]);
    });

    it("getRanges with a range past the end rejects with RangeNotSatisfiableError", async () => {
      await expectVzError(
        fixture.reader.getRanges(url, [
          { offset: 0, length: 10 },
          { offset: size - 2, length: 5 },
        ]),
        "RANGE_NOT_SATISFIABLE",
        "getRanges past end",
      );
    });

    it("head gives the size and well-typed etag / lastModified", async () => {
      const meta = await fixture.reader.head(url);
      expect(meta.size).toBe(size);
      expect(typeof meta.url).toBe("string");
      if (meta.etag !== undefined) expect(typeof meta.etag).toBe("string");
      if (meta.lastModified !== undefined) {
        expect(meta.lastModified).toBeInstanceOf(Date);
        expect(Number.isNaN(meta.lastModified.getTime())).toBe(false);
      }
    });

    it("list yields the objects under a prefix (nested included, sibling prefixes excluded)", async () => {
      const a = patternBytes(10, 11);
      const b = patternBytes(2000, 12);
      const c = patternBytes(5, 13);
      const urlA = await fixture.put(`${run}/list/a.bin`, a);
      const urlB = await fixture.put(`${run}/list/sub/b.bin`, b);
      const urlC = await fixture.put(`${run}/listx/c.bin`, c);
      const prefix = urlA.slice(0, urlA.length - "a.bin".length);
      if (fixture.capabilities?.list === false) {
        await expectVzError(collect(fixture.reader.list(prefix)), "UNSUPPORTED", "list");
        return;
      }
      const listed = await collect(fixture.reader.list(prefix));
      const byUrl = new Map(listed.map((item) => [item.url, item.size]));
      expect([...byUrl.keys()].sort()).toEqual([urlA, urlB].sort());
      expect(byUrl.get(urlA)).toBe(a.length);
      expect(byUrl.get(urlB)).toBe(b.length);
      expect(byUrl.has(urlC)).toBe(false);
      const none = await collect(fixture.reader.list(`${prefix}nothing-here/`));
      expect(none).toEqual([]);
    });

    it("an aborted signal rejects every read with AbortedError", async () => {
      const controller = new AbortController();
      controller.abort(new Error("test abort"));
      const signal = controller.signal;
      await expectVzError(fixture.reader.get(url, { signal }), "ABORTED", "get");
      await expectVzError(fixture.reader.getRange(url, 0, 10, { signal }), "ABORTED", "getRange");
      await expectVzError(fixture.reader.getRanges(url, [{ offset: 0, length: 10 }], { signal }), "ABORTED", "getRanges");
      await expectVzError(fixture.reader.head(url, { signal }), "ABORTED", "head");
    });

    it("keys with spaces and non-ASCII characters round-trip", async () => {
      const bytes = patternBytes(777, 21);
      const special = await fixture.put(`${run}/dir with space/ünïcode + plus.bin`, bytes);
      expectBytes(await fixture.reader.get(special), bytes, "get(special)");
      expectBytes(await fixture.reader.getRange(special, 100, 50), bytes.subarray(100, 150), "getRange(special)");
      expect((await fixture.reader.head(special)).size).toBe(777);
    });

    it("many concurrent range reads all return the right bytes", async () => {
      const reads = Array.from({ length: 40 }, (_, index) => {
        const offset = (index * 7919) % (size - 5000);
        const length = 1 + ((index * 104_729) % 5000);
        return fixture.reader.getRange(url, offset, length).then((bytes) => ({ bytes, offset, length }));
      });
      for (const { bytes, offset, length } of await Promise.all(reads)) {
        expectBytes(bytes, data.subarray(offset, offset + length), `concurrent ${offset}+${length}`);
      }
    });
  });
}
