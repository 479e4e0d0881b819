/**
 * The byte scanner (fast path for large version-1 files) must give exactly what JSON.parse +
 * the generic builder give, or give up. Checked on every shared reference file and on edge cases.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type ManifestStore, MemoryReader } from "@vz/core";
import { parseJsonNonFinite } from "@vz/core/internal";
import { describe, expect, it } from "vitest";
import { JSON_SCANNER_MIN_BYTES, parseKerchunkJsonBytes, parseKerchunkReferences, scanKerchunkJson } from "../src/index.js";

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);

/** Both scan passes collected, or undefined when the scanner gives up. */
function scanAll(bytes: Uint8Array) {
  const found = { templates: {} as Record<string, string>, texts: [] as [string, string][], ranges: [] as [string, string, number, number][] };
  const visitor = {
    template: (name: string, value: string) => void (found.templates[name] = value),
    text: (key: string, value: string) => void found.texts.push([key, value]),
    range: (key: string, url: string, offset: number, length: number) => void found.ranges.push([key, url, offset, length]),
  };
  const metadata = scanKerchunkJson(bytes, visitor, "metadata");
  const chunks = scanKerchunkJson(bytes, visitor, "chunks");
  expect(metadata).toBe(chunks);
  return metadata ? found : undefined;
}
const DATA = resolve(dirname(fileURLToPath(import.meta.url)), "../../../../shared/data");

function describeStore(store: ManifestStore): unknown {
  const arrays = [...store.group.walkArrays()].map(([path, array]) => [path, JSON.stringify(array.metadata, (_k, v: unknown) => (typeof v === "number" && Number.isNaN(v) ? "NaN" : v)), [...array.manifest.entries()]]);
  const groups = [...store.group.walkGroups()].map(([path, group]) => [path, group.attributes]);
  return { arrays, groups, diagnostics: store.diagnostics.map((d) => d.message) };
}

async function bothWays(text: string, url: string, options = {}): Promise<{ fast: unknown; slow: unknown }> {
  const reader = new MemoryReader();
  const fast = describeStore(await parseKerchunkJsonBytes(encode(text), url, reader, { ...options, jsonScanner: "always" }));
  const slow = describeStore(await parseKerchunkReferences(parseJsonNonFinite(text), url, reader, options));
  return { fast, slow };
}

describe("json scanner", () => {
  it("scans the common version-1 shape", () => {
    const scanned = scanAll(
      encode('{ "version": 1, "templates": {"u": "s3://b/f.nc"}, "gen": [], "refs": {".zgroup": "{\\"zarr_format\\":2}", "a/0": ["{{u}}", 10, 20], "a/1": ["{{u}}", 30, 20], "b/0": ["s3://b/g\\u00e9.nc"], "c/0": "base64:AAE=", "d/0": "ünï"}}'),
    );
    expect(scanned).toBeDefined();
    expect(scanned!.templates).toEqual({ u: "s3://b/f.nc" });
    expect(scanned!.texts).toEqual([[".zgroup", '{"zarr_format":2}'], ["c/0", "base64:AAE="], ["d/0", "ünï"]]);
    expect(scanned!.ranges).toEqual([["a/0", "{{u}}", 10, 20], ["a/1", "{{u}}", 30, 20], ["b/0", "s3://b/gé.nc", -1, -1]]);
  });

  it("gives up on everything else", () => {
    const cases = [
      '{"a/0": ["x", 1, 2]}', // version 0
      '{"version": 1, "gen": [{"key": "k"}], "refs": {}}',
      '{"version": 1, "refs": {"a/0": ["x", 1.5, 2]}}',
      '{"version": 1, "refs": {"a/0": ["x", 1e3, 2]}}',
      '{"version": 1, "refs": {"a/0": ["x", -1, 2]}}',
      '{"version": 1, "refs": {"a/0": {"x": 1}}}',
      '{"version": 1, "refs": {"a/0": ["x", 1, 2]}',
      '{"version": 1, "refs": {"a/0": ["x", 1, 2]}} trailing',
      '{"version": 2, "refs": {}}',
      '{"version": 1, "extra": 1, "refs": {}}',
      '{"version": 1, "refs": {"a/0": "unterminated}}',
      '{"version": 1, "refs": {"a/.zarray": ["x", 1, 2]}}',
      '{"version": 1, "templates": {"a": "x"}, "templates": {"b": "y"}, "refs": {}}',
      "[]",
      "",
    ];
    for (const text of cases) expect(scanAll(encode(text)), text).toBeUndefined();
  });

  it("gives the same store as JSON.parse for edge cases", async () => {
    const zarray = '"{\\"zarr_format\\":2,\\"shape\\":[4],\\"chunks\\":[2],\\"dtype\\":\\"<f8\\",\\"compressor\\":null,\\"filters\\":null,\\"fill_value\\":\\"NaN\\",\\"order\\":\\"C\\"}"';
    const texts = [
      `{"version":1,"refs":{"v/.zarray":${zarray},"v/0":["memory://a",0,16],"v/1":"base64:AAAAAAAA8D8AAAAAAAAAQA==","v/0":["memory://b",8,16],"stray/0":["memory://c",0,1]}}`,
      `{"version":1,"templates":{"u":"memory://t"},"refs":{"v/.zarray":${zarray},"v/.zattrs":"{\\"_ARRAY_DIMENSIONS\\":[\\"x\\"],\\"n\\":NaN}","v/1":["{{u}}",5,16]}}`,
    ];
    for (const text of texts) {
      expect(scanAll(encode(text)), text).toBeDefined();
      const { fast, slow } = await bothWays(text, "memory://refs.json");
      expect(fast).toEqual(slow);
    }
  });

  it.skipIf(!existsSync(DATA))("gives the same store as JSON.parse for every shared reference file (skipped when ../shared/data is absent)", async () => {
    let scanned = 0;
    let files = 0;
    for (const folder of readdirSync(DATA)) {
      if (!existsSync(join(DATA, folder)) || folder.includes(".")) continue;
      for (const name of readdirSync(join(DATA, folder))) {
        if (!(name.endsWith(".kerchunk.json") || name.endsWith(".tifffile.json") || (folder === "kerchunk" && !name.endsWith(".oracle.json")))) continue;
        const text = readFileSync(join(DATA, folder, name), "utf8");
        if (text.trimStart().startsWith("[")) continue;
        files++;
        if (scanAll(encode(text))) scanned++;
        const root = `${pathToFileURL(join(DATA, folder)).href}/`;
        const { fast, slow } = await bothWays(text, pathToFileURL(join(DATA, folder, name)).href, { root });
        expect(fast, name).toEqual(slow);
      }
    }
    expect(files).toBeGreaterThan(80);
    expect(scanned).toBeGreaterThan(80);
  });

  it("reads documents from JSON_SCANNER_MIN_BYTES with the scanner by default, smaller ones with JSON.parse, to the same store", async () => {
    // 2 arrays; chunk URLs from a template and literal; one inlined chunk; enough references to pass the threshold
    const zarray = (n: number) => JSON.stringify(JSON.stringify({ zarr_format: 2, shape: [n * 4], chunks: [4], dtype: "<f4", compressor: null, filters: null, fill_value: 0, order: "C" }));
    const build = (n: number): string => {
      const parts = [`".zgroup":"{\\"zarr_format\\":2}"`, `"a/.zarray":${zarray(n)}`, `"b/.zarray":${zarray(n)}`];
      for (let i = 0; i < n; i++) parts.push(`"a/${i}":["{{u}}",${16 * i},16]`, `"b/${i}":["memory://data/b${i % 7}.bin",${8 * i},16]`);
      parts.push(`"a/0":"base64:AAAAAAAAgD8AAABAAABAQA=="`);
      return `{"version":1,"templates":{"u":"memory://data/a.bin"},"refs":{${parts.join(",")}}}`;
    };
    const reader = new MemoryReader();
    const large = build(40_000);
    const small = build(50);
    expect(encode(large).length).toBeGreaterThanOrEqual(JSON_SCANNER_MIN_BYTES);
    expect(encode(small).length).toBeLessThan(JSON_SCANNER_MIN_BYTES);
    for (const text of [large, small]) {
      const auto = describeStore(await parseKerchunkJsonBytes(encode(text), "memory://refs.json", reader));
      const scanned = describeStore(await parseKerchunkJsonBytes(encode(text), "memory://refs.json", reader, { jsonScanner: "always" }));
      const parsed = describeStore(await parseKerchunkJsonBytes(encode(text), "memory://refs.json", reader, { jsonScanner: "never" }));
      expect(scanned).toEqual(parsed);
      expect(auto).toEqual(parsed);
      const a = (auto as { arrays: [string, string, [unknown, unknown][]][] }).arrays.find(([path]) => path === "a")!;
      expect(a[2].length).toBe(text === large ? 40_000 : 50);
    }
  });
});
