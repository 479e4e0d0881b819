/**
 * The parser conformance kit: runs describeParser on a toy parser (its format is invented here:
 * "TOY1" + uint32 LE count + count float32 LE values) and checks that each exported assertion
 * catches what it must catch.
 */
import { describe, expect, it } from "vitest";
import {
  ChunkManifestBuilder,
  createArrayMetadata,
  ManifestArray,
  ManifestGroup,
  ManifestStore,
  MemoryReader,
  ParseError,
  type ParserPlugin,
} from "../src/index.js";
import {
  assertChunkRefsInside,
  assertPluginDeclaration,
  assertZarrMetadata,
  assertZarrMetadataDocument,
  describeParser,
  isDecodableByZarrita,
} from "../src/testing.js";

function toyFile(values: readonly number[]): Uint8Array {
  const bytes = new Uint8Array(8 + values.length * 4);
  const view = new DataView(bytes.buffer);
  bytes.set([0x54, 0x4f, 0x59, 0x31]);
  view.setUint32(4, values.length, true);
  values.forEach((v, i) => view.setFloat32(8 + i * 4, v, true));
  return bytes;
}

const toyPlugin: ParserPlugin = {
  name: "toy",
  description: "toy format for the conformance kit's own test",
  extensions: ["toy"],
  sniff: (head) => head.length >= 4 && head[0] === 0x54 && head[1] === 0x4f && head[2] === 0x59 && head[3] === 0x31,
  create: () => async (url, reader) => {
    const { size } = await reader.head(url);
    if (size < 8) throw new ParseError(`toy file ${url}: ${size} bytes, shorter than its 8-byte header`, { url });
    const head = await reader.getRange(url, 0, 8);
    if (!toyPlugin.sniff!(head)) throw new ParseError(`toy file ${url}: bad magic`, { url });
    const count = new DataView(head.buffer, head.byteOffset).getUint32(4, true);
    if (8 + count * 4 > size) throw new ParseError(`toy file ${url}: ${count} values do not fit in ${size} bytes`, { url, variable: "values" });
    const builder = new ChunkManifestBuilder([1]);
    builder.set([0], url, 8, count * 4);
    const metadata = createArrayMetadata({ shape: [count], dataType: "float32", chunkShape: [Math.max(count, 1)], dimensionNames: ["x"] });
    return new ManifestStore(new ManifestGroup({ arrays: { values: new ManifestArray(metadata, builder.build()) }, attributes: { kind: "toy" } }), reader);
  },
};

const reader = new MemoryReader({
  "memory://toy/a.toy": toyFile([1.5, -2, 3.25]),
  "memory://toy/bad.toy": toyFile([1, 2, 3]).slice(0, 13),
});

describeParser({
  name: "toy parser (kit self-test)",
  plugin: toyPlugin,
  packageJson: { name: "toy-package", virtualizarr: { parsers: { toy: "./dist/index.js" } } },
  cases: [
    {
      url: "memory://toy/a.toy",
      reader,
      expect: {
        arrays: ["values"],
        shapes: { values: [3] },
        dataTypes: { values: "float32" },
        dimensionNames: { values: ["x"] },
        attributes: { kind: "toy" },
        values: { values: [1.5, -2, 3.25] },
      },
    },
    { url: "memory://toy/bad.toy", reader, expect: { error: "PARSE_FAILED" } },
  ],
});

describe("describeParser's assertions catch broken parsers", () => {
  it("assertPluginDeclaration refuses a package.json that names the parser differently", () => {
    expect(() => assertPluginDeclaration(toyPlugin, { name: "p", virtualizarr: { parsers: { toy: "./dist/index.js" } } })).not.toThrow();
    expect(() => assertPluginDeclaration(toyPlugin, { name: "p", virtualizarr: { parsers: { toys: "./dist/index.js" } } })).toThrow(
      /declares parsers \[toys\] but the plugin's runtime name is "toy"/,
    );
    expect(() => assertPluginDeclaration(toyPlugin, { name: "p" })).toThrow(/virtualizarr.parsers/);
    expect(() => assertPluginDeclaration(toyPlugin, { name: "p", virtualizarr: { parsers: { toy: "dist/index.js" } } })).toThrow(/relative module path/);
    expect(() => assertPluginDeclaration({ ...toyPlugin, description: "" }, { virtualizarr: { parsers: { toy: "./i.js" } } })).toThrow(/no description/);
    // declared codecs and the plugin's codecs must agree
    const codec = { fromConfig: () => ({}) };
    const withCodec = { ...toyPlugin, codecs: { toy_codec: codec } };
    expect(() => assertPluginDeclaration(withCodec, { name: "p", virtualizarr: { parsers: { toy: "./i.js" }, codecs: { toy: ["toy_codec"] } } })).not.toThrow();
    expect(() => assertPluginDeclaration(withCodec, { name: "p", virtualizarr: { parsers: { toy: "./i.js" } } })).toThrow(/declares codecs \[\] for parser "toy".*provides \[toy_codec\]/);
    expect(() => assertPluginDeclaration(toyPlugin, { name: "p", virtualizarr: { parsers: { toy: "./i.js" }, codecs: { toy: ["ghost"] } } })).toThrow(/declares codecs \[ghost\]/);
  });

  it("assertZarrMetadataDocument refuses inconsistent array metadata", () => {
    const good = createArrayMetadata({ shape: [4, 2], dataType: "int16", chunkShape: [2, 2], dimensionNames: ["a", "b"] });
    expect(() => assertZarrMetadataDocument(good, "good/zarr.json")).not.toThrow();
    expect(() => assertZarrMetadataDocument({ zarr_format: 3, node_type: "group", attributes: {} }, "zarr.json")).not.toThrow();
    const broken = (patch: Record<string, unknown>) => ({ ...JSON.parse(JSON.stringify(good)), ...patch });
    expect(() => assertZarrMetadataDocument(broken({ zarr_format: 2 }), "k")).toThrow(/zarr_format/);
    expect(() => assertZarrMetadataDocument(broken({ shape: [4, -1] }), "k")).toThrow(/shape/);
    expect(() =>
      assertZarrMetadataDocument(broken({ chunk_grid: { name: "regular", configuration: { chunk_shape: [2] } } }), "k"),
    ).toThrow(/chunk_shape has 1 dimensions, shape has 2/);
    expect(() => assertZarrMetadataDocument(broken({ chunk_grid: { name: "regular", configuration: { chunk_shape: [0, 2] } } }), "k")).toThrow(
      /positive integers/,
    );
    expect(() => assertZarrMetadataDocument(broken({ dimension_names: ["a"] }), "k")).toThrow(/dimension_names/);
    expect(() => assertZarrMetadataDocument(broken({ codecs: [] }), "k")).toThrow(/codecs/);
    const noFill = broken({});
    delete noFill.fill_value;
    expect(() => assertZarrMetadataDocument(noFill, "k")).toThrow(/fill_value/);
  });

  it("assertChunkRefsInside refuses a reference past the end of its file", async () => {
    const url = "memory://toy/short.bin";
    const memory = new MemoryReader({ [url]: new Uint8Array(100) });
    const make = (offset: number, length: number) => {
      const builder = new ChunkManifestBuilder([2]);
      builder.set([0], url, 0, 50);
      builder.set([1], url, offset, length);
      const metadata = createArrayMetadata({ shape: [2], dataType: "uint8", chunkShape: [1] });
      return new ManifestStore(new ManifestGroup({ arrays: { a: new ManifestArray(metadata, builder.build()) } }), memory);
    };
    await expect(assertChunkRefsInside(make(50, 50))).resolves.toBe(2);
    await expect(assertChunkRefsInside(make(60, 41))).rejects.toThrow(/a: chunk 1 refers to bytes 60..101 of memory:\/\/toy\/short.bin, which has 100 bytes/);
    await expect(assertZarrMetadata(make(50, 50))).resolves.toBeInstanceOf(Map);
  });

  it("isDecodableByZarrita knows what zarrita cannot read", () => {
    expect(isDecodableByZarrita(createArrayMetadata({ shape: [2], dataType: "float64", chunkShape: [2], endian: "big" }))).toBe(true);
    expect(isDecodableByZarrita(createArrayMetadata({ shape: [2], dataType: "fixed_length_bytes:4", chunkShape: [2] }))).toBe(true);
    expect(isDecodableByZarrita(createArrayMetadata({ shape: [2], dataType: "fixed_length_utf32:4", chunkShape: [2] }))).toBe(false);
    expect(
      isDecodableByZarrita(
        createArrayMetadata({ shape: [2], dataType: "uint8", chunkShape: [2], codecs: [{ name: "bytes" }, { name: "no-such-codec" }] }),
      ),
    ).toBe(false);
  });
});
