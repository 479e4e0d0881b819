/**
 * The parser contract. A parser turns one file into a ManifestStore; options go to the plugin's
 * factory. A plugin package declares its parsers in package.json:
 * `"virtualizarr": { "parsers": { "hdf5": "./dist/index.js" } }`, and the module's default export
 * is the {@link ParserPlugin}. Codecs the plugin contributes are listed by parser name:
 * `"codecs": { "tiff": ["imagecodecs_lzw", ...] }`.
 * @module
 */
import type { ZarrCodecClass } from "../codecs/plugin-codecs.js";
import type { ObjectReader, ReadOptions } from "../readers/object-reader.js";
import type { ManifestStore } from "../store/manifest-store.js";

/** Makes a ManifestStore from the file at `url`, reading it through `reader`. */
export type Parser = (url: string, reader: ObjectReader, opts?: ReadOptions) => Promise<ManifestStore>;

/** What a parser package's default export is. */
export interface ParserPlugin<O = unknown> {
  /** Name picked in config and on the CLI ("hdf5"); equals the key in package.json. */
  name: string;
  description: string;
  /** File name extensions (without dot) this parser usually reads. */
  extensions?: readonly string[];
  /** True when the first bytes of a file look like this format (magic bytes). */
  sniff?(head: Uint8Array): boolean;
  /**
   * True for a parser that reads a reference set (kerchunk, DMR++, an existing Zarr store of
   * references, ...) rather than a data file: the chunk URLs it returns come from untrusted input.
   * `openManifestStore` / `openVirtualDataset` / `openVirtualMfdataset` then hand the parser a
   * reader wrapped in the reference policy (`withReferencePolicy`) and make sure the
   * returned ManifestStore reads through it: every URL outside the reference set's own place and
   * the caller's `allowedPrefixes` is refused before any request.
   */
  readsReferences?: boolean;
  /**
   * True when `create({ group })` parses only that group (and what it needs) and returns it as
   * the store's root; openManifestStore / openVirtualDataset then pass a chosen group to the
   * parser, so that nothing outside it is read or can fail the parse.
   */
  readsGroups?: boolean;
  create(options?: O): Parser;
  /**
   * zarrita codecs this plugin provides, by codec name (`imagecodecs_lzw`, ...): the decoders of
   * chunks its parser describes, also needed to read references written from them. A package
   * declares their names in package.json (`"virtualizarr": { "codecs": { "<parser>": [...] } }`)
   * so that discovery can offer them without importing the module; see `registerPluginCodecs`.
   */
  codecs?: Readonly<Record<string, ZarrCodecClass>>;
}

/** Type helper for plugin authors: `export default defineParserPlugin({...})`. */
export function defineParserPlugin<O>(plugin: ParserPlugin<O>): ParserPlugin<O> {
  return plugin;
}
