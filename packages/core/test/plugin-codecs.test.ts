/**
 * Codecs contributed by parser plugins: a discovered package declares them in package.json, its
 * module is imported only when a chunk needs one, values decode through it; a codec nobody
 * provides is a typed error naming codec, file, variable and (when known) the package to install;
 * broken declarations are PluginLoadErrors. Also float16 and zero-length reads.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import * as zarr from "zarrita";
import {
  ChunkManifestBuilder,
  type CodecMetadata,
  createArrayMetadata,
  type DataType,
  isVzError,
  ManifestArray,
  ManifestGroup,
  ManifestStore,
  MemoryReader,
  openManifestStore,
  ParserRegistry,
  type ParserPlugin,
  readArrayValues,
} from "../src/index.js";
import { registerPluginCodecs } from "../src/codecs.js";
import { createDiscoveredParserRegistry, readParserDeclarations } from "../src/node.js";

const work = mkdtempSync(join(tmpdir(), "vz-plugin-codecs-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A third-party parser package whose plugin provides codec `test_invert` (bytes XOR 0xff) and declares `test_missing` without providing it. */
function writeCodecPackage(root: string, codecs: unknown = { invert: ["test_invert", "test_missing"] }): string {
  const dir = join(root, "node_modules", "vz-parser-invert");
  mkdirSync(join(dir, "dist"), { recursive: true });
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({
      name: "vz-parser-invert",
      version: "1.0.0",
      type: "module",
      exports: { "./package.json": "./package.json", ".": "./dist/index.js" },
      virtualizarr: { parsers: { invert: "./dist/index.js" }, codecs },
    }),
  );
  writeFileSync(
    join(dir, "dist", "index.js"),
    `globalThis.__vzInvertLoads = (globalThis.__vzInvertLoads ?? 0) + 1;
class Invert {
  kind = "bytes_to_bytes";
  static fromConfig() { return new Invert(); }
  encode(bytes) { return bytes.map((b) => b ^ 0xff); }
  decode(bytes) { return bytes.map((b) => b ^ 0xff); }
}
export default {
  name: "invert",
  description: "test parser providing the test_invert codec",
  create() { return async () => { throw new Error("not used"); }; },
  codecs: { test_invert: Invert },
};
`,
  );
  return root;
}

/** A store with one inlined-chunk array `a` whose codecs are `codecs`. */
function storeWith(dataType: DataType, shape: number[], chunk: Uint8Array | undefined, codecs: CodecMetadata[]): ManifestStore {
  const builder = new ChunkManifestBuilder(shape.map((n) => (n === 0 ? 0 : 1)));
  if (chunk) builder.setInlined(shape.map(() => 0), chunk);
  const array = new ManifestArray(
    createArrayMetadata({ shape, dataType, chunkShape: shape.map((n) => Math.max(n, 1)), codecs, dimensionNames: shape.map((_, i) => `d${i}`) }),
    builder.build(),
    "a",
  );
  return new ManifestStore(new ManifestGroup({ arrays: new Map([["a", array]]) }), new MemoryReader());
}

/** A parser plugin registered in code that hands out `store`. */
function memoryPlugin(store: ManifestStore): ParserPlugin {
  return { name: "memory", description: "returns a fixed store", create: () => async () => store };
}

const loads = (): number => (globalThis as { __vzInvertLoads?: number }).__vzInvertLoads ?? 0;

describe("codecs contributed by parser plugins", () => {
  it("discovery reads the codec declaration; the plugin module loads on first decode and values decode through it", async () => {
    const root = writeCodecPackage(mkdtempSync(join(work, "project-")));
    const declared = readParserDeclarations(join(root, "node_modules", "vz-parser-invert"));
    expect(declared.map((d) => [d.name, d.codecs])).toEqual([["invert", ["test_invert", "test_missing"]]]);
    const { registry, errors } = createDiscoveredParserRegistry({ from: [root] });
    expect(errors).toEqual([]);
    expect(registry.codecProviders().get("test_invert")).toBe("invert");
    const values = new Int16Array([1, -2, 300, -32768, 32767, 0]);
    const encoded = new Uint8Array(values.buffer.slice(0)).map((b) => b ^ 0xff);
    const store = storeWith("int16", [2, 3], encoded, [{ name: "bytes", configuration: { endian: "little" } }, { name: "test_invert" }]);
    registry.register(memoryPlugin(store));
    const before = loads();
    const { store: opened } = await openManifestStore("memory://file.bin", { registry, reader: new MemoryReader(), parser: "memory" });
    expect(loads()).toBe(before); // registering the codec did not import the plugin
    const result = await readArrayValues(opened as unknown as zarr.Readable, "a", { url: "memory://file.bin" });
    expect(loads()).toBe(before + 1);
    expect(result.shape).toEqual([2, 3]);
    expect(Array.from(result.data as Int16Array)).toEqual(Array.from(values));
  });

  it("a codec the package declares but its plugin does not provide is a PluginLoadError naming both", async () => {
    const root = writeCodecPackage(mkdtempSync(join(work, "project-")));
    const { registry } = createDiscoveredParserRegistry({ from: [root] });
    await registerPluginCodecs(registry);
    const store = storeWith("uint8", [4], new Uint8Array(4), [{ name: "bytes" }, { name: "test_missing" }]);
    const error = await readArrayValues(store as unknown as zarr.Readable, "a").catch((e: unknown) => e);
    expect(isVzError(error, "PLUGIN_LOAD_FAILED")).toBe(true);
    expect((error as Error).message).toMatch(/parser "invert" from vz-parser-invert declares codec "test_missing"/);
  });

  it("refuses codec declarations that name an undeclared parser or are not lists", () => {
    const bad = writeCodecPackage(mkdtempSync(join(work, "bad-")), { other: ["x"] });
    expect(() => readParserDeclarations(join(bad, "node_modules", "vz-parser-invert"))).toThrow(/names parser "other", which "virtualizarr.parsers" does not declare/);
    const notList = writeCodecPackage(mkdtempSync(join(work, "bad-")), { invert: "test_invert" });
    const { errors } = createDiscoveredParserRegistry({ from: [notList] });
    expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(/entry "invert" must be a list of codec names/)]);
  });

  it("a plugin registered in code contributes its codecs by their runtime names", async () => {
    const plugin: ParserPlugin = {
      name: "inline",
      description: "x",
      create: () => async () => {
        throw new Error("unused");
      },
      codecs: { test_inline_codec: { fromConfig: () => ({ kind: "bytes_to_bytes", encode: (b: never) => b, decode: (b: never) => b }) } },
    };
    const registry = new ParserRegistry([plugin]);
    expect([...registry.codecProviders()]).toEqual([["test_inline_codec", "inline"]]);
    expect(await registerPluginCodecs(registry)).toEqual(["test_inline_codec"]);
    expect((zarr.registry as Map<string, unknown>).has("test_inline_codec")).toBe(true);
    // codecs zarrita or vz core decode themselves are never replaced by a plugin's
    const greedy = new ParserRegistry([{ ...plugin, name: "greedy", codecs: { "numcodecs.zlib": plugin.codecs!.test_inline_codec! } }]);
    expect(await registerPluginCodecs(greedy)).toEqual([]);
  });

  it("a TIFF codec without @vz/parser-tiff installed is an UnsupportedFeatureError naming codec, file, variable and package", async () => {
    const store = storeWith("uint8", [4], new Uint8Array([1, 2, 3, 4]), [{ name: "bytes" }, { name: "imagecodecs_lzw" }]);
    const error = await readArrayValues(store as unknown as zarr.Readable, "a", { url: "file:///refs.json" }).catch((e: unknown) => e);
    expect(isVzError(error, "UNSUPPORTED")).toBe(true);
    expect(error).toMatchObject({ feature: "codec-imagecodecs_lzw", url: "file:///refs.json", variable: "a" });
    expect((error as Error).message).toMatch(/^file:\/\/\/refs\.json: variable "a": codec "imagecodecs_lzw" is provided by @vz\/parser-tiff, which is not installed/);
    const unknown = storeWith("uint8", [4], new Uint8Array(4), [{ name: "bytes" }, { name: "nobody_has_this" }]);
    await expect(readArrayValues(unknown as unknown as zarr.Readable, "a")).rejects.toThrow(/no decoder for codec "nobody_has_this"/);
  });
});

describe("readArrayValues", () => {
  it("reads float16 (IEEE half precision, both byte orders)", async () => {
    // 1, -2, 0.5, 65504 (largest half), 2^-24 (smallest subnormal), -0
    const bits = [0x3c00, 0xc000, 0x3800, 0x7bff, 0x0001, 0x8000];
    for (const endian of ["little", "big"] as const) {
      const bytes = new Uint8Array(bits.length * 2);
      bits.forEach((b, i) => new DataView(bytes.buffer).setUint16(i * 2, b, endian === "little"));
      const store = storeWith("float16", [6], bytes, [{ name: "bytes", configuration: { endian } }]);
      const result = await readArrayValues(store as unknown as zarr.Readable, "a");
      expect(result.dtype).toBe("float16");
      expect(Array.from(result.data as ArrayLike<number>)).toEqual([1, -2, 0.5, 65504, 2 ** -24, -0]);
    }
  });

  it("gives empty results for zero-length arrays and empty selections, and refuses indexes out of range", async () => {
    const empty = storeWith("float32", [0, 5], undefined, [{ name: "bytes", configuration: { endian: "little" } }]);
    const all = await readArrayValues(empty as unknown as zarr.Readable, "a");
    expect(all.shape).toEqual([0, 5]);
    expect(all.data).toBeInstanceOf(Float32Array);
    expect((all.data as Float32Array).length).toBe(0);
    expect((await readArrayValues(empty as unknown as zarr.Readable, "a", { selection: [null, 2] })).shape).toEqual([0]);
    expect((await readArrayValues(empty as unknown as zarr.Readable, "a", { selection: [null, zarr.slice(1, 4)] })).shape).toEqual([0, 3]);
    await expect(readArrayValues(empty as unknown as zarr.Readable, "a", { selection: [0, null] })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      variable: "a",
    });
    const full = storeWith("int32", [2, 2], new Uint8Array(new Int32Array([5, 6, 7, 8]).buffer), [{ name: "bytes" }]);
    expect(await readArrayValues(full as unknown as zarr.Readable, "a", { selection: [zarr.slice(1, 1), null] })).toMatchObject({ shape: [0, 2] });
    expect(Array.from((await readArrayValues(full as unknown as zarr.Readable, "a", { selection: [1, null] })).data as Int32Array)).toEqual([7, 8]);
  });
});
