import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { InvalidArgumentError, ManifestArray, openManifestStore, registerCodecs } from "@vz/core";
import * as zarr from "zarrita";
import { type CliContext, inputUrl, parserChoice } from "../context.js";

/** Parses "0:10,:,3" into zarrita selections (null = all, number = index, slice). */
export function parseSlice(text: string | undefined, ndim: number): (number | null | ReturnType<typeof zarr.slice>)[] {
  if (!text) return new Array(ndim).fill(null);
  const parts = text.split(",");
  if (parts.length !== ndim) {
    throw new InvalidArgumentError(`--slice "${text}" has ${parts.length} parts, the variable has ${ndim} dimensions`);
  }
  return parts.map((part) => {
    const p = part.trim();
    if (p === ":" || p === "") return null;
    if (/^-?\d+$/.test(p)) return Number(p);
    const m = /^(-?\d*):(-?\d*)(?::(-?\d+))?$/.exec(p);
    if (!m) throw new InvalidArgumentError(`--slice: cannot parse "${p}" (use i, a:b, a:b:s or :)`);
    const start = m[1] === "" ? null : Number(m[1]);
    const stop = m[2] === "" ? null : Number(m[2]);
    const step = m[3] === undefined ? null : Number(m[3]);
    return zarr.slice(start, stop, step);
  });
}

/** `vz read <url> --var V [--slice ...]`: prints values read through ManifestStore + zarrita. */
export async function readCommand(
  context: CliContext,
  input: string,
  options: { variable?: string; slice?: string; parser?: string; json?: boolean },
): Promise<number> {
  if (!options.variable) throw new InvalidArgumentError("vz read: --var is required");
  const localPath = resolve(context.cwd, input.replace(/^file:\/\//, ""));
  const isDirectory = !/^[a-z][a-z0-9+.-]*:\/\//i.test(input.replace(/^file:\/\//, "")) && existsSync(localPath) && statSync(localPath).isDirectory();
  // A directory is an Icechunk repository unless it is kerchunk Parquet references (.zmetadata) or a parser is named.
  if (isDirectory && !options.parser && !existsSync(resolve(localPath, ".zmetadata"))) {
    return readIcechunk(context, localPath, options);
  }
  const url = inputUrl(context, input);
  const parserName = options.parser ?? (isDirectory ? "kerchunk" : undefined);
  const choice = parserChoice(context, url, input, parserName);
  const { store } = await openManifestStore(url, { reader: context.reader, registry: context.registry, ...choice });
  const path = options.variable.replace(/^\/+/, "");
  const node = store.group.resolve(path);
  if (!(node instanceof ManifestArray)) {
    const names = [...store.group.walkArrays()].map(([p]) => p).join(", ");
    throw new InvalidArgumentError(`vz read: no variable "${options.variable}" in ${url}; variables: ${names}`, { url });
  }
  return printArray(context, store as unknown as zarr.Readable, path, node.ndim, options);
}

/** Reads a variable of an Icechunk repository (a local directory) through Icechunk's own store. */
async function readIcechunk(
  context: CliContext,
  location: string,
  options: { variable?: string; slice?: string; json?: boolean },
): Promise<number> {
  const { openRepositoryFor } = await import("@vz/icechunk");
  const repo = await openRepositoryFor({ location }, []);
  const session = await repo.readonlySession({ branch: "main" });
  const path = options.variable!.replace(/^\/+/, "");
  const store = session.store as unknown as zarr.Readable;
  let ndim: number;
  try {
    const array = await zarr.open.v3(zarr.root(store).resolve(path), { kind: "array" });
    ndim = array.shape.length;
  } catch (cause) {
    throw new InvalidArgumentError(`vz read: no array "${path}" in the Icechunk repository ${location}`, { cause });
  }
  return printArray(context, store, path, ndim, options);
}

async function printArray(
  context: CliContext,
  store: zarr.Readable,
  path: string,
  ndim: number,
  options: { slice?: string; json?: boolean },
): Promise<number> {
  registerCodecs(); // an Icechunk store is not a ManifestStore, which would register them itself
  const array = await zarr.open.v3(zarr.root(store).resolve(path), { kind: "array" });
  const result = await zarr.get(array, parseSlice(options.slice, ndim));
  const data = result as unknown as { data: ArrayLike<unknown>; shape: number[] } | number | bigint | string | boolean;
  const plain = (value: unknown): unknown => (typeof value === "bigint" ? value.toString() : value);
  if (typeof data !== "object") {
    context.out(`${JSON.stringify({ variable: path, shape: [], values: plain(data) })}\n`);
    return 0;
  }
  const fixedBytes = /^v2:S(\d+)$/.exec(String(array.dtype));
  // fixed-length byte strings (netCDF char, |S1): each element's bytes as Python shows them
  // (trailing NULs dropped, bytes outside printable ASCII as \xNN), never decoded as UTF-8
  const values = fixedBytes ? byteStrings(data.data as unknown as ArrayBufferView, Number(fixedBytes[1])) : Array.from(data.data as ArrayLike<unknown>, plain);
  const dtype = fixedBytes ? `|S${fixedBytes[1]}` : array.dtype;
  if (options.json) {
    context.out(`${JSON.stringify({ variable: path, dtype, shape: data.shape, values })}\n`);
  } else {
    context.out(`${path} ${dtype} shape (${data.shape.join(", ")})\n${JSON.stringify(values)}\n`);
  }
  return 0;
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
