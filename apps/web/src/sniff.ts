/**
 * Cheap parser choice for the page: the file's extension and a small table of magic bytes pick
 * the parser before its code is imported, so opening a netCDF4 file loads neither the TIFF nor
 * the kerchunk, Zarr or DMR++ parser. The rule is the ParserRegistry's (what `vz` does): a parser
 * claiming the extension whose magic bytes match, else the first parser whose magic bytes match,
 * in the registry's order (hdf5, netcdf3, tiff, kerchunk, zarr, dmrpp). When the table finds
 * nothing the page falls back to the registry (which loads every parser and names them all in
 * its "no parser recognises" error, as the CLI does).
 * @module
 */
import { sniffHdf5 } from "@vz/parser-hdf5";
import { sniffNetcdf3 } from "@vz/parser-netcdf3";

/** A parser the table knows: its name, the extensions it claims and a test of the first bytes (none: extension alone). */
interface MagicEntry {
  name: string;
  extensions: readonly string[];
  magic?: (head: Uint8Array) => boolean;
}

const latin1 = new TextDecoder("latin1");

/** TIFF `II*\0` / `MM\0*`, BigTIFF `II+\0` / `MM\0+`. */
function tiffMagic(head: Uint8Array): boolean {
  if (head.length < 4) return false;
  const [a, b, c, d] = head;
  if (a === 0x49 && b === 0x49) return (c === 0x2a || c === 0x2b) && d === 0x00;
  if (a === 0x4d && b === 0x4d) return c === 0x00 && (d === 0x2a || d === 0x2b);
  return false;
}

/** Kerchunk JSON: `{` (or `[{`) then a "version"/"refs" key or a Zarr metadata key. */
function kerchunkMagic(head: Uint8Array): boolean {
  let text = latin1.decode(head.subarray(0, 4096)).trimStart();
  if (text.startsWith("[")) text = text.slice(1).trimStart();
  if (!text.startsWith("{")) return false;
  return /"(version|refs)"\s*:/.test(text) || /"[^"]*\.z(group|array|attrs|metadata)"\s*:/.test(text);
}

/** DMR++: XML with a Dataset element in OPeNDAP's dmrpp namespace near the start. */
function dmrppMagic(head: Uint8Array): boolean {
  if (head.length < 16) return false;
  const text = latin1.decode(head.subarray(0, 8192));
  const start = text.search(/<(\?xml|[A-Za-z_][\w.-]*:?Dataset)\b/);
  if (start < 0 || start > 256) return false;
  return text.includes("http://xml.opendap.org/dap/dmrpp/") && /<([A-Za-z_][\w.-]*:)?Dataset[\s>]/.test(text);
}

/** The table, in the registry's order. */
export const MAGIC_TABLE: readonly MagicEntry[] = [
  { name: "hdf5", extensions: ["h5", "hdf5", "he5", "nc", "nc4", "mat"], magic: sniffHdf5 },
  { name: "netcdf3", extensions: ["nc", "cdf", "nc3"], magic: sniffNetcdf3 },
  { name: "tiff", extensions: ["tif", "tiff", "cog", "gtiff"], magic: tiffMagic },
  { name: "kerchunk", extensions: ["json", "parq", "parquet"], magic: kerchunkMagic },
  { name: "zarr", extensions: ["zarr"] },
  { name: "dmrpp", extensions: ["dmrpp"], magic: dmrppMagic },
];

/** A parser chosen by the table, and why (the registry's wording). */
export interface Sniffed {
  name: string;
  reason: string;
}

/** The URL's extension, lower case ("nc" for ".../x.nc?x=1"), as the registry reads it. */
export function extensionOf(url: string): string | undefined {
  return /\.([A-Za-z0-9]+)(?:[?#].*)?$/.exec(url)?.[1]?.toLowerCase();
}

/**
 * The parser for `url` by extension and magic bytes; `readHead` gives the first bytes (undefined
 * when they cannot be read, e.g. a directory). Undefined when the table recognises nothing.
 */
export async function sniffParser(url: string, readHead: () => Promise<Uint8Array | undefined>): Promise<Sniffed | undefined> {
  const extension = extensionOf(url);
  if (extension) {
    for (const entry of MAGIC_TABLE.filter((e) => e.extensions.includes(extension))) {
      if (!entry.magic) return { name: entry.name, reason: `extension .${extension}` };
      const head = await readHead();
      if (head && entry.magic(head)) return { name: entry.name, reason: `extension .${extension} and magic bytes` };
    }
  }
  const head = await readHead();
  if (!head) return undefined;
  const entry = MAGIC_TABLE.find((e) => e.magic?.(head));
  return entry ? { name: entry.name, reason: "magic bytes" } : undefined;
}
