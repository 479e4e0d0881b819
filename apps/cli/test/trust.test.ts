/**
 * A reference file is untrusted input: end-to-end through the built command (a child process of
 * apps/cli/dist/bin.js). Local and HTTP-served kerchunk references reach only their own place
 * unless `--allow` / config `allow` widen it; refused reads print nothing, exit 1 with a typed
 * error and no stack trace; loopback servers started here see no request for refused targets.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { lookup } from "node:dns/promises";
import { hostname, tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { startRangeServer, type RangeServer } from "@vz/core/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createContext } from "../src/context.js";

const here = dirname(fileURLToPath(import.meta.url));
const bin = resolve(here, "../dist/bin.js");
const sample = resolve(here, "../../../examples/sample.nc");
const sharedAir = resolve(here, "../../../../shared/data/netcdf4/air.nc.kerchunk.json");
const work = mkdtempSync(join(tmpdir(), "vz-trust-"));
const refsDir = join(work, "refs");
const otherDir = join(work, "other");
const elsewhereCwd = join(work, "elsewhere");
afterAll(() => rmSync(work, { recursive: true, force: true }));

const servers: RangeServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** Runs the built vz in `cwd`; resolves with exit code, stdout and stderr. */
function vz(cwd: string, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [bin, ...argv], { cwd, encoding: "utf8", env: { ...process.env, VZ_DEBUG: "" } }, (error, out, err) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      done({ code, out, err });
    });
  });
}

const bytes = new Uint8Array([10, 20, 30, 40]);
function refsTo(target: string): string {
  return JSON.stringify({
    version: 1,
    refs: {
      ".zgroup": '{"zarr_format":2}',
      "x/.zarray": '{"chunks":[4],"compressor":null,"dtype":"|u1","fill_value":0,"filters":null,"order":"C","shape":[4],"zarr_format":2}',
      "x/.zattrs": '{"_ARRAY_DIMENSIONS":["x"]}',
      "x/0": [target, 0, 4],
    },
  });
}

function expectRefused(result: { code: number; out: string; err: string }, ...mentions: string[]): void {
  expect(result.code).toBe(1);
  expect(result.out).toBe("");
  expect(result.err).toMatch(/^vz: error \[URL_NOT_ALLOWED\]: /);
  expect(result.err).not.toMatch(/\n\s+at /); // no stack trace
  for (const text of mentions) expect(result.err).toContain(text);
}

beforeAll(() => {
  if (!existsSync(bin)) throw new Error(`build the CLI first (pnpm --filter @vz/cli build): ${bin} is missing`);
  for (const dir of [refsDir, otherDir, elsewhereCwd]) mkdirSync(dir);
  writeFileSync(join(refsDir, "data.bin"), bytes);
  writeFileSync(join(otherDir, "data.bin"), bytes.map((b) => b + 1));
  writeFileSync(join(refsDir, "passwd.json"), refsTo("file:///etc/passwd"));
  writeFileSync(join(refsDir, "own-absolute.json"), refsTo(pathToFileURL(join(refsDir, "data.bin")).href));
  writeFileSync(join(refsDir, "own-relative.json"), refsTo("data.bin"));
  writeFileSync(join(refsDir, "other.json"), refsTo(pathToFileURL(join(otherDir, "data.bin")).href));
  writeFileSync(join(refsDir, "other-relative.json"), refsTo("../other/data.bin"));
});

describe("vz on local kerchunk references", () => {
  it("refuses a chunk in /etc/passwd: exit 1, typed error naming chunk, reference file, places, flag and config key; nothing printed", async () => {
    const result = await vz(elsewhereCwd, "read", join(refsDir, "passwd.json"), "--var", "x");
    expectRefused(result, "file:///etc/passwd", pathToFileURL(join(refsDir, "passwd.json")).href, `${pathToFileURL(refsDir).href}/`, "--allow file:///etc/", '"allow" in vz.config.json');
    expect(result.err).not.toContain("root:x:");
  });

  it("reads chunks in its own folder by absolute and by relative URL, from another working directory", async () => {
    for (const name of ["own-absolute.json", "own-relative.json"]) {
      const result = await vz(elsewhereCwd, "read", relative(elsewhereCwd, join(refsDir, name)), "--var", "x", "--json");
      expect(result.err).toBe("");
      expect(result.code).toBe(0);
      expect(JSON.parse(result.out).values).toEqual([10, 20, 30, 40]);
    }
  });

  it("reads chunks elsewhere after --allow or config allow (relative to the config file), not before", async () => {
    const refs = join(refsDir, "other.json");
    expectRefused(await vz(elsewhereCwd, "read", refs, "--var", "x"), `${pathToFileURL(otherDir).href}/data.bin`);
    expectRefused(await vz(elsewhereCwd, "read", join(refsDir, "other-relative.json"), "--var", "x"), "other/data.bin");
    const allowed = await vz(elsewhereCwd, "read", refs, "--var", "x", "--json", "--allow", relative(elsewhereCwd, otherDir));
    expect(allowed.code).toBe(0);
    expect(JSON.parse(allowed.out).values).toEqual([11, 21, 31, 41]);
    const configured = join(work, "configured");
    mkdirSync(configured);
    writeFileSync(join(configured, "vz.config.json"), JSON.stringify({ allow: ["../other"] }));
    const viaConfig = await vz(configured, "read", join(refsDir, "other-relative.json"), "--var", "x", "--json");
    expect(viaConfig.code).toBe(0);
    expect(JSON.parse(viaConfig.out).values).toEqual([11, 21, 31, 41]);
  });

  it("--root and config parserOptions.kerchunk.root (auto-detected parser) say where relative URLs live, and allow it", async () => {
    const viaFlag = await vz(elsewhereCwd, "read", join(refsDir, "own-relative.json"), "--var", "x", "--json", "--root", otherDir);
    expect(viaFlag.code).toBe(0);
    expect(JSON.parse(viaFlag.out).values).toEqual([11, 21, 31, 41]);
    const configured = join(work, "rooted");
    mkdirSync(configured);
    writeFileSync(join(configured, "vz.config.json"), JSON.stringify({ parserOptions: { kerchunk: { root: "../other" } } }));
    const viaConfig = await vz(configured, "inspect", join(refsDir, "own-relative.json"), "--json");
    expect(viaConfig.code).toBe(0);
    expect(JSON.parse(viaConfig.out).parser).toBe("kerchunk");
    const read = await vz(configured, "read", join(refsDir, "own-relative.json"), "--var", "x", "--json");
    expect(JSON.parse(read.out).values).toEqual([11, 21, 31, 41]);
  });

  it("Parquet references: refused outside their place, read after --allow", async () => {
    const parquet = join(refsDir, "sample.parq");
    const written = await vz(elsewhereCwd, "virtualize", sample, "--format", "parquet", "-o", parquet);
    expect(written.code).toBe(0);
    expectRefused(await vz(elsewhereCwd, "read", parquet, "--var", "precip", "--json"), pathToFileURL(sample).href);
    const allowed = await vz(elsewhereCwd, "read", parquet, "--var", "precip", "--json", "--allow", dirname(sample));
    expect(allowed.code).toBe(0);
    const direct = await vz(elsewhereCwd, "read", sample, "--var", "precip", "--json");
    expect(JSON.parse(allowed.out).values).toEqual(JSON.parse(direct.out).values);
  });

  it("virtualize of many reference files resolves each one's relative URLs in its own folder, and refuses outside ones", async () => {
    const first = join(work, "many-a");
    const second = join(work, "many-b");
    for (const dir of [first, second]) {
      mkdirSync(dir);
      writeFileSync(join(dir, "data.bin"), bytes);
      writeFileSync(join(dir, "refs.json"), refsTo("data.bin"));
    }
    const output = join(work, "many.json");
    const result = await vz(elsewhereCwd, "virtualize", join(first, "refs.json"), join(second, "refs.json"), "--parser", "kerchunk", "--concat-dim", "x", "--loadable", "", "-o", output);
    expect(result.err).toContain("wrote");
    expect(result.code).toBe(0);
    const refs = JSON.parse(readFileSync(output, "utf8")) as { refs: Record<string, unknown> };
    expect(refs.refs["x/0"]).toEqual([pathToFileURL(join(first, "data.bin")).href, 0, 4]);
    expect(refs.refs["x/1"]).toEqual([pathToFileURL(join(second, "data.bin")).href, 0, 4]);
    writeFileSync(join(second, "refs.json"), refsTo("file:///etc/passwd"));
    const refused = await vz(elsewhereCwd, "virtualize", join(first, "refs.json"), join(second, "refs.json"), "--parser", "kerchunk", "--concat-dim", "x", "--loadable", "x", "-o", join(work, "many2.json"));
    expect(refused.code).toBe(1);
    expect(refused.err).toContain("URL_NOT_ALLOWED");
    expect(refused.err).toContain("file:///etc/passwd");
    expect(existsSync(join(work, "many2.json"))).toBe(false);
  });

  it.skipIf(!existsSync(sharedAir))("inspects and reads ../shared/data/netcdf4/air.nc.kerchunk.json (relative URLs) from another directory, no config", async () => {
    expect(readFileSync(sharedAir, "utf8")).toContain('"u": "air.nc"');
    const path = relative(elsewhereCwd, sharedAir);
    const inspected = await vz(elsewhereCwd, "inspect", path, "--json");
    expect(inspected.code).toBe(0);
    expect(JSON.parse(inspected.out).arrays.map((a: { path: string }) => a.path)).toContain("/air");
    const read = await vz(elsewhereCwd, "read", path, "--var", "lat", "--json");
    expect(read.code).toBe(0);
    expect(JSON.parse(read.out).values).toEqual([75, 72.5, 70, 67.5, 65, 62.5, 60, 57.5, 55, 52.5, 50]);
  });
});

describe("vz on kerchunk references served over HTTP (loopback)", () => {
  it("refuses file://, another loopback port and a metadata host; the other port sees no request", async () => {
    const other = await startRangeServer({ files: { "/data.bin": bytes } });
    servers.push(other);
    const host = await startRangeServer({
      files: {
        "/data.bin": bytes,
        "/passwd.json": new TextEncoder().encode(refsTo("file:///etc/passwd")),
        "/port.json": new TextEncoder().encode(refsTo(`${other.url}/data.bin`)),
        "/metadata.json": new TextEncoder().encode(refsTo("http://169.254.169.254/latest/meta-data/iam/security-credentials/")),
        "/own.json": new TextEncoder().encode(refsTo("data.bin")),
        "/sub/data.bin": bytes.map((b) => b + 2),
        "/sub/own.json": new TextEncoder().encode(refsTo("data.bin")),
      },
    });
    servers.push(host);
    const nested = await vz(elsewhereCwd, "read", `${host.url}/sub/own.json`, "--parser", "kerchunk", "--var", "x", "--json");
    expect(nested.code).toBe(0);
    expect(JSON.parse(nested.out).values).toEqual([12, 22, 32, 42]);
    expectRefused(await vz(elsewhereCwd, "read", `${host.url}/passwd.json`, "--parser", "kerchunk", "--var", "x"), "file:///etc/passwd", `${host.url}/passwd.json`);
    expectRefused(await vz(elsewhereCwd, "read", `${host.url}/port.json`, "--parser", "kerchunk", "--var", "x"), `${other.url}/data.bin`, `--allow ${other.url}/`);
    expectRefused(await vz(elsewhereCwd, "read", `${host.url}/metadata.json`, "--parser", "kerchunk", "--var", "x"), "169.254.169.254", "instance-metadata");
    expect(other.log).toEqual([]);
    const ownRead = await vz(elsewhereCwd, "read", `${host.url}/own.json`, "--parser", "kerchunk", "--var", "x", "--json");
    expect(ownRead.code).toBe(0);
    expect(JSON.parse(ownRead.out).values).toEqual([10, 20, 30, 40]);
    const allowed = await vz(elsewhereCwd, "read", `${host.url}/port.json`, "--parser", "kerchunk", "--var", "x", "--json", "--allow", `${other.url}/`);
    expect(allowed.code).toBe(0);
    expect(other.log.length).toBeGreaterThan(0);
  });

  it("refuses a redirect from the allowed host to a metadata host or another origin", async () => {
    const other = await startRangeServer({ files: { "/data.bin": bytes } });
    servers.push(other);
    const host = await startRangeServer({
      files: {
        "/to-metadata.json": new TextEncoder().encode(refsTo("meta.bin")),
        "/to-other.json": new TextEncoder().encode(refsTo("away.bin")),
      },
      faults: [
        { path: "/meta.bin", fault: { kind: "status", status: 302, headers: { location: "http://169.254.169.254/latest/meta-data/" } } },
        { path: "/away.bin", fault: { kind: "status", status: 307, headers: { location: `${other.url}/data.bin` } } },
      ],
    });
    servers.push(host);
    expectRefused(await vz(elsewhereCwd, "read", `${host.url}/to-metadata.json`, "--parser", "kerchunk", "--var", "x"), "redirect", "169.254.169.254");
    expectRefused(
      await vz(elsewhereCwd, "read", `${host.url}/to-other.json`, "--parser", "kerchunk", "--var", "x", "--allow", `${other.url}/`),
      "redirect",
      `${other.url}/data.bin`,
    );
    expect(other.log).toEqual([]);
  });
});

describe("--allow with a bare scheme", () => {
  it("does not reach a host name that resolves to a loopback address (this machine's name)", async (context) => {
    const name = hostname();
    const addresses = await lookup(name, { all: true }).catch(() => []);
    if (!addresses.some((a) => a.address.startsWith("127.") || a.address === "::1")) context.skip();
    writeFileSync(join(refsDir, "hostname.json"), refsTo(`http://${name}:9/x.bin`));
    const result = await vz(elsewhereCwd, "read", join(refsDir, "hostname.json"), "--var", "x", "--allow", "http://");
    expectRefused(result, `http://${name}:9/x.bin`, `${name} resolves to`, `--allow http://${name}:9/`);
  });
});

describe("CliContext.allowedPrefixes", () => {
  it("holds absolute URL prefixes from --allow (against the working directory) and config allow (against the config's folder)", async () => {
    const dir = join(work, "context");
    mkdirSync(dir);
    writeFileSync(join(dir, "vz.config.json"), JSON.stringify({ allow: ["data", "s3://bucket/prefix/", "https://"] }));
    const context = await createContext({ cwd: dir, allow: ["../other", "https://host.example/path/"], out: () => {}, err: () => {} });
    expect(context.allowedPrefixes).toEqual([
      `${pathToFileURL(otherDir).href}/`,
      "https://host.example/path/",
      `${pathToFileURL(join(dir, "data")).href}/`,
      "s3://bucket/prefix/",
      "https://",
    ]);
    const none = await createContext({ cwd: elsewhereCwd, out: () => {}, err: () => {} });
    expect(none.allowedPrefixes).toBeUndefined();
    writeFileSync(join(dir, "vz.config.json"), JSON.stringify({ allow: "everything" }));
    await expect(createContext({ cwd: dir })).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
  });
});
