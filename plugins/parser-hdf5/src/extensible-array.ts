/**
 * Extensible array chunk index (header "EAHD", index block "EAIB", secondary blocks "EASB", data
 * blocks "EADB", data block pages): used by layout version 4 for datasets with exactly one
 * unlimited dimension. Element i is the chunk with linear index i in C order over the chunk grid
 * of the maximum dims after moving the unlimited dimension first.
 * @module
 */
import type { ChunkIndexContext } from "./chunk-index.js";
import {
  checkAborted,
  decodeAddress,
  decodeUnsigned,
  expectSignature,
  LinearIndexMapper,
  log2Floor,
  maxGridShape,
  prefetchRanges,
  verifyChecksum,
  viewOf,
} from "./chunk-index-shared.js";
import { checkEntrySize, decodeChunkElements } from "./fixed-array.js";
import { formatError } from "./io.js";

interface SuperBlockInfo {
  /** Data blocks in this super block. */
  dataBlocks: number;
  /** Elements per data block. */
  elements: number;
  /** Index (after the index block's own elements) of the super block's first element. */
  start: number;
  /** Index of its first data block among all data blocks. */
  firstDataBlock: number;
}

interface DataBlockRead {
  /** Absolute file offset of the data block. */
  address: number;
  /** Linear index of its first element. */
  first: number;
  /** Elements to decode (the block's, capped at the highest index set). */
  count: number;
  /** Elements the block holds. */
  capacity: number;
  /** For a paged data block: page-init bitmap bytes and the bit index of its first page. */
  pageBitmap?: Uint8Array;
  firstPageBit?: number;
}

function isPowerOfTwo(value: number): boolean {
  return value > 0 && (value & (value - 1)) === 0;
}

/** Enumerates the chunks of an extensible array chunk index (see {@link readChunkIndex}). */
export async function readExtensibleArrayChunks(context: ChunkIndexContext): Promise<void> {
  const { file, info, grid, what, address } = context;
  const offsetSize = file.sizeOfOffsets;
  const lengthSize = file.sizeOfLengths;
  const headerSize = 12 + 6 * lengthSize + offsetSize + 4;
  const headerName = `extensible array header at file offset ${address}`;
  const header = await file.read(address, headerSize);
  expectSignature(file, header, "EAHD", `${what}extensible array header`, address);
  verifyChecksum(file, header, headerSize - 4, `${what}extensible array header`, address);
  if (header[4] !== 0) throw formatError(file, `${what}${headerName}: unsupported version ${header[4]}`);
  const view = viewOf(header);
  const clientId = header[5]!;
  const entrySize = header[6]!;
  const maxBits = header[7]!;
  const indexElements = header[8]!;
  const minElements = header[9]!;
  const minPointers = header[10]!;
  const pageBits = header[11]!;
  const maxIndexSet = decodeUnsigned(view, 12 + 4 * lengthSize, lengthSize);
  const indexBlock = decodeAddress(view, 12 + 6 * lengthSize, offsetSize);
  const filtered = checkEntrySize(context, clientId, entrySize, headerName);
  const corrupt = (reason: string) => formatError(file, `${what}${headerName}: ${reason}; corrupt file`);
  if (!isPowerOfTwo(minElements) || !isPowerOfTwo(minPointers) || maxBits > 64 || maxBits < log2Floor(minElements) || pageBits > 32) {
    throw corrupt(`invalid creation parameters (max bits ${maxBits}, min elements ${minElements}, min pointers ${minPointers}, page bits ${pageBits})`);
  }
  if (Number.isNaN(maxIndexSet) || Number.isNaN(indexBlock)) throw corrupt("invalid element count or index block address");
  if (indexBlock === -1 || maxIndexSet === 0) return;
  // (maxIndexSet may exceed what the file holds: data blocks are only allocated where chunks were written.)

  const unlimited = info.maxShape.flatMap((max, i) => (max === -1 ? [i] : []));
  if (unlimited.length !== 1) throw formatError(file, `${what}extensible array chunk index needs exactly one unlimited dimension, the dataset has ${unlimited.length}; corrupt layout`);
  const mapper = new LinearIndexMapper(grid, maxGridShape(info.maxShape, info.chunkShape), unlimited[0]!);

  // Super block geometry.
  const superBlockCount = 1 + maxBits - log2Floor(minElements);
  const superBlocks: SuperBlockInfo[] = [];
  for (let u = 0, start = 0, firstDataBlock = 0; u < superBlockCount; u++) {
    const dataBlocks = 2 ** Math.floor(u / 2);
    const elements = 2 ** Math.floor((u + 1) / 2) * minElements;
    superBlocks.push({ dataBlocks, elements, start, firstDataBlock });
    start += dataBlocks * elements;
    firstDataBlock += dataBlocks;
  }
  const indexSuperBlocks = 2 * log2Floor(minPointers);
  const indexDataBlockAddresses = 2 * (minPointers - 1);
  const secondaryAddresses = Math.max(0, superBlockCount - indexSuperBlocks);
  const arrayOffsetSize = Math.ceil(maxBits / 8);
  const pageElements = 2 ** pageBits;

  // Level 1: the index block.
  const indexAddress = indexBlock + file.baseAddress;
  const indexName = `extensible array index block at file offset ${indexAddress}`;
  const indexSize = 6 + offsetSize + indexElements * entrySize + (indexDataBlockAddresses + secondaryAddresses) * offsetSize + 4;
  const index = await file.read(indexAddress, indexSize);
  const checkPrefix = (bytes: Uint8Array, signature: string, kind: string, at: number) => {
    expectSignature(file, bytes, signature, `${what}extensible array ${kind}`, at);
    if (bytes[4] !== 0 || bytes[5] !== clientId || decodeAddress(viewOf(bytes), 6, offsetSize) !== info.address) {
      throw formatError(file, `${what}extensible array ${kind} at file offset ${at}: version, client id or header address does not match its header at ${address}; corrupt file`);
    }
  };
  checkPrefix(index, "EAIB", "index block", indexAddress);
  verifyChecksum(file, index, indexSize - 4, `${what}extensible array index block`, indexAddress);
  decodeChunkElements(context, mapper, index, 6 + offsetSize, 0, Math.min(indexElements, maxIndexSet), filtered, entrySize, indexName);
  const indexView = viewOf(index);

  const dataBlocks: DataBlockRead[] = [];
  const addDataBlock = (at: number, first: number, capacity: number, pageBitmap?: Uint8Array, firstPageBit?: number) => {
    if (first >= maxIndexSet) return;
    const read: DataBlockRead = { address: at, first, count: Math.min(capacity, maxIndexSet - first), capacity };
    if (pageBitmap) {
      read.pageBitmap = pageBitmap;
      read.firstPageBit = firstPageBit!;
    }
    dataBlocks.push(read);
  };
  const addressAt = (bytes: DataView, pos: number, kind: string): number => {
    const value = decodeAddress(bytes, pos, offsetSize);
    if (Number.isNaN(value)) throw formatError(file, `${what}extensible array ${kind}: invalid block address; corrupt file`);
    return value === -1 ? -1 : value + file.baseAddress;
  };
  let pos = 6 + offsetSize + indexElements * entrySize;
  for (let u = 0; u < Math.min(indexSuperBlocks, superBlockCount); u++) {
    const info = superBlocks[u]!;
    for (let j = 0; j < info.dataBlocks; j++) {
      const at = addressAt(indexView, pos + (info.firstDataBlock + j) * offsetSize, indexName);
      if (at === -1) continue;
      if (info.elements > pageElements) throw formatError(file, `${what}${indexName}: paged data block referenced from the index block is not supported by HDF5; corrupt file`);
      addDataBlock(at, indexElements + info.start + j * info.elements, info.elements);
    }
  }
  pos += indexDataBlockAddresses * offsetSize;
  const secondary: { address: number; superBlock: number }[] = [];
  for (let s = 0; s < secondaryAddresses; s++) {
    const at = addressAt(indexView, pos + s * offsetSize, indexName);
    const superBlock = indexSuperBlocks + s;
    if (at === -1 || indexElements + superBlocks[superBlock]!.start >= maxIndexSet) continue;
    secondary.push({ address: at, superBlock });
  }

  // Level 2: secondary blocks.
  const secondarySize = (superBlock: SuperBlockInfo) => {
    const pages = superBlock.elements > pageElements ? superBlock.elements / pageElements : 0;
    const bitmap = pages > 0 ? superBlock.dataBlocks * Math.ceil(pages / 8) : 0;
    return { bitmap, size: 6 + offsetSize + arrayOffsetSize + bitmap + superBlock.dataBlocks * offsetSize + 4 };
  };
  checkAborted(file, `${what}reading the extensible array`);
  await prefetchRanges(file, secondary.map((block) => ({ offset: block.address, length: secondarySize(superBlocks[block.superBlock]!).size })));
  for (const block of secondary) {
    const superBlock = superBlocks[block.superBlock]!;
    const { bitmap, size } = secondarySize(superBlock);
    const bytes = await file.read(block.address, size);
    checkPrefix(bytes, "EASB", "secondary block", block.address);
    verifyChecksum(file, bytes, size - 4, `${what}extensible array secondary block`, block.address);
    const blockView = viewOf(bytes);
    const bitmapStart = 6 + offsetSize + arrayOffsetSize;
    const pageBitmap = bitmap > 0 ? bytes.subarray(bitmapStart, bitmapStart + bitmap) : undefined;
    const pagesPerBlock = superBlock.elements / pageElements;
    const addresses = bitmapStart + bitmap;
    for (let j = 0; j < superBlock.dataBlocks; j++) {
      const at = addressAt(blockView, addresses + j * offsetSize, `secondary block at file offset ${block.address}`);
      if (at === -1) continue;
      addDataBlock(at, indexElements + superBlock.start + j * superBlock.elements, superBlock.elements, pageBitmap, j * pagesPerBlock);
    }
  }

  // Level 3: data blocks and data block pages.
  const prefixSize = 6 + offsetSize + arrayOffsetSize;
  const pageStride = pageElements * entrySize + 4;
  const ranges: { offset: number; length: number; block: DataBlockRead; page: number }[] = [];
  for (const block of dataBlocks) {
    if (!block.pageBitmap) {
      ranges.push({ offset: block.address, length: prefixSize + block.capacity * entrySize + 4, block, page: -1 });
      continue;
    }
    const pages = Math.ceil(block.count / pageElements);
    for (let page = 0; page < pages; page++) {
      const bit = block.firstPageBit! + page;
      if ((block.pageBitmap[bit >> 3]! & (0x80 >> (bit & 7))) === 0) continue;
      ranges.push({ offset: block.address + prefixSize + 4 + page * pageStride, length: pageElements * entrySize + 4, block, page });
    }
  }
  checkAborted(file, `${what}reading the extensible array`);
  const pagedPrefixes = dataBlocks.filter((block) => block.pageBitmap).map((block) => ({ offset: block.address, length: prefixSize + 4 }));
  await prefetchRanges(file, [...ranges, ...pagedPrefixes]);
  const checkedPrefixes = new Set<number>();
  for (const { offset, length, block, page } of ranges) {
    if (page < 0) {
      const bytes = await file.read(offset, length);
      checkPrefix(bytes, "EADB", "data block", offset);
      verifyChecksum(file, bytes, length - 4, `${what}extensible array data block`, offset);
      decodeChunkElements(context, mapper, bytes, prefixSize, block.first, block.count, filtered, entrySize, `extensible array data block at file offset ${offset}`);
      continue;
    }
    if (!checkedPrefixes.has(block.address)) {
      const prefix = await file.read(block.address, prefixSize + 4);
      checkPrefix(prefix, "EADB", "data block", block.address);
      verifyChecksum(file, prefix, prefixSize, `${what}extensible array data block`, block.address);
      checkedPrefixes.add(block.address);
    }
    const bytes = await file.read(offset, length);
    const pageName = `extensible array data block page at file offset ${offset}`;
    verifyChecksum(file, bytes, length - 4, `${what}${pageName}`, offset);
    const first = block.first + page * pageElements;
    const count = Math.min(pageElements, block.first + block.count - first);
    decodeChunkElements(context, mapper, bytes, 0, first, count, filtered, entrySize, pageName);
  }
}
