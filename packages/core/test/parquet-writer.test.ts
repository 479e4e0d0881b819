/**
 * The kerchunk Parquet writer: LazyReferenceMapper layout checked by decoding the record files
 * with hyparquet (an independent Parquet reader), atomic output, and — where Debian's Python has
 * an fsspec with Parquet reference support — reading the output with fsspec + zarr + xarray.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parquetReadObjects } from "hyparquet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isVzError, type KerchunkRefs } from "../src/index.js";
import { DEFAULT_RECORD_SIZE, kerchunkParquetFiles, parseJsonNonFinite } from "../src/internal.js";
import { writeKerchunkParquet } from "../src/node.js";

/** Every item of an async iterable (Array.fromAsync needs Node 22). */
async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

let directory: string;

const zarray = (shape: number[], chunks: number[], dtype = "<f8"): string =>
  JSON.stringify({ zarr_format: 2, shape, chunks, dtype, compressor: null, filters: null, fill_value: "NaN", order: "C" });

function sampleRefs(dataUrl: string): KerchunkRefs {
  return {
    version: 1,
    refs: {
      ".zgroup": '{"zarr_format":2}',
      ".zattrs": '{"title":"sample","bad":NaN}',
      "t/.zarray": zarray([4, 6], [2, 2]),
      "t/.zattrs": '{"_ARRAY_DIMENSIONS":["y","x"]}',
      // grid 2 x 3; chunk (0, 1) is missing, (1, 2) inlined
      "t/0.0": [dataUrl, 0, 32],
      "t/0.2": [dataUrl, 64, 32],
      "t/1.0": [dataUrl, 96, 32],
      "t/1.1": [dataUrl, 128, 32],
      "t/1.2": `base64:${Buffer.from(new Float64Array([1, 2, 3, 4]).buffer).toString("base64")}`,
      "g/.zgroup": '{"zarr_format":2}',
      "g/s/.zarray": zarray([], [], "<i8"),
      "g/s/.zattrs": '{"_ARRAY_DIMENSIONS":[]}',
      "g/s/0": "raw text",
      "x/.zarray": zarray([6], [6]),
      "x/.zattrs": '{"_ARRAY_DIMENSIONS":["x"]}',
      "x/0": [dataUrl, 160, 48],
    },
  };
}

async function readRecord(path: string): Promise<Record<string, unknown>[]> {
  const bytes = await readFile(path);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  return parquetReadObjects({ file: buffer, utf8: false });
}

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "vz-parquet-writer-"));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe("kerchunk Parquet references", () => {
  it("writes .zmetadata and one record file per record_size chunks in C order", async () => {
    const out = join(directory, "sample.parq");
    await writeKerchunkParquet(sampleRefs("file:///data/a.bin"), out, { recordSize: 4 });
    const zmetadata = parseJsonNonFinite(await readFile(join(out, ".zmetadata"), "utf8")) as { metadata: Record<string, unknown>; record_size: number };
    expect(zmetadata.record_size).toBe(4);
    expect(Object.keys(zmetadata.metadata).sort()).toEqual(
      [".zattrs", ".zgroup", "g/.zgroup", "g/s/.zarray", "g/s/.zattrs", "t/.zarray", "t/.zattrs", "x/.zarray", "x/.zattrs"].sort(),
    );
    expect(zmetadata.metadata[".zattrs"]).toEqual({ title: "sample", bad: Number.NaN });
    expect((zmetadata.metadata["t/.zarray"] as { fill_value: unknown }).fill_value).toBe("NaN");
    expect((await readdir(join(out, "t"))).sort()).toEqual(["refs.0.parq", "refs.1.parq"]);
    const first = await readRecord(join(out, "t", "refs.0.parq"));
    const second = await readRecord(join(out, "t", "refs.1.parq"));
    expect(first).toHaveLength(4);
    expect(second).toHaveLength(2);
    const rows = [...first, ...second];
    expect(rows.map((r) => r.path)).toEqual(["file:///data/a.bin", null, "file:///data/a.bin", "file:///data/a.bin", "file:///data/a.bin", null]);
    expect(rows.map((r) => Number(r.offset))).toEqual([0, 0, 64, 96, 128, 0]);
    expect(rows.map((r) => Number(r.size))).toEqual([32, 0, 32, 32, 32, 0]);
    expect(rows.slice(0, 5).map((r) => r.raw)).toEqual([null, null, null, null, null]);
    expect(Array.from(new Float64Array((rows[5]!.raw as Uint8Array).slice().buffer))).toEqual([1, 2, 3, 4]);
    const scalar = await readRecord(join(out, "g", "s", "refs.0.parq"));
    expect(scalar).toHaveLength(1);
    expect(new TextDecoder().decode(scalar[0]!.raw as Uint8Array)).toBe("raw text");
    expect((await readRecord(join(out, "x", "refs.0.parq"))).map((r) => [r.path, Number(r.offset), Number(r.size)])).toEqual([["file:///data/a.bin", 160, 48]]);
  });

  it("yields the same files in memory as it writes, .zmetadata first", async () => {
    const files = await collect(kerchunkParquetFiles(sampleRefs("file:///data/a.bin")));
    expect(files.map((f) => f.path)).toEqual([".zmetadata", "t/refs.0.parq", "g/s/refs.0.parq", "x/refs.0.parq"]);
    expect(DEFAULT_RECORD_SIZE).toBe(100_000);
    for (const file of files.slice(1)) expect(new TextDecoder().decode(file.bytes.subarray(0, 4))).toBe("PAR1");
  });

  it("leaves nothing at the target on error and keeps an existing directory", async () => {
    const bad: KerchunkRefs = { version: 1, refs: { "t/.zarray": zarray([2], [1]), "t/0": ["file:///a", 0, 8], "u/0": ["file:///a", 0, 8] } };
    const target = join(directory, "bad.parq");
    const error = await writeKerchunkParquet(bad, target).catch((e: unknown) => e);
    expect(isVzError(error, "INVALID_ARGUMENT")).toBe(true);
    expect((error as Error).message).toContain('"u/0"');
    expect(existsSync(target)).toBe(false);
    expect((await readdir(directory)).filter((name) => name.includes("bad.parq"))).toEqual([]);

    const kept = join(directory, "kept.parq");
    await writeKerchunkParquet(sampleRefs("file:///data/a.bin"), kept);
    const before = await readFile(join(kept, ".zmetadata"), "utf8");
    await expect(writeKerchunkParquet(bad, kept)).rejects.toSatisfy((e: unknown) => isVzError(e));
    expect(await readFile(join(kept, ".zmetadata"), "utf8")).toBe(before);
    await expect(writeKerchunkParquet(sampleRefs("file:///data/b.bin"), kept, { overwrite: false })).rejects.toSatisfy((e: unknown) => isVzError(e, "WRITE_FAILED"));
    await writeKerchunkParquet(sampleRefs("file:///data/b.bin"), kept, { recordSize: 2 });
    expect((await readRecord(join(kept, "x", "refs.0.parq")))[0]!.path).toBe("file:///data/b.bin");
    expect((await readdir(directory)).filter((name) => name.startsWith(".kept.parq"))).toEqual([]);
  });

  it("refuses what the layout cannot hold", async () => {
    const rootArray: KerchunkRefs = { version: 1, refs: { ".zarray": zarray([2], [2]), "0": ["file:///a", 0, 16] } };
    await expect(collect(kerchunkParquetFiles(rootArray))).rejects.toThrow(/root/);
    const zeroLength: KerchunkRefs = { version: 1, refs: { "t/.zarray": zarray([2], [2]), "t/0": ["file:///a", 0, 0] } };
    await expect(collect(kerchunkParquetFiles(zeroLength))).rejects.toThrow(/length 0/);
    await expect(collect(kerchunkParquetFiles(sampleRefs("file:///a"), { recordSize: 0 }))).rejects.toThrow(/recordSize/);
  });
});

const python = "/usr/bin/python3";
const probe = existsSync(python)
  ? spawnSync(python, ["-c", "import fsspec.implementations.reference as r, importlib.util as u; print(hasattr(r, 'LazyReferenceMapper') and bool(u.find_spec('fastparquet') or u.find_spec('pyarrow')))"], {
      encoding: "utf8",
    })
  : undefined;
const pythonReadsParquet = probe?.stdout.trim() === "True";

describe.skipIf(!pythonReadsParquet)(
  "Python fsspec reads the Parquet references (skipped: Debian's fsspec 2022.11 has no LazyReferenceMapper and there is no pyarrow/fastparquet)",
  () => {
    it("opens with fsspec reference:// + xarray and gets the values", async () => {
      const values = Float64Array.from({ length: 30 }, (_, i) => i * 1.5);
      const dataPath = join(directory, "py-data.bin");
      await writeFile(dataPath, new Uint8Array(values.buffer));
      const url = `file://${dataPath}`;
      const refs: KerchunkRefs = {
        version: 1,
        refs: {
          ".zgroup": '{"zarr_format":2}',
          "t/.zarray": zarray([30], [10]),
          "t/.zattrs": '{"_ARRAY_DIMENSIONS":["n"]}',
          "t/0": [url, 0, 80],
          "t/1": [url, 80, 80],
          "t/2": [url, 160, 80],
        },
      };
      const out = join(directory, "py.parq");
      await writeKerchunkParquet(refs, out, { recordSize: 2 });
      const script = `import fsspec, xarray, json, sys\nm = fsspec.get_mapper("reference://", fo=sys.argv[1], remote_protocol="file")\nds = xarray.open_dataset(m, engine="zarr", backend_kwargs={"consolidated": False})\nprint(json.dumps(ds["t"].values.tolist()))`;
      const result = spawnSync(python, ["-c", script, out], { encoding: "utf8" });
      expect(result.stderr).toBe("");
      expect(JSON.parse(result.stdout)).toEqual(Array.from(values));
    });
  },
);
