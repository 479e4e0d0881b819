/**
 * Options (dataUrl and href resolution, group, dropVariables, onUnsupported, containerAttributes,
 * defaultByteOrder), sniffing, and typed errors naming file, variable and reason for bad input.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { isVzError, type ManifestArray, MemoryReader, type VzErrorCode } from "@vz/core";
import { FileReader, toUrl } from "@vz/core/node";
import { readArrayThroughZarrita } from "@vz/core/testing";
import { describe, expect, it } from "vitest";
import { createDmrppParser, DATA_ACCESS_URL_PLACEHOLDER, NC_FILL_DOUBLE, resolveHref, sniffDmrpp, type DmrppParserOptions } from "../src/index.js";
import { DMRPP_DATA, HAVE_DMRPP_DATA, NO_DATA_REASON } from "./helpers.js";
import { makeSyntheticPair } from "./synthetic.js";

const encode = (text: string) => new TextEncoder().encode(text);

function memory(dmrpp: string, extra: Record<string, Uint8Array> = {}) {
  return new MemoryReader({ "memory://t/d/file.h5.dmrpp": encode(dmrpp), ...extra });
}

async function parseError(dmrpp: string, options: DmrppParserOptions = {}, extra: Record<string, Uint8Array> = {}): Promise<Error & { code: VzErrorCode; variable?: string }> {
  const outcome = await createDmrppParser(options)("memory://t/d/file.h5.dmrpp", memory(dmrpp, extra)).then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(outcome, "the parse should fail").toBeDefined();
  expect(isVzError(outcome), String(outcome)).toBe(true);
  expect((outcome as Error).message).toContain("memory://t/d/file.h5.dmrpp");
  return outcome as Error & { code: VzErrorCode; variable?: string };
}

const doc = (body: string, href = "file.h5") =>
  `<?xml version="1.0"?><Dataset xmlns="http://xml.opendap.org/ns/DAP/4.0#" xmlns:dmrpp="http://xml.opendap.org/dap/dmrpp/1.0.0#" name="file.h5" dmrpp:href="${href}">${body}</Dataset>`;
const int32 = (chunks: string, dims = '<Dim size="4"/>') => doc(`<Int32 name="v">${dims}${chunks}</Int32>`);

describe("href resolution and the dataUrl option", () => {
  it("resolves relative, absolute, root-relative hrefs and the placeholder against the DMR++ URL", () => {
    expect(resolveHref("data/x.h5", "https://host/a/b/x.h5.dmrpp")).toBe("https://host/a/b/data/x.h5");
    expect(resolveHref("/data/x.h5", "https://host/a/b/x.h5.dmrpp")).toBe("https://host/data/x.h5");
    expect(resolveHref("s3://bucket/x.h5", "https://host/a/x.h5.dmrpp")).toBe("s3://bucket/x.h5");
    expect(resolveHref(DATA_ACCESS_URL_PLACEHOLDER, "s3://bucket/k/x.h5.dmrpp")).toBe("s3://bucket/k/x.h5");
    expect(resolveHref(undefined, "file:///d/x.nc.dmrpp")).toBe("file:///d/x.nc");
    expect(() => resolveHref(DATA_ACCESS_URL_PLACEHOLDER, "https://host/x.xml")).toThrow(/dataUrl/);
  });

  it("uses the resolved href for every chunk; a string dataUrl replaces it; a function maps it", async () => {
    const text = int32('<dmrpp:chunks byteOrder="LE"><dmrpp:chunk offset="0" nBytes="16"/></dmrpp:chunks>', '<Dim size="4"/>');
    const data = new Uint8Array(new Int32Array([5, 6, 7, 8]).buffer);
    const reader = memory(text, { "memory://t/d/file.h5": data, "memory://mirror/file.h5": data });
    const urlOf = async (options: DmrppParserOptions) => {
      const store = await createDmrppParser(options)("memory://t/d/file.h5.dmrpp", reader);
      const array = store.group.resolve("v") as ManifestArray;
      const { values } = await readArrayThroughZarrita(store, "v");
      expect(Array.from(values as Int32Array)).toEqual([5, 6, 7, 8]);
      return array.manifest.urls;
    };
    expect(await urlOf({})).toEqual(["memory://t/d/file.h5"]);
    expect(await urlOf({ dataUrl: "memory://mirror/file.h5" })).toEqual(["memory://mirror/file.h5"]);
    expect(await urlOf({ dataUrl: (href) => `memory://mirror/${href}` })).toEqual(["memory://mirror/file.h5"]);
    const error = await parseError(text, { dataUrl: "relative/path.h5" });
    expect(error.code).toBe("INVALID_ARGUMENT");
  });

  it("per-chunk href attributes are resolved too", async () => {
    const text = int32('<dmrpp:chunks byteOrder="LE"><dmrpp:chunkDimensionSizes>2</dmrpp:chunkDimensionSizes><dmrpp:chunk offset="0" nBytes="8" chunkPositionInArray="[0]"/><dmrpp:chunk href="other.h5" offset="4" nBytes="8" chunkPositionInArray="[2]"/></dmrpp:chunks>');
    const store = await createDmrppParser()(
      "memory://t/d/file.h5.dmrpp",
      memory(text, { "memory://t/d/file.h5": new Uint8Array(new Int32Array([1, 2]).buffer), "memory://t/d/other.h5": new Uint8Array(new Int32Array([0, 3, 4]).buffer) }),
    );
    const { values } = await readArrayThroughZarrita(store, "v");
    expect(Array.from(values as Int32Array)).toEqual([1, 2, 3, 4]);
  });
});

describe("options", () => {
  const pair = makeSyntheticPair("synthetic.h5");
  const reader = new MemoryReader({ "memory://o/synthetic.h5.dmrpp": encode(pair.dmrpp), "memory://o/synthetic.h5": pair.data });
  const parse = (options: DmrppParserOptions) => createDmrppParser(options)("memory://o/synthetic.h5.dmrpp", reader);

  it("onUnsupported: a Structure is an UnsupportedFeatureError naming file and variable, or a reported skip", async () => {
    const error = (await parse({}).catch((e: unknown) => e)) as Error & { code: string; variable: string; feature: string };
    expect(isVzError(error, "UNSUPPORTED")).toBe(true);
    expect(error.variable).toBe("rec");
    expect(error.feature).toBe("dap:structure");
    expect(error.message).toContain("memory://o/synthetic.h5.dmrpp");
    const store = await parse({ onUnsupported: "skip" });
    expect(store.diagnostics.map((d) => d.variable)).toEqual(["rec"]);
    expect(store.group.resolve("rec")).toBeUndefined();
  });

  it("containerAttributes: flatten (default), nest, drop; HDF5_GLOBAL goes to the root; build metadata only on request", async () => {
    const attrs = async (options: DmrppParserOptions) => (await parse({ onUnsupported: "skip", ...options })).group.attributes;
    expect(await attrs({})).toEqual({ title: "synthetic", history: "made in a test", "meta.version": 3 });
    expect(await attrs({ containerAttributes: "nest" })).toEqual({ title: "synthetic", history: "made in a test", meta: { version: 3 } });
    expect(await attrs({ containerAttributes: "drop" })).toEqual({ history: "made in a test" });
    expect(await attrs({ keepBuildMetadata: true })).toMatchObject({ "build_dmrpp_metadata.build_dmrpp": "3.21.1" });
    const temp = (await parse({ onUnsupported: "skip" })).group.resolve("temp") as { metadata: { attributes: Record<string, unknown> } };
    expect(temp.metadata.attributes).toEqual({ units: "degC & more", valid_range: [-3, 6.5], missing: Number.NaN });
  });

  it("group and dropVariables", async () => {
    const store = await parse({ group: "/g", dropVariables: ["anon", "/g/v_Int8"] });
    const arrays = [...store.group.walkArrays()].map(([path]) => path);
    expect(arrays).toContain("v_Int16");
    expect(arrays).not.toContain("anon");
    expect(arrays).not.toContain("v_Int8");
    const missing = await parse({ group: "nope" }).catch((e: unknown) => e);
    expect(isVzError(missing, "NOT_FOUND")).toBe(true);
  });

  it("invalid options are typed errors", async () => {
    expect(isVzError(await parse({ onUnsupported: "ignore" as "skip" }).catch((e: unknown) => e), "INVALID_ARGUMENT")).toBe(true);
    expect(isVzError(await parse({ onUnsupported: "skip", containerAttributes: "merge" as "nest" }).catch((e: unknown) => e), "INVALID_ARGUMENT")).toBe(true);
  });

  it("defaultByteOrder applies where byteOrder is absent", async () => {
    const text = int32('<dmrpp:chunks><dmrpp:chunk offset="0" nBytes="16"/></dmrpp:chunks>');
    const data = new Uint8Array(16);
    [1, 2, 3, 4].forEach((v, i) => new DataView(data.buffer).setInt32(i * 4, v, false));
    const store = await createDmrppParser({ defaultByteOrder: "BE" })("memory://t/d/file.h5.dmrpp", memory(text, { "memory://t/d/file.h5": data }));
    expect(Array.from((await readArrayThroughZarrita(store, "v")).values as Int32Array)).toEqual([1, 2, 3, 4]);
  });

  it("a float64 fill printed as 9.96921e+36 is netCDF's NC_FILL_DOUBLE; other fills keep their value", async () => {
    const fill = async (type: string, text: string) => {
      const store = await createDmrppParser()("memory://t/d/file.h5.dmrpp", memory(doc(`<${type} name="v"><Dim size="2"/><dmrpp:chunks fillValue="${text}" byteOrder="LE"/></${type}>`)));
      return (store.group.resolve("v") as ManifestArray).metadata.fill_value;
    };
    expect(await fill("Float64", "9.96921e+36")).toBe(NC_FILL_DOUBLE);
    expect(await fill("Float64", "9.96921e+35")).toBe(9.96921e35);
    expect(await fill("Float32", "9.96921e+36")).toBe(Math.fround(NC_FILL_DOUBLE));
    expect(await fill("Float32", "nan")).toBe("NaN");
    expect(await fill("Int64", "-9223372036854775806")).toBe(-9223372036854775806n);
  });

  it("1-byte fixed-length strings (netCDF char, |S1) are fixed_length_bytes:1 references like the HDF5 parser's; wider and width-less strings stay strings", async () => {
    const text = doc(
      '<String name="chars"><Dim size="2"/><Dim size="3"/><dmrpp:chunks fillValue="unsupported-string"><dmrpp:chunkDimensionSizes>1 3</dmrpp:chunkDimensionSizes>' +
        '<dmrpp:chunk offset="0" nBytes="3" chunkPositionInArray="[0,0]"/><dmrpp:chunk offset="3" nBytes="3" chunkPositionInArray="[1,0]"/></dmrpp:chunks>' +
        '<dmrpp:FixedLengthStringArray string_length="1" pad="null_pad"/></String>' +
        '<String name="letter"><dmrpp:chunks fillValue="x"><dmrpp:chunk offset="6" nBytes="1"/></dmrpp:chunks></String>' +
        '<String name="pair"><Dim size="1"/><dmrpp:chunks><dmrpp:chunk offset="0" nBytes="2"/></dmrpp:chunks><dmrpp:FixedLengthStringArray string_length="2" pad="null_pad"/></String>' +
        '<String name="empty"><dmrpp:chunks fillValue=""/></String>',
    );
    const store = await createDmrppParser()("memory://t/d/file.h5.dmrpp", memory(text, { "memory://t/d/file.h5": encode("abcdeZ!") }));
    const chars = store.group.resolve("chars") as ManifestArray;
    expect(chars.metadata).toMatchObject({ shape: [2, 3], data_type: "fixed_length_bytes:1", fill_value: "", codecs: [{ name: "bytes", configuration: { endian: "little" } }] });
    expect(chars.metadata.chunk_grid.configuration.chunk_shape).toEqual([1, 3]);
    expect([chars.manifest.offsetAt(1), chars.manifest.lengthAt(1)]).toEqual([3, 3]);
    const letter = store.group.resolve("letter") as ManifestArray;
    expect(letter.metadata).toMatchObject({ shape: [], data_type: "fixed_length_bytes:1", fill_value: "x" });
    expect([letter.manifest.kindAt(0), letter.manifest.offsetAt(0), letter.manifest.lengthAt(0)]).toEqual(["ref", 6, 1]);
    expect((store.group.resolve("pair") as ManifestArray).metadata.data_type).toBe("string");
    expect((store.group.resolve("empty") as ManifestArray).metadata.data_type).toBe("string");
  });

  it("an aborted signal stops the parse with AbortedError", async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await createDmrppParser({ onUnsupported: "skip" })("memory://o/synthetic.h5.dmrpp", reader, { signal: controller.signal }).catch((e: unknown) => e);
    expect(isVzError(error)).toBe(true);
  });
});

describe("sniff", () => {
  it("accepts DMR++ documents, rejects other XML and HDF5", () => {
    expect(sniffDmrpp(encode(makeSyntheticPair("x.h5").dmrpp))).toBe(true);
    expect(sniffDmrpp(encode('<?xml version="1.0"?><Dataset xmlns="http://xml.opendap.org/ns/DAP/4.0#" name="x"/>'))).toBe(false);
    expect(sniffDmrpp(encode('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>'))).toBe(false);
    expect(sniffDmrpp(new Uint8Array([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a, ...new Array<number>(64).fill(0)]))).toBe(false);
  });
});

describe("bad input: typed errors naming file, variable and reason", () => {
  const cases: [string, string, VzErrorCode, string | undefined, RegExp][] = [
    ["unclosed element", doc("<Int32 name='v'>"), "PARSE_FAILED", undefined, /not well-formed XML/],
    ["mismatched tag", doc("<Int32 name='v'></Float32>"), "PARSE_FAILED", undefined, /does not match/],
    ["unknown entity", doc("<Attribute name='a' type='String'><Value>&bogus;</Value></Attribute>"), "PARSE_FAILED", undefined, /unknown entity/],
    ["chunk position of another rank", int32('<dmrpp:chunks><dmrpp:chunkDimensionSizes>2</dmrpp:chunkDimensionSizes><dmrpp:chunk offset="0" nBytes="8" chunkPositionInArray="[0,0]"/></dmrpp:chunks>'), "PARSE_FAILED", "v", /chunkPositionInArray/],
    ["chunk position off the grid", int32('<dmrpp:chunks><dmrpp:chunkDimensionSizes>2</dmrpp:chunkDimensionSizes><dmrpp:chunk offset="0" nBytes="8" chunkPositionInArray="[1]"/></dmrpp:chunks>'), "PARSE_FAILED", "v", /not the start of a chunk/],
    ["chunk position outside", int32('<dmrpp:chunks><dmrpp:chunkDimensionSizes>2</dmrpp:chunkDimensionSizes><dmrpp:chunk offset="0" nBytes="8" chunkPositionInArray="[4]"/></dmrpp:chunks>'), "PARSE_FAILED", "v", /not the start of a chunk/],
    ["negative offset", int32('<dmrpp:chunks><dmrpp:chunk offset="-4" nBytes="16"/></dmrpp:chunks>'), "PARSE_FAILED", "v", /non-negative integers/],
    ["offset beyond 2^53", int32('<dmrpp:chunks><dmrpp:chunk offset="99999999999999999999" nBytes="16"/></dmrpp:chunks>'), "PARSE_FAILED", "v", /2\^53/],
    ["duplicate chunk", int32('<dmrpp:chunks><dmrpp:chunkDimensionSizes>2</dmrpp:chunkDimensionSizes><dmrpp:chunk offset="0" nBytes="8" chunkPositionInArray="[0]"/><dmrpp:chunk offset="8" nBytes="8" chunkPositionInArray="[0]"/></dmrpp:chunks>'), "PARSE_FAILED", "v", /two dmrpp:chunk/],
    ["chunk sizes of another rank", int32('<dmrpp:chunks><dmrpp:chunkDimensionSizes>2 2</dmrpp:chunkDimensionSizes></dmrpp:chunks>'), "PARSE_FAILED", "v", /chunkDimensionSizes/],
    ["fill value not a number", int32('<dmrpp:chunks fillValue="abc"/>'), "PARSE_FAILED", "v", /fillValue/],
    ["fill value out of range", int32('<dmrpp:chunks fillValue="4294967296"/>'), "PARSE_FAILED", "v", /outside the range/],
    ["bad byte order", int32('<dmrpp:chunks byteOrder="XX"/>'), "PARSE_FAILED", "v", /byteOrder/],
    ["undeclared dimension", int32('<dmrpp:chunks/>', '<Dim name="/nope"/>'), "PARSE_FAILED", "v", /names no <Dimension>/],
    ["malformed compact", int32("<dmrpp:compact>@@@@</dmrpp:compact>"), "PARSE_FAILED", "v", /base64/],
    ["short compact", int32("<dmrpp:compact>AAAA</dmrpp:compact>"), "PARSE_FAILED", "v", /needs 16/],
    ["corrupt missing data", int32("<dmrpp:missingdata>AAAAAAAA</dmrpp:missingdata>"), "PARSE_FAILED", "v", /missingdata/],
    ["bad attribute number", doc("<Attribute name='n' type='Int16'><Value>12x</Value></Attribute>"), "PARSE_FAILED", undefined, /attribute n/],
    ["unknown compression", int32('<dmrpp:chunks compressionType="szip"><dmrpp:chunk offset="0" nBytes="16"/></dmrpp:chunks>'), "UNSUPPORTED", "v", /szip/],
    ["HDF4 linked blocks", int32('<dmrpp:chunks><dmrpp:block offset="0" nBytes="8"/><dmrpp:block offset="8" nBytes="8"/></dmrpp:chunks>'), "UNSUPPORTED", "v", /linked blocks/],
    ["no storage at all", int32(""), "UNSUPPORTED", "v", /no storage/],
    ["filter mask", int32('<dmrpp:chunks compressionType="deflate"><dmrpp:chunk offset="0" nBytes="16" fm="1"/></dmrpp:chunks>'), "UNSUPPORTED", "v", /filter mask/],
    ["variable-length string array in the heap", doc('<String name="s"><Dim size="2"/><dmrpp:chunks><dmrpp:chunk offset="0" nBytes="32"/></dmrpp:chunks></String>'), "UNSUPPORTED", "s", /variable-length/],
    ["a string array too large to read", doc('<String name="s"><Dim size="1000000000000"/><dmrpp:chunks fillValue="x"/></String>'), "UNSUPPORTED", "s", /maxStringBytes/],
    ["a chunk grid too large", int32('<dmrpp:chunks><dmrpp:chunkDimensionSizes>1</dmrpp:chunkDimensionSizes></dmrpp:chunks>', '<Dim size="1000000000000"/>'), "UNSUPPORTED", "v", /limit/],
    ["vlsa count mismatch", doc('<String name="s"><Dim size="3"/><dmrpp:vlsa><v>a</v></dmrpp:vlsa></String>'), "PARSE_FAILED", "s", /holds 1 values/],
  ];
  it.each(cases)("%s", async (_title, text, code, variable, pattern) => {
    const error = await parseError(text);
    expect(error.code).toBe(code);
    expect(error.message).toMatch(pattern);
    if (variable) {
      expect(error.variable).toBe(variable);
      expect(error.message).toContain(`variable ${variable}`);
    }
  });

  it("an empty document", async () => {
    expect((await parseError("")).code).toBe("PARSE_FAILED");
  });
});

describe.skipIf(!HAVE_DMRPP_DATA)(`real documents${HAVE_DMRPP_DATA ? "" : ` (${NO_DATA_REASON})`}`, () => {
  it("bes's deliberately inconsistent t_string_chunk.h5.dmrpp: ParseError naming array_1d_hacked_to_bytes", async () => {
    const file = "dmrpp_module_string_arrays_t_string_chunk.h5";
    const url = toUrl(resolve(DMRPP_DATA, `${file}.dmrpp`));
    const error = (await createDmrppParser({ dataUrl: toUrl(resolve(DMRPP_DATA, file)) })(url, new FileReader()).catch((e: unknown) => e)) as Error & { variable?: string };
    expect(isVzError(error, "PARSE_FAILED")).toBe(true);
    expect(error.variable).toBe("array_1d_hacked_to_bytes");
    expect(error.message).toContain(url);
  });

  it("a stray line before the XML declaration (SDS_simple_comp.hdf.dmrpp) is tolerated and sniffed", () => {
    const bytes = readFileSync(resolve(DMRPP_DATA, "dmrpp_module_h4_dmrpp_SDS_simple_comp.hdf.dmrpp"));
    expect(new TextDecoder().decode(bytes.subarray(0, 6))).not.toBe("<?xml ");
    expect(sniffDmrpp(bytes.subarray(0, 4104))).toBe(true);
  });
});
