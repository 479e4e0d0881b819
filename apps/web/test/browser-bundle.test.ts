/**
 * Isomorphic packages: every browser entry of @vz/core (".", "./codecs", "./internal"), @vz/combine
 * and the parser plugins bundles for the browser (esbuild, platform "browser") without a Node built-in. A built-in found is named with
 * the package and the import chain that reaches it. Also reports the gzipped size of core + the
 * HDF5 parser (goal: at most 300 KB).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { join, relative, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { build, type Metafile, type Plugin } from "esbuild";
import { describe, expect, it } from "vitest";

const repo = resolve(import.meta.dirname, "../../..");
const CHECKING = Symbol("checking");
const BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

interface Leak {
  builtin: string;
  importer: string;
  kind: string;
}

/** Subpaths that are Node-only by design (local files, package discovery, test servers). */
const NODE_ONLY = new Set(["./package.json", "./node", "./testing", "./testing/tools"]);

/**
 * Browser entries: every export of packages/core, packages/combine and every plugin but the
 * Node-only ones (entry name as a user imports it, package dir, dist entry file).
 */
function mainEntries(): { name: string; dir: string; entry: string }[] {
  const dirs = [join(repo, "packages/core"), join(repo, "packages/combine"), ...readdirSync(join(repo, "plugins")).map((d) => join(repo, "plugins", d))];
  return dirs
    .filter((dir) => existsSync(join(dir, "package.json")))
    .flatMap((dir) => {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name: string; exports: Record<string, { import?: string } | string> };
      if (!pkg.exports["."]) throw new Error(`${pkg.name}: package.json has no "." export`);
      return Object.entries(pkg.exports)
        .filter(([subpath]) => !NODE_ONLY.has(subpath))
        .map(([subpath, target]) => {
          const file = typeof target === "string" ? target : target?.import;
          if (!file) throw new Error(`${pkg.name}: package.json export "${subpath}" has no import file`);
          return { name: pkg.name + subpath.slice(1), dir, entry: join(dir, file) };
        });
    });
}

/** Bundles `entry` for the browser; Node built-ins are recorded (with their importer) and left external. */
async function bundleForBrowser(entry: string, options: { minify?: boolean } = {}): Promise<{ leaks: Leak[]; metafile: Metafile; code: string }> {
  const leaks: Leak[] = [];
  const detect: Plugin = {
    name: "node-builtins",
    setup(b) {
      b.onResolve({ filter: /.*/ }, async (args) => {
        if (!BUILTINS.has(args.path) || args.pluginData === CHECKING) return undefined;
        // A package may map a built-in away for browsers (package.json "browser": { "fs": false }),
        // as bundlers honour: only a built-in that still resolves to Node's module is a leak.
        const resolved = await b.resolve(args.path, { importer: args.importer, resolveDir: args.resolveDir, kind: args.kind, pluginData: CHECKING });
        if (resolved.errors.length === 0 && !resolved.external) return undefined;
        leaks.push({ builtin: args.path, importer: args.importer, kind: args.kind });
        return { path: args.path, external: true };
      });
    },
  };
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    metafile: true,
    logLevel: "silent",
    minify: options.minify ?? false,
    plugins: [detect],
    absWorkingDir: repo,
  });
  return { leaks, metafile: result.metafile, code: result.outputFiles.map((f) => f.text).join("") };
}

/** The import chain from `entry` to `target` in the bundle's module graph (paths relative to the repo). */
function importChain(metafile: Metafile, entry: string, target: string): string[] {
  const start = relative(repo, entry);
  const goal = relative(repo, resolve(repo, target));
  const previous = new Map<string, string | null>([[start, null]]);
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift()!;
    if (node === goal) break;
    for (const next of metafile.inputs[node]?.imports ?? []) {
      if (next.external || previous.has(next.path)) continue;
      previous.set(next.path, node);
      queue.push(next.path);
    }
  }
  if (!previous.has(goal)) return [start, "…", goal];
  const chain: string[] = [];
  for (let node: string | null = goal; node !== null; node = previous.get(node) ?? null) chain.unshift(node);
  return chain;
}

/** One line per leak: the package, the built-in and the import chain from the package's entry. */
function leakReport(name: string, entry: string, leaks: readonly Leak[], metafile: Metafile): string[] {
  return leaks.map((leak) => `${name} imports "${leak.builtin}" (${leak.kind}) via ${importChain(metafile, entry, leak.importer).join(" -> ")} -> ${leak.builtin}`);
}

const entries = mainEntries();
const built = entries.every((e) => existsSync(e.entry));

describe.skipIf(!built)("main entries load in a browser (no Node built-ins)", () => {
  it("finds the packages to check", () => {
    expect(entries.map((e) => e.name)).toEqual(expect.arrayContaining(["@vz/core", "@vz/core/codecs", "@vz/core/internal", "@vz/combine", "@vz/parser-hdf5", "@vz/parser-netcdf3", "@vz/parser-tiff", "@vz/parser-kerchunk"]));
  });

  for (const { name, entry } of entries) {
    it(`${name}: bundles for platform "browser" without node:* or other built-ins`, async () => {
      const { leaks, metafile } = await bundleForBrowser(entry);
      const report = leakReport(name, entry, leaks, metafile);
      expect(report, report.join("\n")).toEqual([]);
      // The bundle really contains the package's code.
      expect(Object.keys(metafile.inputs).some((input) => input.startsWith(relative(repo, join(entry, "../"))))).toBe(true);
    });
  }

  it("names the package and the import chain when a built-in leaks", async () => {
    // A real module graph with a leak: core's ./node entry (local files) is Node-only by design.
    const nodeEntry = join(repo, "packages/core/dist/node.js");
    const { leaks, metafile } = await bundleForBrowser(nodeEntry);
    expect(leaks.length).toBeGreaterThan(0);
    const first = leaks[0]!;
    const chain = importChain(metafile, nodeEntry, first.importer);
    expect(chain[0]).toBe("packages/core/dist/node.js");
    expect(chain.at(-1)).toBe(relative(repo, resolve(repo, first.importer)));
    const report = leakReport("@vz/core/node", nodeEntry, leaks, metafile);
    expect(report[0]).toBe(`@vz/core/node imports "${first.builtin}" (${first.kind}) via ${chain.join(" -> ")} -> ${first.builtin}`);
    expect(report.some((line) => /imports "(node:)?fs(\/promises)?"/.test(line))).toBe(true);
  });

  it("core + HDF5 parser: gzipped size of what a page loads first (goal <= 300 KB)", async () => {
    // Code split as a web bundler does: codecs that zarrita imports dynamically (numcodecs' wasm
    // Blosc/Zstd/LZ4) become chunks loaded only when an array uses them.
    const result = await build({
      stdin: {
        contents: 'export * from "@vz/core"; export { default as hdf5 } from "@vz/parser-hdf5";',
        resolveDir: resolve(import.meta.dirname, ".."),
        loader: "js",
      },
      bundle: true,
      write: false,
      splitting: true,
      outdir: "/virtual-out",
      format: "esm",
      platform: "browser",
      minify: true,
      metafile: true,
      logLevel: "silent",
    });
    const outputs = result.metafile.outputs;
    const entry = Object.keys(outputs).find((key) => outputs[key]!.entryPoint !== undefined)!;
    const initial = new Set([entry]);
    for (const key of initial) {
      for (const next of outputs[key]!.imports) if (next.kind === "import-statement") initial.add(next.path);
    }
    let initialBytes = 0;
    let lazyBytes = 0;
    for (const file of result.outputFiles) {
      const key = relative(repo, file.path);
      const gzipped = gzipSync(file.contents, { level: 9 }).length;
      if (initial.has(key)) initialBytes += gzipped;
      else lazyBytes += gzipped;
    }
    console.log(
      `bundle size: @vz/core (every export) + @vz/parser-hdf5, minified and gzipped: ${(initialBytes / 1024).toFixed(1)} KB loaded first, ` +
        `${(lazyBytes / 1024).toFixed(1)} KB in lazily loaded codec chunks`,
    );
    expect(initialBytes).toBeGreaterThan(10 * 1024);
    expect(initialBytes).toBeLessThanOrEqual(300 * 1024);
  });
});

if (!built) {
  describe("main entries load in a browser", () => {
    it.skip("skipped: packages are not built (run `pnpm build` first)", () => undefined);
  });
}
