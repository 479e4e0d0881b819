import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isVzError, ManifestGroup, ManifestStore, MemoryReader, ParserRegistry, type ParserPlugin } from "../src/index.js";
import { createDiscoveredParserRegistry, discoverParsers } from "../src/node.js";

/** Writes a throwaway parser package the way a third party would publish it. */
function writePluginPackage(dir: string, name: string, parserName: string, runtimeName = parserName, magic = "FAKE"): void {
  mkdirSync(join(dir, "dist"), { recursive: true });
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({
      name,
      version: "1.2.3",
      description: `${parserName} parser for tests`,
      type: "module",
      exports: { "./package.json": "./package.json", ".": "./dist/index.js" },
      virtualizarr: { parsers: { [parserName]: "./dist/index.js" } },
    }),
  );
  writeFileSync(
    join(dir, "dist", "index.js"),
    `const magic = ${JSON.stringify(magic)};
export default {
  name: ${JSON.stringify(runtimeName)},
  description: "test parser ${parserName}",
  extensions: ["fake"],
  sniff(head) { return String.fromCharCode(...head.subarray(0, magic.length)) === magic; },
  create(options) {
    return async (url, reader) => {
      const bytes = await reader.get(url);
      globalThis.__vzFakeCalls = (globalThis.__vzFakeCalls ?? []).concat([{ url, size: bytes.length, options }]);
      return { url, parser: ${JSON.stringify(parserName)}, options };
    };
  },
};
`,
  );
}

describe("parser discovery from installed packages", () => {
  let project: string;
  // pnpm sets NODE_PATH for the scripts it runs; these tests see only the throwaway project.
  const inheritedNodePath = process.env.NODE_PATH;
  afterAll(() => {
    if (inheritedNodePath !== undefined) process.env.NODE_PATH = inheritedNodePath;
  });
  beforeAll(() => {
    delete process.env.NODE_PATH;
    project = mkdtempSync(join(tmpdir(), "vz-discovery-"));
    writeFileSync(
      join(project, "package.json"),
      JSON.stringify({ name: "user-project", dependencies: { "vz-parser-fake": "1.2.3", "@acme/vz-parser-other": "1.0.0", "plain-lib": "1.0.0" } }),
    );
    // npm-style flat layout
    writePluginPackage(join(project, "node_modules", "@acme", "vz-parser-other"), "@acme/vz-parser-other", "other", "other", "OTHR");
    // pnpm-style layout: the real folder under .pnpm, a symlink in node_modules
    const real = join(project, "node_modules", ".pnpm", "vz-parser-fake@1.2.3", "node_modules", "vz-parser-fake");
    writePluginPackage(real, "vz-parser-fake", "fake");
    symlinkSync(real, join(project, "node_modules", "vz-parser-fake"), "dir");
    mkdirSync(join(project, "node_modules", "plain-lib"), { recursive: true });
    writeFileSync(join(project, "node_modules", "plain-lib", "package.json"), JSON.stringify({ name: "plain-lib", version: "1.0.0" }));
    // a broken package: the runtime name disagrees with package.json
    writePluginPackage(join(project, "node_modules", "vz-parser-liar"), "vz-parser-liar", "liar", "honest");
  });
  afterAll(() => rmSync(project, { recursive: true, force: true }));

  it("finds every declared parser, through pnpm symlinks, with package name and version", () => {
    const { parsers, errors } = discoverParsers({ cwd: project });
    expect(errors).toEqual([]);
    const byName = Object.fromEntries(parsers.map((p) => [p.name, p]));
    expect(Object.keys(byName).sort()).toEqual(["fake", "liar", "other"]);
    expect(byName.fake!.packageName).toBe("vz-parser-fake");
    expect(byName.fake!.version).toBe("1.2.3");
    expect(byName.other!.packageName).toBe("@acme/vz-parser-other");
  });

  it("selects a discovered parser by name and imports it lazily", async () => {
    const { registry } = createDiscoveredParserRegistry({ from: [project] });
    expect(registry.list().map((p) => p.name)).toEqual(["fake", "liar", "other"]);
    const reader = new MemoryReader({ "memory://x/a.bin": new TextEncoder().encode("FAKE data") });
    const selection = await registry.select("memory://x/a.bin", { parser: "fake", reader, parserOptions: { level: 3 } });
    expect(selection.name).toBe("fake");
    const result = (await selection.parser("memory://x/a.bin", reader)) as unknown as { parser: string; options: unknown };
    expect(result).toEqual({ url: "memory://x/a.bin", parser: "fake", options: { level: 3 } });
  });

  it("auto-selects by magic bytes when the extension says nothing", async () => {
    const { registry } = createDiscoveredParserRegistry({ from: [project] });
    const reader = new MemoryReader({ "memory://x/data.bin": new TextEncoder().encode("OTHR....") });
    const selection = await registry.select("memory://x/data.bin", { reader });
    expect(selection.name).toBe("other");
    expect(selection.reason).toBe("magic bytes");
  });

  it("refuses a plugin whose runtime name disagrees with its package.json", async () => {
    const { registry } = createDiscoveredParserRegistry({ from: [project] });
    const error = await registry.get("liar").catch((e: unknown) => e);
    expect(isVzError(error, "PLUGIN_LOAD_FAILED")).toBe(true);
    expect(String((error as Error).message)).toContain('declares "liar" but the plugin calls itself "honest"');
  });

  it("names the file, the extension, the first bytes and the parsers tried when nothing matches", async () => {
    const { registry } = createDiscoveredParserRegistry({ from: [project] });
    const reader = new MemoryReader({ "memory://x/mystery.dat": new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]) });
    const error = await registry.select("memory://x/mystery.dat", { reader }).catch((e: unknown) => e);
    expect(isVzError(error, "PARSER_NOT_FOUND")).toBe(true);
    const message = (error as Error).message;
    expect(message).toContain("memory://x/mystery.dat");
    expect(message).toContain(".dat");
    expect(message).toContain("01 02 03 04 05 06 07 08");
    expect(message).toContain("fake, ");
  });

  it("says an empty file is empty, and names where it looked for parser packages", async () => {
    const { registry, searched } = createDiscoveredParserRegistry({ from: [project] });
    expect(searched).toEqual([join(project, "package.json"), join(project, "node_modules"), ...searched.slice(2)]);
    const reader = new MemoryReader({ "memory://x/empty.nc": new Uint8Array(0) });
    const error = await registry.select("memory://x/empty.nc", { reader }).catch((e: unknown) => e);
    expect(isVzError(error, "PARSER_NOT_FOUND")).toBe(true);
    expect((error as Error).message).toContain("0 bytes: the file is empty");
    expect((error as Error).message).not.toContain("first bytes: )");
    const unknown = await registry.get("grib").catch((e: unknown) => e);
    expect((unknown as Error).message).toContain(`looked for parser packages in: ${join(project, "package.json")}, ${join(project, "node_modules")}`);
  });

  it("finds packages in the folders of NODE_PATH", () => {
    const elsewhere = mkdtempSync(join(tmpdir(), "vz-discovery-nodepath-"));
    process.env.NODE_PATH = join(project, "node_modules");
    try {
      const { registry, searched } = createDiscoveredParserRegistry({ from: [elsewhere], nodePath: true });
      expect(createDiscoveredParserRegistry({ from: [elsewhere] }).registry.list()).toEqual([]);
      expect(registry.list().map((p) => p.name)).toEqual(expect.arrayContaining(["fake", "other"]));
      expect(searched).toContain(`${join(project, "node_modules")} (NODE_PATH)`);
    } finally {
      delete process.env.NODE_PATH;
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it("rejects an unknown parser name listing the available ones", async () => {
    const registry = new ParserRegistry();
    const error = await registry.get("nope").catch((e: unknown) => e);
    expect(isVzError(error, "PARSER_NOT_FOUND")).toBe(true);
    expect((error as Error).message).toContain('no parser named "nope"; available: (none); no parsers are registered (install a parser package');
  });

  it("accepts explicitly registered plugins", async () => {
    const group = new ManifestGroup({ attributes: { title: "t" } });
    const plugin: ParserPlugin = {
      name: "inline",
      description: "inline parser",
      create: () => async (_url, reader) => new ManifestStore(group, reader),
    };
    const registry = new ParserRegistry([plugin]);
    const selection = await registry.select("memory://a", { parser: "inline" });
    const store = await selection.parser("memory://a", new MemoryReader());
    expect(new TextDecoder().decode(await store.get("/zarr.json"))).toBe(
      '{"zarr_format":3,"node_type":"group","attributes":{"title":"t"}}',
    );
  });
});
