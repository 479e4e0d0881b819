/**
 * The HDF5 superblock (versions 0–3): where it is (offset 0 or after a user block of 512, 1024,
 * 2048, ... bytes), the sizes of offsets and lengths, the base address and the root group.
 * @module
 */
import { formatError, type HdfFile, UNDEFINED_ADDRESS } from "./io.js";

/** The eight signature bytes of an HDF5 file: `\x89HDF\r\n\x1a\n`. */
export const HDF5_SIGNATURE = new Uint8Array([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/** What the parser needs from the superblock. */
export interface Superblock {
  version: number;
  /** File offset of the superblock signature (the user block size). */
  superblockOffset: number;
  /** Absolute file offset that every stored address is relative to. */
  baseAddress: number;
  sizeOfOffsets: number;
  sizeOfLengths: number;
  /** Address (relative to the base) of the root group's object header. */
  rootObjectHeader: number;
  /** Superblock extension address (v2/v3), UNDEFINED_ADDRESS when absent. */
  extensionAddress: number;
}

/** True when `bytes` holds the HDF5 signature at `offset`. */
export function hasSignatureAt(bytes: Uint8Array, offset: number): boolean {
  if (offset + HDF5_SIGNATURE.length > bytes.length) return false;
  for (let i = 0; i < HDF5_SIGNATURE.length; i++) if (bytes[offset + i] !== HDF5_SIGNATURE[i]) return false;
  return true;
}

/** Candidate superblock offsets: 0, 512, 1024, 2048, ... below `size`. */
export function* superblockCandidates(size: number): Generator<number> {
  yield 0;
  for (let offset = 512; offset < size; offset *= 2) yield offset;
}

/** Finds and decodes the superblock; sets the file's offset/length sizes and base address. */
export async function readSuperblock(file: HdfFile): Promise<Superblock> {
  let found = -1;
  for (const offset of superblockCandidates(file.size)) {
    if (offset + 8 > file.size) break;
    if (hasSignatureAt(await file.read(offset, 8), 0)) {
      found = offset;
      break;
    }
  }
  if (found < 0) throw formatError(file, "not an HDF5 file: no HDF5 signature at offset 0, 512, 1024, ...");
  const head = await file.cursor(found, Math.min(file.size - found, 8 + 16));
  head.skip(8);
  const version = head.u8();
  if (version > 3) throw formatError(file, `unsupported superblock version ${version} at offset ${found}`);
  let sizeOfOffsets: number;
  let sizeOfLengths: number;
  if (version <= 1) {
    head.skip(4); // free-space, root symbol table, reserved, shared header versions
    sizeOfOffsets = head.u8();
    sizeOfLengths = head.u8();
  } else {
    sizeOfOffsets = head.u8();
    sizeOfLengths = head.u8();
  }
  for (const [what, size] of [["offsets", sizeOfOffsets], ["lengths", sizeOfLengths]] as const) {
    if (![2, 4, 8].includes(size)) throw formatError(file, `superblock at ${found}: invalid size of ${what} ${size}`);
  }
  file.sizeOfOffsets = sizeOfOffsets;
  file.sizeOfLengths = sizeOfLengths;
  const O = sizeOfOffsets;
  if (version <= 1) {
    // sig 8, version 1, 4 version bytes, sizes 2, reserved 1, leaf K 2, internal K 2, flags 4, [v1: K 2 + reserved 2]
    const fixed = 8 + 1 + 4 + 2 + 1 + 2 + 2 + 4 + (version === 1 ? 4 : 0);
    const total = fixed + 4 * O + (O + O + 4 + 4 + 16);
    const c = await file.cursor(found, Math.min(total, file.size - found));
    c.skip(fixed);
    const storedBase = c.offset();
    c.offset(); // free-space info (reserved)
    c.offset(); // end of file address
    c.offset(); // driver information block
    c.offset(); // root: link name offset
    const rootObjectHeader = c.offset();
    if (rootObjectHeader === UNDEFINED_ADDRESS) throw formatError(file, `superblock at ${found}: undefined root group address`);
    const baseAddress = baseFrom(storedBase, found);
    file.baseAddress = baseAddress;
    return { version, superblockOffset: found, baseAddress, sizeOfOffsets, sizeOfLengths, rootObjectHeader, extensionAddress: UNDEFINED_ADDRESS };
  }
  // v2 / v3: sig 8, version 1, sizes 2, flags 1, base, extension, eof, root, checksum 4
  const total = 12 + 4 * O + 4;
  const c = await file.cursor(found, total);
  c.skip(12);
  const storedBase = c.offset();
  const extensionAddress = c.offset();
  c.offset(); // end of file address
  const rootObjectHeader = c.offset();
  if (rootObjectHeader === UNDEFINED_ADDRESS) throw formatError(file, `superblock at ${found}: undefined root group address`);
  const baseAddress = baseFrom(storedBase, found);
  file.baseAddress = baseAddress;
  return { version, superblockOffset: found, baseAddress, sizeOfOffsets, sizeOfLengths, rootObjectHeader, extensionAddress };
}

/**
 * The HDF5 library treats the superblock's position as the base address whenever the stored base
 * address differs from it (a user block added or removed afterwards), so do the same.
 */
function baseFrom(stored: number, superblockOffset: number): number {
  return stored === UNDEFINED_ADDRESS || stored !== superblockOffset ? superblockOffset : stored;
}
