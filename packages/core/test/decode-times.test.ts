/**
 * decodeCfTimes / encodeCfTimes / formatCfTime against cftime (Debian's /usr/bin/python3): random
 * values in every calendar vz supports, several units and reference dates, decoded to ISO text
 * and back; plus the range and fill-value rules.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type CfCalendar, formatCfTime, isVzError } from "../src/index.js";
import { decodeCfTimes, encodeCfTimes, NAT, parseCfTimeUnits } from "../src/internal.js";

const PYTHON = "/usr/bin/python3";
const hasCftime = existsSync(PYTHON) && spawnSync(PYTHON, ["-c", "import cftime"]).status === 0;

const cases: { calendar: CfCalendar; units: string }[] = [
  { calendar: "standard", units: "days since 1850-01-01" },
  { calendar: "standard", units: "hours since 1900-01-01 00:00:00" },
  { calendar: "proleptic_gregorian", units: "seconds since 1970-01-01" },
  { calendar: "julian", units: "days since 1800-03-01" },
  { calendar: "noleap", units: "hours since 1900-01-01 00:00:00" },
  { calendar: "all_leap", units: "minutes since 2000-02-29 12:00" },
  { calendar: "360_day", units: "days since 2000-02-30" },
];

function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

describe.skipIf(!hasCftime)(`decodeCfTimes agrees with cftime.num2date${hasCftime ? "" : " (skipped: no cftime in /usr/bin/python3)"}`, () => {
  it.each(cases)("$calendar, $units", ({ calendar, units }) => {
    const random = lcg(units.length * 7919 + calendar.length);
    const parsed = parseCfTimeUnits(units, calendar);
    const scale = parsed.unit === "days" ? 40_000 : parsed.unit === "hours" ? 1_000_000 : parsed.unit === "minutes" ? 50_000_000 : 3_000_000_000;
    const values = Array.from({ length: 200 }, () => Math.floor((random() - 0.3) * scale));
    const decoded = decodeCfTimes(values, parsed, { where: "t" });
    const ours = Array.from(decoded, (v) => formatCfTime(v, calendar));
    const theirs = JSON.parse(
      execFileSync(
        PYTHON,
        ["-c", "import cftime, json, sys\nv = json.loads(sys.argv[3])\nprint(json.dumps([d.isoformat() for d in cftime.num2date(v, sys.argv[1], sys.argv[2], only_use_cftime_datetimes=True)]))", units, calendar, JSON.stringify(values)],
        { encoding: "utf8" },
      ),
    ) as string[];
    // cftime writes years with at least 4 digits; so does formatCfTime
    expect(ours).toEqual(theirs);
    // and back, exactly, into the stored units and type
    const encoded = encodeCfTimes(decoded, { units, calendar, dataType: "int64" }, "t");
    expect(Array.from(encoded as BigInt64Array, Number)).toEqual(values);
  });
});

describe("decoded times", () => {
  it("are nanoseconds since 1970 (numpy datetime64[ns]) in the standard calendar, NaT for fill values and NaN", () => {
    const units = parseCfTimeUnits("days since 2000-01-01");
    const decoded = decodeCfTimes([0, 1.5, -1, Number.NaN], units, { fillValue: -1, where: "t" });
    expect(decoded[0]).toBe(946_684_800_000_000_000n);
    expect(decoded[1]).toBe(946_684_800_000_000_000n + 129_600_000_000_000n);
    expect(decoded[2]).toBe(NAT);
    expect(decoded[3]).toBe(NAT);
    expect(formatCfTime(decoded[1]!, "standard")).toBe("2000-01-02T12:00:00");
    expect(formatCfTime(NAT, "standard")).toBe("NaT");
    expect(Array.from(encodeCfTimes(decoded, { units: "days since 2000-01-01", calendar: "standard", dataType: "float64", fillValue: -1 }, "t") as Float64Array)).toEqual([0, 1.5, -1, -1]);
  });

  it("refuse times outside 64-bit nanoseconds and times that an integer type cannot store", () => {
    let error: unknown;
    try {
      decodeCfTimes([0], parseCfTimeUnits("days since 1500-01-01"), { where: 'file:///a.nc: time variable "t"' });
    } catch (caught) {
      error = caught;
    }
    expect(isVzError(error, "INVALID_ARGUMENT")).toBe(true);
    expect((error as Error).message).toMatch(/time variable "t".*outside the range of 64-bit nanoseconds/);
    const half = decodeCfTimes([0.5], parseCfTimeUnits("days since 2000-01-01"), { where: "t" });
    expect(() => encodeCfTimes(half, { units: "days since 2000-01-01", calendar: "standard", dataType: "int32" }, "t")).toThrow(/not a whole number/);
  });
});
