/**
 * Builds a VirtualDataset from a ManifestStore (VirtualiZarr's `ManifestStore.to_virtual_dataset`):
 * variables from the arrays of one group, dims from `dimension_names`, coordinates from
 * dimension coordinates and CF `coordinates` attributes, and loaded values for the
 * loadable variables (read through zarrita over the store).
 * @module
 */
import type * as zarr from "zarrita";
import { InvalidArgumentError, isVzError, ReadError, UnsupportedFeatureError, type VzError, VzError as VzErrorClass } from "../errors.js";
import { ManifestArray } from "../manifest/manifest-array.js";
import { ManifestGroup } from "../manifest/manifest-group.js";
import type { DataType } from "../manifest/metadata.js";
import type { ManifestStore } from "../store/manifest-store.js";
import { readArrayValues } from "../store/read-values.js";
import { LoadedArray, type NumericArray, type Variable, VirtualDataset } from "./virtual-dataset.js";
import { VirtualDatatree } from "./virtual-datatree.js";
import { type CfTimeEncoding, decodeCfTimes, isCfTimeUnits, normalizeCalendar, parseCfTimeUnits } from "./cf-time.js";

/** Options of {@link toVirtualDataset}. */
export interface ToVirtualDatasetOptions {
  /** Path of the group to open ("" or undefined = root). */
  group?: string;
  /** Variables to leave out. */
  dropVariables?: readonly string[];
  /**
   * Variables to load into memory instead of referencing. Default: the dimension coordinates
   * (1-d variables named like their dimension), as VirtualiZarr does. `[]` loads nothing.
   */
  loadableVariables?: readonly string[];
  /**
   * Decode loaded CF time variables (`units` "<unit> since <date>", as xarray's `decode_times`).
   * When true their values become nanoseconds since 1970-01-01 in their calendar (numpy's
   * `datetime64[ns]` in the standard calendars; `formatCfTime` prints them), `units` and
   * `calendar` move from `attrs` to `encoding.cfTime`, and writers encode them back to those units.
   * Default false: the raw numbers with their `units`/`calendar` attributes (xarray's default is
   * true). Virtual variables are never decoded.
   */
  decodeTimes?: boolean;
  signal?: AbortSignal;
}

const HIDDEN_DIM_PREFIX = "dim_";

function coordinateNames(attrs: Record<string, unknown>): string[] {
  const value = attrs.coordinates;
  return typeof value === "string" ? value.split(/\s+/).filter(Boolean) : [];
}

const EMPTY_TYPED: Partial<Record<DataType, () => NumericArray>> = {
  int8: () => new Int8Array(0),
  uint8: () => new Uint8Array(0),
  int16: () => new Int16Array(0),
  uint16: () => new Uint16Array(0),
  int32: () => new Int32Array(0),
  uint32: () => new Uint32Array(0),
  int64: () => new BigInt64Array(0),
  uint64: () => new BigUint64Array(0),
  float32: () => new Float32Array(0),
  float64: () => new Float64Array(0),
};

/** The values of a zero-element array of `dataType`. */
function emptyValues(dataType: DataType): NumericArray | string[] | boolean[] {
  return EMPTY_TYPED[dataType]?.() ?? [];
}

/** Reads every value of array `path` of the store through zarrita. */
export async function loadArray(store: ManifestStore, path: string, array: ManifestArray, url?: string): Promise<LoadedArray> {
  if (array.shape.some((extent) => extent === 0)) {
    // nothing to read (an empty unlimited dimension); zarrita's indexer refuses empty selections
    return new LoadedArray({ dataType: array.dataType as DataType, shape: [...array.shape], values: emptyValues(array.dataType as DataType), fillValue: array.metadata.fill_value });
  }
  try {
    const chunk = await readArrayValues(store as unknown as zarr.Readable, path, url ? { url } : {});
    let values = chunk.data as unknown;
    if (typeof values !== "object" || values === null) values = [values]; // a 0-d array
    else if (!(ArrayBuffer.isView(values) || Array.isArray(values))) {
      // zarrita's BoolArray / ByteStringArray / UnicodeStringArray wrappers
      values = Array.from(values as Iterable<unknown>);
    }
    return new LoadedArray({
      dataType: array.dataType as DataType,
      shape: chunk.shape,
      values: values as NumericArray | string[] | boolean[],
      fillValue: array.metadata.fill_value,
    });
  } catch (cause) {
    if (isVzError(cause)) throw cause;
    throw new ReadError(`cannot load variable "${path}"${url ? ` of ${url}` : ""}: ${(cause as Error).message}`, {
      cause,
      variable: path,
      ...(url ? { url } : {}),
    });
  }
}

/** The VirtualDataset of one group of a ManifestStore. */
export async function toVirtualDataset(
  store: ManifestStore,
  options: ToVirtualDatasetOptions & { url?: string } = {},
): Promise<VirtualDataset> {
  const groupPath = (options.group ?? "").replace(/^\/+|\/+$/g, "");
  const node = store.group.resolve(groupPath);
  if (!(node instanceof ManifestGroup)) {
    const available = [...store.group.walkGroups()].map(([path]) => (path === "" ? "/" : path)).join(", ");
    throw new InvalidArgumentError(
      `${options.url ?? "store"}: no group "${options.group}"; groups: ${available}`,
      options.url ? { url: options.url } : {},
    );
  }
  const drop = new Set(options.dropVariables ?? []);
  const variables = new Map<string, Variable>();
  const coordNames = new Set<string>();
  const arrays = [...node.arrays].filter(([name]) => !drop.has(name));
  for (const [name, array] of arrays) {
    const dims = (array.metadata.dimension_names ?? array.shape.map(() => null)).map(
      (dim, d) => dim ?? `${HIDDEN_DIM_PREFIX}${d}`,
    );
    variables.set(name, { dims, attrs: { ...array.metadata.attributes }, data: array });
  }
  // Coordinates as xarray's CF decoding finds them (decode_coords=True): 1-d variables named like
  // their dimension; the names of a variable's `coordinates` attribute only when every one
  // of them is a variable (else the attribute stays as it is and promotes none); and the names in
  // the group's own `coordinates` attribute (which vz's kerchunk writer records).
  for (const [name, variable] of variables) {
    if (variable.dims.length === 1 && variable.dims[0] === name) coordNames.add(name);
    const names = coordinateNames(variable.attrs);
    if (names.length > 0 && names.every((coord) => variables.has(coord))) for (const coord of names) coordNames.add(coord);
  }
  for (const coord of coordinateNames(node.attributes)) if (variables.has(coord)) coordNames.add(coord);
  const loadable = options.loadableVariables
    ? new Set(options.loadableVariables)
    : new Set([...variables].filter(([name, v]) => v.dims.length === 1 && v.dims[0] === name).map(([name]) => name));
  for (const name of loadable) {
    const variable = variables.get(name);
    if (!variable) {
      if (options.loadableVariables && !drop.has(name)) {
        throw new InvalidArgumentError(`${options.url ?? "store"}: loadable variable "${name}" does not exist`, {
          variable: name,
          ...(options.url ? { url: options.url } : {}),
        });
      }
      continue;
    }
    const path = groupPath ? `${groupPath}/${name}` : name;
    variable.data = await loadArray(store, path, variable.data as ManifestArray, options.url);
    variable.encoding = { ...(variable.encoding ?? {}), loaded: true };
  }
  if (options.decodeTimes) {
    for (const [name, variable] of variables) {
      if (variable.data instanceof LoadedArray && isCfTimeUnits(variable.attrs.units)) {
        variables.set(name, decodeTimeVariable(variable, name, options.url));
      }
    }
  }
  const attrs = { ...node.attributes };
  return new VirtualDataset({ variables, coordNames, attrs });
}

/** Typed errors a parser recorded but did not raise (e.g. skipped variables). */
export function storeDiagnostics(store: ManifestStore): readonly VzError[] {
  return store.diagnostics;
}

/**
 * Splits variable names given for a whole tree into the names of one group: a name with "/"
 * ("g/sub/var") names that variable only; a plain name applies in every group that has it.
 */
function namesForGroup(names: readonly string[] | undefined, groupPath: string, node: ManifestGroup): string[] | undefined {
  if (!names) return undefined;
  const out: string[] = [];
  for (const name of names) {
    const trimmed = name.replace(/^\/+/, "");
    const slash = trimmed.lastIndexOf("/");
    if (slash < 0) {
      if (node.arrays.has(trimmed)) out.push(trimmed);
    } else if (trimmed.slice(0, slash) === groupPath) out.push(trimmed.slice(slash + 1));
  }
  return out;
}

/**
 * The VirtualDatatree of a ManifestStore (VirtualiZarr's `open_virtual_datatree` after parsing):
 * one VirtualDataset per group below `options.group` (default the root), which becomes the tree's
 * root. `dropVariables` and `loadableVariables` take plain names (applied in every group that has
 * them) or paths relative to the tree's root ("sub/var"); a loadable name found in no group is an
 * error (dropping an absent variable is not, as in xarray).
 */
export async function toVirtualDatatree(
  store: ManifestStore,
  options: ToVirtualDatasetOptions & { url?: string } = {},
): Promise<VirtualDatatree> {
  const base = (options.group ?? "").replace(/^\/+|\/+$/g, "");
  const top = store.group.resolve(base);
  if (!(top instanceof ManifestGroup)) {
    const available = [...store.group.walkGroups()].map(([path]) => (path === "" ? "/" : path)).join(", ");
    throw new InvalidArgumentError(
      `${options.url ?? "store"}: no group "${options.group}"; groups: ${available}`,
      options.url ? { url: options.url } : {},
    );
  }
  // As in toVirtualDataset, a loadable variable that exists nowhere is an error; dropping one is not.
  for (const [option, names] of [["loadableVariables", options.loadableVariables]] as const) {
    for (const name of names ?? []) {
      const trimmed = name.replace(/^\/+/, "");
      const found = trimmed.includes("/")
        ? top.resolve(trimmed) instanceof ManifestArray
        : [...top.walkGroups()].some(([, group]) => group.arrays.has(trimmed));
      if (!found) {
        throw new InvalidArgumentError(`${options.url ?? "store"}: ${option}: no variable "${name}" in any group${base ? ` below "${base}"` : ""}`, {
          variable: name,
          ...(options.url ? { url: options.url } : {}),
        });
      }
    }
  }
  const datasets = new Map<string, VirtualDataset>();
  for (const [relative, node] of top.walkGroups()) {
    const group = relative === "" ? base : base === "" ? relative : `${base}/${relative}`;
    const drop = namesForGroup(options.dropVariables, relative, node);
    const loadable = namesForGroup(options.loadableVariables, relative, node);
    datasets.set(
      relative,
      await toVirtualDataset(store, {
        ...options,
        group,
        ...(drop ? { dropVariables: drop } : {}),
        ...(loadable ? { loadableVariables: loadable } : {}),
      }),
    );
  }
  return VirtualDatatree.fromMap(datasets);
}

/** A loaded CF time variable with decoded values (see `decodeTimes`). */
function decodeTimeVariable(variable: Variable, name: string, url?: string): Variable {
  const data = variable.data as LoadedArray;
  const where = `${url ? `${url}: ` : ""}time variable "${name}"`;
  const context = { variable: name, ...(url ? { url } : {}) };
  if (!ArrayBuffer.isView(data.values)) {
    throw new InvalidArgumentError(`${where}: has time units "${String(variable.attrs.units)}" but ${data.dataType} values; open it with decodeTimes: false`, context);
  }
  if (variable.attrs.scale_factor !== undefined || variable.attrs.add_offset !== undefined) {
    throw new UnsupportedFeatureError("cf-time-packed", `${where}: has time units and scale_factor/add_offset (packed times); open it with decodeTimes: false`, context);
  }
  const { units, calendar, ...attrs } = variable.attrs;
  const fillAttribute = attrs._FillValue !== undefined ? "_FillValue" : attrs.missing_value !== undefined ? "missing_value" : undefined;
  const rawFill = fillAttribute ? attrs[fillAttribute] : undefined;
  const fillValue = Array.isArray(rawFill) || ArrayBuffer.isView(rawFill) ? (rawFill as ArrayLike<unknown>)[0] : rawFill;
  let decoded: BigInt64Array;
  let encoding: CfTimeEncoding;
  try {
    const parsed = parseCfTimeUnits(units as string, calendar, where);
    encoding = {
      units: units as string,
      calendar: normalizeCalendar(calendar, where),
      ...(calendar !== undefined ? { calendarAttribute: String(calendar) } : {}),
      dataType: data.dataType,
      ...(fillValue !== undefined ? { fillValue, fillAttribute: fillAttribute!, fillAttributeValue: rawFill } : {}),
    };
    decoded = decodeCfTimes(data.values as ArrayLike<number | bigint>, parsed, { ...(fillValue !== undefined ? { fillValue } : {}), where });
  } catch (cause) {
    const message = `${(cause as Error).message} (open with decodeTimes: false to keep the raw numbers)`;
    if (!isVzError(cause)) throw cause;
    const error = new VzErrorClass(cause.code, message, { ...context, cause });
    Object.defineProperty(error, "name", { value: cause.name });
    throw error;
  }
  delete attrs._FillValue;
  delete attrs.missing_value;
  return {
    ...variable,
    attrs,
    data: new LoadedArray({ dataType: "int64", shape: data.shape, values: decoded, fillValue: null }),
    encoding: { ...(variable.encoding ?? {}), cfTime: encoding },
  };
}
