/**
 * Version 1 B-tree, node type 1 (raw data chunks): the chunk index of data layout message
 * version 3. Walked level by level; every node of one level is fetched concurrently.
 * @module
 */
import type { ChunkIndexContext } from "./chunk-index.js";
import { checkAborted, decodeAddress, readRanges, viewOf } from "./chunk-index-shared.js";
import { formatError } from "./io.js";

/** Entries per node assumed before a node's header is read (2K with HDF5's default K = 32). */
const ASSUMED_ENTRIES = 64;

/** Enumerates the chunks of a v1 B-tree chunk index (see {@link readChunkIndex}). */
export async function readBTree1Chunks(context: ChunkIndexContext): Promise<void> {
  const { file, grid, what, emit } = context;
  const rank = grid.rank;
  const offsetSize = file.sizeOfOffsets;
  // key: chunk size (4), filter mask (4), rank + 1 offsets of 8 bytes (the last is the element-size dim)
  const keySize = 8 + 8 * (rank + 1);
  const entrySize = keySize + offsetSize;
  const headerSize = 8 + 2 * offsetSize;
  const estimate = headerSize + ASSUMED_ENTRIES * entrySize + keySize;
  const base = file.baseAddress;
  const chunkShape = grid.chunkShape;
  const gridShape = grid.gridShape;
  const strides = grid.strides;
  const visited = new Set<number>([context.address]);
  // Leaf decoding lives in its own synchronous function so that V8 optimizes it (hot loops inside
  // one long-running async function stay unoptimized).
  const decodeLeaf = (view: DataView, entries: number, address: number): void => {
    let p = headerSize;
    for (let e = 0; e < entries; e++, p += entrySize) {
      let flat = 0;
      let q = p + 8;
      for (let d = 0; d < rank; d++, q += 8) {
        const high = view.getUint32(q + 4, true);
        const coordinate = (high * 4294967296 + view.getUint32(q, true)) / chunkShape[d]!;
        if (coordinate !== Math.floor(coordinate) || high > 0x1fffff) {
          throw formatError(file, `${what}chunk B-tree node at file offset ${address}: chunk offset in dimension ${d} is not a multiple of the chunk size; corrupt B-tree`);
        }
        if (coordinate >= gridShape[d]!) {
          flat = -1;
          break;
        }
        flat += coordinate * strides[d]!;
      }
      if (flat < 0) continue; // beyond the current extent
      const child =
        offsetSize === 8
          ? view.getUint32(p + keySize + 4, true) * 4294967296 + view.getUint32(p + keySize, true)
          : decodeAddress(view, p + keySize, offsetSize);
      emit(flat, child >= 9007199254740992 ? -1 : child, view.getUint32(p, true), view.getUint32(p + 4, true));
    }
  };
  let level: number[] = [context.address];
  let expectedLevel = -1;
  let levelOfNodes = -1;
  let next: number[] = [];
  // Checks and decodes one node; returns 0, or the byte count to read when `bytes` holds less of it.
  const processNode = (address: number, bytes: Uint8Array): number => {
    if (bytes.length < headerSize) {
      throw formatError(file, `${what}chunk B-tree node at file offset ${address} passes the end of the file; truncated or corrupt file`);
    }
    if (bytes[0] !== 0x54 || bytes[1] !== 0x52 || bytes[2] !== 0x45 || bytes[3] !== 0x45) {
      throw formatError(file, `${what}chunk B-tree node at file offset ${address}: bad signature (expected "TREE"); corrupt file or wrong address`);
    }
    if (bytes[4] !== 1) {
      throw formatError(file, `${what}B-tree node at file offset ${address} has node type ${bytes[4]}, expected 1 (raw data chunks)`);
    }
    const nodeLevel = bytes[5]!;
    if (expectedLevel >= 0 && nodeLevel !== expectedLevel) {
      throw formatError(file, `${what}chunk B-tree node at file offset ${address} has level ${nodeLevel}, expected ${expectedLevel}; corrupt B-tree`);
    }
    if (levelOfNodes >= 0 && nodeLevel !== levelOfNodes) {
      throw formatError(file, `${what}chunk B-tree nodes of one level have levels ${levelOfNodes} and ${nodeLevel}; corrupt B-tree`);
    }
    levelOfNodes = nodeLevel;
    const entries = bytes[6]! | (bytes[7]! << 8);
    const needed = headerSize + entries * entrySize + keySize;
    if (bytes.length < needed) return needed;
    const view = viewOf(bytes);
    if (nodeLevel === 0) {
      decodeLeaf(view, entries, address);
      return 0;
    }
    for (let e = 0, p = headerSize; e < entries; e++, p += entrySize) {
      const child = decodeAddress(view, p + keySize, offsetSize);
      if (!(child >= 0)) {
        throw formatError(file, `${what}chunk B-tree node at file offset ${address}: child ${e} has an invalid address; corrupt B-tree`);
      }
      const absolute = child + base;
      if (visited.has(absolute)) {
        throw formatError(file, `${what}chunk B-tree node at file offset ${absolute} is referenced twice (cycle); corrupt B-tree`);
      }
      visited.add(absolute);
      next.push(absolute);
    }
    return 0;
  };
  while (level.length > 0) {
    checkAborted(file, `${what}reading the chunk B-tree`);
    const segments = await readRanges(file, level.map((offset) => ({ offset, length: estimate })));
    next = [];
    levelOfNodes = -1;
    for (let n = 0; n < level.length; n++) {
      const needed = processNode(level[n]!, segments[n]!);
      // A node with more entries than assumed: read all of it (throws when it passes the end of the file).
      if (needed > 0 && processNode(level[n]!, await file.read(level[n]!, needed)) !== 0) {
        throw formatError(file, `${what}chunk B-tree node at file offset ${level[n]} changed while being read`);
      }
    }
    expectedLevel = levelOfNodes - 1;
    level = next;
  }
}
