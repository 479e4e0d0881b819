/**
 * The page's magic-byte table (src/sniff.ts) chooses the parser the ParserRegistry chooses (what
 * `vz` does: every parser loaded and asked), with the same reason, for every file of the shared
 * test data and for made-up heads; where the registry finds no parser the table finds none.
 */
import { existsSync } from "node:fs";
import { mkdtemp, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { MemoryReader, ParserNotFoundError, type ObjectReader } from "@vz/core";
import { SNIFF_BYTES } from "@vz/core/internal";
import { FileReader, toUrl } from "@vz/core/node";
import { describe, expect, it } from "vitest";
import { createParserRegistry } from "../src/inspector.js";
import { sniffParser } from "../src/sniff.js";

const dataRoot = resolve(import.meta.dirname, "../../../../shared/data");

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out.sort();
}

/** The registry's choice ({name, reason}) or undefined when it finds no parser. */
async function registryChoice(url: string, reader: ObjectReader): Promise<{ name: string; reason: string } | undefined> {
  try {
    const { name, reason } = await createParserRegistry().select(url, { reader });
    return { name, reason };
  } catch (error) {
    if (error instanceof ParserNotFoundError) return undefined;
    throw error;
  }
}

/** The table's choice, reading the head as the page does. */
function tableChoice(url: string, reader: ObjectReader): Promise<{ name: string; reason: string } | undefined> {
  return sniffParser(url, async () => {
    try {
      const meta = await reader.head(url);
      return await reader.getRange(url, 0, Math.min(SNIFF_BYTES, meta.size));
    } catch {
      return undefined;
    }
  });
}

describe("the page's parser table", () => {
  it.skipIf(!existsSync(dataRoot))("chooses the registry's parser, for the registry's reason, for every file of ../shared/data", async () => {
    const reader = new FileReader();
    const files = await filesUnder(dataRoot);
    expect(files.length).toBeGreaterThan(100);
    const differences: string[] = [];
    const chosen = new Map<string, number>();
    for (const file of files) {
      const url = toUrl(file);
      const [want, got] = await Promise.all([registryChoice(url, reader), tableChoice(url, reader)]);
      if (JSON.stringify(want) !== JSON.stringify(got)) differences.push(`${file}: registry ${JSON.stringify(want)}, table ${JSON.stringify(got)}`);
      const key = want?.name ?? "(none)";
      chosen.set(key, (chosen.get(key) ?? 0) + 1);
    }
    console.log(`parser table vs registry over ${files.length} files: ${[...chosen].map(([name, n]) => `${name} ${n}`).join(", ")}`);
    expect(differences).toEqual([]);
    // The data covers every parser with magic bytes, and files no parser takes.
    for (const name of ["hdf5", "netcdf3", "tiff", "kerchunk", "dmrpp", "(none)"]) expect(chosen.get(name) ?? 0, name).toBeGreaterThan(0);
  }, 300_000);

  it("made-up heads: magic bytes without an extension, an extension with other bytes, a .zarr URL, BigTIFF, an empty file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "vz-web-sniff-"));
    const hdf5Signature = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
    const withUserBlock = new Uint8Array(600);
    withUserBlock.set(hdf5Signature, 512);
    const cases: [string, Uint8Array][] = [
      ["hdf5-no-extension", Uint8Array.from([...hdf5Signature, ...new Array(100).fill(0)])],
      ["user-block.h5", withUserBlock],
      ["classic-as.h5", new TextEncoder().encode("CDF\x01\0\0\0\0")],
      ["cdf5.bin", new TextEncoder().encode("CDF\x05\0\0\0\0")],
      ["big.tif", Uint8Array.from([0x49, 0x49, 0x2b, 0x00, 8, 0, 0, 0])],
      ["motorola", Uint8Array.from([0x4d, 0x4d, 0x00, 0x2a, 0, 0, 0, 8])],
      ["refs", new TextEncoder().encode(' \n{"version": 1, "refs": {}}')],
      ["not-refs.json", new TextEncoder().encode('{"a": 1}')],
      ["empty.nc", new Uint8Array(0)],
      ["text.tif", new TextEncoder().encode("hello")],
    ];
    const reader = new FileReader();
    for (const [name, bytes] of cases) {
      await writeFile(join(dir, name), bytes);
      const url = toUrl(join(dir, name));
      const got = await tableChoice(url, reader);
      expect(got, name).toEqual(await registryChoice(url, reader));
      if (!["not-refs.json", "empty.nc", "text.tif"].includes(name)) expect(got, name).toBeDefined();
    }
    // A Zarr store is chosen by its URL alone (no bytes are read), as the registry does.
    const memory = new MemoryReader();
    expect(await tableChoice("memory://store.zarr", memory)).toEqual({ name: "zarr", reason: "extension .zarr" });
    expect(await registryChoice("memory://store.zarr", memory)).toEqual({ name: "zarr", reason: "extension .zarr" });
  });
});
