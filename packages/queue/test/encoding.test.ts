import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { LoadedArray, ManifestArray, openVirtualDataset, toKerchunk, toVirtualDatatree, openManifestStore, VirtualDataset } from "@vz/core";
import { createDiscoveredParserRegistry, FileReader } from "@vz/core/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDecodeInterner, decodeDataset, decodeResult, decodeTree, encodeDataset, encodeTree } from "../src/index.js";
import { PYTHON, ROOT, tempDir } from "./helpers.js";

const tmp = tempDir("vz-queue-enc-");
let file: string;

beforeAll(() => {
  file = join(tmp.dir, "mixed.nc");
  execFileSync(PYTHON, [
    "-c",
    `
import sys, numpy as np, netCDF4
with netCDF4.Dataset(sys.argv[1], "w") as ds:
    ds.title = "encoding"; ds.history = "made for \\u00e9 tests"
    ds.createDimension("x", 6); ds.createDimension("n", 3)
    x = ds.createVariable("x", "i8", ("x",), fill_value=np.int64(-9223372036854775806)); x[:] = np.arange(6) * 10**15
    big = ds.createVariable("big", "u8", ("x",), fill_value=np.uint64(18446744073709551610)); big[:] = np.arange(6, dtype="u8")
    f = ds.createVariable("f", "f8", ("x",), chunksizes=(2,), fill_value=np.nan); f[:] = [1.5, np.nan, np.inf, -np.inf, 0, 2]
    s = ds.createVariable("names", str, ("n",)); s[0] = "alpha"; s[1] = "b\\u00e9ta"; s[2] = ""
    g = ds.createGroup("sub"); g.note = "child"
    g.createDimension("y", 4); y = g.createVariable("y", "f4", ("y",), chunksizes=(2,), fill_value=np.float32(np.nan)); y[:] = [1, 2, 3, 4]
`,
    file,
  ]);
});
afterAll(() => tmp.remove());

function describeDataset(dataset: VirtualDataset): unknown {
  return {
    attrs: dataset.attrs,
    coordNames: [...dataset.coordNames].sort(),
    variables: [...dataset.variables].map(([name, variable]) => {
      const data = variable.data;
      if (data instanceof ManifestArray) {
        const arrays = data.manifest.toArrays();
        return { name, dims: variable.dims, attrs: variable.attrs, encoding: variable.encoding, metadata: data.metadata, urls: arrays.urls, urlIds: [...arrays.urlIds], offsets: [...arrays.offsets], lengths: [...arrays.lengths], inlined: [...arrays.inlined] };
      }
      const loaded = data as LoadedArray;
      return { name, dims: variable.dims, attrs: variable.attrs, encoding: variable.encoding, dataType: loaded.dataType, shape: loaded.shape, fillValue: loaded.fillValue, values: Array.from(loaded.values as ArrayLike<unknown>), ctor: (loaded.values as object).constructor.name };
    }),
  };
}

describe("encodeDataset / decodeDataset", () => {
  it("round-trips manifests and loaded variables (strings, int64/uint64, NaN and infinite values and fills)", async () => {
    const { registry } = createDiscoveredParserRegistry({ from: [join(ROOT, "apps/cli")] });
    const url = new URL(`file://${file}`).href;
    const dataset = await openVirtualDataset(url, { reader: new FileReader(), registry, parser: "hdf5", loadableVariables: ["x", "big", "names"] });
    expect(dataset.variables.get("names")!.data).toBeInstanceOf(LoadedArray);
    expect(dataset.variables.get("f")!.data).toBeInstanceOf(ManifestArray);
    expect((dataset.variables.get("big")!.data as LoadedArray).values).toBeInstanceOf(BigUint64Array);
    const bytes = encodeDataset(dataset);
    const decoded = decodeDataset(bytes, "test");
    expect(describeDataset(decoded)).toEqual(describeDataset(dataset));
    expect(Array.from((decoded.variables.get("names")!.data as LoadedArray).values as ArrayLike<unknown>)).toEqual(["alpha", "béta", ""]);
    expect(JSON.stringify(toKerchunk(decoded))).toBe(JSON.stringify(toKerchunk(dataset)));
    // Compact: typed arrays, not JSON numbers per chunk.
    expect(bytes.byteLength).toBeLessThan(20_000);
  });

  it("round-trips a whole tree (every group) and writes the same kerchunk JSON", async () => {
    const { registry } = createDiscoveredParserRegistry({ from: [join(ROOT, "apps/cli")] });
    const url = new URL(`file://${file}`).href;
    const { store } = await openManifestStore(url, { reader: new FileReader(), registry, parser: "hdf5" });
    const tree = await toVirtualDatatree(store, { url });
    expect([...tree.toMap().keys()]).toEqual(["", "sub"]);
    const decoded = decodeTree(encodeTree(tree), "test");
    expect([...decoded.toMap().keys()]).toEqual(["", "sub"]);
    for (const [path, dataset] of tree.toMap()) expect(describeDataset(decoded.toMap().get(path)!)).toEqual(describeDataset(dataset));
    expect(JSON.stringify(toKerchunk(decoded))).toBe(JSON.stringify(toKerchunk(tree)));
  });

  it("carries the parser's diagnostics (skipped variables) with the tree; a version 2 value decodes with none", async () => {
    const skipFile = join(tmp.dir, "compound.nc");
    // netCDF4-python writes a compound variable (no Zarr equivalent) next to a plain one.
    execFileSync(PYTHON, [
      "-c",
      `
import sys, numpy as np, netCDF4
with netCDF4.Dataset(sys.argv[1], "w") as ds:
    ds.createDimension("x", 2)
    pair = ds.createCompoundType(np.dtype([("a", "i4"), ("b", "f8")]), "pair")
    c = ds.createVariable("obs", pair, ("x",)); c[:] = np.array([(1, 2.0), (3, 4.0)], dtype=pair.dtype)
    v = ds.createVariable("v", "f4", ("x",)); v[:] = [1, 2]
`,
      skipFile,
    ]);
    const { registry } = createDiscoveredParserRegistry({ from: [join(ROOT, "apps/cli")] });
    const url = new URL(`file://${skipFile}`).href;
    const { store } = await openManifestStore(url, { reader: new FileReader(), registry, parser: "hdf5", parserOptions: { onUnsupported: "skip" } });
    expect(store.diagnostics.map((d) => d.variable)).toEqual(["obs"]);
    const tree = await toVirtualDatatree(store, { url });
    const bytes = encodeTree(tree, store.diagnostics);
    expect(new DataView(bytes.buffer, bytes.byteOffset).getUint32(4, true)).toBe(3);
    const decoded = decodeResult(bytes, "test");
    expect(JSON.stringify(toKerchunk(decoded.tree))).toBe(JSON.stringify(toKerchunk(tree)));
    expect(decoded.diagnostics.map((d) => ({ code: d.code, name: d.name, message: d.message, url: d.url, variable: d.variable }))).toEqual(
      store.diagnostics.map((d) => ({ code: d.code, name: d.name, message: d.message, url: d.url, variable: d.variable })),
    );
    // Without diagnostics the header is what version 2 wrote: such a value still decodes, with none.
    const plain = encodeTree(tree);
    const v2 = plain.slice();
    new DataView(v2.buffer).setUint32(4, 2, true);
    const old = decodeResult(v2, "old");
    expect(old.diagnostics).toEqual([]);
    expect(JSON.stringify(toKerchunk(old.tree))).toBe(JSON.stringify(toKerchunk(tree)));
    // Another version is refused, naming the value.
    const v9 = plain.slice();
    new DataView(v9.buffer).setUint32(4, 9, true);
    expect(() => decodeResult(v9, "vz:key")).toThrow(/vz:key is not an encoded dataset of version 2 or 3/);
  });

  it("with an interner, decoded results share (frozen) metadata that repeats and still decode exactly", async () => {
    const { registry } = createDiscoveredParserRegistry({ from: [join(ROOT, "apps/cli")] });
    const url = new URL(`file://${file}`).href;
    const { store } = await openManifestStore(url, { reader: new FileReader(), registry, parser: "hdf5" });
    const tree = await toVirtualDatatree(store, { url });
    const bytes = encodeTree(tree);
    const interner = createDecodeInterner();
    const first = decodeTree(bytes, "a", interner);
    const second = decodeTree(bytes, "b", interner);
    for (const decoded of [first, second]) {
      for (const [path, dataset] of tree.toMap()) expect(describeDataset(decoded.toMap().get(path)!)).toEqual(describeDataset(dataset));
      expect(JSON.stringify(toKerchunk(decoded))).toBe(JSON.stringify(toKerchunk(tree)));
    }
    const f1 = first.dataset.variables.get("f")!;
    const f2 = second.dataset.variables.get("f")!;
    expect((f2.data as ManifestArray).metadata).toBe((f1.data as ManifestArray).metadata);
    expect(f2.attrs).toBe(f1.attrs);
    expect(Object.isFrozen((f1.data as ManifestArray).metadata)).toBe(true);
    // Manifests are each file's own.
    expect((f2.data as ManifestArray).manifest).not.toBe((f1.data as ManifestArray).manifest);
    // Values that print alike but differ are not merged: NaN vs null, -0 vs 0, typed array types.
    const nan = interner.value({ v: Number.NaN, z: -0, t: new Float32Array([1]) });
    expect(interner.value({ v: Number.NaN, z: -0, t: new Float32Array([1]) })).toBe(nan);
    for (const other of [{ v: null, z: -0, t: new Float32Array([1]) }, { v: Number.NaN, z: 0, t: new Float32Array([1]) }, { v: Number.NaN, z: -0, t: new Int32Array([1]) }]) {
      expect(interner.value(other)).toBe(other);
    }
  });

  it("refuses bytes that are not an encoded dataset, with a typed error naming the source", () => {
    expect(() => decodeDataset(new Uint8Array(4), "vz:q:result:x")).toThrow(/vz:q:result:x.*too short/);
    expect(() => decodeDataset(new TextEncoder().encode("not an encoded dataset at all"), "k")).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    // Attributes that look like the encoding's tags come back as they were.
    const attrs = { a: 1, $typed: "Float64Array", tagged: { $bigint: "12", $object: [1] }, big: 2n ** 70n, nan: Number.NaN };
    const good = encodeDataset(new VirtualDataset({ attrs }));
    expect(decodeDataset(good, "ok").attrs).toEqual(attrs);
    expect(() => decodeDataset(good.subarray(0, 14), "cut")).toThrow(/cut/);
  });
});
