/**
 * CF decoding of numbers as `vz read --decode` (and xarray's decode_cf) does it: values equal to
 * `_FillValue` or `missing_value` become NaN, the others `value * scale_factor + add_offset`.
 * @module
 */

function numericAttr(attributes: Record<string, unknown>, name: string): number | undefined {
  const value = attributes[name];
  const first = Array.isArray(value) ? value[0] : value;
  if (typeof first === "number") return first;
  if (typeof first === "bigint") return Number(first);
  if (typeof first === "string" && /^(NaN|-?Infinity)$/.test(first)) return Number(first);
  return undefined;
}

/** Decoded values (NaN for missing) and the attributes that were applied. */
export function decodeCf(values: ArrayLike<unknown>, attributes: Record<string, unknown>): { values: Float64Array; applied: string[] } {
  const fills = [numericAttr(attributes, "_FillValue"), numericAttr(attributes, "missing_value")].filter((v): v is number => v !== undefined);
  const scale = numericAttr(attributes, "scale_factor");
  const offset = numericAttr(attributes, "add_offset");
  const applied = ["_FillValue", "missing_value", "scale_factor", "add_offset"].filter((name) => numericAttr(attributes, name) !== undefined);
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const raw = values[i];
    const v = typeof raw === "bigint" ? Number(raw) : typeof raw === "boolean" ? Number(raw) : (raw as number);
    if (typeof v !== "number" || Number.isNaN(v) || fills.some((f) => f === v || (Number.isNaN(f) && Number.isNaN(v)))) {
      out[i] = NaN;
      continue;
    }
    out[i] = v * (scale ?? 1) + (offset ?? 0);
  }
  return { values: out, applied };
}
