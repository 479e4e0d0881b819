/**
 * The global heap ("GCOL" collections), where HDF5 keeps variable-length data: vlen strings and
 * sequences of datasets and attributes (e.g. netCDF4's DIMENSION_LIST).
 * @module
 */
import { Cursor, formatError, type HdfFile } from "./io.js";

/** Reads global heap objects; collections are cached per address. */
export class GlobalHeap {
  readonly file: HdfFile;
  readonly #collections = new Map<number, Promise<Map<number, Uint8Array>>>();

  constructor(file: HdfFile) {
    this.file = file;
  }

  /** The object `index` of the collection at stored address `address`. */
  async read(address: number, index: number): Promise<Uint8Array> {
    let collection = this.#collections.get(address);
    if (!collection) {
      collection = this.#readCollection(address);
      this.#collections.set(address, collection);
    }
    const objects = await collection;
    const object = objects.get(index);
    if (!object) throw formatError(this.file, `global heap collection at ${address} has no object ${index}; corrupt file`);
    return object;
  }

  async #readCollection(address: number): Promise<Map<number, Uint8Array>> {
    const file = this.file;
    const start = file.absolute(address);
    const head = await file.cursor(start, 8 + file.sizeOfLengths);
    head.signature("GCOL", "global heap collection");
    const version = head.u8();
    if (version !== 1) throw formatError(file, `global heap collection at ${start}: unsupported version ${version}`);
    head.skip(3);
    const size = head.length();
    if (size < 16 || start + size > file.size) {
      throw formatError(file, `global heap collection at ${start}: size ${size} passes the end of the file (${file.size} bytes); corrupt or truncated`);
    }
    // the library aligns the collection header and each object header to 8 bytes
    const align = (n: number) => Math.ceil(n / 8) * 8;
    const objectHeaderSize = align(8 + file.sizeOfLengths);
    const c = new Cursor(await file.read(start, size), file, start, align(head.pos));
    const objects = new Map<number, Uint8Array>();
    while (c.remaining >= objectHeaderSize) {
      const objectStart = c.pos;
      const index = c.u16();
      c.u16(); // reference count
      c.skip(4);
      const objectSize = c.length();
      c.pos = objectStart + objectHeaderSize;
      if (index === 0) break; // free space: the rest of the collection
      if (objectSize > c.remaining) {
        throw formatError(file, `global heap collection at ${start}: object ${index} of ${objectSize} bytes passes the collection end; corrupt file`);
      }
      objects.set(index, c.take(objectSize));
      c.skip(Math.min(c.remaining, (8 - (objectSize % 8)) % 8));
    }
    return objects;
  }
}

/** A decoded vlen element descriptor: element count, collection address, object index. */
export interface VlenDescriptor {
  count: number;
  address: number;
  index: number;
}

/** Decodes the `4 + sizeOfOffsets + 4` byte descriptor stored for each vlen element. */
export function decodeVlenDescriptor(c: Cursor): VlenDescriptor {
  const count = c.u32();
  const address = c.offset();
  const index = c.u32();
  return { count, address, index };
}
