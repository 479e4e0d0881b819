/**
 * Object headers, versions 1 and 2, with their continuation blocks (v2 checksums are verified).
 * The result is the list of raw header messages; `messages.ts` decodes them.
 * @module
 */
import { Cursor, formatError, type HdfFile, lookup3, UNDEFINED_ADDRESS } from "./io.js";

/** Header message type numbers used by the parser. */
export const MessageType = {
  NIL: 0x00,
  DATASPACE: 0x01,
  LINK_INFO: 0x02,
  DATATYPE: 0x03,
  FILL_VALUE_OLD: 0x04,
  FILL_VALUE: 0x05,
  LINK: 0x06,
  EXTERNAL_FILES: 0x07,
  LAYOUT: 0x08,
  GROUP_INFO: 0x0a,
  FILTER_PIPELINE: 0x0b,
  ATTRIBUTE: 0x0c,
  CONTINUATION: 0x10,
  SYMBOL_TABLE: 0x11,
  ATTRIBUTE_INFO: 0x15,
} as const;

/** One raw header message. */
export interface HeaderMessage {
  type: number;
  /** Message flags (bit 1: the message is shared and `data` holds a shared-message reference). */
  flags: number;
  data: Uint8Array;
  /** Absolute file offset of `data[0]`. */
  origin: number;
}

/** A decoded object header. */
export interface ObjectHeader {
  /** Stored (base-relative) address of the header. */
  address: number;
  version: 1 | 2;
  messages: HeaderMessage[];
}

/** Flag bit of a shared message. */
export const MESSAGE_SHARED = 0x02;

const MAX_CONTINUATIONS = 100_000;

/** Reads the object header at stored address `address` and all its continuation blocks. */
export async function readObjectHeader(file: HdfFile, address: number): Promise<ObjectHeader> {
  if (address === UNDEFINED_ADDRESS || address < 0 || file.absolute(address) >= file.size) {
    throw formatError(file, `object header address ${address} is outside the file (${file.size} bytes); corrupt file`);
  }
  const start = file.absolute(address);
  const probe = await file.readUpTo(start, 40);
  const isV2 = probe[0] === 0x4f && probe[1] === 0x48 && probe[2] === 0x44 && probe[3] === 0x52; // "OHDR"
  const messages: HeaderMessage[] = [];
  const continuations: { address: number; length: number }[] = [];
  if (isV2) {
    const c = new Cursor(probe, file, start);
    c.skip(4);
    const version = c.u8();
    if (version !== 2) throw formatError(file, `object header at ${start}: unsupported version ${version}`);
    const flags = c.u8();
    if (flags & 0x20) c.skip(16);
    if (flags & 0x10) c.skip(4);
    const chunkSize = c.uint(1 << (flags & 0x03));
    const prefix = c.pos;
    const total = prefix + chunkSize + 4;
    if (start + total > file.size) {
      throw formatError(file, `object header at ${start}: chunk of ${chunkSize} bytes passes the end of the file; truncated or corrupt`);
    }
    const bytes = await file.read(start, total);
    verifyChecksum(file, bytes, start, "object header");
    readMessagesV2(file, new Cursor(bytes.subarray(0, total - 4), file, start, prefix), flags, messages, continuations);
    await followContinuations(file, continuations, (cursor, origin) => {
      cursor.signature("OCHK", "object header continuation block");
      verifyChecksum(file, cursor.bytes, origin, "object header continuation block");
      const body = new Cursor(cursor.bytes.subarray(0, cursor.bytes.length - 4), file, origin, 4);
      readMessagesV2(file, body, flags, messages, continuations);
    });
    return { address, version: 2, messages };
  }
  const c = new Cursor(probe, file, start);
  const version = c.u8();
  if (version !== 1) {
    throw formatError(file, `object header at ${start}: unknown version ${version} (expected 1 or an "OHDR" signature); corrupt file or wrong address`);
  }
  c.skip(1);
  c.u16(); // number of messages (continuations included); not needed
  c.u32(); // reference count
  const headerSize = c.u32();
  if (start + 16 + headerSize > file.size) {
    throw formatError(file, `object header at ${start}: size ${headerSize} passes the end of the file; truncated or corrupt`);
  }
  const bytes = await file.read(start + 16, headerSize);
  readMessagesV1(file, new Cursor(bytes, file, start + 16), messages, continuations);
  await followContinuations(file, continuations, (cursor) => readMessagesV1(file, cursor, messages, continuations));
  return { address, version: 1, messages };
}

async function followContinuations(
  file: HdfFile,
  continuations: { address: number; length: number }[],
  parse: (cursor: Cursor, origin: number) => void,
): Promise<void> {
  const seen = new Set<number>();
  for (let i = 0; i < continuations.length; i++) {
    if (i > MAX_CONTINUATIONS) throw formatError(file, `object header has more than ${MAX_CONTINUATIONS} continuation blocks; corrupt file`);
    const { address, length } = continuations[i]!;
    if (seen.has(address)) throw formatError(file, `object header continuation block at ${address} is referenced twice (cycle); corrupt file`);
    seen.add(address);
    if (address === UNDEFINED_ADDRESS || length === UNDEFINED_ADDRESS || file.absolute(address) + length > file.size) {
      throw formatError(file, `object header continuation block at ${address} (${length} bytes) lies outside the file; truncated or corrupt`);
    }
    const origin = file.absolute(address);
    parse(await file.cursor(origin, length), origin);
  }
}

function verifyChecksum(file: HdfFile, bytes: Uint8Array, origin: number, what: string): void {
  if (bytes.length < 4) throw formatError(file, `${what} at ${origin}: too short for a checksum`);
  const stored = new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 4, 4).getUint32(0, true);
  const computed = lookup3(bytes.subarray(0, bytes.length - 4));
  if (stored !== computed) {
    throw formatError(file, `${what} at ${origin}: checksum mismatch (stored ${stored.toString(16)}, computed ${computed.toString(16)}); corrupt file`);
  }
}

function pushMessage(
  file: HdfFile,
  type: number,
  flags: number,
  data: Uint8Array,
  origin: number,
  messages: HeaderMessage[],
  continuations: { address: number; length: number }[],
): void {
  if (type === MessageType.CONTINUATION) {
    const c = new Cursor(data, file, origin);
    continuations.push({ address: c.offset(), length: c.length() });
    return;
  }
  if (type === MessageType.NIL) return;
  messages.push({ type, flags, data, origin });
}

function readMessagesV1(file: HdfFile, c: Cursor, messages: HeaderMessage[], continuations: { address: number; length: number }[]): void {
  while (c.remaining >= 8) {
    const type = c.u16();
    const size = c.u16();
    const flags = c.u8();
    c.skip(3);
    if (size > c.remaining) {
      throw formatError(file, `object header message of type ${type} at ${c.origin + c.pos} claims ${size} bytes, only ${c.remaining} left; corrupt file`);
    }
    const origin = c.origin + c.pos;
    pushMessage(file, type, flags, c.take(size), origin, messages, continuations);
  }
}

function readMessagesV2(
  file: HdfFile,
  c: Cursor,
  headerFlags: number,
  messages: HeaderMessage[],
  continuations: { address: number; length: number }[],
): void {
  const headerLength = headerFlags & 0x04 ? 6 : 4;
  while (c.remaining >= headerLength) {
    const type = c.u8();
    const size = c.u16();
    const flags = c.u8();
    if (headerFlags & 0x04) c.u16();
    if (size > c.remaining) {
      throw formatError(file, `object header message of type ${type} at ${c.origin + c.pos} claims ${size} bytes, only ${c.remaining} left; corrupt file`);
    }
    const origin = c.origin + c.pos;
    pushMessage(file, type, flags, c.take(size), origin, messages, continuations);
  }
}
