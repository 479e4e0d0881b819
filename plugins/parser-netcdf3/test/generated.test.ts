/**
 * Fixtures generated at test time with netCDF4-python (test/python/make-fixtures.py): a CDF-5
 * file with every type and attribute type, a single record variable (records not padded), padded
 * records in a CDF-2 file, and streaming copies (numrecs = all ones). Values, attributes, fill
 * values and dimension names are compared with what netCDF4-python reads; begin offsets and the
 * record size with scipy's header reader; the kit (describeParser) runs on every fixture.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ManifestArray } from "@vz/core";
import { FileReader, toUrl } from "@vz/core/node";
import { describeParser } from "@vz/core/testing";
import { describe, expect, it } from "vitest";
import netcdf3, { createNetcdf3Parser, NETCDF_DEFAULT_FILL, readHeader } from "../src/index.js";
import { readArray } from "./helpers.js";
import { missingPythonModules, runPython } from "./python-helpers.js";

const missing = missingPythonModules(["netCDF4", "numpy", "scipy"]);
const skipReason = missing.length > 0 ? `Python modules missing: ${missing.join(", ")}` : false;
const dir = skipReason ? "" : mkdtempSync(join(tmpdir(), "vz-netcdf3-"));

interface VariableFacts {
  dims: string[];
  attrs: Record<string, { text: string } | { dtype: string; values: string[] }>;
  dtype: string;
  shape: number[];
  values?: string[];
  strings?: string[];
}
interface FileFacts {
  attrs: VariableFacts["attrs"];
  format: string;
  variables: Record<string, VariableFacts>;
}
let facts: Record<string, FileFacts> = {};
let headers: Record<string, { recsize: number; numrecs: number; begin: Record<string, number> }> = {};

if (!skipReason) {
  runPython([resolve(import.meta.dirname, "python/make-fixtures.py"), dir]);
  facts = JSON.parse(readFileSync(join(dir, "facts.json"), "utf8"));
  headers = JSON.parse(readFileSync(join(dir, "headers.json"), "utf8"));
  // streaming copies: numrecs replaced by all ones (4 bytes in CDF-1/2, 8 in CDF-5)
  for (const [name, width] of [
    ["single_record.nc", 4],
    ["cdf5_types.nc", 8],
    ["padded_records_64bit.nc", 4],
  ] as const) {
    const bytes = readFileSync(join(dir, name));
    bytes.fill(0xff, 4, 4 + width);
    writeFileSync(join(dir, `streaming_${name}`), bytes);
  }
}

const DATA_TYPES: Record<string, string> = {
  "|i1": "int8",
  "|u1": "uint8",
  "<i2": "int16",
  "<u2": "uint16",
  "<i4": "int32",
  "<u4": "uint32",
  "<i8": "int64",
  "<u8": "uint64",
  "<f4": "float32",
  "<f8": "float64",
};

function sameNumber(actual: unknown, expected: string): boolean {
  if (typeof actual === "bigint") return actual === BigInt(expected);
  if (typeof actual !== "number") return false;
  if (expected === "nan") return Number.isNaN(actual);
  if (/^-?\d+$/.test(expected) && !Number.isSafeInteger(Number(expected))) return BigInt(actual) === BigInt(expected);
  return actual === Number(expected);
}

function expectAttributes(actual: Record<string, unknown>, expected: VariableFacts["attrs"], where: string): void {
  expect(Object.keys(actual).sort(), `${where} attribute names`).toEqual(Object.keys(expected).sort());
  for (const [name, value] of Object.entries(expected)) {
    if ("text" in value) {
      expect(actual[name], `${where} attribute ${name}`).toBe(value.text);
      continue;
    }
    const got = value.values.length === 1 ? [actual[name]] : (actual[name] as unknown[]);
    expect(Array.isArray(got), `${where} attribute ${name} is a list`).toBe(true);
    expect(got.length, `${where} attribute ${name} length`).toBe(value.values.length);
    got.forEach((v, i) => expect(sameNumber(v, value.values[i]!), `${where} attribute ${name}[${i}] = ${String(v)}, expected ${value.values[i]}`).toBe(true));
  }
}

const reader = new FileReader();
const parse = createNetcdf3Parser();
const FILES = ["cdf5_types.nc", "single_record.nc", "padded_records_64bit.nc"];

describe.skipIf(Boolean(skipReason))(`generated netCDF3 fixtures${skipReason ? ` (skipped: ${skipReason})` : ""}`, () => {
  for (const file of [...FILES, "cdf5_explicit_fill.nc", ...FILES.map((f) => `streaming_${f}`)]) {
    it(`${file}: variables, attributes and values equal netCDF4-python's`, async () => {
      const expected = facts[file.replace(/^streaming_/, "")]!;
      const store = await parse(toUrl(join(dir, file)), reader);
      expectAttributes(store.group.attributes, expected.attrs, "global");
      expect([...store.group.arrays.keys()].sort()).toEqual(Object.keys(expected.variables).sort());
      for (const [name, variable] of Object.entries(expected.variables)) {
        const array = store.group.arrays.get(name)!;
        expect(array).toBeInstanceOf(ManifestArray);
        expectAttributes(array.metadata.attributes, variable.attrs, name);
        const { data, shape } = await readArray(store, name);
        if (variable.strings) {
          // default: the characters as stored (|S1, every dimension, bytes in place); the rows'
          // bytes are netCDF4-python's strings
          expect(array.dataType).toBe("fixed_length_bytes:1");
          expect(array.metadata.dimension_names).toEqual(variable.dims);
          expect(shape).toEqual(variable.shape);
          const view = data as { buffer: ArrayBufferLike; byteOffset: number; byteLength: number };
          const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
          const width = variable.shape[variable.shape.length - 1] ?? 1;
          const rows = Array.from({ length: bytes.length / width }, (_, r) => new TextDecoder().decode(bytes.subarray(r * width, (r + 1) * width)).replace(/\0+$/, ""));
          expect(rows).toEqual(variable.strings);
          // charArrays "string": joined at parse time
          const joined = await createNetcdf3Parser({ charArrays: "string" })(toUrl(join(dir, file)), reader);
          expect(joined.group.arrays.get(name)!.dataType).toBe("string");
          expect(joined.group.arrays.get(name)!.metadata.dimension_names).toEqual(variable.dims.slice(0, -1));
          const strings = await readArray(joined, name);
          expect(strings.shape).toEqual(variable.shape.slice(0, -1));
          expect([...(strings.data as string[])]).toEqual(variable.strings);
          continue;
        }
        expect(array.dataType, `${name} data type`).toBe(DATA_TYPES[variable.dtype]);
        expect(array.metadata.codecs).toEqual([{ name: "bytes", configuration: { endian: "big" } }]);
        expect(array.metadata.dimension_names).toEqual(variable.dims);
        expect(shape, `${name} shape`).toEqual(variable.shape);
        const values = Array.from(data as ArrayLike<number | bigint>);
        expect(values.length).toBe(variable.values!.length);
        values.forEach((v, i) => expect(sameNumber(v, variable.values![i]!), `${name}[${i}] = ${String(v)}, expected ${variable.values![i]}`).toBe(true));
      }
    });
  }

  it("fill values: _FillValue when present, else netCDF's default for the type", async () => {
    const store = await parse(toUrl(join(dir, "cdf5_types.nc")), reader);
    const fill = (name: string) => store.group.arrays.get(name)!.metadata.fill_value;
    expect(fill("filled")).toBe(-999);
    expect(fill("v_i1")).toBe(-127);
    expect(fill("v_u1")).toBe(255);
    expect(fill("v_i2")).toBe(-32767);
    expect(fill("v_u2")).toBe(65535);
    expect(fill("v_i4")).toBe(-2147483647);
    expect(fill("v_u4")).toBe(4294967295);
    expect(fill("v_i8")).toBe(-9223372036854775806n);
    expect(fill("v_u8")).toBe(18446744073709551614n);
    expect(fill("v_f4")).toBe(Math.fround(9.969209968386869e36));
    expect(fill("v_f8")).toBe(9.969209968386869e36);
    expect(NETCDF_DEFAULT_FILL.char).toBe("");
    expect(fill("names")).toBe("");
  });

  it("single record variable: records are not padded (6-byte records, file ends after the last)", async () => {
    const url = toUrl(join(dir, "single_record.nc"));
    const { header, layout, fileSize } = await readHeader(url, reader);
    expect(header.version).toBe(1);
    expect(layout.numrecs).toBe(5);
    expect(layout.recordSize).toBe(6);
    const begin = headers["single_record.nc"]!.begin.s!;
    expect(header.variables.find((v) => v.name === "s")!.begin).toBe(begin);
    expect(fileSize).toBe(begin + 5 * 6);
    const store = await parse(url, reader);
    const entries = [...store.group.arrays.get("s")!.manifest.entries()];
    expect(entries.map(([coords, entry]) => [coords, (entry as { offset: number }).offset, (entry as { length: number }).length])).toEqual(
      [0, 1, 2, 3, 4].map((r) => [[r, 0], begin + r * 6, 6]),
    );
    expect(store.group.arrays.get("s")!.chunks).toEqual([1, 3]);
  });

  it("several record variables: recsize is the sum of padded vsizes (as scipy computes it)", async () => {
    const url = toUrl(join(dir, "padded_records_64bit.nc"));
    const { header, layout } = await readHeader(url, reader);
    const scipy = headers["padded_records_64bit.nc"]!;
    expect(header.version).toBe(2);
    expect(layout).toEqual({ numrecs: scipy.numrecs, recordSize: scipy.recsize });
    for (const variable of header.variables) expect(variable.begin).toBe(scipy.begin[variable.name]);
    const store = await parse(url, reader);
    const entries = [...store.group.arrays.get("b")!.manifest.entries()];
    expect(entries[5]).toEqual([[5, 0], { url, offset: scipy.begin.b! + 5 * scipy.recsize, length: 3 }]);
  });

  it("streaming numrecs is computed from the file size and gives the same manifests", async () => {
    for (const file of FILES) {
      const original = await parse(toUrl(join(dir, file)), reader);
      const streaming = await parse(toUrl(join(dir, `streaming_${file}`)), reader);
      const streamingHeader = await readHeader(toUrl(join(dir, `streaming_${file}`)), reader);
      expect(streamingHeader.header.storedNumrecs, file).toBe(-1);
      for (const [name, array] of original.group.arrays) {
        const other = streaming.group.arrays.get(name)!;
        expect(other.shape, `${file} ${name}`).toEqual(array.shape);
        const offsets = (m: ManifestArray) => [...m.manifest.entries()].map(([c, e]) => [c, "offset" in e ? e.offset : "inlined", "length" in e ? e.length : 0]);
        expect(offsets(other), `${file} ${name}`).toEqual(offsets(array));
      }
    }
  });

  it('charArrays: "bytes" references char data in place as fixed_length_bytes', async () => {
    const url = toUrl(join(dir, "cdf5_types.nc"));
    const store = await createNetcdf3Parser({ charArrays: "bytes" })(url, reader);
    const names = store.group.arrays.get("names")!;
    expect(names.dataType).toBe("fixed_length_bytes:5");
    expect(names.shape).toEqual([3]);
    const [[, entry]] = [...names.manifest.entries()] as [[number[], { url: string; offset: number; length: number }]];
    const bytes = await reader.getRange(entry.url, entry.offset, entry.length);
    const text = new TextDecoder().decode(bytes);
    expect(text).toBe("ab\0\0\0cdefg\u00e9\0\0\0");
    const records = store.group.arrays.get("rec_names")!;
    expect(records.chunks).toEqual([1]);
    expect(records.manifest.gridSize).toBe(4);
  });
});

describeParser({
  name: "netcdf3 on generated fixtures",
  plugin: netcdf3,
  packageJson: new URL("../package.json", import.meta.url),
  skip: skipReason,
  cases: skipReason
    ? []
    : [...FILES, ...FILES.map((f) => `streaming_${f}`)].map((file) => ({
        file: join(dir, file),
        expect: { arrays: Object.keys(facts[file.replace(/^streaming_/, "")]!.variables) },
      })),
});
