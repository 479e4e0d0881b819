/**
 * What every command needs: the configuration, the parser registry (discovered plugins from the
 * CLI's own installation and the user's project) and the readers.
 * @module
 */
import { dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  InvalidArgumentError,
  type ManifestStore,
  type ObjectReader,
  openManifestStore,
  type ParserPlugin,
  type ParserRegistry,
  type PluginLoadError,
  type VzError,
} from "@vz/core";
import { normalizePrefix, referencePlace } from "@vz/core/internal";
import { createDefaultReaders, createDiscoveredParserRegistry, toUrl } from "@vz/core/node";
import { loadConfig, parserRuleFor, type VzConfig } from "./config.js";

/** Shared state of one CLI run. */
export interface CliContext {
  cwd: string;
  config: VzConfig;
  configSource?: string;
  registry: ParserRegistry;
  pluginErrors: PluginLoadError[];
  reader: ObjectReader;
  /**
   * Places chunk URLs of reference sets (kerchunk, DMR++, Icechunk virtual chunk containers, ...)
   * may point into besides each reference set's own place: absolute URL prefixes resolved from
   * `--allow` (relative paths against the working directory) and the config's `allow` (relative
   * paths against the config file's folder). Undefined when neither names any.
   */
  allowedPrefixes?: string[];
  /** Writes to stdout / stderr (replaceable in tests). */
  out: (text: string) => void;
  err: (text: string) => void;
  /** Whether stderr is a terminal (progress bars only then). */
  interactive: boolean;
  /** `--parser-option NAME.KEY=VALUE` values per parser: merged over the config's `parserOptions` and rules. */
  parserOptionOverrides?: Record<string, Record<string, unknown>>;
}

/** The directory of the installed CLI package (where its own parser dependencies resolve from). */
export function cliPackageDir(): string {
  return dirname(dirname(fileURLToPath(import.meta.url)));
}

/** Builds the readers: file://, http(s):// and s3:// (S3 settings from the config, credentials from the environment). */
export async function createReaders(config: VzConfig): Promise<ObjectReader> {
  return createDefaultReaders({ ...(config.readers ?? {}) });
}

/** Creates the context for a run. */
export async function createContext(options: {
  cwd?: string;
  configPath?: string;
  /** `--allow` values (paths or URL prefixes). */
  allow?: readonly string[];
  /** `--parser-option` values per parser name. */
  parserOptions?: Record<string, Record<string, unknown>>;
  out?: (text: string) => void;
  err?: (text: string) => void;
}): Promise<CliContext> {
  const cwd = options.cwd ?? process.cwd();
  const { config, source } = loadConfig(cwd, options.configPath);
  const configDir = source ? dirname(source) : cwd;
  const allowedPrefixes = [
    ...(options.allow ?? []).map((entry) => allowedPrefix(entry, cwd, "--allow")),
    ...(config.allow ?? []).map((entry) => allowedPrefix(entry, configDir, `"allow" in ${source ?? "the config"}`)),
  ];
  const { registry, errors } = createDiscoveredParserRegistry({ from: [cwd, cliPackageDir()], nodePath: true });
  const reader = await createReaders(config);
  return {
    cwd,
    config,
    ...(source ? { configSource: source } : {}),
    registry,
    pluginErrors: errors,
    reader,
    ...(allowedPrefixes.length ? { allowedPrefixes: [...new Set(allowedPrefixes)] } : {}),
    ...(options.parserOptions ? { parserOptionOverrides: options.parserOptions } : {}),
    out: options.out ?? ((text) => process.stdout.write(text)),
    err: options.err ?? ((text) => process.stderr.write(text)),
    interactive: Boolean(process.stderr.isTTY),
  };
}

/**
 * Prints what a parser left out (with --skip-unsupported), one line each on stderr:
 * `skipped VAR in URL: [CODE] message`, or `skipped VAR: [CODE] message` without `url` (one
 * input). Returns how many.
 */
export function printSkips(context: CliContext, diagnostics: readonly VzError[], url?: string): number {
  for (const diagnostic of diagnostics) {
    context.err(`skipped ${diagnostic.variable ?? "?"}${url !== undefined ? ` in ${url}` : ""}: [${diagnostic.code}] ${diagnostic.message}\n`);
  }
  return diagnostics.length;
}

/** Resolves a CLI argument (path or URL) to an absolute URL. */
export function inputUrl(context: CliContext, input: string): string {
  return toUrl(input, context.cwd);
}

/** The parser name and options for `url`: the command line wins, then config rules, then auto-detection. */
export function parserChoice(
  context: CliContext,
  url: string,
  original: string,
  explicit?: string,
  extraOptions: Record<string, unknown> = {},
): { parser?: string; parserOptions: Record<string, unknown> } {
  const rule = explicit ? undefined : parserRuleFor(context.config, url, original);
  const parser = explicit ?? rule?.parser;
  const fromConfig = parser ? (context.config.parserOptions?.[parser] ?? {}) : {};
  const fromCommandLine = parser ? (context.parserOptionOverrides?.[parser] ?? {}) : {};
  return {
    ...(parser ? { parser } : {}),
    parserOptions: { ...fromConfig, ...(rule?.options ?? {}), ...fromCommandLine, ...extraOptions },
  };
}

/**
 * An absolute URL prefix for an `--allow` / config `allow` entry: URLs (`https://host/path/`,
 * `s3://bucket/`, `file:///data/`, a bare scheme `https://`) as they are, local paths as
 * `file://` directory URLs resolved against `base`.
 */
export function allowedPrefix(entry: string, base: string, where: string): string {
  if (typeof entry !== "string" || entry.trim() === "") throw new InvalidArgumentError(`${where}: an allowed prefix must be a non-empty string`);
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(entry)) {
    try {
      return normalizePrefix(entry);
    } catch (cause) {
      throw new InvalidArgumentError(`${where}: "${entry}" is not a URL prefix (${(cause as Error).message})`, { cause });
    }
  }
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(entry) && !/^[a-zA-Z]:[\\/]/.test(entry)) {
    throw new InvalidArgumentError(`${where}: "${entry}" is neither a path nor a URL with "://"`);
  }
  const href = pathToFileURL(resolve(base, entry)).href;
  return href.endsWith("/") ? href : `${href}/`;
}

/** A kerchunk `root` given on the command line or in the config: a URL, or a path (resolved against `base`), as a directory URL. */
function rootUrl(root: string, base: string): string {
  const url = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(root) ? root : pathToFileURL(resolve(base, root)).href;
  return url.endsWith("/") ? url : `${url}/`;
}

/**
 * The kerchunk `root` the user chose: `--root` (against the working directory), else the config's
 * `parserOptions.kerchunk.root` or a rule's `root` (against the config file's folder); undefined
 * when neither is set (then each reference file's own folder is used).
 */
export function kerchunkRoot(context: CliContext, parserOptions: Record<string, unknown>, flag: string | undefined): string | undefined {
  if (flag !== undefined) return rootUrl(flag, context.cwd);
  // `--parser-option kerchunk.root=...` is relative to the working directory, like --root
  const fromCommandLine = context.parserOptionOverrides?.kerchunk?.root;
  if (typeof fromCommandLine === "string") return rootUrl(fromCommandLine, context.cwd);
  if (typeof parserOptions.root === "string") return rootUrl(parserOptions.root, context.configSource ? dirname(context.configSource) : context.cwd);
  return undefined;
}

/**
 * The folder holding a reference set, as a URL ending in "/": `https://host/a/refs.json` →
 * `https://host/a/`, `file:///data/refs.parq/` → `file:///data/`. Relative chunk URLs resolve here.
 */
export function referenceFolder(url: string): string {
  const path = url.replace(/[?#].*$/, "").replace(/\/+$/, "").replace(/\/\.zmetadata$/, "");
  const cut = path.lastIndexOf("/");
  return cut < 0 || /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/?$/.test(path.slice(0, cut + 1)) ? referencePlace(url) : path.slice(0, cut + 1);
}

/** What {@link openInput} opened. */
export interface OpenedInput {
  store: ManifestStore;
  parserName: string;
  reason: string;
  /** The parser returned the chosen group as the store's root (it reads groups itself). */
  groupApplied: boolean;
}

/**
 * Opens one input the user named: picks the parser (command line, config rule, auto-detection),
 * gives it the config's `parserOptions` for that parser (also when auto-detected), and for the
 * kerchunk parser the `root` that relative chunk URLs resolve against: `--root`, else the config's
 * `parserOptions.kerchunk.root`, else the reference file's own folder. A reference set's chunk
 * URLs are read only under its own place, `--root`, and `context.allowedPrefixes`.
 */
export async function openInput(
  context: CliContext,
  url: string,
  original: string,
  options: { parser?: string; root?: string; extraOptions?: Record<string, unknown>; group?: string } = {},
): Promise<OpenedInput> {
  const rule = options.parser ? undefined : parserRuleFor(context.config, url, original);
  let name = options.parser ?? rule?.parser;
  let plugin: ParserPlugin | undefined;
  let reason = name ? (options.parser ? `parser "${name}" named` : `config rule "${rule!.pattern}"`) : "";
  if (!name) {
    const selection = await context.registry.select(url, { reader: context.reader });
    name = selection.name;
    plugin = selection.plugin;
    reason = selection.reason;
  }
  const parserOptions: Record<string, unknown> = {
    ...(context.config.parserOptions?.[name] ?? {}),
    ...(rule?.options ?? {}),
    ...(context.parserOptionOverrides?.[name] ?? {}),
    ...(options.extraOptions ?? {}),
  };
  if (typeof context.parserOptionOverrides?.kerchunk?.item === "number" && name !== "kerchunk") {
    throw new InvalidArgumentError(`--item picks one reference set of a kerchunk file holding a list of them; ${original} is read by the ${name} parser`, { url });
  }
  const allowed = [...(context.allowedPrefixes ?? [])];
  if (name === "kerchunk") {
    const chosen = kerchunkRoot(context, parserOptions, options.root);
    parserOptions.root = chosen ?? referenceFolder(url);
    // A root the user chose is a place the user allowed.
    if (chosen !== undefined) allowed.push(chosen);
  }
  const { store, parserName, groupApplied } = await openManifestStore(url, {
    reader: context.reader,
    registry: context.registry,
    parser: plugin ?? name,
    parserOptions,
    ...(allowed.length ? { allowedPrefixes: allowed } : {}),
    // a parser that reads groups itself (hdf5) parses only the chosen group
    ...(options.group ? { group: options.group } : {}),
  });
  return { store, parserName, reason, groupApplied };
}
