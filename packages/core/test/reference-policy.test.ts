/**
 * The reference policy: the own place of a reference set, prefix matching, special hosts, the
 * policy reader (refuses before the wrapped reader is called), and its central enforcement in
 * openManifestStore / openVirtualDataset / openVirtualMfdataset for plugins that declare
 * `readsReferences`.
 */
import { describe, expect, it } from "vitest";
import {
  ChunkManifestBuilder,
  createArrayMetadata,
  isVzError,
  ManifestArray,
  ManifestGroup,
  ManifestStore,
  MemoryReader,
  type ObjectReader,
  openManifestStore,
  openVirtualDataset,
  openVirtualMfdataset,
  type ParserPlugin,
  withReferencePolicy,
} from "../src/index.js";
import {
  checkReferenceUrl,
  isMetadataAddress,
  isReferencePolicyReader,
  isSpecialHost,
  normalizePrefix,
  referencePlace,
  underPrefix,
} from "../src/internal.js";

/** An ObjectReader that records every URL it is asked for, then delegates. */
function spy(inner: ObjectReader): ObjectReader & { urls: string[] } {
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

async function refusal(promise: Promise<unknown>): Promise<Error & { code: string; url?: string }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isVzError(error, "URL_NOT_ALLOWED")).toBe(true);
  return error as Error & { code: string; url?: string };
}

describe("referencePlace", () => {
  it("is the folder of a local reference file, the folder holding a directory reference set", () => {
    expect(referencePlace("file:///data/refs/air.json")).toBe("file:///data/refs/");
    expect(referencePlace("file:///data/refs/combined.parq")).toBe("file:///data/refs/");
    expect(referencePlace("file:///data/refs/combined.parq/")).toBe("file:///data/refs/");
    expect(referencePlace("file:///data/a/../refs/air.json")).toBe("file:///data/refs/");
  });

  it("is the origin of an HTTP reference set and the bucket of an S3 one", () => {
    expect(referencePlace("https://Host.example:8443/x/y/refs.json?sig=1")).toBe("https://host.example:8443/");
    expect(referencePlace("http://127.0.0.1:4000/refs.json")).toBe("http://127.0.0.1:4000/");
    expect(referencePlace("s3://bucket/refs/air.json")).toBe("s3://bucket/");
  });
});

describe("prefix matching", () => {
  it("treats a prefix as a directory: no sibling with a longer name, no escape through ..", () => {
    expect(underPrefix("file:///data/in/a.nc", "file:///data/in")).toBe(true);
    expect(underPrefix("file:///data/inx/a.nc", "file:///data/in")).toBe(false);
    expect(() => checkReferenceUrl("file:///data/in/../../etc/passwd", "file:///data/in/r.json", ["file:///data/in/"])).toThrow(/etc\/passwd/);
    expect(underPrefix("https://host/anything", "https://")).toBe(true);
    expect(normalizePrefix("HTTPS://")).toBe("https://");
    expect(() => normalizePrefix("data/in")).toThrow(/not an absolute URL/);
    expect(() => normalizePrefix("http://[bad/")).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    expect(() => withReferencePolicy(new MemoryReader(), { referenceSet: "file:///r.json", allowedPrefixes: ["relative/path"] })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
  });

  it("names refused URLs without credentials or signed query strings", () => {
    const error = (() => {
      try {
        checkReferenceUrl("https://user:pw@data.example/x.nc?X-Amz-Signature=abc", "https://refs.example/r.json?token=t", []);
      } catch (e) {
        return e as Error & { url: string };
      }
    })()!;
    expect(error.message).toContain("https://<credentials>@data.example/x.nc?<redacted>");
    expect(error.message).toContain("https://refs.example/r.json?<redacted>");
    expect(error.message).not.toMatch(/abc|pw|token=t/);
    expect(error.url).toBe("https://<credentials>@data.example/x.nc?<redacted>");
  });

  it("knows loopback, link-local, private and metadata hosts", () => {
    for (const host of ["127.0.0.1", "localhost", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "::1", "fd00:ec2::254", "fe80::1", "100.100.100.200", "metadata.google.internal", "::ffff:127.0.0.1"]) {
      expect(isSpecialHost(host), host).toBe(true);
    }
    for (const host of ["8.8.8.8", "example.org", "172.32.0.1", "2001:db8::1"]) expect(isSpecialHost(host), host).toBe(false);
    expect(isMetadataAddress("169.254.169.254")).toBe(true);
    expect(isMetadataAddress("fd00:ec2::254")).toBe(true);
    expect(isMetadataAddress("fd00:0ec2:0:0:0:0:0:254")).toBe(true);
    expect(isMetadataAddress("10.0.0.1")).toBe(false);
  });

  it("sees through other spellings of special hosts", () => {
    for (const url of ["http://127.1/x", "http://2130706433/x", "http://0x7f.0.0.1/x", "http://[::ffff:127.0.0.1]/x", "http://localhost./x", "http://169.254.169.254./x", "http://[::ffff:a9fe:a9fe]/x", "http://METADATA.google.internal./x"]) {
      expect(() => checkReferenceUrl(url, "https://cdn.example/r.json", ["http://"]), url).toThrow(/only a prefix naming that host allows/);
    }
  });

  it("a broad prefix never covers a special host; a prefix naming the host does", () => {
    const places = ["https://", "http://"];
    expect(() => checkReferenceUrl("http://169.254.169.254/latest/meta-data/", "https://cdn.example/r.json", places)).toThrow(/instance-metadata/);
    expect(() => checkReferenceUrl("http://127.0.0.1:9/x", "https://cdn.example/r.json", places)).toThrow(/private-network/);
    expect(checkReferenceUrl("http://127.0.0.1:9/x", "https://cdn.example/r.json", [...places, "http://127.0.0.1:9/"])).toBe("http://127.0.0.1:9/x");
    expect(checkReferenceUrl("https://data.example/x.nc", "https://cdn.example/r.json", places)).toBe("https://data.example/x.nc");
  });
});

describe("withReferencePolicy", () => {
  const memory = new MemoryReader({ "file:///refs/data.bin": new Uint8Array([1, 2, 3, 4]), "file:///etc/passwd": new Uint8Array([9, 9]) });

  it("reads inside the reference set's folder; refuses elsewhere before the reader is called", async () => {
    const inner = spy(memory);
    const guarded = withReferencePolicy(inner, { referenceSet: "file:///refs/refs.json" });
    expect(await guarded.getRange("file:///refs/data.bin", 1, 2)).toEqual(new Uint8Array([2, 3]));
    const error = await refusal(guarded.getRange("file:///etc/passwd", 0, 2));
    expect(error.message).toContain("file:///etc/passwd");
    expect(error.message).toContain("file:///refs/refs.json");
    expect(error.message).toContain("Allowed places: file:///refs/");
    expect(error.message).toContain("--allow file:///etc/");
    expect(error.message).toContain('"allow" in vz.config.json');
    expect(error.message).toContain("allowedPrefixes");
    await refusal(guarded.head("file:///etc/passwd"));
    await refusal(guarded.get("file:///etc/passwd"));
    await refusal(guarded.getRanges("file:///etc/passwd", [{ offset: 0, length: 1 }]));
    expect(inner.urls).toEqual(["file:///refs/data.bin"]);
  });

  it("a host name that only a bare scheme allows must not resolve to a private or metadata address", async () => {
    const looked: string[] = [];
    const lookup = async (host: string): Promise<string[]> => {
      looked.push(host);
      if (host === "intranet.test") return ["93.184.216.34", "10.0.0.5"];
      if (host === "creds.test") return ["169.254.169.254"];
      if (host === "public.test") return ["93.184.216.34"];
      throw new Error("ENOTFOUND");
    };
    const remote = new MemoryReader({
      "https://intranet.test/x.bin": new Uint8Array([1]),
      "https://public.test/x.bin": new Uint8Array([2]),
      "https://creds.test/x.bin": new Uint8Array([3]),
    });
    const inner = spy(remote);
    const guarded = withReferencePolicy(inner, { referenceSet: "https://refs.example/r.json", allowedPrefixes: ["https://"], lookup });
    expect(await refusal(guarded.get("https://intranet.test/x.bin")).then((e) => e.message)).toContain("intranet.test resolves to 10.0.0.5");
    expect(await refusal(guarded.get("https://creds.test/x.bin")).then((e) => e.message)).toContain("instance-metadata");
    expect(await guarded.get("https://public.test/x.bin")).toEqual(new Uint8Array([2]));
    expect(inner.urls).toEqual(["https://public.test/x.bin"]);
    // a prefix naming the host needs no resolution; nor does the reference set's own origin
    const named = withReferencePolicy(remote, { referenceSet: "https://intranet.test/r.json", allowedPrefixes: ["https://", "https://creds.test/"], lookup });
    looked.length = 0;
    expect(await named.get("https://intranet.test/x.bin")).toEqual(new Uint8Array([1]));
    expect(await named.get("https://creds.test/x.bin")).toEqual(new Uint8Array([3]));
    expect(looked).toEqual([]);
    const off = withReferencePolicy(remote, { referenceSet: "https://refs.example/r.json", allowedPrefixes: ["https://"], lookup: false });
    expect(await off.get("https://intranet.test/x.bin")).toEqual(new Uint8Array([1]));
  });

  it("allowedPrefixes widen the places; wrapping twice keeps the outer policy", async () => {
    const inner = spy(memory);
    const guarded = withReferencePolicy(inner, { referenceSet: "file:///refs/refs.json", allowedPrefixes: ["file:///etc"] });
    expect(await guarded.get("file:///etc/passwd")).toEqual(new Uint8Array([9, 9]));
    expect(isReferencePolicyReader(guarded)).toBe(true);
    expect(withReferencePolicy(guarded, { referenceSet: "file:///other/r.json" })).toBe(guarded);
  });
});

/** A toy reference parser: a JSON list of [url, offset, length] chunks of one uint8 array. */
function toyReferencePlugin(options: { readsReferences?: boolean; ownReader?: ObjectReader } = {}): ParserPlugin {
  return {
    name: "toyrefs",
    description: "toy reference set",
    ...(options.readsReferences === false ? {} : { readsReferences: true }),
    create: () => async (url, reader) => {
      const chunks = JSON.parse(new TextDecoder().decode(await reader.get(url))) as [string, number, number][];
      const metadata = createArrayMetadata({ shape: [chunks.length * 2], chunkShape: [2], dataType: "uint8", dimensionNames: ["x"] });
      const builder = new ChunkManifestBuilder([chunks.length]);
      chunks.forEach(([target, offset, length], index) => builder.set([index], target, offset, length));
      const group = new ManifestGroup({ arrays: { x: new ManifestArray(metadata, builder.build()) } });
      return new ManifestStore(group, options.ownReader ?? reader);
    },
  };
}

describe("central enforcement in openManifestStore", () => {
  const files = {
    "file:///refs/good.json": new TextEncoder().encode(JSON.stringify([["file:///refs/data.bin", 0, 2]])),
    "file:///refs/evil.json": new TextEncoder().encode(JSON.stringify([["file:///etc/passwd", 0, 2]])),
    "file:///refs/data.bin": new Uint8Array([1, 2, 3, 4]),
    "file:///etc/passwd": new Uint8Array([114, 111]),
  };

  it("a readsReferences plugin reads its own folder and is refused elsewhere, the reader never asked", async () => {
    const inner = spy(new MemoryReader(files));
    const good = await openManifestStore("file:///refs/good.json", { reader: inner, parser: toyReferencePlugin() });
    expect(await good.store.get("x/c/0")).toEqual(new Uint8Array([1, 2]));
    const evil = await openManifestStore("file:///refs/evil.json", { reader: inner, parser: toyReferencePlugin() });
    const error = await refusal(evil.store.get("x/c/0"));
    expect(error.message).toContain("file:///refs/evil.json");
    expect(inner.urls).not.toContain("file:///etc/passwd");
  });

  it("a parser that builds its store on another reader still reads through the policy", async () => {
    const inner = spy(new MemoryReader(files));
    const { store } = await openManifestStore("file:///refs/evil.json", { reader: inner, parser: toyReferencePlugin({ ownReader: inner }) });
    expect(isReferencePolicyReader(store.reader)).toBe(true);
    await refusal(store.get("x/c/0"));
    expect(inner.urls).not.toContain("file:///etc/passwd");
  });

  it("allowedPrefixes allow; readsReferences: true covers a bare Parser function; data parsers are unaffected", async () => {
    const reader = new MemoryReader(files);
    const allowed = await openManifestStore("file:///refs/evil.json", { reader, parser: toyReferencePlugin(), allowedPrefixes: ["file:///etc/"] });
    expect(await allowed.store.get("x/c/0")).toEqual(new Uint8Array([114, 111]));
    const bare = toyReferencePlugin({ readsReferences: false }).create();
    const unguarded = await openManifestStore("file:///refs/evil.json", { reader, parser: bare });
    expect(await unguarded.store.get("x/c/0")).toEqual(new Uint8Array([114, 111]));
    const guarded = await openManifestStore("file:///refs/evil.json", { reader, parser: bare, readsReferences: true });
    await refusal(guarded.store.get("x/c/0"));
  });

  it("loadable variables of openVirtualDataset and openVirtualMfdataset are read through the policy", async () => {
    const inner = spy(new MemoryReader(files));
    await refusal(openVirtualDataset("file:///refs/evil.json", { reader: inner, parser: toyReferencePlugin(), loadableVariables: ["x"] }));
    await refusal(openVirtualMfdataset(["file:///refs/evil.json"], { reader: inner, parser: toyReferencePlugin(), loadableVariables: ["x"] }));
    expect(inner.urls).not.toContain("file:///etc/passwd");
    const vds = await openVirtualMfdataset(["file:///refs/evil.json"], {
      reader: inner,
      parser: toyReferencePlugin(),
      loadableVariables: ["x"],
      allowedPrefixes: ["file:///etc/"],
    });
    expect(vds.variables.get("x")).toBeDefined();
  });
});
