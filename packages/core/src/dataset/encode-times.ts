/**
 * Encoding of decoded CF times before writing (xarray's `encode_cf_variable` for times): every
 * loaded variable with `encoding.cfTime` (made by `decodeTimes: true`) gets its values back in
 * the stored units and data type, and its `units` / `calendar` / `_FillValue` attributes back.
 * @module
 */
import { InvalidArgumentError } from "../errors.js";
import { type CfTimeEncoding, encodeCfTimes } from "./cf-time.js";
import { LoadedArray, type Variable, VirtualDataset } from "./virtual-dataset.js";

/** The CF time encoding of a decoded time variable, or undefined. */
export function cfTimeEncodingOf(variable: Variable): CfTimeEncoding | undefined {
  const value = variable.encoding?.cfTime;
  return value && typeof value === "object" ? (value as CfTimeEncoding) : undefined;
}

/** `vds` with decoded time variables encoded back to their CF units (the same dataset when there are none). */
export function encodeTimeVariables(vds: VirtualDataset, where = "write"): VirtualDataset {
  let changes: Record<string, Variable> | undefined;
  for (const [name, variable] of vds.variables) {
    const encoding = cfTimeEncodingOf(variable);
    if (!encoding) continue;
    const data = variable.data;
    if (!(data instanceof LoadedArray) || !(data.values instanceof BigInt64Array)) {
      throw new InvalidArgumentError(`${where}: variable "${name}" has a decoded-time encoding but no decoded (int64 nanosecond) values`, { variable: name });
    }
    const values = encodeCfTimes(data.values, encoding, `${where}: time variable "${name}"`);
    const attrs: Record<string, unknown> = { ...variable.attrs, units: encoding.units };
    if (encoding.calendarAttribute !== undefined) attrs.calendar = encoding.calendarAttribute;
    if (encoding.fillValue !== undefined) {
      const attribute = encoding.fillAttribute ?? "_FillValue";
      if (attrs[attribute] === undefined) attrs[attribute] = encoding.fillAttributeValue ?? encoding.fillValue;
    }
    const rest = { ...(variable.encoding ?? {}) };
    delete rest.cfTime;
    changes ??= {};
    changes[name] = {
      ...variable,
      attrs,
      data: new LoadedArray({ dataType: encoding.dataType, shape: data.shape, values, fillValue: null }),
      encoding: rest,
    };
  }
  return changes ? vds.with({ variables: changes }) : vds;
}
