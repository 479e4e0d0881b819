/**
 * HttpReader against a local range server with injected faults: retries (500, 503 + Retry-After,
 * resets), no retry on 404/403, truncated bodies, wrong Content-Range, timeouts, aborts, servers
 * that ignore Range, HEAD fallbacks, ETag pinning, coalescing and its concurrency limit, and URL
 * redaction. Every test bounds its own run time (small timeouts, few retries).
 */
import { afterEach, describe, expect, it } from "vitest";
import { HttpReader, isVzError, type ReadError } from "../src/index.js";
import { backoffDelay, parseRetryAfter, redactUrl } from "../src/internal.js";
import { expectBytes, expectVzError, patternBytes, startRangeServer, type RangeServer } from "../src/testing.js";

const servers: RangeServer[] = [];
async function server(options: Parameters<typeof startRangeServer>[0] = {}): Promise<RangeServer> {
  const started = await startRangeServer(options);
  servers.push(started);
  return started;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const data = patternBytes(200_000, 5);
const fast = { initialDelayMs: 5, maxDelayMs: 20 };

describe("HttpReader retries", () => {
  it("retries a 500 and then returns the right bytes", async () => {
    const s = await server({ files: { "/a.bin": data }, faults: [{ method: "GET", times: 1, fault: { kind: "status", status: 500 } }] });
    const reader = new HttpReader({ retry: fast });
    expectBytes(await reader.getRange(`${s.url}/a.bin`, 1000, 500), data.subarray(1000, 1500));
    expect(s.log.map((r) => r.status)).toEqual([500, 206]);
  });

  it("honours Retry-After on 503 (waits at least that long) and then succeeds", async () => {
    const s = await server({
      files: { "/a.bin": data },
      faults: [{ method: "GET", times: 1, fault: { kind: "status", status: 503, headers: { "retry-after": "1" } } }],
    });
    const reader = new HttpReader({ retry: { ...fast, random: () => 0 } });
    const started = Date.now();
    expectBytes(await reader.getRange(`${s.url}/a.bin`, 0, 100), data.subarray(0, 100));
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(s.log.map((r) => r.status)).toEqual([503, 206]);
  });

  it("does not wait for a Retry-After longer than maxRetryAfterMs: fails at once with ReadError 429", async () => {
    const s = await server({
      files: { "/a.bin": data },
      faults: [{ method: "GET", fault: { kind: "status", status: 429, headers: { "retry-after": "3600" } } }],
    });
    const reader = new HttpReader({ retry: { ...fast, maxRetryAfterMs: 1000 } });
    const error = (await expectVzError(reader.getRange(`${s.url}/a.bin`, 0, 10), "READ_FAILED")) as ReadError;
    expect(error.status).toBe(429);
    expect(s.log.length).toBe(1);
  });

  it("gives up after maxRetries on a persistent 500 with ReadError{status: 500} naming url and range", async () => {
    const s = await server({ files: { "/a.bin": data }, faults: [{ method: "GET", fault: { kind: "status", status: 500 } }] });
    const reader = new HttpReader({ retry: { ...fast, maxRetries: 2 } });
    const error = (await expectVzError(reader.getRange(`${s.url}/a.bin`, 10, 20), "READ_FAILED")) as ReadError;
    expect(error.status).toBe(500);
    expect(error.message).toContain(`${s.url}/a.bin`);
    expect(error.message).toContain("bytes=10-29");
    expect(error.message).toContain("500");
    expect(s.log.length).toBe(3);
  });

  it("retries a reset connection", async () => {
    const s = await server({ files: { "/a.bin": data }, faults: [{ method: "GET", times: 2, fault: { kind: "reset" } }] });
    const reader = new HttpReader({ retry: fast });
    expectBytes(await reader.getRange(`${s.url}/a.bin`, 5, 5), data.subarray(5, 10));
  });

  it("does not retry 404 (NotFoundError) nor 403/401 (PermissionDeniedError)", async () => {
    const s = await server({
      files: { "/a.bin": data },
      faults: [
        { path: "/forbidden.bin", fault: { kind: "status", status: 403 } },
        { path: "/login.bin", fault: { kind: "status", status: 401 } },
      ],
    });
    const reader = new HttpReader({ retry: fast });
    await expectVzError(reader.getRange(`${s.url}/nothing.bin`, 0, 4), "NOT_FOUND");
    await expectVzError(reader.getRange(`${s.url}/forbidden.bin`, 0, 4), "PERMISSION_DENIED");
    await expectVzError(reader.get(`${s.url}/login.bin`), "PERMISSION_DENIED");
    expect(s.log.map((r) => r.status)).toEqual([404, 403, 401]);
  });

  it("maps other 4xx to ReadError with the status, without retrying", async () => {
    const s = await server({ files: { "/a.bin": data }, faults: [{ fault: { kind: "status", status: 400 } }] });
    const reader = new HttpReader({ retry: fast });
    const error = (await expectVzError(reader.getRange(`${s.url}/a.bin`, 0, 4), "READ_FAILED")) as ReadError;
    expect(error.status).toBe(400);
    expect(s.log.length).toBe(1);
  });
});

describe("HttpReader body and header validation", () => {
  it("a truncated body is a ReadError, never short bytes (retried, then given up)", async () => {
    const s = await server({ files: { "/a.bin": data }, faults: [{ method: "GET", fault: { kind: "truncate", bytes: 100 } }] });
    const reader = new HttpReader({ retry: { ...fast, maxRetries: 1 }, timeoutMs: 5000 });
    const error = await expectVzError(reader.getRange(`${s.url}/a.bin`, 0, 5000), "READ_FAILED");
    expect(error.message).toContain("bytes=0-4999");
    expect(s.log.length).toBe(2);
    await expectVzError(reader.get(`${s.url}/a.bin`), "READ_FAILED");
  });

  it("a wrong Content-Range is a ReadError naming the header", async () => {
    const s = await server({ files: { "/a.bin": data }, faults: [{ method: "GET", fault: { kind: "wrong-content-range", shift: 3 } }] });
    const reader = new HttpReader({ retry: fast });
    const error = await expectVzError(reader.getRange(`${s.url}/a.bin`, 100, 50), "READ_FAILED");
    expect(error.message).toContain("Content-Range");
    expect(error.message).toContain("bytes 103-152/200000");
    expect(error.message).toContain(`${s.url}/a.bin`);
  });

  it("a 206 that ends early at the end of the object is RangeNotSatisfiableError", async () => {
    const s = await server({ files: { "/a.bin": data } });
    const reader = new HttpReader({ retry: fast });
    const error = await expectVzError(reader.getRange(`${s.url}/a.bin`, data.length - 10, 20), "RANGE_NOT_SATISFIABLE");
    expect(error.message).toContain("200000 bytes");
  });

  it("a server 416 is RangeNotSatisfiableError (not retried)", async () => {
    const s = await server({ files: { "/a.bin": data } });
    const reader = new HttpReader({ retry: fast });
    await expectVzError(reader.getRange(`${s.url}/a.bin`, data.length + 5, 20), "RANGE_NOT_SATISFIABLE");
    expect(s.log.map((r) => r.status)).toEqual([416]);
  });

  it("a server that ignores Range: small objects are sliced, large ones refused", async () => {
    const s = await server({ files: { "/a.bin": data }, faults: [{ method: "GET", fault: { kind: "ignore-range" } }] });
    const reader = new HttpReader({ retry: fast });
    expectBytes(await reader.getRange(`${s.url}/a.bin`, 12_345, 678), data.subarray(12_345, 13_023));
    expect(s.log[0]!.status).toBe(200);
    const strict = new HttpReader({ retry: fast, maxWholeObjectBytes: 1000 });
    const error = await expectVzError(strict.getRange(`${s.url}/a.bin`, 0, 10), "READ_FAILED");
    expect(error.message).toContain("ignores Range");
    await expectVzError(reader.getRange(`${s.url}/a.bin`, data.length - 1, 2), "RANGE_NOT_SATISFIABLE");
  });

  it("sends Accept-Encoding: identity and the configured headers, and keeps them out of messages", async () => {
    const s = await server({ files: { "/a.bin": data }, faults: [{ path: "/secret.bin", fault: { kind: "status", status: 500 } }] });
    const reader = new HttpReader({ retry: { ...fast, maxRetries: 0 }, headers: { authorization: "Bearer TOKEN-abc123" } });
    await reader.getRange(`${s.url}/a.bin`, 0, 1);
    await reader.get(`${s.url}/a.bin`);
    expect(s.log[0]!.headers["accept-encoding"]).toBe("identity");
    expect(s.log[1]!.headers["accept-encoding"]).toBe("identity");
    expect(s.log[0]!.headers.authorization).toBe("Bearer TOKEN-abc123");
    const error = await expectVzError(reader.get(`${s.url}/secret.bin`), "READ_FAILED");
    expect(JSON.stringify({ message: error.message, error })).not.toContain("TOKEN-abc123");
    expect(String(reader)).not.toContain("TOKEN");
    expect(JSON.stringify(reader)).not.toContain("TOKEN");
  });

  it("redacts signed query strings and user info from messages and error.url", async () => {
    const s = await server({ files: {} });
    const reader = new HttpReader({ retry: fast });
    const signed = `${s.url}/missing.bin?X-Amz-Credential=AKIDSECRET&X-Amz-Signature=deadbeefsig`;
    const error = await expectVzError(reader.getRange(signed, 0, 10), "NOT_FOUND");
    expect(error.message).not.toContain("deadbeefsig");
    expect(error.message).not.toContain("AKIDSECRET");
    expect((error as { url?: string }).url).not.toContain("deadbeefsig");
    expect(error.message).toContain("missing.bin?<redacted>");
    expect(redactUrl("https://user:pass@host.example/p/a.nc?sig=1")).toBe("https://<credentials>@host.example/p/a.nc?<redacted>");
  });
});

describe("HttpReader timeouts and aborts", () => {
  it("a response that stalls mid-body ends in TimeoutError (bounded)", async () => {
    const s = await server({ files: { "/a.bin": data }, faults: [{ method: "GET", fault: { kind: "stall", afterBytes: 10 } }] });
    const reader = new HttpReader({ timeoutMs: 300, retry: { ...fast, maxRetries: 1 } });
    const started = Date.now();
    const error = await expectVzError(reader.getRange(`${s.url}/a.bin`, 0, 1000), "TIMEOUT");
    expect(error.message).toContain("300 ms");
    expect(Date.now() - started).toBeLessThan(3000);
    expect(s.log.length).toBe(2);
  });

  it("a server slower than the timeout to answer ends in TimeoutError", async () => {
    const s = await server({ files: { "/a.bin": data }, faults: [{ method: "GET", fault: { kind: "delay", ms: 2000 } }] });
    const reader = new HttpReader({ timeoutMs: 200, retry: { ...fast, maxRetries: 0 } });
    const started = Date.now();
    await expectVzError(reader.getRange(`${s.url}/a.bin`, 0, 10), "TIMEOUT");
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it("aborting in flight rejects with AbortedError at once (no retry)", async () => {
    const s = await server({ files: { "/a.bin": data }, faults: [{ method: "GET", fault: { kind: "delay", ms: 3000 } }] });
    const reader = new HttpReader({ timeoutMs: 10_000, retry: fast });
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(new Error("user cancelled")), 100);
    await expectVzError(reader.getRange(`${s.url}/a.bin`, 0, 10, { signal: controller.signal }), "ABORTED");
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it("aborting during a retry wait rejects with AbortedError", async () => {
    const s = await server({
      files: { "/a.bin": data },
      faults: [{ method: "GET", fault: { kind: "status", status: 503, headers: { "retry-after": "30" } } }],
    });
    const reader = new HttpReader({ retry: fast });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 150);
    const started = Date.now();
    await expectVzError(reader.getRange(`${s.url}/a.bin`, 0, 10, { signal: controller.signal }), "ABORTED");
    expect(Date.now() - started).toBeLessThan(1500);
  });
});

describe("HttpReader head", () => {
  it("HEAD gives size, ETag and Last-Modified, and is pinned (asked once)", async () => {
    const s = await server({ files: { "/a.bin": data } });
    const reader = new HttpReader();
    const meta = await reader.head(`${s.url}/a.bin`);
    expect(meta.size).toBe(data.length);
    expect(meta.etag).toMatch(/^"v\d+-200000"$/);
    expect(meta.lastModified).toBeInstanceOf(Date);
    await reader.head(`${s.url}/a.bin`);
    await Promise.all([reader.head(`${s.url}/a.bin`), reader.head(`${s.url}/a.bin`)]);
    expect(s.log.filter((r) => r.method === "HEAD").length).toBe(1);
  });

  it("falls back to a 1-byte range GET when HEAD is refused", async () => {
    const s = await server({ files: { "/a.bin": data, "/empty.bin": new Uint8Array(0) }, rejectHead: true });
    const reader = new HttpReader();
    expect((await reader.head(`${s.url}/a.bin`)).size).toBe(data.length);
    expect((await reader.head(`${s.url}/empty.bin`)).size).toBe(0);
    expect(s.log.map((r) => `${r.method} ${r.status} ${r.range ?? ""}`)).toEqual([
      "HEAD 405 ",
      "GET 206 bytes=0-0",
      "HEAD 405 ",
      "GET 416 bytes=0-0",
    ]);
    await expectVzError(reader.head(`${s.url}/none.bin`), "NOT_FOUND");
  });

  it("a range read after the object changed (other ETag or size) is a ReadError", async () => {
    const s = await server({ files: { "/a.bin": data } });
    const reader = new HttpReader({ retry: fast });
    await reader.head(`${s.url}/a.bin`);
    s.put("/a.bin", patternBytes(data.length, 99));
    const error = await expectVzError(reader.getRange(`${s.url}/a.bin`, 0, 10), "READ_FAILED");
    expect(error.message).toContain("changed");
  });
});

describe("HttpReader getRanges", () => {
  it("coalesces ranges within 32 KiB into one request and keeps far ranges apart", async () => {
    const s = await server({ files: { "/a.bin": data } });
    const reader = new HttpReader();
    const ranges = [
      { offset: 100, length: 10 },
      { offset: 20_000, length: 10 },
      { offset: 40_000, length: 100 },
      { offset: 150_000, length: 10 },
    ];
    const pieces = await reader.getRanges(`${s.url}/a.bin`, ranges);
    ranges.forEach((r, i) => expectBytes(pieces[i], data.subarray(r.offset, r.offset + r.length)));
    expect(s.log.map((r) => r.range).sort()).toEqual(["bytes=100-40099", "bytes=150000-150009"]);
  });

  it("runs at most `concurrency` requests at once", async () => {
    const s = await server({ files: { "/a.bin": data }, latencyMs: 30 });
    let inFlight = 0;
    let peak = 0;
    const counting: typeof fetch = async (input, init) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      try {
        const response = await fetch(input, init);
        await new Promise((r) => setTimeout(r, 5));
        return response;
      } finally {
        inFlight--;
      }
    };
    const reader = new HttpReader({ fetch: counting, concurrency: 3, maxGap: 0 });
    const ranges = Array.from({ length: 12 }, (_, i) => ({ offset: i * 15_000, length: 100 }));
    const pieces = await reader.getRanges(`${s.url}/a.bin`, ranges);
    ranges.forEach((r, i) => expectBytes(pieces[i], data.subarray(r.offset, r.offset + r.length)));
    expect(s.log.length).toBe(12);
    expect(peak).toBeGreaterThan(1);
    expect(peak).toBeLessThanOrEqual(3);
  });

  it("accepts a 206 without Content-Range (hidden by CORS) when the body has the requested length", async () => {
    let body = data.slice(10, 20);
    const fake: typeof fetch = async () => new Response(body.buffer, { status: 206 });
    const reader = new HttpReader({ fetch: fake, retry: { maxRetries: 0 } });
    expectBytes(await reader.getRange("https://example.invalid/x.nc", 10, 10), data.subarray(10, 20));
    body = data.slice(10, 15);
    await expectVzError(reader.getRange("https://example.invalid/x.nc", 10, 10), "READ_FAILED");
    body = data.slice(10, 30);
    await expectVzError(reader.getRange("https://example.invalid/x.nc", 10, 10), "READ_FAILED");
  });

  it("uses an injected fetch", async () => {
    const calls: string[] = [];
    const fake: typeof fetch = async (input, init) => {
      const headers = init?.headers as Record<string, string>;
      calls.push(`${init?.method} ${String(input)} ${headers.range} ${headers["x-token-for"]}`);
      return new Response(data.slice(10, 20).buffer, { status: 206, headers: { "content-range": "bytes 10-19/200000" } });
    };
    const reader = new HttpReader({ fetch: fake, headers: async (url) => ({ "x-token-for": new URL(url).host }) });
    expectBytes(await reader.getRange("https://example.invalid/x.nc", 10, 10), data.subarray(10, 20));
    expect(calls).toEqual(["GET https://example.invalid/x.nc bytes=10-19 example.invalid"]);
  });
});

describe("retry policy", () => {
  it("backoff is full jitter below min(maxDelay, initial * base^attempt)", () => {
    expect(backoffDelay(0, { random: () => 0.999, initialDelayMs: 100 })).toBe(99);
    expect(backoffDelay(3, { random: () => 0.5, initialDelayMs: 100 })).toBe(400);
    expect(backoffDelay(20, { random: () => 0.5, initialDelayMs: 100, maxDelayMs: 15_000 })).toBe(7500);
    expect(backoffDelay(2, { random: () => 0 })).toBe(0);
  });

  it("parses Retry-After as seconds or as an HTTP date", () => {
    expect(parseRetryAfter("3")).toBe(3000);
    expect(parseRetryAfter("0.5")).toBe(500);
    const now = Date.parse("2024-01-01T00:00:00Z");
    expect(parseRetryAfter("Mon, 01 Jan 2024 00:00:10 GMT", now)).toBe(10_000);
    expect(parseRetryAfter("soon")).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });

  it("errors are VzErrors across copies (marker, not instanceof)", async () => {
    const s = await server({ files: {} });
    const error = await new HttpReader().get(`${s.url}/x`).catch((e: unknown) => e);
    expect(isVzError(error, "NOT_FOUND")).toBe(true);
  });
});

describe("range server (test kit)", () => {
  it("serves a root directory, refuses paths that escape it, and limits bandwidth", async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { request } = await import("node:http");
    const base = mkdtempSync(join(tmpdir(), "vz-range-root-"));
    try {
      const { mkdirSync } = await import("node:fs");
      mkdirSync(join(base, "root"));
      writeFileSync(join(base, "root", "f.bin"), data.subarray(0, 64 * 1024));
      writeFileSync(join(base, "secret.bin"), data.subarray(0, 10));
      const s = await server({ root: join(base, "root"), bandwidth: 256 * 1024 });
      const reader = new HttpReader();
      const started = Date.now();
      expectBytes(await reader.get(`${s.url}/f.bin`), data.subarray(0, 64 * 1024));
      expect(Date.now() - started).toBeGreaterThanOrEqual(180); // 64 KiB at 256 KiB/s ≈ 250 ms
      const status = await new Promise<number>((resolve, reject) => {
        const r = request({ host: "127.0.0.1", port: s.port, path: "/%2e%2e/secret.bin" }, (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        });
        r.on("error", reject);
        r.end();
      });
      expect(status).toBe(404);
      expect(s.log.map((entry) => `${entry.method} ${entry.path} ${entry.status} ${entry.bytes}`)).toEqual([
        "GET /f.bin 200 65536",
        "GET /../secret.bin 404 9",
      ]);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});

describe("HttpReader redirects and shared HEADs", () => {
  it("redirect: 'error' refuses to follow a redirect; the default follows it", async () => {
    const s = await server({
      files: { "/real.bin": data },
      faults: [{ path: "/moved.bin", fault: { kind: "status", status: 302, headers: { location: "/real.bin" } } }],
    });
    expectBytes(await new HttpReader().getRange(`${s.url}/moved.bin`, 0, 10), data.subarray(0, 10));
    await expectVzError(new HttpReader({ redirect: "error", retry: { maxRetries: 0 } }).getRange(`${s.url}/moved.bin`, 0, 10), "READ_FAILED");
  });

  it("a caller sharing another caller's HEAD is not failed when that caller aborts", async () => {
    const s = await server({ files: { "/a.bin": data }, faults: [{ method: "HEAD", times: 1, fault: { kind: "delay", ms: 300 } }] });
    const reader = new HttpReader();
    const controller = new AbortController();
    const first = reader.head(`${s.url}/a.bin`, { signal: controller.signal });
    const second = reader.head(`${s.url}/a.bin`);
    setTimeout(() => controller.abort(), 50);
    await expectVzError(first, "ABORTED");
    expect((await second).size).toBe(data.length);
  });
});
