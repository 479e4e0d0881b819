/**
 * describeParser: the vitest conformance suite every parser package runs. For the plugin it
 * checks the declaration (package.json `virtualizarr.parsers` names the plugin's runtime `name`),
 * the shape of the plugin and `create()`; for each case file it parses, checks that every
 * `zarr.json` is valid Zarr v3 metadata, that every chunk reference lies inside its file, that
 * the arrays read back through zarrita (where zarrita can decode them), that a truncated copy of
 * the file yields a typed VzError (never a crash or a hang), and that `sniff` accepts the file
 * and rejects random bytes.
 *
 * The checks are also exported one by one (`assertZarrMetadata`, `assertChunkRefsInside`, ...)
 * for parser tests that want them outside the suite.
 * @module
 */
import { describe, expect, it } from "vitest";
import * as zarr from "zarrita";
import { registerCodecs, VZ_CODEC_NAMES } from "../codecs/register-codecs.js";
import { isVzError, type VzErrorCode } from "../errors.js";
import { ManifestArray } from "../manifest/manifest-array.js";
import type { ArrayMetadata } from "../manifest/metadata.js";
import { MemoryReader } from "../readers/memory-reader.js";
import type { ObjectReader } from "../readers/object-reader.js";
import type { ParserPlugin } from "../registry/parser.js";
import { SNIFF_BYTES } from "../registry/parser-registry.js";
import { patternBytes } from "./describe-object-reader.js";
import type { ManifestStore } from "../store/manifest-store.js";

/** What a case expects of the parsed store (all optional). */
export interface ParserCaseExpectation {
  /** Exact set of array paths ("temp", "group/x"). */
  arrays?: readonly string[];
  /** Exact set of group paths besides the root ("group", "group/sub"). */
  groups?: readonly string[];
  /** Shape of some arrays. */
  shapes?: Readonly<Record<string, readonly number[]>>;
  /** Zarr v3 data type of some arrays. */
  dataTypes?: Readonly<Record<string, string>>;
  /** Chunk shape of some arrays. */
  chunkShapes?: Readonly<Record<string, readonly number[]>>;
  /** Dimension names of some arrays. */
  dimensionNames?: Readonly<Record<string, readonly (string | null)[]>>;
  /** Root-group attributes that must be present with these values. */
  attributes?: Readonly<Record<string, unknown>>;
  /** Values of some arrays (C order) as read through zarrita; NaN equals NaN. */
  values?: Readonly<Record<string, ArrayLike<unknown>>>;
  /** The parse must fail with a typed VzError (of this code, when a code is given). */
  error?: VzErrorCode | true;
}

/** One file the suite parses. Give `url` (+ `reader`) or `file` (a local path, Node only). */
export interface ParserCase {
  /** Title in the test names (default: the file name). */
  name?: string;
  /** Absolute URL of the file, read through `reader`. */
  url?: string;
  /** A local file path (read with `@vz/core/node`'s FileReader). */
  file?: string;
  /** The reader for `url` (default: FileReader for file:// URLs). */
  reader?: ObjectReader;
  /** Options passed to `plugin.create()` for this case (default: the suite's `parserOptions`). */
  parserOptions?: unknown;
  /** Truncated lengths to try for this case (default: the suite's `truncatedLengths`). */
  truncatedLengths?: ((size: number) => number[]) | false;
  expect?: ParserCaseExpectation;
}

/** Options of {@link describeParser}. */
export interface DescribeParserOptions<O = unknown> {
  /** Suite title. */
  name: string;
  plugin: ParserPlugin<O>;
  /**
   * The parser package's package.json: a path or file URL (Node only), or the parsed object.
   * Its `virtualizarr.parsers` must contain the plugin's name. Omit only for plugins that are not
   * packaged (the check is then skipped, with the reason in the test name).
   */
  packageJson?: string | URL | Record<string, unknown>;
  cases: readonly ParserCase[];
  /** Options for `plugin.create()`. */
  parserOptions?: O;
  /**
   * Truncated copies to try, as byte lengths for a file of `size` bytes. Default: 0, 16 and
   * size/2 (a cut in padding at the very end of a file is not necessarily corruption). `false` skips.
   */
  truncatedLengths?: ((size: number) => number[]) | false;
  /** Arrays bigger than this many bytes are read only in their first chunk. Default 64 MiB. */
  maxReadBytes?: number;
  /** A reason to skip the whole suite (e.g. "../shared/data absent"), shown in the test name. */
  skip?: string | false;
  /** Per-parse time limit in milliseconds (a hang fails the test). Default 30 000. */
  timeout?: number;
}

const decoder = new TextDecoder();

function withTimeout<T>(promise: Promise<T>, milliseconds: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${milliseconds} ms (hang?)`)), milliseconds);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function nodeModules(): Promise<{
  readFile: (path: string | URL, encoding: "utf8") => Promise<string>;
  toUrl: (path: string) => string;
  FileReader: new () => ObjectReader;
}> {
  const fs = await import("node:fs/promises");
  const url = await import("node:url");
  const path = await import("node:path");
  const { FileReader } = await import("../readers/node/file-reader.js");
  return {
    readFile: (p, encoding) => fs.readFile(p, encoding),
    toUrl: (p) => url.pathToFileURL(path.resolve(p)).href,
    FileReader,
  };
}

/** Resolves a case to a URL and a reader. */
export async function resolveParserCase(testCase: ParserCase): Promise<{ url: string; reader: ObjectReader; name: string }> {
  let url = testCase.url;
  let reader = testCase.reader;
  if (testCase.file !== undefined) {
    const node = await nodeModules();
    url = node.toUrl(testCase.file);
  }
  if (url === undefined) throw new Error("describeParser: a case needs `url` or `file`");
  if (!reader) {
    if (!url.startsWith("file://")) throw new Error(`describeParser: case ${url} needs a reader`);
    const node = await nodeModules();
    reader = new node.FileReader();
  }
  const name = testCase.name ?? decodeURIComponent(url.slice(url.lastIndexOf("/") + 1));
  return { url, reader, name };
}

/**
 * Checks the plugin's declaration: `package.json#virtualizarr.parsers` has an entry named like
 * the plugin, the entry is a relative module path, and the plugin has a description and `create`.
 */
export function assertPluginDeclaration(plugin: ParserPlugin<never> | ParserPlugin, packageJson: Record<string, unknown>): void {
  const field = (packageJson.virtualizarr as { parsers?: unknown } | undefined)?.parsers;
  if (typeof field !== "object" || field === null || Array.isArray(field)) {
    throw new Error(`package.json of ${String(packageJson.name)}: "virtualizarr.parsers" must be an object of name → module path`);
  }
  const entries = field as Record<string, unknown>;
  if (!(plugin.name in entries)) {
    throw new Error(
      `package.json of ${String(packageJson.name)} declares parsers [${Object.keys(entries).join(", ")}] but the plugin's runtime name is "${plugin.name}"`,
    );
  }
  const modulePath = entries[plugin.name];
  if (typeof modulePath !== "string" || !modulePath.startsWith("./")) {
    throw new Error(`package.json of ${String(packageJson.name)}: parser "${plugin.name}" must map to a relative module path like "./dist/index.js"`);
  }
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(plugin.name)) throw new Error(`parser name "${plugin.name}" must be lower-case letters, digits, . _ -`);
  if (typeof plugin.description !== "string" || plugin.description.trim() === "") throw new Error(`parser "${plugin.name}" has no description`);
  if (typeof plugin.create !== "function") throw new Error(`parser "${plugin.name}" has no create()`);
  for (const extension of plugin.extensions ?? []) {
    if (typeof extension !== "string" || extension.startsWith(".") || extension === "") {
      throw new Error(`parser "${plugin.name}": extension ${JSON.stringify(extension)} must be a non-empty name without a dot`);
    }
  }
  // codecs the plugin provides must be declared (discovery offers only those), and only those
  const declaredCodecs = ((packageJson.virtualizarr as { codecs?: Record<string, unknown> } | undefined)?.codecs ?? {})[plugin.name];
  const declared = Array.isArray(declaredCodecs) ? [...(declaredCodecs as unknown[])].map(String).sort() : [];
  const provided = Object.keys(plugin.codecs ?? {}).sort();
  if (JSON.stringify(declared) !== JSON.stringify(provided)) {
    throw new Error(
      `package.json of ${String(packageJson.name)} declares codecs [${declared.join(", ")}] for parser "${plugin.name}" ("virtualizarr.codecs"), but the plugin provides [${provided.join(", ")}]`,
    );
  }
  for (const [name, codec] of Object.entries(plugin.codecs ?? {})) {
    if (typeof codec?.fromConfig !== "function") throw new Error(`parser "${plugin.name}": codec "${name}" has no fromConfig (not a zarrita codec class)`);
  }
}

function isIntegerList(value: unknown, minimum: number): value is number[] {
  return Array.isArray(value) && value.every((v) => Number.isSafeInteger(v) && (v as number) >= minimum);
}

/** Checks one `zarr.json` document (group or array) against the Zarr v3 core metadata rules. */
export function assertZarrMetadataDocument(document: unknown, key: string): void {
  const fail = (reason: string): never => {
    throw new Error(`${key}: ${reason}`);
  };
  if (typeof document !== "object" || document === null) fail("not a JSON object");
  const doc = document as Record<string, unknown>;
  if (doc.zarr_format !== 3) fail(`zarr_format is ${JSON.stringify(doc.zarr_format)}, not 3`);
  if (doc.attributes !== undefined && (typeof doc.attributes !== "object" || doc.attributes === null || Array.isArray(doc.attributes))) {
    fail("attributes is not an object");
  }
  if (doc.node_type === "group") return;
  if (doc.node_type !== "array") fail(`node_type is ${JSON.stringify(doc.node_type)}`);
  const shape = doc.shape;
  if (!isIntegerList(shape, 0)) fail(`shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
  if (typeof doc.data_type !== "string" || doc.data_type === "") fail(`data_type ${JSON.stringify(doc.data_type)} is not a name`);
  const grid = doc.chunk_grid as { name?: unknown; configuration?: { chunk_shape?: unknown } } | undefined;
  if (grid?.name !== "regular") fail(`chunk_grid ${JSON.stringify(grid)} is not a regular grid`);
  const chunks = grid!.configuration?.chunk_shape;
  if (!isIntegerList(chunks, 1)) fail(`chunk_shape ${JSON.stringify(chunks)} is not a list of positive integers`);
  if ((chunks as number[]).length !== (shape as number[]).length) {
    fail(`chunk_shape has ${(chunks as number[]).length} dimensions, shape has ${(shape as number[]).length}`);
  }
  const encoding = doc.chunk_key_encoding as { name?: unknown } | undefined;
  if (encoding?.name !== "default" && encoding?.name !== "v2") fail(`chunk_key_encoding ${JSON.stringify(encoding)} is not default or v2`);
  if (!("fill_value" in doc)) fail("fill_value is missing");
  const codecs = doc.codecs;
  if (!Array.isArray(codecs) || codecs.length === 0) fail("codecs must be a non-empty list");
  for (const codec of codecs as unknown[]) {
    const name = (codec as { name?: unknown } | null)?.name;
    if (typeof name !== "string" || name === "") fail(`codec ${JSON.stringify(codec)} has no name`);
  }
  const names = doc.dimension_names;
  if (names !== undefined) {
    if (!Array.isArray(names) || names.length !== (shape as number[]).length) {
      fail(`dimension_names ${JSON.stringify(names)} do not match ${(shape as number[]).length} dimensions`);
    }
    if ((names as unknown[]).some((n) => n !== null && typeof n !== "string")) fail("dimension_names must be strings or null");
  }
}

/** Every `zarr.json` of the store, parsed and checked with {@link assertZarrMetadataDocument}. */
export async function assertZarrMetadata(store: ManifestStore): Promise<Map<string, Record<string, unknown>>> {
  const documents = new Map<string, Record<string, unknown>>();
  for (const key of store.listMetadataKeys()) {
    const bytes = await store.get(key);
    if (!bytes) throw new Error(`${key}: listed but the store has no bytes for it`);
    let document: unknown;
    try {
      document = JSON.parse(decoder.decode(bytes));
    } catch (cause) {
      throw new Error(`${key}: not valid JSON (${(cause as Error).message})`);
    }
    assertZarrMetadataDocument(document, key);
    documents.set(key, document as Record<string, unknown>);
  }
  if (!documents.has("zarr.json")) throw new Error("the store has no root zarr.json");
  return documents;
}

/**
 * Checks every chunk reference of every array: a safe non-negative offset and length, and
 * offset + length ≤ the size of the referenced file (from `reader.head`). Returns the number of
 * references checked.
 */
export async function assertChunkRefsInside(store: ManifestStore, reader: ObjectReader = store.reader): Promise<number> {
  const sizes = new Map<string, number>();
  let checked = 0;
  for (const [path, array] of store.group.walkArrays()) {
    const { manifest } = array;
    for (let index = 0; index < manifest.gridSize; index++) {
      if (manifest.kindAt(index) !== "ref") continue;
      const url = manifest.urls[manifest.urlIdAt(index)]!;
      const offset = manifest.offsetAt(index);
      const length = manifest.lengthAt(index);
      let size = sizes.get(url);
      if (size === undefined) {
        size = (await reader.head(url)).size;
        sizes.set(url, size);
      }
      if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0 || offset + length > size) {
        throw new Error(`${path}: chunk ${index} refers to bytes ${offset}..${offset + length} of ${url}, which has ${size} bytes`);
      }
      checked++;
    }
  }
  return checked;
}

/** Whether zarrita (with vz's codecs registered) can decode an array of this metadata. */
export function isDecodableByZarrita(metadata: ArrayMetadata): boolean {
  // fixed-length byte strings are served to zarrita as its `v2:S<n>`; fixed-length UTF-32 is not
  if (metadata.data_type.startsWith("fixed_length_utf32")) return false;
  const known = zarr.registry as unknown as Map<string, unknown>;
  // zarrita reads sharding_indexed itself (not through its registry): decodable when the inner
  // codecs and the index codecs are.
  const decodable = (codecs: unknown): boolean =>
    Array.isArray(codecs) &&
    codecs.every((codec: { name: string; configuration?: Record<string, unknown> }) =>
      codec.name === "sharding_indexed"
        ? decodable(codec.configuration?.codecs) && decodable(codec.configuration?.index_codecs)
        : known.has(codec.name) || VZ_CODEC_NAMES.includes(codec.name),
    );
  return decodable(metadata.codecs);
}

/** The values and shape of an array read through zarrita (the first chunk only when it is large). */
export async function readArrayThroughZarrita(
  store: ManifestStore,
  path: string,
  options: { maxReadBytes?: number } = {},
): Promise<{ values: ArrayLike<unknown>; shape: number[]; partial: boolean }> {
  await registerCodecs();
  const node = store.group.resolve(path);
  if (!(node instanceof ManifestArray)) throw new Error(`${path}: not an array of the store`);
  const opened = await zarr.open.v3(zarr.root(store as unknown as zarr.Readable).resolve(path), { kind: "array" });
  const shape = [...node.shape];
  const elements = shape.reduce((a, b) => a * b, 1);
  const itemBytes = node.dataType === "string" ? 16 : Math.max(1, Number(/\d+/.exec(node.dataType)?.[0] ?? 8) / 8);
  const partial = elements * itemBytes > (options.maxReadBytes ?? 64 * 1024 * 1024);
  const selection = partial ? node.chunks.map((c, d) => zarr.slice(0, Math.min(c, shape[d]!))) : null;
  const result = (await zarr.get(opened, selection)) as unknown;
  if (shape.length === 0 && (typeof result !== "object" || result === null || !("data" in result))) {
    return { values: [result], shape: [], partial: false };
  }
  const chunk = result as { data: unknown; shape: number[] };
  let values = chunk.data as ArrayLike<unknown>;
  if (!ArrayBuffer.isView(values) && !Array.isArray(values)) values = Array.from(values as unknown as Iterable<unknown>);
  return { values, shape: chunk.shape, partial };
}

function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a === "number" && typeof b === "number") return a === b || (Number.isNaN(a) && Number.isNaN(b));
  if (typeof a === "bigint" || typeof b === "bigint") return BigInt(a as number) === BigInt(b as number);
  return a === b;
}

function defaultTruncatedLengths(size: number): number[] {
  const lengths = new Set([0, Math.min(16, size - 1), Math.floor(size / 2)]);
  return [...lengths].filter((n) => n >= 0 && n < size).sort((a, b) => a - b);
}


async function loadPackageJson(source: string | URL | Record<string, unknown>): Promise<Record<string, unknown>> {
  if (typeof source === "object" && !(source instanceof URL)) return source;
  const node = await nodeModules();
  return JSON.parse(await node.readFile(source, "utf8")) as Record<string, unknown>;
}

/**
 * Registers the conformance suite of a parser plugin with vitest.
 * @example
 * ```ts
 * import { describeParser } from "@vz/core/testing";
 * import plugin from "../src/index.js";
 * describeParser({
 *   name: "netcdf3",
 *   plugin,
 *   packageJson: new URL("../package.json", import.meta.url),
 *   cases: [{ file: "/data/tiny.nc", expect: { arrays: ["tiny"], shapes: { tiny: [5] } } }],
 * });
 * ```
 */
export function describeParser<O>(options: DescribeParserOptions<O>): void {
  const { plugin } = options;
  const timeout = options.timeout ?? 30_000;
  const title = `describeParser: ${options.name}${options.skip ? ` (skipped: ${options.skip})` : ""}`;
  describe.skipIf(Boolean(options.skip))(title, () => {
    it("the plugin has a valid name, description, extensions and create()", () => {
      expect(typeof plugin.name).toBe("string");
      expect(plugin.name).toMatch(/^[a-z0-9][a-z0-9._-]*$/);
      expect(typeof plugin.description).toBe("string");
      expect(plugin.description.trim()).not.toBe("");
      for (const extension of plugin.extensions ?? []) expect(extension).toMatch(/^[^.]\S*$/);
      const parser = plugin.create(options.parserOptions);
      expect(typeof parser).toBe("function");
    });

    it.skipIf(options.packageJson === undefined)(
      `package.json "virtualizarr.parsers" declares the runtime name${options.packageJson === undefined ? " (skipped: no packageJson given)" : ""}`,
      async () => {
        const packageJson = await loadPackageJson(options.packageJson!);
        assertPluginDeclaration(plugin, packageJson);
      },
    );

    it.skipIf(!plugin.sniff)(`sniff rejects random bytes${plugin.sniff ? "" : " (skipped: the plugin has no sniff)"}`, () => {
      for (const seed of [1, 2, 3, 4, 5]) {
        expect(plugin.sniff!(patternBytes(SNIFF_BYTES, seed)), `random bytes (seed ${seed})`).toBe(false);
      }
      expect(plugin.sniff!(new Uint8Array(0)), "empty input").toBe(false);
    });

    for (const [index, testCase] of options.cases.entries()) {
      const label = testCase.name ?? testCase.file ?? testCase.url ?? `case ${index}`;
      const shortLabel = label.slice(label.lastIndexOf("/") + 1);
      const parserOptions = (testCase.parserOptions ?? options.parserOptions) as O | undefined;
      const expectation = testCase.expect ?? {};

      if (expectation.error !== undefined) {
        it(`${shortLabel}: fails with a typed VzError${expectation.error === true ? "" : ` (${expectation.error})`}`, async () => {
          const { url, reader } = await resolveParserCase(testCase);
          const outcome = await withTimeout(
            plugin.create(parserOptions)(url, reader).then(
              () => ({ ok: true as const }),
              (error: unknown) => ({ ok: false as const, error }),
            ),
            timeout,
            `parse ${url}`,
          );
          expect(outcome.ok, `${url} parsed although it should fail`).toBe(false);
          const error = (outcome as { error: unknown }).error;
          if (expectation.error === true) expect(isVzError(error), String(error)).toBe(true);
          else expect(isVzError(error, expectation.error as VzErrorCode), String(error)).toBe(true);
          expect((error as Error).message, "the message names the file").toContain(url);
        });
        continue;
      }

      it(`${shortLabel}: parses into valid Zarr v3 metadata with chunk refs inside the file`, async () => {
        const { url, reader } = await resolveParserCase(testCase);
        const store = await withTimeout(plugin.create(parserOptions)(url, reader), timeout, `parse ${url}`);
        expect(typeof store.get).toBe("function");
        expect(typeof store.listMetadataKeys).toBe("function");
        const documents = await assertZarrMetadata(store);
        await assertChunkRefsInside(store, reader);
        const arrays = [...store.group.walkArrays()].map(([path]) => path);
        const groups = [...store.group.walkGroups()].map(([path]) => path).filter((path) => path !== "");
        if (expectation.arrays) expect([...arrays].sort()).toEqual([...expectation.arrays].sort());
        if (expectation.groups) expect([...groups].sort()).toEqual([...expectation.groups].sort());
        const documentOf = (path: string) => {
          const document = documents.get(`${path}/zarr.json`);
          expect(document, `${path}: no such array`).toBeDefined();
          return document as unknown as ArrayMetadata;
        };
        for (const [path, shape] of Object.entries(expectation.shapes ?? {})) expect(documentOf(path).shape, `${path} shape`).toEqual(shape);
        // the store serves fixed-length byte strings to zarrita under its name v2:S<n>
        const dataTypeOf = (path: string) => String(documentOf(path).data_type).replace(/^v2:S(\d+)$/, "fixed_length_bytes:$1");
        for (const [path, dataType] of Object.entries(expectation.dataTypes ?? {})) expect(dataTypeOf(path), `${path} data type`).toBe(dataType);
        for (const [path, chunks] of Object.entries(expectation.chunkShapes ?? {})) {
          expect(documentOf(path).chunk_grid.configuration.chunk_shape, `${path} chunk shape`).toEqual(chunks);
        }
        for (const [path, names] of Object.entries(expectation.dimensionNames ?? {})) {
          expect(documentOf(path).dimension_names, `${path} dimension names`).toEqual(names);
        }
        const root = documents.get("zarr.json")!;
        for (const [name, value] of Object.entries(expectation.attributes ?? {})) {
          expect((root.attributes as Record<string, unknown>)[name], `root attribute ${name}`).toEqual(value);
        }
      });

      it(`${shortLabel}: arrays read back through zarrita`, async () => {
        const { url, reader } = await resolveParserCase(testCase);
        const store = await withTimeout(plugin.create(parserOptions)(url, reader), timeout, `parse ${url}`);
        let read = 0;
        for (const [path, array] of store.group.walkArrays()) {
          if (!isDecodableByZarrita(array.metadata)) {
            expect(expectation.values?.[path], `${path}: values expected but zarrita cannot decode ${array.dataType}`).toBeUndefined();
            continue;
          }
          const { values, shape, partial } = await readArrayThroughZarrita(store, path, options.maxReadBytes ? { maxReadBytes: options.maxReadBytes } : {});
          if (!partial) expect(shape, `${path} shape read back`).toEqual([...array.shape]);
          const size = shape.reduce((a, b) => a * b, 1);
          expect(values.length, `${path} number of values`).toBe(size);
          const expected = expectation.values?.[path];
          if (expected) {
            expect(partial, `${path}: too large to compare values (maxReadBytes)`).toBe(false);
            expect(values.length, `${path} number of values`).toBe(expected.length);
            for (let i = 0; i < expected.length; i++) {
              if (!sameValue(values[i], expected[i])) expect.fail(`${path}[${i}] is ${String(values[i])}, expected ${String(expected[i])}`);
            }
          }
          read++;
        }
        for (const path of Object.keys(expectation.values ?? {})) expect(store.group.resolve(path), `${path}: no such array`).toBeInstanceOf(ManifestArray);
        if (expectation.values && Object.keys(expectation.values).length > 0) expect(read).toBeGreaterThan(0);
      });

      const truncatedLengths = testCase.truncatedLengths ?? options.truncatedLengths;
      it.skipIf(truncatedLengths === false)(`${shortLabel}: truncated copies fail with a typed VzError`, async () => {
        const { url, reader } = await resolveParserCase(testCase);
        const bytes = await reader.get(url);
        const lengths = (truncatedLengths || defaultTruncatedLengths)(bytes.length);
        expect(lengths.length, "no truncated lengths to try").toBeGreaterThan(0);
        for (const length of lengths) {
          const truncatedUrl = `memory://describe-parser/truncated-${length}/${url.slice(url.lastIndexOf("/") + 1)}`;
          const truncatedReader = new MemoryReader({ [truncatedUrl]: bytes.slice(0, length) });
          const outcome = await withTimeout(
            Promise.resolve()
              .then(() => plugin.create(parserOptions)(truncatedUrl, truncatedReader))
              .then(
                () => ({ ok: true as const }),
                (error: unknown) => ({ ok: false as const, error }),
              ),
            timeout,
            `parse of ${url} truncated to ${length} bytes`,
          );
          expect(outcome.ok, `${url} truncated to ${length} of ${bytes.length} bytes parsed without error`).toBe(false);
          const error = (outcome as { error: unknown }).error;
          expect(isVzError(error), `${url} truncated to ${length} bytes: not a VzError: ${String(error)}`).toBe(true);
        }
      });

      it.skipIf(!plugin.sniff)(`${shortLabel}: sniff accepts the file's first bytes`, async () => {
        const { url, reader } = await resolveParserCase(testCase);
        const { size } = await reader.head(url);
        const head = await reader.getRange(url, 0, Math.min(SNIFF_BYTES, size));
        expect(plugin.sniff!(head)).toBe(true);
      });
    }
  });
}
