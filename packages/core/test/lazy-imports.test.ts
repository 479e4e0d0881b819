/**
 * Start-up cost: importing @vz/core (and @vz/core/node), building a ManifestStore and writing
 * kerchunk JSON must not load zarrita, hyparquet-writer or the float16 polyfill; the first value
 * read loads zarrita (and registers vz's codecs: the values decode), the first Parquet file loads
 * hyparquet-writer; codecs added with `addZarritaCodecs` before that are registered when zarrita
 * loads. A child `node` process over the built dist/ logs every module it loads (a
 * module hook writing to stderr synchronously) between phase markers.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";

const dist = fileURLToPath(new URL("../dist/", import.meta.url));
const built = existsSync(`${dist}index.js`) && existsSync(`${dist}node.js`);

const hook = `
import { writeSync } from "node:fs";
export async function load(url, context, next) {
  if (!url.startsWith("node:")) writeSync(2, "LOAD " + url + "\\n");
  return next(url, context);
}`;

const script = `
import { register } from "node:module";
import { writeSync } from "node:fs";
register("data:text/javascript," + encodeURIComponent(${JSON.stringify(hook)}));
const mark = (phase) => writeSync(2, "PHASE " + phase + "\\n");
const core = await import(${JSON.stringify(pathToFileURL(`${dist}index.js`).href)});
await import(${JSON.stringify(pathToFileURL(`${dist}node.js`).href)});
const codecs = await import(${JSON.stringify(pathToFileURL(`${dist}codecs.js`).href)});
const internal = await import(${JSON.stringify(pathToFileURL(`${dist}internal.js`).href)});
mark("imported");
const { ChunkManifestBuilder, createArrayMetadata, ManifestArray, ManifestGroup, ManifestStore, MemoryReader, toKerchunk, toVirtualDataset, kerchunkToJson, readArrayValues } = core;
const { addZarritaCodecs } = codecs;
const { kerchunkParquetFiles } = internal;
const values = new Float32Array([1.5, -2, 3.25, 1e30, 0, -0.5]);
const builder = new ChunkManifestBuilder([1, 1]);
builder.setInlined([0, 0], new Uint8Array(values.buffer));
const array = new ManifestArray(
  createArrayMetadata({ shape: [2, 3], dataType: "float32", chunkShape: [2, 3], dimensionNames: ["y", "x"] }),
  builder.build(),
  "a",
);
// a codec of our own (bytes XOR 0x5a), added before zarrita is loaded (three times: one entry kept)
class Xor {
  kind = "bytes_to_bytes";
  static fromConfig() { return new Xor(); }
  encode(bytes) { return bytes.map((b) => b ^ 0x5a); }
  decode(bytes) { return bytes.map((b) => b ^ 0x5a); }
}
for (let i = 0; i < 3; i++) addZarritaCodecs({ test_xor: Xor });
const xorBuilder = new ChunkManifestBuilder([1]);
xorBuilder.setInlined([0], new Uint8Array(new Int16Array([7, -300, 12345]).buffer).map((b) => b ^ 0x5a));
const xored = new ManifestArray(
  createArrayMetadata({ shape: [3], dataType: "int16", chunkShape: [3], dimensionNames: ["z"], codecs: [{ name: "bytes", configuration: { endian: "little" } }, { name: "test_xor" }] }),
  xorBuilder.build(),
  "b",
);
const store = new ManifestStore(new ManifestGroup({ arrays: new Map([["a", array], ["b", xored]]) }), new MemoryReader());
const json = kerchunkToJson(toKerchunk(await toVirtualDataset(store, { loadableVariables: [] })));
mark("kerchunk-json " + json.length);
const read = await readArrayValues(store, "a");
const readXor = await readArrayValues(store, "b");
mark("read " + JSON.stringify({ shape: read.shape, data: Array.from(read.data), xor: Array.from(readXor.data) }));
// float16 (1, -2, 0.5, 65504 as IEEE half bits): the polyfill loads only now, when its array's metadata is served
const halfBuilder = new ChunkManifestBuilder([1]);
halfBuilder.setInlined([0], new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0x3800, 0x7bff]).buffer));
const half = new ManifestArray(createArrayMetadata({ shape: [4], dataType: "float16", chunkShape: [4] }), halfBuilder.build(), "h");
const halfStore = new ManifestStore(new ManifestGroup({ arrays: new Map([["h", half]]) }), new MemoryReader());
const readHalf = await readArrayValues(halfStore, "h");
mark("float16 " + JSON.stringify(Array.from(readHalf.data)));
let files = 0;
for await (const file of kerchunkParquetFiles(toKerchunk(await toVirtualDataset(store)))) files++;
mark("parquet " + files);
`;

/** Module URLs loaded in each phase (by the marker that ends it), and the markers' texts. */
function runChild(): { phases: Map<string, string[]>; markers: string[] } {
  const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`child failed (${run.status}): ${run.stderr}`);
  const phases = new Map<string, string[]>();
  const markers: string[] = [];
  let current: string[] = [];
  for (const line of run.stderr.split("\n")) {
    if (line.startsWith("LOAD ")) current.push(line.slice(5));
    else if (line.startsWith("PHASE ")) {
      const marker = line.slice(6);
      markers.push(marker);
      phases.set(marker.split(" ")[0]!, current);
      current = [];
    }
  }
  return { phases, markers };
}

const heavy = (urls: readonly string[], name: string): string[] => urls.filter((url) => url.includes(`/node_modules/${name}/`));

describe.skipIf(!built)(`zarrita, hyparquet-writer and the float16 polyfill load on first use${built ? "" : " (skipped: build @vz/core first)"}`, () => {
  it("importing core and writing kerchunk JSON loads none of them; a read loads zarrita, a Parquet file hyparquet-writer", () => {
    const { phases, markers } = runChild();
    const before = [...(phases.get("imported") ?? []), ...(phases.get("kerchunk-json") ?? [])];
    expect(before.some((url) => url.endsWith("/dist/index.js"))).toBe(true); // the hook saw core load
    for (const name of ["zarrita", "hyparquet-writer", "@petamoriken/float16", "numcodecs"]) expect(heavy(before, name), name).toEqual([]);
    const read = phases.get("read") ?? [];
    expect(heavy(read, "zarrita").length).toBeGreaterThan(0);
    expect(heavy(read, "hyparquet-writer")).toEqual([]);
    // float32 and int16 reads need no Float16Array; a float16 array's read installs it (where the runtime has none)
    expect(heavy(read, "@petamoriken/float16")).toEqual([]);
    expect(markers.find((m) => m.startsWith("float16 "))).toBe("float16 [1,-2,0.5,65504]");
    if (typeof (globalThis as { Float16Array?: unknown }).Float16Array !== "function") {
      expect(heavy(phases.get("float16") ?? [], "@petamoriken/float16").length).toBeGreaterThan(0);
    }
    // the lazily registered codecs decode: the values come back exactly (float32, C order)
    // and a codec added with addZarritaCodecs before zarrita loaded was registered when it did
    const expected = { shape: [2, 3], data: [1.5, -2, 3.25, 1e30, 0, -0.5].map(Math.fround), xor: [7, -300, 12345] };
    expect(markers.find((m) => m.startsWith("read "))).toBe(`read ${JSON.stringify(expected)}`);
    expect(heavy(phases.get("parquet") ?? [], "hyparquet-writer").length).toBeGreaterThan(0);
    expect(markers.at(-1)).toBe("parquet 3"); // .zmetadata, a/refs.0.parq and b/refs.0.parq
  });
});
