/**
 * VirtualDataset: the xarray.Dataset analogue — named variables with dimensions and attributes,
 * each backed by a ManifestArray (virtual) or by loaded in-memory values.
 * @module
 */
import { InvalidArgumentError } from "../errors.js";
import { ManifestArray } from "../manifest/manifest-array.js";
import type { DataType } from "../manifest/metadata.js";
import {
  type Indexers,
  iselLoadedArray,
  iselManifestArray,
  loadedNbytes,
  manifestReferencedBytes,
  manifestRefCount,
  normalizeSelection,
  type RenamePaths,
  renameVariablePaths,
} from "./vz-ops.js";

/** Typed arrays a loaded variable may hold. */
export type NumericArray =
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array
  | Float32Array
  | Float64Array;

/** In-memory values of a variable (C order). */
export class LoadedArray {
  readonly dataType: DataType;
  readonly shape: readonly number[];
  readonly values: NumericArray | string[] | boolean[];
  readonly fillValue: unknown;

  constructor(options: { dataType: DataType; shape: readonly number[]; values: NumericArray | string[] | boolean[]; fillValue?: unknown }) {
    const size = options.shape.reduce((a, b) => a * b, 1);
    if (options.values.length !== size) {
      throw new InvalidArgumentError(
        `LoadedArray: ${options.values.length} values for shape [${options.shape.join(", ")}] (${size} elements)`,
      );
    }
    this.dataType = options.dataType;
    this.shape = [...options.shape];
    this.values = options.values;
    this.fillValue = options.fillValue ?? null;
  }

  get ndim(): number {
    return this.shape.length;
  }

  /** Element at flat index as a JS number / string / boolean. */
  at(index: number): number | string | boolean | bigint {
    return this.values[index]!;
  }
}

/** One variable of a dataset. */
export interface Variable {
  dims: string[];
  attrs: Record<string, unknown>;
  data: ManifestArray | LoadedArray;
  /** Encoding facts kept from the source (e.g. original dtype, chunking, fill value). */
  encoding?: Record<string, unknown>;
}

/** Whether a variable's data is virtual (chunk references) rather than loaded. */
export function isVirtual(variable: Variable): variable is Variable & { data: ManifestArray } {
  return variable.data instanceof ManifestArray;
}

/** A set of named variables sharing dimensions, with coordinates and attributes. */
export class VirtualDataset {
  readonly variables: Map<string, Variable>;
  readonly coordNames: Set<string>;
  attrs: Record<string, unknown>;

  constructor(options: { variables?: Map<string, Variable> | Record<string, Variable>; coordNames?: Iterable<string>; attrs?: Record<string, unknown> } = {}) {
    this.variables = new Map(options.variables instanceof Map ? options.variables : Object.entries(options.variables ?? {}));
    this.coordNames = new Set(options.coordNames ?? []);
    this.attrs = { ...(options.attrs ?? {}) };
    this.validate();
  }

  /** Throws when variables disagree on the length of a dimension or have the wrong number of dims. */
  validate(): void {
    const sizes = this.dims;
    void sizes;
    for (const name of this.coordNames) {
      if (!this.variables.has(name)) throw new InvalidArgumentError(`VirtualDataset: coordinate "${name}" is not a variable`);
    }
  }

  /** Length of every dimension. */
  get dims(): Map<string, number> {
    const sizes = new Map<string, number>();
    for (const [name, variable] of this.variables) {
      const shape = variable.data.shape;
      if (variable.dims.length !== shape.length) {
        throw new InvalidArgumentError(
          `VirtualDataset: variable "${name}" has dims (${variable.dims.join(", ")}) but shape [${shape.join(", ")}]`,
          { variable: name },
        );
      }
      variable.dims.forEach((dim, d) => {
        const known = sizes.get(dim);
        if (known !== undefined && known !== shape[d]) {
          throw new InvalidArgumentError(
            `VirtualDataset: dimension "${dim}" has length ${known} in one variable and ${shape[d]} in "${name}"`,
            { variable: name },
          );
        }
        sizes.set(dim, shape[d]!);
      });
    }
    return sizes;
  }

  /** Data variables (not coordinates). */
  get dataVars(): string[] {
    return [...this.variables.keys()].filter((name) => !this.coordNames.has(name));
  }

  /** Coordinate variables. */
  get coords(): string[] {
    return [...this.variables.keys()].filter((name) => this.coordNames.has(name));
  }

  /** A copy without the given variables. */
  drop(names: Iterable<string>): VirtualDataset {
    const dropSet = new Set(names);
    return new VirtualDataset({
      variables: new Map([...this.variables].filter(([name]) => !dropSet.has(name))),
      coordNames: [...this.coordNames].filter((name) => !dropSet.has(name)),
      attrs: this.attrs,
    });
  }

  /** A shallow copy, optionally with some variables replaced or added. */
  with(changes: { variables?: Record<string, Variable>; coordNames?: Iterable<string>; attrs?: Record<string, unknown> }): VirtualDataset {
    const variables = new Map(this.variables);
    for (const [name, variable] of Object.entries(changes.variables ?? {})) variables.set(name, variable);
    return new VirtualDataset({
      variables,
      coordNames: changes.coordNames ?? this.coordNames,
      attrs: changes.attrs ?? this.attrs,
    });
  }

  /**
   * A copy whose chunk URLs are relocated (VirtualiZarr's `vds.vz.rename_paths`): a function maps
   * each old URL to its new URL (e.g. local paths to `s3://bucket/...`); a string is the one new
   * URL of every chunk, as in VirtualiZarr — refused (InvalidArgumentError) for a variable whose
   * chunks come from more than one file, since they would all point at one file.
   * @example
   * const moved = vds.renamePaths((url) => url.replace("file:///data/", "s3://bucket/data/"));
   */
  renamePaths(rename: RenamePaths): VirtualDataset {
    const variables = new Map<string, Variable>();
    for (const [name, variable] of this.variables) variables.set(name, renameVariablePaths(variable, rename, name, "renamePaths"));
    return new VirtualDataset({ variables, coordNames: this.coordNames, attrs: this.attrs });
  }

  /**
   * VirtualiZarr's `vds.vz.nbytes`: bytes needed to hold the references in memory (manifests'
   * typed arrays, URL table and inlined chunks) plus the in-memory size of loaded variables —
   * not the size of the referenced data (that is {@link referencedBytes}).
   */
  get nbytes(): number {
    let n = 0;
    for (const variable of this.variables.values()) {
      n += variable.data instanceof ManifestArray ? variable.data.manifest.byteSize : loadedNbytes(variable.data);
    }
    return n;
  }

  /** Bytes the chunk references point at in the files (sum of their lengths; inlined chunks excluded). */
  get referencedBytes(): number {
    let n = 0;
    for (const variable of this.variables.values()) if (isVirtual(variable)) n += manifestReferencedBytes(variable.data.manifest);
    return n;
  }

  /** Number of chunk references into files over all virtual variables (missing and inlined chunks excluded). */
  get nrefs(): number {
    let n = 0;
    for (const variable of this.variables.values()) if (isVirtual(variable)) n += manifestRefCount(variable.data.manifest);
    return n;
  }

  /**
   * Selection by dimension without loading (xarray's `isel`, limited to what references can
   * express): each dimension gets an index (drops the dimension) or a slice `[start, stop]` /
   * `{ start, stop }` (Python semantics: negative counts from the end, stop is exclusive).
   * Virtual variables are sliced on their chunk grid, so a slice must start and stop on chunk
   * boundaries (or at the end), and an index needs chunks of length 1 there; anything else is an
   * InvalidArgumentError naming the variable, dimension and boundary. Loaded variables are sliced
   * in memory.
   * @example
   * const firstYear = vds.isel({ time: [0, 365] }); // chunks of 73 along time
   */
  isel(indexers: Indexers): VirtualDataset {
    const sizes = this.dims;
    for (const dim of Object.keys(indexers)) {
      if (!sizes.has(dim)) {
        throw new InvalidArgumentError(`isel: dimension "${dim}" does not exist; dimensions: ${[...sizes.keys()].join(", ") || "(none)"}`);
      }
    }
    const normalized = new Map(
      Object.entries(indexers).map(([dim, selection]) => [dim, normalizeSelection(selection, sizes.get(dim)!, `isel: dimension "${dim}"`, dim)]),
    );
    const variables = new Map<string, Variable>();
    for (const [name, variable] of this.variables) {
      const selections = variable.dims.map((dim) => normalized.get(dim));
      if (selections.every((s) => s === undefined)) {
        variables.set(name, variable);
        continue;
      }
      const dims = variable.dims.filter((dim) => !normalized.get(dim)?.drop);
      const data =
        variable.data instanceof ManifestArray
          ? iselManifestArray(variable.data, selections, variable.dims, name, "isel")
          : iselLoadedArray(variable.data, selections);
      variables.set(name, { ...variable, dims, data });
    }
    return new VirtualDataset({ variables, coordNames: this.coordNames, attrs: this.attrs });
  }

  /** Total chunk references over all virtual variables. */
  get chunkCount(): number {
    let n = 0;
    for (const variable of this.variables.values()) if (isVirtual(variable)) n += variable.data.manifest.chunkCount;
    return n;
  }
}
