/**
 * Corrupt, truncated and absurd headers (built with test/netcdf3-writer.ts) must fail with a
 * ParseError naming the file, the field and the variable — fast, without giant allocations —
 * and the header must be read through ranged reads only.
 */
import { type ByteRange, isVzError, MemoryReader, type ObjectReader, type ReadOptions } from "@vz/core";
import { describe, expect, it } from "vitest";
import { createNetcdf3Parser } from "../src/index.js";
import { buildNetcdf3, type FileSpec } from "./netcdf3-writer.js";

const URL = "memory://corrupt/file.nc";
const parse = createNetcdf3Parser();

async function failure(bytes: Uint8Array, options = {}): Promise<Error & { code?: string; variable?: string }> {
  const started = Date.now();
  const outcome = await parse(URL, new MemoryReader({ [URL]: bytes }), options).then(
    () => undefined,
    (error: Error) => error,
  );
  expect(Date.now() - started, "fails fast").toBeLessThan(2000);
  expect(outcome, "parse should fail").toBeDefined();
  expect(isVzError(outcome), String(outcome)).toBe(true);
  expect(outcome!.message).toContain(URL);
  return outcome as Error & { code?: string; variable?: string };
}

const base: FileSpec = {
  records: 2,
  dimensions: [
    ["time", 0],
    ["x", 3],
  ],
  attributes: [{ name: "title", type: 2, values: "ok" }],
  variables: [
    { name: "x", dimensionIds: [1], type: 5 },
    { name: "t", dimensionIds: [0, 1], type: 3 },
  ],
};

describe("valid hand-built files", () => {
  it("parse, with a single unpadded record variable and every attribute type", async () => {
    const bytes = buildNetcdf3({
      ...base,
      version: 5,
      attributes: [
        { name: "c", type: 2, values: "text\0" },
        { name: "b", type: 1, values: [-1, 2] },
        { name: "s", type: 3, values: [-300] },
        { name: "i", type: 4, values: [70000, -1] },
        { name: "f", type: 5, values: [0.5] },
        { name: "d", type: 6, values: [Number.NaN, 1e300] },
        { name: "ub", type: 7, values: [255] },
        { name: "us", type: 8, values: [65535] },
        { name: "ui", type: 9, values: [4294967295] },
        { name: "l", type: 10, values: [-(2 ** 40)] },
        { name: "ul", type: 11, values: [2 ** 52] },
        { name: "empty", type: 4, values: [] },
      ],
    });
    const store = await parse(URL, new MemoryReader({ [URL]: bytes }));
    expect(store.group.attributes).toEqual({
      c: "text",
      b: [-1, 2],
      s: -300,
      i: [70000, -1],
      f: 0.5,
      d: [Number.NaN, 1e300],
      ub: 255,
      us: 65535,
      ui: 4294967295,
      l: -(2 ** 40),
      ul: 2 ** 52,
      empty: [],
    });
    const t = store.group.arrays.get("t")!;
    expect(t.shape).toEqual([2, 3]);
    const entries = [...t.manifest.entries()].map(([, e]) => e as { offset: number; length: number });
    expect(entries[1]!.offset - entries[0]!.offset).toBe(6);
  });
});

describe("corrupt headers fail with a ParseError naming file, field and variable", () => {
  it("not a netCDF3 file / empty file", async () => {
    expect((await failure(new TextEncoder().encode("\x89HDF\r\n\x1a\n....."))).message).toMatch(/field magic/);
    expect((await failure(new Uint8Array(0))).message).toMatch(/empty file/);
    expect((await failure(new Uint8Array([0x43, 0x44, 0x46, 3, 0, 0, 0, 0]))).message).toMatch(/version 1, 2 or 5/);
  });

  it("truncated inside the header", async () => {
    const bytes = buildNetcdf3(base);
    for (const length of [4, 10, 30, 60]) {
      const error = await failure(bytes.slice(0, length));
      expect(error.code).toBe("PARSE_FAILED");
      expect(error.message).toMatch(/truncated|cannot fit|passes the end/);
    }
  });

  it("a variable's begin beyond the end of the file (names variable and field)", async () => {
    const bytes = buildNetcdf3({ ...base, variables: [{ name: "x", dimensionIds: [1], type: 5, begin: 10_000 }, base.variables[1]!] });
    const error = await failure(bytes);
    expect(error.variable).toBe("x");
    expect(error.message).toMatch(/field begin of variable "x".*is beyond the end of the file/);
    const overlapping = await failure(buildNetcdf3({ ...base, variables: [{ name: "x", dimensionIds: [1], type: 5, begin: 170 }, base.variables[1]!] }));
    expect(overlapping.message).toMatch(/field begin of variable "x".*data at bytes 170..182 .* passes the end of the file/);
  });

  it("a begin inside the header", async () => {
    const error = await failure(buildNetcdf3({ ...base, variables: [{ name: "x", dimensionIds: [1], type: 5, begin: 8 }, base.variables[1]!] }));
    expect(error.message).toMatch(/field begin of variable "x".*inside the header/);
  });

  it("absurd counts: dimensions, attribute values, names, elements, records", async () => {
    const huge = 0x7fff_fff0;
    expect((await failure(buildNetcdf3({ ...base, dimensionCount: huge }))).message).toMatch(/dimension list count.*cannot fit/);
    expect((await failure(buildNetcdf3({ ...base, attributes: [{ name: "a", type: 6, values: [1], count: huge }] }))).message).toMatch(
      /global attribute "a" value count.*cannot fit/,
    );
    expect((await failure(buildNetcdf3({ ...base, nameLengths: { x: huge } }))).message).toMatch(/name.*passes the end|cannot fit/);
    const big = await failure(
      buildNetcdf3({
        numrecs: 1,
        dimensions: [
          ["time", 0],
          ["a", 100_000],
          ["b", 100_000],
        ],
        variables: [{ name: "v", dimensionIds: [0, 1, 2], type: 6, begin: 100, vsize: 4 }],
      }),
    );
    expect(big.variable).toBe("v");
    expect(big.message).toMatch(/field dimensions of variable "v".*10000000000 elements of type double \(80000000000 bytes per record\) cannot fit in the file/);
    const records = await failure(buildNetcdf3({ ...base, numrecs: huge }));
    expect(records.variable).toBe("t");
    expect(records.message).toMatch(/record 2147483631 of 2147483632 .* past the end of the file/);
  });

  it("unknown types, CDF-5 types in a classic file, bad dimension ids", async () => {
    expect((await failure(buildNetcdf3({ ...base, variables: [{ name: "x", dimensionIds: [1], type: 99 }] }))).message).toMatch(
      /field nc_type of variable "x".*unknown nc_type 99/,
    );
    expect((await failure(buildNetcdf3({ ...base, variables: [{ name: "x", dimensionIds: [1], type: 10 }] }))).message).toMatch(
      /int64 \(10\) is only allowed in CDF-5 files, this is CDF-1/,
    );
    expect((await failure(buildNetcdf3({ ...base, variables: [{ name: "x", dimensionIds: [7], type: 5 }] }))).message).toMatch(
      /variable "x".*dimension id 7, but the file has 2 dimensions/,
    );
    expect((await failure(buildNetcdf3({ ...base, variables: [{ name: "x", dimensionIds: [1, 0], type: 5 }] }))).message).toMatch(
      /unlimited dimension "time" must come first/,
    );
    expect(
      (
        await failure(
          buildNetcdf3({
            ...base,
            dimensions: [
              ["time", 0],
              ["again", 0],
            ],
            variables: [],
          }),
        )
      ).message,
    ).toMatch(/second unlimited dimension/);
  });

  it("an aborted signal gives an AbortedError", async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await parse(URL, new MemoryReader({ [URL]: buildNetcdf3(base) }), { signal: controller.signal }).catch((e: unknown) => e);
    expect(isVzError(error, "ABORTED")).toBe(true);
  });
});

class CountingReader implements ObjectReader {
  readonly ranges: ByteRange[] = [];
  constructor(readonly inner: ObjectReader) {}
  get(url: string, opts?: ReadOptions): Promise<Uint8Array> {
    throw new Error(`the parser must not read whole files (${url}, ${String(opts)})`);
  }
  getRange(url: string, offset: number, length: number, opts?: ReadOptions): Promise<Uint8Array> {
    this.ranges.push({ offset, length });
    return this.inner.getRange(url, offset, length, opts);
  }
  getRanges(url: string, ranges: readonly ByteRange[], opts?: ReadOptions): Promise<Uint8Array[]> {
    this.ranges.push(...ranges);
    return this.inner.getRanges(url, ranges, opts);
  }
  head(url: string, opts?: ReadOptions) {
    return this.inner.head(url, opts);
  }
  list(prefix: string, opts?: ReadOptions) {
    return this.inner.list(prefix, opts);
  }
}

describe("ranged header reads", () => {
  it("reads a first block and extends it for a long header, never the data", async () => {
    const longText = "x".repeat(50_000);
    const bytes = buildNetcdf3({
      dimensions: [["n", 1_000_000]],
      attributes: [{ name: "history", type: 2, values: longText }],
      variables: [{ name: "v", dimensionIds: [0], type: 6 }],
    });
    expect(bytes.length).toBeGreaterThan(8_000_000);
    const reader = new CountingReader(new MemoryReader({ [URL]: bytes }));
    const store = await createNetcdf3Parser({ initialHeaderBytes: 4096 })(URL, reader);
    expect(store.group.attributes.history).toBe(longText);
    const read = reader.ranges.reduce((sum, r) => sum + r.length, 0);
    expect(reader.ranges.length).toBeGreaterThan(1);
    expect(read).toBeLessThan(2 * 50_200);
    expect([...store.group.arrays.get("v")!.manifest.entries()][0]![1]).toEqual({ url: URL, offset: bytes.length - 8_000_000, length: 8_000_000 });
  });
});
