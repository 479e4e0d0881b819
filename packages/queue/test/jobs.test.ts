import { VzError } from "@vz/core";
import { describe, expect, it } from "vitest";
import { decodeFailure, encodeFailure, PERMANENT_CODES } from "../src/jobs.js";
import { jobIdFor, redisOptions } from "../src/index.js";

const data = { v: 3 as const, url: "https://host/a.nc", parser: "hdf5", options: { loadableVariables: ["time"], group: undefined } };

describe("jobIdFor", () => {
  it("is the same for the same work whatever the key order, and differs when file or options change", () => {
    const id = jobIdFor(data, { size: 10, etag: '"abc"' });
    expect(id).toMatch(/^vz-[0-9a-f]{40}$/);
    expect(jobIdFor({ options: { loadableVariables: ["time"] }, parser: "hdf5", url: "https://host/a.nc", v: 3 }, { etag: '"abc"', size: 10 })).toBe(id);
    expect(jobIdFor(data, { size: 10, etag: '"abd"' })).not.toBe(id);
    expect(jobIdFor(data, { size: 11, etag: '"abc"' })).not.toBe(id);
    expect(jobIdFor({ ...data, url: "https://host/b.nc" }, { size: 10, etag: '"abc"' })).not.toBe(id);
    expect(jobIdFor({ ...data, options: { loadableVariables: [] } }, { size: 10, etag: '"abc"' })).not.toBe(id);
    expect(jobIdFor({ ...data, parserOptions: { onUnsupported: "skip" } }, { size: 10, etag: '"abc"' })).not.toBe(id);
    expect(jobIdFor(data, { size: 10, lastModified: "2026-01-01T00:00:00.000Z" })).not.toBe(jobIdFor(data, { size: 10, lastModified: "2026-01-02T00:00:00.000Z" }));
  });
});

describe("failures across Redis", () => {
  it("carry the typed error (code, name, url, variable)", () => {
    const error = new VzError("PARSE_FAILED", "HDF5 https://host/a.nc: bad header", { url: "https://host/a.nc", variable: "t2m" });
    Object.defineProperty(error, "name", { value: "ParseError" });
    const back = decodeFailure(encodeFailure(error, "https://host/a.nc"), "https://host/a.nc");
    expect(back).toBeInstanceOf(VzError);
    expect(back).toMatchObject({ code: "PARSE_FAILED", name: "ParseError", url: "https://host/a.nc", variable: "t2m", message: "HDF5 https://host/a.nc: bad header" });
    expect(PERMANENT_CODES.has("PARSE_FAILED")).toBe(true);
    expect(PERMANENT_CODES.has("READ_FAILED")).toBe(false);
  });

  it("name the file for untyped errors and unreadable reasons", () => {
    const back = decodeFailure(encodeFailure(new TypeError("boom"), "https://host/b.nc"), "https://host/b.nc");
    expect(back).toMatchObject({ code: "PARSE_FAILED", url: "https://host/b.nc" });
    expect(back.message).toContain("https://host/b.nc: boom");
    const raw = decodeFailure("job stalled more than allowable limit", "https://host/c.nc");
    expect(raw).toMatchObject({ code: "READ_FAILED", url: "https://host/c.nc" });
    expect(raw.message).toContain("job stalled more than allowable limit");
  });
});

describe("redisOptions", () => {
  it("reads host, port, database and credentials, and refuses what is not a Redis URL", () => {
    expect(redisOptions("redis://127.0.0.1:6390/2")).toMatchObject({ host: "127.0.0.1", port: 6390, db: 2, maxRetriesPerRequest: null });
    expect(redisOptions("rediss://u:p%40ss@cache.internal")).toMatchObject({ host: "cache.internal", port: 6379, username: "u", password: "p@ss", tls: {} });
    expect(() => redisOptions("http://127.0.0.1:6379")).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    expect(() => redisOptions("redis://h:1/x")).toThrow(/database "x"/);
    expect(() => redisOptions("not a url")).toThrow(/not a Redis URL/);
  });
});
