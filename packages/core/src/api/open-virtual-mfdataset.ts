/**
 * openVirtualMfdataset: many files into one virtual dataset (VirtualiZarr's
 * open_virtual_mfdataset, xarray's open_mfdataset): expand a glob, parse every file with a
 * concurrency limit, harmonise CF encodings (re-encode loaded time coordinates to the first
 * file's units; refuse virtual variables whose encoding differs), then combine with @vz/combine
 * ("byCoords" or "nested"). Nothing is written.
 * @module
 */
import type { CombineAttrs, Compat, Join, VariableSelection } from "@vz/combine";
import { isCfTimeUnits, normalizeCalendar, parseCfTimeUnits, reencodeCfTimes } from "../dataset/cf-time.js";
import { toVirtualDataset, toVirtualDatatree, type ToVirtualDatasetOptions } from "../dataset/to-virtual-dataset.js";
import { LoadedArray, type Variable, VirtualDataset } from "../dataset/virtual-dataset.js";
import { VirtualDatatree } from "../dataset/virtual-datatree.js";
import {
  ConcatError,
  inGroup,
  InvalidArgumentError,
  isVzError,
  NotFoundError,
  UnsupportedFeatureError,
  VzError,
} from "../errors.js";
import { ManifestArray } from "../manifest/manifest-array.js";
import type { ObjectReader, ReadOptions } from "../readers/object-reader.js";
import type { Parser, ParserPlugin } from "../registry/parser.js";
import { ParserRegistry } from "../registry/parser-registry.js";
import { combineDatasetsByCoords, combineDatasetsNested, type NestedVirtualDatasets } from "./combine-datasets.js";
import { createInProcessExecutor, type DatasetParsePool, type Executor, getThreadPoolFactory, isDatasetParsePool } from "./executor.js";
import { openManifestStore } from "./open-virtual-dataset.js";

/** Default number of files parsed at the same time. */
export const DEFAULT_MFDATASET_CONCURRENCY = 8;

/** Paths: one glob or URL, a list of URLs, or (for `combine: "nested"`) nested lists of URLs. */
export type MfdatasetPaths = string | readonly NestedPaths[];
/** A URL or nested lists of URLs. */
export type NestedPaths = string | readonly NestedPaths[];

/** Progress of {@link openVirtualMfdataset}: `done` of `total` files parsed, the last being `url`. */
export interface MfdatasetProgress {
  done: number;
  total: number;
  url: string;
}

/** Options of {@link openVirtualMfdataset}. */
export interface OpenVirtualMfdatasetOptions extends Omit<ToVirtualDatasetOptions, "signal"> {
  /** A parser name (looked up in `registry`), a plugin, or a Parser function. Default: auto-detect per file. */
  parser?: string | ParserPlugin | Parser;
  /** Options passed to the plugin's `create`. */
  parserOptions?: unknown;
  registry?: ParserRegistry;
  /** Reads (and lists, for globs) the files. Required. */
  reader: ObjectReader;
  /**
   * Where chunk URLs of reference sets (inputs a `readsReferences` parser reads, e.g. kerchunk)
   * may point besides each reference set's own place; see `OpenVirtualDatasetOptions.allowedPrefixes`.
   */
  allowedPrefixes?: readonly string[];
  /** "byCoords" (default, as xarray): order by dimension coordinates; "nested": by the order of `paths`. */
  combine?: "byCoords" | "nested";
  /** Dimension(s) to concatenate along for `combine: "nested"` (one per nesting level; null merges). */
  concatDim?: string | null | readonly (string | null)[];
  /** Default "no_conflicts" (as xarray's open_mfdataset). */
  compat?: Compat;
  /** Default "all". */
  dataVars?: VariableSelection;
  /** Default "different". */
  coords?: VariableSelection;
  /** Default "outer" (refuses differing indexes: virtual arrays cannot be reindexed). */
  join?: Join;
  /** Default "override" (the first file's attributes, or `attrsFile`'s). */
  combineAttrs?: CombineAttrs;
  /** For byCoords: refuse (default) or allow gaps between evenly spaced files. */
  gaps?: "error" | "allow";
  /** Transforms each file's dataset before combining (xarray's `preprocess`). */
  preprocess?: (dataset: VirtualDataset, url: string) => VirtualDataset | Promise<VirtualDataset>;
  /**
   * How per-file work runs: `false` (default) in this process with `concurrency`; `"threads"`: a
   * worker-thread pool of up to `concurrency` (at most 8) threads that parse and send manifests
   * back as typed arrays — needs `@vz/core/node` imported and `parser` given by name (looked up
   * among the parsers discovered in each worker; workers read with `createDefaultReaders()`);
   * a {@link DatasetParsePool} (e.g. `createThreadPool({ parserModule })`, closed by the caller);
   * or an {@link Executor} running the in-process work its own way.
   */
  parallel?: false | "threads" | Executor | DatasetParsePool;
  /** Index (in the expanded, flattened path list) or URL of the file whose global attributes the result gets. */
  attrsFile?: number | string;
  /** Files parsed at the same time. Default {@link DEFAULT_MFDATASET_CONCURRENCY} (8). */
  concurrency?: number;
  /** Called after each file is parsed. */
  onProgress?: (progress: MfdatasetProgress) => void;
  signal?: AbortSignal;
}

const GLOB_CHARS = /[*?[{]/;

function globToRegExp(glob: string): RegExp {
  let out = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*") {
      if (glob[i + 1] === "*") {
        out += ".*";
        i++;
        if (glob[i + 1] === "/") i++;
      } else out += "[^/]*";
    } else if (c === "?") out += "[^/]";
    else if (c === "[") {
      const end = glob.indexOf("]", i + 1);
      if (end < 0) out += "\\[";
      else {
        let body = glob.slice(i + 1, end);
        if (body.startsWith("!")) body = `^${body.slice(1)}`;
        out += `[${body.replace(/\\/g, "\\\\")}]`;
        i = end;
      }
    } else if (c === "{") {
      const end = glob.indexOf("}", i + 1);
      if (end < 0) out += "\\{";
      else {
        out += `(?:${glob.slice(i + 1, end).split(",").map((part) => part.replace(/[.+^${}()|[\]\\*?]/g, "\\$&")).join("|")})`;
        i = end;
      }
    } else out += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${out}$`);
}

function toAbsoluteUrl(path: string, glob = false): string {
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(path)) return path;
  if (path.startsWith("/")) {
    // percent-encode like pathToFileURL, keeping glob syntax intact in patterns
    const encoded = path
      .split("/")
      .map((segment) => {
        const escaped = encodeURIComponent(segment);
        return glob ? escaped.replace(/%3F/g, "?").replace(/%5B/g, "[").replace(/%5D/g, "]").replace(/%7B/g, "{").replace(/%7D/g, "}").replace(/%2C/g, ",") : escaped;
      })
      .join("/");
    return `file://${encoded}`;
  }
  throw new InvalidArgumentError(
    `openVirtualMfdataset: "${path}" is a relative path; pass absolute URLs (file:///..., s3://..., https://...) or absolute paths`,
    { url: path },
  );
}

/**
 * Expands a glob (`file:///data/*.nc`, `s3://bucket/prefix/**\/*.nc`) with `reader.list`: lists the
 * longest literal prefix, keeps the matching URLs, sorted. A string without glob characters is
 * returned as is.
 */
export async function expandGlob(pattern: string, reader: ObjectReader, opts?: ReadOptions): Promise<string[]> {
  const url = toAbsoluteUrl(pattern, true);
  const first = url.search(GLOB_CHARS);
  if (first < 0) return [url];
  const prefix = url.slice(0, url.lastIndexOf("/", first) + 1);
  const matcher = globToRegExp(url);
  const matches: string[] = [];
  for await (const entry of reader.list(prefix, opts)) {
    if (matcher.test(entry.url) || matcher.test(safeDecode(entry.url))) matches.push(entry.url);
  }
  matches.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (matches.length === 0) throw new NotFoundError(`openVirtualMfdataset: no files match ${pattern} (listed ${prefix})`, { url: pattern });
  return matches;
}

function safeDecode(url: string): string {
  try {
    return decodeURI(url);
  } catch {
    return url;
  }
}

function flatten(paths: NestedPaths): { flat: string[]; shape: "flat" | "nested" } {
  if (typeof paths === "string") return { flat: [paths], shape: "flat" };
  const flat: string[] = [];
  let nested = false;
  const walk = (node: NestedPaths) => {
    if (typeof node === "string") flat.push(node);
    else {
      if (node !== paths) nested = true;
      node.forEach(walk);
    }
  };
  walk(paths);
  return { flat, shape: nested ? "nested" : "flat" };
}

function rebuild<T>(paths: NestedPaths, items: readonly T[]): T | readonly unknown[] {
  let index = 0;
  const walk = (node: NestedPaths): unknown => (typeof node === "string" ? items[index++] : node.map(walk));
  return walk(paths) as T | readonly unknown[];
}

/** Prefixes an error with which file of how many failed, keeping its code and cause. */
function inFile(error: unknown, index: number, total: number, url: string): VzError {
  const prefix = `file ${index + 1} of ${total} (${url})`;
  const message = (error as Error)?.message ?? String(error);
  if (isVzError(error)) {
    if (message.startsWith(prefix)) return error;
    const wrapped = new VzError(error.code, `${prefix}: ${message}`, {
      cause: error,
      url: error.url ?? url,
      ...(error.variable !== undefined ? { variable: error.variable } : {}),
    });
    Object.defineProperty(wrapped, "name", { value: error.name });
    return wrapped;
  }
  return new VzError("PARSE_FAILED", `${prefix}: ${message}`, { cause: error, url });
}

const ENCODING_KEYS = ["scale_factor", "add_offset", "_FillValue", "missing_value", "units", "calendar"] as const;

function show(value: unknown): string {
  if (value === undefined) return "absent";
  return JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number>) : v));
}

function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a === "number" && typeof b === "number" && Number.isNaN(a) && Number.isNaN(b)) return true;
  return show(a) === show(b);
}

/**
 * Harmonises CF encodings across files before combining: loaded time coordinates ("<unit> since
 * <date>") are re-encoded to the first file's units; a virtual variable whose encoding
 * (scale_factor, add_offset, _FillValue, missing_value, units, calendar, data type, fill value)
 * differs between files raises, since its chunks would be decoded with one encoding.
 */
export function harmonizeCfEncodings(datasets: readonly VirtualDataset[], urls: readonly string[]): VirtualDataset[] {
  const total = datasets.length;
  const fileName = (i: number) => `file ${i + 1} of ${total} (${urls[i]})`;
  const reference = new Map<string, { index: number; variable: Variable }>();
  const out: VirtualDataset[] = [];
  for (const [i, dataset] of datasets.entries()) {
    let changes: Record<string, Variable> | undefined;
    for (const [name, variable] of dataset.variables) {
      const ref = reference.get(name);
      if (!ref) {
        reference.set(name, { index: i, variable });
        continue;
      }
      const a = ref.variable;
      const b = variable;
      const bothVirtual = a.data instanceof ManifestArray && b.data instanceof ManifestArray;
      const bothLoaded = a.data instanceof LoadedArray && b.data instanceof LoadedArray;
      const timeUnits = isCfTimeUnits(a.attrs.units) && isCfTimeUnits(b.attrs.units);
      const differs = (key: string) => !sameValue(a.attrs[key], b.attrs[key]);
      const refuse = (what: string) => {
        throw new ConcatError(
          `openVirtualMfdataset: variable "${name}" is encoded differently in ${fileName(ref.index)} and ${fileName(i)}: ${what}; ` +
            (bothVirtual
              ? "its chunks are referenced, not decoded, so they would be read with one encoding (wrong values). Load it (loadableVariables), drop it, or re-encode the files"
              : "loaded values of different packing cannot be concatenated"),
          { url: urls[i]!, variable: name },
        );
      };
      if (bothVirtual) {
        const x = a.data as ManifestArray;
        const y = b.data as ManifestArray;
        if (x.dataType !== y.dataType) refuse(`data type ${x.dataType} vs ${y.dataType}`);
        if (!sameValue(x.metadata.fill_value, y.metadata.fill_value)) refuse(`fill value ${show(x.metadata.fill_value)} vs ${show(y.metadata.fill_value)}`);
        for (const key of ENCODING_KEYS) if (differs(key)) refuse(`${key} ${show(a.attrs[key])} vs ${show(b.attrs[key])}`);
        continue;
      }
      if (!bothLoaded) continue;
      for (const key of ["scale_factor", "add_offset"] as const) if (differs(key)) refuse(`${key} ${show(a.attrs[key])} vs ${show(b.attrs[key])}`);
      if (!timeUnits || (!differs("units") && normalizeCalendar(a.attrs.calendar) === normalizeCalendar(b.attrs.calendar))) continue;
      const where = `openVirtualMfdataset: time variable "${name}" of ${fileName(i)}`;
      const from = parseCfTimeUnits(b.attrs.units as string, b.attrs.calendar, where);
      const to = parseCfTimeUnits(a.attrs.units as string, a.attrs.calendar, `time variable "${name}" of ${fileName(ref.index)}`);
      const source = b.data as LoadedArray;
      const target = a.data as LoadedArray;
      if (Array.isArray(source.values)) throw new UnsupportedFeatureError("cf-time-dtype", `${where}: time values are not numbers`, { url: urls[i]!, variable: name });
      let values;
      try {
        values = reencodeCfTimes(source.values as ArrayLike<number | bigint>, from, to, {
          dataType: target.dataType,
          sourceFillValue: b.attrs._FillValue ?? undefined,
          targetFillValue: a.attrs._FillValue ?? undefined,
          where: `${where} (re-encoding "${from.text}" to "${to.text}" of ${fileName(ref.index)})`,
        });
      } catch (cause) {
        if (isVzError(cause)) throw new VzError(cause.code, (cause as Error).message, { cause, url: urls[i]!, variable: name });
        throw cause;
      }
      const attrs: Record<string, unknown> = { ...b.attrs, units: a.attrs.units };
      if (a.attrs.calendar !== undefined) attrs.calendar = a.attrs.calendar;
      else delete attrs.calendar;
      changes ??= {};
      changes[name] = {
        ...b,
        attrs,
        data: new LoadedArray({ dataType: target.dataType, shape: source.shape, values, fillValue: target.fillValue }),
        encoding: { ...(b.encoding ?? {}), reencodedFrom: from.text },
      };
    }
    out.push(changes ? dataset.with({ variables: changes }) : dataset);
  }
  return out;
}

/**
 * Opens many files as one virtual dataset.
 * @example
 * const vds = await openVirtualMfdataset("s3://bucket/era5/*.nc", { parser: "hdf5", registry, reader, concurrency: 16 });
 * const tiles = await openVirtualMfdataset([[a, b], [c, d]], { reader, combine: "nested", concatDim: ["lat", "lon"] });
 */
export async function openVirtualMfdataset(paths: MfdatasetPaths, options: OpenVirtualMfdatasetOptions): Promise<VirtualDataset> {
  if (!options?.reader) throw new InvalidArgumentError("openVirtualMfdataset: a reader is required");
  const combine = options.combine ?? "byCoords";
  if (combine !== "byCoords" && combine !== "nested") throw new InvalidArgumentError(`openVirtualMfdataset: unknown combine "${String(combine)}"`);
  if (combine === "byCoords" && options.concatDim !== undefined) {
    throw new InvalidArgumentError('openVirtualMfdataset: concatDim has no effect with combine: "byCoords" (use combine: "nested")');
  }
  if (combine === "nested" && options.concatDim === undefined) {
    throw new InvalidArgumentError('openVirtualMfdataset: combine: "nested" needs concatDim (a dimension name, null to merge, or one per nesting level)');
  }
  const concurrency = options.concurrency ?? DEFAULT_MFDATASET_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new InvalidArgumentError(`openVirtualMfdataset: concurrency must be a positive integer, got ${concurrency}`);
  const executor: Executor = isExecutor(options.parallel) ? options.parallel : createInProcessExecutor();
  let pool: DatasetParsePool | undefined;
  let ownPool = false;
  if (options.parallel === "threads") {
    const factory = getThreadPoolFactory();
    if (!factory) {
      throw new UnsupportedFeatureError(
        "parallel-threads",
        'openVirtualMfdataset: parallel: "threads" needs the worker-thread pool of @vz/core/node; import "@vz/core/node" first (Node only)',
      );
    }
    if (options.parser !== undefined && typeof options.parser !== "string") {
      throw new UnsupportedFeatureError(
        "parallel-threads",
        'openVirtualMfdataset: parallel: "threads" needs the parser by name (plugins and functions cannot cross threads); ' +
          "or pass parallel: createThreadPool({ parserModule }) from @vz/core/node",
      );
    }
    pool = factory({
      size: Math.min(concurrency, 8),
      ...(typeof options.parser === "string" ? { parser: options.parser } : {}),
      ...(options.parserOptions !== undefined ? { parserOptions: options.parserOptions } : {}),
    });
    ownPool = true;
  } else if (isDatasetParsePool(options.parallel)) pool = options.parallel;
  else if (options.parallel !== undefined && options.parallel !== false && !isExecutor(options.parallel)) {
    throw new InvalidArgumentError(`openVirtualMfdataset: parallel must be false, "threads", an Executor or a DatasetParsePool`);
  }
  try {
    return await openWith(paths, options, combine, concurrency, executor, pool);
  } finally {
    if (ownPool) await pool?.close();
  }
}

function isExecutor(value: unknown): value is Executor {
  return typeof value === "object" && value !== null && !isDatasetParsePool(value) && typeof (value as Executor).map === "function";
}

/** Paths, parser and attribute-source resolved once for all files. */
interface Prepared {
  structure: NestedPaths;
  shape: "flat" | "nested";
  urls: string[];
  attrsIndex: number | undefined;
  registry: ParserRegistry;
  parser: OpenVirtualMfdatasetOptions["parser"];
  /** Whether the resolved parser reads reference sets (its chunk URLs then go through the allow policy). */
  readsReferences: boolean | undefined;
  /** Whether the resolved parser was created with the chosen group (readsGroups): its stores' root is that group. */
  parserAppliesGroup: boolean;
}

async function prepare(paths: MfdatasetPaths, options: OpenVirtualMfdatasetOptions, combine: "byCoords" | "nested", pool: DatasetParsePool | undefined): Promise<Prepared> {
  // Expand paths.
  let structure: NestedPaths;
  if (typeof paths === "string") structure = await expandGlob(paths, options.reader, options.signal ? { signal: options.signal } : undefined);
  else if (Array.isArray(paths)) structure = paths;
  else throw new InvalidArgumentError("openVirtualMfdataset: paths must be a URL, a glob, or a list of URLs");
  const { flat, shape } = flatten(structure);
  if (flat.length === 0) throw new InvalidArgumentError("openVirtualMfdataset: no paths given");
  const urls = flat.map((path) => toAbsoluteUrl(path));
  if (shape === "nested" && combine !== "nested") throw new InvalidArgumentError('openVirtualMfdataset: nested lists of paths need combine: "nested"');

  let attrsIndex: number | undefined;
  if (options.attrsFile !== undefined) {
    attrsIndex = typeof options.attrsFile === "number" ? options.attrsFile : urls.indexOf(toAbsoluteUrl(options.attrsFile));
    if (!Number.isInteger(attrsIndex) || attrsIndex < 0 || attrsIndex >= urls.length) {
      throw new InvalidArgumentError(`openVirtualMfdataset: attrsFile ${JSON.stringify(options.attrsFile)} is not one of the ${urls.length} files`);
    }
  }

  // Resolve an explicit parser once (not per file).
  const registry = options.registry ?? new ParserRegistry();
  let parser = options.parser;
  let readsReferences: boolean | undefined;
  // a parser that reads groups itself (readsGroups) is given the chosen group
  let parserAppliesGroup = false;
  if (!pool && parser !== undefined && typeof parser !== "function") {
    const selection = await registry.select(urls[0]!, { parser, reader: options.reader, parserOptions: options.parserOptions });
    readsReferences = selection.plugin?.readsReferences === true;
    const group = options.group?.replace(/^\/+|\/+$/g, "");
    parserAppliesGroup = Boolean(group && selection.plugin?.readsGroups);
    const resolved = parserAppliesGroup ? selection.plugin!.create({ ...((options.parserOptions as object | undefined) ?? {}), group }) : selection.parser;
    const name = selection.name;
    parser = Object.defineProperty((url: string, reader: ObjectReader, opts?: ReadOptions) => resolved(url, reader, opts), "name", { value: name });
  }
  return { structure, shape, urls, attrsIndex, registry, parser, readsReferences, parserAppliesGroup };
}

function datasetOptionsOf(options: OpenVirtualMfdatasetOptions) {
  return {
    ...(options.group !== undefined ? { group: options.group } : {}),
    ...(options.dropVariables ? { dropVariables: options.dropVariables } : {}),
    ...(options.loadableVariables ? { loadableVariables: options.loadableVariables } : {}),
    ...(options.decodeTimes !== undefined ? { decodeTimes: options.decodeTimes } : {}),
  };
}

/** Runs `openOne` on every file with the executor, reporting progress and naming the file in errors. */
async function openAll<T>(
  prepared: Prepared,
  options: OpenVirtualMfdatasetOptions,
  concurrency: number,
  executor: Executor,
  openOne: (url: string) => Promise<T>,
): Promise<T[]> {
  const { urls } = prepared;
  let done = 0;
  const total = urls.length;
  return executor.map(
    urls,
    async (url, index) => {
      try {
        return await openOne(url);
      } catch (error) {
        throw inFile(error, index, total, url);
      }
    },
    {
      concurrency,
      ...(options.signal ? { signal: options.signal } : {}),
      onItemDone: (index) => {
        done++;
        options.onProgress?.({ done, total, url: urls[index]! });
      },
    },
  );
}

/**
 * Opens one file's store. `datasetOptions` is what toVirtualDataset / toVirtualDatatree then get:
 * without `group` when the parser already returned the chosen group as the root (readsGroups).
 */
async function openStore(url: string, prepared: Prepared, options: OpenVirtualMfdatasetOptions) {
  const { store, groupApplied } = await openManifestStore(url, {
    reader: options.reader,
    registry: prepared.registry,
    ...(prepared.parser !== undefined ? { parser: prepared.parser } : {}),
    ...(prepared.readsReferences !== undefined ? { readsReferences: prepared.readsReferences } : {}),
    ...(options.allowedPrefixes ? { allowedPrefixes: options.allowedPrefixes } : {}),
    ...(options.parserOptions !== undefined ? { parserOptions: options.parserOptions } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.group !== undefined && !prepared.parserAppliesGroup ? { group: options.group } : {}),
  });
  const { group: _applied, ...rest } = datasetOptionsOf(options) as ReturnType<typeof datasetOptionsOf> & { group?: string };
  return { store, datasetOptions: groupApplied || prepared.parserAppliesGroup ? rest : datasetOptionsOf(options) };
}

/**
 * Checks that every file's tree has the groups of the first file's tree (ConcatError naming the
 * file and the group otherwise) and returns those group paths. `urls[i]` names `groupsOf[i]`.
 */
export function sameGroups(groupsOf: readonly ReadonlyMap<string, unknown>[], urls: readonly string[]): string[] {
  const paths0 = [...groupsOf[0]!.keys()];
  for (const [i, groups] of groupsOf.entries()) {
    const missing = paths0.filter((path) => !groups.has(path));
    const extra = [...groups.keys()].filter((path) => !groupsOf[0]!.has(path));
    if (missing.length > 0 || extra.length > 0) {
      const which = missing.length > 0 ? `lacks group "${missing[0] || "/"}" of` : `has group "${extra[0]}" that is not in`;
      throw new ConcatError(
        `openVirtualMfdatatree: file ${i + 1} of ${urls.length} (${urls[i]}) ${which} file 1 (${urls[0]}); files combined as a tree must have the same groups (or pick one with group)`,
        { url: urls[i]! },
      );
    }
  }
  return paths0;
}

/** Harmonises and combines one dataset per file (one group of every file, for trees). */
function combineOpened(datasets: readonly VirtualDataset[], prepared: Prepared, options: OpenVirtualMfdatasetOptions, combine: "byCoords" | "nested"): VirtualDataset {
  const { urls, structure, shape, attrsIndex } = prepared;
  const harmonized = harmonizeCfEncodings(datasets, urls);
  const common = {
    labels: urls,
    compat: options.compat ?? "no_conflicts",
    dataVars: options.dataVars ?? "all",
    coords: options.coords ?? "different",
    join: options.join ?? "outer",
    combineAttrs: options.combineAttrs ?? "override",
  } as const;
  const combined =
    combine === "nested"
      ? combineDatasetsNested(shape === "nested" ? (rebuild(structure, harmonized) as NestedVirtualDatasets) : harmonized, options.concatDim!, common)
      : combineDatasetsByCoords(harmonized, { ...common, ...(options.gaps ? { gaps: options.gaps } : {}) });
  if (attrsIndex !== undefined) combined.attrs = { ...harmonized[attrsIndex]!.attrs };
  return combined;
}

async function openWith(
  paths: MfdatasetPaths,
  options: OpenVirtualMfdatasetOptions,
  combine: "byCoords" | "nested",
  concurrency: number,
  executor: Executor,
  pool: DatasetParsePool | undefined,
): Promise<VirtualDataset> {
  const prepared = await prepare(paths, options, combine, pool);
  const datasetOptions = datasetOptionsOf(options);
  const datasets = await openAll(prepared, options, concurrency, executor, async (url) => {
    let dataset: VirtualDataset;
    if (pool) dataset = await pool.parseDataset(url, { ...datasetOptions, ...(options.allowedPrefixes ? { allowedPrefixes: options.allowedPrefixes } : {}) }, options.signal);
    else {
      const opened = await openStore(url, prepared, options);
      dataset = await toVirtualDataset(opened.store, { url, ...opened.datasetOptions, ...(options.signal ? { signal: options.signal } : {}) });
    }
    if (options.preprocess) {
      dataset = await options.preprocess(dataset, url);
      if (!(dataset instanceof VirtualDataset)) throw new InvalidArgumentError(`preprocess did not return a VirtualDataset`, { url });
    }
    return dataset;
  });
  return combineOpened(datasets, prepared, options, combine);
}

/** Options of {@link openVirtualMfdatatree}. */
export interface OpenVirtualMfdatatreeOptions extends Omit<OpenVirtualMfdatasetOptions, "parallel" | "preprocess"> {
  /** `false` (default) or an {@link Executor}; worker threads and parse pools return datasets, not trees. */
  parallel?: false | Executor;
  /** Transforms each group's dataset of each file before combining; `path` is the group ("" = root). */
  preprocess?: (dataset: VirtualDataset, url: string, path: string) => VirtualDataset | Promise<VirtualDataset>;
}

/**
 * Opens many files that share a group structure (e.g. granules of one product, each with the
 * same nested groups) as one VirtualDatatree, combining group by group: the group at path P of
 * the result is `openVirtualMfdataset` of group P of every file, with the same options (combine,
 * concatDim, compat, join, ...). `group` picks the subtree every file is opened at. Every file
 * must have the same groups (a group missing in one file is a ConcatError naming both); a group
 * with no variables in any file keeps its attributes (from the first file, or `attrsFile`).
 * @example
 * const tree = await openVirtualMfdatatree("s3://bucket/SMAP/*.h5", { reader, parser: "hdf5", combine: "nested", concatDim: "time" });
 * await writeKerchunk(tree, "smap.json");
 */
export async function openVirtualMfdatatree(paths: MfdatasetPaths, options: OpenVirtualMfdatatreeOptions): Promise<VirtualDatatree> {
  if (!options?.reader) throw new InvalidArgumentError("openVirtualMfdatatree: a reader is required");
  const parallel = options.parallel as unknown;
  if (parallel !== undefined && parallel !== false && !isExecutor(parallel)) {
    throw new UnsupportedFeatureError(
      "parallel-threads",
      "openVirtualMfdatatree: parallel must be false or an Executor (worker threads and parse pools return single datasets, not trees)",
    );
  }
  const combine = options.combine ?? "byCoords";
  if (combine !== "byCoords" && combine !== "nested") throw new InvalidArgumentError(`openVirtualMfdatatree: unknown combine "${String(combine)}"`);
  if (combine === "byCoords" && options.concatDim !== undefined) {
    throw new InvalidArgumentError('openVirtualMfdatatree: concatDim has no effect with combine: "byCoords" (use combine: "nested")');
  }
  if (combine === "nested" && options.concatDim === undefined) {
    throw new InvalidArgumentError('openVirtualMfdatatree: combine: "nested" needs concatDim (a dimension name, null to merge, or one per nesting level)');
  }
  const concurrency = options.concurrency ?? DEFAULT_MFDATASET_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new InvalidArgumentError(`openVirtualMfdatatree: concurrency must be a positive integer, got ${concurrency}`);
  const executor: Executor = isExecutor(parallel) ? parallel : createInProcessExecutor();
  const mfOptions = { ...options, parallel: false } as OpenVirtualMfdatasetOptions;
  const prepared = await prepare(paths, mfOptions, combine, undefined);
  const trees = await openAll(prepared, mfOptions, concurrency, executor, async (url) => {
    const opened = await openStore(url, prepared, mfOptions);
    let tree = await toVirtualDatatree(opened.store, { url, ...opened.datasetOptions, ...(options.signal ? { signal: options.signal } : {}) });
    if (options.preprocess) {
      const preprocess = options.preprocess;
      const results = new Map<string, VirtualDataset>();
      for (const [path, node] of tree.walk()) {
        const result = await preprocess(node.dataset, url, path);
        if (!(result instanceof VirtualDataset)) throw new InvalidArgumentError(`preprocess did not return a VirtualDataset for group "${path || "/"}"`, { url });
        results.set(path, result);
      }
      tree = VirtualDatatree.fromMap(results);
    }
    return tree;
  });
  const { urls } = prepared;
  const groupsOf = trees.map((tree) => new Map(tree.toMap()));
  const paths0 = sameGroups(groupsOf, urls);
  const combined = new Map<string, VirtualDataset>();
  for (const path of paths0) {
    const datasets = groupsOf.map((groups) => groups.get(path)!);
    if (datasets.every((dataset) => dataset.variables.size === 0)) {
      const source = datasets[prepared.attrsIndex ?? 0]!;
      combined.set(path, new VirtualDataset({ attrs: source.attrs }));
      continue;
    }
    try {
      combined.set(path, combineOpened(datasets, prepared, mfOptions, combine));
    } catch (error) {
      throw inGroup(error, path);
    }
  }
  return VirtualDatatree.fromMap(combined);
}
