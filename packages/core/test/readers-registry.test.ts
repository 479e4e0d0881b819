/**
 * ReaderRegistry routing and refusal of URLs outside the registered prefixes (local files outside a
 * root, dot-segment escapes, sibling directories, cloud metadata endpoints), and
 * createDefaultReaders (allow lists, schemes, S3 configured from the environment).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isVzError, MemoryReader, ReaderRegistry } from "../src/index.js";
import { createDefaultReaders, FileReader, isMetadataHost } from "../src/node.js";
import { expectBytes, expectVzError, patternBytes, startRangeServer, type RangeServer } from "../src/testing.js";

let base: string;
let root: string;
let sibling: string;
let server: RangeServer;
const data = patternBytes(1000, 3);

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), "vz-registry-"));
  root = join(base, "x");
  sibling = join(base, "xy");
  mkdirSync(root);
  mkdirSync(sibling);
  writeFileSync(join(root, "inside.bin"), data);
  writeFileSync(join(sibling, "outside.bin"), data);
  writeFileSync(join(base, "secret.bin"), data);
  server = await startRangeServer({ files: { "/pub/a.bin": data, "/private/b.bin": data, "/bkt/ok.bin": data } });
});
afterAll(async () => {
  rmSync(base, { recursive: true, force: true });
  await server.close();
});

describe("ReaderRegistry", () => {
  it("reads inside the registered root and refuses everything else with UrlNotAllowedError", async () => {
    const rootUrl = `${pathToFileURL(root).href}/`;
    const registry = new ReaderRegistry({ [rootUrl]: new FileReader() });
    expectBytes(await registry.getRange(`${rootUrl}inside.bin`, 10, 10), data.subarray(10, 20));
    const refused = [
      "file:///etc/passwd",
      `${rootUrl}../secret.bin`,
      `${rootUrl}%2e%2e/secret.bin`,
      `${pathToFileURL(sibling).href}/outside.bin`,
      "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
      "http://[fd00:ec2::254]/latest/meta-data/",
      "s3://bucket/key.nc",
      "relative/path.nc",
      "/absolute/path/without/scheme.nc",
    ];
    for (const url of refused) {
      const error = await expectVzError(registry.getRange(url, 0, 1), "URL_NOT_ALLOWED", url);
      expect(error.message).toContain(url.includes("://") ? rootUrl : url);
      await expectVzError(registry.head(url), "URL_NOT_ALLOWED", `head ${url}`);
    }
  });

  it("refuses before any request is sent", async () => {
    const registry = new ReaderRegistry({ [`${server.url}/pub/`]: new MemoryReader() });
    await expectVzError(registry.get(`${server.url}/private/b.bin`), "URL_NOT_ALLOWED");
    await expectVzError(registry.get(`${server.url}/pub/../private/b.bin`), "URL_NOT_ALLOWED");
    expect(server.log.filter((entry) => entry.path.startsWith("/private")).length).toBe(0);
  });

  it("routes by the longest matching prefix", async () => {
    const outer = new MemoryReader({ "memory://a/b/x": new Uint8Array([1]) });
    const inner = new MemoryReader({ "memory://a/b/x": new Uint8Array([2]) });
    const registry = new ReaderRegistry({ "memory://a/": outer, "memory://a/b/": inner });
    expect([...(await registry.get("memory://a/b/x"))]).toEqual([2]);
    expect(registry.prefixes).toEqual(["memory://a/b/", "memory://a/"]);
  });

  it("accepts bare schemes as prefixes", async () => {
    const memory = new MemoryReader({ "memory://z/k": new Uint8Array([7]) });
    const registry = new ReaderRegistry({ "memory://": memory });
    expect([...(await registry.get("memory://z/k"))]).toEqual([7]);
  });
});

describe("createDefaultReaders", () => {
  it("without options reads files, http and (env-configured) s3", async () => {
    const readers = createDefaultReaders({
      env: { AWS_ENDPOINT_URL: server.url, AWS_ACCESS_KEY_ID: "id", AWS_SECRET_ACCESS_KEY: "secret", AWS_REGION: "eu-west-3" },
    });
    expectBytes(await readers.get(pathToFileURL(join(base, "secret.bin")).href), data);
    expectBytes(await readers.getRange(`${server.url}/pub/a.bin`, 5, 5), data.subarray(5, 10));
    expectBytes(await readers.getRange("s3://bkt/ok.bin", 1, 3), data.subarray(1, 4));
    const s3Request = server.log.find((entry) => entry.path === "/bkt/ok.bin")!;
    expect(s3Request.headers.authorization).toMatch(/Credential=id\/\d{8}\/eu-west-3\/s3\/aws4_request/);
    await expectVzError(readers.get("gs://bucket/x"), "URL_NOT_ALLOWED");
  });

  it("allowedPrefixes is an allow list: directories for paths, prefixes for URLs", async () => {
    const readers = createDefaultReaders({ allowedPrefixes: [root, `${server.url}/pub/`] });
    expectBytes(await readers.get(pathToFileURL(join(root, "inside.bin")).href), data);
    expectBytes(await readers.get(`${server.url}/pub/a.bin`), data);
    for (const url of [
      pathToFileURL(join(base, "secret.bin")).href,
      pathToFileURL(join(sibling, "outside.bin")).href,
      `${pathToFileURL(root).href}/../secret.bin`,
      "file:///etc/passwd",
      `${server.url}/private/b.bin`,
      "http://169.254.169.254/latest/meta-data/",
      "s3://bkt/ok.bin",
    ]) {
      await expectVzError(readers.get(url), "URL_NOT_ALLOWED", url);
    }
  });

  it("refuses cloud metadata hosts over http(s) unless explicitly allowed", async () => {
    const readers = createDefaultReaders();
    for (const url of [
      "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
      "https://169.254.170.2/v2/credentials",
      "http://[fd00:ec2::254]/latest/meta-data/",
      "http://metadata.google.internal/computeMetadata/v1/",
      "http://100.100.100.200/latest/meta-data/",
    ]) {
      const error = await expectVzError(readers.getRange(url, 0, 10), "URL_NOT_ALLOWED", url);
      expect(error.message).toContain("metadata");
    }
    expect(isMetadataHost("http://169.254.169.254/")).toBe(true);
    expect(isMetadataHost(`${server.url}/pub/a.bin`)).toBe(false);
    expectBytes(await readers.getRange(`${server.url}/pub/a.bin`, 0, 3), data.subarray(0, 3));
  });

  it("schemes switches readers off; unknown allowed schemes are rejected", async () => {
    const readers = createDefaultReaders({ schemes: ["file"] });
    await expectVzError(readers.get(`${server.url}/pub/a.bin`), "URL_NOT_ALLOWED");
    expectBytes(await readers.get(pathToFileURL(join(root, "inside.bin")).href), data);
    let thrown: unknown;
    try {
      createDefaultReaders({ allowedPrefixes: ["gs://bucket/"] });
    } catch (error) {
      thrown = error;
    }
    expect(isVzError(thrown, "INVALID_ARGUMENT")).toBe(true);
  });
});
