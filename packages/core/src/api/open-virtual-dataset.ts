/**
 * openVirtualDataset: parse one file into a VirtualDataset (VirtualiZarr's open_virtual_dataset).
 * The dataset is built from the parser's ManifestStore here, not in parsers.
 * @module
 */
import { addPluginCodecs } from "../codecs/plugin-codecs.js";
import { InvalidArgumentError, isVzError, ParseError } from "../errors.js";
import { toVirtualDataset, type ToVirtualDatasetOptions } from "../dataset/to-virtual-dataset.js";
import type { VirtualDataset } from "../dataset/virtual-dataset.js";
import type { ObjectReader } from "../readers/object-reader.js";
import { isReferencePolicyReader, withReferencePolicy } from "../readers/reference-policy.js";
import type { Parser, ParserPlugin } from "../registry/parser.js";
import { ParserRegistry } from "../registry/parser-registry.js";
import { ManifestStore } from "../store/manifest-store.js";

/** Options of {@link openVirtualDataset}. */
export interface OpenVirtualDatasetOptions extends ToVirtualDatasetOptions {
  /** A parser name (looked up in `registry`), a plugin, or a Parser function. Default: auto-detect. */
  parser?: string | ParserPlugin | Parser;
  /** Options passed to the plugin's `create` when `parser` is a name or plugin. */
  parserOptions?: unknown;
  /**
   * Where parser names are looked up (and auto-detection candidates come from). The codecs its
   * plugins provide are added to zarrita's registry, so that chunks of references (kerchunk,
   * Icechunk) decode with them (e.g. `imagecodecs_lzw` from @vz/parser-tiff).
   */
  registry?: ParserRegistry;
  /** Reads the file (and later its chunks). Required. */
  reader: ObjectReader;
  /**
   * Where chunk URLs of a reference set may point besides the reference set's own place (its
   * folder tree when local, its origin or bucket when remote): absolute URL prefixes such as
   * `file:///data/`, `https://host/path/`, `s3://bucket/prefix/`. Applies when the parser reads
   * references (`ParserPlugin.readsReferences`, or `readsReferences: true` here); ignored for
   * parsers of data files, whose input the caller named. Loopback, link-local and private-network
   * hosts are allowed only by a prefix naming the host.
   */
  allowedPrefixes?: readonly string[];
  /**
   * Treat `url` as a reference set even when the parser does not declare `readsReferences`
   * (for a Parser function, which carries no declaration). Default: the plugin's declaration.
   */
  readsReferences?: boolean;
}

/** Runs the selected parser on `url`, wrapping anything it throws into a ParseError naming parser and file. */
export async function openManifestStore(
  url: string,
  options: Omit<OpenVirtualDatasetOptions, keyof ToVirtualDatasetOptions> & { signal?: AbortSignal; group?: string },
): Promise<{ store: ManifestStore; parserName: string; reason: string; groupApplied: boolean }> {
  if (!options.reader) throw new InvalidArgumentError(`openVirtualDataset(${url}): a reader is required`, { url });
  const registry = options.registry ?? new ParserRegistry();
  addPluginCodecs(registry);
  const selection = await registry.select(url, {
    ...(options.parser !== undefined ? { parser: options.parser } : {}),
    reader: options.reader,
    parserOptions: options.parserOptions,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const readsReferences = options.readsReferences ?? selection.plugin?.readsReferences === true;
  const reader = readsReferences
    ? withReferencePolicy(options.reader, { referenceSet: url, ...(options.allowedPrefixes ? { allowedPrefixes: options.allowedPrefixes } : {}) })
    : options.reader;
  // A parser that reads groups itself parses only the chosen group (its store's root is the group).
  const group = options.group?.replace(/^\/+|\/+$/g, "");
  const groupApplied = Boolean(group && selection.plugin?.readsGroups);
  const parser = groupApplied ? selection.plugin!.create({ ...((options.parserOptions as object | undefined) ?? {}), group }) : selection.parser;
  try {
    let store = await parser(url, reader, options.signal ? { signal: options.signal } : undefined);
    if (readsReferences && !isReferencePolicyReader(store.reader)) {
      // The parser built its store on another reader: put the policy around that one, so the
      // chunk URLs of the reference set are still checked before every read.
      store = new ManifestStore(store.group, withReferencePolicy(store.reader, { referenceSet: url, ...(options.allowedPrefixes ? { allowedPrefixes: options.allowedPrefixes } : {}) }), {
        diagnostics: store.diagnostics,
      });
    }
    return { store, parserName: selection.name, reason: selection.reason, groupApplied };
  } catch (error) {
    if (isVzError(error)) throw error;
    throw new ParseError(`parser "${selection.name}" failed on ${url}: ${(error as Error).message}`, {
      url,
      parser: selection.name,
      cause: error,
    });
  }
}

/**
 * Opens `url` as a virtual dataset.
 * @example
 * const vds = await openVirtualDataset("file:///data/air.nc", { parser: "hdf5", registry, reader });
 */
export async function openVirtualDataset(url: string, options: OpenVirtualDatasetOptions): Promise<VirtualDataset> {
  const { store, groupApplied } = await openManifestStore(url, options);
  const { group, ...rest } = options;
  return toVirtualDataset(store, { ...rest, ...(group !== undefined && !groupApplied ? { group } : {}), url });
}
