/**
 * A DMR++ document and the data file it describes, both made in memory, covering what the
 * parser reads: groups, named and anonymous dimensions, every DAP4 atomic type in both byte
 * orders, attributes (containers, HDF5_GLOBAL, build metadata), chunked (edge chunks, missing
 * chunks), contiguous, compact, missing data, shuffle + deflate (also twice) + fletcher32, enums,
 * fixed-length string arrays read from chunks, vlsa values (repeated, compressed), and the
 * expected values of every array, computed here independently of the parser.
 */
import { deflateSync } from "node:zlib";

export interface SyntheticPair {
  dmrpp: string;
  data: Uint8Array;
  /** Expected values per array path, C order. */
  values: Record<string, ArrayLike<unknown>>;
  shapes: Record<string, number[]>;
}

/** HDF5's H5_checksum_fletcher32 (16-bit big-endian words, end-around carry), stored little-endian after the data. */
function fletcher32(bytes: Uint8Array): Uint8Array {
  let sum1 = 0;
  let sum2 = 0;
  const n = bytes.length;
  for (let i = 0; i < n; i += 2) {
    sum1 += i + 1 < n ? (bytes[i]! << 8) | bytes[i + 1]! : bytes[i]! << 8;
    sum2 += sum1;
    sum1 = (sum1 & 0xffff) + (sum1 >>> 16);
    sum2 = (sum2 & 0xffff) + (sum2 >>> 16);
  }
  sum1 = (sum1 & 0xffff) + (sum1 >>> 16);
  sum2 = (sum2 & 0xffff) + (sum2 >>> 16);
  const out = new Uint8Array(n + 4);
  out.set(bytes);
  new DataView(out.buffer).setUint32(n, ((sum2 << 16) | sum1) >>> 0, true);
  return out;
}

function shuffle(bytes: Uint8Array, size: number): Uint8Array {
  const count = bytes.length / size;
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < count; i++) for (let b = 0; b < size; b++) out[b * count + i] = bytes[i * size + b]!;
  return out;
}

const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

/** Builds the pair. `href` is written as the dataset's dmrpp:href. */
export function makeSyntheticPair(href: string): SyntheticPair {
  const parts: Uint8Array[] = [];
  let size = 0;
  const append = (bytes: Uint8Array) => {
    const offset = size;
    parts.push(bytes);
    size += bytes.length;
    return { offset, nBytes: bytes.length };
  };
  append(new Uint8Array(64)); // a header of sorts

  // temp: float32 [5, 4] big-endian, chunks [2, 3] with shuffle + deflate; chunk [2, 3] left unwritten (fill)
  const tempValues: number[] = [];
  for (let i = 0; i < 20; i++) tempValues.push(Math.fround(i * 0.5 - 3));
  const tempChunks: string[] = [];
  const expectTemp: number[] = new Array<number>(20).fill(-999);
  for (let ci = 0; ci < 3; ci++) {
    for (let cj = 0; cj < 2; cj++) {
      if (ci === 2 && cj === 1) continue;
      const chunk = new Uint8Array(2 * 3 * 4);
      const view = new DataView(chunk.buffer);
      for (let a = 0; a < 2; a++) {
        for (let b = 0; b < 3; b++) {
          const i = ci * 2 + a;
          const j = cj * 3 + b;
          const value = i < 5 && j < 4 ? tempValues[i * 4 + j]! : 0;
          view.setFloat32((a * 3 + b) * 4, value, false);
          if (i < 5 && j < 4) expectTemp[i * 4 + j] = value;
        }
      }
      const { offset, nBytes } = append(deflateSync(shuffle(chunk, 4), { level: 4 }));
      tempChunks.push(`<dmrpp:chunk offset="${offset}" nBytes="${nBytes}" chunkPositionInArray="[${ci * 2},${cj * 3}]"/>`);
    }
  }

  // counts: uint16 little-endian contiguous [6] with fletcher32 + deflate twice (levels 1 and 9)
  const counts = [0, 1, 2, 65535, 40000, 7];
  const countBytes = new Uint8Array(12);
  counts.forEach((v, i) => new DataView(countBytes.buffer).setUint16(i * 2, v, true));
  const countsStored = append(deflateSync(deflateSync(fletcher32(countBytes), { level: 1 }), { level: 9 }));

  // every atomic type, scalar-ish [2] arrays, mixed byte orders, uncompressed contiguous
  const atomic: { tag: string; type: string; values: (number | bigint)[]; write: (v: DataView, i: number, x: number | bigint, le: boolean) => void; size: number }[] = [
    { tag: "Int8", type: "int8", values: [-128, 127], size: 1, write: (v, i, x) => v.setInt8(i, Number(x)) },
    { tag: "Byte", type: "uint8", values: [0, 255], size: 1, write: (v, i, x) => v.setUint8(i, Number(x)) },
    { tag: "UInt8", type: "uint8", values: [3, 200], size: 1, write: (v, i, x) => v.setUint8(i, Number(x)) },
    { tag: "Int16", type: "int16", values: [-32768, 32767], size: 2, write: (v, i, x, le) => v.setInt16(i, Number(x), le) },
    { tag: "UInt16", type: "uint16", values: [1, 65535], size: 2, write: (v, i, x, le) => v.setUint16(i, Number(x), le) },
    { tag: "Int32", type: "int32", values: [-2147483648, 2147483647], size: 4, write: (v, i, x, le) => v.setInt32(i, Number(x), le) },
    { tag: "UInt32", type: "uint32", values: [0, 4294967295], size: 4, write: (v, i, x, le) => v.setUint32(i, Number(x), le) },
    { tag: "Int64", type: "int64", values: [-(2n ** 63n), 2n ** 62n + 5n], size: 8, write: (v, i, x, le) => v.setBigInt64(i, BigInt(x), le) },
    { tag: "UInt64", type: "uint64", values: [0n, 2n ** 64n - 1n], size: 8, write: (v, i, x, le) => v.setBigUint64(i, BigInt(x), le) },
    { tag: "Float32", type: "float32", values: [Math.fround(1.1), Number.NaN], size: 4, write: (v, i, x, le) => v.setFloat32(i, Number(x), le) },
    { tag: "Float64", type: "float64", values: [-1e300, Number.POSITIVE_INFINITY], size: 8, write: (v, i, x, le) => v.setFloat64(i, Number(x), le) },
  ];
  const atomicXml: string[] = [];
  const values: Record<string, ArrayLike<unknown>> = {};
  const shapes: Record<string, number[]> = {};
  for (const [k, t] of atomic.entries()) {
    const le = k % 2 === 0;
    const bytes = new Uint8Array(2 * t.size);
    const view = new DataView(bytes.buffer);
    t.values.forEach((x, i) => t.write(view, i * t.size, x, le));
    const { offset, nBytes } = append(bytes);
    atomicXml.push(
      `<${t.tag} name="v_${t.tag}"><Dim name="/g/pair"/><dmrpp:chunks byteOrder="${le ? "LE" : "BE"}"><dmrpp:chunk offset="${offset}" nBytes="${nBytes}"/></dmrpp:chunks></${t.tag}>`,
    );
    values[`g/v_${t.tag}`] = t.values;
    shapes[`g/v_${t.tag}`] = [2];
  }

  // fixed-length strings: [3, 2] of 4 bytes, chunks [2, 2], deflate; chunk [2,0] unwritten (fill "zz")
  const words = ["ab", "cdef", "g", "hij", "kl", "mnop"];
  const stringChunks: string[] = [];
  const encoder = new TextEncoder();
  for (const ci of [0]) {
    const chunk = new Uint8Array(2 * 2 * 4);
    for (let a = 0; a < 2; a++) for (let b = 0; b < 2; b++) chunk.set(encoder.encode(words[(ci + a) * 2 + b]!), (a * 2 + b) * 4);
    const { offset, nBytes } = append(deflateSync(chunk));
    stringChunks.push(`<dmrpp:chunk offset="${offset}" nBytes="${nBytes}" chunkPositionInArray="[0,0]"/>`);
  }

  // scalar fixed-length string stored contiguously
  const title = append(encoder.encode("A title\0\0\0"));

  const data = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    data.set(part, at);
    at += part.length;
  }

  // compact int32 [2, 2] little-endian
  const compact = new Uint8Array(16);
  [1, -2, 3, -4].forEach((v, i) => new DataView(compact.buffer).setInt32(i * 4, v, true));
  // missing data: float64 [3], zlib-compressed little-endian
  const lat = new Uint8Array(24);
  [10.5, 20.5, 30.5].forEach((v, i) => new DataView(lat.buffer).setFloat64(i * 8, v, true));

  const long = "x".repeat(300);
  const dmrpp = `<?xml version="1.0" encoding="ISO-8859-1"?>
<Dataset xmlns="http://xml.opendap.org/ns/DAP/4.0#" xmlns:dmrpp="http://xml.opendap.org/dap/dmrpp/1.0.0#" dapVersion="4.0" dmrVersion="1.0" name="synthetic.h5" dmrpp:href="${href}" dmrpp:version="3.21.1">
  <!-- a comment -->
  <Dimension name="y" size="5"/>
  <Dimension name="x" size="4"/>
  <Dimension name="lat" size="3"/>
  <Enumeration name="cloud_t" basetype="UInt8">
    <EnumConst name="clear" value="0"/>
    <EnumConst name="cloudy" value="2"/>
  </Enumeration>
  <Float32 name="temp">
    <Dim name="/y"/>
    <Dim name="/x"/>
    <Attribute name="units" type="String"><Value>degC &amp; more</Value></Attribute>
    <Attribute name="valid_range" type="Float32"><Value>-3</Value><Value>6.5</Value></Attribute>
    <Attribute name="missing" type="Float64"><Value>nan</Value></Attribute>
    <dmrpp:chunks compressionType="shuffle deflate" deflateLevel="4" fillValue="-999" byteOrder="BE">
      <dmrpp:chunkDimensionSizes>2 3</dmrpp:chunkDimensionSizes>
      ${tempChunks.join("\n      ")}
    </dmrpp:chunks>
  </Float32>
  <UInt16 name="counts">
    <Dim size="6"/>
    <dmrpp:chunks compressionType="fletcher32 deflate deflate" deflateLevel="1 9" fillValue="0" byteOrder="LE">
      <dmrpp:chunk offset="${countsStored.offset}" nBytes="${countsStored.nBytes}"/>
    </dmrpp:chunks>
  </UInt16>
  <Int32 name="small">
    <Dim size="2"/>
    <Dim size="2"/>
    <dmrpp:chunks fillValue="-1" byteOrder="LE"/>
    <dmrpp:compact>${base64(compact)}</dmrpp:compact>
  </Int32>
  <Float64 name="lat">
    <Dim name="/lat"/>
    <dmrpp:missingdata>${base64(deflateSync(lat))}</dmrpp:missingdata>
  </Float64>
  <Enum name="cloud" enum="/cloud_t">
    <Dim name="/lat"/>
    <dmrpp:chunks fillValue="cloudy" byteOrder="LE"/>
  </Enum>
  <Int16 name="never_written">
    <Dim size="3"/>
    <dmrpp:chunks fillValue="-7" byteOrder="LE"/>
  </Int16>
  <String name="words">
    <Dim size="3"/>
    <Dim size="2"/>
    <dmrpp:chunks compressionType="deflate" fillValue="zz">
      <dmrpp:chunkDimensionSizes>2 2</dmrpp:chunkDimensionSizes>
      ${stringChunks.join("\n      ")}
    </dmrpp:chunks>
    <dmrpp:FixedLengthStringArray string_length="4" pad="null_pad"/>
  </String>
  <String name="title">
    <dmrpp:chunks fillValue="unsupported-string"><dmrpp:chunk offset="${title.offset}" nBytes="${title.nBytes}"/></dmrpp:chunks>
  </String>
  <String name="names">
    <Dim size="4"/>
    <dmrpp:vlsa>
      <v c="2">same</v>
      <v s="300">${base64(deflateSync(encoder.encode(long)))}</v>
      <v></v>
    </dmrpp:vlsa>
  </String>
  <Structure name="rec">
    <Int32 name="a"/>
  </Structure>
  <Attribute name="HDF5_GLOBAL" type="Container">
    <Attribute name="title" type="String"><Value>synthetic</Value></Attribute>
  </Attribute>
  <Attribute name="history" type="String"><Value>made in a test</Value></Attribute>
  <Attribute name="meta" type="Container">
    <Attribute name="version" type="Int32"><Value>3</Value></Attribute>
  </Attribute>
  <Attribute name="build_dmrpp_metadata" type="Container">
    <Attribute name="build_dmrpp" type="String"><Value>3.21.1</Value></Attribute>
  </Attribute>
  <Group name="g">
    <Dimension name="pair" size="2"/>
    ${atomicXml.join("\n    ")}
    <Int16 name="anon">
      <Dim size="2"/>
      <Dim size="3"/>
      <dmrpp:chunks byteOrder="LE"/>
    </Int16>
  </Group>
</Dataset>
`;
  Object.assign(values, {
    temp: expectTemp,
    counts,
    small: [1, -2, 3, -4],
    lat: [10.5, 20.5, 30.5],
    cloud: [2, 2, 2],
    never_written: [-7, -7, -7],
    words: ["ab", "cdef", "g", "hij", "zz", "zz"],
    title: ["A title"],
    names: ["same", "same", long, ""],
    "g/anon": [0, 0, 0, 0, 0, 0],
  });
  Object.assign(shapes, { temp: [5, 4], counts: [6], small: [2, 2], lat: [3], cloud: [3], never_written: [3], words: [3, 2], title: [], names: [4], "g/anon": [2, 3] });
  return { dmrpp, data, values, shapes };
}
