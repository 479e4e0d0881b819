/**
 * The parser contract. A parser turns one file into a ManifestStore; options go to the plugin's
 * factory. A plugin package declares its parsers in package.json:
 * `"virtualizarr": { "parsers": { "hdf5": "./dist/index.js" } }`, and the module's default export
 * is the {@link ParserPlugin}.
 * @module
 */
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
   * True when `create({ group })` parses only that group (and what it needs) and returns it as
   * the store's root; openManifestStore / openVirtualDataset then pass a chosen group to the
   * parser, so that nothing outside it is read or can fail the parse.
   */
  readsGroups?: boolean;
  create(options?: O): Parser;
}

/** Type helper for plugin authors: `export default defineParserPlugin({...})`. */
export function defineParserPlugin<O>(plugin: ParserPlugin<O>): ParserPlugin<O> {
  return plugin;
}
