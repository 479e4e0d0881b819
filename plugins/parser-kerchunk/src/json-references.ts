/**
 * Kerchunk JSON references (version 0: a flat `{key: value}` object; version 1:
 * `{version: 1, templates, gen, refs}`) → a ManifestStore. Chunk keys may use `.` or `/`
 * separators; values are `[url, offset, length]`, `[url]` (a whole file), inline text or
 * `base64:` data. Nothing but the reference document is read.
 * @module
 */
import {
  ChunkManifestBuilder,
  InvalidArgumentError,
  InvalidManifestError,
  ManifestArray,
  ManifestStore,
  type ObjectReader,
  ParseError,
  type ReadOptions,
  UnsupportedFeatureError,
  type VzError,
} from "@vz/core";
import { parseJsonNonFinite } from "@vz/core/internal";
import {
  type ArrayEntry,
  buildGroupTree,
  collectArrays,
  decodeBase64,
  isMetadataKey,
  type KerchunkReadOptions,
  parseMetadataValue,
  UrlResolver,
} from "./metadata-tree.js";
import { scanKerchunkJson } from "./json-scanner.js";
import { expandGen, renderTemplate } from "./templates.js";

/** Options of the JSON reference reader. */
export interface JsonReferenceOptions extends KerchunkReadOptions {
  /**
   * What to do with `[url]` references (a whole file as one chunk), whose length is not in the
   * reference set: "refuse" (default) throws UnsupportedFeatureError; "head" asks `reader.head`
   * for each such file's size while parsing (through the same reader, so only registered URLs).
   */
  wholeFileReferences?: "refuse" | "head";
  /**
   * For a file holding a list of reference sets (kerchunk's `scan_grib` and the like write one
   * per message): which set to read, counted from 0. Without it such a file is refused with a
   * {@link ReferenceSetListError} that lists the sets.
   */
  item?: number;
  /**
   * How a version-1 document is read: "auto" (default) uses the byte scanner for documents of
   * {@link JSON_SCANNER_MIN_BYTES} and more, native `JSON.parse` below; "always" / "never" force one
   * way. Both give the same store; this only trades speed and memory.
   */
  jsonScanner?: "auto" | "always" | "never";
}

/**
 * Documents from this size (2 MiB, ~30,000 references) go through the byte scanner. Below it,
 * native `JSON.parse` wins: the scanner's byte loops run mostly before V8 has compiled them
 * (a 340 KB file of 4,500 references took ~50 ms of CPU scanned against ~20 ms parsed, in a
 * fresh process), while from a few MB the scanner is ahead and holds no object per reference.
 */
export const JSON_SCANNER_MIN_BYTES = 2 * 1024 * 1024;

/** What one reference set of a list holds (see {@link describeReferenceSets}). */
export interface ReferenceSetSummary {
  index: number;
  /** Array paths (keys with `.zarray`), in document order. */
  arrays: string[];
  /** Number of references (keys) in the set. */
  references: number;
  templates: Record<string, string>;
}

/** The reference sets of a list document, summarised (an empty list for anything else). */
export function describeReferenceSets(document: unknown): ReferenceSetSummary[] {
  if (!Array.isArray(document)) return [];
  return document.map((set, index) => {
    const object = (typeof set === "object" && set !== null ? set : {}) as Record<string, unknown>;
    const refs = ("version" in object ? object.refs : object) as Record<string, unknown> | undefined;
    const keys = typeof refs === "object" && refs !== null ? Object.keys(refs) : [];
    const templates = typeof object.templates === "object" && object.templates !== null ? (object.templates as Record<string, string>) : {};
    return {
      index,
      arrays: keys.filter((key) => key === ".zarray" || key.endsWith("/.zarray")).map((key) => key.slice(0, -".zarray".length).replace(/\/$/, "") || "/"),
      references: keys.length,
      templates: { ...templates },
    };
  });
}

/**
 * A kerchunk file holds a list of reference sets and no `item` option chose one (code
 * PARSE_FAILED). `referenceSets` says what each set holds.
 */
export class ReferenceSetListError extends ParseError {
  readonly referenceSets: ReferenceSetSummary[];
  constructor(url: string, referenceSets: ReferenceSetSummary[]) {
    super(
      `kerchunk ${url}: the file holds a list of ${referenceSets.length} reference sets, not one; choose one with the kerchunk option ` +
        `"item" (0 to ${referenceSets.length - 1}; on the command line: --item N)`,
      { url, parser: "kerchunk" },
    );
    this.referenceSets = referenceSets;
  }
}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();
const MAX_DIAGNOSTIC_KEYS = 20;

interface ArrayState {
  entry: ArrayEntry;
  builder: ChunkManifestBuilder;
  /** raw URL as written → url id in this builder */
  urlIds: Map<string, number>;
}

/**
 * Flat C-order chunk index of the chunk part of a key ("1.2", "1/2", "0" for 0-d), or -1 when it
 * does not fit the grid.
 */
export function chunkIndexOf(chunk: string, grid: readonly number[], start = 0): number {
  const ndim = grid.length;
  if (ndim === 0) return chunk.length === start || (chunk.length === start + 1 && chunk.charCodeAt(start) === 48) ? 0 : -1;
  let index = 0;
  let dimension = 0;
  let value = 0;
  let digits = 0;
  for (let i = start; i <= chunk.length; i++) {
    const code = i < chunk.length ? chunk.charCodeAt(i) : 46;
    if (code >= 48 && code <= 57) {
      value = value * 10 + (code - 48);
      digits++;
    } else if (code === 46 || code === 47) {
      if (digits === 0 || dimension >= ndim) return -1;
      const size = grid[dimension]!;
      if (value >= size) return -1;
      index = index * size + value;
      dimension++;
      value = 0;
      digits = 0;
    } else return -1;
  }
  return dimension === ndim ? index : -1;
}

function describeValue(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** The parts of a kerchunk JSON document. */
function splitDocument(document: unknown, url: string, item?: number): { refs: Record<string, unknown>; templates: Record<string, string>; gen: unknown } {
  if (item !== undefined && (!Number.isInteger(item) || item < 0)) {
    throw new InvalidArgumentError(`kerchunk ${url}: option item must be a whole number from 0, got ${JSON.stringify(item)}`, { url });
  }
  if (Array.isArray(document)) {
    if (document.length === 0) throw new ParseError(`kerchunk ${url}: the file holds an empty list of reference sets`, { url, parser: "kerchunk" });
    if (item === undefined) throw new ReferenceSetListError(url, describeReferenceSets(document));
    if (item >= document.length) {
      throw new InvalidArgumentError(`kerchunk ${url}: item ${item} is out of range: the file holds ${document.length} reference sets (0 to ${document.length - 1})`, { url });
    }
    return splitDocument(document[item], `${url} (item ${item})`);
  }
  if (item !== undefined) {
    throw new InvalidArgumentError(`kerchunk ${url}: option item ${item} was given but the file holds one reference set, not a list`, { url });
  }
  if (typeof document !== "object" || document === null) {
    throw new ParseError(`kerchunk ${url}: not a kerchunk reference document (a JSON object)`, { url, parser: "kerchunk" });
  }
  const object = document as Record<string, unknown>;
  if (!("version" in object)) return { refs: object, templates: {}, gen: undefined };
  if (object.version !== 1) {
    throw new UnsupportedFeatureError(`kerchunk-version-${String(object.version)}`, `kerchunk ${url}: reference version ${describeValue(object.version)} is not supported (0 and 1 are)`, {
      url,
    });
  }
  const refs = object.refs ?? {};
  if (typeof refs !== "object" || refs === null || Array.isArray(refs)) {
    throw new ParseError(`kerchunk ${url}: "refs" is not an object`, { url, parser: "kerchunk" });
  }
  const templates: Record<string, string> = {};
  const rawTemplates = object.templates ?? {};
  if (typeof rawTemplates !== "object" || rawTemplates === null) throw new ParseError(`kerchunk ${url}: "templates" is not an object`, { url, parser: "kerchunk" });
  for (const [name, value] of Object.entries(rawTemplates)) {
    if (typeof value !== "string") throw new ParseError(`kerchunk ${url}: template "${name}" is not a string`, { url, parser: "kerchunk" });
    templates[name] = value;
  }
  return { refs: refs as Record<string, unknown>, templates, gen: object.gen };
}

/** What the store builder needs from a reference document, however it was read. */
interface ReferenceInput {
  templates: Record<string, string>;
  gen: unknown;
  /** Metadata keys (`.zarray`, `.zattrs`, `.zgroup`, `.zmetadata`) with their raw values. */
  metadataEntries: [string, unknown][];
  /** Calls `value(key, value)` for every other key (raw value), or `range(...)` for a scanned `[url, offset, length]` / `[url]` (offset -1). */
  visitChunks(value: (key: string, value: unknown) => void, range: (key: string, rawUrl: string, offset: number, length: number) => void): void;
}

/**
 * Builds a ManifestStore from an already-parsed kerchunk JSON document. `url` names the
 * reference file in messages; chunks are read later through `reader`.
 * @example
 * const store = await parseKerchunkReferences(JSON.parse(text), "file:///refs/a.json", reader, { root: "file:///data/" });
 */
export async function parseKerchunkReferences(
  document: unknown,
  url: string,
  reader: ObjectReader,
  options: JsonReferenceOptions = {},
  readOptions?: ReadOptions,
): Promise<ManifestStore> {
  const { refs, templates, gen } = splitDocument(document, url, options.item);
  const metadataEntries: [string, unknown][] = [];
  const chunkKeys: string[] = [];
  for (const key of Object.keys(refs)) {
    if (isMetadataKey(key)) metadataEntries.push([key, refs[key]]);
    else chunkKeys.push(key);
  }
  return buildStore(
    {
      templates,
      gen,
      metadataEntries,
      visitChunks: (value) => {
        for (const key of chunkKeys) value(key, refs[key]);
      },
    },
    url,
    reader,
    options,
    readOptions,
  );
}

/**
 * Builds a ManifestStore from the bytes of a kerchunk JSON file: the byte scanner for large
 * documents of the common version-1 shape (see {@link JsonReferenceOptions.jsonScanner}),
 * `JSON.parse` + {@link parseKerchunkReferences} for everything else.
 */
export async function parseKerchunkJsonBytes(
  bytes: Uint8Array,
  url: string,
  reader: ObjectReader,
  options: JsonReferenceOptions = {},
  readOptions?: ReadOptions,
): Promise<ManifestStore> {
  // Fast path: two byte scans (metadata, then chunk references) instead of JSON.parse.
  const templates: Record<string, string> = {};
  const metadataEntries: [string, unknown][] = [];
  // (a list of reference sets, or an `item` to check, goes through JSON.parse)
  const scanner = options.jsonScanner ?? "auto";
  const useScanner = scanner === "always" || (scanner === "auto" && bytes.length >= JSON_SCANNER_MIN_BYTES);
  const scanned = useScanner && options.item === undefined && scanKerchunkJson(
    bytes,
    { template: (name, value) => (templates[name] = value), text: (key, value) => metadataEntries.push([key, value]), range: () => undefined },
    "metadata",
  );
  if (scanned) {
    return buildStore(
      {
        templates,
        gen: undefined,
        metadataEntries,
        visitChunks: (value, range) => {
          if (!scanKerchunkJson(bytes, { text: value, range }, "chunks")) {
            throw new ParseError(`kerchunk ${url}: the second scan of the references failed`, { url, parser: "kerchunk" });
          }
        },
      },
      url,
      reader,
      options,
      readOptions,
    );
  }
  let document: unknown;
  try {
    document = parseJsonNonFinite(textDecoder.decode(bytes));
  } catch (cause) {
    throw new ParseError(`kerchunk ${url}: not a JSON reference file: ${(cause as Error).message}`, { url, parser: "kerchunk", cause });
  }
  return parseKerchunkReferences(document, url, reader, options, readOptions);
}

async function buildStore(
  input: ReferenceInput,
  url: string,
  reader: ObjectReader,
  options: JsonReferenceOptions,
  readOptions?: ReadOptions,
): Promise<ManifestStore> {
  const { templates, gen } = input;
  const diagnostics: VzError[] = [];

  // 1. Metadata documents (explicit keys win over a consolidated .zmetadata).
  const metadata = new Map<string, unknown>();
  let consolidatedValue: unknown;
  for (const [key, value] of input.metadataEntries) {
    if (key === ".zmetadata") consolidatedValue = value;
    else if (!key.endsWith(".zmetadata")) metadata.set(key, parseMetadataValue(value, key, url));
  }
  const consolidatedKey = ".zmetadata";
  if (consolidatedValue !== undefined) {
    const consolidated = parseMetadataValue(consolidatedValue, consolidatedKey, url) as { metadata?: unknown };
    if (typeof consolidated.metadata !== "object" || consolidated.metadata === null) {
      throw new ParseError(`kerchunk ${url}: ".zmetadata" has no "metadata" object`, { url, parser: "kerchunk" });
    }
    for (const [key, value] of Object.entries(consolidated.metadata as Record<string, unknown>)) {
      if (!metadata.has(key)) metadata.set(key, parseMetadataValue(value, `.zmetadata/${key}`, url));
    }
  }
  const entries = collectArrays(metadata, url, diagnostics);
  const skipped = new Set<string>();
  for (const key of metadata.keys()) {
    if (key === ".zarray" || key.endsWith("/.zarray")) {
      const path = key === ".zarray" ? "" : key.slice(0, -"/.zarray".length);
      if (!entries.has(path)) skipped.add(path);
    }
  }

  // 2. Chunk references.
  const states = new Map<string, ArrayState>();
  for (const [path, entry] of entries) {
    states.set(path, { entry, builder: new ChunkManifestBuilder(entry.grid), urlIds: new Map() });
  }
  const resolver = new UrlResolver(url, options.root);
  const wholeFiles: { state: ArrayState; index: number; target: string; key: string }[] = [];
  const strayKeys: string[] = [];
  let strayCount = 0;
  const rootState = states.get("");

  // Keys of one array usually come together: try the array of the previous key first.
  let lastPrefix = "\u0000";
  let lastState: ArrayState | undefined;
  // locate() leaves its result here (no object per key)
  let foundState: ArrayState | undefined;
  let foundIndex = -1;
  /** 1: chunk of an array (foundState/foundIndex set), 0: key of no array, -1: key of a skipped array. */
  const locate = (key: string): 1 | 0 | -1 => {
    if (lastState && key.charCodeAt(lastPrefix.length) === 47 && key.startsWith(lastPrefix)) {
      const index = chunkIndexOf(key, lastState.entry.grid, lastPrefix.length + 1);
      if (index >= 0) {
        foundState = lastState;
        foundIndex = index;
        return 1;
      }
    }
    for (let slash = key.lastIndexOf("/"); slash >= 0; slash = slash === 0 ? -1 : key.lastIndexOf("/", slash - 1)) {
      const prefix = key.slice(0, slash);
      const state = states.get(prefix);
      if (state) {
        const index = chunkIndexOf(key, state.entry.grid, slash + 1);
        if (index >= 0) {
          lastPrefix = prefix;
          lastState = foundState = state;
          foundIndex = index;
          return 1;
        }
      } else if (skipped.has(prefix)) return -1;
    }
    if (rootState) {
      const index = chunkIndexOf(key, rootState.entry.grid);
      if (index >= 0) {
        foundState = rootState;
        foundIndex = index;
        return 1;
      }
    } else if (skipped.has("")) return -1;
    return 0;
  };

  const handle = (key: string, value: unknown): void => {
    if (typeof value === "string") {
      const found = locate(key);
      if (found === -1) return;
      if (found === 0) {
        strayCount++;
        if (strayKeys.length < MAX_DIAGNOSTIC_KEYS) strayKeys.push(key);
        return;
      }
      const bytes = value.startsWith("base64:") ? decodeBase64(value.slice(7), key, url) : textEncoder.encode(value);
      foundState!.builder.setInlined(foundIndex, bytes);
      return;
    }
    if (!Array.isArray(value) || (value.length !== 1 && value.length !== 3) || typeof value[0] !== "string") {
      const found = locate(key);
      if (found === -1) return;
      throw new ParseError(`kerchunk ${url}: reference "${key}" is ${describeValue(value)}, expected [url, offset, length], [url] or inline data`, {
        url,
        parser: "kerchunk",
        ...(found === 1 ? { variable: foundState!.entry.path || "/" } : {}),
      });
    }
    if (value.length === 1) handleRange(key, value[0] as string, -1, -1);
    else handleRange(key, value[0] as string, value[1] as number, value[2] as number);
  };

  const handleRange = (key: string, raw: string, offset: number, length: number): void => {
    const found = locate(key);
    if (found === -1) return;
    if (found === 0) {
      strayCount++;
      if (strayKeys.length < MAX_DIAGNOSTIC_KEYS) strayKeys.push(key);
      return;
    }
    const state = foundState!;
    const index = foundIndex;
    let urlId = state.urlIds.get(raw);
    if (urlId === undefined) {
      const target = resolver.resolve(renderTemplate(raw, templates, url), key);
      urlId = state.builder.urlId(target);
      state.urlIds.set(raw, urlId);
    }
    if (offset === -1 && length === -1) {
      wholeFiles.push({ state, index, target: resolver.resolve(renderTemplate(raw, templates, url), key), key });
      return;
    }
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
      throw new InvalidManifestError(`kerchunk ${url}: reference "${key}" has offset ${describeValue(offset)} / length ${describeValue(length)}, not non-negative integers`, {
        url,
        variable: state.entry.path || "/",
      });
    }
    state.builder.setById(index, urlId, offset, length);
  };

  input.visitChunks(handle, handleRange);
  expandGen(gen, templates, url, (key, value) => handle(key, value));

  if (wholeFiles.length > 0) {
    if ((options.wholeFileReferences ?? "refuse") === "refuse") {
      const first = wholeFiles[0]!;
      throw new UnsupportedFeatureError(
        "whole-file-reference",
        `kerchunk ${url}: reference "${first.key}" (and ${wholeFiles.length - 1} more) is a whole file [url] with no length; ` +
          `pass wholeFileReferences: "head" to look the sizes up through the reader`,
        { url, variable: first.state.entry.path || "/" },
      );
    }
    const sizes = new Map<string, Promise<number>>();
    for (const item of wholeFiles) {
      if (!sizes.has(item.target)) sizes.set(item.target, reader.head(item.target, readOptions).then((meta) => meta.size));
    }
    for (const item of wholeFiles) {
      item.state.builder.set(item.index, item.target, 0, await sizes.get(item.target)!);
    }
  }

  if (strayCount > 0) {
    diagnostics.push(
      new InvalidManifestError(
        `kerchunk ${url}: ${strayCount} reference key(s) belong to no array of the reference set or fall outside its chunk grid, e.g. ${strayKeys
          .slice(0, 5)
          .map((k) => `"${k}"`)
          .join(", ")}; they were ignored`,
        { url },
      ),
    );
  }

  const arrays = new Map<string, ManifestArray>();
  for (const [path, state] of states) {
    arrays.set(path, new ManifestArray(state.entry.metadata, state.builder.build(), path || "/"));
  }
  const group = buildGroupTree(metadata, arrays, url, options);
  return new ManifestStore(group, reader, { diagnostics });
}
