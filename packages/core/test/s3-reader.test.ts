/**
 * S3Reader: SigV4 against AWS's documented example and against botocore (independent oracle, run
 * with the Python that hosts moto_server), S3 XML error mapping and retries (through the range
 * server posing as S3), credentials never leaking, credential providers, URL styles, and listing
 * with continuation tokens against moto_server. Tests needing moto/botocore skip without them.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { inspect } from "node:util";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { S3Reader, type AwsCredentials, type ReadError } from "../src/index.js";
import { parseS3Url, s3HttpUrl, signRequestParts, type SigningKeyCache } from "../src/internal.js";
import { s3OptionsFromEnv } from "../src/node.js";
import {
  expectBytes,
  expectVzError,
  findMotoServer,
  patternBytes,
  startRangeServer,
  startS3Server,
  type RangeServer,
  type S3TestServer,
} from "../src/testing.js";
import { decodeXmlText, parseListObjectsV2 } from "../src/readers/s3-reader.js";

const SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY-vz-secret";
const TOKEN = "FwoGZXIvYXdzEXAMPLE-session-token-vz";
const KEY_ID = "AKIAVZTESTKEYID00001";
const credentials: AwsCredentials = { accessKeyId: KEY_ID, secretAccessKey: SECRET, sessionToken: TOKEN };

const moto = findMotoServer();
const python = moto ? join(dirname(moto), "python") : undefined;
const BOTOCORE_SCRIPT = `
import json, sys, datetime
import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
out = []
for case in json.load(sys.stdin):
    fixed = datetime.datetime.strptime(case["date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
    botocore.auth.get_current_datetime = lambda fixed=fixed: fixed
    creds = Credentials(case["accessKeyId"], case["secretAccessKey"], case.get("sessionToken"))
    request = AWSRequest(method=case["method"], url=case["url"], headers=case["headers"])
    botocore.auth.S3SigV4Auth(creds, "s3", case["region"]).add_auth(request)
    out.append(request.headers["Authorization"])
print(json.dumps(out))
`;
const botocoreAvailable =
  python !== undefined &&
  existsSync(python) &&
  spawnSync(python, ["-c", "import botocore"], { timeout: 30_000 }).status === 0;

interface BotocoreCase {
  method: string;
  url: string;
  headers: Record<string, string>;
  date: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}
function botocoreAuthorization(cases: BotocoreCase[]): string[] {
  const result = spawnSync(python!, ["-c", BOTOCORE_SCRIPT], { input: JSON.stringify(cases), encoding: "utf8", timeout: 60_000 });
  if (result.status !== 0) throw new Error(`botocore helper failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as string[];
}

describe("SigV4", () => {
  it("matches AWS's documented GET Object example (examplebucket/test.txt, Range bytes=0-9)", async () => {
    const parts = await signRequestParts({
      method: "GET",
      url: "https://examplebucket.s3.amazonaws.com/test.txt",
      headers: { range: "bytes=0-9" },
      region: "us-east-1",
      service: "s3",
      credentials: { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" },
      date: new Date("2013-05-24T00:00:00Z"),
    });
    expect(parts.signature).toBe("f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
    expect(parts.headers.authorization).toBe(
      "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, " +
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, " +
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
    );
  });

  it("gives the same signature with a signing-key cache, and the cache notices a changed secret", async () => {
    const cache: SigningKeyCache = new Map();
    const input = {
      method: "GET",
      url: "https://examplebucket.s3.amazonaws.com/test.txt",
      headers: { range: "bytes=0-9" },
      region: "us-east-1",
      service: "s3",
      credentials: { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" },
      date: new Date("2013-05-24T00:00:00Z"),
      signingKeyCache: cache,
    };
    for (let i = 0; i < 2; i++) {
      expect((await signRequestParts(input)).signature).toBe("f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
    }
    expect(cache.size).toBe(1);
    const changed = await signRequestParts({ ...input, credentials: { ...input.credentials, secretAccessKey: "other" } });
    const fresh = await signRequestParts({ ...input, credentials: { ...input.credentials, secretAccessKey: "other" }, signingKeyCache: undefined });
    expect(changed.signature).toBe(fresh.signature);
    expect(changed.signature).not.toBe("f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  });

  describe.skipIf(!botocoreAvailable)("requests S3Reader sends verify with botocore (skips when the Python of moto_server lacks botocore)", () => {
    let server: RangeServer;
    beforeAll(async () => {
      server = await startRangeServer();
    });
    afterAll(() => server.close());

    it("GET, HEAD and LIST requests with special keys, session token and continuation tokens", async () => {
      const data = patternBytes(5000, 4);
      const keys = ["plain.bin", "dir with space/a+b=c.bin", "ünï/(x)*!'~.bin", "deep/a/b/c%d.bin"];
      for (const key of keys) server.put(`/bucket-one/${key}`, data);
      server.put("/bucket-one/", new TextEncoder().encode("<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>"));
      const reader = new S3Reader({ endpoint: server.url, region: "eu-central-1", credentials });
      for (const key of keys) {
        const encodedKey = key.split("/").map(encodeURIComponent).join("/");
        expectBytes(await reader.getRange(`s3://bucket-one/${encodedKey}`, 10, 20), data.subarray(10, 30), key);
      }
      await reader.head("s3://bucket-one/plain.bin");
      // a listing page whose continuation token needs encoding
      server.addFault({
        path: "/bucket-one/",
        times: 1,
        fault: {
          kind: "status",
          status: 200,
          body: "<ListBucketResult><IsTruncated>true</IsTruncated><NextContinuationToken>a+b/c==</NextContinuationToken></ListBucketResult>",
        },
      });
      const listed: string[] = [];
      for await (const item of reader.list("s3://bucket-one/dir with space/")) listed.push(item.url);
      expect(listed).toEqual([]);
      const sent = server.log.filter((entry) => entry.headers.authorization);
      expect(sent.length).toBe(keys.length + 3);
      expect(sent.some((entry) => entry.target.includes("continuation-token=a%2Bb%2Fc%3D%3D"))).toBe(true);
      const cases: BotocoreCase[] = sent.map((entry) => ({
        method: entry.method,
        url: `${server.url}${entry.target}`,
        headers: entry.range ? { Range: entry.range } : ({} as Record<string, string>),
        date: entry.headers["x-amz-date"]!,
        region: "eu-central-1",
        accessKeyId: KEY_ID,
        secretAccessKey: SECRET,
        sessionToken: TOKEN,
      }));
      const expected = botocoreAuthorization(cases);
      expect(sent.map((entry) => entry.headers.authorization)).toEqual(expected);
      for (const entry of sent) expect(entry.headers["x-amz-security-token"]).toBe(TOKEN);
    });
  });
});

describe("S3 URLs", () => {
  it("parses s3:// URLs and percent-decodes keys", () => {
    expect(parseS3Url("s3://bucket/a/b c.nc")).toEqual({ bucket: "bucket", key: "a/b c.nc", query: "" });
    expect(parseS3Url("s3://bucket/a/b%20c.nc")).toEqual({ bucket: "bucket", key: "a/b c.nc", query: "" });
    expect(parseS3Url("s3://bucket/100%")).toEqual({ bucket: "bucket", key: "100%", query: "" });
    expect(parseS3Url("s3://bucket")).toEqual({ bucket: "bucket", key: "", query: "" });
    expect(() => parseS3Url("https://bucket/x")).toThrow(/s3:\/\//);
  });

  it("builds virtual-hosted, path-style and custom-endpoint URLs", () => {
    expect(s3HttpUrl("my-bucket", "a b/c.nc", { region: "eu-west-1" })).toBe("https://my-bucket.s3.eu-west-1.amazonaws.com/a%20b/c.nc");
    expect(s3HttpUrl("my.dotted.bucket", "k", { region: "us-west-2" })).toBe("https://s3.us-west-2.amazonaws.com/my.dotted.bucket/k");
    expect(s3HttpUrl("b1", "k", { region: "us-west-2", forcePathStyle: true })).toBe("https://s3.us-west-2.amazonaws.com/b1/k");
    expect(s3HttpUrl("b1", "x/y", { endpoint: "http://127.0.0.1:9000/" })).toBe("http://127.0.0.1:9000/b1/x/y");
    expect(s3HttpUrl("b1", "x", { endpoint: "https://r2.example.com", forcePathStyle: false })).toBe("https://b1.r2.example.com/x");
  });

  it("reads the AWS environment variables", () => {
    expect(
      s3OptionsFromEnv({
        AWS_ACCESS_KEY_ID: "id",
        AWS_SECRET_ACCESS_KEY: "secret",
        AWS_SESSION_TOKEN: "token",
        AWS_DEFAULT_REGION: "eu-north-1",
        AWS_ENDPOINT_URL: "http://localhost:9000",
        AWS_S3_FORCE_PATH_STYLE: "true",
      }),
    ).toEqual({
      region: "eu-north-1",
      endpoint: "http://localhost:9000",
      forcePathStyle: true,
      credentials: { accessKeyId: "id", secretAccessKey: "secret", sessionToken: "token" },
    });
    expect(s3OptionsFromEnv({ AWS_REGION: "ap-south-1", AWS_DEFAULT_REGION: "x", AWS_ENDPOINT_URL: "a", AWS_ENDPOINT_URL_S3: "http://s3only" })).toEqual({
      region: "ap-south-1",
      endpoint: "http://s3only",
    });
    expect(s3OptionsFromEnv({ AWS_ACCESS_KEY_ID: "id", AWS_SECRET_ACCESS_KEY: "s", AWS_NO_SIGN_REQUEST: "1" }).anonymous).toBe(true);
    expect(s3OptionsFromEnv({}).region).toBe("us-east-1");
  });

  it("parses ListObjectsV2 XML with entities, attributes and odd spacing", () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
      <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
        <Name>b</Name><Prefix>p/</Prefix><KeyCount>2</KeyCount>
        <IsTruncated> true </IsTruncated>
        <Contents><Key>p/a&amp;b &lt;1&gt;.nc</Key><LastModified>2024-01-01T00:00:00.000Z</LastModified><Size>12</Size></Contents>
        <Contents>
          <Key>p/&#x00FC;&#252;.nc</Key>
          <Size>0</Size>
        </Contents>
        <Contents><Key>broken-no-size</Key></Contents>
        <NextContinuationToken>tok+/=</NextContinuationToken>
      </ListBucketResult>`;
    expect(parseListObjectsV2(xml)).toEqual({
      objects: [
        { key: "p/a&b <1>.nc", size: 12 },
        { key: "p/üü.nc", size: 0 },
      ],
      truncated: true,
      continuationToken: "tok+/=",
    });
    expect(decodeXmlText("&quot;&apos;&unknown;")).toBe(`"'&unknown;`);
  });
});

describe("S3 error mapping (range server posing as S3)", () => {
  let server: RangeServer;
  const data = patternBytes(4000, 9);
  beforeAll(async () => {
    server = await startRangeServer({ files: { "/bkt/ok.bin": data } });
  });
  afterAll(() => server.close());
  afterEach(() => {
    server.log.length = 0;
  });
  const s3Error = (code: string, message = "msg"): string =>
    `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message><RequestId>1</RequestId></Error>`;
  const reader = (): S3Reader =>
    new S3Reader({ endpoint: server.url, credentials, retry: { maxRetries: 2, initialDelayMs: 5, maxDelayMs: 10 } });

  it("NoSuchKey → NotFoundError, AccessDenied → PermissionDeniedError, InvalidRange → RangeNotSatisfiableError", async () => {
    server.addFault({ path: "/bkt/nokey.bin", fault: { kind: "status", status: 404, body: s3Error("NoSuchKey") } });
    server.addFault({ path: "/bkt/denied.bin", fault: { kind: "status", status: 403, body: s3Error("AccessDenied", "Access Denied") } });
    server.addFault({ path: "/bkt/range.bin", fault: { kind: "status", status: 416, body: s3Error("InvalidRange") } });
    const r = reader();
    const notFound = await expectVzError(r.getRange("s3://bkt/nokey.bin", 0, 10), "NOT_FOUND");
    expect(notFound.message).toContain("s3://bkt/nokey.bin");
    expect(notFound.message).toContain("NoSuchKey");
    const denied = await expectVzError(r.get("s3://bkt/denied.bin"), "PERMISSION_DENIED");
    expect(denied.message).toContain("AccessDenied");
    await expectVzError(r.getRange("s3://bkt/range.bin", 100, 10), "RANGE_NOT_SATISFIABLE");
    expect(server.log.length).toBe(3);
  });

  it("the XML code wins over the status (AccessDenied sent as 400 is still PermissionDenied)", async () => {
    server.addFault({ path: "/bkt/odd.bin", fault: { kind: "status", status: 400, body: s3Error("AccessDenied") } });
    await expectVzError(reader().get("s3://bkt/odd.bin"), "PERMISSION_DENIED");
  });

  it("SlowDown is retried, then the read succeeds; a persistent InternalError ends in ReadError", async () => {
    server.addFault({ path: "/bkt/ok.bin", times: 2, fault: { kind: "status", status: 503, body: s3Error("SlowDown") } });
    expectBytes(await reader().getRange("s3://bkt/ok.bin", 100, 50), data.subarray(100, 150));
    expect(server.log.map((entry) => entry.status)).toEqual([503, 503, 206]);
    server.addFault({ path: "/bkt/broken.bin", fault: { kind: "status", status: 500, body: s3Error("InternalError", "We encountered an internal error") } });
    const error = (await expectVzError(reader().getRange("s3://bkt/broken.bin", 0, 10), "READ_FAILED")) as ReadError;
    expect(error.status).toBe(500);
    expect(error.message).toContain("InternalError");
    expect(error.message).toContain("bytes=0-9");
  });

  it("anonymous readers send no Authorization header", async () => {
    const anonymous = new S3Reader({ endpoint: server.url });
    expectBytes(await anonymous.getRange("s3://bkt/ok.bin", 0, 4), data.subarray(0, 4));
    expect(server.log[0]!.headers.authorization).toBeUndefined();
    const signed = reader();
    await signed.getRange("s3://bkt/ok.bin", 0, 4);
    expect(server.log[1]!.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIAVZTESTKEYID00001\/\d{8}\/us-east-1\/s3\/aws4_request/);
  });

  it("a credentials provider is asked once, and again when the credentials near expiry", async () => {
    let calls = 0;
    const provider = async (): Promise<AwsCredentials> => {
      calls++;
      return { ...credentials, expiration: new Date(Date.now() + (calls === 1 ? 60_000 : 3_600_000)) };
    };
    const r = new S3Reader({ endpoint: server.url, credentials: provider });
    await Promise.all([r.getRange("s3://bkt/ok.bin", 0, 1), r.getRange("s3://bkt/ok.bin", 1, 1)]);
    expect(calls).toBe(1); // concurrent requests share one call
    await r.getRange("s3://bkt/ok.bin", 2, 1);
    expect(calls).toBe(2); // the first credentials expire within the 5-minute margin: refreshed
    await r.getRange("s3://bkt/ok.bin", 3, 1);
    await r.getRange("s3://bkt/ok.bin", 4, 1);
    expect(calls).toBe(2); // the new ones last an hour
  });

  it("credentials never appear in error messages, causes, toString, JSON or inspect", async () => {
    server.addFault({ path: "/bkt/denied2.bin", fault: { kind: "status", status: 403, body: s3Error("SignatureDoesNotMatch") } });
    server.addFault({ path: "/bkt/fail.bin", fault: { kind: "status", status: 500, body: s3Error("InternalError") } });
    server.addFault({ path: "/bkt/ok.bin", times: 2, fault: { kind: "stall" } });
    const r = new S3Reader({ endpoint: server.url, credentials, retry: { maxRetries: 1, initialDelayMs: 5 }, timeoutMs: 200 });
    const dead = new S3Reader({ endpoint: "http://127.0.0.1:9", credentials, retry: { maxRetries: 0 } });
    const errors = [
      await expectVzError(r.get("s3://bkt/denied2.bin"), "PERMISSION_DENIED"),
      await expectVzError(r.getRange("s3://bkt/fail.bin", 0, 5), "READ_FAILED"),
      await expectVzError(r.getRange("s3://bkt/ok.bin", 0, 5), "TIMEOUT"),
      await expectVzError(r.head("s3://bkt/missing.bin"), "NOT_FOUND"),
      await expectVzError(r.getRange("s3://bkt/ok.bin", 3990, 20), "RANGE_NOT_SATISFIABLE"),
      await expectVzError(dead.getRange("s3://bkt/ok.bin", 0, 5), "READ_FAILED"),
    ];
    const texts: string[] = [String(r), JSON.stringify(r), inspect(r, { depth: 5, showHidden: true }), JSON.stringify({ r })];
    for (const error of errors) {
      let current: unknown = error;
      for (let depth = 0; current && depth < 5; depth++) {
        texts.push(String(current), (current as Error).message ?? "", (current as Error).stack ?? "", JSON.stringify(current) ?? "");
        texts.push(inspect(current, { depth: 5 }));
        current = (current as { cause?: unknown }).cause;
      }
    }
    for (const text of texts) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain(KEY_ID);
      expect(text).not.toContain("Signature=");
    }
    expect(String(r)).toBe(`S3Reader(region=us-east-1, endpoint=${server.url}/, signed=true)`);
  });
});

describe.skipIf(!moto)("S3Reader on moto_server (skips when moto_server is not installed)", () => {
  let s3: S3TestServer;
  beforeAll(async () => {
    s3 = await startS3Server({ buckets: ["vz-list", "vz-other"], credentials });
  });
  afterAll(() => s3?.close());

  it("lists across pages with continuation tokens", async () => {
    const keys = Array.from({ length: 7 }, (_, i) => `many/obj-${i}.bin`);
    for (const [i, key] of keys.entries()) await s3.putObject("vz-list", key, patternBytes(10 + i, i));
    await s3.putObject("vz-list", "manyx/other.bin", patternBytes(3));
    const reader = new S3Reader({ ...s3.readerOptions, listPageSize: 2 });
    const listed: { url: string; size: number }[] = [];
    for await (const item of reader.list("s3://vz-list/many/")) listed.push(item);
    expect(listed.map((item) => item.url).sort()).toEqual(keys.map((key) => `s3://vz-list/${key}`).sort());
    expect(listed.map((item) => item.size).sort((a, b) => a - b)).toEqual([10, 11, 12, 13, 14, 15, 16]);
  });

  it("reads keys given raw or percent-encoded alike", async () => {
    const bytes = patternBytes(300, 77);
    await s3.putObject("vz-other", "a dir/x+y.bin", bytes);
    expectBytes(await s3.reader.get("s3://vz-other/a dir/x+y.bin"), bytes);
    expectBytes(await s3.reader.get("s3://vz-other/a%20dir/x%2By.bin"), bytes);
  });

  it("a missing bucket is NotFoundError; credentials stay out of the message", async () => {
    const error = await expectVzError(s3.reader.getRange("s3://no-such-bucket-vz/x.bin", 0, 1), "NOT_FOUND");
    expect(error.message).toContain("s3://no-such-bucket-vz/x.bin");
    expect(error.message).not.toContain(SECRET);
    expect(error.message).not.toContain(KEY_ID);
  });
});
