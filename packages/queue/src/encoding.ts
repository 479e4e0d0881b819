/**
 * A file's VirtualDataset as one compact binary value for Redis: a JSON header (metadata,
 * attributes, dimension names) followed by the raw bytes of every typed array (the manifests'
 * URL ids, offsets and lengths; loaded values), 8-byte aligned. No object per chunk: a manifest
 * of n chunks costs its typed arrays — 4 + 8 + 8 bytes per chunk — plus its URL table once.
 *
 * Layout: "VZDS" | u32 version | u32 header length | header (UTF-8 JSON) | padding | buffers.
 * @module
 */
import { InvalidArgumentError, type VirtualDataset, VirtualDatatree } from "@vz/core";
import { deserializeDataset, serializeDataset } from "@vz/core/node";

const MAGIC = 0x53445a56; // "VZDS" little-endian
const VERSION = 2;

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

/** Encodes every group of `tree` (each group's dataset, by path) into one byte string. */
export function encodeTree(tree: VirtualDatatree): Uint8Array {
  return encodeMessage({ groups: [...tree.toMap()].map(([path, dataset]) => [path, serializeDataset(dataset).message]) });
}

/** Decodes {@link encodeDataset}'s bytes (or the root group of {@link encodeTree}'s). `source` names the value in errors (a Redis key, a URL). */
export function decodeDataset(bytes: Uint8Array, source: string): VirtualDataset {
  const message = decodeMessage(bytes, source);
  const root = message.groups.find(([path]) => path === "");
  if (!root) throw new InvalidArgumentError(`@vz/queue: result ${source} has no root group`);
  return deserializeDataset(root[1]);
}

/** Decodes {@link encodeTree}'s (or {@link encodeDataset}'s) bytes into a tree. */
export function decodeTree(bytes: Uint8Array, source: string): VirtualDatatree {
  const message = decodeMessage(bytes, source);
  return VirtualDatatree.fromMap(new Map(message.groups.map(([path, group]) => [path, deserializeDataset(group)])));
}

type Serialized = Parameters<typeof deserializeDataset>[0];
interface Message {
  groups: [string, Serialized][];
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
  if (view.getUint32(0, true) !== MAGIC || view.getUint32(4, true) !== VERSION) {
    throw new InvalidArgumentError(`@vz/queue: result ${source} is not an encoded dataset of version ${VERSION}`);
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
