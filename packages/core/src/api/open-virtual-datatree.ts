/**
 * openVirtualDatatree: parse one file into a tree of virtual datasets, one per group
 * (VirtualiZarr's open_virtual_datatree).
 * @module
 */
import { toVirtualDatatree } from "../dataset/to-virtual-dataset.js";
import type { VirtualDatatree } from "../dataset/virtual-datatree.js";
import { type OpenVirtualDatasetOptions, openManifestStore } from "./open-virtual-dataset.js";

/** Options of {@link openVirtualDatatree}: those of openVirtualDataset, `group` being the subtree to start at. */
export type OpenVirtualDatatreeOptions = OpenVirtualDatasetOptions;

/**
 * Opens every group of `url` (or of the subtree at `options.group`, which becomes the tree's root)
 * as a VirtualDatatree. `dropVariables` / `loadableVariables` take plain names (every group that
 * has them) or paths relative to the tree's root ("sub/var").
 * @example
 * const tree = await openVirtualDatatree("file:///data/granule.nc4", { parser: "hdf5", registry, reader });
 * for (const [path, vds] of tree.toMap()) console.log(path || "/", vds.variables.size);
 * await writeKerchunk(tree, "granule.json"); // every group
 */
export async function openVirtualDatatree(url: string, options: OpenVirtualDatatreeOptions): Promise<VirtualDatatree> {
  const { store, groupApplied } = await openManifestStore(url, options);
  // a parser that reads groups itself (readsGroups) returned the chosen group as the root
  const { group, ...rest } = options;
  return toVirtualDatatree(store, { ...rest, ...(group !== undefined && !groupApplied ? { group } : {}), url });
}
