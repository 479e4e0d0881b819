/**
 * Codecs contributed by parser plugins. A plugin lists the zarrita codec classes it provides in
 * `ParserPlugin.codecs` (and their names in package.json, `"virtualizarr": { "codecs": { "<parser>":
 * ["<codec>", ...] } }`, so that discovery knows them without importing the module).
 * {@link registerPluginCodecs} adds a lazy loader for each to zarrita's codec registry: reading a
 * reference set (kerchunk, Icechunk) whose chunks use e.g. `imagecodecs_lzw` then imports the
 * TIFF plugin on first decode. Core imports no plugin, and zarrita only when its registry is
 * needed ({@link addPluginCodecs} waits for that).
 * @module
 */
import { UnsupportedFeatureError, type VzErrorContext } from "../errors.js";
import type { ParserRegistry } from "../registry/parser-registry.js";
import type { CodecChunkMetadata } from "./chunk-size.js";
import { type CodecRegistry, deferredCodecAdditions, loadCodecRegistry } from "./register-codecs.js";

/** A codec class as zarrita's registry holds it (`fromConfig` builds one instance per array). */
export interface ZarrCodecClass {
  kind?: string;
  fromConfig(configuration: unknown, meta: CodecChunkMetadata): unknown;
}

/**
 * Packages that provide codecs vz writes into references but core cannot decode itself: used to
 * name the package to install when a codec is missing (a hint only; core imports none of them).
 */
export const CODEC_PACKAGES: Readonly<Record<string, string>> = {
  imagecodecs_lzw: "@vz/parser-tiff",
  imagecodecs_packbits: "@vz/parser-tiff",
  imagecodecs_jpeg: "@vz/parser-tiff",
  imagecodecs_delta: "@vz/parser-tiff",
  imagecodecs_floatpred: "@vz/parser-tiff",
  vz_zero_pad: "@vz/parser-tiff",
};

const PLUGIN_LOADER = Symbol.for("vz.codecs.pluginLoader");

type Loader = (() => Promise<unknown>) & { [PLUGIN_LOADER]?: true };

/**
 * Adds every codec the plugins of `parsers` provide to zarrita's codec registry, as lazy loaders
 * (the plugin module is imported on first use). Codecs zarrita or vz core already decode are kept;
 * loaders added by an earlier call are replaced. Loads zarrita (with vz's codecs) when it is not
 * loaded yet, and resolves to the codec names added.
 * @example
 * const { registry } = createDiscoveredParserRegistry();
 * await registerPluginCodecs(registry); // kerchunk refs of LZW TIFFs now decode through @vz/parser-tiff
 */
export async function registerPluginCodecs(parsers: ParserRegistry): Promise<string[]> {
  return addTo(await loadCodecRegistry(), parsers);
}

/**
 * {@link registerPluginCodecs} without loading zarrita: the loaders are added now when vz has
 * loaded zarrita's registry, else when it does (a ManifestStore's first read, `readArrayValues`,
 * `registerCodecs()`). `openManifestStore` / `openVirtualDataset` call this with their registry.
 */
export function addPluginCodecs(parsers: ParserRegistry): void {
  addProviders([...parsers.codecProviders().keys()].map((codec) => [codec, parsers] as const));
}

// until zarrita loads, only the latest registry providing each codec matters (in call order)
const addProviders = deferredCodecAdditions<ParserRegistry>("last", (registry, codec, parsers) => {
  addOne(registry, codec, parsers);
});

function addTo(registry: CodecRegistry, parsers: ParserRegistry): string[] {
  const added: string[] = [];
  for (const [codec] of parsers.codecProviders()) if (addOne(registry, codec, parsers)) added.push(codec);
  return added;
}

/** Adds a lazy loader of `codec` from `parsers`; false when zarrita or vz core decode it already. */
function addOne(registry: CodecRegistry, codec: string, parsers: ParserRegistry): boolean {
  const map = registry as unknown as Map<string, Loader>;
  const current = map.get(codec);
  if (current && !current[PLUGIN_LOADER]) return false;
  const loader: Loader = () => parsers.loadCodec(codec);
  loader[PLUGIN_LOADER] = true;
  map.set(codec, loader);
  return true;
}

/** The error for a codec zarrita has no decoder for, naming the package that provides it when known. */
export function missingCodecError(codec: string, context: VzErrorContext & { cause?: unknown } = {}): UnsupportedFeatureError {
  const where = [context.url, context.variable ? `variable "${context.variable}"` : undefined].filter(Boolean).join(": ");
  const provider = CODEC_PACKAGES[codec];
  const reason = provider
    ? `codec "${codec}" is provided by ${provider}, which is not installed or not registered: install ${provider} ` +
      "(the vz CLI finds it in node_modules; in code, pass a ParserRegistry holding its plugin to openManifestStore, or call registerPluginCodecs)"
    : `no decoder for codec "${codec}" (neither zarrita, vz core nor an installed parser plugin provides it)`;
  return new UnsupportedFeatureError(`codec-${codec}`, `${where ? `${where}: ` : ""}${reason}`, context);
}

/** The codec name of a zarrita UnknownCodecError anywhere in `error`'s cause chain. */
export function unknownCodecOf(error: unknown): string | undefined {
  for (let e = error as { name?: string; codec?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 8; depth++) {
    if (e.name === "UnknownCodecError" && typeof e.codec === "string") return e.codec;
    e = e.cause as typeof e;
  }
  return undefined;
}
