import { describe, expect, it } from "vitest";
import {
  ChunkManifestBuilder,
  createArrayMetadata,
  isVzError,
  LoadedArray,
  ManifestArray,
  ManifestGroup,
  ManifestStore,
  MemoryReader,
  openVirtualDataset,
  type ParserPlugin,
  ParserRegistry,
} from "../src/index.js";
import { isVirtual } from "../src/internal.js";

const URL_A = "memory://bucket/a.bin";

/** A file of three float64 "time" values, then a 3x4 int16 big-endian "temp" array in two chunks of rows. */
function buildFile(): { bytes: Uint8Array; time: number[]; temp: number[] } {
  const time = [0, 6, 12];
  const temp = Array.from({ length: 12 }, (_, i) => i * 7 - 30);
  const bytes = new Uint8Array(24 + 24 + 100);
  const view = new DataView(bytes.buffer);
  time.forEach((v, i) => view.setFloat64(i * 8, v, true));
  temp.forEach((v, i) => view.setInt16(24 + i * 2, v, false));
  return { bytes, time, temp };
}

function buildStore(reader: MemoryReader): ManifestStore {
  const timeManifest = new ChunkManifestBuilder([1]).set([0], URL_A, 0, 24).build();
  const time = new ManifestArray(
    createArrayMetadata({
      shape: [3],
      dataType: "float64",
      chunkShape: [3],
      dimensionNames: ["time"],
      attributes: { units: "hours since 2020-01-01" },
    }),
    timeManifest,
  );
  const tempManifest = new ChunkManifestBuilder([2, 1]).set([0, 0], URL_A, 24, 16).set([1, 0], URL_A, 40, 16).build();
  const temp = new ManifestArray(
    createArrayMetadata({
      shape: [3, 4],
      dataType: "int16",
      chunkShape: [2, 4],
      endian: "big",
      dimensionNames: ["time", "x"],
      attributes: { coordinates: "label", units: "K" },
      fillValue: -1,
    }),
    tempManifest,
  );
  const labelManifest = new ChunkManifestBuilder([1]).set([0], URL_A, 0, 8).build();
  const label = new ManifestArray(
    createArrayMetadata({ shape: [4], dataType: "int16", chunkShape: [4], dimensionNames: ["x"] }),
    labelManifest,
  );
  const group = new ManifestGroup({ arrays: { time, temp, label }, attributes: { title: "test" } });
  return new ManifestStore(group, reader);
}

function pluginFor(store: ManifestStore): ParserPlugin {
  return { name: "hand", description: "hand-built store", create: () => async () => store };
}

describe("openVirtualDataset", () => {
  const { bytes, time, temp } = buildFile();
  const reader = new MemoryReader({ [URL_A]: bytes });
  const store = buildStore(reader);
  const registry = new ParserRegistry([pluginFor(store)]);

  it("loads dimension coordinates by default and keeps other variables virtual", async () => {
    const vds = await openVirtualDataset(URL_A, { parser: "hand", registry, reader });
    expect([...vds.variables.keys()].sort()).toEqual(["label", "temp", "time"]);
    expect(vds.coords.sort()).toEqual(["label", "time"]);
    expect(vds.dataVars).toEqual(["temp"]);
    const timeVar = vds.variables.get("time")!;
    expect(timeVar.data).toBeInstanceOf(LoadedArray);
    expect(Array.from((timeVar.data as LoadedArray).values as Float64Array)).toEqual(time);
    expect(isVirtual(vds.variables.get("temp")!)).toBe(true);
    expect(Object.fromEntries(vds.dims)).toEqual({ time: 3, x: 4 });
    expect(vds.attrs).toEqual({ title: "test" });
    expect(vds.chunkCount).toBe(3);
  });

  it("loads the variables asked for, reading big-endian chunks through zarrita", async () => {
    const vds = await openVirtualDataset(URL_A, { parser: "hand", registry, reader, loadableVariables: ["temp"] });
    const loaded = vds.variables.get("temp")!.data as LoadedArray;
    expect(loaded.shape).toEqual([3, 4]);
    expect(Array.from(loaded.values as Int16Array)).toEqual(temp);
    expect(isVirtual(vds.variables.get("time")!)).toBe(true);
  });

  it("drops variables", async () => {
    const vds = await openVirtualDataset(URL_A, { parser: "hand", registry, reader, dropVariables: ["label"] });
    expect([...vds.variables.keys()].sort()).toEqual(["temp", "time"]);
    expect(vds.coords).toEqual(["time"]);
  });

  it("refuses an unknown loadable variable and an unknown group, naming them", async () => {
    const missing = await openVirtualDataset(URL_A, { parser: "hand", registry, reader, loadableVariables: ["nope"] }).catch((e) => e);
    expect(isVzError(missing, "INVALID_ARGUMENT")).toBe(true);
    expect(missing.message).toContain('loadable variable "nope"');
    const group = await openVirtualDataset(URL_A, { parser: "hand", registry, reader, group: "sub" }).catch((e) => e);
    expect(isVzError(group, "INVALID_ARGUMENT")).toBe(true);
    expect(group.message).toContain('no group "sub"');
  });

  it("wraps a plugin's untyped failure in a ParseError naming parser and file", async () => {
    const broken: ParserPlugin = {
      name: "broken",
      description: "throws",
      create: () => async () => {
        throw new TypeError("boom");
      },
    };
    const error = await openVirtualDataset(URL_A, { parser: broken, reader }).catch((e) => e);
    expect(isVzError(error, "PARSE_FAILED")).toBe(true);
    expect(error.message).toBe(`parser "broken" failed on ${URL_A}: boom`);
    expect(error.url).toBe(URL_A);
  });

  it("keeps the partial edge chunk as a full-size chunk reference", async () => {
    const vds = await openVirtualDataset(URL_A, { parser: "hand", registry, reader, loadableVariables: [] });
    const array = vds.variables.get("temp")!.data as ManifestArray;
    expect(array.manifest.get([1, 0])).toEqual({ url: URL_A, offset: 40, length: 16 });
  });
});
