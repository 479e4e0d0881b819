/**
 * What every command needs: the configuration, the parser registry (discovered plugins from the
 * CLI's own installation and the user's project) and the readers.
 * @module
 */
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import type { ObjectReader, ParserRegistry, PluginLoadError } from "@vz/core";
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
  /** Writes to stdout / stderr (replaceable in tests). */
  out: (text: string) => void;
  err: (text: string) => void;
  /** Whether stderr is a terminal (progress bars only then). */
  interactive: boolean;
  /** URL prefixes the user allowed reading from (`--allow`, config `allow`), besides each input's own place. */
  allowedPrefixes?: string[];
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
  out?: (text: string) => void;
  err?: (text: string) => void;
}): Promise<CliContext> {
  const cwd = options.cwd ?? process.cwd();
  const { config, source } = loadConfig(cwd, options.configPath);
  const { registry, errors } = createDiscoveredParserRegistry({ from: [cwd, cliPackageDir()] });
  const reader = await createReaders(config);
  return {
    cwd,
    config,
    ...(source ? { configSource: source } : {}),
    registry,
    pluginErrors: errors,
    reader,
    out: options.out ?? ((text) => process.stdout.write(text)),
    err: options.err ?? ((text) => process.stderr.write(text)),
    interactive: Boolean(process.stderr.isTTY),
  };
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
  return {
    ...(parser ? { parser } : {}),
    parserOptions: { ...fromConfig, ...(rule?.options ?? {}), ...extraOptions },
  };
}
