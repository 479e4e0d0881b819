/**
 * VirtualDatatree: the xarray.DataTree analogue — one VirtualDataset per group of a file
 * (VirtualiZarr's `open_virtual_datatree`), with the `vds.vz` operations applied to every node.
 *
 * Group paths are written without leading or trailing slash: `""` is the root, `"a"` a child,
 * `"a/b"` a grandchild. {@link VirtualDatatree.toMap} gives the flat `Map<path, VirtualDataset>`
 * form that the writers (`toKerchunkTree`, `writeKerchunk`) take.
 * @module
 */
import { InvalidArgumentError } from "../errors.js";
import { VirtualDataset } from "./virtual-dataset.js";
import type { Indexers, RenamePaths } from "./vz-ops.js";

const SEGMENT = /^[^/]+$/;

/** Normalizes a group path: no leading/trailing slashes, "/" and "" mean the root. */
export function normalizeGroupPath(path: string | undefined): string {
  const trimmed = (path ?? "").replace(/^\/+|\/+$/g, "");
  if (trimmed !== "" && trimmed.split("/").some((part) => !SEGMENT.test(part) || part === "." || part === "..")) {
    throw new InvalidArgumentError(`invalid group path "${path}"`);
  }
  return trimmed;
}

/** A tree of virtual datasets, one per group. */
export class VirtualDatatree {
  /** Path of this node from the tree's root ("" for the root). */
  readonly path: string;
  /** The variables and attributes of this group. */
  readonly dataset: VirtualDataset;
  /** Child groups by name. */
  readonly children: ReadonlyMap<string, VirtualDatatree>;

  constructor(options: { dataset?: VirtualDataset; children?: ReadonlyMap<string, VirtualDatatree> | Record<string, VirtualDatatree>; path?: string } = {}) {
    this.path = normalizeGroupPath(options.path);
    this.dataset = options.dataset ?? new VirtualDataset();
    const children = options.children instanceof Map ? options.children : new Map(Object.entries(options.children ?? {}));
    const rebased = new Map<string, VirtualDatatree>();
    for (const [name, child] of children) {
      if (!SEGMENT.test(name) || name === "." || name === "..") throw new InvalidArgumentError(`VirtualDatatree: invalid group name "${name}"`);
      if (this.dataset.variables.has(name)) {
        throw new InvalidArgumentError(`VirtualDatatree: "${this.path ? `${this.path}/` : ""}${name}" is both a variable and a group`, { variable: name });
      }
      const childPath = this.path ? `${this.path}/${name}` : name;
      rebased.set(name, child.path === childPath ? child : child.#withPath(childPath));
    }
    this.children = rebased;
  }

  /** Name of this node (the last path segment; "" for the root). */
  get name(): string {
    return this.path.slice(this.path.lastIndexOf("/") + 1);
  }

  #withPath(path: string): VirtualDatatree {
    return new VirtualDatatree({ path, dataset: this.dataset, children: new Map([...this.children].map(([name, child]) => [name, child])) });
  }

  /**
   * Builds a tree from datasets by group path ("" or "/" = root, "a/b" nested). Missing
   * intermediate groups become empty datasets.
   */
  static fromMap(datasets: ReadonlyMap<string, VirtualDataset> | Record<string, VirtualDataset>): VirtualDatatree {
    const entries = datasets instanceof Map ? [...datasets] : Object.entries(datasets);
    const byPath = new Map<string, VirtualDataset>();
    for (const [path, dataset] of entries) {
      const normalized = normalizeGroupPath(path);
      if (byPath.has(normalized)) throw new InvalidArgumentError(`VirtualDatatree: group "${normalized || "/"}" is given twice`);
      byPath.set(normalized, dataset);
    }
    // child names of every group path, intermediate groups included
    const childNames = new Map<string, Set<string>>([["", new Set()]]);
    for (const path of byPath.keys()) {
      const parts = path === "" ? [] : path.split("/");
      for (let i = 0; i < parts.length; i++) {
        const parent = parts.slice(0, i).join("/");
        let names = childNames.get(parent);
        if (!names) childNames.set(parent, (names = new Set()));
        names.add(parts[i]!);
      }
    }
    const build = (path: string): VirtualDatatree => {
      const prefix = path === "" ? "" : `${path}/`;
      const names = [...(childNames.get(path) ?? [])].sort();
      const children = new Map(names.map((name) => [name, build(prefix + name)] as const));
      return new VirtualDatatree({ path, dataset: byPath.get(path) ?? new VirtualDataset(), children });
    };
    return build("");
  }

  /** Every node, this one first, depth first; paths relative to this node ("" = this node). */
  *walk(): IterableIterator<[string, VirtualDatatree]> {
    const base = this.path === "" ? 0 : this.path.length + 1;
    const visit = function* (node: VirtualDatatree): IterableIterator<[string, VirtualDatatree]> {
      yield [node.path.slice(base), node];
      for (const child of node.children.values()) yield* visit(child);
    };
    yield* visit(this);
  }

  /** The node at `path` relative to this one ("" = this node), or undefined. */
  get(path: string): VirtualDatatree | undefined {
    let node: VirtualDatatree | undefined = this;
    for (const part of normalizeGroupPath(path).split("/").filter(Boolean)) {
      node = node.children.get(part);
      if (!node) return undefined;
    }
    return node;
  }

  /** The subtree at `path` as a tree of its own (its root's path is ""); throws when absent. */
  subtree(path: string): VirtualDatatree {
    const node = this.get(path);
    if (!node) {
      throw new InvalidArgumentError(`VirtualDatatree: no group "${path}"; groups: ${[...this.walk()].map(([p]) => p || "/").join(", ")}`);
    }
    return node.path === "" ? node : node.#withPath("");
  }

  /** Flat view: datasets by group path relative to this node ("" = this node, "a/b" nested), parents first. */
  toMap(): Map<string, VirtualDataset> {
    return new Map([...this.walk()].map(([path, node]) => [path, node.dataset]));
  }

  /** A tree with the same structure and `fn` applied to every dataset. */
  map(fn: (dataset: VirtualDataset, path: string) => VirtualDataset): VirtualDatatree {
    const base = this.path === "" ? 0 : this.path.length + 1;
    const visit = (node: VirtualDatatree): VirtualDatatree =>
      new VirtualDatatree({
        path: node.path,
        dataset: fn(node.dataset, node.path.slice(base)),
        children: new Map([...node.children].map(([name, child]) => [name, visit(child)])),
      });
    return visit(this);
  }

  /** {@link VirtualDataset.renamePaths} on every group. */
  renamePaths(rename: RenamePaths): VirtualDatatree {
    return this.map((dataset, path) => {
      try {
        return dataset.renamePaths(rename);
      } catch (error) {
        throw inGroup(error, path);
      }
    });
  }

  /**
   * {@link VirtualDataset.isel} on every group that has all the given dimensions (xarray's
   * `DataTree.isel`); a dimension that no group has is an error.
   */
  isel(indexers: Indexers): VirtualDatatree {
    const wanted = Object.keys(indexers);
    const seen = new Set<string>();
    const result = this.map((dataset, path) => {
      const dims = dataset.dims;
      const own = Object.fromEntries(Object.entries(indexers).filter(([dim]) => dims.has(dim)));
      for (const dim of Object.keys(own)) seen.add(dim);
      if (Object.keys(own).length === 0) return dataset;
      try {
        return dataset.isel(own);
      } catch (error) {
        throw inGroup(error, path);
      }
    });
    const absent = wanted.filter((dim) => !seen.has(dim));
    if (absent.length > 0) throw new InvalidArgumentError(`isel: no group has dimension(s) ${absent.map((d) => `"${d}"`).join(", ")}`);
    return result;
  }

  /** {@link VirtualDataset.nbytes} summed over every group. */
  get nbytes(): number {
    return [...this.walk()].reduce((n, [, node]) => n + node.dataset.nbytes, 0);
  }

  /** {@link VirtualDataset.referencedBytes} summed over every group. */
  get referencedBytes(): number {
    return [...this.walk()].reduce((n, [, node]) => n + node.dataset.referencedBytes, 0);
  }

  /** {@link VirtualDataset.nrefs} summed over every group. */
  get nrefs(): number {
    return [...this.walk()].reduce((n, [, node]) => n + node.dataset.nrefs, 0);
  }

  /** Number of variables over every group. */
  get variableCount(): number {
    return [...this.walk()].reduce((n, [, node]) => n + node.dataset.variables.size, 0);
  }

  /** Chunk references (and inlined chunks) over every group. */
  get chunkCount(): number {
    return [...this.walk()].reduce((n, [, node]) => n + node.dataset.chunkCount, 0);
  }
}

/** Whether `value` is a VirtualDatatree. */
export function isVirtualDatatree(value: unknown): value is VirtualDatatree {
  return value instanceof VirtualDatatree;
}

function inGroup(error: unknown, path: string): unknown {
  if (error instanceof Error && path !== "" && !error.message.includes(`group "${path}"`)) {
    error.message = `group "${path}": ${error.message}`;
  }
  return error;
}
