/**
 * A file's VirtualDataset as one compact binary value for Redis: a JSON header (metadata,
 * attributes, dimension names) followed by the raw bytes of every typed array (the manifests'
 * URL ids, offsets and lengths; loaded values), 8-byte aligned. No object per chunk: a manifest
 * of n chunks costs its typed arrays — 4 + 8 + 8 bytes per chunk — plus its URL table once.
 *
 * Layout: "VZDS" | u32 version | u32 header length | header (UTF-8 JSON) | padding | buffers.
 * Version 3 adds the parser's diagnostics to the header (what it left out of the file with
 * `onUnsupported: "skip"`); version 2 values (no diagnostics) still decode, with none.
 * @module
 */
import { InvalidArgumentError, type VirtualDataset, VirtualDatatree, VzError, type VzErrorCode } from "@vz/core";
import { deserializeDataset, serializeDataset } from "@vz/core/node";

const MAGIC = 0x53445a56; // "VZDS" little-endian
const VERSION = 3;
/** Versions {@link decodeMessage} reads. */
const READABLE = new Set([2, 3]);

/**
 * One item the parser left out of a file (a `ManifestStore.diagnostics` entry: a variable,
 * attribute or fill value it could not carry over), as it crosses Redis.
 */
export interface ResultDiagnostic {
  code: VzErrorCode;
  /** The error class's name (e.g. "UnsupportedError"). */
  name: string;
  message: string;
  url?: string;
  /** The variable's path in the file (e.g. "obs" or "sub/pairs"). */
  variable?: string;
}

/** A parser's diagnostics as plain records for {@link encodeTree}. */
export function toResultDiagnostics(diagnostics: readonly VzError[]): ResultDiagnostic[] {
  return diagnostics.map((error) => ({
    code: error.code,
    name: error.name,
    message: error.message,
    ...(error.url !== undefined ? { url: error.url } : {}),
    ...(error.variable !== undefined ? { variable: error.variable } : {}),
  }));
}

/** A decoded diagnostic as the typed error the parser reported (same code, name, message, file and variable). */
export function fromResultDiagnostic(record: ResultDiagnostic): VzError {
  const error = new VzError(record.code, record.message, {
    ...(record.url !== undefined ? { url: record.url } : {}),
    ...(record.variable !== undefined ? { variable: record.variable } : {}),
  });
  Object.defineProperty(error, "name", { value: record.name });
  return error;
}

/** A decoded result: the file's tree and what the parser left out of it. */
export interface DecodedResult {
  tree: VirtualDatatree;
  /** The parser's diagnostics, in its order (empty when it left nothing out, or for a version 2 value). */
  diagnostics: VzError[];
}

type TypedArrayName =
  | "Int8Array"
  | "Uint8Array"
  | "Uint8ClampedArray"
  | "Int16Array"
  | "Uint16Array"
  | "Int32Array"
  | "Uint32Array"
  | "Float32Array"
  | "Float64Array"
  | "BigInt64Array"
  | "BigUint64Array";

const CONSTRUCTORS: Record<TypedArrayName, { new (buffer: ArrayBuffer, byteOffset: number, length: number): ArrayBufferView; BYTES_PER_ELEMENT: number }> = {
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
};

/** Encodes `dataset` (manifests and loaded variables) into one byte string. */
export function encodeDataset(dataset: VirtualDataset): Uint8Array {
  return encodeMessage({ groups: [["", serializeDataset(dataset).message]] });
}

/**
 * Encodes every group of `tree` (each group's dataset, by path) into one byte string, with the
 * parser's `diagnostics` (what it left out of the file), so the coordinator can report them.
 */
export function encodeTree(tree: VirtualDatatree, diagnostics: readonly VzError[] = []): Uint8Array {
  return encodeMessage({
    groups: [...tree.toMap()].map(([path, dataset]) => [path, serializeDataset(dataset).message]),
    ...(diagnostics.length ? { diagnostics: toResultDiagnostics(diagnostics) } : {}),
  });
}

/**
 * Shares equal metadata between decoded results: each variable's array metadata, attributes,
 * encoding and dimension names, each dataset's coordinate names, and chunk URL
 * strings. The results of an archive's files mostly differ only in their manifests and
 * coordinate values, so the coordinator holds one copy of what repeats instead of one per file.
 * Shared values are frozen (nothing downstream may change them in place). Keep one per run.
 */
export interface DecodeInterner {
  value<T>(value: T): T;
  string(value: string): string;
  /** Distinct values and strings held. */
  readonly size: number;
}

/** A new {@link DecodeInterner}. */
export function createDecodeInterner(): DecodeInterner {
  const values = new Map<string, unknown>();
  const strings = new Map<string, string>();
  return {
    value<T>(value: T): T {
      if (value === null || typeof value !== "object") return value;
      const key = internKey(value);
      if (key === undefined) return value;
      const found = values.get(key);
      if (found !== undefined) return found as T;
      values.set(key, deepFreeze(value));
      return value;
    },
    string(value: string): string {
      const found = strings.get(value);
      if (found !== undefined) return found;
      strings.set(value, value);
      return value;
    },
    get size() {
      return values.size + strings.size;
    },
  };
}

/** A key telling values apart exactly (typed arrays by type, NaN, -0, bigints), or undefined if it cannot. */
function internKey(value: unknown): string | undefined {
  try {
    return JSON.stringify(value, (_key, item: unknown) => {
      if (ArrayBuffer.isView(item)) return { $typed: item.constructor.name, values: Array.from(item as unknown as ArrayLike<number>, String) };
      if (typeof item === "bigint") return { $bigint: item.toString() };
      if (typeof item === "number" && (!Number.isFinite(item) || Object.is(item, -0))) return { $number: Object.is(item, -0) ? "-0" : String(item) };
      if (item && typeof item === "object" && !Array.isArray(item) && Object.getPrototypeOf(item) !== Object.prototype) throw new Error("not plain");
      // A plain object that uses a tag's key is told apart from the tag.
      if (item && typeof item === "object" && !Array.isArray(item) && Object.keys(item).some((name) => name.startsWith("$"))) return { $object: Object.entries(item) };
      return item;
    });
  } catch {
    return undefined;
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !ArrayBuffer.isView(value) && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value as Record<string, unknown>)) deepFreeze(item);
  }
  return value;
}

function internMessage(message: Message, interner: DecodeInterner): void {
  for (const entry of message.groups) {
    const group = entry[1] as unknown as {
      variables: [string, { dims: string[]; attrs: Record<string, unknown>; encoding?: Record<string, unknown>; data: { kind: string; metadata?: unknown; urls?: string[] } }][];
      coordNames: string[];
      attrs: Record<string, unknown>;
    };
    entry[0] = interner.string(entry[0]);
    group.coordNames = interner.value(group.coordNames);
    for (const variable of group.variables) {
      variable[0] = interner.string(variable[0]);
      const v = variable[1];
      v.dims = interner.value(v.dims);
      v.attrs = interner.value(v.attrs);
      if (v.encoding) v.encoding = interner.value(v.encoding);
      if (v.data.kind === "virtual") {
        v.data.metadata = interner.value(v.data.metadata);
        if (v.data.urls) v.data.urls = v.data.urls.map((url) => interner.string(url));
      }
    }
  }
}

/** Decodes {@link encodeDataset}'s bytes (or the root group of {@link encodeTree}'s). `source` names the value in errors (a Redis key, a URL). */
export function decodeDataset(bytes: Uint8Array, source: string, interner?: DecodeInterner): VirtualDataset {
  const message = decodeMessage(bytes, source);
  if (interner) internMessage(message, interner);
  const root = message.groups.find(([path]) => path === "");
  if (!root) throw new InvalidArgumentError(`@vz/queue: result ${source} has no root group`);
  return deserializeDataset(root[1]);
}

/** Decodes {@link encodeTree}'s (or {@link encodeDataset}'s) bytes into a tree. */
export function decodeTree(bytes: Uint8Array, source: string, interner?: DecodeInterner): VirtualDatatree {
  return decodeResult(bytes, source, interner).tree;
}

/** Decodes {@link encodeTree}'s bytes into the tree and the parser's diagnostics. */
export function decodeResult(bytes: Uint8Array, source: string, interner?: DecodeInterner): DecodedResult {
  const message = decodeMessage(bytes, source);
  if (interner) internMessage(message, interner);
  const tree = VirtualDatatree.fromMap(new Map(message.groups.map(([path, group]) => [path, deserializeDataset(group)])));
  const records = message.diagnostics ?? [];
  if (!Array.isArray(records) || records.some((record) => typeof record?.code !== "string" || typeof record.message !== "string")) {
    throw new InvalidArgumentError(`@vz/queue: result ${source} has unreadable diagnostics`);
  }
  return { tree, diagnostics: records.map(fromResultDiagnostic) };
}

type Serialized = Parameters<typeof deserializeDataset>[0];
interface Message {
  groups: [string, Serialized][];
  /** Version 3: what the parser left out of the file (absent: nothing). */
  diagnostics?: ResultDiagnostic[];
}

function encodeMessage(message: Message): Uint8Array {
  const buffers: Uint8Array[] = [];
  let offset = 0;
  const header = JSON.stringify(message, function replacer(this: unknown, _key, value: unknown) {
    if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
      const bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
      const at = offset;
      buffers.push(bytes);
      offset += Math.ceil(bytes.byteLength / 8) * 8;
      const typed = value as unknown as { length: number };
      return { $typed: value.constructor.name, at, length: typed.length };
    }
    if (typeof value === "bigint") return { $bigint: value.toString() };
    if (typeof value === "number" && !Number.isFinite(value)) return { $number: String(value) };
    // Tag plain objects that happen to use a tag's key, so they decode as they were.
    if (value && typeof value === "object" && !Array.isArray(value) && ("$typed" in value || "$bigint" in value || "$number" in value || "$object" in value)) {
      return { $object: Object.entries(value) };
    }
    return value;
  });
  const headerBytes = new TextEncoder().encode(header);
  const start = Math.ceil((12 + headerBytes.byteLength) / 8) * 8;
  const out = new Uint8Array(start + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, VERSION, true);
  view.setUint32(8, headerBytes.byteLength, true);
  out.set(headerBytes, 12);
  let at = start;
  for (const bytes of buffers) {
    out.set(bytes, at);
    at += Math.ceil(bytes.byteLength / 8) * 8;
  }
  return out;
}

function decodeMessage(bytes: Uint8Array, source: string): Message {
  if (bytes.byteLength < 12) throw new InvalidArgumentError(`@vz/queue: result ${source} is ${bytes.byteLength} bytes, too short to be a dataset`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== MAGIC || !READABLE.has(view.getUint32(4, true))) {
    throw new InvalidArgumentError(`@vz/queue: result ${source} is not an encoded dataset of version ${[...READABLE].join(" or ")}`);
  }
  const headerLength = view.getUint32(8, true);
  const start = Math.ceil((12 + headerLength) / 8) * 8;
  if (12 + headerLength > bytes.byteLength) throw new InvalidArgumentError(`@vz/queue: result ${source} is truncated (header of ${headerLength} bytes)`);
  // Copy the buffer section once so typed arrays get an aligned, exclusively owned ArrayBuffer.
  const body = bytes.slice(Math.min(start, bytes.byteLength)).buffer;
  let message: Message;
  try {
    message = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + headerLength)), (_key, value: unknown) => {
      if (value && typeof value === "object") {
        const tagged = value as { $typed?: TypedArrayName; at?: number; length?: number; $bigint?: string; $number?: string; $object?: [string, unknown][] };
        if (tagged.$typed !== undefined) {
          const Ctor = CONSTRUCTORS[tagged.$typed];
          const at = tagged.at;
          const length = tagged.length;
          if (!Ctor || !Number.isSafeInteger(at) || !Number.isSafeInteger(length) || at! < 0 || length! < 0 || at! % 8 !== 0 || at! + length! * Ctor.BYTES_PER_ELEMENT > body.byteLength) {
            throw new InvalidArgumentError(`@vz/queue: result ${source} has a bad ${tagged.$typed} at ${tagged.at}`);
          }
          return new Ctor(body, at!, length!);
        }
        if (tagged.$bigint !== undefined) return BigInt(tagged.$bigint);
        if (tagged.$number !== undefined) return Number(tagged.$number);
        if (tagged.$object !== undefined) return Object.fromEntries(tagged.$object);
      }
      return value;
    }) as Message;
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw error;
    throw new InvalidArgumentError(`@vz/queue: result ${source} has an unreadable header: ${(error as Error).message}`, { cause: error });
  }
  if (!Array.isArray(message?.groups)) throw new InvalidArgumentError(`@vz/queue: result ${source} has no groups`);
  return message;
}
