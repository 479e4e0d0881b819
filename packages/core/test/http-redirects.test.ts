/**
 * HttpReader redirects (followed one by one, same-origin by default, never to metadata hosts),
 * the `checkUrl` hook, and the metadata check after DNS resolution of `createDefaultReaders`.
 * Only loopback servers started here are contacted; refused targets see no request.
 */
import { afterEach, describe, expect, it } from "vitest";
import { HttpReader, isVzError, type ObjectReader } from "../src/index.js";
import { createDefaultReaders, metadataAddressCheck, nodeFetch } from "../src/node.js";
import { expectBytes, patternBytes, startRangeServer, type RangeServer } from "../src/testing.js";

const servers: RangeServer[] = [];
async function server(options: Parameters<typeof startRangeServer>[0] = {}): Promise<RangeServer> {
  const started = await startRangeServer(options);
  servers.push(started);
  return started;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const data = patternBytes(5000, 3);
const noRetry = { maxRetries: 0 };

async function refused(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isVzError(error, "URL_NOT_ALLOWED"), String(error)).toBe(true);
  return (error as Error).message;
}

/** A fetch that records every URL it is asked for and refuses to contact anything but 127.0.0.1. */
function loopbackOnlyFetch(): { fetch: typeof globalThis.fetch; urls: string[] } {
  const urls: string[] = [];
  return {
    urls,
    fetch: async (input, init) => {
      const url = String(input instanceof Request ? input.url : input);
      urls.push(url);
      if (new URL(url).hostname !== "127.0.0.1") throw new Error(`test fetch: refusing to contact ${url}`);
      return globalThis.fetch(input, init);
    },
  };
}

describe("HttpReader redirects", () => {
  it("follows the same redirect chain through nodeFetch (node:http), and refuses it with redirect \"error\"", async () => {
    const s = await server({
      files: { "/real.bin": data },
      faults: [
        { path: "/a.bin", fault: { kind: "status", status: 301, headers: { location: "/b.bin" } } },
        { path: "/b.bin", fault: { kind: "status", status: 307, headers: { location: `/real.bin` } } },
      ],
    });
    const fetch = nodeFetch as typeof globalThis.fetch;
    expectBytes(await new HttpReader({ retry: noRetry, fetch }).getRange(`${s.url}/a.bin`, 10, 20), data.subarray(10, 30));
    expect((await new HttpReader({ retry: noRetry, fetch }).head(`${s.url}/a.bin`)).size).toBe(data.length);
    expect(s.log.filter((r) => r.method === "GET").map((r) => r.path)).toEqual(["/a.bin", "/b.bin", "/real.bin"]);
    await expect(new HttpReader({ retry: noRetry, fetch, redirect: "error" }).getRange(`${s.url}/a.bin`, 0, 10)).rejects.toThrow();
  });

  it("follows same-origin redirects (a chain of them) by default", async () => {
    const s = await server({
      files: { "/real.bin": data },
      faults: [
        { path: "/a.bin", fault: { kind: "status", status: 301, headers: { location: "/b.bin" } } },
        { path: "/b.bin", fault: { kind: "status", status: 307, headers: { location: `/real.bin` } } },
      ],
    });
    expectBytes(await new HttpReader({ retry: noRetry }).getRange(`${s.url}/a.bin`, 10, 20), data.subarray(10, 30));
    expect((await new HttpReader({ retry: noRetry }).head(`${s.url}/a.bin`)).size).toBe(data.length);
    expect(s.log.filter((r) => r.method === "GET").map((r) => r.path)).toEqual(["/a.bin", "/b.bin", "/real.bin"]);
  });

  it("refuses a redirect to another origin by default, naming the target; the target sees no request", async () => {
    const other = await server({ files: { "/secret.bin": data } });
    const s = await server({ faults: [{ path: "/moved.bin", fault: { kind: "status", status: 302, headers: { location: `${other.url}/secret.bin?token=abc` } } }] });
    const message = await refused(new HttpReader({ retry: noRetry }).getRange(`${s.url}/moved.bin`, 0, 10));
    expect(message).toContain(`${other.url}/secret.bin`);
    expect(message).not.toContain("token=abc");
    expect(message).toContain('redirect: "follow"');
    expect(other.log).toEqual([]);
  });

  it('redirect: "follow" follows other origins without the first request\'s headers', async () => {
    const other = await server({ files: { "/real.bin": data } });
    const s = await server({ faults: [{ path: "/moved.bin", fault: { kind: "status", status: 302, headers: { location: `${other.url}/real.bin` } } }] });
    const reader = new HttpReader({ retry: noRetry, redirect: "follow", headers: { authorization: "Bearer secret" } });
    expectBytes(await reader.getRange(`${s.url}/moved.bin`, 0, 10), data.subarray(0, 10));
    expect(s.log[0]!.headers.authorization).toBe("Bearer secret");
    expect(other.log[0]!.headers.authorization).toBeUndefined();
  });

  it("never follows a redirect to a metadata host, whatever the mode; nothing is sent there", async () => {
    const s = await server({
      faults: [
        { path: "/meta.bin", fault: { kind: "status", status: 302, headers: { location: "http://169.254.169.254/latest/meta-data/iam/" } } },
        { path: "/meta6.bin", fault: { kind: "status", status: 302, headers: { location: "http://[fd00:ec2::254]/latest/" } } },
        { path: "/file.bin", fault: { kind: "status", status: 302, headers: { location: "file:///etc/passwd" } } },
      ],
    });
    for (const redirect of ["same-origin", "follow"] as const) {
      const spy = loopbackOnlyFetch();
      const reader = new HttpReader({ retry: noRetry, redirect, fetch: spy.fetch });
      expect(await refused(reader.getRange(`${s.url}/meta.bin`, 0, 10))).toContain("169.254.169.254");
      expect(await refused(reader.getRange(`${s.url}/meta6.bin`, 0, 10))).toContain("fd00:ec2::254");
      expect(await refused(reader.getRange(`${s.url}/file.bin`, 0, 10))).toContain("file:///etc/passwd");
      expect(spy.urls.every((url) => url.startsWith(s.url))).toBe(true);
    }
  });

  it("bounds the number of redirects", async () => {
    const s = await server({ faults: [{ path: "/loop.bin", fault: { kind: "status", status: 302, headers: { location: "/loop.bin" } } }] });
    const error = await new HttpReader({ retry: noRetry, maxRedirects: 3 }).getRange(`${s.url}/loop.bin`, 0, 10).catch((e: unknown) => e);
    expect(isVzError(error, "READ_FAILED")).toBe(true);
    expect((error as Error).message).toContain("more than 3 redirects");
    expect(s.log.length).toBe(4);
    expect(() => new HttpReader({ redirect: "sometimes" as "follow" })).toThrow(/redirect must be/);
  });

  it("in a browser (opaque redirects) lets fetch follow, then refuses an answer from another origin", async () => {
    const calls: string[] = [];
    const fake = (finalUrl: string): typeof globalThis.fetch =>
      async (input, init) => {
        calls.push(`${String(input)} ${init?.redirect}`);
        if (init?.redirect === "manual") return Object.defineProperty(new Response(null, { status: 200 }), "type", { value: "opaqueredirect" });
        const response = new Response(new Uint8Array([1, 2, 3, 4]), { status: 206, headers: { "content-range": "bytes 0-3/10" } });
        Object.defineProperty(response, "redirected", { value: true });
        return Object.defineProperty(response, "url", { value: finalUrl });
      };
    const foreign = new HttpReader({ retry: noRetry, fetch: fake("https://elsewhere.example/x.bin") });
    expect(await refused(foreign.getRange("https://cdn.example/x.bin", 0, 4))).toContain("https://elsewhere.example/x.bin");
    expect(calls).toEqual(["https://cdn.example/x.bin manual", "https://cdn.example/x.bin follow"]);
    const same = new HttpReader({ retry: noRetry, fetch: fake("https://cdn.example/y.bin") });
    expect(await same.getRange("https://cdn.example/x.bin", 0, 4)).toEqual(new Uint8Array([1, 2, 3, 4]));
  });

  it("checkUrl sees the first URL and every redirect target before a request goes there", async () => {
    const s = await server({
      files: { "/real.bin": data },
      faults: [{ path: "/a.bin", fault: { kind: "status", status: 302, headers: { location: "/real.bin" } } }],
    });
    const seen: string[] = [];
    const reader = new HttpReader({
      retry: noRetry,
      checkUrl: (url) => {
        seen.push(url);
      },
    });
    await reader.getRange(`${s.url}/a.bin`, 0, 4);
    expect(seen).toEqual([`${s.url}/a.bin`, `${s.url}/real.bin`]);
  });
});

describe("createDefaultReaders: metadata hosts after DNS resolution", () => {
  const lookup = async (host: string): Promise<string[]> => {
    if (host === "innocent.test") return ["169.254.169.254"];
    if (host === "innocent6.test") return ["fd00:ec2::254"];
    if (host === "fine.test") return ["127.0.0.1"];
    throw Object.assign(new Error(`no such host ${host}`), { code: "ENOTFOUND" });
  };

  it("refuses a host name that resolves to a metadata address before connecting", async () => {
    const readers = createDefaultReaders({ lookup, http: { retry: noRetry } });
    expect(await refused(readers.getRange("http://innocent.test/latest/meta-data/", 0, 4))).toContain("resolves to 169.254.169.254");
    expect(await refused(readers.head("https://innocent6.test/x"))).toContain("resolves to fd00:ec2::254");
    expect(await refused(readers.getRange("http://169.254.169.254/latest/", 0, 4))).toContain("metadata");
  });

  it("refuses a redirect to such a host name; a host the caller allowed by name passes the check", async () => {
    const s = await server({
      files: { "/real.bin": data },
      faults: [{ path: "/moved.bin", fault: { kind: "status", status: 302, headers: { location: "http://innocent.test/creds" } } }],
    });
    const spy = loopbackOnlyFetch();
    const readers: ObjectReader = createDefaultReaders({ lookup, http: { retry: noRetry, redirect: "follow", fetch: spy.fetch } });
    expect(await refused(readers.getRange(`${s.url}/moved.bin`, 0, 4))).toContain("innocent.test");
    expect(spy.urls).toEqual([`${s.url}/moved.bin`]);
    const check = metadataAddressCheck(lookup, new Set(["innocent.test"]));
    await expect(check("http://innocent.test/x")).resolves.toBeUndefined();
    await expect(check("http://fine.test/x")).resolves.toBeUndefined();
    await expect(check("http://unknown.test/x")).resolves.toBeUndefined();
  });
});
