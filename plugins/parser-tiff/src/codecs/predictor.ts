/**
 * TIFF predictors as bytes-to-bytes codecs, named and configured as imagecodecs' numcodecs codecs
 * (and as tifffile writes them into kerchunk references), applied after decompression:
 *
 * - `imagecodecs_delta` {shape, dtype, axis, dist}: horizontal differencing (Predictor 2). Decode
 *   is a cumulative sum along `axis` of the chunk (integers wrap around as in libtiff).
 * - `imagecodecs_floatpred` {shape, dtype, axis, dist}: floating-point predictor (Predictor 3,
 *   Adobe Photoshop TIFF Technical Note 3): bytes of each row are differenced, then split into byte
 *   planes, most significant first. Decode undoes both and writes values in `dtype`'s byte order.
 *
 * `shape` is the chunk shape and `axis` the x axis (-1 for (…, y, x), -2 for (y, x, sample)).
 * A chunk shorter than `shape` (the last strip of an image) is decoded row by row as far as it goes.
 * @module
 */
import { HOST_LITTLE_ENDIAN, parseNumpyDtype, swapBytes } from "./shared.js";

interface PredictorConfig {
  shape: number[];
  dtype: string;
  axis?: number;
  dist?: number;
}

function layout(config: PredictorConfig): { rowValues: number; stride: number } {
  const shape = config.shape;
  const axis = (config.axis ?? -1) < 0 ? shape.length + (config.axis ?? -1) : (config.axis ?? 0);
  if (axis < 0 || axis >= shape.length) throw new Error(`TIFF predictor: axis ${config.axis} outside shape [${shape.join(", ")}]`);
  if ((config.dist ?? 1) !== 1) throw new Error(`TIFF predictor: dist ${config.dist} is not supported (only 1)`);
  // values per row (x axis and everything after it) and the distance between neighbours along x
  const stride = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  return { rowValues: shape[axis]! * stride, stride };
}

type IntArray = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | BigUint64Array | BigInt64Array;

function intView(bytes: Uint8Array, size: number, kind: "u" | "i" | "f"): IntArray {
  const buffer = bytes.buffer;
  const offset = bytes.byteOffset;
  const length = bytes.length / size;
  const signed = kind === "i";
  switch (size) {
    case 1:
      return signed ? new Int8Array(buffer, offset, length) : new Uint8Array(buffer, offset, length);
    case 2:
      return signed ? new Int16Array(buffer, offset, length) : new Uint16Array(buffer, offset, length);
    case 4:
      return signed ? new Int32Array(buffer, offset, length) : new Uint32Array(buffer, offset, length);
    default:
      return signed ? new BigInt64Array(buffer, offset, length) : new BigUint64Array(buffer, offset, length);
  }
}

/** Undoes horizontal differencing; returns new bytes in the same byte order as the input. */
export function undoHorizontalDifferencing(input: Uint8Array, config: PredictorConfig): Uint8Array {
  const { size, kind, little } = parseNumpyDtype(config.dtype);
  const { rowValues, stride } = layout(config);
  const usable = input.length - (input.length % size);
  const bytes = input.slice(0, usable); // aligned copy
  const swap = size > 1 && little !== HOST_LITTLE_ENDIAN;
  if (swap) swapBytes(bytes, size);
  const values = intView(bytes, size, kind === "f" ? "u" : kind);
  const rows = Math.floor(values.length / rowValues);
  if (values instanceof BigUint64Array || values instanceof BigInt64Array) {
    for (let r = 0; r < rows; r++) {
      const base = r * rowValues;
      for (let k = base + stride; k < base + rowValues; k++) values[k] = values[k]! + values[k - stride]!;
    }
    // BigInt arrays wrap on store
  } else {
    for (let r = 0; r < rows; r++) {
      const base = r * rowValues;
      for (let k = base + stride; k < base + rowValues; k++) values[k] = values[k]! + values[k - stride]!;
    }
  }
  if (swap) swapBytes(bytes, size);
  return bytes;
}

/** Undoes the floating-point predictor; returns values in `dtype`'s byte order. */
export function undoFloatingPointPredictor(input: Uint8Array, config: PredictorConfig): Uint8Array {
  const { size, little } = parseNumpyDtype(config.dtype);
  const { rowValues, stride } = layout(config);
  const rowBytes = rowValues * size;
  const rows = Math.floor(input.length / rowBytes);
  const out = new Uint8Array(rows * rowBytes);
  const row = new Uint8Array(rowBytes);
  for (let r = 0; r < rows; r++) {
    row.set(input.subarray(r * rowBytes, (r + 1) * rowBytes));
    // byte-wise accumulation with the sample stride
    for (let k = stride; k < rowBytes; k++) row[k] = (row[k]! + row[k - stride]!) & 0xff;
    const base = r * rowBytes;
    for (let v = 0; v < rowValues; v++) {
      for (let b = 0; b < size; b++) {
        // plane b holds byte b of every value, most significant byte first
        const target = little ? size - 1 - b : b;
        out[base + v * size + target] = row[b * rowValues + v]!;
      }
    }
  }
  return out;
}

/** zarrita codec `imagecodecs_delta`. */
export class DeltaCodec {
  readonly kind = "bytes_to_bytes";
  readonly #config: PredictorConfig;

  constructor(config: PredictorConfig) {
    this.#config = config;
    layout(config);
    parseNumpyDtype(config.dtype);
  }

  static fromConfig(config: PredictorConfig): DeltaCodec {
    return new DeltaCodec(config);
  }

  async encode(): Promise<Uint8Array> {
    throw new Error("imagecodecs_delta: encoding is not supported (vz only reads TIFF)");
  }

  async decode(bytes: Uint8Array): Promise<Uint8Array> {
    return undoHorizontalDifferencing(bytes, this.#config);
  }
}

/** zarrita codec `imagecodecs_floatpred`. */
export class FloatPredictorCodec {
  readonly kind = "bytes_to_bytes";
  readonly #config: PredictorConfig;

  constructor(config: PredictorConfig) {
    this.#config = config;
    layout(config);
    if (parseNumpyDtype(config.dtype).kind !== "f") throw new Error(`imagecodecs_floatpred: dtype ${config.dtype} is not a float type`);
  }

  static fromConfig(config: PredictorConfig): FloatPredictorCodec {
    return new FloatPredictorCodec(config);
  }

  async encode(): Promise<Uint8Array> {
    throw new Error("imagecodecs_floatpred: encoding is not supported (vz only reads TIFF)");
  }

  async decode(bytes: Uint8Array): Promise<Uint8Array> {
    return undoFloatingPointPredictor(bytes, this.#config);
  }
}
