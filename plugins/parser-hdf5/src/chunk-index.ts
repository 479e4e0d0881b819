/**
 * Enumerates the allocated chunks of a chunked dataset from its chunk index, for every index type
 * of data layout messages version 3 (B-tree v1) and 4 (single chunk, implicit, fixed array,
 * extensible array, v2 B-tree).
 * @module
 */
import { readBTree1Chunks } from "./btree1-chunks.js";
import { forEachBTree2Record, readBTree2Header } from "./btree2.js";
import { ALL_FILTERS_SKIPPED, ChunkGrid, checkAborted, decodeAddress, decodeUnsigned, maxGridShape } from "./chunk-index-shared.js";
import { readExtensibleArrayChunks } from "./extensible-array.js";
import { readFixedArrayChunks } from "./fixed-array.js";
import { formatError, type HdfFile, UNDEFINED_ADDRESS } from "./io.js";

/** What {@link readChunkIndex} needs from a dataset's layout, dataspace and filter pipeline messages. */
export interface ChunkIndexInfo {
  layoutVersion: 3 | 4;
  indexType: "btree-v1" | "single" | "implicit" | "fixed-array" | "extensible-array" | "btree-v2";
  /** Chunk index address from the layout message, relative to the file's base address (UNDEFINED_ADDRESS = never written → no chunks). */
  address: number;
  /** Dataspace current dims. */
  shape: number[];
  /** Dataspace max dims (unlimited given as -1). */
  maxShape: number[];
  /** Chunk dims in elements (without the trailing element-size dim of the layout message). */
  chunkShape: number[];
  elementSize: number;
  /** The dataset has a filter pipeline message. */
  filtered: boolean;
  /** v4 layout flags (bit 0: partial edge chunks are stored unfiltered; bit 1: single chunk is filtered). */
  layoutFlags?: number;
  /** v4 single chunk, filtered case (from the layout message). */
  singleChunk?: { size: number; filterMask: number };
  /** v4 index-specific fields decoded from the layout message (informational: the index structures' own headers are authoritative). */
  indexParams?: Record<string, number>;
  /** Dataset path, used in error messages only. */
  name?: string;
}

/** Receives one allocated chunk. */
export type ChunkCallback = (flatIndex: number, address: number, size: number, filterMask: number) => void;

/** The context every index reader gets. */
export interface ChunkIndexContext {
  file: HdfFile;
  info: ChunkIndexInfo;
  grid: ChunkGrid;
  /** Uncompressed bytes of one chunk (product of chunk dims × element size). */
  chunkBytes: number;
  /** Prefix for error messages ("dataset /x: "). */
  what: string;
  /** Absolute index address (base address added). */
  address: number;
  /** Takes a chunk address relative to the base address; checks it lies in the file and forwards it to the caller's callback. */
  emit: ChunkCallback;
}

/**
 * Calls `onChunk` for every allocated chunk: its flat C-order index in the chunk grid (grid =
 * ceil(shape / chunkShape)), its stored file address (relative to the base address, like every
 * address in the file: `file.absolute(address)` is the byte offset), its stored size in
 * bytes and its filter mask (bit i set = filter i of the pipeline was not applied; a partial edge
 * chunk of a dataset whose layout flag bit 0 is set reports {@link ALL_FILTERS_SKIPPED}).
 * Chunks outside the current extent are skipped. Corrupt or inconsistent structures raise a
 * ParseError naming the file, the dataset and the structure's offset.
 */
export async function readChunkIndex(file: HdfFile, info: ChunkIndexInfo, onChunk: ChunkCallback): Promise<void> {
  const what = info.name ? `dataset ${info.name}: ` : "";
  validateInfo(file, info, what);
  if (info.address === UNDEFINED_ADDRESS) return;
  const grid = new ChunkGrid(info.shape, info.chunkShape);
  if (grid.chunkCount === 0) return;
  const chunkBytes = info.chunkShape.reduce((a, b) => a * b, info.elementSize);
  if (!Number.isSafeInteger(chunkBytes)) throw formatError(file, `${what}chunk of ${info.chunkShape.join("x")} elements is too large`);
  const base = file.baseAddress;
  const fileSize = file.size;
  const total = grid.chunkCount;
  const edgeUnfiltered = info.filtered && ((info.layoutFlags ?? 0) & 1) === 1;
  const emit: ChunkCallback = (flatIndex, address, size, filterMask) => {
    const absolute = address + base;
    if (!(address >= 0) || absolute + size > fileSize || !(size >= 0)) {
      throw formatError(
        file,
        `${what}chunk ${flatIndex} at file offset ${absolute} (${size} bytes) is outside the file (${fileSize} bytes); truncated or corrupt file`,
      );
    }
    if (!(flatIndex >= 0 && flatIndex < total)) {
      throw formatError(file, `${what}chunk index ${flatIndex} outside the chunk grid of ${total} chunks; corrupt chunk index`);
    }
    if (edgeUnfiltered && grid.isPartialEdge(flatIndex)) onChunk(flatIndex, address, size, ALL_FILTERS_SKIPPED);
    else onChunk(flatIndex, address, size, filterMask);
  };
  const context: ChunkIndexContext = { file, info, grid, chunkBytes, what, address: info.address + base, emit };
  checkAborted(file, `${what}reading the chunk index`);
  switch (info.indexType) {
    case "btree-v1":
      return readBTree1Chunks(context);
    case "single":
      return readSingleChunk(context);
    case "implicit":
      return readImplicitChunks(context);
    case "fixed-array":
      return readFixedArrayChunks(context);
    case "extensible-array":
      return readExtensibleArrayChunks(context);
    case "btree-v2":
      return readBTree2Chunks(context);
    default:
      throw formatError(file, `${what}unknown chunk index type ${String(info.indexType)}`);
  }
}

function validateInfo(file: HdfFile, info: ChunkIndexInfo, what: string): void {
  const rank = info.shape.length;
  const fail = (reason: string) => formatError(file, `${what}invalid chunk layout: ${reason}`);
  if (rank === 0) throw fail("a chunked dataset needs at least one dimension");
  if (info.chunkShape.length !== rank || info.maxShape.length !== rank) {
    throw fail(`rank of shape (${rank}), max shape (${info.maxShape.length}) and chunk shape (${info.chunkShape.length}) differ`);
  }
  for (let i = 0; i < rank; i++) {
    if (!Number.isSafeInteger(info.shape[i]) || info.shape[i]! < 0) throw fail(`dimension ${i} has size ${info.shape[i]}`);
    if (!Number.isSafeInteger(info.chunkShape[i]) || info.chunkShape[i]! < 1) throw fail(`chunk dimension ${i} is ${info.chunkShape[i]}`);
    const max = info.maxShape[i]!;
    if (!Number.isSafeInteger(max) || (max !== -1 && max < info.shape[i]!)) throw fail(`max dimension ${i} is ${max}`);
  }
  if (!Number.isSafeInteger(info.elementSize) || info.elementSize < 1) throw fail(`element size ${info.elementSize}`);
  if (info.address !== UNDEFINED_ADDRESS && !(Number.isSafeInteger(info.address) && info.address >= 0)) {
    throw fail(`chunk index address ${info.address}`);
  }
}

async function readSingleChunk(context: ChunkIndexContext): Promise<void> {
  const { info, file, what } = context;
  const filteredChunk = info.filtered || ((info.layoutFlags ?? 0) & 2) !== 0;
  if (filteredChunk) {
    if (!info.singleChunk) throw formatError(file, `${what}filtered single-chunk layout without the chunk's size in the layout message`);
    context.emit(0, info.address, info.singleChunk.size, info.singleChunk.filterMask);
  } else {
    context.emit(0, info.address, context.chunkBytes, 0);
  }
}

async function readImplicitChunks(context: ChunkIndexContext): Promise<void> {
  const { info, grid, chunkBytes, file, what } = context;
  if (info.maxShape.some((max) => max === -1)) {
    throw formatError(file, `${what}implicit chunk index with an unlimited dimension; corrupt layout`);
  }
  const maxGrid = maxGridShape(info.maxShape, info.chunkShape);
  const maxChunks = maxGrid.reduce((a, b) => a * b, 1);
  if (info.address + maxChunks * chunkBytes + file.baseAddress > file.size) {
    throw formatError(file, `${what}implicit chunk index: ${maxChunks} chunks of ${chunkBytes} bytes at ${info.address} pass the end of the file; truncated file`);
  }
  // Linear index over the max grid; enumerate the current grid with an odometer.
  const rank = grid.rank;
  const maxDowns = new Array<number>(rank).fill(1);
  for (let i = rank - 2; i >= 0; i--) maxDowns[i] = maxDowns[i + 1]! * maxGrid[i + 1]!;
  const coordinates = new Array<number>(rank).fill(0);
  for (let flat = 0; flat < grid.chunkCount; flat++) {
    let linear = 0;
    for (let i = 0; i < rank; i++) linear += coordinates[i]! * maxDowns[i]!;
    context.emit(flat, info.address + linear * chunkBytes, chunkBytes, 0);
    for (let i = rank - 1; i >= 0; i--) {
      coordinates[i]!++;
      if (coordinates[i]! < grid.gridShape[i]!) break;
      coordinates[i] = 0;
    }
  }
}

async function readBTree2Chunks(context: ChunkIndexContext): Promise<void> {
  const { file, grid, what } = context;
  const header = await readBTree2Header(file, context.address, `${what}chunk index v2 B-tree`);
  const rank = grid.rank;
  const offsetSize = file.sizeOfOffsets;
  let sizeLength = 0;
  if (header.type === 10) {
    if (header.recordSize !== offsetSize + 8 * rank) {
      throw formatError(file, `${what}v2 B-tree at ${context.address}: record size ${header.recordSize} does not fit unfiltered chunks of rank ${rank}`);
    }
  } else if (header.type === 11) {
    sizeLength = header.recordSize - offsetSize - 4 - 8 * rank;
    if (sizeLength < 1 || sizeLength > 8) {
      throw formatError(file, `${what}v2 B-tree at ${context.address}: record size ${header.recordSize} does not fit filtered chunks of rank ${rank}`);
    }
  } else {
    throw formatError(file, `${what}v2 B-tree at ${context.address} has record type ${header.type}, expected 10 or 11 (chunk records)`);
  }
  const filteredRecords = header.type === 11;
  const chunkBytes = context.chunkBytes;
  const strides = grid.strides;
  const gridShape = grid.gridShape;
  const emit = context.emit;
  await forEachBTree2Record(file, header, (_bytes, view, pos) => {
    const address = decodeAddress(view, pos, offsetSize);
    let p = pos + offsetSize;
    let size = chunkBytes;
    let mask = 0;
    if (filteredRecords) {
      size = decodeUnsigned(view, p, sizeLength);
      p += sizeLength;
      mask = view.getUint32(p, true);
      p += 4;
    }
    let flat = 0;
    for (let i = 0; i < rank; i++, p += 8) {
      const high = view.getUint32(p + 4, true);
      if (high > 0x1fffff) throw formatError(file, `${what}v2 B-tree chunk record with an invalid scaled offset; corrupt file`);
      const coordinate = high * 4294967296 + view.getUint32(p, true);
      if (coordinate >= gridShape[i]!) {
        flat = -1;
        break;
      }
      flat += coordinate * strides[i]!;
    }
    if (flat < 0 || address === -1) return;
    if (Number.isNaN(address) || Number.isNaN(size)) throw formatError(file, `${what}v2 B-tree chunk record with an invalid address or size; corrupt file`);
    emit(flat, address, size, mask);
  });
}
