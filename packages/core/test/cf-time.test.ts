import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { isVzError } from "../src/index.js";
import { isCfTimeUnits, normalizeCalendar, parseCfTimeUnits, reencodeCfTimes } from "../src/internal.js";

const PYTHON = "/usr/bin/python3";
const hasCftime = existsSync(PYTHON) && (() => {
  try {
    execFileSync(PYTHON, ["-c", "import cftime"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

function catchError(fn: () => unknown): Error & { code?: string } {
  try {
    fn();
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error("expected an error");
}

describe("CF time units", () => {
  it("recognises and parses units, calendars and time zones", () => {
    expect(isCfTimeUnits("days since 2020-01-01")).toBe(true);
    expect(isCfTimeUnits("K")).toBe(false);
    expect(normalizeCalendar(undefined)).toBe("standard");
    expect(normalizeCalendar("Gregorian")).toBe("standard");
    expect(normalizeCalendar("365_day")).toBe("noleap");
    expect(normalizeCalendar("366_day")).toBe("all_leap");
    const units = parseCfTimeUnits("hours since 2000-01-01 06:30:00");
    expect(units.unit).toBe("hours");
    const utc = parseCfTimeUnits("hours since 2000-01-01T06:30:00Z");
    expect(utc.epochNanoseconds).toBe(units.epochNanoseconds);
    const zoned = parseCfTimeUnits("hours since 2000-01-01 08:30 +02:00");
    expect(zoned.epochNanoseconds).toBe(units.epochNanoseconds);
    const fraction = parseCfTimeUnits("seconds since 2000-01-01 00:00:00.25");
    expect(fraction.epochNanoseconds - parseCfTimeUnits("seconds since 2000-01-01").epochNanoseconds).toBe(250_000_000n);
  });

  it("refuses units without a fixed length, bad dates and unknown calendars with typed errors", () => {
    const months = catchError(() => parseCfTimeUnits("months since 2000-01-01", undefined, "variable \"time\" of file:///a.nc"));
    expect(isVzError(months, "UNSUPPORTED")).toBe(true);
    expect(months.message).toMatch(/variable "time" of file:\/\/\/a\.nc.*"months".*no fixed length/);
    expect(isVzError(catchError(() => parseCfTimeUnits("days since 2001-02-29", "standard")), "INVALID_ARGUMENT")).toBe(true);
    expect(parseCfTimeUnits("days since 2001-02-30", "360_day").calendar).toBe("360_day");
    expect(isVzError(catchError(() => parseCfTimeUnits("days since 2001-02-29", "noleap")), "INVALID_ARGUMENT")).toBe(true);
    expect(isVzError(catchError(() => parseCfTimeUnits("days since 1582-10-10", "standard")), "INVALID_ARGUMENT")).toBe(true);
    expect(isVzError(catchError(() => parseCfTimeUnits("days since 2000-01-01", "lunar")), "UNSUPPORTED")).toBe(true);
    expect(isVzError(catchError(() => parseCfTimeUnits("days since yesterday")), "INVALID_ARGUMENT")).toBe(true);
  });
});

describe("re-encoding", () => {
  it("converts integer values exactly between reference dates and units", () => {
    const from = parseCfTimeUnits("days since 2020-02-01");
    const to = parseCfTimeUnits("days since 2020-01-01");
    expect([...reencodeCfTimes(new Int32Array([0, 1, 28]), from, to, { dataType: "int32", where: "t" })]).toEqual([31, 32, 59]);
    const hours = parseCfTimeUnits("hours since 2020-01-02");
    expect([...reencodeCfTimes([0, 24, 48], hours, to, { dataType: "int64", where: "t" })]).toEqual([1n, 2n, 3n]);
    expect([...reencodeCfTimes([6], hours, to, { dataType: "float64", where: "t" })]).toEqual([1.25]);
    expect([...reencodeCfTimes([1.5], to, hours, { dataType: "float64", where: "t" })]).toEqual([-24 + 36]);
    const big = parseCfTimeUnits("seconds since 1970-01-01");
    const ns = parseCfTimeUnits("nanoseconds since 1970-01-01");
    expect([...reencodeCfTimes(new BigInt64Array([1_700_000_000_123_456_789n]), ns, big, { dataType: "float64", where: "t" })]).toEqual([1_700_000_000.1234567]);
  });

  it("keeps fill values and NaN, and refuses values the target cannot hold", () => {
    const from = parseCfTimeUnits("hours since 2020-01-01");
    const to = parseCfTimeUnits("days since 2020-01-01");
    expect([...reencodeCfTimes([24, -9999], from, to, { dataType: "int32", sourceFillValue: -9999, targetFillValue: -1, where: "t" })]).toEqual([1, -1]);
    const withNaN = reencodeCfTimes([Number.NaN, 48], from, to, { dataType: "float64", where: "t" });
    expect(Number.isNaN(withNaN[0] as number)).toBe(true);
    const fractional = catchError(() => reencodeCfTimes([6], from, to, { dataType: "int32", where: 'variable "time" of file 2 of 2 (file:///b.nc)' }));
    expect(isVzError(fractional, "INVALID_ARGUMENT")).toBe(true);
    expect(fractional.message).toMatch(/file 2 of 2 \(file:\/\/\/b\.nc\).*6 "hours since 2020-01-01" is 0\.25 "days since 2020-01-01", not a whole number/);
    expect(catchError(() => reencodeCfTimes([2 ** 40], parseCfTimeUnits("days since 2020-01-01"), from, { dataType: "int32", where: "t" })).message).toMatch(/outside the range of int32/);
    expect(catchError(() => reencodeCfTimes([1], parseCfTimeUnits("seconds since 2020-01-01"), to, { dataType: "float32", where: "t" })).message).toMatch(/float32 cannot represent/);
    const noleap = parseCfTimeUnits("days since 2020-01-01", "noleap");
    expect(catchError(() => reencodeCfTimes([1], noleap, to, { dataType: "int32", where: "t" })).message).toMatch(/calendar "noleap".*differs from "standard"/);
  });

  it.skipIf(!hasCftime)("agrees with cftime.date2num across calendars (oracle: /usr/bin/python3 cftime)", () => {
    const calendars = ["standard", "proleptic_gregorian", "julian", "noleap", "all_leap", "360_day"];
    const epochs = ["1500-03-01 00:00:00", "1582-10-15 12:00:00", "1850-01-01 00:00:00", "1999-12-30 23:00:00", "2020-02-28 00:00:00", "2100-03-01 06:00:00"];
    const script = `
import cftime, json, itertools
calendars = ${JSON.stringify(calendars)}
epochs = ${JSON.stringify(epochs)}
out = []
for cal in calendars:
    for a, b in itertools.combinations(epochs, 2):
        ya, ma, da = map(int, a.split(" ")[0].split("-"))
        ha = int(a.split(" ")[1].split(":")[0])
        d = cftime.datetime(ya, ma, da, ha, calendar=cal)
        out.append([cal, a, b, float(cftime.date2num(d, "seconds since " + b, calendar=cal))])
print(json.dumps(out))
`;
    const cases = JSON.parse(execFileSync(PYTHON, ["-c", script], { encoding: "utf8" })) as [string, string, string, number][];
    expect(cases.length).toBe(calendars.length * 15);
    for (const [calendar, a, b, seconds] of cases) {
      // 0 "seconds since a" re-encoded to "seconds since b" equals date2num(a, "seconds since b")
      const value = reencodeCfTimes([0], parseCfTimeUnits(`seconds since ${a}`, calendar), parseCfTimeUnits(`seconds since ${b}`, calendar), {
        dataType: "float64",
        where: "t",
      })[0];
      expect(value, `${calendar}: ${a} in seconds since ${b}`).toBe(seconds);
    }
  });
});
