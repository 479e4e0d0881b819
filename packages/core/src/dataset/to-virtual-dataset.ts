/**
 * Builds a VirtualDataset from a ManifestStore (VirtualiZarr's `ManifestStore.to_virtual_dataset`):
 * variables from the arrays of one group, dims from `dimension_names`, coordinates from
 * dimension coordinates and CF `coordinates` attributes, and loaded values for the
 * loadable variables (read through zarrita over the store).
 * @module
 */
import * as zarr from "zarrita";
import { InvalidArgumentError, isVzError, ReadError, type VzError } from "../errors.js";
import { ManifestArray } from "../manifest/manifest-array.js";
import { ManifestGroup } from "../manifest/manifest-group.js";
import type { DataType } from "../manifest/metadata.js";
import type { ManifestStore } from "../store/manifest-store.js";
import { LoadedArray, type NumericArray, type Variable, VirtualDataset } from "./virtual-dataset.js";

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
  /** Kept for API parity: CF time values stay raw numbers with their `units`/`calendar` attributes. */
  decodeTimes?: boolean;
  signal?: AbortSignal;
}

const HIDDEN_DIM_PREFIX = "dim_";

function coordinateNames(attrs: Record<string, unknown>): string[] {
  const value = attrs.coordinates;
  return typeof value === "string" ? value.split(/\s+/).filter(Boolean) : [];
}

/** Reads every value of array `path` of the store through zarrita. */
export async function loadArray(store: ManifestStore, path: string, array: ManifestArray, url?: string): Promise<LoadedArray> {
  try {
    const location = zarr.root(store as unknown as zarr.Readable).resolve(path);
    const opened = await zarr.open.v3(location, { kind: "array" });
    const chunk = await zarr.get(opened);
    let values = chunk.data as unknown;
    if (!(ArrayBuffer.isView(values) || Array.isArray(values))) {
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
  const attrs = { ...node.attributes };
  return new VirtualDataset({ variables, coordNames, attrs });
}

/** Typed errors a parser recorded but did not raise (e.g. skipped variables). */
export function storeDiagnostics(store: ManifestStore): readonly VzError[] {
  return store.diagnostics;
}
