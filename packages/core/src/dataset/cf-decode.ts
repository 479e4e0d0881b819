/**
 * CF decoding of numbers as xarray's decode_cf does it for packed and masked variables: values
 * equal to `_FillValue` or `missing_value` (or NaN) become NaN, the others
 * `value * scale_factor + add_offset`. Used by `vz read --decode` and the web inspector.
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

/** What {@link decodeCfValues} gives: the decoded values (NaN for missing) and the attributes it applied. */
export interface CfDecoded {
  values: Float64Array;
  /** Of `_FillValue`, `missing_value`, `scale_factor`, `add_offset`: those the variable has (empty: nothing to decode). */
  applied: string[];
}

/** Decodes `values` with the CF attributes of their variable. */
export function decodeCfValues(values: ArrayLike<unknown>, attributes: Record<string, unknown>): CfDecoded {
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
