/**
 * Fixed-length unicode arrays (numpy `<U<n>`, Zarr v3 `fixed_length_utf32`) read at parse time and
 * inlined as `string` arrays with the `vlen-utf8` codec — what vz's parsers do with strings they
 * read (zarrita cannot decode fixed-length unicode, so such arrays could not be loaded, e.g. as
 * dimension coordinates, nor read through the ManifestStore).
 * @module
 */
import {
  type ArrayMetadata,
  type ChunkManifest,
  ChunkManifestBuilder,
  ManifestArray,
  ManifestGroup,
  ManifestStore,
  type ObjectReader,
  ParseError,
  inlinedStringArray,
} from "@vz/core";
import { chunkGridShape, loadArray } from "@vz/core/internal";

/** The width in characters of a fixed-length unicode data type, or undefined for other types. */
export function utf32Width(metadata: ArrayMetadata): number | undefined {
  const match = /^fixed_length_utf32:(\d+)$/.exec(metadata.data_type);
  return match ? Number(match[1]) : undefined;
}

/**
 * Reads every value of a fixed-length unicode array (its chunks decoded through zarrita as uint32
 * code points, one more dimension of `width`) and returns it as a `string` array with one inlined
 * `vlen-utf8` chunk. Trailing NULs are dropped, as numpy does; missing chunks read as "".
 */
export async function inlineUtf32Strings(
  metadata: ArrayMetadata,
  manifest: ChunkManifest,
  width: number,
  reader: ObjectReader,
  name: string,
  store: string,
): Promise<{ metadata: ArrayMetadata; manifest: ChunkManifest }> {
  const shape = metadata.shape;
  const size = shape.reduce((a, b) => a * b, 1);
  let strings: string[];
  if (width === 0 || size === 0) {
    strings = new Array<string>(size).fill("");
  } else {
    // The same chunks seen as uint32 code points with a trailing dimension of `width`.
    const grid = [...manifest.shape, 1];
    const builder = new ChunkManifestBuilder(grid);
    for (let index = 0; index < manifest.gridSize; index++) {
      const entry = manifest.getFlat(index);
      if (!entry) continue;
      if ("data" in entry) builder.setInlined(index, entry.data);
      else builder.setById(index, builder.urlId(entry.url), entry.offset, entry.length);
    }
    const codePoints: ArrayMetadata = {
      ...metadata,
      shape: [...shape, width],
      data_type: "uint32",
      chunk_grid: { name: "regular", configuration: { chunk_shape: [...metadata.chunk_grid.configuration.chunk_shape, width] } },
      fill_value: 0,
      attributes: {},
    };
    delete codePoints.dimension_names;
    const array = new ManifestArray(codePoints, builder.build(), name);
    const loaded = await loadArray(new ManifestStore(new ManifestGroup({ arrays: { values: array } }), reader), "values", array, store);
    const values = loaded.values as Uint32Array;
    strings = new Array<string>(size);
    for (let i = 0; i < size; i++) {
      let end = (i + 1) * width;
      while (end > i * width && values[end - 1] === 0) end--;
      try {
        strings[i] = String.fromCodePoint(...values.subarray(i * width, end));
      } catch (cause) {
        throw new ParseError(`Zarr store ${store}: array "${name}": element ${i} is not valid UTF-32 text`, { url: store, variable: name, parser: "zarr", cause });
      }
    }
  }
  const inlined = inlinedStringArray({ name, shape, strings });
  const out: ArrayMetadata = {
    ...metadata,
    data_type: "string",
    chunk_grid: inlined.metadata.chunk_grid,
    codecs: inlined.metadata.codecs,
    fill_value: typeof metadata.fill_value === "string" ? metadata.fill_value : "",
    attributes: { ...metadata.attributes },
  };
  return { metadata: out, manifest: inlined.manifest };
}
