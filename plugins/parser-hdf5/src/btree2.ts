/**
 * Version 2 B-trees (header "BTHD", internal nodes "BTIN", leaves "BTLF") of any record type:
 * dense link storage (types 5, 6), dense attribute storage (8, 9), chunk indexes (10, 11),
 * fractal-heap huge objects (1–4), ... Records are returned raw; callers decode them.
 * Every node of one level is fetched concurrently and every checksum is verified.
 * @module
 */
import { checkAborted, decodeAddress, decodeUnsigned, expectSignature, log2Floor, readRanges, verifyChecksum, viewOf } from "./chunk-index-shared.js";
import { formatError, type HdfFile } from "./io.js";

/** Deepest tree accepted (each level multiplies the capacity by at least 2). */
const MAX_DEPTH = 64;

/** A decoded v2 B-tree header plus the per-depth sizes derived from it. */
export interface BTree2Header {
  /** Absolute file offset of the header. */
  address: number;
  /** Record type (1..11). */
  type: number;
  nodeSize: number;
  recordSize: number;
  depth: number;
  splitPercent: number;
  mergePercent: number;
  /** Absolute file offset of the root node, -1 when the tree is empty. */
  rootAddress: number;
  rootRecords: number;
  totalRecords: number;
  /** Maximum records of a node at each depth (0 = leaves). */
  maxRecords: number[];
  /** Bytes encoding a child's record count in internal nodes. */
  recordCountSize: number;
  /** Bytes encoding the total record count below a child, per depth of that child (0 for leaves: absent). */
  totalCountSizes: number[];
  /** Used in error messages. */
  what: string;
}

/** Bytes HDF5 needs to encode values up to `value`: floor(log2(value) / 8) + 1. */
function encodedSize(value: number): number {
  return Math.floor(log2Floor(Math.max(1, value)) / 8) + 1;
}

/** Reads and checks a v2 B-tree header at absolute file offset `address`. */
export async function readBTree2Header(file: HdfFile, address: number, what = "v2 B-tree"): Promise<BTree2Header> {
  const offsetSize = file.sizeOfOffsets;
  const lengthSize = file.sizeOfLengths;
  const size = 16 + offsetSize + 2 + lengthSize + 4;
  const bytes = await file.read(address, size);
  expectSignature(file, bytes, "BTHD", `${what} header`, address);
  verifyChecksum(file, bytes, size - 4, `${what} header`, address);
  const view = viewOf(bytes);
  if (bytes[4] !== 0) throw formatError(file, `${what} header at file offset ${address}: unsupported version ${bytes[4]}`);
  const type = bytes[5]!;
  const nodeSize = view.getUint32(6, true);
  const recordSize = view.getUint16(10, true);
  const depth = view.getUint16(12, true);
  const splitPercent = bytes[14]!;
  const mergePercent = bytes[15]!;
  const root = decodeAddress(view, 16, offsetSize);
  const rootRecords = view.getUint16(16 + offsetSize, true);
  const totalRecords = decodeUnsigned(view, 18 + offsetSize, lengthSize);
  const fail = (reason: string) => formatError(file, `${what} header at file offset ${address}: ${reason}; corrupt file`);
  if (recordSize === 0 || nodeSize < 10 + recordSize) throw fail(`node size ${nodeSize} cannot hold a record of ${recordSize} bytes`);
  if (depth > MAX_DEPTH) throw fail(`depth ${depth}`);
  if (Number.isNaN(root) || Number.isNaN(totalRecords) || totalRecords * recordSize > file.size) throw fail(`${totalRecords} records`);
  const maxRecords = [Math.floor((nodeSize - 10) / recordSize)];
  const cumulative = [maxRecords[0]!];
  const recordCountSize = encodedSize(maxRecords[0]!);
  const totalCountSizes = [0];
  for (let d = 1; d <= depth; d++) {
    const pointerSize = offsetSize + recordCountSize + (d > 1 ? totalCountSizes[d - 1]! : 0);
    const max = Math.floor((nodeSize - (10 + pointerSize)) / (recordSize + pointerSize));
    if (max < 1) throw fail(`internal nodes of depth ${d} cannot hold a record`);
    maxRecords.push(max);
    const total = Math.min(Number.MAX_SAFE_INTEGER, (max + 1) * cumulative[d - 1]! + max);
    cumulative.push(total);
    totalCountSizes.push(total >= Number.MAX_SAFE_INTEGER ? 8 : encodedSize(total));
  }
  if (rootRecords > maxRecords[depth]!) throw fail(`root node has ${rootRecords} records, at most ${maxRecords[depth]} fit`);
  return {
    address,
    type,
    nodeSize,
    recordSize,
    depth,
    splitPercent,
    mergePercent,
    rootAddress: root === -1 ? -1 : root + file.baseAddress,
    rootRecords,
    totalRecords,
    maxRecords,
    recordCountSize,
    totalCountSizes,
    what,
  };
}

interface NodeReference {
  address: number;
  records: number;
  depth: number;
}

interface LoadedNode {
  bytes: Uint8Array;
  records: number;
  children: NodeReference[];
}

/** Bytes of a node with `records` records at `depth`. */
function nodeLength(header: BTree2Header, file: HdfFile, records: number, depth: number): number {
  if (depth === 0) return 10 + records * header.recordSize;
  const pointerSize = file.sizeOfOffsets + header.recordCountSize + (depth > 1 ? header.totalCountSizes[depth - 1]! : 0);
  return 10 + records * header.recordSize + (records + 1) * pointerSize;
}

/** Checks and decodes one node from its bytes; records start at byte 6. */
function parseNode(file: HdfFile, header: BTree2Header, node: NodeReference, bytes: Uint8Array): LoadedNode {
  const { what } = header;
  const leaf = node.depth === 0;
  const kind = leaf ? "leaf" : "internal node";
  const length = bytes.length;
  expectSignature(file, bytes, leaf ? "BTLF" : "BTIN", `${what} ${kind}`, node.address);
  if (bytes[4] !== 0) throw formatError(file, `${what} ${kind} at file offset ${node.address}: unsupported version ${bytes[4]}`);
  if (bytes[5] !== header.type) {
    throw formatError(file, `${what} ${kind} at file offset ${node.address}: record type ${bytes[5]} differs from the header's ${header.type}; corrupt file`);
  }
  verifyChecksum(file, bytes, length - 4, `${what} ${kind}`, node.address);
  const children: NodeReference[] = [];
  if (!leaf) {
    const view = viewOf(bytes);
    const offsetSize = file.sizeOfOffsets;
    const totalSize = node.depth > 1 ? header.totalCountSizes[node.depth - 1]! : 0;
    const childMax = header.maxRecords[node.depth - 1]!;
    let p = 6 + node.records * header.recordSize;
    for (let i = 0; i <= node.records; i++) {
      const address = decodeAddress(view, p, offsetSize);
      const records = decodeUnsigned(view, p + offsetSize, header.recordCountSize);
      p += offsetSize + header.recordCountSize + totalSize;
      if (!(address >= 0) || !(records <= childMax)) {
        throw formatError(file, `${what} internal node at file offset ${node.address}: child ${i} has address ${address} and ${records} records; corrupt file`);
      }
      children.push({ address: address + file.baseAddress, records, depth: node.depth - 1 });
    }
  }
  return { bytes, records: node.records, children };
}

/**
 * Loads every node level by level (each level's nodes fetched concurrently), calling `onNode` for
 * each; guards against cycles and checks the record count against the header's.
 */
async function walkLevels(file: HdfFile, header: BTree2Header, onNode: (reference: NodeReference, node: LoadedNode) => void): Promise<void> {
  if (header.rootAddress === -1) {
    if (header.totalRecords !== 0) throw formatError(file, `${header.what} at file offset ${header.address}: no root node but ${header.totalRecords} records; corrupt file`);
    return;
  }
  const visited = new Set<number>([header.rootAddress]);
  let level: NodeReference[] = [{ address: header.rootAddress, records: header.rootRecords, depth: header.depth }];
  let count = 0;
  while (level.length > 0) {
    checkAborted(file, `reading ${header.what}`);
    const lengths = level.map((node) => {
      const length = nodeLength(header, file, node.records, node.depth);
      if (length > header.nodeSize) {
        throw formatError(file, `${header.what} node at file offset ${node.address}: ${node.records} records do not fit a node of ${header.nodeSize} bytes; corrupt file`);
      }
      return length;
    });
    const segments = await readRanges(
      file,
      level.map((node, i) => ({ offset: node.address, length: lengths[i]! })),
    );
    const nodes: LoadedNode[] = [];
    for (let i = 0; i < level.length; i++) {
      const reference = level[i]!;
      let bytes = segments[i]!;
      if (bytes.length < lengths[i]!) bytes = await file.read(reference.address, lengths[i]!); // passes the end: throws
      nodes.push(parseNode(file, header, reference, bytes));
    }
    const next: NodeReference[] = [];
    for (let i = 0; i < level.length; i++) {
      const node = nodes[i]!;
      count += node.records;
      onNode(level[i]!, node);
      for (const child of node.children) {
        if (visited.has(child.address)) {
          throw formatError(file, `${header.what}: node at file offset ${child.address} is referenced twice (cycle); corrupt file`);
        }
        visited.add(child.address);
        next.push(child);
      }
    }
    level = next;
  }
  if (count !== header.totalRecords) {
    throw formatError(file, `${header.what} at file offset ${header.address}: header counts ${header.totalRecords} records, nodes hold ${count}; corrupt file`);
  }
}

/**
 * Calls `onRecord(bytes, view, pos)` for every record (internal nodes' included), in no particular
 * order: the record is `bytes[pos .. pos + header.recordSize)`. The fastest way through a tree.
 */
export async function forEachBTree2Record(
  file: HdfFile,
  header: BTree2Header,
  onRecord: (bytes: Uint8Array, view: DataView, pos: number) => void,
): Promise<void> {
  const recordSize = header.recordSize;
  await walkLevels(file, header, (_reference, node) => {
    const view = viewOf(node.bytes);
    for (let r = 0, p = 6; r < node.records; r++, p += recordSize) onRecord(node.bytes, view, p);
  });
}

/** The raw records of the v2 B-tree whose header is at `address` (relative to the base address), in key order. */
export async function* iterateBTree2(file: HdfFile, address: number): AsyncIterable<{ type: number; record: Uint8Array }> {
  const header = await readBTree2Header(file, address + file.baseAddress);
  const loaded = new Map<number, LoadedNode>();
  await walkLevels(file, header, (reference, node) => loaded.set(reference.address, node));
  if (header.rootAddress === -1) return;
  const { type, recordSize } = header;
  const record = (node: LoadedNode, index: number) => ({ type, record: node.bytes.slice(6 + index * recordSize, 6 + (index + 1) * recordSize) });
  // In-order traversal with an explicit stack: child 0, record 0, child 1, record 1, ..., child n.
  const stack: { node: LoadedNode; next: number }[] = [{ node: loaded.get(header.rootAddress)!, next: 0 }];
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    const { node } = frame;
    if (node.children.length === 0) {
      for (let i = 0; i < node.records; i++) yield record(node, i);
      stack.pop();
      continue;
    }
    const step = frame.next++;
    if (step > 2 * node.records) {
      stack.pop();
      continue;
    }
    if (step % 2 === 0) stack.push({ node: loaded.get(node.children[step / 2]!.address)!, next: 0 });
    else yield record(node, (step - 1) / 2);
  }
}
