/**
 * CF time encodings ("<unit> since <date>" with a calendar): parsing, and exact re-encoding of
 * values from one file's units to another's, so that time coordinates of files whose units
 * differ ("days since 2020-01-01" vs "days since 2020-02-01") combine to correct values.
 *
 * Arithmetic is done in integer nanoseconds (BigInt) so integer values convert exactly; a value
 * that cannot be represented in the target units and data type raises.
 * @module
 */
import { InvalidArgumentError, UnsupportedFeatureError } from "../errors.js";
import type { DataType } from "../manifest/metadata.js";
import type { NumericArray } from "./virtual-dataset.js";

/** CF calendars vz can convert between dates of ("gregorian" is "standard", "365_day" is "noleap", "366_day" is "all_leap"). */
export type CfCalendar = "standard" | "proleptic_gregorian" | "julian" | "noleap" | "all_leap" | "360_day";

/** A parsed CF time `units` attribute. */
export interface CfTimeUnits {
  /** The unit name as normalised ("days", "hours", ...). */
  unit: string;
  /** Length of one unit in nanoseconds. */
  unitNanoseconds: bigint;
  /** The reference date in nanoseconds since the calendar's own day zero. */
  epochNanoseconds: bigint;
  calendar: CfCalendar;
  /** The original `units` text. */
  text: string;
}

const NS_PER_SECOND = 1_000_000_000n;
const NS_PER_DAY = 86_400n * NS_PER_SECOND;

const UNITS: Record<string, [string, bigint]> = {};
for (const [names, unit, ns] of [
  [["nanoseconds", "nanosecond", "ns", "nsec", "nsecs"], "nanoseconds", 1n],
  [["microseconds", "microsecond", "us", "usec", "usecs"], "microseconds", 1_000n],
  [["milliseconds", "millisecond", "ms", "msec", "msecs"], "milliseconds", 1_000_000n],
  [["seconds", "second", "s", "sec", "secs"], "seconds", NS_PER_SECOND],
  [["minutes", "minute", "min", "mins"], "minutes", 60n * NS_PER_SECOND],
  [["hours", "hour", "h", "hr", "hrs"], "hours", 3_600n * NS_PER_SECOND],
  [["days", "day", "d"], "days", NS_PER_DAY],
  [["weeks", "week", "w"], "weeks", 7n * NS_PER_DAY],
] as const) {
  for (const name of names) UNITS[name] = [unit, ns];
}

/** Normalises a CF `calendar` attribute (absent → "standard"); throws for calendars vz cannot handle. */
export function normalizeCalendar(calendar: unknown, where = "time variable"): CfCalendar {
  if (calendar === undefined || calendar === null || calendar === "") return "standard";
  const name = String(calendar).trim().toLowerCase();
  switch (name) {
    case "standard":
    case "gregorian":
      return "standard";
    case "proleptic_gregorian":
      return "proleptic_gregorian";
    case "julian":
      return "julian";
    case "noleap":
    case "365_day":
      return "noleap";
    case "all_leap":
    case "366_day":
      return "all_leap";
    case "360_day":
      return "360_day";
    default:
      throw new UnsupportedFeatureError("cf-calendar", `${where}: CF calendar "${String(calendar)}" is not supported`);
  }
}

/** Whether a `units` attribute looks like a CF time encoding ("<unit> since <date>"). */
export function isCfTimeUnits(units: unknown): units is string {
  return typeof units === "string" && /^\s*[A-Za-z]+\s+since\s+\S/.test(units);
}

const CUMULATIVE = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
const CUMULATIVE_LEAP = [0, 31, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335];
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function floorDiv(a: number, b: number): number {
  return Math.floor(a / b);
}

function gregorianLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function julianDayGregorian(y: number, m: number, d: number): number {
  const a = floorDiv(14 - m, 12);
  const yy = y + 4800 - a;
  const mm = m + 12 * a - 3;
  return d + floorDiv(153 * mm + 2, 5) + 365 * yy + floorDiv(yy, 4) - floorDiv(yy, 100) + floorDiv(yy, 400) - 32045;
}

function julianDayJulian(y: number, m: number, d: number): number {
  const a = floorDiv(14 - m, 12);
  const yy = y + 4800 - a;
  const mm = m + 12 * a - 3;
  return d + floorDiv(153 * mm + 2, 5) + 365 * yy + floorDiv(yy, 4) - 32083;
}

/** Day number of a date in `calendar` (days since an arbitrary, calendar-specific day zero). */
export function dayNumber(calendar: CfCalendar, year: number, month: number, day: number, where = "date"): number {
  if (!Number.isInteger(month) || month < 1 || month > 12) throw new InvalidArgumentError(`${where}: invalid month ${month}`);
  let monthLength: number;
  switch (calendar) {
    case "360_day":
      monthLength = 30;
      break;
    case "noleap":
      monthLength = MONTH_DAYS[month - 1]!;
      break;
    case "all_leap":
      monthLength = month === 2 ? 29 : MONTH_DAYS[month - 1]!;
      break;
    case "julian":
      monthLength = month === 2 && year % 4 === 0 ? 29 : MONTH_DAYS[month - 1]!;
      break;
    case "proleptic_gregorian":
      monthLength = month === 2 && gregorianLeap(year) ? 29 : MONTH_DAYS[month - 1]!;
      break;
    case "standard": {
      const julian = year < 1582 || (year === 1582 && (month < 10 || (month === 10 && day < 15)));
      monthLength = month === 2 && (julian ? year % 4 === 0 : gregorianLeap(year)) ? 29 : MONTH_DAYS[month - 1]!;
      if (year === 1582 && month === 10 && day > 4 && day < 15) {
        throw new InvalidArgumentError(`${where}: 1582-10-${day} does not exist in the standard (mixed Julian/Gregorian) calendar`);
      }
      break;
    }
  }
  if (!Number.isInteger(day) || day < 1 || day > monthLength) {
    throw new InvalidArgumentError(`${where}: invalid day ${year}-${month}-${day} in the ${calendar} calendar`);
  }
  switch (calendar) {
    case "360_day":
      return year * 360 + (month - 1) * 30 + day - 1;
    case "noleap":
      return year * 365 + CUMULATIVE[month - 1]! + day - 1;
    case "all_leap":
      return year * 366 + CUMULATIVE_LEAP[month - 1]! + day - 1;
    case "julian":
      return julianDayJulian(year, month, day);
    case "proleptic_gregorian":
      return julianDayGregorian(year, month, day);
    case "standard": {
      const julian = year < 1582 || (year === 1582 && (month < 10 || (month === 10 && day <= 4)));
      return julian ? julianDayJulian(year, month, day) : julianDayGregorian(year, month, day);
    }
  }
}

const DATE_PATTERN =
  /^(-?\d{1,5})-(\d{1,2})-(\d{1,2})(?:(?:T|\s+)(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,9}))?)?)?\s*(Z|UTC|GMT|[+-]\d{1,2}(?::?\d{2})?)?$/i;

/**
 * Parses a CF time `units` attribute ("hours since 1800-01-01 00:00:00", "days since 2020-1-1T06:00Z").
 * Months and years are not fixed lengths, so they cannot be converted and are refused.
 * @example
 * const units = parseCfTimeUnits("days since 2020-01-01", "noleap");
 */
export function parseCfTimeUnits(units: string, calendar?: unknown, where = "time variable"): CfTimeUnits {
  const match = /^\s*([A-Za-z]+)\s+since\s+(.+?)\s*$/.exec(units);
  if (!match) throw new InvalidArgumentError(`${where}: units "${units}" are not CF time units ("<unit> since <date>")`);
  const unitName = match[1]!.toLowerCase();
  const unit = UNITS[unitName];
  if (!unit) {
    throw new UnsupportedFeatureError(
      "cf-time-unit",
      `${where}: time unit "${match[1]}" in "${units}" has no fixed length (or is unknown); values in it cannot be converted`,
    );
  }
  const date = DATE_PATTERN.exec(match[2]!.trim());
  if (!date) throw new InvalidArgumentError(`${where}: cannot parse the reference date "${match[2]}" of units "${units}"`);
  const cal = normalizeCalendar(calendar, where);
  const [year, month, day] = [Number(date[1]), Number(date[2]), Number(date[3])];
  const hour = Number(date[4] ?? 0);
  const minute = Number(date[5] ?? 0);
  const second = Number(date[6] ?? 0);
  if (hour > 24 || minute > 59 || second > 60) throw new InvalidArgumentError(`${where}: invalid time of day in units "${units}"`);
  const fraction = BigInt((date[7] ?? "").padEnd(9, "0") || "0");
  let offsetMinutes = 0;
  const zone = date[8]?.toUpperCase();
  if (zone && zone !== "Z" && zone !== "UTC" && zone !== "GMT") {
    const zoneMatch = /^([+-])(\d{1,2}):?(\d{2})?$/.exec(zone)!;
    offsetMinutes = (zoneMatch[1] === "-" ? -1 : 1) * (Number(zoneMatch[2]) * 60 + Number(zoneMatch[3] ?? 0));
  }
  const days = BigInt(dayNumber(cal, year, month, day, `${where} (units "${units}")`));
  const seconds = BigInt(hour * 3600 + minute * 60 + second - offsetMinutes * 60);
  return {
    unit: unit[0],
    unitNanoseconds: unit[1],
    epochNanoseconds: days * NS_PER_DAY + seconds * NS_PER_SECOND + fraction,
    calendar: cal,
    text: units,
  };
}

const INTEGER_RANGES: Partial<Record<DataType, [bigint, bigint]>> = {
  int8: [-128n, 127n],
  int16: [-32768n, 32767n],
  int32: [-2147483648n, 2147483647n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint8: [0n, 255n],
  uint16: [0n, 65535n],
  uint32: [0n, 4294967295n],
  uint64: [0n, 2n ** 64n - 1n],
};

function allocate(dataType: DataType, length: number): NumericArray {
  switch (dataType) {
    case "int8":
      return new Int8Array(length);
    case "int16":
      return new Int16Array(length);
    case "int32":
      return new Int32Array(length);
    case "int64":
      return new BigInt64Array(length);
    case "uint8":
      return new Uint8Array(length);
    case "uint16":
      return new Uint16Array(length);
    case "uint32":
      return new Uint32Array(length);
    case "uint64":
      return new BigUint64Array(length);
    case "float32":
      return new Float32Array(length);
    case "float64":
      return new Float64Array(length);
    default:
      throw new UnsupportedFeatureError("cf-time-dtype", `time values of data type ${dataType} cannot be re-encoded`);
  }
}

function sameNumber(a: unknown, b: unknown): boolean {
  if (a === undefined || a === null || b === undefined || b === null) return false;
  if (typeof a === "number" && Number.isNaN(a)) return typeof b === "number" && Number.isNaN(b);
  try {
    return typeof a === "bigint" || typeof b === "bigint" ? BigInt(a as number) === BigInt(b as number) : Number(a) === Number(b);
  } catch {
    return false;
  }
}

/** Options of {@link reencodeCfTimes}. */
export interface ReencodeOptions {
  /** Data type of the result (the target file's time variable). */
  dataType: DataType;
  /** Fill value of the source values (kept as fill, mapped to `targetFillValue`). */
  sourceFillValue?: unknown;
  /** Fill value to write for source fill values (default NaN for floats; required for integers). */
  targetFillValue?: unknown;
  /** Names the file and variable in errors. */
  where: string;
}

/**
 * Re-encodes time values from units `from` to units `to` (same calendar), exactly for integer
 * values; throws an InvalidArgumentError when a value is not representable in the target data
 * type (a fraction in an integer type, out of range, or inexact in float32).
 * @example
 * // 0 and 1 "days since 2020-02-01" are 31 and 32 "days since 2020-01-01"
 * reencodeCfTimes([0, 1], parseCfTimeUnits("days since 2020-02-01"), parseCfTimeUnits("days since 2020-01-01"), { dataType: "int32", where: "time" });
 */
export function reencodeCfTimes(
  values: ArrayLike<number | bigint>,
  from: CfTimeUnits,
  to: CfTimeUnits,
  options: ReencodeOptions,
): NumericArray {
  if (from.calendar !== to.calendar) {
    throw new InvalidArgumentError(
      `${options.where}: calendar "${from.calendar}" (units "${from.text}") differs from "${to.calendar}" (units "${to.text}"); ` +
        `times in different calendars cannot be combined`,
    );
  }
  const out = allocate(options.dataType, values.length);
  const integerRange = INTEGER_RANGES[options.dataType];
  const bigOut = out instanceof BigInt64Array || out instanceof BigUint64Array;
  const delta = from.epochNanoseconds - to.epochNanoseconds;
  const fromUnit = from.unitNanoseconds;
  const toUnit = to.unitNanoseconds;
  const targetFill = options.targetFillValue;
  const put = (i: number, exact: bigint | undefined, approximate: number, source: number | bigint) => {
    if (integerRange) {
      if (exact === undefined) {
        throw new InvalidArgumentError(
          `${options.where}: value ${String(source)} "${from.text}" is ${approximate} "${to.text}", not a whole number, ` +
            `so it cannot be stored in the target's ${options.dataType} time variable`,
        );
      }
      if (exact < integerRange[0] || exact > integerRange[1]) {
        throw new InvalidArgumentError(`${options.where}: value ${String(source)} "${from.text}" is ${exact} "${to.text}", outside the range of ${options.dataType}`);
      }
      out[i] = (bigOut ? exact : Number(exact)) as never;
      return;
    }
    const value = exact !== undefined ? Number(exact) : approximate;
    if (exact !== undefined && !Number.isSafeInteger(value)) {
      throw new InvalidArgumentError(`${options.where}: value ${String(source)} "${from.text}" is ${exact} "${to.text}", beyond exact float64 integers`);
    }
    if (options.dataType === "float32" && Math.fround(value) !== value) {
      throw new InvalidArgumentError(`${options.where}: value ${String(source)} "${from.text}" is ${value} "${to.text}", which float32 cannot represent exactly`);
    }
    out[i] = value as never;
  };
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (options.sourceFillValue !== undefined && sameNumber(v, options.sourceFillValue)) {
      if (targetFill === undefined || targetFill === null) {
        if (integerRange) throw new InvalidArgumentError(`${options.where}: fill value ${String(v)} has no counterpart (the target time variable has no _FillValue)`);
        out[i] = Number.NaN as never;
      } else out[i] = (bigOut ? BigInt(targetFill as number) : Number(targetFill)) as never;
      continue;
    }
    if (typeof v === "number" && !Number.isFinite(v)) {
      if (integerRange) throw new InvalidArgumentError(`${options.where}: value ${v} cannot be stored in an integer time variable`);
      out[i] = v as never;
      continue;
    }
    if (typeof v === "bigint" || Number.isInteger(v)) {
      const total = BigInt(v) * fromUnit + delta;
      const exact = total % toUnit === 0n ? total / toUnit : undefined;
      put(i, exact, Number(total) / Number(toUnit), v);
    } else {
      const approximate = (v * Number(fromUnit) + Number(delta)) / Number(toUnit);
      const rounded = Math.round(approximate);
      const exact = Math.abs(approximate - rounded) <= Math.abs(approximate) * 1e-12 && integerRange ? BigInt(rounded) : undefined;
      if (integerRange) put(i, exact, approximate, v);
      else {
        if (options.dataType === "float32" && Math.fround(approximate) !== approximate) {
          throw new InvalidArgumentError(`${options.where}: value ${v} "${from.text}" is ${approximate} "${to.text}", which float32 cannot represent exactly`);
        }
        out[i] = approximate as never;
      }
    }
  }
  return out;
}

/** numpy's NaT: the int64 value that stands for "no time" in decoded times. */
export const NAT = -(2n ** 63n);

/** Encoding of a time variable decoded by `decodeTimes` (kept in `variable.encoding.cfTime`). */
export interface CfTimeEncoding {
  /** The CF units the values were stored in ("days since 2000-01-01"). */
  units: string;
  /** The CF calendar (normalized). */
  calendar: CfCalendar;
  /** The `calendar` attribute as it was in the file (absent when the file had none). */
  calendarAttribute?: string;
  /** Data type of the stored values. */
  dataType: DataType;
  /** The CF `_FillValue` (or `missing_value`) of the stored values, if any (decoded as NaT). */
  fillValue?: unknown;
  /** Which attribute held the fill value, and its value as it was, restored when encoding. */
  fillAttribute?: "_FillValue" | "missing_value";
  fillAttributeValue?: unknown;
}

function epochUnits(calendar: CfCalendar): CfTimeUnits {
  return parseCfTimeUnits("nanoseconds since 1970-01-01", calendar);
}

/**
 * Decodes CF time values (numbers in `units`) into nanoseconds since 1970-01-01T00:00:00 in the
 * variable's calendar — in the standard and proleptic Gregorian calendars the values of numpy's
 * `datetime64[ns]`, as xarray decodes them. Fill values (`fillValue`) and NaN become {@link NAT}.
 * Integer values are converted exactly; a value outside the int64 nanosecond range raises.
 * @example
 * decodeCfTimes([0, 1], parseCfTimeUnits("days since 2000-01-01"), { where: "time" }); // 946684800000000000n, ...
 */
export function decodeCfTimes(values: ArrayLike<number | bigint>, units: CfTimeUnits, options: { fillValue?: unknown; where: string }): BigInt64Array {
  const out = new BigInt64Array(values.length);
  const epoch = epochUnits(units.calendar);
  const delta = units.epochNanoseconds - epoch.epochNanoseconds;
  const max = 2n ** 63n - 1n;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if ((options.fillValue !== undefined && sameNumber(v, options.fillValue)) || (typeof v === "number" && Number.isNaN(v))) {
      out[i] = NAT;
      continue;
    }
    let ns: bigint;
    if (typeof v === "bigint" || Number.isInteger(v)) ns = BigInt(v) * units.unitNanoseconds + delta;
    else if (!Number.isFinite(v)) throw new InvalidArgumentError(`${options.where}: time value ${v} cannot be decoded`);
    else ns = BigInt(Math.round(v * Number(units.unitNanoseconds))) + delta;
    if (ns <= NAT || ns > max) {
      throw new InvalidArgumentError(`${options.where}: time value ${String(v)} "${units.text}" is outside the range of 64-bit nanoseconds since 1970 (about 1678-2262)`);
    }
    out[i] = ns;
  }
  return out;
}

/**
 * Encodes decoded times (nanoseconds since 1970-01-01 in `encoding.calendar`, {@link NAT} for none)
 * back into `encoding.units` and `encoding.dataType` — exactly for integer data types (a time that
 * is not a whole number of units raises), NaT as `encoding.fillValue` (NaN for floats).
 */
export function encodeCfTimes(values: BigInt64Array, encoding: CfTimeEncoding, where: string): NumericArray {
  const from = epochUnits(encoding.calendar);
  const to = parseCfTimeUnits(encoding.units, encoding.calendar, where);
  return reencodeCfTimes(values, from, to, {
    dataType: encoding.dataType,
    sourceFillValue: NAT,
    ...(encoding.fillValue !== undefined ? { targetFillValue: encoding.fillValue } : {}),
    where,
  });
}

function civilFromDays(calendar: CfCalendar, days: number): [number, number, number] {
  switch (calendar) {
    case "360_day": {
      const year = Math.floor(days / 360);
      const rest = days - year * 360;
      return [year, Math.floor(rest / 30) + 1, (rest % 30) + 1];
    }
    case "noleap":
    case "all_leap": {
      const length = calendar === "noleap" ? 365 : 366;
      const table = calendar === "noleap" ? CUMULATIVE : CUMULATIVE_LEAP;
      const year = Math.floor(days / length);
      const rest = days - year * length;
      let month = 11;
      while (table[month]! > rest) month--;
      return [year, month + 1, rest - table[month]! + 1];
    }
    default: {
      // days are Julian day numbers (see dayNumber)
      const julian = calendar === "julian" || (calendar === "standard" && days < 2299161);
      let a = days + 32044;
      let b: number;
      let c: number;
      if (julian) {
        b = 0;
        c = days + 32082;
      } else {
        b = Math.floor((4 * a + 3) / 146097);
        c = a - Math.floor((146097 * b) / 4);
      }
      const d = Math.floor((4 * c + 3) / 1461);
      const e = c - Math.floor((1461 * d) / 4);
      const m = Math.floor((5 * e + 2) / 153);
      a = 0;
      return [100 * b + d - 4800 + Math.floor(m / 10), m + 3 - 12 * Math.floor(m / 10), e - Math.floor((153 * m + 2) / 5) + 1];
    }
  }
}

/**
 * ISO 8601 text ("2000-01-01T06:00:00", fractions when present) of a decoded time in `calendar`,
 * as cftime's `isoformat()` or numpy's datetime64 string; "NaT" for {@link NAT}.
 */
export function formatCfTime(value: bigint, calendar: CfCalendar): string {
  if (value === NAT) return "NaT";
  const total = value + epochUnits(calendar).epochNanoseconds;
  let days = total / NS_PER_DAY;
  let rest = total % NS_PER_DAY;
  if (rest < 0n) {
    rest += NS_PER_DAY;
    days -= 1n;
  }
  const [year, month, day] = civilFromDays(calendar, Number(days));
  const seconds = Number(rest / NS_PER_SECOND);
  const fraction = rest % NS_PER_SECOND;
  const pad = (n: number, width = 2) => String(n).padStart(width, "0");
  const time = `${pad(Math.floor(seconds / 3600))}:${pad(Math.floor((seconds % 3600) / 60))}:${pad(seconds % 60)}`;
  const frac = fraction === 0n ? "" : `.${fraction.toString().padStart(9, "0").replace(/0+$/, "")}`;
  const yearText = year < 0 ? `-${pad(-year, 4)}` : pad(year, 4);
  return `${yearText}-${pad(month)}-${pad(day)}T${time}${frac}`;
}
