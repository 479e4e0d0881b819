/**
 * Fractal heaps (header "FRHP", direct blocks "FHDB", indirect blocks "FHIB"): where dense link
 * and attribute storage keep their messages. Reads managed objects (through any depth of
 * indirect blocks), tiny objects (stored in the heap ID) and huge objects (stored on their own,
 * located directly from the heap ID or through the heap's v2 B-tree). Checksums of the header,
 * indirect blocks and (when the heap checksums them) direct blocks are verified.
 * @module
 */
import { UnsupportedFeatureError } from "@vz/core";
import { forEachBTree2Record, readBTree2Header } from "./btree2.js";
import { decodeAddress, decodeUnsigned, expectSignature, log2Floor, verifyChecksum, viewOf } from "./chunk-index-shared.js";
import { formatError, type HdfFile, lookup3 } from "./io.js";

interface IndirectBlock {
  /** Heap-space offset of the block's first byte. */
  blockOffset: number;
  rows: number;
  /** Absolute addresses (or -1) of the child blocks, row-major. */
  children: number[];
}

interface HugeObject {
  address: number;
  length: number;
}

/** An opened fractal heap: `read(heapId)` returns an object's bytes. */
export class FractalHeap {
  readonly file: HdfFile;
  /** Absolute file offset of the heap header. */
  readonly address: number;
  readonly heapIdLength: number;
  readonly filtersLength: number;
  readonly flags: number;
  readonly maxManagedObjectSize: number;
  readonly hugeBTreeAddress: number;
  readonly tableWidth: number;
  readonly startingBlockSize: number;
  readonly maxDirectBlockSize: number;
  /** log2 of the maximum heap size (bits of a heap offset). */
  readonly maxHeapSizeBits: number;
  readonly rootAddress: number;
  readonly rootRows: number;
  /** Size of the filtered root direct block (when the heap has filters and the root is a direct block). */
  readonly rootFilteredSize: number;
  readonly #offsetBytes: number;
  readonly #lengthBytes: number;
  readonly #maxDirectRows: number;
  readonly #directBlocks = new Map<number, Promise<Uint8Array>>();
  readonly #indirectBlocks = new Map<number, Promise<IndirectBlock>>();
  #huge: Promise<Map<number, HugeObject>> | undefined;

  private constructor(file: HdfFile, address: number, view: DataView, bytes: Uint8Array) {
    this.file = file;
    this.address = address;
    const offsetSize = file.sizeOfOffsets;
    const lengthSize = file.sizeOfLengths;
    let p = 5;
    this.heapIdLength = view.getUint16(p, true);
    this.filtersLength = view.getUint16(p + 2, true);
    this.flags = bytes[p + 4]!;
    this.maxManagedObjectSize = view.getUint32(p + 5, true);
    p += 9;
    p += lengthSize; // next huge object ID
    const hugeBTree = decodeAddress(view, p, offsetSize);
    this.hugeBTreeAddress = hugeBTree;
    p += offsetSize;
    // free space (L), free-space manager (O), then managed space, allocated space, iterator offset,
    // managed count, huge size, huge count, tiny size, tiny count (8 × L)
    p += lengthSize + offsetSize + 8 * lengthSize;
    this.tableWidth = view.getUint16(p, true);
    this.startingBlockSize = decodeUnsigned(view, p + 2, lengthSize);
    this.maxDirectBlockSize = decodeUnsigned(view, p + 2 + lengthSize, lengthSize);
    p += 2 + 2 * lengthSize;
    this.maxHeapSizeBits = view.getUint16(p, true);
    p += 4; // max heap size, starting rows in root indirect block
    const root = decodeAddress(view, p, offsetSize);
    this.rootAddress = root === -1 || Number.isNaN(root) ? root : root + file.baseAddress;
    this.rootRows = view.getUint16(p + offsetSize, true);
    p += offsetSize + 2;
    this.rootFilteredSize = this.filtersLength > 0 ? decodeUnsigned(view, p, lengthSize) : 0;
    this.#offsetBytes = Math.ceil(this.maxHeapSizeBits / 8);
    const directOffsetBytes = Math.ceil(log2Floor(Math.max(1, this.maxDirectBlockSize)) / 8);
    const managedLengthBytes = Math.floor(log2Floor(Math.max(1, this.maxManagedObjectSize)) / 8) + 1;
    this.#lengthBytes = Math.min(directOffsetBytes, managedLengthBytes);
    this.#maxDirectRows = log2Floor(this.maxDirectBlockSize) - log2Floor(this.startingBlockSize) + 2;
  }

  /** Opens the heap whose header is at `address` (relative to the file's base address). */
  static async open(file: HdfFile, address: number): Promise<FractalHeap> {
    const absolute = address + file.baseAddress;
    const offsetSize = file.sizeOfOffsets;
    const lengthSize = file.sizeOfLengths;
    // Fixed part of the header (without the optional filter information).
    const fixed = 4 + 1 + 2 + 2 + 1 + 4 + lengthSize + offsetSize + lengthSize + offsetSize + 8 * lengthSize + 2 + 2 * lengthSize + 2 + 2 + offsetSize + 2;
    let bytes = await file.read(absolute, fixed);
    expectSignature(file, bytes, "FRHP", "fractal heap header", absolute);
    if (bytes[4] !== 0) throw formatError(file, `fractal heap header at file offset ${absolute}: unsupported version ${bytes[4]}`);
    const filtersLength = viewOf(bytes).getUint16(7, true);
    const total = fixed + (filtersLength > 0 ? lengthSize + 4 + filtersLength : 0) + 4;
    bytes = await file.read(absolute, total);
    verifyChecksum(file, bytes, total - 4, "fractal heap header", absolute);
    const heap = new FractalHeap(file, absolute, viewOf(bytes), bytes);
    heap.#validate();
    return heap;
  }

  #fail(reason: string): Error {
    return formatError(this.file, `fractal heap at file offset ${this.address}: ${reason}; corrupt file`);
  }

  #validate(): void {
    const { tableWidth, startingBlockSize, maxDirectBlockSize, maxHeapSizeBits } = this;
    const powerOfTwo = (value: number) => Number.isSafeInteger(value) && value > 0 && 2 ** log2Floor(value) === value;
    if (!powerOfTwo(tableWidth) || !powerOfTwo(startingBlockSize) || !powerOfTwo(maxDirectBlockSize) || maxDirectBlockSize < startingBlockSize) {
      throw this.#fail(`invalid doubling table (width ${tableWidth}, starting block ${startingBlockSize}, max direct block ${maxDirectBlockSize})`);
    }
    if (maxHeapSizeBits < 1 || maxHeapSizeBits > 64) throw this.#fail(`invalid maximum heap size (${maxHeapSizeBits} bits)`);
    if (Number.isNaN(this.rootAddress) || this.rootRows > 2 * maxHeapSizeBits) throw this.#fail("invalid root block");
    if (this.heapIdLength < 1) throw this.#fail(`heap ID length ${this.heapIdLength}`);
  }

  /** Size in bytes of the blocks of doubling-table row `row`. */
  #rowBlockSize(row: number): number {
    return row === 0 ? this.startingBlockSize : this.startingBlockSize * 2 ** (row - 1);
  }

  /** Heap-space offset of row `row` within an indirect block. */
  #rowOffset(row: number): number {
    return row === 0 ? 0 : this.startingBlockSize * this.tableWidth * 2 ** (row - 1);
  }

  /** The object whose heap ID is `heapId`. */
  async read(heapId: Uint8Array): Promise<Uint8Array> {
    if (heapId.length < 1) throw this.#fail("empty heap ID");
    const version = heapId[0]! >> 6;
    const type = (heapId[0]! >> 4) & 3;
    if (version !== 0) throw this.#fail(`heap ID version ${version}`);
    if (type === 0) return this.#readManaged(heapId);
    if (type === 1) return this.#readHuge(heapId);
    if (type === 2) return this.#readTiny(heapId);
    throw this.#fail(`heap ID of unknown type ${type}`);
  }

  #readTiny(heapId: Uint8Array): Uint8Array {
    const extended = this.heapIdLength > 18;
    const length = extended ? (((heapId[0]! & 0x0f) << 8) | (heapId[1] ?? 0)) + 1 : (heapId[0]! & 0x0f) + 1;
    const start = extended ? 2 : 1;
    if (start + length > heapId.length) throw this.#fail(`tiny object of ${length} bytes does not fit its ${heapId.length}-byte heap ID`);
    return heapId.slice(start, start + length);
  }

  async #readManaged(heapId: Uint8Array): Promise<Uint8Array> {
    if (1 + this.#offsetBytes + this.#lengthBytes > heapId.length) throw this.#fail(`managed heap ID of ${heapId.length} bytes is too short`);
    const view = viewOf(heapId);
    const offset = decodeUnsigned(view, 1, this.#offsetBytes);
    const length = decodeUnsigned(view, 1 + this.#offsetBytes, this.#lengthBytes);
    if (Number.isNaN(offset) || Number.isNaN(length) || length > this.maxManagedObjectSize) throw this.#fail(`managed object at heap offset ${offset} of ${length} bytes`);
    if (this.rootAddress === -1) throw this.#fail(`managed object at heap offset ${offset} but the heap has no blocks`);
    let blockAddress: number;
    let blockOffset: number;
    let blockSize: number;
    let filteredSize = 0;
    if (this.rootRows === 0) {
      blockAddress = this.rootAddress;
      blockOffset = 0;
      blockSize = this.startingBlockSize;
      filteredSize = this.rootFilteredSize;
    } else {
      let indirect = await this.#indirect(this.rootAddress, 0, this.rootRows);
      for (let depth = 0; ; depth++) {
        if (depth > 64) throw this.#fail("indirect blocks nested too deeply");
        const relative = offset - indirect.blockOffset;
        const firstRowSpan = this.startingBlockSize * this.tableWidth;
        const row = relative < firstRowSpan ? 0 : log2Floor(Math.floor(relative / firstRowSpan)) + 1;
        if (row >= indirect.rows) throw this.#fail(`heap offset ${offset} is outside the indirect block at heap offset ${indirect.blockOffset}`);
        const size = this.#rowBlockSize(row);
        const column = Math.floor((relative - this.#rowOffset(row)) / size);
        const child = indirect.children[row * this.tableWidth + column]!;
        const childOffset = indirect.blockOffset + this.#rowOffset(row) + column * size;
        if (child === -1) throw this.#fail(`heap offset ${offset} lies in a block that was never allocated`);
        if (row < this.#maxDirectRows) {
          blockAddress = child;
          blockOffset = childOffset;
          blockSize = size;
          break;
        }
        const childRows = log2Floor(size) - log2Floor(firstRowSpan) + 1;
        indirect = await this.#indirect(child, childOffset, childRows);
      }
    }
    if (filteredSize > 0 || this.filtersLength > 0) {
      throw new UnsupportedFeatureError("hdf5-filtered-fractal-heap", `HDF5 ${this.file.url}: fractal heap at file offset ${this.address} has filtered (compressed) blocks, which vz does not read`, { url: this.file.url });
    }
    const block = await this.#direct(blockAddress, blockOffset, blockSize);
    const start = offset - blockOffset;
    if (start < this.#directHeaderSize() || start + length > block.length) {
      throw this.#fail(`managed object at heap offset ${offset} (${length} bytes) does not fit its direct block at file offset ${blockAddress}`);
    }
    return block.slice(start, start + length);
  }

  #directHeaderSize(): number {
    return 5 + this.file.sizeOfOffsets + this.#offsetBytes + ((this.flags & 2) !== 0 ? 4 : 0);
  }

  #direct(address: number, blockOffset: number, size: number): Promise<Uint8Array> {
    let block = this.#directBlocks.get(address);
    if (!block) {
      block = (async () => {
        const bytes = await this.file.read(address, size);
        expectSignature(this.file, bytes, "FHDB", "fractal heap direct block", address);
        const view = viewOf(bytes);
        const offsetSize = this.file.sizeOfOffsets;
        if (bytes[4] !== 0 || decodeAddress(view, 5, offsetSize) + this.file.baseAddress !== this.address) {
          throw this.#fail(`direct block at file offset ${address} has another version or heap header address`);
        }
        const storedOffset = decodeUnsigned(view, 5 + offsetSize, this.#offsetBytes);
        if (storedOffset !== blockOffset) throw this.#fail(`direct block at file offset ${address} has heap offset ${storedOffset}, expected ${blockOffset}`);
        if ((this.flags & 2) !== 0) {
          // The checksum covers the whole block with the checksum field zeroed.
          const at = 5 + offsetSize + this.#offsetBytes;
          const copy = bytes.slice();
          copy.fill(0, at, at + 4);
          const stored = view.getUint32(at, true);
          const expected = lookup3(copy);
          if (stored !== expected) {
            throw formatError(this.file, `fractal heap direct block at file offset ${address}: checksum mismatch (stored 0x${stored.toString(16)}, computed 0x${expected.toString(16)}); corrupt file`);
          }
        }
        return bytes;
      })();
      block.catch(() => this.#directBlocks.delete(address));
      this.#directBlocks.set(address, block);
    }
    return block;
  }

  #indirect(address: number, blockOffset: number, rows: number): Promise<IndirectBlock> {
    let block = this.#indirectBlocks.get(address);
    if (!block) {
      block = (async () => {
        const offsetSize = this.file.sizeOfOffsets;
        const directEntries = Math.min(rows, this.#maxDirectRows) * this.tableWidth;
        const indirectEntries = Math.max(0, rows - this.#maxDirectRows) * this.tableWidth;
        const filteredExtra = this.filtersLength > 0 ? this.file.sizeOfLengths + 4 : 0;
        const headerSize = 5 + offsetSize + this.#offsetBytes;
        const size = headerSize + directEntries * (offsetSize + filteredExtra) + indirectEntries * offsetSize + 4;
        const bytes = await this.file.read(address, size);
        expectSignature(this.file, bytes, "FHIB", "fractal heap indirect block", address);
        verifyChecksum(this.file, bytes, size - 4, "fractal heap indirect block", address);
        const view = viewOf(bytes);
        if (bytes[4] !== 0 || decodeAddress(view, 5, offsetSize) + this.file.baseAddress !== this.address) {
          throw this.#fail(`indirect block at file offset ${address} has another version or heap header address`);
        }
        const storedOffset = decodeUnsigned(view, 5 + offsetSize, this.#offsetBytes);
        if (storedOffset !== blockOffset) throw this.#fail(`indirect block at file offset ${address} has heap offset ${storedOffset}, expected ${blockOffset}`);
        const children: number[] = [];
        let p = headerSize;
        for (let i = 0; i < directEntries + indirectEntries; i++) {
          const child = decodeAddress(view, p, offsetSize);
          if (Number.isNaN(child)) throw this.#fail(`indirect block at file offset ${address}: invalid child address`);
          children.push(child === -1 ? -1 : child + this.file.baseAddress);
          p += offsetSize + (i < directEntries ? filteredExtra : 0);
        }
        return { blockOffset, rows, children };
      })();
      block.catch(() => this.#indirectBlocks.delete(address));
      this.#indirectBlocks.set(address, block);
    }
    return block;
  }

  async #readHuge(heapId: Uint8Array): Promise<Uint8Array> {
    const offsetSize = this.file.sizeOfOffsets;
    const lengthSize = this.file.sizeOfLengths;
    if (this.filtersLength > 0) {
      throw new UnsupportedFeatureError("hdf5-filtered-fractal-heap", `HDF5 ${this.file.url}: fractal heap at file offset ${this.address} has filtered huge objects, which vz does not read`, { url: this.file.url });
    }
    const view = viewOf(heapId);
    let object: HugeObject | undefined;
    if (this.heapIdLength - 1 >= offsetSize + lengthSize) {
      // Directly accessed: the ID holds the object's address and length.
      if (heapId.length < 1 + offsetSize + lengthSize) throw this.#fail("huge object heap ID is too short");
      const address = decodeAddress(view, 1, offsetSize);
      const length = decodeUnsigned(view, 1 + offsetSize, lengthSize);
      if (!(address >= 0) || Number.isNaN(length)) throw this.#fail("huge object heap ID with an invalid address or length");
      object = { address: address + this.file.baseAddress, length };
    } else {
      const idSize = Math.min(8, this.heapIdLength - 1);
      const id = decodeUnsigned(view, 1, Math.min(idSize, heapId.length - 1));
      object = (await this.#hugeObjects()).get(id);
      if (!object) throw this.#fail(`huge object ${id} is not in the heap's huge-object B-tree`);
    }
    return (await this.file.read(object.address, object.length)).slice();
  }

  /** The huge objects by ID, read once from the heap's v2 B-tree (record type 1). */
  #hugeObjects(): Promise<Map<number, HugeObject>> {
    if (!this.#huge) {
      this.#huge = (async () => {
        const objects = new Map<number, HugeObject>();
        if (this.hugeBTreeAddress === -1) return objects;
        const header = await readBTree2Header(this.file, this.hugeBTreeAddress + this.file.baseAddress, "fractal heap huge-object v2 B-tree");
        if (header.type !== 1) throw this.#fail(`huge-object B-tree has record type ${header.type}, expected 1`);
        const offsetSize = this.file.sizeOfOffsets;
        const lengthSize = this.file.sizeOfLengths;
        await forEachBTree2Record(this.file, header, (_bytes, view, pos) => {
          const address = decodeAddress(view, pos, offsetSize);
          const length = decodeUnsigned(view, pos + offsetSize, lengthSize);
          const id = decodeUnsigned(view, pos + offsetSize + lengthSize, lengthSize);
          if (!(address >= 0) || Number.isNaN(length) || Number.isNaN(id)) throw this.#fail("invalid huge-object record");
          objects.set(id, { address: address + this.file.baseAddress, length });
        });
        return objects;
      })();
    }
    return this.#huge;
  }
}
