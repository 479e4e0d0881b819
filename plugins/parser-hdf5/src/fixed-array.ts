/**
 * Fixed array chunk index (header "FAHD", data block "FADB", optionally paged): used by layout
 * version 4 for datasets with fixed maximum dims and more than one chunk. Element i is the
 * chunk with linear index i in C order over the chunk grid of the maximum dims.
 * @module
 */
import type { ChunkIndexContext } from "./chunk-index.js";
import {
  checkAborted,
  decodeAddress,
  decodeUnsigned,
  expectSignature,
  LinearIndexMapper,
  prefetchRanges,
  verifyChecksum,
  viewOf,
} from "./chunk-index-shared.js";
import { formatError } from "./io.js";

/** Decodes `count` fixed/extensible array chunk elements starting at `bytes[pos]`, whose first has linear index `first`. */
export function decodeChunkElements(
  context: ChunkIndexContext,
  mapper: LinearIndexMapper,
  bytes: Uint8Array,
  pos: number,
  first: number,
  count: number,
  filtered: boolean,
  entrySize: number,
  where: string,
): void {
  const { file, emit, chunkBytes } = context;
  const view = viewOf(bytes);
  const offsetSize = file.sizeOfOffsets;
  const sizeLength = entrySize - offsetSize - 4;
  let p = pos;
  for (let i = 0; i < count; i++, p += entrySize) {
    const address = decodeAddress(view, p, offsetSize);
    if (address === -1) continue;
    const flat = mapper.flatIndex(first + i);
    if (flat < 0) continue; // outside the current extent
    let size = chunkBytes;
    let mask = 0;
    if (filtered) {
      size = decodeUnsigned(view, p + offsetSize, sizeLength);
      mask = view.getUint32(p + offsetSize + sizeLength, true);
    }
    if (Number.isNaN(address) || Number.isNaN(size)) {
      throw formatError(file, `${context.what}${where}: element ${first + i} has an invalid address or size; corrupt file`);
    }
    emit(flat, address, size, mask);
  }
}

/** Checks an element size against the client (0 = unfiltered chunks, 1 = filtered chunks). */
export function checkEntrySize(context: ChunkIndexContext, clientId: number, entrySize: number, where: string): boolean {
  const { file, what } = context;
  const offsetSize = file.sizeOfOffsets;
  if (clientId === 0) {
    if (entrySize !== offsetSize) throw formatError(file, `${what}${where}: element size ${entrySize} for unfiltered chunks, expected ${offsetSize}; corrupt file`);
    return false;
  }
  if (clientId === 1) {
    const sizeLength = entrySize - offsetSize - 4;
    if (sizeLength < 1 || sizeLength > 8) throw formatError(file, `${what}${where}: element size ${entrySize} for filtered chunks; corrupt file`);
    return true;
  }
  throw formatError(file, `${what}${where}: unknown client id ${clientId} (expected 0 or 1, chunk addresses)`);
}

/** Enumerates the chunks of a fixed array chunk index (see {@link readChunkIndex}). */
export async function readFixedArrayChunks(context: ChunkIndexContext): Promise<void> {
  const { file, info, grid, what, address } = context;
  const offsetSize = file.sizeOfOffsets;
  const lengthSize = file.sizeOfLengths;
  const headerSize = 8 + lengthSize + offsetSize + 4;
  const headerName = "fixed array header";
  const header = await file.read(address, headerSize);
  expectSignature(file, header, "FAHD", `${what}${headerName}`, address);
  verifyChecksum(file, header, headerSize - 4, `${what}${headerName}`, address);
  if (header[4] !== 0) throw formatError(file, `${what}${headerName} at file offset ${address}: unsupported version ${header[4]}`);
  const view = viewOf(header);
  const clientId = header[5]!;
  const entrySize = header[6]!;
  const pageBits = header[7]!;
  const entries = decodeUnsigned(view, 8, lengthSize);
  const dataBlock = decodeAddress(view, 8 + lengthSize, offsetSize);
  const where = `${headerName} at file offset ${address}`;
  const filtered = checkEntrySize(context, clientId, entrySize, where);
  if (Number.isNaN(dataBlock) || Number.isNaN(entries) || entries * entrySize > file.size || pageBits > 32) {
    throw formatError(file, `${what}${where}: ${entries} elements / page bits ${pageBits} / data block ${dataBlock}; corrupt file`);
  }
  if (dataBlock === -1) return;
  if (info.maxShape.some((max) => max === -1)) throw formatError(file, `${what}fixed array chunk index for a dataset with an unlimited dimension; corrupt layout`);
  const maxGrid = info.maxShape.map((max, i) => Math.ceil(max / info.chunkShape[i]!));
  const expected = maxGrid.reduce((a, b) => a * b, 1);
  if (entries !== expected) {
    throw formatError(file, `${what}${where} has ${entries} elements but the chunk grid of the maximum dims has ${expected} chunks; corrupt file`);
  }
  const mapper = new LinearIndexMapper(grid, maxGrid);
  const blockAddress = dataBlock + file.baseAddress;
  const blockName = `fixed array data block at file offset ${blockAddress}`;
  const common = 6 + offsetSize;
  const checkBlockPrefix = (bytes: Uint8Array) => {
    expectSignature(file, bytes, "FADB", `${what}fixed array data block`, blockAddress);
    if (bytes[4] !== 0 || bytes[5] !== clientId || decodeAddress(viewOf(bytes), 6, offsetSize) !== info.address) {
      throw formatError(file, `${what}${blockName}: version, client id or header address does not match its header at ${address}; corrupt file`);
    }
  };
  const pageElements = 2 ** pageBits;
  if (entries <= pageElements) {
    const total = common + entries * entrySize + 4;
    const bytes = await file.read(blockAddress, total);
    checkBlockPrefix(bytes);
    verifyChecksum(file, bytes, total - 4, `${what}fixed array data block`, blockAddress);
    decodeChunkElements(context, mapper, bytes, common, 0, entries, filtered, entrySize, blockName);
    return;
  }
  const pageCount = Math.ceil(entries / pageElements);
  const bitmapBytes = Math.ceil(pageCount / 8);
  const prefix = common + bitmapBytes + 4;
  const bytes = await file.read(blockAddress, prefix);
  checkBlockPrefix(bytes);
  verifyChecksum(file, bytes, prefix - 4, `${what}fixed array data block`, blockAddress);
  const pageStride = pageElements * entrySize + 4;
  const pages: { page: number; offset: number; length: number; count: number }[] = [];
  for (let page = 0; page < pageCount; page++) {
    // Page-init bitmap: bit `page`, most significant bit of each byte first.
    if ((bytes[common + (page >> 3)]! & (0x80 >> (page & 7))) === 0) continue;
    const count = Math.min(pageElements, entries - page * pageElements);
    pages.push({ page, offset: blockAddress + prefix + page * pageStride, length: count * entrySize + 4, count });
  }
  checkAborted(file, `${what}reading the fixed array`);
  await prefetchRanges(file, pages);
  for (const { page, offset, length, count } of pages) {
    const pageBytes = await file.read(offset, length);
    const pageName = `fixed array data block page ${page}`;
    verifyChecksum(file, pageBytes, length - 4, `${what}${pageName}`, offset);
    decodeChunkElements(context, mapper, pageBytes, 0, page * pageElements, count, filtered, entrySize, `${pageName} at file offset ${offset}`);
  }
}
