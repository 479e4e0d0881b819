/**
 * What the page does with a file, without any DOM: open it (parser auto-detected as `vz` does),
 * describe its groups and variables, lay out a variable's chunk manifest, read a 2-D slice, and
 * write the kerchunk JSON that `vz virtualize` writes for the same URL. Runs in a Web Worker.
 * @module
 */
import {
  InvalidArgumentError,
  decodeCfValues,
  formatCfTime,
  HttpReader,
  isVzError,
  ManifestArray,
  type ManifestStore,
  NotFoundError,
  type ObjectReader,
  openManifestStore,
  type ParserPlugin,
  ParserRegistry,
  readArrayValues,
  ReaderRegistry,
  type KerchunkRefs,
  toKerchunkTree,
  toVirtualDatatree,
  type VirtualDatatree,
} from "@vz/core";
import {
  asciiJsonPieces,
  datasetsToKerchunkJsonPieces,
  type ArrayDescription,
  decodeCfTimes,
  describeArray,
  groupEntries,
  isCfTimeUnits,
  parseCfTimeUnits,
  SNIFF_BYTES,
} from "@vz/core/internal";
import hdf5 from "@vz/parser-hdf5";
import * as zarr from "zarrita";
import netcdf3 from "@vz/parser-netcdf3";
import { BlobReader } from "./blob-reader.js";
import { sniffParser } from "./sniff.js";
import { Traffic, type TrafficCount } from "./traffic.js";

/** One variable of the tree, as the page shows it (the fields of `vz inspect --json`). */
export interface VariableInfo extends ArrayDescription {
  name: string;
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
  /** What choosing the parser and parsing read: requests (HTTP, or byte ranges of a file from disk) and bytes. */
  traffic: TrafficCount;
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

/** A 1-D coordinate variable's values along one axis of a slice (CF-decoded). */
export interface AxisCoordinate {
  /** Its path, e.g. "/lat". */
  path: string;
  values: Float64Array;
  units?: string;
  /** Its `calendar` attribute, when it has one. */
  calendar?: string;
}

/** A leading dimension of a slice: the index drawn and, when a coordinate variable exists, its value there. */
export interface LeadingIndex {
  dim: string | null;
  size: number;
  index: number;
  /** `date`: the value as an ISO 8601 date in the coordinate's calendar, when its units are CF time units. */
  coordinate?: { path: string; value: number; units?: string; date?: string };
}

/** A 2-D slice of a variable: CF-decoded values (NaN missing), row-major `rows` x `cols`. */
export interface Slice2D {
  path: string;
  /** Dimensions of the variable. */
  ndim: number;
  /** Every leading dimension (all but the last two) with the index drawn. */
  leading: LeadingIndex[];
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
  /** Coordinate values of the drawn rows and columns (every `step`-th), when the dimensions have coordinate variables. */
  rowCoordinate?: AxisCoordinate;
  colCoordinate?: AxisCoordinate;
  /** Per value: 0 a value, 1 the _FillValue/missing_value (or the fill of a missing chunk), 2 NaN stored in the file. */
  flags: Uint8Array;
  /** What reading the slice (and its coordinates) read. */
  traffic: TrafficCount;
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

function describeVariable(path: string, array: ManifestArray): VariableInfo {
  return { ...describeArray(path, array), name: path.slice(path.lastIndexOf("/") + 1) };
}

/** An open file: its store and its virtual tree (every group, as `vz virtualize` builds it). */
export class Inspector {
  /** Requests and bytes read (HTTP requests counted where they leave, byte ranges of files from disk). */
  readonly traffic = new Traffic();
  readonly #files = new BlobReader({ traffic: this.traffic });
  readonly #reader: ObjectReader;
  readonly #registry = createParserRegistry();
  #store: ManifestStore | undefined;
  #tree: VirtualDatatree | undefined;
  #url = "";
  /** Decoded values of 1-D coordinate variables read so far, by path. */
  #coordinates = new Map<string, Promise<AxisCoordinate | undefined>>();

  constructor(options: { reader?: ObjectReader } = {}) {
    const http = options.reader ?? new HttpReader({ fetch: this.traffic.countingFetch() });
    this.#reader = new ReaderRegistry({ "http://": http, "https://": http, "file:///": this.#files });
  }

  /**
   * The parser for `url`: the page's magic-byte table picks it before its module is imported
   * (see sniff.ts); when the table recognises nothing, the registry (every parser) decides.
   */
  async #choose(url: string): Promise<{ plugin: ParserPlugin; name: string; reason: string }> {
    let head: Uint8Array | undefined;
    let read = false;
    const readHead = async (): Promise<Uint8Array | undefined> => {
      if (read) return head;
      read = true;
      try {
        const meta = await this.#reader.head(url);
        head = await this.#reader.getRange(url, 0, Math.min(SNIFF_BYTES, meta.size));
      } catch (error) {
        if (isVzError(error)) throw error;
      }
      return head;
    };
    const sniffed = await sniffParser(url, readHead);
    if (sniffed) return { plugin: await this.#registry.get(sniffed.name), ...sniffed };
    const selection = await this.#registry.select(url, { reader: this.#reader });
    if (!selection.plugin) throw new InvalidArgumentError(`no parser plugin chosen for ${url}`, { url });
    return { plugin: selection.plugin, name: selection.name, reason: selection.reason };
  }

  /** Opens `source`: a URL (read with HTTP Range requests) or a file the user picked. */
  async open(source: string | File): Promise<FileInfo> {
    this.#store = undefined;
    this.#tree = undefined;
    this.#coordinates = new Map();
    const before = this.traffic.snapshot();
    const url = typeof source === "string" ? new URL(source, globalThis.location?.href).href : this.#files.put(`file:///${encodeURIComponent(source.name)}`, source);
    const selection = await this.#choose(url);
    const { store, parserName } = await openManifestStore(url, { reader: this.#reader, registry: this.#registry, parser: selection.plugin });
    const tree = await toVirtualDatatree(store, { url });
    this.#store = store;
    this.#tree = tree;
    this.#url = url;
    const groups: GroupInfo[] = [...store.group.walkGroups()].map(([path, group]) => ({
      path: `/${path}`,
      attributes: group.attributes,
      variables: [...group.arrays].map(([name, array]) => describeVariable(`/${path ? `${path}/` : ""}${name}`, array)),
    }));
    return {
      url,
      parser: parserName ?? selection.name,
      reason: selection.reason,
      groups,
      variableCount: tree.variableCount,
      chunkCount: tree.chunkCount,
      skipped: store.diagnostics.map((d) => `${d.variable ?? "?"}: [${d.code}] ${d.message}`),
      traffic: this.traffic.since(before),
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
   * The 2-D slice of the variable at `path` at index `index[d]` (default 0) of every leading
   * dimension d (its last two dimensions whole, every `step`-th element when a side is longer
   * than `maxSide`), read through the ManifestStore with zarrita, CF-decoded.
   */
  async slice2d(path: string, maxSide = DEFAULT_MAX_SIDE, index: readonly number[] = []): Promise<Slice2D> {
    const { store, url } = this.#opened();
    const array = this.#array(path);
    const key = path.replace(/^\/+/, "");
    if (array.ndim < 1) throw new NotFoundError(`variable "${path}" is a scalar: there is no 2-D slice to draw`, { url, variable: path });
    const before = this.traffic.snapshot();
    const ndim = array.ndim;
    const lead = Math.max(0, ndim - 2);
    const at = array.shape.slice(0, lead).map((size, d) => {
      const i = index[d] ?? 0;
      if (!Number.isInteger(i) || i < 0 || i >= size) {
        throw new InvalidArgumentError(`index ${String(i)} of dimension ${d} of "${path}" is outside 0..${size - 1}`, { url, variable: path });
      }
      return i;
    });
    const step = Math.max(1, Math.ceil(Math.max(...array.shape.slice(-2)) / Math.max(1, Math.floor(maxSide))));
    const selection = array.shape.map((_, d) => (d < lead ? at[d]! : step === 1 ? null : zarr.slice(null, null, step)));
    const result = await readArrayValues(store as never, key, { selection, url });
    const raw = typeof result.data === "object" ? result.data : [result.data];
    if (typeof raw[0] === "string") throw new NotFoundError(`variable "${path}" holds strings: there is nothing to draw`, { url, variable: path });
    const attributes = array.metadata.attributes;
    const decoded = decodeCfValues(raw, attributes);
    const nanFill = [attributes._FillValue, attributes.missing_value].some((v) => typeof v === "number" && Number.isNaN(v));
    const flags = new Uint8Array(decoded.values.length);
    for (let i = 0; i < flags.length; i++) {
      if (!Number.isNaN(decoded.values[i])) continue;
      const v = raw[i] as unknown;
      flags[i] = typeof v === "number" && Number.isNaN(v) && !nanFill ? 2 : 1;
    }
    const dims = array.metadata.dimension_names ?? array.shape.map(() => null);
    const rows = ndim >= 2 ? result.shape[result.shape.length - 2]! : 1;
    const cols = result.shape[result.shape.length - 1]!;
    const rowDim = ndim >= 2 ? (dims[ndim - 2] ?? null) : null;
    const colDim = dims[ndim - 1] ?? null;
    const group = key.includes("/") ? key.slice(0, key.lastIndexOf("/")) : "";
    const leading: LeadingIndex[] = [];
    for (let d = 0; d < lead; d++) {
      const dim = dims[d] ?? null;
      const coordinate = dim === null ? undefined : await this.#coordinate(dim, group, array.shape[d]!);
      leading.push({
        dim,
        size: array.shape[d]!,
        index: at[d]!,
        ...(coordinate
          ? { coordinate: leadingCoordinate(coordinate, at[d]!) }
          : {}),
      });
    }
    const strided = (c: AxisCoordinate | undefined): AxisCoordinate | undefined =>
      c && { ...c, values: step === 1 ? c.values : c.values.filter((_, i) => i % step === 0) };
    const rowCoordinate = rowDim === null ? undefined : await this.#coordinate(rowDim, group, array.shape[ndim - 2]!);
    const colCoordinate = colDim === null ? undefined : await this.#coordinate(colDim, group, array.shape[ndim - 1]!);
    const rowValues = rowCoordinate?.values;
    return {
      path,
      ndim,
      leading,
      slice: array.shape.map((_, d) => (d < lead ? String(at[d]) : step === 1 ? ":" : `::${step}`)).join(","),
      step,
      rows,
      cols,
      rowDim,
      colDim,
      values: decoded.values,
      applied: decoded.applied,
      ...(typeof attributes.units === "string" ? { units: attributes.units } : {}),
      rowsAscend: rowValues !== undefined && rowValues.length >= 2 && rowValues[rowValues.length - 1]! > rowValues[0]!,
      ...(ndim >= 2 && rowCoordinate ? { rowCoordinate: strided(rowCoordinate)! } : {}),
      ...(colCoordinate ? { colCoordinate: strided(colCoordinate)! } : {}),
      flags,
      traffic: this.traffic.since(before),
    };
  }

  /**
   * The 1-D numeric coordinate variable of dimension `dim` with `length` values: `dim` in the
   * variable's group, else in the root group (CF-decoded; undefined when there is none or it
   * cannot be read).
   */
  async #coordinate(dim: string, group: string, length: number): Promise<AxisCoordinate | undefined> {
    const { store, url } = this.#opened();
    for (const key of group ? [`${group}/${dim}`, dim] : [dim]) {
      const node = store.group.resolve(key);
      if (!(node instanceof ManifestArray) || node.ndim !== 1 || node.shape[0] !== length) continue;
      let found = this.#coordinates.get(key);
      if (!found) {
        found = (async () => {
          try {
            const { data } = await readArrayValues(store as never, key, { url });
            const values = typeof data === "object" ? data : [data];
            if (typeof values[0] === "string") return undefined;
            const { units, calendar } = node.metadata.attributes;
            return {
              path: `/${key}`,
              values: decodeCfValues(values, node.metadata.attributes).values,
              ...(typeof units === "string" ? { units } : {}),
              ...(typeof calendar === "string" ? { calendar } : {}),
            };
          } catch {
            return undefined;
          }
        })();
        this.#coordinates.set(key, found);
      }
      return found;
    }
    return undefined;
  }

  /**
   * The kerchunk references of every group as `vz virtualize --format parquet` builds them
   * (`toKerchunkTree`, keys in its order): what the Parquet worker writes.
   */
  kerchunkRefs(): KerchunkRefs {
    const { tree } = this.#opened();
    return toKerchunkTree(new Map(groupEntries(tree)));
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

/** A leading dimension's coordinate at `index`, with its date when the units are CF time units. */
function leadingCoordinate(coordinate: AxisCoordinate, index: number): NonNullable<LeadingIndex["coordinate"]> {
  const value = coordinate.values[index]!;
  const out: NonNullable<LeadingIndex["coordinate"]> = { path: coordinate.path, value };
  if (coordinate.units === undefined) return out;
  out.units = coordinate.units;
  if (!isCfTimeUnits(coordinate.units) || !Number.isFinite(value)) return out;
  try {
    const units = parseCfTimeUnits(coordinate.units, coordinate.calendar, coordinate.path);
    out.date = formatCfTime(decodeCfTimes([value], units, { where: coordinate.path })[0]!, units.calendar);
  } catch {
    // units vz cannot convert (months, years) or a value out of range: the number alone is shown
  }
  return out;
}
