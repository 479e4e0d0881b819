/**
 * ManifestGroup: a tree of groups and ManifestArrays with attributes (Zarr v3 group metadata).
 * @module
 */
import { InvalidManifestError } from "../errors.js";
import type { ManifestArray } from "./manifest-array.js";
import type { GroupMetadata } from "./metadata.js";

const NAME_PATTERN = /^[^/]+$/;

/** A group of virtual arrays and sub-groups. */
export class ManifestGroup {
  readonly attributes: Record<string, unknown>;
  readonly arrays: ReadonlyMap<string, ManifestArray>;
  readonly groups: ReadonlyMap<string, ManifestGroup>;

  constructor(
    options: {
      arrays?: Record<string, ManifestArray> | ReadonlyMap<string, ManifestArray>;
      groups?: Record<string, ManifestGroup> | ReadonlyMap<string, ManifestGroup>;
      attributes?: Record<string, unknown>;
    } = {},
  ) {
    const arrays = new Map(options.arrays instanceof Map ? options.arrays : Object.entries(options.arrays ?? {}));
    const groups = new Map(options.groups instanceof Map ? options.groups : Object.entries(options.groups ?? {}));
    for (const name of [...arrays.keys(), ...groups.keys()]) {
      if (!NAME_PATTERN.test(name) || name === "." || name === ".." || name === "zarr.json") {
        throw new InvalidManifestError(`ManifestGroup: invalid node name "${name}"`);
      }
    }
    for (const name of arrays.keys()) {
      if (groups.has(name)) throw new InvalidManifestError(`ManifestGroup: "${name}" is both an array and a group`);
    }
    this.arrays = arrays;
    this.groups = groups;
    this.attributes = { ...(options.attributes ?? {}) };
  }

  /** Group metadata as served in `zarr.json`. */
  get metadata(): GroupMetadata {
    return { zarr_format: 3, node_type: "group", attributes: this.attributes };
  }

  /** The node at a slash-separated path ("" = this group). */
  resolve(path: string): ManifestGroup | ManifestArray | undefined {
    const parts = path.split("/").filter((p) => p !== "");
    let node: ManifestGroup | ManifestArray = this;
    for (const part of parts) {
      if (!(node instanceof ManifestGroup)) return undefined;
      const next: ManifestGroup | ManifestArray | undefined = node.groups.get(part) ?? node.arrays.get(part);
      if (!next) return undefined;
      node = next;
    }
    return node;
  }

  /** Every array in the tree with its path ("a", "g/b"), depth first. */
  *walkArrays(prefix = ""): IterableIterator<[string, ManifestArray]> {
    for (const [name, array] of this.arrays) yield [prefix + name, array];
    for (const [name, group] of this.groups) yield* group.walkArrays(`${prefix}${name}/`);
  }

  /** Every group in the tree with its path ("" for this one). */
  *walkGroups(prefix = ""): IterableIterator<[string, ManifestGroup]> {
    yield [prefix.replace(/\/$/, ""), this];
    for (const [name, group] of this.groups) yield* group.walkGroups(`${prefix}${name}/`);
  }
}
