import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { decodeCfValues, InvalidArgumentError, isVzError, ManifestArray, ManifestStore, readArrayValues } from "@vz/core";
import { registerCodecs, registerPluginCodecs } from "@vz/core/codecs";
import type * as zarr from "zarrita";
import { type CliContext, inputUrl, openInput, printSkips } from "../context.js";
import { importIcechunk } from "../icechunk.js";
import { parseSelection, type Selection, toZarritaSelection } from "../selection.js";

/** Options of `vz read`. */
export interface ReadOptions {
  variable: string;
  /** Python-style selection: "-1,:,0:10:2". */
  slice?: string;
  json?: boolean;
  /** Apply CF _FillValue / missing_value / scale_factor / add_offset. */
  decode?: boolean;
  /** Leave out variables the parser cannot virtualize (reported on stderr) instead of failing. */
  skipUnsupported?: boolean;
}

/** `vz read <url> --var V [--slice ...]`: prints values read through ManifestStore + zarrita. */
export async function readCommand(
  context: CliContext,
  input: string,
  options: ReadOptions & { parser?: string; root?: string },
): Promise<number> {
  const localPath = resolve(context.cwd, input.replace(/^file:\/\//, ""));
  const isDirectory = !/^[a-z][a-z0-9+.-]*:\/\//i.test(input.replace(/^file:\/\//, "")) && existsSync(localPath) && statSync(localPath).isDirectory();
  // A directory is a Zarr store when it has root metadata (zarr.json, .zgroup), else an Icechunk
  // repository unless it is kerchunk Parquet references (.zmetadata) or a parser is named.
  const isZarrStore = isDirectory && (existsSync(resolve(localPath, "zarr.json")) || existsSync(resolve(localPath, ".zgroup")));
  if (isDirectory && !isZarrStore && !options.parser && !existsSync(resolve(localPath, ".zmetadata"))) {
    return readIcechunk(context, localPath, options);
  }
  const url = inputUrl(context, input);
  const parserName = options.parser ?? (isZarrStore ? "zarr" : isDirectory ? "kerchunk" : undefined);
  const { store } = await openInput(context, url, input, {
    ...(parserName ? { parser: parserName } : {}),
    ...(options.root ? { root: options.root } : {}),
    ...(options.skipUnsupported ? { extraOptions: { onUnsupported: "skip" } } : {}),
  });
  const path = options.variable.replace(/^\/+/, "");
  const node = store.group.resolve(path);
  // the variable asked for is one the parser left out: its own error says why
  const skipped = node instanceof ManifestArray ? undefined : store.diagnostics.find((d) => d.variable !== undefined && d.variable.replace(/^\/+/, "") === path);
  if (skipped) throw skipped;
  printSkips(context, store.diagnostics);
  if (!(node instanceof ManifestArray)) {
    const names = [...store.group.walkArrays()].map(([p]) => p).join(", ");
    throw new InvalidArgumentError(`vz read: no variable "${options.variable}" in ${url}; variables: ${names}`, { url });
  }
  // Checked against the shape before anything is read: a bad selection never reaches a reader.
  const selection = parseSelection(options.slice, { variable: path, shape: node.shape, dimensionNames: node.metadata.dimension_names });
  // The selection's chunks are requested now, so that they travel while zarrita loads and opens the array.
  const chunks = selection.shape.some((extent) => extent === 0) ? undefined : selectedChunks(selection, node.chunks, PREFETCH_LIMIT);
  if (chunks) store.prefetch(path, chunks);
  return printArray(context, store as unknown as zarr.Readable, path, options, { url, selection });
}

/** Most chunks `vz read` requests ahead of zarrita (a larger selection is read as zarrita asks). */
const PREFETCH_LIMIT = 16_384;

/**
 * Chunk grid coordinates of the chunks zarrita reads for `selection`, in row-major order, or
 * undefined when there are more than `limit`. zarrita 0.7's indexer visits every chunk from the one
 * holding a slice's start to the one before its stop, also chunks a long step skips (tests compare
 * with the keys zarrita asks for).
 */
export function selectedChunks(selection: Selection, chunkShape: readonly number[], limit: number): number[][] | undefined {
  const perDim: number[][] = [];
  let total = 1;
  for (const [axis, dim] of selection.dims.entries()) {
    const size = chunkShape[axis]!;
    if (!(size > 0)) return undefined;
    const first = Math.floor((dim.kind === "index" ? dim.index : dim.start) / size);
    const end = dim.kind === "index" ? first + 1 : Math.ceil(dim.stop / size);
    total *= end - first;
    if (!(total <= limit)) return undefined;
    perDim.push(Array.from({ length: end - first }, (_, i) => first + i));
  }
  let out: number[][] = [[]];
  for (const ids of perDim) out = out.flatMap((prefix) => ids.map((id) => [...prefix, id]));
  return out;
}

/**
 * Reads a variable of an Icechunk repository (a local directory) through Icechunk's own store.
 * Its virtual chunks are read only from the repository's folder tree and the allowed prefixes.
 */
async function readIcechunk(
  context: CliContext,
  location: string,
  options: ReadOptions,
): Promise<number> {
  const { openRepository, withZarritaDataTypes } = await importIcechunk("vz read of an Icechunk repository");
  const s3 = context.config.readers?.s3;
  const { store: repositoryStore } = await openRepository({
    location,
    cwd: context.cwd,
    allowedPrefixes: context.allowedPrefixes ?? [],
    ...(s3 ? { s3: { ...(s3.region ? { region: s3.region } : {}), ...(s3.endpoint ? { endpointUrl: s3.endpoint } : {}), ...(s3.forcePathStyle !== undefined ? { forcePathStyle: s3.forcePathStyle } : {}), ...(s3.anonymous !== undefined ? { anonymous: s3.anonymous } : {}) } } : {}),
  });
  // zarr-python's null_terminated_bytes (netCDF char arrays) as zarrita 0.7 names it
  const store = withZarritaDataTypes(repositoryStore);
  const path = options.variable!.replace(/^\/+/, "");
  const zarrita = await import("zarrita");
  try {
    await zarrita.open.v3(zarrita.root(store as zarr.Readable).resolve(path), { kind: "array" });
  } catch (cause) {
    if (isVzError(cause)) throw cause;
    throw new InvalidArgumentError(`vz read: no array "${path}" in the Icechunk repository ${location}`, { url: location, variable: path, cause });
  }
  return printArray(context, store as zarr.Readable, path, options);
}

/** Prints the selected values; `selection` is parsed here from `options.slice` unless the caller has parsed it. */
async function printArray(
  context: CliContext,
  store: zarr.Readable,
  path: string,
  options: ReadOptions,
  parsed: { url?: string; selection?: Selection } = {},
): Promise<number> {
  const { url } = parsed;
  // an Icechunk store is not a ManifestStore, which registers vz's codecs (and Float16Array for a
  // float16 array) itself; codecs of installed parser plugins (imagecodecs_lzw from @vz/parser-tiff, ...) too
  const [zarrita] = await Promise.all([
    import("zarrita"),
    store instanceof ManifestStore ? undefined : registerCodecs(),
    registerPluginCodecs(context.registry),
  ]);
  const array = await zarrita.open.v3(zarrita.root(store).resolve(path), { kind: "array" });
  // Checked against the shape before anything is read: a bad selection never reaches a reader.
  const selection = parsed.selection ?? parseSelection(options.slice, { variable: path, shape: array.shape, dimensionNames: array.dimensionNames });
  const result = await readArrayValues(store, path, { selection: toZarritaSelection(selection), ...(url ? { url } : {}) });
  const plain = (value: unknown): unknown => (typeof value === "bigint" ? value.toString() : value);
  const raw: ArrayLike<unknown> = typeof result.data === "object" ? result.data : [result.data];
  const fixedBytes = /^v2:S(\d+)$/.exec(String(array.dtype));
  let dtype: string = fixedBytes ? `|S${fixedBytes[1]}` : array.dtype;
  let values: unknown[];
  let note = "";
  if (fixedBytes) {
    // fixed-length byte strings (netCDF char, |S1): each element's bytes as Python shows them
    // (trailing NULs dropped, bytes outside printable ASCII as \xNN), never decoded as UTF-8
    values = byteStrings(result.data as unknown as ArrayBufferView, Number(fixedBytes[1]));
  } else if (options.decode) {
    const attributes = array.attrs as Record<string, unknown>;
    const decoded = decodeCfValues(raw, attributes);
    if (decoded.applied.length > 0 && typeof raw[0] !== "string") {
      values = Array.from(decoded.values, (v) => (Number.isNaN(v) ? null : v));
      dtype = "float64";
      note = `decoded with ${decoded.applied.join(", ")} (missing values as null)`;
    } else {
      values = Array.from(raw, plain);
      note = "not decoded: the variable has no _FillValue, missing_value, scale_factor or add_offset";
    }
  } else {
    // numbers straight from a typed array: Array.from without a per-element callback is native
    values = isNumberArray(raw) ? Array.from(raw) : Array.from(raw, plain);
    const packed = ["scale_factor", "add_offset"].filter((name) => Object.hasOwn(array.attrs, name));
    if (packed.length > 0) note = `raw stored values: the variable has ${packed.join(" and ")}; --decode applies them`;
  }
  if (options.json) {
    context.out(`${JSON.stringify({ variable: path, dtype, shape: selection.shape, values })}\n`);
  } else {
    const shown = selection.shape.length === 0 ? JSON.stringify(values[0]) : JSON.stringify(values);
    context.out(`${path} ${dtype} shape (${selection.shape.join(", ")})\n${shown}\n`);
  }
  if (note) context.err(`${note}\n`);
  return 0;
}

/** Whether `values` is a typed array of numbers (not of BigInts, which JSON cannot hold). */
function isNumberArray(values: ArrayLike<unknown>): values is ArrayLike<number> & Iterable<number> {
  return ArrayBuffer.isView(values) && !(values instanceof BigInt64Array || values instanceof BigUint64Array);
}

/** The elements of a fixed-length byte string array as text: printable ASCII kept, other bytes as \xNN. */
function byteStrings(view: ArrayBufferView, width: number): string[] {
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  const out: string[] = [];
  for (let start = 0; start + width <= bytes.length && width > 0; start += width) {
    let end = start + width;
    while (end > start && bytes[end - 1] === 0) end--;
    let text = "";
    for (let i = start; i < end; i++) {
      const b = bytes[i]!;
      text += b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : b === 0x5c ? "\\\\" : `\\x${b.toString(16).padStart(2, "0")}`;
    }
    out.push(text);
  }
  return out;
}
