/**
 * inlinedStringArray: the one way parsers turn strings read at parse time into a `string` array
 * with one inlined vlen-utf8 chunk. Values read back through ManifestStore + zarrita; the bytes
 * of the chunk follow numcodecs' VLenUTF8 layout (count, then length + UTF-8 bytes per item).
 */
import { describe, expect, it } from "vitest";
import { inlinedStringArray, isVzError, ManifestGroup, ManifestStore, MemoryReader, readArrayValues } from "../src/index.js";

function storeOf(array: ReturnType<typeof inlinedStringArray>): ManifestStore {
  return new ManifestStore(new ManifestGroup({ arrays: { s: array } }), new MemoryReader({}));
}

describe("inlinedStringArray", () => {
  it("reads back every value, in C order, with non-ASCII text and empty strings", async () => {
    const strings = ["alpha", "", "Ünïcødé ✓", "日本", "x".repeat(300), "tab\tand\nnewline"];
    const array = inlinedStringArray({ name: "g/labels", shape: [2, 3], strings, attributes: { long_name: "labels" }, dimensionNames: ["y", "x"] });
    expect(array.metadata.data_type).toBe("string");
    expect(array.metadata.chunk_grid.configuration.chunk_shape).toEqual([2, 3]);
    expect(array.metadata.dimension_names).toEqual(["y", "x"]);
    expect(array.metadata.attributes).toEqual({ long_name: "labels" });
    expect(array.manifest.shape).toEqual([1, 1]);
    const values = await readArrayValues(storeOf(array), "s");
    expect(values.shape).toEqual([2, 3]);
    expect(Array.from(values.data as ArrayLike<string>)).toEqual(strings);
    // The inlined chunk in numcodecs' layout, built independently here.
    expect(array.manifest.kindAt(0)).toBe("inlined");
    const chunk = array.manifest.get([0, 0]);
    const encoded = strings.map((s) => Buffer.from(s, "utf8"));
    const expected = Buffer.alloc(4 + encoded.reduce((n, e) => n + 4 + e.length, 0));
    expected.writeUInt32LE(strings.length, 0);
    let at = 4;
    for (const e of encoded) {
      expected.writeUInt32LE(e.length, at);
      e.copy(expected, at + 4);
      at += 4 + e.length;
    }
    expect(Buffer.from((chunk as { data: Uint8Array }).data)).toEqual(expected);
  });

  it("gives a scalar one chunk and a zero-length array no chunk (grid 0)", async () => {
    const scalar = inlinedStringArray({ name: "title", shape: [], strings: ["hello"] });
    expect(scalar.manifest.shape).toEqual([]);
    expect((await readArrayValues(storeOf(scalar), "s")).data).toBe("hello");
    const empty = inlinedStringArray({ name: "none", shape: [0, 4], strings: [] });
    expect(empty.manifest.shape).toEqual([0, 1]);
    expect(empty.metadata.chunk_grid.configuration.chunk_shape).toEqual([1, 4]);
    expect(empty.manifest.gridSize).toBe(0);
    expect(empty.manifest.chunkCount).toBe(0);
  });

  it("refuses a count of strings that does not fit the shape, naming the variable", () => {
    let error: unknown;
    try {
      inlinedStringArray({ name: "g/bad", shape: [3], strings: ["a", "b"] });
    } catch (caught) {
      error = caught;
    }
    expect(isVzError(error) && error.code).toBe("INVALID_ARGUMENT");
    expect(String((error as Error).message)).toMatch(/g\/bad.*2 strings.*\[3\]/);
  });
});
