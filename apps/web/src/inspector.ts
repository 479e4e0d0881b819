/**
 * What the page does with a file, without any DOM: open it (parser auto-detected as `vz` does),
 * describe its groups and variables, lay out a variable's chunk manifest, read a 2-D slice, and
 * write the kerchunk JSON that `vz virtualize` writes for the same URL. Runs in a Web Worker.
 * @module
 */
import {
  decodeCfValues,
  HttpReader,
  isVzError,
  ManifestArray,
  type ManifestStore,
  NotFoundError,
  type ObjectReader,
  openManifestStore,
  ParserRegistry,
  readArrayValues,
  ReaderRegistry,
  toVirtualDatatree,
  type VirtualDatatree,
} from "@vz/core";
import { asciiJsonPieces, datasetsToKerchunkJsonPieces, endianOf, groupEntries, toNumpyDtype } from "@vz/core/internal";
import hdf5 from "@vz/parser-hdf5";
import * as zarr from "zarrita";
import netcdf3 from "@vz/parser-netcdf3";
import { BlobReader } from "./blob-reader.js";

/** One variable of the tree, as the page shows it (the fields of `vz inspect --json`). */
export interface VariableInfo {
  path: string;
  name: string;
  dims: (string | null)[];
  shape: number[];
  dtype: string;
  chunks: number[];
  codecs: string[];
  fillValue: unknown;
  chunkCount: number;
  gridSize: number;
  attributes: Record<string, unknown>;
}

/** One group of the tree. */
export interface GroupInfo {
  path: string;
  attributes: Record<string, unknown>;
  variables: VariableInfo[];
}

/** What opening a file tells. */
export interface FileInfo {
  url: string;
  parser: string;
  reason: string;
  groups: GroupInfo[];
  variableCount: number;
  chunkCount: number;
  /** Variables the parser left out, with the reason (`[CODE] message`). */
  skipped: string[];
}

/** A variable's chunk manifest laid out flat (C order): 0 missing, 1 reference, 2 inlined. */
export interface ChunkLayout {
  path: string;
  gridShape: number[];
  kinds: Uint8Array;
  offsets: Float64Array;
  lengths: Float64Array;
  urls: string[];
}

/** A 2-D slice of a variable: CF-decoded values (NaN missing), row-major `rows` x `cols`. */
export interface Slice2D {
  path: string;
  /** The selection as `vz read --slice` takes it, e.g. "0,:,:" (or "0,::4,::4" when strided). */
  slice: string;
  /** Every `step`-th row and column is drawn (1 unless the slice is larger than the page's limit). */
  step: number;
  rows: number;
  cols: number;
  rowDim: string | null;
  colDim: string | null;
  values: Float64Array;
  applied: string[];
  units?: string;
  /** Whether the row dimension's coordinate values ascend (then north is drawn up). */
  rowsAscend: boolean;
}

/** Default largest side of a drawn slice: a larger slice is read with a stride. */
export const DEFAULT_MAX_SIDE = 2048;

/** An error as the CLI prints it: `error [CODE]: message`. */
export function errorText(error: unknown): string {
  if (isVzError(error)) return `error [${error.code}]: ${error.message}`;
  return `error: ${error instanceof Error ? error.message : String(error)}`;
}

/**
 * The parsers of the page: HDF5/netCDF4 and netCDF3 in the first bundle, the others (TIFF,
 * kerchunk, Zarr, DMR++) imported on demand.
 */
export function createParserRegistry(): ParserRegistry {
  const registry = new ParserRegistry([hdf5, netcdf3]);
  registry.registerLazy({ name: "tiff", packageName: "@vz/parser-tiff" }, () => import("@vz/parser-tiff"));
  registry.registerLazy({ name: "kerchunk", packageName: "@vz/parser-kerchunk" }, () => import("@vz/parser-kerchunk"));
  registry.registerLazy({ name: "zarr", packageName: "@vz/parser-zarr" }, () => import("@vz/parser-zarr"));
  registry.registerLazy({ name: "dmrpp", packageName: "@vz/parser-dmrpp" }, () => import("@vz/parser-dmrpp"));
  return registry;
}

function describeArray(path: string, array: ManifestArray): VariableInfo {
  let dtype: string;
  try {
    dtype = toNumpyDtype(array.dataType, endianOf(array.metadata.codecs));
  } catch {
    dtype = array.dataType;
  }
  return {
    path,
    name: path.slice(path.lastIndexOf("/") + 1),
    dims: array.metadata.dimension_names ?? array.shape.map(() => null),
    shape: [...array.shape],
    dtype,
    chunks: [...array.chunks],
    codecs: array.metadata.codecs.map((c) => c.name),
    fillValue: array.metadata.fill_value,
    chunkCount: array.manifest.chunkCount,
    gridSize: array.manifest.gridSize,
    attributes: array.metadata.attributes,
  };
}

/** An open file: its store and its virtual tree (every group, as `vz virtualize` builds it). */
export class Inspector {
  readonly #files = new BlobReader();
  readonly #reader: ObjectReader;
  readonly #registry = createParserRegistry();
  #store: ManifestStore | undefined;
  #tree: VirtualDatatree | undefined;
  #url = "";

  constructor(options: { reader?: ObjectReader } = {}) {
    const http = options.reader ?? new HttpReader();
    this.#reader = new ReaderRegistry({ "http://": http, "https://": http, "file:///": this.#files });
  }

  /** Opens `source`: a URL (read with HTTP Range requests) or a file the user picked. */
  async open(source: string | File): Promise<FileInfo> {
    this.#store = undefined;
    this.#tree = undefined;
    const url = typeof source === "string" ? new URL(source, globalThis.location?.href).href : this.#files.put(`file:///${encodeURIComponent(source.name)}`, source);
    const selection = await this.#registry.select(url, { reader: this.#reader });
    const { store, parserName } = await openManifestStore(url, { reader: this.#reader, registry: this.#registry, parser: selection.plugin ?? selection.parser });
    const tree = await toVirtualDatatree(store, { url });
    this.#store = store;
    this.#tree = tree;
    this.#url = url;
    const groups: GroupInfo[] = [...store.group.walkGroups()].map(([path, group]) => ({
      path: `/${path}`,
      attributes: group.attributes,
      variables: [...group.arrays].map(([name, array]) => describeArray(`/${path ? `${path}/` : ""}${name}`, array)),
    }));
    return {
      url,
      parser: parserName ?? selection.name,
      reason: selection.reason,
      groups,
      variableCount: tree.variableCount,
      chunkCount: tree.chunkCount,
      skipped: store.diagnostics.map((d) => `${d.variable ?? "?"}: [${d.code}] ${d.message}`),
    };
  }

  #opened(): { store: ManifestStore; tree: VirtualDatatree; url: string } {
    if (!this.#store || !this.#tree) throw new NotFoundError("no file is open");
    return { store: this.#store, tree: this.#tree, url: this.#url };
  }

  #array(path: string): ManifestArray {
    const { store, url } = this.#opened();
    const node = store.group.resolve(path.replace(/^\/+/, ""));
    if (!(node instanceof ManifestArray)) {
      const names = [...store.group.walkArrays()].map(([p]) => p).join(", ");
      throw new NotFoundError(`no variable "${path}" in ${url}; variables: ${names}`, { url, variable: path });
    }
    return node;
  }

  /** The chunk manifest of the variable at `path`, flat in C order. */
  chunkLayout(path: string): ChunkLayout {
    const manifest = this.#array(path).manifest;
    const size = manifest.gridSize;
    const kinds = new Uint8Array(size);
    const offsets = new Float64Array(size);
    const lengths = new Float64Array(size);
    for (let i = 0; i < size; i++) {
      const kind = manifest.kindAt(i);
      if (kind === "ref") {
        kinds[i] = 1;
        offsets[i] = manifest.offsetAt(i);
        lengths[i] = manifest.lengthAt(i);
      } else if (kind === "inlined") {
        kinds[i] = 2;
        lengths[i] = manifest.inlinedAt(i)?.length ?? 0;
      }
    }
    return { path, gridShape: [...manifest.shape], kinds, offsets, lengths, urls: [...manifest.urls] };
  }

  /**
   * The 2-D slice of the variable at `path` at the first index of every leading dimension (its
   * last two dimensions whole, every `step`-th element when a side is longer than `maxSide`),
   * read through the ManifestStore with zarrita, CF-decoded.
   */
  async slice2d(path: string, maxSide = DEFAULT_MAX_SIDE): Promise<Slice2D> {
    const { store, url } = this.#opened();
    const array = this.#array(path);
    const key = path.replace(/^\/+/, "");
    if (array.ndim < 1) throw new NotFoundError(`variable "${path}" is a scalar: there is no 2-D slice to draw`, { url, variable: path });
    const ndim = array.ndim;
    const step = Math.max(1, Math.ceil(Math.max(...array.shape.slice(-2)) / Math.max(1, Math.floor(maxSide))));
    const selection = array.shape.map((_, d) => (d < ndim - 2 ? 0 : step === 1 ? null : zarr.slice(null, null, step)));
    const result = await readArrayValues(store as never, key, { selection, url });
    const raw = typeof result.data === "object" ? result.data : [result.data];
    if (typeof raw[0] === "string") throw new NotFoundError(`variable "${path}" holds strings: there is nothing to draw`, { url, variable: path });
    const attributes = array.metadata.attributes;
    const decoded = decodeCfValues(raw, attributes);
    const dims = array.metadata.dimension_names ?? array.shape.map(() => null);
    const rows = ndim >= 2 ? result.shape[result.shape.length - 2]! : 1;
    const cols = result.shape[result.shape.length - 1]!;
    const rowDim = ndim >= 2 ? (dims[ndim - 2] ?? null) : null;
    return {
      path,
      slice: array.shape.map((_, d) => (d < ndim - 2 ? "0" : step === 1 ? ":" : `::${step}`)).join(","),
      step,
      rows,
      cols,
      rowDim,
      colDim: dims[ndim - 1] ?? null,
      values: decoded.values,
      applied: decoded.applied,
      ...(typeof attributes.units === "string" ? { units: attributes.units } : {}),
      rowsAscend: rowDim !== null && (await this.#ascending(rowDim, array.shape[ndim - 2]!)),
    };
  }

  /** Whether a 1-D coordinate variable named `dim` (in the root group) exists and ascends. */
  async #ascending(dim: string, length: number): Promise<boolean> {
    const { store, url } = this.#opened();
    const node = store.group.resolve(dim);
    if (!(node instanceof ManifestArray) || node.ndim !== 1 || node.shape[0] !== length || length < 2) return false;
    try {
      const { data } = await readArrayValues(store as never, dim, { url });
      const values = data as ArrayLike<number>;
      return Number(values[values.length - 1]) > Number(values[0]);
    } catch {
      return false;
    }
  }

  /** The kerchunk JSON of every group: the bytes `vz virtualize URL -o out.json` writes. */
  kerchunkJson(): string {
    const { tree } = this.#opened();
    const entries = new Map(groupEntries(tree));
    let text = "";
    for (const piece of asciiJsonPieces(datasetsToKerchunkJsonPieces(entries))) text += piece;
    return text;
  }
}
