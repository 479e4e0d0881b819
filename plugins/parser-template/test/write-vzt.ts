/** Test helper: writes VZT files (the format is described in src/index.ts). */
/** A VZT file holding `values` as array `name` of data type code `type`. */
export function writeVzt(name: string, type: 1 | 2 | 3 | 4, values: readonly number[]): Uint8Array {
  const size = { 1: 1, 2: 2, 3: 4, 4: 8 }[type];
  const nameBytes = new TextEncoder().encode(name);
  const bytes = new Uint8Array(12 + nameBytes.length + values.length * size);
  const view = new DataView(bytes.buffer);
  bytes.set([0x56, 0x5a, 0x54, 0x31, type, nameBytes.length]);
  view.setUint32(8, values.length, true);
  bytes.set(nameBytes, 12);
  values.forEach((value, i) => {
    const at = 12 + nameBytes.length + i * size;
    if (type === 1) view.setUint8(at, value);
    else if (type === 2) view.setInt16(at, value, true);
    else if (type === 3) view.setFloat32(at, value, true);
    else view.setFloat64(at, value, true);
  });
  return bytes;
}
