/**
 * Old-style groups: a symbol table message points at a v1 B-tree of group nodes (type 0) whose
 * leaves are symbol table nodes ("SNOD"), and at a local heap ("HEAP") holding the link names.
 * @module
 */
import { Cursor, formatError, type HdfFile, UNDEFINED_ADDRESS } from "./io.js";
import type { Link } from "./messages.js";

const MAX_NODES = 1_000_000;

/** Reads the data segment of the local heap at stored address `address`. */
export async function readLocalHeap(file: HdfFile, address: number): Promise<Cursor> {
  const start = file.absolute(address);
  const c = await file.cursor(start, 8 + 2 * file.sizeOfLengths + file.sizeOfOffsets);
  c.signature("HEAP", "local heap");
  const version = c.u8();
  if (version !== 0) throw formatError(file, `local heap at ${start}: unsupported version ${version}`);
  c.skip(3);
  const size = c.length();
  c.length(); // free list head
  const dataAddress = c.offset();
  if (dataAddress === UNDEFINED_ADDRESS || size === UNDEFINED_ADDRESS || file.absolute(dataAddress) + size > file.size) {
    throw formatError(file, `local heap at ${start}: data segment (${size} bytes at ${dataAddress}) lies outside the file; corrupt or truncated`);
  }
  const origin = file.absolute(dataAddress);
  return new Cursor(await file.read(origin, size), file, origin);
}

function heapString(heap: Cursor, offset: number): string {
  if (offset < 0 || offset >= heap.bytes.length) {
    throw formatError(heap.file, `local heap offset ${offset} outside the heap of ${heap.bytes.length} bytes; corrupt file`);
  }
  heap.pos = offset;
  return heap.cstring();
}

/** Lists the links of an old-style group (v1 B-tree + local heap), in B-tree (name) order. */
export async function readSymbolTableLinks(file: HdfFile, btreeAddress: number, heapAddress: number): Promise<Link[]> {
  const heap = await readLocalHeap(file, heapAddress);
  const links: Link[] = [];
  const seen = new Set<number>();
  const visit = async (address: number, depth: number): Promise<void> => {
    if (depth > 64) throw formatError(file, `group B-tree at ${btreeAddress}: deeper than 64 levels; corrupt file`);
    if (seen.has(address)) throw formatError(file, `group B-tree node at ${address} is referenced twice (cycle); corrupt file`);
    seen.add(address);
    if (seen.size > MAX_NODES) throw formatError(file, `group B-tree at ${btreeAddress}: too many nodes; corrupt file`);
    const start = file.absolute(address);
    const headerLength = 8 + 2 * file.sizeOfOffsets;
    const head = await file.cursor(start, headerLength);
    head.signature("TREE", "v1 B-tree node");
    const type = head.u8();
    if (type !== 0) throw formatError(file, `v1 B-tree node at ${start}: type ${type}, expected a group node (0)`);
    const level = head.u8();
    const entries = head.u16();
    const body = await file.cursor(start + headerLength, entries * (file.sizeOfLengths + file.sizeOfOffsets) + file.sizeOfLengths);
    const children: number[] = [];
    for (let i = 0; i < entries; i++) {
      body.length(); // key: heap offset of the largest name in the child
      children.push(body.offset());
    }
    for (const child of children) {
      if (level > 0) await visit(child, depth + 1);
      else await readSymbolNode(file, child, heap, links);
    }
  };
  await visit(btreeAddress, 0);
  return links;
}

async function readSymbolNode(file: HdfFile, address: number, heap: Cursor, links: Link[]): Promise<void> {
  const start = file.absolute(address);
  const head = await file.cursor(start, 8);
  head.signature("SNOD", "symbol table node");
  const version = head.u8();
  if (version !== 1) throw formatError(file, `symbol table node at ${start}: unsupported version ${version}`);
  head.skip(1);
  const count = head.u16();
  const entrySize = 2 * file.sizeOfOffsets + 4 + 4 + 16;
  const c = await file.cursor(start + 8, count * entrySize);
  for (let i = 0; i < count; i++) {
    const nameOffsetValue = c.uint(file.sizeOfOffsets);
    const objectAddress = c.offset();
    const cacheType = c.u32();
    c.skip(4);
    const scratch = c.take(16);
    const name = heapString(heap, nameOffsetValue);
    if (cacheType === 2) {
      const linkOffset = new DataView(scratch.buffer, scratch.byteOffset, 4).getUint32(0, true);
      links.push({ kind: "soft", name, target: heapString(heap, linkOffset) });
    } else {
      links.push({ kind: "hard", name, address: objectAddress });
    }
  }
}
