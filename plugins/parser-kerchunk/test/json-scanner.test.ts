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
import { parseKerchunkJsonBytes, parseKerchunkReferences, scanKerchunkJson } from "../src/index.js";

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
  const fast = describeStore(await parseKerchunkJsonBytes(encode(text), url, reader, options));
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
});
