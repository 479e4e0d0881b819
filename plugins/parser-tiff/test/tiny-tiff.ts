/** A minimal classic-TIFF writer for hand-made (also deliberately broken) test files. */

export interface TinyEntry {
  tag: number;
  /** TIFF field type: 2 ASCII, 3 SHORT, 4 LONG, 7 UNDEFINED, 12 DOUBLE ... */
  type: number;
  values: number[];
}

const SIZE: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 7: 1, 11: 4, 12: 8 };

/**
 * Lays out: 8-byte header, `data` at offset 8, then the IFD, then out-of-line values. Returns the
 * bytes and the offset of the IFD. `nextIfd` overrides the next-IFD pointer (for loops / bad offsets).
 */
export function buildTiff(options: { little?: boolean; entries: TinyEntry[]; data?: Uint8Array; firstIfd?: number; nextIfd?: number }): Uint8Array {
  const little = options.little ?? true;
  const data = options.data ?? new Uint8Array(0);
  const entries = [...options.entries].sort((a, b) => a.tag - b.tag);
  const ifdOffset = 8 + data.length + (data.length % 2);
  const ifdSize = 2 + entries.length * 12 + 4;
  let extra = ifdOffset + ifdSize;
  const extras: { offset: number; bytes: Uint8Array }[] = [];
  const buffer = new Uint8Array(extra + entries.reduce((n, e) => n + e.values.length * SIZE[e.type]! + 1, 0) + 16);
  const view = new DataView(buffer.buffer);
  buffer[0] = buffer[1] = little ? 0x49 : 0x4d;
  view.setUint16(2, 42, little);
  view.setUint32(4, options.firstIfd ?? ifdOffset, little);
  buffer.set(data, 8);
  view.setUint16(ifdOffset, entries.length, little);
  entries.forEach((entry, i) => {
    const at = ifdOffset + 2 + i * 12;
    view.setUint16(at, entry.tag, little);
    view.setUint16(at + 2, entry.type, little);
    view.setUint32(at + 4, entry.values.length, little);
    const size = SIZE[entry.type]!;
    const bytes = new Uint8Array(entry.values.length * size);
    const bytesView = new DataView(bytes.buffer);
    entry.values.forEach((value, k) => {
      if (size === 1) bytes[k] = value;
      else if (size === 2) bytesView.setUint16(k * 2, value, little);
      else if (entry.type === 11) bytesView.setFloat32(k * 4, value, little);
      else if (size === 4) bytesView.setUint32(k * 4, value, little);
      else bytesView.setFloat64(k * 8, value, little);
    });
    if (bytes.length <= 4) buffer.set(bytes, at + 8);
    else {
      view.setUint32(at + 8, extra, little);
      extras.push({ offset: extra, bytes });
      extra += bytes.length + (bytes.length % 2);
    }
  });
  view.setUint32(ifdOffset + 2 + entries.length * 12, options.nextIfd ?? 0, little);
  for (const { offset, bytes } of extras) buffer.set(bytes, offset);
  return buffer.slice(0, extra);
}

/** Entries of a one-strip uint8 grayscale image of `width` x `height` whose strip is `length` bytes at 8. */
export function stripImage(width: number, height: number, length: number, overrides: TinyEntry[] = []): TinyEntry[] {
  const base: TinyEntry[] = [
    { tag: 256, type: 4, values: [width] },
    { tag: 257, type: 4, values: [height] },
    { tag: 258, type: 3, values: [8] },
    { tag: 259, type: 3, values: [1] },
    { tag: 262, type: 3, values: [1] },
    { tag: 273, type: 4, values: [8] },
    { tag: 277, type: 3, values: [1] },
    { tag: 278, type: 4, values: [height] },
    { tag: 279, type: 4, values: [length] },
  ];
  const tags = new Set(overrides.map((e) => e.tag));
  return [...base.filter((e) => !tags.has(e.tag)), ...overrides];
}
