/**
 * vz-parser-template — the smallest complete vz parser package. Copy this folder, rename the
 * package and the parser, and replace the format.
 *
 * The format it reads, VZT (invented for this template), is one array after a small header,
 * everything little-endian:
 *
 * | bytes | field                                             |
 * |-------|---------------------------------------------------|
 * | 4     | magic `VZT1`                                      |
 * | 1     | data type: 1 uint8, 2 int16, 3 float32, 4 float64 |
 * | 1     | name length `n` (1..255)                          |
 * | 2     | reserved, 0                                       |
 * | 4     | element count                                     |
 * | n     | array name (UTF-8)                                |
 * | ...   | the values, right after the name                  |
 *
 * @example
 * ```ts
 * import { openVirtualDataset } from "@vz/core";
 * import { FileReader, toUrl } from "@vz/core/node";
 * import vzt from "vz-parser-template";
 * const vds = await openVirtualDataset(toUrl("data.vzt"), { parser: vzt, reader: new FileReader() });
 * ```
 * @module
 */
import {
  ChunkManifestBuilder,
  createArrayMetadata,
  type DataType,
  defineParserPlugin,
  isVzError,
  ManifestArray,
  ManifestGroup,
  ManifestStore,
  type ObjectReader,
  ParseError,
  type Parser,
  type ReadOptions,
  UnsupportedFeatureError,
} from "@vz/core";

/** Options of {@link createVztParser}. */
export interface VztParserOptions {
  /** Name of the array when the file's name is empty. Default "data". */
  defaultName?: string;
}

const MAGIC = [0x56, 0x5a, 0x54, 0x31]; // "VZT1"
const HEADER_BYTES = 12;
const DATA_TYPES: Record<number, { dataType: DataType; size: number }> = {
  1: { dataType: "uint8", size: 1 },
  2: { dataType: "int16", size: 2 },
  3: { dataType: "float32", size: 4 },
  4: { dataType: "float64", size: 8 },
};

/** True when `head` starts with the VZT magic bytes. */
export function sniffVzt(head: Uint8Array): boolean {
  return head.length >= 4 && MAGIC.every((byte, i) => head[i] === byte);
}

async function parseVzt(url: string, reader: ObjectReader, options: VztParserOptions, readOptions?: ReadOptions): Promise<ManifestStore> {
  // Errors: ParseError for corrupt or truncated files, UnsupportedFeatureError for valid files
  // using something this parser cannot express. Messages name the file, the variable and why.
  const fail = (field: string, reason: string, variable?: string): never => {
    throw new ParseError(`VZT file ${url}: field ${field}: ${reason}`, { url, parser: "vzt", ...(variable ? { variable } : {}) });
  };
  try {
    // Read only the metadata, with ranged reads: never the whole file.
    const { size } = await reader.head(url, readOptions);
    if (size < HEADER_BYTES) fail("header", `the file has ${size} bytes, shorter than the ${HEADER_BYTES}-byte header`);
    const header = await reader.getRange(url, 0, HEADER_BYTES, readOptions);
    if (!sniffVzt(header)) fail("magic", "not a VZT file");
    const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
    const type = DATA_TYPES[view.getUint8(4)];
    const nameLength = view.getUint8(5);
    const count = view.getUint32(8, true);
    if (nameLength === 0) fail("name length", "0");
    if (HEADER_BYTES + nameLength > size) fail("name", `${nameLength} bytes pass the end of the file (${size} bytes)`);
    const name = new TextDecoder().decode(await reader.getRange(url, HEADER_BYTES, nameLength, readOptions)) || (options.defaultName ?? "data");
    if (!type) throw new UnsupportedFeatureError("vzt-data-type", `VZT file ${url}: array "${name}" has unknown data type ${view.getUint8(4)}`, { url, variable: name });
    const offset = HEADER_BYTES + nameLength;
    const length = count * type.size;
    // Check the data lies inside the file before referencing it: no silent wrong data.
    if (offset + length > size) fail("element count", `${count} values (${length} bytes) at byte ${offset} pass the end of the file (${size} bytes)`, name);

    // One chunk: the whole array, referenced in place.
    const manifest = new ChunkManifestBuilder([1]).set([0], url, offset, length).build();
    const metadata = createArrayMetadata({
      shape: [count],
      dataType: type.dataType,
      chunkShape: [Math.max(count, 1)],
      endian: "little",
      dimensionNames: [name],
      attributes: {},
    });
    const group = new ManifestGroup({ arrays: { [name]: new ManifestArray(metadata, manifest, name) }, attributes: { format: "VZT1" } });
    return new ManifestStore(group, reader);
  } catch (error) {
    if (isVzError(error)) throw error;
    throw new ParseError(`VZT file ${url}: ${(error as Error).message}`, { url, parser: "vzt", cause: error });
  }
}

/** Makes a VZT parser. */
export function createVztParser(options: VztParserOptions = {}): Parser {
  return (url, reader, readOptions) => parseVzt(url, reader, options, readOptions);
}

/** The plugin: the module's default export. Its `name` must equal the key in package.json's `virtualizarr.parsers`. */
export default defineParserPlugin<VztParserOptions>({
  name: "vzt",
  description: "VZT files (the template's invented format): one array after a 12-byte header",
  extensions: ["vzt"],
  sniff: sniffVzt,
  create: createVztParser,
});
