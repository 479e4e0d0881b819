/**
 * A tiny netCDF3 writer for tests: builds headers (and zero-filled data) from a description,
 * with hooks to corrupt any field. Independent of the parser's code.
 */
export interface AttributeSpec {
  name: string;
  /** nc_type code (1 byte, 2 char, 3 short, 4 int, 5 float, 6 double, 7..11 CDF-5 types). */
  type: number;
  values: string | readonly number[];
  /** Overrides the element count written. */
  count?: number;
}

export interface VariableSpec {
  name: string;
  dimensionIds: readonly number[];
  type: number;
  attributes?: readonly AttributeSpec[];
  /** Overrides begin (default: laid out after the header). */
  begin?: number;
  /** Overrides vsize. */
  vsize?: number;
}

export interface FileSpec {
  version?: 1 | 2 | 5;
  /** Overrides numrecs (default: `records`); -1 writes the streaming marker. */
  numrecs?: number;
  records?: number;
  dimensions: readonly (readonly [string, number])[];
  attributes?: readonly AttributeSpec[];
  variables: readonly VariableSpec[];
  /** Overrides the dimension count written. */
  dimensionCount?: number;
  /** Overrides name lengths written (by name). */
  nameLengths?: Record<string, number>;
  /** Bytes appended after the data. */
  trailing?: number;
}

const SIZES: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 4, 6: 8, 7: 1, 8: 2, 9: 4, 10: 8, 11: 8 };

class Writer {
  bytes: number[] = [];
  constructor(readonly version: 1 | 2 | 5) {}
  u32(value: number): void {
    this.bytes.push((value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);
  }
  u64(value: number): void {
    this.u32(Math.floor(value / 0x1_0000_0000));
    this.u32(value >>> 0);
  }
  nonNegative(value: number): void {
    if (this.version === 5) this.u64(value);
    else this.u32(value);
  }
  offset(value: number): void {
    if (this.version === 1) this.u32(value);
    else this.u64(value);
  }
  pad(): void {
    while (this.bytes.length % 4 !== 0) this.bytes.push(0);
  }
  name(text: string, length?: number): void {
    const encoded = new TextEncoder().encode(text);
    this.nonNegative(length ?? encoded.length);
    this.bytes.push(...encoded);
    this.pad();
  }
  value(type: number, value: number): void {
    const view = new DataView(new ArrayBuffer(8));
    switch (type) {
      case 1: view.setInt8(0, value); break;
      case 7: view.setUint8(0, value); break;
      case 3: view.setInt16(0, value); break;
      case 8: view.setUint16(0, value); break;
      case 4: view.setInt32(0, value); break;
      case 9: view.setUint32(0, value); break;
      case 5: view.setFloat32(0, value); break;
      case 6: view.setFloat64(0, value); break;
      case 10: view.setBigInt64(0, BigInt(value)); break;
      case 11: view.setBigUint64(0, BigInt(value)); break;
      default: throw new Error(`type ${type}`);
    }
    this.bytes.push(...new Uint8Array(view.buffer, 0, SIZES[type]));
  }
}

function writeAttributes(w: Writer, attributes: readonly AttributeSpec[] | undefined, spec: FileSpec): void {
  if (!attributes || attributes.length === 0) {
    w.u32(0);
    w.nonNegative(0);
    return;
  }
  w.u32(0x0c);
  w.nonNegative(attributes.length);
  for (const attribute of attributes) {
    w.name(attribute.name, spec.nameLengths?.[attribute.name]);
    w.u32(attribute.type);
    if (typeof attribute.values === "string") {
      const encoded = new TextEncoder().encode(attribute.values);
      w.nonNegative(attribute.count ?? encoded.length);
      w.bytes.push(...encoded);
    } else {
      w.nonNegative(attribute.count ?? attribute.values.length);
      for (const v of attribute.values) w.value(attribute.type, v);
    }
    w.pad();
  }
}

function header(spec: FileSpec, begins: readonly number[], vsizes: readonly number[]): number[] {
  const version = spec.version ?? 1;
  const w = new Writer(version);
  w.bytes.push(0x43, 0x44, 0x46, version);
  const numrecs = spec.numrecs ?? spec.records ?? 0;
  if (numrecs === -1) for (let i = 0; i < (version === 5 ? 8 : 4); i++) w.bytes.push(0xff);
  else w.nonNegative(numrecs);
  if (spec.dimensions.length === 0 && spec.dimensionCount === undefined) {
    w.u32(0);
    w.nonNegative(0);
  } else {
    w.u32(0x0a);
    w.nonNegative(spec.dimensionCount ?? spec.dimensions.length);
    for (const [name, length] of spec.dimensions) {
      w.name(name, spec.nameLengths?.[name]);
      w.nonNegative(length);
    }
  }
  writeAttributes(w, spec.attributes, spec);
  if (spec.variables.length === 0) {
    w.u32(0);
    w.nonNegative(0);
  } else {
    w.u32(0x0b);
    w.nonNegative(spec.variables.length);
    spec.variables.forEach((variable, index) => {
      w.name(variable.name, spec.nameLengths?.[variable.name]);
      w.nonNegative(variable.dimensionIds.length);
      for (const id of variable.dimensionIds) w.nonNegative(id);
      writeAttributes(w, variable.attributes, spec);
      w.u32(variable.type);
      w.nonNegative(vsizes[index]!);
      w.offset(begins[index]!);
    });
  }
  return w.bytes;
}

/** Builds a whole netCDF3 file (data zero-filled except where `fill` writes). */
export function buildNetcdf3(spec: FileSpec): Uint8Array {
  const records = spec.records ?? 0;
  // Unknown types and dimension ids (for corrupt files) count as 4 bytes and length 1.
  const isRecord = (v: VariableSpec) => v.dimensionIds.length > 0 && spec.dimensions[v.dimensionIds[0]!]?.[1] === 0;
  const sizes = spec.variables.map((v) => {
    let n = SIZES[v.type] ?? 4;
    v.dimensionIds.forEach((id, d) => {
      if (!(d === 0 && isRecord(v))) n *= spec.dimensions[id]?.[1] || 1;
    });
    return n;
  });
  const vsizes = spec.variables.map((v, i) => v.vsize ?? Math.ceil(sizes[i]! / 4) * 4);
  const headerLength = header(spec, spec.variables.map(() => 0), vsizes).length;
  const begins: number[] = [];
  let position = headerLength;
  spec.variables.forEach((v, i) => {
    if (!isRecord(v)) {
      begins[i] = v.begin ?? position;
      position += vsizes[i]!;
    }
  });
  const recordVariables = spec.variables.filter(isRecord);
  const recordSize = recordVariables.length === 1 ? sizes[spec.variables.indexOf(recordVariables[0]!)]! : recordVariables.reduce((s, v) => s + vsizes[spec.variables.indexOf(v)]!, 0);
  spec.variables.forEach((v, i) => {
    if (isRecord(v)) {
      begins[i] = v.begin ?? position;
      position += vsizes[i]!;
    }
  });
  const recordStart = Math.min(position, ...spec.variables.filter(isRecord).map((v) => begins[spec.variables.indexOf(v)]!));
  const total = (recordVariables.length > 0 ? recordStart + records * recordSize : position) + (spec.trailing ?? 0);
  const bytes = new Uint8Array(Math.max(total, headerLength));
  bytes.set(header(spec, begins, vsizes));
  return bytes;
}
