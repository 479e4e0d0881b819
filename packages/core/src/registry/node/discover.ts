/**
 * Runtime discovery (Node only) of installed packages whose package.json declares
 * `"virtualizarr": { "parsers": { "<name>": "<module path>" } }`. Works with npm's flat and
 * pnpm's symlinked node_modules. Modules are imported lazily, when a parser is selected.
 * @module
 */
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { PluginLoadError } from "../../errors.js";
import { ParserRegistry } from "../parser-registry.js";

/** A parser declaration found in an installed package. */
export interface DiscoveredParser {
  name: string;
  packageName: string;
  version: string;
  description?: string;
  /** Absolute path of the module to import. */
  modulePath: string;
  packageDir: string;
  /** Codecs the package declares for this parser (`"virtualizarr": { "codecs": { "<parser>": [...] } }`). */
  codecs?: string[];
}

interface PackageJson {
  name?: string;
  version?: string;
  description?: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  virtualizarr?: { parsers?: unknown; codecs?: unknown };
}

function readJson(path: string): PackageJson | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as PackageJson;
  } catch {
    return undefined;
  }
}

/** Validates a package's `virtualizarr.parsers` field and returns its declarations. */
export function readParserDeclarations(packageDir: string): DiscoveredParser[] {
  const pkg = readJson(join(packageDir, "package.json"));
  if (!pkg?.virtualizarr || pkg.virtualizarr.parsers === undefined) return [];
  const packageName = pkg.name ?? packageDir;
  const parsers = pkg.virtualizarr.parsers;
  if (typeof parsers !== "object" || parsers === null || Array.isArray(parsers)) {
    throw new PluginLoadError(
      `${packageName}: "virtualizarr.parsers" in package.json must be an object of parser name → module path`,
      { packageName },
    );
  }
  const codecs = readCodecDeclarations(packageName, pkg.virtualizarr.codecs, parsers as Record<string, unknown>);
  const found: DiscoveredParser[] = [];
  for (const [name, modulePath] of Object.entries(parsers as Record<string, unknown>)) {
    if (typeof modulePath !== "string" || !modulePath.startsWith("./")) {
      throw new PluginLoadError(
        `${packageName}: parser "${name}" must map to a relative module path like "./dist/index.js"`,
        { packageName },
      );
    }
    if (!/^[a-z0-9][a-z0-9._-]*$/.test(name)) {
      throw new PluginLoadError(`${packageName}: invalid parser name "${name}" (lower-case letters, digits, . _ -)`, { packageName });
    }
    const absolute = resolve(packageDir, modulePath);
    if (!absolute.startsWith(resolve(packageDir))) {
      throw new PluginLoadError(`${packageName}: parser "${name}" points outside its package (${modulePath})`, { packageName });
    }
    found.push({
      name,
      packageName,
      version: pkg.version ?? "0.0.0",
      ...(pkg.description ? { description: pkg.description } : {}),
      modulePath: absolute,
      packageDir,
      ...(codecs.has(name) ? { codecs: codecs.get(name)! } : {}),
    });
  }
  return found;
}

/** Validates `virtualizarr.codecs`: parser name (declared in `parsers`) → list of codec names. */
function readCodecDeclarations(packageName: string, codecs: unknown, parsers: Record<string, unknown>): Map<string, string[]> {
  const result = new Map<string, string[]>();
  if (codecs === undefined) return result;
  const invalid = (reason: string): never => {
    throw new PluginLoadError(`${packageName}: "virtualizarr.codecs" in package.json ${reason}`, { packageName });
  };
  if (typeof codecs !== "object" || codecs === null || Array.isArray(codecs)) invalid("must be an object of parser name → codec names");
  for (const [parser, names] of Object.entries(codecs as Record<string, unknown>)) {
    if (!(parser in parsers)) invalid(`names parser "${parser}", which "virtualizarr.parsers" does not declare`);
    if (!Array.isArray(names) || names.some((n) => typeof n !== "string" || n === "")) {
      invalid(`entry "${parser}" must be a list of codec names`);
    }
    result.set(parser, names as string[]);
  }
  return result;
}

function packageDirsIn(nodeModules: string): string[] {
  const dirs: string[] = [];
  let names: string[];
  try {
    names = readdirSync(nodeModules);
  } catch {
    return dirs;
  }
  for (const name of names) {
    if (name.startsWith(".")) continue;
    const full = join(nodeModules, name);
    if (name.startsWith("@")) {
      let scoped: string[] = [];
      try {
        scoped = readdirSync(full);
      } catch {
        continue;
      }
      for (const sub of scoped) dirs.push(join(full, sub));
    } else dirs.push(full);
  }
  return dirs;
}

function findProjectDir(start: string): string | undefined {
  let dir = resolve(start);
  for (;;) {
    if (existsSync(join(dir, "package.json"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * Finds parser declarations visible from `cwd`: the dependencies of the nearest package.json
 * (resolved with Node's resolution, so pnpm symlinks work) and every package in the
 * node_modules folders of `cwd` and its ancestors. Closer declarations win on name clashes.
 * Broken declarations are returned in `errors`, not thrown.
 */
export function discoverParsers(options: { cwd?: string; extraDirs?: readonly string[] } = {}): {
  parsers: DiscoveredParser[];
  errors: PluginLoadError[];
  /** The node_modules folders and project directories that exist and were looked in. */
  searched: string[];
} {
  const cwd = options.cwd ?? process.cwd();
  const seenDirs = new Set<string>();
  const parsers: DiscoveredParser[] = [];
  const errors: PluginLoadError[] = [];
  const names = new Set<string>();
  const searched: string[] = [];
  const consider = (dir: string) => {
    let real: string;
    try {
      real = realpathSync(dir);
      if (!statSync(real).isDirectory()) return;
    } catch {
      return;
    }
    if (seenDirs.has(real)) return;
    seenDirs.add(real);
    try {
      for (const parser of readParserDeclarations(real)) {
        if (names.has(parser.name)) continue;
        names.add(parser.name);
        parsers.push(parser);
      }
    } catch (error) {
      errors.push(error as PluginLoadError);
    }
  };
  for (const dir of options.extraDirs ?? []) consider(dir);
  const projectDir = findProjectDir(cwd);
  if (projectDir) {
    searched.push(join(projectDir, "package.json"));
    consider(projectDir);
    const pkg = readJson(join(projectDir, "package.json"));
    const require = createRequire(join(projectDir, "package.json"));
    const deps = {
      ...pkg?.peerDependencies,
      ...pkg?.optionalDependencies,
      ...pkg?.devDependencies,
      ...pkg?.dependencies,
    };
    for (const dep of Object.keys(deps)) {
      let manifestPath: string | undefined;
      try {
        manifestPath = require.resolve(`${dep}/package.json`);
      } catch {
        // not exported: look for it in node_modules folders directly
        let dir = projectDir;
        for (;;) {
          const candidate = join(dir, "node_modules", dep, "package.json");
          if (existsSync(candidate)) {
            manifestPath = candidate;
            break;
          }
          const parent = dirname(dir);
          if (parent === dir) break;
          dir = parent;
        }
      }
      if (manifestPath) consider(dirname(manifestPath));
    }
  }
  let dir = resolve(cwd);
  for (;;) {
    const nodeModules = join(dir, "node_modules");
    if (existsSync(nodeModules)) {
      searched.push(nodeModules);
      for (const packageDir of packageDirsIn(nodeModules)) consider(packageDir);
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return { parsers, errors, searched };
}

/** The directory of the installed `@vz/core` package this module belongs to (real path). */
function coreInstallDir(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (readJson(join(dir, "package.json"))?.name === "@vz/core") return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * Where parsers are looked for by default, closest first: the working directory's tree, the
 * directory of the running script (`process.argv[1]`: a script run from elsewhere still sees its
 * own project), and the node_modules tree `@vz/core` itself is installed in.
 */
export function defaultDiscoveryRoots(): string[] {
  const roots = [process.cwd()];
  const script = process.argv[1];
  if (script && existsSync(script)) roots.push(dirname(realpathOrSelf(script)));
  const core = coreInstallDir();
  if (core) roots.push(core);
  return roots;
}

function realpathOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** The folders named in NODE_PATH (each holds packages, like a node_modules folder). */
function nodePathDirs(): string[] {
  return (process.env.NODE_PATH ?? "").split(delimiter).filter((dir) => dir && existsSync(dir));
}

/**
 * A ParserRegistry holding every discovered parser as a lazy entry. Pass `from` directories
 * (e.g. the CLI's own package directory and the user's project) in priority order; the default
 * is {@link defaultDiscoveryRoots}, and then packages in the folders of NODE_PATH are found too
 * (`nodePath: true` adds them to explicit roots). The
 * registry's "no parser" errors list the places looked in.
 */
export function createDiscoveredParserRegistry(
  options: {
    from?: readonly string[];
    /** Also look in the folders of NODE_PATH. Default: true when `from` is omitted, false when it names the roots. */
    nodePath?: boolean;
  } = {},
): {
  registry: ParserRegistry;
  discovered: DiscoveredParser[];
  errors: PluginLoadError[];
  searched: string[];
} {
  const registry = new ParserRegistry();
  const discovered: DiscoveredParser[] = [];
  const errors: PluginLoadError[] = [];
  const searched: string[] = [];
  const results = (options.from ?? defaultDiscoveryRoots()).map((cwd) => discoverParsers({ cwd }));
  const nodePath = (options.nodePath ?? options.from === undefined) ? nodePathDirs() : [];
  if (nodePath.length > 0) {
    results.push(discoverParsers({ cwd: "/", extraDirs: nodePath.flatMap((dir) => packageDirsIn(dir)) }));
    searched.push(...nodePath.map((dir) => `${dir} (NODE_PATH)`));
  }
  for (const result of results) {
    errors.push(...result.errors);
    for (const place of result.searched) if (!searched.includes(place)) searched.push(place);
    for (const parser of result.parsers) {
      if (registry.has(parser.name)) continue;
      discovered.push(parser);
      registry.registerLazy(
        {
          name: parser.name,
          packageName: parser.packageName,
          version: parser.version,
          modulePath: parser.modulePath,
          ...(parser.description ? { description: parser.description } : {}),
          ...(parser.codecs ? { codecs: parser.codecs } : {}),
        },
        () => {
          if (!existsSync(parser.modulePath)) {
            throw new Error(`module ${parser.modulePath} does not exist (is the package built?)`);
          }
          return import(pathToFileURL(parser.modulePath).href);
        },
      );
    }
  }
  registry.searchedPlaces = searched;
  return { registry, discovered, errors, searched };
}
