/**
 * Attribute comparison and combination (xarray's `merge_attrs`).
 * @module
 */
import { CombineError } from "./errors.js";
import type { CombineAttrs } from "./types.js";

function isArrayLike(value: unknown): value is ArrayLike<unknown> {
  return Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView));
}

/** Deep equality for attribute values: NaN equals NaN, typed arrays equal plain arrays of the same numbers. */
export function attrValuesEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === "number" && typeof b === "number") return Number.isNaN(a) && Number.isNaN(b);
  if (typeof a === "bigint" || typeof b === "bigint") {
    if ((typeof a === "bigint" || typeof a === "number") && (typeof b === "bigint" || typeof b === "number")) {
      try {
        return BigInt(a) === BigInt(b);
      } catch {
        return false;
      }
    }
    return false;
  }
  if (isArrayLike(a) && isArrayLike(b)) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!attrValuesEqual(a[i], b[i])) return false;
    return true;
  }
  if (isArrayLike(a) || isArrayLike(b)) {
    // xarray compares a length-1 array attribute with a scalar as equal (numpy broadcasting)
    const array = isArrayLike(a) ? a : (b as ArrayLike<unknown>);
    const scalar = isArrayLike(a) ? b : a;
    return array.length === 1 && attrValuesEqual(array[0], scalar);
  }
  if (typeof a === "object" && typeof b === "object" && a !== null && b !== null) {
    const keysA = Object.keys(a);
    const keysB = Object.keys(b);
    if (keysA.length !== keysB.length) return false;
    for (const key of keysA) {
      if (!Object.prototype.hasOwnProperty.call(b, key)) return false;
      if (!attrValuesEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])) return false;
    }
    return true;
  }
  return false;
}

/** Whether two attribute dictionaries have the same keys and equal values. */
export function attrsEqual(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  return attrValuesEqual(a, b);
}

function show(value: unknown): string {
  if (ArrayBuffer.isView(value)) return `[${Array.from(value as unknown as ArrayLike<unknown>).join(", ")}]`;
  try {
    return JSON.stringify(value, (_key, v) => (typeof v === "bigint" ? v.toString() : v)) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * Combines attribute dictionaries (xarray's `combine_attrs`): "drop" → {}, "override" → the
 * first's, "identical" → all must be equal, "no_conflicts" → union, refusing a key whose values
 * differ, "drop_conflicts" → union without the keys whose values differ.
 * `describe(i)` names the i-th owner for error messages; `what` names the attributes' owner.
 */
export function combineAttributes(
  list: readonly Record<string, unknown>[],
  mode: CombineAttrs,
  describe: (index: number) => string,
  what: string,
  variable?: string,
): Record<string, unknown> {
  const first = list[0] ?? {};
  switch (mode) {
    case "drop":
      return {};
    case "override":
      return { ...first };
    case "identical": {
      for (let i = 1; i < list.length; i++) {
        const other = list[i]!;
        if (!attrsEqual(first, other)) {
          const keys = new Set([...Object.keys(first), ...Object.keys(other)]);
          const differing = [...keys].filter((k) => !attrValuesEqual(first[k], other[k]));
          throw new CombineError(
            "CONCAT_FAILED",
            "attrs-conflict",
            `combineAttrs="identical": attributes of ${what} differ between ${describe(0)} and ${describe(i)} ` +
              `(keys ${differing.map((k) => `"${k}"`).join(", ")}: ${differing.map((k) => `${show(first[k])} vs ${show(other[k])}`).join("; ")})`,
            { datasetIndex: i, ...(variable !== undefined ? { variable } : {}) },
          );
        }
      }
      return { ...first };
    }
    case "no_conflicts": {
      const result: Record<string, unknown> = {};
      const owner = new Map<string, number>();
      list.forEach((attrs, i) => {
        for (const [key, value] of Object.entries(attrs)) {
          if (!(key in result)) {
            result[key] = value;
            owner.set(key, i);
          } else if (!attrValuesEqual(result[key], value)) {
            throw new CombineError(
              "CONCAT_FAILED",
              "attrs-conflict",
              `combineAttrs="no_conflicts": attribute "${key}" of ${what} is ${show(result[key])} in ${describe(owner.get(key)!)} ` +
                `but ${show(value)} in ${describe(i)}`,
              { datasetIndex: i, ...(variable !== undefined ? { variable } : {}) },
            );
          }
        }
      });
      return result;
    }
    case "drop_conflicts": {
      const result: Record<string, unknown> = {};
      const dropped = new Set<string>();
      for (const attrs of list) {
        for (const [key, value] of Object.entries(attrs)) {
          if (dropped.has(key)) continue;
          if (!(key in result)) result[key] = value;
          else if (!attrValuesEqual(result[key], value)) {
            delete result[key];
            dropped.add(key);
          }
        }
      }
      return result;
    }
    default:
      throw new CombineError("INVALID_ARGUMENT", "invalid-option", `unknown combineAttrs "${String(mode)}"`);
  }
}
