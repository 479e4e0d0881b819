/**
 * kerchunk references are untrusted input: through openVirtualDataset (the plugin declares
 * `readsReferences`), chunk URLs are read only inside the reference set's own place or under
 * `allowedPrefixes`; a refused URL is never asked of the reader (no request). JSON and Parquet,
 * local and served by a loopback HTTP server.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { isVzError, type KerchunkRefs, type ManifestStore, type ObjectReader, openManifestStore, openVirtualMfdataset } from "@vz/core";
import { createDefaultReaders, createThreadPool, writeKerchunkParquet } from "@vz/core/node";
import { startRangeServer, type RangeServer } from "@vz/core/testing";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import kerchunkPlugin from "../src/index.js";

const work = mkdtempSync(join(tmpdir(), "vz-kerchunk-policy-"));
const refsDir = join(work, "refs");
const otherDir = join(work, "other");
mkdirSync(refsDir);
mkdirSync(otherDir);
const own = new Uint8Array([1, 2, 3, 4]);
const elsewhere = new Uint8Array([5, 6, 7, 8]);
writeFileSync(join(refsDir, "data.bin"), own);
writeFileSync(join(otherDir, "data.bin"), elsewhere);
afterAll(() => rmSync(work, { recursive: true, force: true }));

const servers: RangeServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

function refsTo(target: string): KerchunkRefs {
  return {
    version: 1,
    refs: {
      ".zgroup": '{"zarr_format":2}',
      "x/.zarray": '{"chunks":[4],"compressor":null,"dtype":"|u1","fill_value":0,"filters":null,"order":"C","shape":[4],"zarr_format":2}',
      "x/.zattrs": '{"_ARRAY_DIMENSIONS":["x"]}',
      "x/0": [target, 0, 4],
    },
  } as KerchunkRefs;
}

function writeRefs(name: string, target: string): string {
  const path = join(refsDir, name);
  writeFileSync(path, JSON.stringify(refsTo(target)));
  return pathToFileURL(path).href;
}

/** The default readers, recording every URL asked for. */
function spyReader(inner: ObjectReader = createDefaultReaders({ http: { retry: { maxRetries: 0 } } })): ObjectReader & { urls: string[] } {
  const urls: string[] = [];
  return {
    urls,
    get: (url, opts) => (urls.push(url), inner.get(url, opts)),
    getRange: (url, offset, length, opts) => (urls.push(url), inner.getRange(url, offset, length, opts)),
    getRanges: (url, ranges, opts) => (urls.push(url), inner.getRanges(url, ranges, opts)),
    head: (url, opts) => (urls.push(url), inner.head(url, opts)),
    list: (prefix, opts) => (urls.push(prefix), inner.list(prefix, opts)),
  };
}

async function open(url: string, reader: ObjectReader, extra: { allowedPrefixes?: string[]; root?: string } = {}): Promise<ManifestStore> {
  const { store } = await openManifestStore(url, {
    reader,
    parser: kerchunkPlugin,
    ...(extra.root ? { parserOptions: { root: extra.root } } : {}),
    ...(extra.allowedPrefixes ? { allowedPrefixes: extra.allowedPrefixes } : {}),
  });
  return store;
}

async function refused(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isVzError(error, "URL_NOT_ALLOWED"), String(error)).toBe(true);
  return (error as Error).message;
}

describe("local kerchunk JSON", () => {
  it("refuses file:///etc/passwd with a typed error naming chunk, reference set, places and how to allow; the reader is never asked", async () => {
    const url = writeRefs("passwd.json", "file:///etc/passwd");
    const reader = spyReader();
    const store = await open(url, reader);
    const message = await refused(store.get("x/c/0"));
    expect(message).toContain("file:///etc/passwd");
    expect(message).toContain(url);
    expect(message).toContain(pathToFileURL(refsDir).href + "/");
    expect(message).toContain("--allow file:///etc/");
    expect(message).toContain('"allow" in vz.config.json');
    expect(reader.urls).not.toContain("file:///etc/passwd");
  });

  it("reads chunks inside its own folder, by absolute URL or relative URL with root", async () => {
    const reader = spyReader();
    expect(await (await open(writeRefs("own.json", pathToFileURL(join(refsDir, "data.bin")).href), reader)).get("x/c/0")).toEqual(own);
    const relative = writeRefs("relative.json", "data.bin");
    expect(await (await open(relative, reader, { root: pathToFileURL(refsDir).href })).get("x/c/0")).toEqual(own);
    // a relative URL that climbs out of the folder is refused like any other
    const climbing = writeRefs("climbing.json", "../other/data.bin");
    await refused((await open(climbing, reader, { root: pathToFileURL(refsDir).href })).get("x/c/0"));
  });

  it("reads chunks elsewhere only after allowedPrefixes names their place", async () => {
    const target = pathToFileURL(join(otherDir, "data.bin")).href;
    const url = writeRefs("other.json", target);
    const reader = spyReader();
    await refused((await open(url, reader)).get("x/c/0"));
    expect(reader.urls).not.toContain(target);
    expect(await (await open(url, reader, { allowedPrefixes: [pathToFileURL(otherDir).href] })).get("x/c/0")).toEqual(elsewhere);
  });

  it("whole-file references are sized (HEAD) through the policy too", async () => {
    const path = join(refsDir, "whole.json");
    const refs = refsTo("file:///etc/passwd");
    refs.refs["x/0"] = ["file:///etc/passwd"];
    writeFileSync(path, JSON.stringify(refs));
    const reader = spyReader();
    const error = await openManifestStore(pathToFileURL(path).href, { reader, parser: kerchunkPlugin, parserOptions: { wholeFileReferences: "head" } }).catch(
      (e: unknown) => e,
    );
    expect(isVzError(error, "URL_NOT_ALLOWED")).toBe(true);
    expect(reader.urls).not.toContain("file:///etc/passwd");
  });
});

describe("local kerchunk Parquet", () => {
  it("refuses chunks outside its place and reads them after allowedPrefixes; reads its own folder", async () => {
    const outside = join(refsDir, "outside.parq");
    await writeKerchunkParquet(refsTo(pathToFileURL(join(otherDir, "data.bin")).href), outside);
    const inside = join(refsDir, "inside.parq");
    await writeKerchunkParquet(refsTo(pathToFileURL(join(refsDir, "data.bin")).href), inside);
    const passwd = join(refsDir, "passwd.parq");
    await writeKerchunkParquet(refsTo("file:///etc/passwd"), passwd);
    const reader = spyReader();
    await refused((await open(pathToFileURL(outside).href, reader)).get("x/c/0"));
    await refused((await open(pathToFileURL(passwd).href, reader)).get("x/c/0"));
    expect(reader.urls).not.toContain("file:///etc/passwd");
    expect(await (await open(pathToFileURL(outside).href, reader, { allowedPrefixes: [pathToFileURL(otherDir).href] })).get("x/c/0")).toEqual(elsewhere);
    expect(await (await open(pathToFileURL(inside).href, reader)).get("x/c/0")).toEqual(own);
  });
});

describe("kerchunk JSON served over HTTP", () => {
  it("never reaches file://, another loopback port or a metadata host; reads its own origin", async () => {
    const target = await startRangeServer({ files: { "/data.bin": elsewhere } });
    servers.push(target);
    const host = await startRangeServer({
      files: {
        "/data.bin": own,
        "/passwd.json": new TextEncoder().encode(JSON.stringify(refsTo("file:///etc/passwd"))),
        "/port.json": new TextEncoder().encode(JSON.stringify(refsTo(`${target.url}/data.bin`))),
        "/metadata.json": new TextEncoder().encode(JSON.stringify(refsTo("http://169.254.169.254/latest/meta-data/iam/security-credentials/"))),
        "/own.json": new TextEncoder().encode(JSON.stringify(refsTo("data.bin"))),
      },
    });
    servers.push(host);
    const urls: string[] = [];
    const reader = spyReader(
      createDefaultReaders({
        http: {
          retry: { maxRetries: 0 },
          fetch: async (input, init) => {
            const url = String(input);
            urls.push(url);
            if (new URL(url).hostname !== "127.0.0.1") throw new Error(`test fetch: refusing to contact ${url}`);
            return globalThis.fetch(input, init);
          },
        },
      }),
    );
    expect(await refused((await open(`${host.url}/passwd.json`, reader)).get("x/c/0"))).toContain(`${host.url}/passwd.json`);
    expect(await refused((await open(`${host.url}/port.json`, reader)).get("x/c/0"))).toContain(`${target.url}/data.bin`);
    expect(await refused((await open(`${host.url}/metadata.json`, reader)).get("x/c/0"))).toContain("instance-metadata");
    expect(target.log).toEqual([]);
    expect(reader.urls.filter((u) => !u.startsWith(host.url))).toEqual([]);
    expect(urls.filter((u) => !u.startsWith(host.url))).toEqual([]);
    expect(await (await open(`${host.url}/own.json`, reader, { root: `${host.url}/` })).get("x/c/0")).toEqual(own);
    // the other port by name
    expect(await (await open(`${host.url}/port.json`, reader, { allowedPrefixes: [`${target.url}/`] })).get("x/c/0")).toEqual(elsewhere);
  });
});

describe("openVirtualMfdataset in worker threads", () => {
  it("loads variables through the policy in the workers, and allowedPrefixes reach them", async () => {
    const pluginModule = resolve(dirname(fileURLToPath(import.meta.url)), "../dist/index.js");
    const pool = createThreadPool({ size: 1, parserModule: pluginModule });
    try {
      const passwd = writeRefs("pool-passwd.json", "file:///etc/passwd");
      const error = await openVirtualMfdataset([passwd], { reader: spyReader(), parallel: pool, loadableVariables: ["x"] }).catch((e: unknown) => e);
      expect(isVzError(error, "URL_NOT_ALLOWED")).toBe(true);
      expect((error as Error).message).toContain("file:///etc/passwd");
      const other = writeRefs("pool-other.json", pathToFileURL(join(otherDir, "data.bin")).href);
      await expect(openVirtualMfdataset([other], { reader: spyReader(), parallel: pool, loadableVariables: ["x"] })).rejects.toMatchObject({ code: "URL_NOT_ALLOWED" });
      const vds = await openVirtualMfdataset([other], {
        reader: spyReader(),
        parallel: pool,
        loadableVariables: ["x"],
        allowedPrefixes: [pathToFileURL(otherDir).href],
      });
      const x = vds.variables.get("x")!;
      expect(Array.from((x.data as { values: ArrayLike<number> }).values)).toEqual([5, 6, 7, 8]);
    } finally {
      await pool.close();
    }
  });
});
