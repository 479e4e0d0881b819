/**
 * vz configuration: `vz.config.json` in the working directory (or given with --config), or a
 * `virtualizarr.config` object in the project's package.json. Picks parsers by URL pattern and
 * sets reader options. Credentials are never read from config files: they come from the usual
 * environment variables (AWS_ACCESS_KEY_ID, ...).
 * @module
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { InvalidArgumentError } from "@vz/core";

/** A rule choosing a parser (and its options) for URLs matching a glob pattern. */
export interface ParserRule {
  /** Glob over the URL or path: `*` within a segment, `**` across segments, `?` one character. */
  pattern: string;
  parser: string;
  options?: Record<string, unknown>;
}

/** The configuration file's shape. */
export interface VzConfig {
  /**
   * Places the chunk URLs of reference sets (kerchunk JSON/Parquet, DMR++, Icechunk virtual
   * refs) may point into besides each reference set's own place: URL prefixes
   * (`https://host/path/`, `s3://bucket/prefix/`, `file:///data/`) or local paths (relative to
   * this file's folder). Same as `--allow` on the command line.
   */
  allow?: string[];
  parserFor?: ParserRule[];
  /** Options per parser name, used whenever that parser runs. */
  parserOptions?: Record<string, Record<string, unknown>>;
  readers?: {
    s3?: { region?: string; endpoint?: string; forcePathStyle?: boolean; anonymous?: boolean };
    /** `redirect`: "same-origin" (default), "follow" (other origins too) or "error". */
    http?: { headers?: Record<string, string>; timeoutMs?: number; redirect?: "same-origin" | "follow" | "error"; maxRedirects?: number };
    /** URL prefixes that may be read besides the inputs' own locations. */
    allowedPrefixes?: string[];
  };
}

function parseConfig(text: string, source: string): VzConfig {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new InvalidArgumentError(`config ${source}: not valid JSON (${(cause as Error).message})`, { cause });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError(`config ${source}: must be a JSON object`);
  }
  const config = value as VzConfig;
  for (const [i, rule] of (config.parserFor ?? []).entries()) {
    if (typeof rule?.pattern !== "string" || typeof rule?.parser !== "string") {
      throw new InvalidArgumentError(`config ${source}: parserFor[${i}] needs a string "pattern" and "parser"`);
    }
  }
  if (config.allow !== undefined && (!Array.isArray(config.allow) || config.allow.some((entry) => typeof entry !== "string" || entry === ""))) {
    throw new InvalidArgumentError(`config ${source}: "allow" must be a list of URL prefixes or paths (strings)`);
  }
  const redirect = config.readers?.http?.redirect;
  if (redirect !== undefined && !["same-origin", "follow", "error"].includes(redirect)) {
    throw new InvalidArgumentError(`config ${source}: readers.http.redirect must be "same-origin", "follow" or "error", got ${JSON.stringify(redirect)}`);
  }
  return config;
}

/** Loads the configuration: an explicit file, else vz.config.json, else package.json#virtualizarr.config (searching upwards). */
export function loadConfig(cwd: string, explicitPath?: string): { config: VzConfig; source?: string } {
  if (explicitPath) {
    const path = resolve(cwd, explicitPath);
    if (!existsSync(path)) throw new InvalidArgumentError(`config file not found: ${path}`);
    return { config: parseConfig(readFileSync(path, "utf8"), path), source: path };
  }
  let dir = resolve(cwd);
  for (;;) {
    const file = join(dir, "vz.config.json");
    if (existsSync(file)) return { config: parseConfig(readFileSync(file, "utf8"), file), source: file };
    const pkgPath = join(dir, "package.json");
    if (existsSync(pkgPath)) {
      const pkg = JSON.parse(readFileSync(pkgPath, "utf8")) as { virtualizarr?: { config?: unknown } };
      if (pkg.virtualizarr?.config !== undefined) {
        return { config: parseConfig(JSON.stringify(pkg.virtualizarr.config), `${pkgPath}#virtualizarr.config`), source: pkgPath };
      }
      return { config: {} };
    }
    const parent = dirname(dir);
    if (parent === dir) return { config: {} };
    dir = parent;
  }
}

/** Converts a glob to a RegExp (`**` any characters, `*` no slash, `?` one non-slash character). */
export function globToRegExp(pattern: string): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*") {
      if (pattern[i + 1] === "*") {
        source += ".*";
        i++;
        if (pattern[i + 1] === "/") i++;
      } else source += "[^/]*";
    } else if (c === "?") source += "[^/]";
    else source += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${source}$`);
}

/** The first rule matching `url` (or the original argument). */
export function parserRuleFor(config: VzConfig, url: string, original?: string): ParserRule | undefined {
  for (const rule of config.parserFor ?? []) {
    const regex = globToRegExp(rule.pattern);
    const path = url.replace(/^file:\/\//, "");
    if (regex.test(url) || regex.test(path) || (original !== undefined && regex.test(original))) return rule;
    // bare patterns like "*.nc" match the last path segment
    if (!rule.pattern.includes("/") && regex.test(path.slice(path.lastIndexOf("/") + 1))) return rule;
  }
  return undefined;
}
