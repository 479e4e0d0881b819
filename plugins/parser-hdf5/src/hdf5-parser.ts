/**
 * The HDF5 / netCDF4 parser: walks the group tree from the superblock, decodes every dataset's
 * header messages and turns it into a ManifestArray (chunk references into the file), with
 * netCDF4 dimension names and attributes; returns a ManifestStore.
 * @module
 */
import {
  type ArrayMetadata,
  ChunkManifestBuilder,
  type CodecMetadata,
  type DataType,
  InvalidArgumentError,
  isVzError,
  ManifestArray,
  ManifestGroup,
  ManifestStore,
  NotFoundError,
  type ObjectReader,
  ParseError,
  type ReadOptions,
  UnsupportedFeatureError,
  type VzError,
  inlinedStringArray,
} from "@vz/core";
import { chunkGridShape } from "@vz/core/internal";
import { type ChunkIndexInfo, readChunkIndex } from "./chunk-index.js";
import { iterateBTree2 } from "./btree2.js";
import { FractalHeap } from "./fractal-heap.js";
import { decodeFilters, filtersToCodecs, loadFilterDecoders } from "./filters.js";
import { GlobalHeap } from "./global-heap.js";
import { Cursor, formatError, HdfFile, UNDEFINED_ADDRESS } from "./io.js";
import {
  type Dataspace,
  type Datatype,
  decodeAttribute,
  decodeAttributeInfo,
  decodeDataspace,
  decodeDatatype,
  decodeFillValue,
  decodeFilterPipeline,
  decodeLayout,
  decodeLink,
  decodeLinkInfo,
  decodeOldFillValue,
  decodeSharedReference,
  decodeSymbolTable,
  describeDatatype,
  type FillValue,
  type Filter,
  type Layout,
  type Link,
  messageCursor,
  type RawAttribute,
} from "./messages.js";
import { type HeaderMessage, MESSAGE_SHARED, MessageType, type ObjectHeader, readObjectHeader } from "./object-header.js";
import { readSuperblock } from "./superblock.js";
import { readSymbolTableLinks } from "./symbol-table.js";
import { type DecodedValue, decodeElements, decodeFixedString, decodeNumber, isBoolEnum } from "./values.js";

/** Options of the HDF5 parser (`createHdf5Parser(options)`). */
export interface Hdf5ParserOptions {
  /** Group to start from ("a/b" or "/a/b"); default the root group. */
  group?: string;
  /** Variables (names or paths relative to `group`) to leave out. */
  dropVariables?: readonly string[];
  /**
   * What to do with a variable that cannot be virtualized (compound type, szip filter, ...):
   * "raise" (default) throws its UnsupportedFeatureError; "skip" leaves it out and records the
   * error in `ManifestStore.diagnostics`.
   */
  onUnsupported?: "raise" | "skip";
  /**
   * Soft links: `"report"` (default) leaves them out and records each in
   * `ManifestStore.diagnostics` (objects always appear at their hard-link paths); `"copy"` also
   * places the target below the link, as copies of the same chunk references (as netCDF-C does).
   */
  softLinks?: "report" | "copy";
  /** Metadata read block size in bytes (default 64 KiB). */
  blockSize?: number;
  /** Bytes read speculatively at the start of the file (default 256 KiB). */
  initialReadSize?: number;
  /**
   * How character arrays (1-byte fixed-length strings, netCDF `char`) are exposed:
   * - `"chars"` (default): as they are stored, data type `fixed_length_bytes:1` (numpy `|S1`)
   *   with every dimension, the character dimension included, and chunk references in place —
   *   what netCDF-4 and kerchunk give; xarray joins the characters itself when it opens the
   *   references, exactly as it does on the original file.
   * - `"string"`: read at parse time and joined into `"string"` arrays by xarray's rule (the last
   *   dimension is the string length when no variable is named like it and only such arrays use
   *   it, as their last dimension), trailing NULs removed, decoded as UTF-8.
   */
  charArrays?: "chars" | "string";
}

/** Attributes that carry HDF5 / netCDF-4 bookkeeping and are not shown. */
const HIDDEN_ATTRIBUTES = new Set([
  "_nc3_strict",
  "_NCProperties",
  "_Netcdf4Dimid",
  "_Netcdf4Coordinates",
  "REFERENCE_LIST",
  "DIMENSION_LIST",
  "CLASS",
  "NAME",
  "_SuperblockVersion",
  "_IsNetcdf4",
]);

/** Prefix of the NAME attribute netCDF-4 gives a dimension that has no variable. */
const NETCDF_DIMENSION_ONLY = "This is a netCDF dimension but not a netCDF variable";

/** Largest string dataset (in stored bytes) read at parse time. */
const MAX_STRING_DATASET_BYTES = 256 * 1024 * 1024;

const MAX_DEPTH = 256;

/** Chunks of a string dataset read per getRanges call at parse time. */
const CHUNK_READ_BATCH = 4096;

/** Largest chunk grid (number of chunk cells) a manifest is built for. */
const MAX_CHUNK_GRID = 50_000_000;

/** A dataset found while walking the tree. */
interface DatasetEntry {
  name: string;
  /** Link creation order, when the group tracks it. */
  creationOrder?: number;
  /** Path from the start group ("g/x"). */
  path: string;
  header: ObjectHeader;
  group: GroupEntry;
}

interface GroupEntry {
  path: string;
  header: ObjectHeader;
  attributes: Record<string, unknown>;
  datasets: DatasetEntry[];
  groups: Map<string, GroupEntry>;
}

/** Everything the parser knows about a dataset before it becomes an array. */
interface DatasetInfo {
  entry: DatasetEntry;
  space: Dataspace;
  type: Datatype;
  layout: Layout;
  filters: Filter[];
  fill: FillValue | undefined;
  attributes: RawAttribute[];
  hasExternalStorage: boolean;
}

function product(values: readonly number[]): number {
  return values.reduce((a, b) => a * b, 1);
}

/** Parses one HDF5 file. */
export class Hdf5Parse {
  readonly url: string;
  readonly file: HdfFile;
  readonly options: Hdf5ParserOptions;
  readonly heap: GlobalHeap;
  readonly diagnostics: VzError[] = [];
  readonly #headers = new Map<number, Promise<ObjectHeader>>();
  readonly #linkLists = new Map<number, Promise<Link[]>>();
  readonly #sharedTypes = new Map<number, Promise<Datatype>>();
  /** Name under which each object address was first met (for DIMENSION_LIST references). */
  readonly linkNames = new Map<number, string>();
  /** Groups already placed in the tree (each group appears once, at its first hard link). */
  readonly #placed = new Set<number>();
  /** Path (from the start group) at which each group or dataset was first placed. */
  readonly #placedAt = new Map<number, string>();
  readonly #infos = new WeakMap<DatasetEntry, Promise<DatasetInfo>>();
  /** Soft links met by the walk, handled after it. */
  readonly #softLinks: { link: Link; group: GroupEntry; groupAddress: number; absolutePath: string; ancestors: number[]; depth: number }[] = [];
  #rootAddress = UNDEFINED_ADDRESS;
  /** Phony dimensions made so far (netCDF-C numbers them over the whole file). */
  #phonyCount = 0;
  /** Path of the start group from the root ("" = root). */
  #startPath = "";

  constructor(url: string, file: HdfFile, options: Hdf5ParserOptions) {
    this.url = url;
    this.file = file;
    this.options = options;
    this.heap = new GlobalHeap(file);
  }

  /** Opens the file and parses it into a ManifestStore. */
  static async parse(url: string, reader: ObjectReader, options: Hdf5ParserOptions = {}, readOptions?: ReadOptions): Promise<ManifestStore> {
    const fileOptions: { blockSize?: number; initialReadSize?: number; signal?: AbortSignal } = {};
    if (options.blockSize !== undefined) fileOptions.blockSize = options.blockSize;
    if (options.initialReadSize !== undefined) fileOptions.initialReadSize = options.initialReadSize;
    if (readOptions?.signal) fileOptions.signal = readOptions.signal;
    if (options.softLinks !== undefined && options.softLinks !== "report" && options.softLinks !== "copy") {
      throw new InvalidArgumentError(`HDF5 ${url}: option softLinks must be "report" or "copy", got ${JSON.stringify(options.softLinks)}`, { url });
    }
    if (options.charArrays !== undefined && options.charArrays !== "chars" && options.charArrays !== "string") {
      throw new InvalidArgumentError(`HDF5 ${url}: option charArrays must be "chars" or "string", got ${JSON.stringify(options.charArrays)}`, { url });
    }
    try {
      const file = await HdfFile.open(url, reader, fileOptions);
      const parse = new Hdf5Parse(url, file, options);
      const group = await parse.run();
      return new ManifestStore(group, reader, { diagnostics: parse.diagnostics });
    } catch (error) {
      if (isVzError(error)) throw error;
      // anything else is a bug or a structure we mis-read: report it as a typed parse failure
      const reason = error instanceof Error ? error.message : String(error);
      throw new ParseError(`HDF5 ${url}: could not parse the file: ${reason}`, { url, parser: "hdf5", cause: error });
    }
  }

  /** Walks the tree and builds the ManifestGroup. */
  async run(): Promise<ManifestGroup> {
    const superblock = await readSuperblock(this.file);
    this.#rootAddress = superblock.rootObjectHeader;
    const groupPath = (this.options.group ?? "").split("/").filter((p) => p !== "" && p !== ".");
    this.#startPath = groupPath.join("/");
    let address = this.#rootAddress;
    // list the ancestors' links too: netCDF-4 dimensions of the start group may live in them
    for (let i = 0; i < groupPath.length; i++) {
      const links = await this.links(address, groupPath.slice(0, i).join("/"));
      const link = links.find((l) => l.name === groupPath[i]);
      const target = link ? await this.resolveLink(link, groupPath.slice(0, i).join("/")) : undefined;
      const header = target === undefined ? undefined : await this.header(target);
      if (target === undefined || !header || nodeKind(header) !== "group") {
        throw new NotFoundError(`HDF5 ${this.url}: no group "${groupPath.slice(0, i + 1).join("/")}" in the file`, { url: this.url });
      }
      address = target;
    }
    const tree = await this.walkGroup(address, "", [address], 0);
    await this.resolveSoftLinks();
    // netCDF-C numbers phony dimensions with its next dimension id, and it reads every named
    // dimension (each dimension scale of rank >= 1) of the file before it makes phony ones
    this.#phonyCount = await this.#countDimensionScales(tree);
    return this.buildGroup(tree);
  }

  /** The object header at `address` (cached). */
  header(address: number): Promise<ObjectHeader> {
    let header = this.#headers.get(address);
    if (!header) {
      header = readObjectHeader(this.file, address);
      this.#headers.set(address, header);
    }
    return header;
  }

  /** The links of the group whose header is at `address`, sorted by name. */
  links(address: number, groupPath: string): Promise<Link[]> {
    let links = this.#linkLists.get(address);
    if (!links) {
      links = this.#readLinks(address, groupPath);
      this.#linkLists.set(address, links);
    }
    return links;
  }

  async #readLinks(address: number, groupPath: string): Promise<Link[]> {
    const header = await this.header(address);
    const links: Link[] = [];
    for (const message of header.messages) {
      if (message.type === MessageType.SYMBOL_TABLE) {
        const table = decodeSymbolTable(messageCursor(this.file, message));
        links.push(...(await readSymbolTableLinks(this.file, table.btreeAddress, table.heapAddress)));
      } else if (message.type === MessageType.LINK) {
        links.push(decodeLink(messageCursor(this.file, message)));
      } else if (message.type === MessageType.LINK_INFO) {
        const info = decodeLinkInfo(messageCursor(this.file, message));
        if (info.heapAddress !== UNDEFINED_ADDRESS && info.nameIndexAddress !== UNDEFINED_ADDRESS) {
          const heap = await FractalHeap.open(this.file, info.heapAddress);
          for await (const record of iterateBTree2(this.file, info.nameIndexAddress)) {
            if (record.type !== 5) {
              throw formatError(this.file, `group "${groupPath || "/"}": link name index holds v2 B-tree records of type ${record.type}, expected 5`);
            }
            const bytes = await heap.read(record.record.subarray(4));
            links.push(decodeLink(new Cursor(bytes, this.file)));
          }
        }
      }
    }
    links.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const link of links) {
      if (link.kind === "hard" && !this.linkNames.has(link.address)) this.linkNames.set(link.address, link.name);
    }
    return links;
  }

  /**
   * The object address a link points to, or undefined (external, dangling or user-defined links).
   * `groupPath` is the path of the link's group from the root.
   */
  async resolveLink(link: Link, groupPath: string, depth = 0): Promise<number | undefined> {
    if (link.kind === "hard") return link.address;
    const where = groupPath ? `${groupPath}/${link.name}` : link.name;
    if (link.kind === "external") {
      this.diagnostics.push(
        new UnsupportedFeatureError(
          "external-link",
          `HDF5 ${this.url}: "${where}" is an external link to "${link.path}" in file "${link.file}"; external links are not followed`,
          { url: this.url, variable: where },
        ),
      );
      return undefined;
    }
    if (link.kind === "user") {
      this.diagnostics.push(
        new UnsupportedFeatureError("user-defined-link", `HDF5 ${this.url}: "${where}" is a user-defined link (type ${link.type}); not followed`, {
          url: this.url,
          variable: where,
        }),
      );
      return undefined;
    }
    if (depth > 32) {
      this.diagnostics.push(new ParseError(`HDF5 ${this.url}: soft link "${where}" → "${link.target}": too many levels of soft links (cycle)`, { url: this.url, variable: where, parser: "hdf5" }));
      return undefined;
    }
    // soft link: an absolute path from the root, or a path relative to the link's group
    const parts = link.target.startsWith("/") ? [] : groupPath.split("/").filter((p) => p !== "");
    for (const part of link.target.split("/")) {
      if (part === "" || part === ".") continue;
      if (part === "..") parts.pop();
      else parts.push(part);
    }
    let address = this.#rootAddress;
    let path = "";
    for (const part of parts) {
      const header = await this.header(address);
      if (nodeKind(header) !== "group") return this.#dangling(where, link.target);
      const links = await this.links(address, path);
      const next = links.find((l) => l.name === part);
      if (!next) return this.#dangling(where, link.target);
      const resolved = await this.resolveLink(next, path, depth + 1);
      if (resolved === undefined) return undefined;
      address = resolved;
      path = path ? `${path}/${part}` : part;
    }
    return address;
  }

  #dangling(where: string, target: string): undefined {
    this.diagnostics.push(
      new NotFoundError(`HDF5 ${this.url}: soft link "${where}" points to "${target}", which does not exist (dangling link)`, {
        url: this.url,
        variable: where,
      }),
    );
    return undefined;
  }

  /**
   * Walks a group along hard links (depth first, links in name order, as HDF5's H5Ovisit and
   * h5py's visititems do): a dataset appears under every hard link to it (netCDF-C lists each
   * link as a variable); a group appears under the first hard link met, further hard links to it
   * are reported. Soft links are queued and handled after the walk ({@link resolveSoftLinks}), so
   * that an object is always placed at a hard-link path, never at a soft link's. `copy` walks a
   * soft link's target again below the link (the `softLinks: "copy"` option).
   */
  async walkGroup(address: number, path: string, ancestors: number[], depth: number, copy = false): Promise<GroupEntry> {
    if (depth > MAX_DEPTH) throw formatError(this.file, `group "${path}" is nested more than ${MAX_DEPTH} levels deep; corrupt file or link cycle`);
    if (!copy) {
      this.#placed.add(address);
      this.#placedAt.set(address, path);
    }
    const header = await this.header(address);
    const group: GroupEntry = { path, header, attributes: {}, datasets: [], groups: new Map() };
    group.attributes = await this.publicAttributes(header, path || "/", undefined);
    const links = await this.links(address, path);
    const absolutePath = [this.#startPath, path].filter((p) => p !== "").join("/");
    const hard = links.filter((link) => link.kind !== "soft");
    for (const link of links) {
      if (link.kind === "soft") this.#softLinks.push({ link, group, groupAddress: address, absolutePath, ancestors, depth });
    }
    const targets = await Promise.all(hard.map((link) => this.resolveLink(link, absolutePath)));
    const headers = await Promise.all(targets.map((t) => (t === undefined ? undefined : this.header(t))));
    for (let i = 0; i < hard.length; i++) {
      const link = hard[i]!;
      const target = targets[i];
      const targetHeader = headers[i];
      if (target === undefined || !targetHeader) continue;
      const childPath = path ? `${path}/${link.name}` : link.name;
      const kind = nodeKind(targetHeader);
      if (kind === "group") {
        if (ancestors.includes(target)) {
          this.#linkNote(childPath, `is a hard link to its own ancestor group "${this.#placedAt.get(target) || "/"}" (a cycle); not followed`);
          continue;
        }
        if (!copy && this.#placed.has(target)) {
          this.#linkNote(childPath, `is a second hard link to the group placed at "${this.#placedAt.get(target) || "/"}"; its contents are shown there only`);
          continue;
        }
        group.groups.set(link.name, await this.walkGroup(target, childPath, [...ancestors, target], depth + 1, copy));
      } else if (kind === "dataset") {
        if (!this.#placedAt.has(target)) this.#placedAt.set(target, childPath);
        const entry: DatasetEntry = { name: link.name, path: childPath, header: targetHeader, group };
        if (link.creationOrder !== undefined) entry.creationOrder = link.creationOrder;
        group.datasets.push(entry);
      }
    }
    return group;
  }

  /**
   * Handles the soft links met by the walk: each is reported in the diagnostics (where its target
   * is), or with `softLinks: "copy"` its target is placed below the link too, as copies of the
   * same chunk references (what netCDF-C shows). Targets copied may hold soft links of their own;
   * the queue runs until empty (cycles stop at the ancestors check).
   */
  async resolveSoftLinks(): Promise<void> {
    const copy = this.options.softLinks === "copy";
    while (this.#softLinks.length > 0) {
      const { link, group, groupAddress, absolutePath, ancestors, depth } = this.#softLinks.shift()!;
      if (link.kind !== "soft") continue;
      const childPath = group.path ? `${group.path}/${link.name}` : link.name;
      const target = await this.resolveLink(link, absolutePath);
      if (target === undefined) continue; // dangling: reported by resolveLink
      const header = await this.header(target);
      const kind = nodeKind(header);
      if (kind !== "group" && kind !== "dataset") continue;
      const placed = this.#placedAt.get(target);
      const where = placed === undefined ? "outside the walked tree" : `at "${placed || "/"}"`;
      if (!copy) {
        this.#linkNote(childPath, `is a soft link to "${link.target}" (the ${kind} ${where}); not copied (option softLinks: "copy" places the target here too)`, "soft-link");
        continue;
      }
      if (kind === "dataset") {
        const entry: DatasetEntry = { name: link.name, path: childPath, header, group };
        if (link.creationOrder !== undefined) entry.creationOrder = link.creationOrder;
        group.datasets.push(entry);
        continue;
      }
      if (target === groupAddress || ancestors.includes(target)) {
        this.#linkNote(childPath, `is a soft link to its own ancestor group "${link.target}" (a cycle); not copied`, "soft-link");
        continue;
      }
      group.groups.set(link.name, await this.walkGroup(target, childPath, [...ancestors, target], depth + 1, true));
    }
  }

  async #countDimensionScales(group: GroupEntry): Promise<number> {
    let count = 0;
    for (const child of group.groups.values()) count += await this.#countDimensionScales(child);
    for (const entry of group.datasets) {
      const info = await this.datasetInfo(entry).catch((error: unknown) => {
        if (isVzError(error)) return undefined; // raised (or skipped) when the group is built
        throw error;
      });
      if (info && info.space.shape.length >= 1 && this.#isDimensionScale(info)) count++;
    }
    return count;
  }

  #isDimensionScale(info: DatasetInfo): boolean {
    const cls = info.attributes.find((a) => a.name === "CLASS");
    return cls !== undefined && this.#attributeText(cls) === "DIMENSION_SCALE";
  }

  #linkNote(where: string, reason: string, feature = "hard-link"): void {
    this.diagnostics.push(new UnsupportedFeatureError(feature, `HDF5 ${this.url}: "${where}" ${reason}`, { url: this.url, variable: where }));
  }

  /**
   * Builds ManifestGroups and ManifestArrays from the walked tree. Sub-groups are built first so
   * that phony dimensions are numbered as netCDF-C numbers them (depth first, children first).
   */
  async buildGroup(group: GroupEntry): Promise<ManifestGroup> {
    const groups = new Map<string, ManifestGroup>();
    for (const [name, child] of group.groups) groups.set(name, await this.buildGroup(child));
    // the datasets of a group are read concurrently (their object headers, attributes and chunk
    // indexes cost round trips of their own); results and diagnostics keep the datasets' order
    const settled = await Promise.allSettled(group.datasets.map((entry) => (this.#isDropped(entry) ? undefined : this.datasetInfo(entry))));
    const infos: DatasetInfo[] = [];
    for (const result of settled) {
      if (result.status === "fulfilled") {
        if (result.value) infos.push(result.value);
        continue;
      }
      const error = result.reason as unknown;
      if (isVzError(error, "UNSUPPORTED") && this.options.onUnsupported === "skip") {
        this.diagnostics.push(error);
        continue;
      }
      throw error;
    }
    // every dataset of the group, dropped or unsupported ones too: their dimension scales are
    // netCDF dimensions all the same
    const groupInfos: DatasetInfo[] = [];
    for (const entry of group.datasets) {
      const info = await this.datasetInfo(entry).catch((error: unknown) => {
        if (isVzError(error)) return undefined;
        throw error;
      });
      if (info) groupInfos.push(info);
    }
    const dimensionNames = await this.dimensionNames(infos, groupInfos);
    const dimensionOnly = infos.map((info) =>
      info.attributes.some((a) => a.name === "NAME" && typeof this.#attributeText(a) === "string" && this.#attributeText(a)!.startsWith(NETCDF_DIMENSION_ONLY)),
    );
    // xarray's rule for character arrays (decode_cf "stackable"): the last dimension of a 1-byte
    // string array becomes the string length when no variable is named like it and every variable
    // using it is such an array with it last. Applying it here gives the same variables as
    // xarray's netCDF4 engine, and the kerchunk output keeps them.
    const variableNames = new Set(infos.filter((_, i) => !dimensionOnly[i]).map((info) => netcdfName(info.entry.name)));
    const dimensionUses = new Map<string, boolean[]>();
    infos.forEach((info, i) => {
      if (dimensionOnly[i]) return;
      const dims = dimensionNames[i]!;
      const isChar = info.type.class === "string" && info.type.size === 1;
      dims.forEach((dim, d) => {
        if (dim === null) return;
        const uses = dimensionUses.get(dim) ?? [];
        uses.push(isChar && d === dims.length - 1);
        dimensionUses.set(dim, uses);
      });
    });
    const joinChars = this.options.charArrays === "string";
    const stackable = (dim: string | null | undefined) =>
      joinChars && dim !== null && dim !== undefined && !variableNames.has(dim) && (dimensionUses.get(dim) ?? []).every(Boolean);
    // Lengths of the group's fixed-size dimension scales: a variable whose axis has another length
    // than the scale attached to it is malformed (netCDF-C would report the scale's length).
    // Unlimited scales are left alone: netCDF variables along one may have fewer records.
    const scaleLengths = new Map<string, number>();
    for (const info of groupInfos) {
      const max = info.space.maxShape[0];
      if (info.space.shape.length === 1 && this.#isDimensionScale(info) && max !== -1 && max !== UNDEFINED_ADDRESS) {
        scaleLengths.set(info.entry.name, info.space.shape[0]!);
      }
    }
    const arrays = new Map<string, ManifestArray>();
    // chunk indexes of all arrays are read concurrently; names, errors and skips in order
    const built = await Promise.allSettled(
      infos.map((info, i) => {
        if (dimensionOnly[i]) return undefined; // a netCDF dimension without a variable
        const dims = dimensionNames[i]!;
        const collapseChars = info.type.class === "string" && info.type.size === 1 && dims.length > 0 && stackable(dims[dims.length - 1]);
        return this.buildArray(info, dims, collapseChars);
      }),
    );
    for (let i = 0; i < infos.length; i++) {
      const info = infos[i]!;
      if (dimensionOnly[i]) continue;
      const result = built[i]!;
      const dims = dimensionNames[i]!;
      try {
        dims.forEach((dim, d) => {
          const length = dim === null ? undefined : scaleLengths.get(dim);
          if (length !== undefined && length !== info.space.shape[d]) {
            throw new UnsupportedFeatureError(
              "dimension-scale-length",
              `HDF5 ${this.url}: variable ${info.entry.path}: axis ${d} has length ${info.space.shape[d]} but the dimension scale "${dim}" attached to it has length ${length}; it cannot be virtualized`,
              { url: this.url, variable: info.entry.path },
            );
          }
        });
        const name = netcdfName(info.entry.name);
        if (arrays.has(name)) {
          throw formatError(this.file, `group "${group.path || "/"}": datasets "${info.entry.name}" and "${name}" both name the netCDF variable "${name}"`);
        }
        if (result.status === "rejected") throw result.reason;
        arrays.set(name, result.value!);
      } catch (error) {
        if (isVzError(error, "UNSUPPORTED") && this.options.onUnsupported === "skip") {
          this.diagnostics.push(error);
          continue;
        }
        throw error;
      }
    }
    return new ManifestGroup({ arrays, groups, attributes: group.attributes });
  }

  #isDropped(entry: DatasetEntry): boolean {
    const drop = this.options.dropVariables;
    if (!drop || drop.length === 0) return false;
    return drop.some((d) => {
      const name = d.replace(/^\/+/, "");
      const path = entry.group.path ? `${entry.group.path}/${netcdfName(entry.name)}` : netcdfName(entry.name);
      return name === entry.path || name === path || (entry.group.path === "" && (name === entry.name || name === netcdfName(entry.name)));
    });
  }

  #attributeText(attribute: RawAttribute): string | undefined {
    if (attribute.type.class !== "string" || attribute.space.kind === "null") return undefined;
    return decodeFixedString(attribute.data.subarray(0, attribute.type.size), attribute.type.padding);
  }

  /** Decodes the header messages of a dataset (once per dataset entry). */
  datasetInfo(entry: DatasetEntry): Promise<DatasetInfo> {
    let info = this.#infos.get(entry);
    if (!info) {
      info = this.#readDatasetInfo(entry);
      this.#infos.set(entry, info);
    }
    return info;
  }

  async #readDatasetInfo(entry: DatasetEntry): Promise<DatasetInfo> {
    const { header } = entry;
    let space: Dataspace | undefined;
    let type: Datatype | undefined;
    let layoutMessage: HeaderMessage | undefined;
    let filters: Filter[] = [];
    let fill: FillValue | undefined;
    let oldFill: FillValue | undefined;
    let hasExternalStorage = false;
    for (const message of header.messages) {
      switch (message.type) {
        case MessageType.DATASPACE:
          space = decodeDataspace(messageCursor(this.file, await this.#unshare(message, entry.path)));
          break;
        case MessageType.DATATYPE:
          type = await this.datatype(message, entry.path);
          break;
        case MessageType.LAYOUT:
          layoutMessage = message;
          break;
        case MessageType.FILTER_PIPELINE:
          filters = decodeFilterPipeline(messageCursor(this.file, await this.#unshare(message, entry.path)));
          break;
        case MessageType.FILL_VALUE:
          fill = decodeFillValue(messageCursor(this.file, await this.#unshare(message, entry.path)));
          break;
        case MessageType.FILL_VALUE_OLD:
          oldFill = decodeOldFillValue(messageCursor(this.file, await this.#unshare(message, entry.path)));
          break;
        case MessageType.EXTERNAL_FILES:
          hasExternalStorage = true;
          break;
      }
    }
    if (!space || !type || !layoutMessage) {
      throw formatError(this.file, `dataset "${entry.path}": object header at ${header.address} lacks its dataspace, datatype or layout message`);
    }
    const layout = decodeLayout(messageCursor(this.file, layoutMessage), space.shape.length);
    const attributes = await this.rawAttributes(header, entry.path);
    return { entry, space, type, layout, filters, fill: fill?.defined ? fill : oldFill ?? fill, attributes, hasExternalStorage };
  }

  /**
   * The message itself, or for a shared message the message it refers to in another object
   * header. Messages in the shared-message heap (SOHM) are not supported.
   */
  async #unshare(message: HeaderMessage, where: string): Promise<{ data: Uint8Array; origin: number }> {
    if (!(message.flags & MESSAGE_SHARED)) return message;
    const reference = decodeSharedReference(messageCursor(this.file, message));
    if (reference.kind === "heap") {
      throw new UnsupportedFeatureError(
        "shared-message-heap",
        `HDF5 ${this.url}: "${where}": a header message of type ${message.type} is stored in the shared object header message heap, which is not supported`,
        { url: this.url, variable: where },
      );
    }
    const header = await this.header(reference.address);
    const target = header.messages.find((m) => m.type === message.type && !(m.flags & MESSAGE_SHARED));
    if (!target) throw formatError(this.file, `"${where}": shared message of type ${message.type} refers to object ${reference.address}, which has no such message`);
    return target;
  }

  /** Decodes a datatype message, following a shared (committed) datatype. */
  async datatype(message: HeaderMessage, where: string): Promise<Datatype> {
    if (!(message.flags & MESSAGE_SHARED)) return decodeDatatype(messageCursor(this.file, message));
    const reference = decodeSharedReference(messageCursor(this.file, message));
    if (reference.kind === "heap") {
      throw new UnsupportedFeatureError("shared-message-heap", `HDF5 ${this.url}: "${where}": datatype stored in the shared object header message heap is not supported`, {
        url: this.url,
        variable: where,
      });
    }
    return this.committedDatatype(reference.address, where);
  }

  committedDatatype(address: number, where: string): Promise<Datatype> {
    let type = this.#sharedTypes.get(address);
    if (!type) {
      type = (async () => {
        const header = await this.header(address);
        const message = header.messages.find((m) => m.type === MessageType.DATATYPE);
        if (!message) throw formatError(this.file, `"${where}": committed datatype at ${address} has no datatype message`);
        if (message.flags & MESSAGE_SHARED) throw formatError(this.file, `"${where}": committed datatype at ${address} is itself shared; corrupt file`);
        return decodeDatatype(messageCursor(this.file, message));
      })();
      this.#sharedTypes.set(address, type);
    }
    return type;
  }

  /** The raw attributes of an object: attribute messages and dense attribute storage. */
  async rawAttributes(header: ObjectHeader, where: string): Promise<RawAttribute[]> {
    const attributes: RawAttribute[] = [];
    for (const message of header.messages) {
      if (message.type === MessageType.ATTRIBUTE) {
        if (message.flags & MESSAGE_SHARED) {
          this.#attributeNote(where, "(shared)", "attributes stored as shared messages are not supported");
          continue;
        }
        attributes.push(await this.#resolveAttributeType(decodeAttribute(messageCursor(this.file, message)), where));
      } else if (message.type === MessageType.ATTRIBUTE_INFO) {
        const info = decodeAttributeInfo(messageCursor(this.file, message));
        if (info.heapAddress === UNDEFINED_ADDRESS || info.nameIndexAddress === UNDEFINED_ADDRESS) continue;
        const heap = await FractalHeap.open(this.file, info.heapAddress);
        for await (const record of iterateBTree2(this.file, info.nameIndexAddress)) {
          if (record.type !== 8) {
            throw formatError(this.file, `"${where}": attribute name index holds v2 B-tree records of type ${record.type}, expected 8`);
          }
          const flags = record.record[8] ?? 0;
          if (flags & 0x01) {
            this.#attributeNote(where, "(shared)", "attributes stored as shared messages are not supported");
            continue;
          }
          const bytes = await heap.read(record.record.subarray(0, 8));
          attributes.push(await this.#resolveAttributeType(decodeAttribute(new Cursor(bytes, this.file)), where));
        }
      }
    }
    return attributes;
  }

  async #resolveAttributeType(attribute: RawAttribute, where: string): Promise<RawAttribute> {
    if (attribute.sharedTypeAddress === undefined) return attribute;
    return { ...attribute, type: await this.committedDatatype(attribute.sharedTypeAddress, `${where}, attribute ${attribute.name}`) };
  }

  #attributeNote(where: string, name: string, reason: string): void {
    this.diagnostics.push(
      new UnsupportedFeatureError("attribute", `HDF5 ${this.url}: "${where}", attribute ${name}: ${reason}; attribute left out`, {
        url: this.url,
        variable: where,
      }),
    );
  }

  /** Decoded attribute value (JSON-able): scalars for scalar or one-element dataspaces, flat lists otherwise. */
  async attributeValue(attribute: RawAttribute, where: string): Promise<unknown> {
    if (attribute.space.kind === "null") {
      // an empty attribute: netCDF's empty text attribute reads as "", other types as []
      return attribute.type.class === "string" || attribute.type.class === "vlen-string" ? "" : [];
    }
    const count = product(attribute.space.shape);
    const values = await decodeElements(this.file, this.heap, attribute.type, attribute.data, count, {
      url: this.url,
      what: `"${where}", attribute ${attribute.name}`,
      variable: where,
    });
    if (attribute.space.kind === "scalar" || count === 1) return values[0] ?? null;
    return values;
  }

  /** Public attributes of an object (hidden netCDF / HDF5 bookkeeping removed). */
  async publicAttributes(header: ObjectHeader, where: string, raw: RawAttribute[] | undefined): Promise<Record<string, unknown>> {
    const attributes = raw ?? (await this.rawAttributes(header, where));
    const out: Record<string, unknown> = {};
    for (const attribute of attributes) {
      if (HIDDEN_ATTRIBUTES.has(attribute.name) || attribute.name.startsWith("_Netcdf4")) continue;
      try {
        out[attribute.name] = await this.attributeValue(attribute, where);
      } catch (error) {
        if (!isVzError(error, "UNSUPPORTED")) throw error;
        this.#attributeNote(where, attribute.name, `values of type ${describeDatatype(attribute.type)} cannot be represented`);
      }
    }
    return out;
  }

  /**
   * Dimension names of the datasets of one group: netCDF-4 DIMENSION_LIST references (names of the
   * referenced dimension-scale datasets), a 1-D dimension scale's own name, else phony names.
   */
  async dimensionNames(infos: readonly DatasetInfo[], groupInfos: readonly DatasetInfo[] = infos): Promise<(string | null)[][]> {
    const result: ((string | null)[] | undefined)[] = [];
    for (const info of infos) {
      const rank = info.space.shape.length;
      let names: (string | null)[] | undefined;
      const list = info.attributes.find((a) => a.name === "DIMENSION_LIST");
      if (list && rank > 0) {
        try {
          const value = await decodeElements(this.file, this.heap, list.type, list.data, product(list.space.shape), {
            url: this.url,
            what: `"${info.entry.path}", attribute DIMENSION_LIST`,
            variable: info.entry.path,
          });
          if (value.length === rank) {
            names = await Promise.all(value.map((refs) => this.#referenceName(Array.isArray(refs) ? refs[0] : undefined)));
          }
        } catch (error) {
          if (!isVzError(error, "UNSUPPORTED")) throw error;
        }
      }
      if (!names && rank === 1) {
        const cls = info.attributes.find((a) => a.name === "CLASS");
        if (cls && this.#attributeText(cls) === "DIMENSION_SCALE") names = [info.entry.name];
      }
      result.push(names);
    }
    // Phony names for the rest, as netCDF-C makes them (create_phony_dims in libhdf5/hdf5open.c):
    // datasets in link creation order when the group tracks it (else name order); each dimension
    // reuses the first dimension of this group — named ones first — with the same length and
    // unlimitedness not yet used by this dataset, else a new phony_dim_<n> is made, n being
    // netCDF-C's next dimension id: the number of named dimensions of the file plus the phony
    // ones made before (sub-groups before their parent).
    const byCreation = infos.every((info) => info.entry.creationOrder !== undefined);
    const readOrder = (a: number, b: number) => {
      const x = infos[a]!.entry;
      const y = infos[b]!.entry;
      if (byCreation) return x.creationOrder! - y.creationOrder!;
      return x.name < y.name ? -1 : x.name > y.name ? 1 : 0;
    };
    // The group's dimensions as netCDF-C lists them: its named dimensions (dimension scales, in
    // the order it reads them), then phony ones as they are made. A dimension is reused when its
    // length and unlimitedness match and this dataset does not use it yet.
    const unlimited = (max: number | undefined) => max === -1 || max === UNDEFINED_ADDRESS;
    const dims: { name: string; size: number; unlimited: boolean }[] = [];
    const scaleOrder = (x: DatasetInfo, y: DatasetInfo) =>
      byCreation && x.entry.creationOrder !== undefined && y.entry.creationOrder !== undefined
        ? x.entry.creationOrder - y.entry.creationOrder
        : x.entry.name < y.entry.name ? -1 : x.entry.name > y.entry.name ? 1 : 0;
    for (const info of [...groupInfos].sort(scaleOrder)) {
      if (info.space.shape.length >= 1 && this.#isDimensionScale(info)) {
        dims.push({ name: info.entry.name, size: info.space.shape[0]!, unlimited: unlimited(info.space.maxShape[0]) });
      }
    }
    const order = infos.map((_, i) => i).sort(readOrder);
    for (const i of order) {
      const known = result[i];
      if (known && known.every((n) => n !== null)) continue;
      const shape = infos[i]!.space.shape;
      const maxShape = infos[i]!.space.maxShape;
      const used = new Set<string>();
      const names: string[] = [];
      for (let d = 0; d < shape.length; d++) {
        const size = shape[d]!;
        const name = known?.[d];
        if (name) {
          names.push(name);
          continue;
        }
        const isUnlimited = unlimited(maxShape[d]);
        let dim = dims.find((p) => p.size === size && p.unlimited === isUnlimited && !used.has(p.name));
        if (!dim) {
          dim = { name: `phony_dim_${this.#phonyCount++}`, size, unlimited: isUnlimited };
          dims.push(dim);
        }
        used.add(dim.name);
        names.push(dim.name);
      }
      result[i] = names;
    }
    return result.map((r) => r ?? []);
  }

  async #referenceName(address: DecodedValue | undefined): Promise<string | null> {
    if (typeof address !== "number" || address === UNDEFINED_ADDRESS) return null;
    const known = this.linkNames.get(address);
    if (known !== undefined) return known;
    try {
      const header = await this.header(address);
      const attributes = await this.rawAttributes(header, `object at ${address}`);
      const name = attributes.find((a) => a.name === "NAME");
      const text = name ? this.#attributeText(name) : undefined;
      if (text && !text.startsWith(NETCDF_DIMENSION_ONLY)) return text;
    } catch (error) {
      if (!isVzError(error)) throw error;
    }
    return null;
  }

  /** Turns one dataset into a ManifestArray. */
  async buildArray(info: DatasetInfo, dimensionNames: (string | null)[], collapseChars = false): Promise<ManifestArray> {
    const { entry, space, type, layout } = info;
    const variable = entry.path;
    const unsupported = (feature: string, reason: string) =>
      new UnsupportedFeatureError(feature, `HDF5 ${this.url}: variable ${variable}: ${reason}; it cannot be virtualized`, { url: this.url, variable });
    if (space.kind === "null") throw unsupported("null-dataspace", "the dataset has a null dataspace (no data)");
    if (layout.class === "virtual") throw unsupported("virtual-dataset", "virtual dataset layout (data mapped from other datasets)");
    if (info.hasExternalStorage) throw unsupported("external-storage", "raw data stored in external files");
    const attributes = await this.publicAttributes(entry.header, variable, info.attributes);
    const shape = space.shape;
    // a character array (netCDF char, numpy |S1) is referenced in place like a 1-byte number
    const charArray = type.class === "string" && type.size === 1 && this.options.charArrays !== "string";
    if ((type.class === "string" && !charArray) || type.class === "vlen-string") {
      return this.#stringArray(info, attributes, dimensionNames, collapseChars);
    }
    const mapped: { dataType: DataType; endian: "little" | "big" } | undefined = charArray ? { dataType: "fixed_length_bytes:1", endian: "little" } : zarrDataType(type);
    if (!mapped) {
      throw unsupported(`datatype:${type.class}`, `datatype ${describeDatatype(type)} has no Zarr equivalent`);
    }
    if (type.class === "enum" && !isBoolEnum(type)) {
      const mapping: Record<string, number> = {};
      const view = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (const member of type.members) mapping[member.name] = decodeNumber(type.base, view(member.value), 0);
      attributes.hdf5_enum = mapping;
    }
    const elementSize = type.size;
    const codecs: CodecMetadata[] = [
      { name: "bytes", configuration: { endian: mapped.endian } },
      ...filtersToCodecs(info.filters, elementSize, this.url, variable),
    ];
    const fillValue = this.#fillValue(info, mapped.dataType);
    let chunkShape: number[];
    let builder: ChunkManifestBuilder;
    const urlOf = (b: ChunkManifestBuilder) => b.urlId(this.url);
    if (layout.class === "chunked") {
      chunkShape = layout.chunkShape;
      if (chunkShape.length !== shape.length || chunkShape.some((c) => !Number.isSafeInteger(c) || c < 1)) {
        throw formatError(this.file, `variable ${variable}: chunk shape [${chunkShape.join(", ")}] does not fit shape [${shape.join(", ")}]`);
      }
      const grid = chunkGridShape(shape, chunkShape);
      const gridSize = product(grid);
      if (gridSize > MAX_CHUNK_GRID) {
        throw unsupported("chunk-grid-size", `shape [${shape.join(", ")}] with chunks [${chunkShape.join(", ")}] makes ${gridSize} chunks, more than vz's limit of ${MAX_CHUNK_GRID}`);
      }
      builder = new ChunkManifestBuilder(grid);
      if (layout.address !== UNDEFINED_ADDRESS && gridSize > 0) {
        const urlId = urlOf(builder);
        const indexInfo: ChunkIndexInfo = {
          layoutVersion: layout.version,
          indexType: layout.indexType,
          address: layout.address,
          shape,
          maxShape: space.maxShape,
          chunkShape,
          elementSize,
          filtered: info.filters.length > 0,
        };
        if (layout.flags !== undefined) indexInfo.layoutFlags = layout.flags;
        if (layout.singleChunk) indexInfo.singleChunk = layout.singleChunk;
        if (layout.indexParams) indexInfo.indexParams = layout.indexParams;
        let maskError: UnsupportedFeatureError | undefined;
        let rangeError: ParseError | undefined;
        await readChunkIndex(this.file, indexInfo, (flatIndex, address, size, filterMask) => {
          if (flatIndex < 0 || flatIndex >= gridSize) return; // outside the current extent
          if (filterMask !== 0 && info.filters.length > 0 && (filterMask & ((1 << info.filters.length) - 1)) !== 0) {
            maskError ??= unsupported("filter-mask", `chunk ${flatIndex} skipped some filters (filter mask ${filterMask}), so the array's codecs cannot decode it`);
            return;
          }
          const absolute = this.file.absolute(address);
          if (absolute + size > this.file.size) {
            rangeError ??= formatError(this.file, `variable ${variable}: chunk ${flatIndex} (${size} bytes at ${absolute}) passes the end of the file; truncated file`);
            return;
          }
          builder.setById(flatIndex, urlId, absolute, size);
        });
        if (rangeError) throw rangeError;
        if (maskError) throw maskError;
      }
    } else if (layout.class === "contiguous") {
      chunkShape = shape.map((s) => Math.max(1, s));
      builder = new ChunkManifestBuilder(chunkGridShape(shape, chunkShape));
      const nbytes = product(shape) * elementSize;
      if (layout.address !== UNDEFINED_ADDRESS && nbytes > 0) {
        if (layout.size !== undefined && layout.size !== UNDEFINED_ADDRESS && layout.size < nbytes) {
          throw formatError(this.file, `variable ${variable}: contiguous storage of ${layout.size} bytes is smaller than the data (${nbytes} bytes)`);
        }
        const absolute = this.file.absolute(layout.address);
        if (absolute + nbytes > this.file.size) {
          throw formatError(this.file, `variable ${variable}: contiguous data (${nbytes} bytes at ${absolute}) passes the end of the file (${this.file.size} bytes); truncated file`);
        }
        builder.setById(0, urlOf(builder), absolute, nbytes);
      }
    } else {
      chunkShape = shape.map((s) => Math.max(1, s));
      builder = new ChunkManifestBuilder(chunkGridShape(shape, chunkShape));
      const nbytes = product(shape) * elementSize;
      if (nbytes > 0) {
        if (layout.data.length < nbytes) {
          throw formatError(this.file, `variable ${variable}: compact data holds ${layout.data.length} bytes, the dataset needs ${nbytes}`);
        }
        builder.setInlined(shape.map(() => 0), layout.data.slice(0, nbytes));
      }
    }
    const metadata: ArrayMetadata = {
      zarr_format: 3,
      node_type: "array",
      shape: [...shape],
      data_type: mapped.dataType,
      chunk_grid: { name: "regular", configuration: { chunk_shape: chunkShape } },
      chunk_key_encoding: { name: "default", configuration: { separator: "/" } },
      fill_value: fillValue,
      codecs,
      attributes,
      dimension_names: dimensionNames,
    };
    return new ManifestArray(metadata, builder.build(), variable);
  }

  #fillValue(info: DatasetInfo, dataType: DataType): unknown {
    const bytes = info.fill?.value;
    if (dataType === "fixed_length_bytes:1") {
      // the fill character: a string for ASCII (NUL = ""), the byte itself otherwise
      const byte = bytes?.[0] ?? 0;
      return byte === 0 ? "" : byte < 0x80 ? String.fromCharCode(byte) : [byte];
    }
    if (!bytes || bytes.length < info.type.size) return dataType === "bool" ? false : 0;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const base = info.type.class === "enum" ? info.type.base : info.type;
    const value = decodeNumber(base, view, 0);
    return dataType === "bool" ? value !== 0 : value;
  }

  /** Reads a string dataset's values now and makes a "string" array with one inlined chunk. */
  async #stringArray(info: DatasetInfo, attributes: Record<string, unknown>, dimensionNames: (string | null)[], collapseChars: boolean): Promise<ManifestArray> {
    const { entry, space, type } = info;
    const variable = entry.path;
    const shape = space.shape;
    const count = product(shape);
    const raw = await this.#readRaw(info, count * type.size);
    const values = await decodeElements(this.file, this.heap, type, raw, count, {
      url: this.url,
      what: `variable ${variable}`,
      variable,
    });
    let strings = values.map((v) => (typeof v === "string" ? v : String(v)));
    let outShape = [...shape];
    let outDims = dimensionNames;
    if (collapseChars && shape.length >= 1) {
      // A character array whose last dimension is the string length: join it into strings, as
      // xarray's CharacterArrayCoder does, trailing NULs removed.
      const length = shape[shape.length - 1]!;
      outShape = shape.slice(0, -1);
      outDims = dimensionNames.slice(0, -1);
      const rows = product(outShape);
      const joined: string[] = [];
      for (let r = 0; r < rows; r++) joined.push(strings.slice(r * length, (r + 1) * length).join("").replace(/\0+$/, ""));
      strings = joined;
    }
    return inlinedStringArray({ name: variable, shape: outShape, strings, attributes, dimensionNames: outDims });
  }

  /** The stored bytes of a whole dataset in C order (missing storage reads as the fill value or zeros). */
  async #readRaw(info: DatasetInfo, nbytes: number): Promise<Uint8Array> {
    const { layout, type, entry } = info;
    const variable = entry.path;
    if (nbytes > MAX_STRING_DATASET_BYTES) {
      throw new UnsupportedFeatureError("large-string-dataset", `HDF5 ${this.url}: variable ${variable}: string dataset of ${nbytes} bytes is too large to read at parse time`, {
        url: this.url,
        variable,
      });
    }
    const out = new Uint8Array(nbytes);
    const fill = info.fill?.value;
    if (fill && fill.length === type.size && type.class === "string") {
      for (let i = 0; i < nbytes; i += type.size) out.set(fill, i);
    }
    if (nbytes === 0) return out;
    if (layout.class === "compact") {
      if (layout.data.length < nbytes) throw formatError(this.file, `variable ${variable}: compact data holds ${layout.data.length} bytes, needs ${nbytes}`);
      out.set(layout.data.subarray(0, nbytes));
      return out;
    }
    if (layout.class === "contiguous") {
      if (layout.address === UNDEFINED_ADDRESS) return out;
      out.set(await this.file.read(this.file.absolute(layout.address), nbytes));
      return out;
    }
    if (layout.class !== "chunked") return out;
    const shape = info.space.shape;
    const chunkShape = layout.chunkShape;
    const grid = chunkGridShape(shape, chunkShape);
    if (layout.address === UNDEFINED_ADDRESS) return out;
    const chunks: { index: number; address: number; size: number; mask: number }[] = [];
    const indexInfo: ChunkIndexInfo = {
      layoutVersion: layout.version,
      indexType: layout.indexType,
      address: layout.address,
      shape,
      maxShape: info.space.maxShape,
      chunkShape,
      elementSize: type.size,
      filtered: info.filters.length > 0,
    };
    if (layout.flags !== undefined) indexInfo.layoutFlags = layout.flags;
    if (layout.singleChunk) indexInfo.singleChunk = layout.singleChunk;
    if (layout.indexParams) indexInfo.indexParams = layout.indexParams;
    await readChunkIndex(this.file, indexInfo, (index, address, size, mask) => {
      if (index >= 0 && index < product(grid)) chunks.push({ index, address, size, mask });
    });
    const chunkBytes = product(chunkShape) * type.size;
    if (info.filters.length > 0) await loadFilterDecoders();
    // Raw chunks are read in batches through the reader's getRanges (which may coalesce
    // neighbouring ranges), not one request or cache lookup at a time, and bypass the metadata
    // block cache; then inflated synchronously.
    for (let start = 0; start < chunks.length; start += CHUNK_READ_BATCH) {
      const batch = chunks.slice(start, start + CHUNK_READ_BATCH);
      for (const chunk of batch) {
        const absolute = this.file.absolute(chunk.address);
        if (absolute + chunk.size > this.file.size) {
          throw formatError(this.file, `variable ${variable}: chunk ${chunk.index} (${chunk.size} bytes at ${absolute}) passes the end of the file; truncated file`);
        }
      }
      const stored = await this.file.reader.getRanges(
        this.url,
        batch.map((chunk) => ({ offset: this.file.absolute(chunk.address), length: chunk.size })),
        this.file.signal ? { signal: this.file.signal } : undefined,
      );
      batch.forEach((chunk, k) => {
        const decoded = decodeFilters(stored[k]!, info.filters, chunk.mask, type.size, this.url, variable, chunkBytes);
        if (decoded.length < chunkBytes) throw formatError(this.file, `variable ${variable}: chunk ${chunk.index} decodes to ${decoded.length} bytes, expected ${chunkBytes}`);
        copyChunk(out, shape, decoded, chunkShape, unravel(chunk.index, grid), type.size);
      });
    }
    return out;
  }
}

/**
 * The netCDF name of a dataset: netCDF-4 stores a variable named like a dimension it does not
 * have first (e.g. a 2-D coordinate `x(y, x)`) as `_nc4_non_coord_x`, which netCDF readers call `x`.
 */
export function netcdfName(name: string): string {
  return name.startsWith(NC4_NON_COORD) && name.length > NC4_NON_COORD.length ? name.slice(NC4_NON_COORD.length) : name;
}

const NC4_NON_COORD = "_nc4_non_coord_";

/** Kind of object an object header describes. */
export function nodeKind(header: ObjectHeader): "group" | "dataset" | "datatype" | "other" {
  let hasLayout = false;
  let hasDatatype = false;
  for (const m of header.messages) {
    if (m.type === MessageType.LAYOUT) hasLayout = true;
    if (m.type === MessageType.DATATYPE) hasDatatype = true;
    if (m.type === MessageType.SYMBOL_TABLE || m.type === MessageType.LINK_INFO || m.type === MessageType.LINK || m.type === MessageType.GROUP_INFO) {
      return "group";
    }
  }
  if (hasLayout) return "dataset";
  if (hasDatatype) return "datatype";
  return "other";
}

/** Zarr data type and byte order of a numeric / bool HDF5 datatype, or undefined. */
export function zarrDataType(type: Datatype): { dataType: DataType; endian: "little" | "big" } | undefined {
  if (type.class === "enum") {
    if (isBoolEnum(type)) return { dataType: "bool", endian: "little" };
    return zarrDataType(type.base);
  }
  if (type.class === "integer" && [1, 2, 4, 8].includes(type.size)) {
    return { dataType: `${type.signed ? "int" : "uint"}${type.size * 8}` as DataType, endian: type.bigEndian ? "big" : "little" };
  }
  if (type.class === "float" && type.ieee && [2, 4, 8].includes(type.size)) {
    return { dataType: `float${type.size * 8}` as DataType, endian: type.bigEndian ? "big" : "little" };
  }
  return undefined;
}

function unravel(index: number, grid: readonly number[]): number[] {
  const coords = new Array<number>(grid.length).fill(0);
  let rest = index;
  for (let d = grid.length - 1; d >= 0; d--) {
    coords[d] = rest % grid[d]!;
    rest = Math.floor(rest / grid[d]!);
  }
  return coords;
}

/** Copies one decoded chunk into the C-order array `out` (edge chunks clipped). */
function copyChunk(out: Uint8Array, shape: readonly number[], chunk: Uint8Array, chunkShape: readonly number[], coords: readonly number[], size: number): void {
  const rank = shape.length;
  if (rank === 0) {
    out.set(chunk.subarray(0, size));
    return;
  }
  const start = coords.map((c, d) => c * chunkShape[d]!);
  const extent = start.map((s, d) => Math.max(0, Math.min(chunkShape[d]!, shape[d]! - s)));
  if (extent.some((e) => e === 0)) return;
  const rowLength = extent[rank - 1]! * size;
  const position = new Array<number>(rank - 1).fill(0);
  for (;;) {
    let source = 0;
    let target = 0;
    for (let d = 0; d < rank; d++) {
      const p = d < rank - 1 ? position[d]! : 0;
      source = source * chunkShape[d]! + p;
      target = target * shape[d]! + start[d]! + p;
    }
    out.set(chunk.subarray(source * size, source * size + rowLength), target * size);
    let d = rank - 2;
    while (d >= 0) {
      position[d]!++;
      if (position[d]! < extent[d]!) break;
      position[d] = 0;
      d--;
    }
    if (d < 0) break;
  }
}
