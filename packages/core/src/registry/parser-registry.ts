/**
 * ParserRegistry: parser plugins by name, registered explicitly or lazily (discovered packages
 * are imported only when selected). Selection: explicit parser → file extension → magic bytes.
 * No global singleton: pass a registry to `openVirtualDataset`.
 * @module
 */
import { isVzError, ParserNotFoundError, PluginLoadError } from "../errors.js";
import type { ObjectReader, ReadOptions } from "../readers/object-reader.js";
import type { ZarrCodecClass } from "../codecs/plugin-codecs.js";
import type { Parser, ParserPlugin } from "./parser.js";

/** What the registry knows about a parser before loading it. */
export interface ParserEntryInfo {
  name: string;
  /** Package that provides it (undefined for parsers registered in code). */
  packageName?: string;
  version?: string;
  description?: string;
  /** Module path the package declares (for discovered parsers). */
  modulePath?: string;
  /** Names of the zarrita codecs the plugin provides (`ParserPlugin.codecs`, or package.json for discovered parsers). */
  codecs?: readonly string[];
}

interface Entry {
  info: ParserEntryInfo;
  load: () => Promise<ParserPlugin>;
  loaded?: Promise<ParserPlugin>;
}

/** Checks that a module's default export is a ParserPlugin named `name`. */
export function assertParserPlugin(value: unknown, name: string, source: string): ParserPlugin {
  const plugin = value as Partial<ParserPlugin> | undefined;
  if (!plugin || typeof plugin !== "object" || typeof plugin.create !== "function" || typeof plugin.name !== "string") {
    throw new PluginLoadError(
      `parser "${name}" from ${source}: the module's default export is not a ParserPlugin ({ name, description, create })`,
      { packageName: source },
    );
  }
  if (plugin.name !== name) {
    throw new PluginLoadError(
      `parser "${name}" from ${source}: package.json declares "${name}" but the plugin calls itself "${plugin.name}"`,
      { packageName: source },
    );
  }
  return plugin as ParserPlugin;
}

/** How a parser was chosen. */
export interface ParserSelection {
  plugin?: ParserPlugin;
  parser: Parser;
  name: string;
  reason: string;
}

/** Bytes read from the start of a file for magic-byte sniffing (HDF5 can sit after a 512..2048-byte user block). */
export const SNIFF_BYTES = 4104;

/** A set of parser plugins. */
export class ParserRegistry {
  readonly #entries = new Map<string, Entry>();
  /** Where discovery looked for parser packages (set by createDiscoveredParserRegistry); named in "no parser" errors. */
  searchedPlaces: readonly string[] = [];

  constructor(plugins: readonly ParserPlugin[] = []) {
    for (const plugin of plugins) this.register(plugin);
  }

  /** Registers a loaded plugin (replaces one of the same name). */
  register(plugin: ParserPlugin): this {
    const loaded = Promise.resolve(plugin);
    const codecs = Object.keys(plugin.codecs ?? {});
    this.#entries.set(plugin.name, {
      info: { name: plugin.name, description: plugin.description, ...(codecs.length > 0 ? { codecs } : {}) },
      load: () => loaded,
      loaded,
    });
    return this;
  }

  /** Registers a parser whose module is imported only when it is first used. */
  registerLazy(info: ParserEntryInfo, load: () => Promise<unknown>): this {
    if (this.#entries.has(info.name)) return this; // first registration wins (closest package)
    const source = info.packageName ?? info.name;
    this.#entries.set(info.name, {
      info,
      load: async () => {
        let module: unknown;
        try {
          module = await load();
        } catch (cause) {
          throw new PluginLoadError(`cannot load parser "${info.name}" from ${source}: ${(cause as Error).message}`, {
            packageName: source,
            cause,
          });
        }
        const candidate = (module as { default?: unknown }).default ?? module;
        return assertParserPlugin(candidate, info.name, source);
      },
    });
    return this;
  }

  /** Names and package info of every registered parser. */
  list(): ParserEntryInfo[] {
    return [...this.#entries.values()].map((entry) => ({ ...entry.info })).sort((a, b) => a.name.localeCompare(b.name));
  }

  has(name: string): boolean {
    return this.#entries.has(name);
  }

  /** Every codec the registered plugins provide → the name of the parser whose plugin provides it (first wins). */
  codecProviders(): Map<string, string> {
    const providers = new Map<string, string>();
    for (const [name, entry] of this.#entries) {
      for (const codec of entry.info.codecs ?? []) if (!providers.has(codec)) providers.set(codec, name);
    }
    return providers;
  }

  /**
   * Loads the plugin that provides codec `codec` and returns the codec class. PluginLoadError when
   * the plugin cannot be loaded or declares the codec but does not provide it; undefined when no
   * registered plugin declares it.
   */
  async loadCodec(codec: string): Promise<ZarrCodecClass | undefined> {
    const parser = this.codecProviders().get(codec);
    if (parser === undefined) return undefined;
    const plugin = await this.get(parser);
    const found = plugin.codecs?.[codec];
    if (!found || typeof found.fromConfig !== "function") {
      const source = this.#entries.get(parser)?.info.packageName ?? parser;
      throw new PluginLoadError(
        `parser "${parser}" from ${source} declares codec "${codec}" but its plugin's \`codecs\` does not provide it (a class with fromConfig)`,
        { packageName: source },
      );
    }
    return found;
  }

  /** Loads the plugin `name`; ParserNotFoundError when unknown, PluginLoadError when broken. */
  async get(name: string): Promise<ParserPlugin> {
    const entry = this.#entries.get(name);
    if (!entry) {
      throw new ParserNotFoundError(
        `no parser named "${name}"; available: ${[...this.#entries.keys()].sort().join(", ") || "(none)"}${this.#whereLooked()}`,
      );
    }
    entry.loaded ??= entry.load();
    try {
      const plugin = await entry.loaded;
      if (!entry.info.description) entry.info.description = plugin.description;
      return plugin;
    } catch (error) {
      entry.loaded = undefined;
      throw error;
    }
  }

  /**
   * Chooses a parser for `url`: an explicit `parser` (name, plugin or Parser function), else a
   * plugin whose extensions include the URL's extension and whose sniff accepts the first bytes,
   * else any plugin whose sniff accepts them. The reason is returned.
   */
  async select(
    url: string,
    options: { parser?: string | ParserPlugin | Parser; reader?: ObjectReader; parserOptions?: unknown } & ReadOptions = {},
  ): Promise<ParserSelection> {
    const { parser } = options;
    if (typeof parser === "function") return { parser, name: parser.name || "custom", reason: "parser function given" };
    if (typeof parser === "object") {
      return { plugin: parser, parser: parser.create(options.parserOptions), name: parser.name, reason: "parser plugin given" };
    }
    if (typeof parser === "string") {
      const plugin = await this.get(parser);
      return { plugin, parser: plugin.create(options.parserOptions), name: plugin.name, reason: `parser "${parser}" named` };
    }
    const extension = /\.([A-Za-z0-9]+)(?:[?#].*)?$/.exec(url)?.[1]?.toLowerCase();
    let head: Uint8Array | undefined;
    const readHead = async (): Promise<Uint8Array | undefined> => {
      if (head || !options.reader) return head;
      try {
        const meta = await options.reader.head(url, options);
        head = await options.reader.getRange(url, 0, Math.min(SNIFF_BYTES, meta.size), options);
      } catch (error) {
        if (isVzError(error)) throw error;
        head = undefined;
      }
      return head;
    };
    const plugins: ParserPlugin[] = [];
    const failures: string[] = [];
    for (const name of this.#entries.keys()) {
      try {
        plugins.push(await this.get(name));
      } catch (error) {
        failures.push(`${name}: ${(error as Error).message}`);
      }
    }
    const byExtension = extension ? plugins.filter((p) => p.extensions?.includes(extension)) : [];
    for (const plugin of byExtension) {
      if (!plugin.sniff) {
        return { plugin, parser: plugin.create(options.parserOptions), name: plugin.name, reason: `extension .${extension}` };
      }
      const bytes = await readHead();
      if (bytes && plugin.sniff(bytes)) {
        return { plugin, parser: plugin.create(options.parserOptions), name: plugin.name, reason: `extension .${extension} and magic bytes` };
      }
    }
    const bytes = await readHead();
    if (bytes) {
      for (const plugin of plugins) {
        if (plugin.sniff?.(bytes)) {
          return { plugin, parser: plugin.create(options.parserOptions), name: plugin.name, reason: "magic bytes" };
        }
      }
    }
    const start = !bytes
      ? "first bytes: (unread)"
      : bytes.length === 0
        ? "0 bytes: the file is empty"
        : `first bytes: ${[...bytes.subarray(0, 8)].map((b) => b.toString(16).padStart(2, "0")).join(" ")}`;
    throw new ParserNotFoundError(
      `no parser recognises ${url} (extension: ${extension ? `.${extension}` : "none"}, ${start}); ` +
        `tried: ${plugins.map((p) => p.name).join(", ") || "(no parsers registered)"}` +
        (failures.length ? `; failed to load: ${failures.join("; ")}` : "") +
        this.#whereLooked(),
      { url },
    );
  }

  /** "; looked in: …" when discovery filled {@link searchedPlaces}, or a hint when nothing is registered. */
  #whereLooked(): string {
    if (this.searchedPlaces.length > 0) return `; looked for parser packages in: ${this.searchedPlaces.join(", ")}`;
    return this.#entries.size === 0 ? "; no parsers are registered (install a parser package such as @vz/parser-hdf5 and use createDiscoveredParserRegistry, or register one)" : "";
  }
}
