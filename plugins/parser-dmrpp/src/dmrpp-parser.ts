/**
 * Builds a ManifestStore from a DMR++ document (OPeNDAP's XML index of an HDF5 / netCDF-4 / HDF4
 * file): one request for the XML, then groups, dimensions, types, attributes and every chunk's
 * offset and length come from the document. Only string variables whose values are stored in
 * the data file (fixed-length strings) cost further reads.
 * @module
 */
import {
  AbortedError,
  type ArrayMetadata,
  ChunkManifestBuilder,
  type CodecMetadata,
  type DataType,
  isVzError,
  ManifestArray,
  ManifestGroup,
  ManifestStore,
  InvalidArgumentError,
  NotFoundError,
  ParseError,
  UnsupportedFeatureError,
  type ObjectReader,
  type ReadOptions,
  type VzError,
  inlinedStringArray,
} from "@vz/core";
import { isAbsoluteUrl } from "@vz/core/internal";
import {
  DAP_NUMERIC,
  DAP_STRING,
  DAP_UNSUPPORTED,
  decodeBase64,
  decodeFixedString,
  decodePipeline,
  decodeTrimmed,
  encodeText,
  type FilterName,
  inflateZlib,
  jsonFill,
  parseNumber,
  ValueError,
} from "./values.js";
import { childNamed, childrenNamed, decodeXmlBytes, parseXml, XmlError, type XmlElement } from "./xml.js";

/** The DAP4 namespace of DMR documents. */
export const DAP4_NAMESPACE = "http://xml.opendap.org/ns/DAP/4.0#";
/** The DMR++ namespace. */
export const DMRPP_NAMESPACE = "http://xml.opendap.org/dap/dmrpp/1.0.0#";
/** The `dmrpp:href` placeholder `build_dmrpp -u` writes: the data file is the DMR++ URL without `.dmrpp`. */
export const DATA_ACCESS_URL_PLACEHOLDER = "OPeNDAP_DMRpp_DATA_ACCESS_URL";

/** How container attributes (`type="Container"`) are carried. */
export type ContainerAttributes = "flatten" | "nest" | "drop";

/** Options of {@link createDmrppParser}. */
export interface DmrppParserOptions {
  /**
   * Where the data file is. A string replaces the document's `dmrpp:href` (e.g. a local mirror or
   * an `s3://` URL); a function maps each href (the dataset's, and per-chunk hrefs) with the
   * DMR++ URL to an absolute URL. Default: the href resolved against the DMR++ URL; the
   * placeholder `OPeNDAP_DMRpp_DATA_ACCESS_URL` (and a missing href) means the DMR++ URL
   * without its `.dmrpp` suffix.
   */
  dataUrl?: string | ((href: string, dmrppUrl: string) => string);
  /** Group to start from (`"a/b"` or `"/a/b"`); default the root. A missing group is a NotFoundError. */
  group?: string;
  /** Variables to leave out: paths relative to `group` (`"x"`, `"sub/x"`), or from the root (`"/g/x"`). */
  dropVariables?: readonly string[];
  /**
   * `"raise"` (default): a variable vz cannot express (structures, opaque, variable-length string
   * arrays without values, HDF4 linked blocks, unknown compression) fails the parse with an
   * UnsupportedFeatureError. `"skip"`: it is left out and its error listed in `store.diagnostics`.
   */
  onUnsupported?: "raise" | "skip";
  /**
   * Container attributes: `"flatten"` (default) makes `parent.child` names (the children of
   * `HDF5_GLOBAL` go to the root under their own names, as VirtualiZarr does); `"nest"` keeps
   * them as JSON objects; `"drop"` leaves them out, as VirtualiZarr does for all others.
   * The `build_dmrpp_metadata` container (how the DMR++ was made) is left out unless
   * `keepBuildMetadata` is set.
   */
  containerAttributes?: ContainerAttributes;
  /**
   * Byte order of variables whose `dmrpp:chunks` has no `byteOrder` (DMR++ written by old
   * build_dmrpp versions): `"LE"` (default, what OPeNDAP's server assumes on little-endian hosts)
   * or `"BE"`.
   */
  defaultByteOrder?: "LE" | "BE";
  /** Keep the `build_dmrpp_metadata` container attribute. Default false. */
  keepBuildMetadata?: boolean;
  /** Largest DMR++ document accepted, in bytes. Default 256 MiB. */
  maxDocumentBytes?: number;
  /** Largest string variable read at parse time, in bytes. Default 64 MiB. */
  maxStringBytes?: number;
}

const PARSER = "dmrpp";
const DEFAULT_MAX_DOCUMENT_BYTES = 256 * 1024 * 1024;
const DEFAULT_MAX_STRING_BYTES = 64 * 1024 * 1024;
/** Default deflate level when a DMR++ names deflate without `deflateLevel` (VirtualiZarr's default). */
export const DEFAULT_DEFLATE_LEVEL = 6;
const MAX_CHUNK_GRID = 50_000_000;
const FILL_FLAGS = new Set(["unsupported-string", "unsupported-variable-length-string", "unsupported-array", "unsupported-compound"]);
const HIDDEN_ATTRIBUTES = ["_Netcdf4Dimid", "_Netcdf4Coordinates", "_NCProperties", "_nc3_strict", "_SuperblockVersion", "_IsNetcdf4", "REFERENCE_LIST", "DIMENSION_LIST"];
const VARIABLE_TAGS = new Set([...Object.keys(DAP_NUMERIC), ...DAP_STRING, "Enum", ...Object.keys(DAP_UNSUPPORTED)]);

function product(values: readonly number[]): number {
  return values.reduce((a, b) => a * b, 1);
}

/** Splits a DAP4 fully qualified name on unescaped `/` and removes `\` escapes. */
export function splitFqn(fqn: string): string[] {
  const parts: string[] = [];
  let current = "";
  for (let i = 0; i < fqn.length; i++) {
    const c = fqn[i]!;
    if (c === "\\" && i + 1 < fqn.length) {
      current += fqn[++i];
    } else if (c === "/") {
      parts.push(current);
      current = "";
    } else current += c;
  }
  parts.push(current);
  return parts.filter((p) => p !== "");
}

/** The data file URL for an href of the DMR++ at `dmrppUrl` (see {@link DmrppParserOptions.dataUrl}). */
export function resolveHref(href: string | undefined, dmrppUrl: string): string {
  const value = href?.trim() ?? "";
  if (value === "" || value === DATA_ACCESS_URL_PLACEHOLDER) {
    if (!/\.dmrpp$/i.test(dmrppUrl)) {
      throw new ParseError(
        `DMR++ ${dmrppUrl}: the data file is given as ${value === "" ? "no dmrpp:href" : DATA_ACCESS_URL_PLACEHOLDER}, which means "this URL without .dmrpp", but the URL does not end in .dmrpp; pass the option dataUrl`,
        { url: dmrppUrl, parser: PARSER },
      );
    }
    return dmrppUrl.replace(/\.dmrpp$/i, "");
  }
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(value)) return value;
  try {
    return new URL(value, dmrppUrl).href;
  } catch (cause) {
    throw new ParseError(`DMR++ ${dmrppUrl}: dmrpp:href ${JSON.stringify(value)} cannot be resolved against the DMR++ URL`, {
      url: dmrppUrl,
      parser: PARSER,
      cause,
    });
  }
}

/** True when `head` looks like a DMR++ document: XML naming the DMR++ namespace and a `<Dataset`. */
export function sniffDmrpp(head: Uint8Array): boolean {
  if (head.length < 16) return false;
  const text = new TextDecoder("latin1").decode(head.subarray(0, Math.min(head.length, 8192)));
  const start = text.search(/<(\?xml|[A-Za-z_][\w.-]*:?Dataset)\b/);
  if (start < 0 || start > 256) return false; // at most a short stray line before the XML
  return text.includes("http://xml.opendap.org/dap/dmrpp/") && /<([A-Za-z_][\w.-]*:)?Dataset[\s>]/.test(text);
}

interface Dimension {
  size: number;
}
interface Enumeration {
  basetype: string;
  consts: { name: string; value: string }[];
}

/** One DMR++ parse. */
class DmrppParse {
  readonly diagnostics: VzError[] = [];
  readonly dimensions = new Map<string, Dimension>();
  readonly enumerations = new Map<string, Enumeration>();
  /** Phony dimensions made for anonymous `<Dim size=…/>`, per group path: name and size. */
  readonly phony = new Map<string, { name: string; size: number }[]>();
  phonyCount = 0;
  datasetUrl = "";
  readonly drop: Set<string>;

  constructor(
    readonly url: string,
    readonly reader: ObjectReader,
    readonly options: DmrppParserOptions,
    readonly signal: AbortSignal | undefined,
  ) {
    const groupPrefix = splitFqn(options.group ?? "").join("/");
    // names / paths relative to the start group; "/a/b" is a path from the root
    this.drop = new Set(
      (options.dropVariables ?? []).flatMap((name) => {
        const parts = splitFqn(name).join("/");
        if (!name.startsWith("/")) return [parts];
        if (!groupPrefix) return [parts];
        return parts.startsWith(`${groupPrefix}/`) ? [parts.slice(groupPrefix.length + 1)] : [];
      }),
    );
  }

  parseError(message: string, variable?: string, cause?: unknown): ParseError {
    return new ParseError(`DMR++ ${this.url}${variable ? `: variable ${variable}` : ""}: ${message}`, {
      url: this.url,
      parser: PARSER,
      ...(variable ? { variable } : {}),
      ...(cause !== undefined ? { cause } : {}),
    });
  }

  unsupported(feature: string, variable: string, reason: string): UnsupportedFeatureError {
    return new UnsupportedFeatureError(feature, `DMR++ ${this.url}: variable ${variable}: ${reason}; it cannot be virtualized`, {
      url: this.url,
      variable,
    });
  }

  checkAborted(): void {
    if (this.signal?.aborted) throw new AbortedError(`DMR++ parse of ${this.url}: aborted`, { url: this.url, cause: this.signal.reason });
  }

  /** The data URL of an href (dataset or chunk). */
  dataUrlFor(href: string | undefined, isDataset: boolean): string {
    const option = this.options.dataUrl;
    let url: string;
    if (typeof option === "function") url = option(href ?? "", this.url);
    else if (typeof option === "string" && (isDataset || href === undefined)) url = option;
    else url = resolveHref(href, this.url);
    if (typeof url !== "string" || !isAbsoluteUrl(url)) {
      throw new InvalidArgumentError(`DMR++ ${this.url}: option dataUrl gave ${JSON.stringify(url)} for href ${JSON.stringify(href ?? "")}, not an absolute URL`, {
        url: this.url,
      });
    }
    return url;
  }

  async run(): Promise<ManifestGroup> {
    const maxBytes = this.options.maxDocumentBytes ?? DEFAULT_MAX_DOCUMENT_BYTES;
    const bytes = await this.reader.get(this.url, this.signal ? { signal: this.signal } : undefined);
    this.checkAborted();
    if (bytes.length > maxBytes) throw this.parseError(`the document has ${bytes.length} bytes, more than maxDocumentBytes (${maxBytes})`);
    if (bytes.length === 0) throw this.parseError("the document is empty");
    let root: XmlElement;
    try {
      root = parseXml(decodeXmlBytes(bytes)).root;
    } catch (error) {
      if (error instanceof XmlError) throw this.parseError(`not well-formed XML: ${error.message} (character ${error.position})`, undefined, error);
      throw error;
    }
    root = normalizeNamespaces(root);
    if (root.name !== "Dataset") throw this.parseError(`the root element is <${root.name}>, not a DAP4 <Dataset>`);
    this.datasetUrl = this.dataUrlFor(root.attributes["dmrpp:href"], true);
    this.collectDefinitions(root, []);
    // Start group
    const startParts = splitFqn(this.options.group ?? "");
    let start = root;
    for (let i = 0; i < startParts.length; i++) {
      const next = childrenNamed(start, "Group").find((g) => g.attributes.name === startParts[i]);
      if (!next) throw new NotFoundError(`DMR++ ${this.url}: no group "${startParts.slice(0, i + 1).join("/")}" in the document`, { url: this.url });
      start = next;
    }
    return this.group(start, startParts, "", start === root);
  }

  /** Records every Dimension and Enumeration by fully qualified name. */
  collectDefinitions(element: XmlElement, path: string[]): void {
    for (const child of element.children) {
      if (child.name === "Dimension") {
        const name = child.attributes.name;
        const sizeText = child.attributes.size;
        if (!name || sizeText === undefined || !/^\d+$/.test(sizeText.trim())) {
          throw this.parseError(`<Dimension name=${JSON.stringify(name ?? "")} size=${JSON.stringify(sizeText ?? "")}> needs a name and a non-negative integer size`);
        }
        const size = Number(sizeText.trim());
        if (!Number.isSafeInteger(size)) throw this.parseError(`dimension ${name}: size ${sizeText} is not a safe integer`);
        this.dimensions.set("/" + [...path, name].join("/"), { size });
      } else if (child.name === "Enumeration") {
        const name = child.attributes.name ?? "";
        const consts = childrenNamed(child, "EnumConst").map((c) => ({ name: c.attributes.name ?? "", value: c.attributes.value ?? "" }));
        this.enumerations.set("/" + [...path, name].join("/"), { basetype: child.attributes.basetype ?? "", consts });
      } else if (child.name === "Group") {
        const name = child.attributes.name;
        if (!name) throw this.parseError("a <Group> has no name");
        this.collectDefinitions(child, [...path, name]);
      }
    }
  }

  /** Looks a name up as an absolute FQN, else relative to the group and its ancestors. */
  lookup<T>(table: Map<string, T>, name: string, groupPath: readonly string[]): T | undefined {
    const parts = splitFqn(name);
    if (name.startsWith("/")) return table.get("/" + parts.join("/"));
    for (let depth = groupPath.length; depth >= 0; depth--) {
      const found = table.get("/" + [...groupPath.slice(0, depth), ...parts].join("/"));
      if (found) return found;
    }
    return undefined;
  }

  async group(element: XmlElement, groupPath: string[], relative: string, isRoot: boolean): Promise<ManifestGroup> {
    const arrays = new Map<string, ManifestArray>();
    const groups = new Map<string, ManifestGroup>();
    const attributes = this.attributes(element, relative || "/", isRoot);
    for (const child of element.children) {
      this.checkAborted();
      if (child.name === "Group") {
        const name = child.attributes.name!;
        const path = relative ? `${relative}/${name}` : name;
        groups.set(name, await this.group(child, [...groupPath, name], path, false));
        continue;
      }
      if (!VARIABLE_TAGS.has(child.name)) continue;
      const name = child.attributes.name;
      if (!name) throw this.parseError(`a <${child.name}> variable has no name`);
      const path = relative ? `${relative}/${name}` : name;
      if (this.drop.has(path)) continue;
      try {
        arrays.set(name, await this.variable(child, groupPath, path));
      } catch (error) {
        if (isVzError(error, "UNSUPPORTED") && this.options.onUnsupported === "skip") {
          this.diagnostics.push(error);
          continue;
        }
        throw error;
      }
    }
    return new ManifestGroup({ arrays, groups, attributes });
  }

  /** Attributes of a group or variable, containers handled per the option. */
  attributes(element: XmlElement, owner: string, isRoot: boolean): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const mode = this.options.containerAttributes ?? "flatten";
    if (mode !== "flatten" && mode !== "nest" && mode !== "drop") {
      throw new InvalidArgumentError(`DMR++ parser: option containerAttributes must be "flatten", "nest" or "drop", got ${JSON.stringify(mode)}`, { url: this.url });
    }
    const visit = (parent: XmlElement, prefix: string, target: Record<string, unknown>) => {
      for (const attribute of childrenNamed(parent, "Attribute")) {
        const name = attribute.attributes.name;
        const type = attribute.attributes.type;
        if (!name) throw this.parseError(`an <Attribute> of ${owner} has no name`);
        if (type === "Container") {
          if (name === "build_dmrpp_metadata" && isRoot && prefix === "" && !this.options.keepBuildMetadata) continue;
          if (name === "HDF5_GLOBAL" && prefix === "" && mode !== "drop") {
            visit(attribute, "", target); // VirtualiZarr: its children are the group's own attributes
            continue;
          }
          if (mode === "drop") continue;
          if (mode === "nest") {
            const nested: Record<string, unknown> = {};
            visit(attribute, "", nested);
            target[prefix + name] = nested;
          } else visit(attribute, `${prefix}${name}.`, target);
          continue;
        }
        target[prefix + name] = this.attributeValue(attribute, owner, prefix + name);
      }
    };
    visit(element, "", out);
    // netCDF-4's bookkeeping in HDF5 attributes, hidden as netCDF, xarray and the HDF5 parser do
    for (const name of HIDDEN_ATTRIBUTES) delete out[name];
    if (out.CLASS === "DIMENSION_SCALE") {
      delete out.CLASS;
      delete out.NAME;
    }
    return out;
  }

  attributeValue(attribute: XmlElement, owner: string, name: string): unknown {
    const type = attribute.attributes.type ?? "String";
    const texts = childrenNamed(attribute, "Value").map((v) => v.attributes.value ?? v.text);
    if (texts.length === 0 && attribute.attributes.value !== undefined) texts.push(attribute.attributes.value);
    const numeric = DAP_NUMERIC[type];
    if (!numeric) {
      // String, URL, OtherXML and anything else: text as written
      if (type === "OtherXML") return texts.join("");
      return texts.length === 1 ? texts[0] : texts.length === 0 ? "" : texts;
    }
    const values = texts.map((text) => {
      try {
        const value = parseNumber(text, numeric.dataType);
        return typeof value === "bigint" ? Number(value) : value;
      } catch (error) {
        if (error instanceof ValueError) throw this.parseError(`attribute ${name} of ${owner} (${type}): ${error.message}`, owner === "/" ? undefined : owner, error);
        throw error;
      }
    });
    return values.length === 1 ? values[0] : values;
  }

  /** Shape and dimension names of a variable. */
  shapeOf(element: XmlElement, groupPath: string[], variable: string): { shape: number[]; names: string[] } {
    const shape: number[] = [];
    const names: string[] = [];
    const groupKey = groupPath.join("/");
    const phony = this.phony.get(groupKey) ?? [];
    this.phony.set(groupKey, phony);
    const used = new Set<string>();
    for (const dim of childrenNamed(element, "Dim")) {
      const name = dim.attributes.name;
      const sizeText = dim.attributes.size;
      let size: number;
      if (sizeText !== undefined) {
        if (!/^\d+$/.test(sizeText.trim())) throw this.parseError(`<Dim size=${JSON.stringify(sizeText)}> is not a non-negative integer`, variable);
        size = Number(sizeText.trim());
      } else if (name !== undefined) {
        const found = this.lookup(this.dimensions, name, groupPath);
        if (!found) throw this.parseError(`<Dim name=${JSON.stringify(name)}> names no <Dimension> of the document`, variable);
        size = found.size;
      } else throw this.parseError("a <Dim> has neither name nor size", variable);
      if (!Number.isSafeInteger(size)) throw this.parseError(`dimension size ${size} is not a safe integer`, variable);
      shape.push(size);
      if (name !== undefined) {
        const parts = splitFqn(name);
        names.push(parts[parts.length - 1] ?? name);
        continue;
      }
      // Anonymous dimension: reuse a phony dimension of this group with the same size that this
      // variable does not use yet, else make phony_dim_<n> (n counts over the document).
      let entry = phony.find((p) => p.size === size && !used.has(p.name));
      if (!entry) {
        entry = { name: `phony_dim_${this.phonyCount++}`, size };
        phony.push(entry);
      }
      used.add(entry.name);
      names.push(entry.name);
    }
    return { shape, names };
  }

  async variable(element: XmlElement, groupPath: string[], path: string): Promise<ManifestArray> {
    const tag = element.name;
    const unsupportedFeature = DAP_UNSUPPORTED[tag];
    if (unsupportedFeature) throw this.unsupported(unsupportedFeature, path, `DAP4 ${tag} variables have no Zarr equivalent`);
    const { shape, names } = this.shapeOf(element, groupPath, path);
    const attributes = this.attributes(element, path, false);
    const chunks = chunksOf(element);
    const fillText = chunks?.attributes.fillValue;
    if (fillText !== undefined && FILL_FLAGS.has(fillText) && fillText !== "unsupported-string") {
      throw this.unsupported(`dmrpp:${fillText}`, path, `build_dmrpp flagged it as ${fillText}`);
    }
    if (childNamed(element, "dmrpp:specialstructuredata")) throw this.unsupported("dap:structure", path, "special structure data");
    const charArray = DAP_STRING.has(tag) && isCharArray(element, shape);
    if (DAP_STRING.has(tag) && !charArray) return this.stringArray(element, path, shape, names, attributes);

    let base: { dataType: DataType; size: number };
    let bool = false;
    let enumeration: Enumeration | undefined;
    if (charArray) {
      // 1-byte fixed-length strings (netCDF char, numpy |S1): referenced in place like the HDF5
      // parser does, every dimension kept (xarray joins the characters when it opens them)
      base = { dataType: "fixed_length_bytes:1", size: 1 };
    } else if (tag === "Enum") {
      const enumName = element.attributes.enum ?? "";
      enumeration = this.lookup(this.enumerations, enumName, groupPath);
      if (!enumeration) throw this.parseError(`enum=${JSON.stringify(enumName)} names no <Enumeration> of the document`, path);
      const numeric = DAP_NUMERIC[enumeration.basetype];
      if (!numeric) throw this.parseError(`enumeration ${enumName} has base type ${JSON.stringify(enumeration.basetype)}, not an integer type`, path);
      base = numeric;
      const mapping: Record<string, number> = {};
      for (const c of enumeration.consts) mapping[c.name] = this.number(c.value, base.dataType, path, `enumeration constant ${c.name}`) as number;
      const keys = Object.keys(mapping);
      bool = keys.length === 2 && mapping.FALSE === 0 && mapping.TRUE === 1;
      if (!bool) attributes.hdf5_enum = mapping;
    } else base = DAP_NUMERIC[tag]!;
    const dataType: DataType = bool ? "bool" : base.dataType;

    // Byte order (build_dmrpp writes LE or BE; none means the host order, little-endian)
    const order = chunks?.attributes.byteOrder;
    if (order !== undefined && order !== "LE" && order !== "BE") throw this.parseError(`byteOrder ${JSON.stringify(order)} is neither LE nor BE`, path);
    const fallback = this.options.defaultByteOrder ?? "LE";
    if (fallback !== "LE" && fallback !== "BE") {
      throw new InvalidArgumentError(`DMR++ parser: option defaultByteOrder must be "LE" or "BE", got ${JSON.stringify(fallback)}`, { url: this.url });
    }
    // one-byte types have no byte order; written as little like the HDF5 parser does
    const endian = (order ?? fallback) === "BE" && base.size > 1 ? "big" : "little";

    // Fill value
    let fillValue: unknown = bool ? false : 0;
    if (charArray) {
      // the fill character as the HDF5 parser gives it: "" for NUL, the character for ASCII, else [byte]
      const byte = fillText === undefined || fillText === "unsupported-string" ? 0 : (encodeText(fillText)[0] ?? 0);
      fillValue = byte === 0 ? "" : byte < 0x80 ? String.fromCharCode(byte) : [byte];
    } else if (fillText !== undefined && fillText.trim() !== "") {
      let text = fillText;
      const named = enumeration?.consts.find((c) => c.name === fillText.trim());
      if (named) text = named.value;
      let parsed = this.number(text, base.dataType, path, "fillValue");
      // build_dmrpp prints fill values with 6 significant digits; for float64 the rounded netCDF
      // default (9.96921e+36) stands for NC_FILL_DOUBLE itself
      if (base.dataType === "float64" && parsed !== NC_FILL_DOUBLE && parsed === Number(NC_FILL_DOUBLE.toPrecision(significantDigits(text)))) {
        parsed = NC_FILL_DOUBLE;
      }
      const value = jsonFill(parsed);
      fillValue = bool ? value !== 0 : value;
    }

    const elementCount = product(shape);
    const nbytes = elementCount * base.size;
    const compact = childNamed(element, "dmrpp:compact");
    const missing = childNamed(element, "dmrpp:missingdata");
    const fullChunk = shape.map((s) => Math.max(1, s));
    const metadata = (chunkShape: number[], codecs: CodecMetadata[]): ArrayMetadata => ({
      zarr_format: 3,
      node_type: "array",
      shape: [...shape],
      data_type: dataType,
      chunk_grid: { name: "regular", configuration: { chunk_shape: chunkShape } },
      chunk_key_encoding: { name: "default", configuration: { separator: "/" } },
      fill_value: fillValue,
      codecs,
      attributes,
      dimension_names: names,
    });

    if (compact || missing) {
      // Values carried inside the document: one inlined chunk of raw bytes.
      let raw: Uint8Array;
      try {
        if (compact) raw = decodeBase64(compact.text);
        else {
          const decoded = decodeBase64(missing!.text);
          raw = elementCount === 1 && decoded.length === nbytes ? decoded : await inflateZlib(decoded, nbytes);
        }
      } catch (error) {
        if (error instanceof ValueError) throw this.parseError(`${compact ? "dmrpp:compact" : "dmrpp:missingdata"}: ${error.message}`, path, error);
        throw error;
      }
      if (raw.length < nbytes) {
        throw this.parseError(`${compact ? "dmrpp:compact" : "dmrpp:missingdata"} holds ${raw.length} bytes, the variable needs ${nbytes}`, path);
      }
      const builder = new ChunkManifestBuilder(shape.map(() => 1));
      if (nbytes > 0) builder.setInlined(shape.map(() => 0), raw.slice(0, nbytes));
      // missing data is computed by the handler in host (little-endian) order
      const rawEndian = compact ? endian : "little";
      return new ManifestArray(metadata(fullChunk, [{ name: "bytes", configuration: { endian: rawEndian } }]), builder.build(), path);
    }
    if (!chunks) throw this.unsupported("dmrpp:no-storage", path, "the DMR++ gives no storage for it (no dmrpp:chunks, compact or missing data)");
    const filters = this.filters(chunks, path);
    const codecs: CodecMetadata[] = [{ name: "bytes", configuration: { endian } }, ...this.codecs(chunks, filters, base.size, path)];
    const { chunkShape, builder } = this.chunkManifest(chunks, shape, filters.length > 0, path);
    return new ManifestArray(metadata(chunkShape, codecs), builder.build(), path);
  }

  number(text: string, dataType: DataType, variable: string, what: string): number | bigint {
    try {
      return parseNumber(text, dataType);
    } catch (error) {
      if (error instanceof ValueError) throw this.parseError(`${what}: ${error.message}`, variable, error);
      throw error;
    }
  }

  filters(chunks: XmlElement, variable: string): FilterName[] {
    const text = chunks.attributes.compressionType?.trim() ?? "";
    if (text === "") return [];
    return text.split(/\s+/).map((token) => {
      if (token === "deflate" || token === "shuffle" || token === "fletcher32") return token;
      throw this.unsupported(`filter:${token}`, variable, `compression ${JSON.stringify(token)} has no Zarr codec in vz`);
    });
  }

  codecs(chunks: XmlElement, filters: readonly FilterName[], elementSize: number, variable: string): CodecMetadata[] {
    const levelText = chunks.attributes.deflateLevel ?? chunks.attributes.deflate_level;
    const levels = (levelText ?? "")
      .trim()
      .split(/\s+/)
      .filter((t) => t !== "")
      .map((t) => {
        if (!/^\d$/.test(t)) throw this.parseError(`deflateLevel ${JSON.stringify(levelText)} is not a list of levels 0-9`, variable);
        return Number(t);
      });
    let deflates = 0;
    return filters.map((filter) => {
      if (filter === "deflate") {
        const level = levels[Math.min(deflates++, levels.length - 1)] ?? DEFAULT_DEFLATE_LEVEL;
        return { name: "numcodecs.zlib", configuration: { level } };
      }
      if (filter === "shuffle") return { name: "numcodecs.shuffle", configuration: { elementsize: elementSize } };
      return { name: "numcodecs.fletcher32" };
    });
  }

  /** The chunk shape and manifest of a `dmrpp:chunks` element. */
  chunkManifest(
    chunks: XmlElement,
    shape: number[],
    filtered: boolean,
    variable: string,
  ): { chunkShape: number[]; builder: ChunkManifestBuilder; entries: { index: number; url: string; offset: number; length: number }[] } {
    if (chunks.attributes.LBChunk === "true" || childNamed(chunks, "dmrpp:block")) {
      throw this.unsupported("hdf4:linked-blocks", variable, "its data is stored in HDF4 linked blocks (several pieces per chunk)");
    }
    const sizes = childNamed(chunks, "dmrpp:chunkDimensionSizes");
    const chunkElements = childrenNamed(chunks, "dmrpp:chunk");
    let chunkShape: number[];
    if (sizes) {
      const parts = sizes.text.trim().split(/[\s,]+/).filter((p) => p !== "");
      if (parts.length !== shape.length || parts.some((p) => !/^\d+$/.test(p) || Number(p) < 1)) {
        throw this.parseError(`chunkDimensionSizes ${JSON.stringify(sizes.text.trim())} does not fit shape [${shape.join(", ")}]`, variable);
      }
      chunkShape = parts.map(Number);
    } else {
      if (chunkElements.length > 1) {
        throw this.unsupported("hdf4:linked-blocks", variable, `${chunkElements.length} pieces for contiguous (unchunked) data`);
      }
      chunkShape = shape.map((s) => Math.max(1, s));
    }
    const grid = shape.map((s, d) => Math.ceil(s / chunkShape[d]!));
    const gridSize = product(grid);
    if (gridSize > MAX_CHUNK_GRID) {
      throw this.unsupported("chunk-grid-size", variable, `shape [${shape.join(", ")}] with chunks [${chunkShape.join(", ")}] makes ${gridSize} chunks, more than vz's limit of ${MAX_CHUNK_GRID}`);
    }
    const builder = new ChunkManifestBuilder(grid);
    const entries: { index: number; url: string; offset: number; length: number }[] = [];
    if (gridSize === 0) return { chunkShape, builder, entries };
    const seen = new Set<number>();
    const datasetUrlId = builder.urlId(this.datasetUrl);
    const rank = shape.length;
    for (const chunk of chunkElements) {
      const offsetText = chunk.attributes.offset;
      const lengthText = chunk.attributes.nBytes;
      if (offsetText === undefined || lengthText === undefined || !/^\d+$/.test(offsetText.trim()) || !/^\d+$/.test(lengthText.trim())) {
        throw this.parseError(`a dmrpp:chunk has offset=${JSON.stringify(offsetText ?? null)} nBytes=${JSON.stringify(lengthText ?? null)}; both must be non-negative integers`, variable);
      }
      const offset = Number(offsetText.trim());
      const length = Number(lengthText.trim());
      if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || !Number.isSafeInteger(offset + length)) {
        throw this.parseError(`chunk offset ${offsetText} + nBytes ${lengthText} is beyond 2^53`, variable);
      }
      const mask = chunk.attributes.fm;
      if (mask !== undefined && filtered && Number(mask) !== 0) {
        throw this.unsupported("filter-mask", variable, `a chunk skipped some filters (filter mask ${mask}), so the array's codecs cannot decode it`);
      }
      const positionText = chunk.attributes.chunkPositionInArray;
      let index = 0;
      if (positionText !== undefined) {
        const parts = parsePosition(positionText);
        if (!parts || parts.length !== rank) {
          throw this.parseError(`chunkPositionInArray ${JSON.stringify(positionText)} does not fit shape [${shape.join(", ")}]`, variable);
        }
        for (let d = 0; d < rank; d++) {
          const position = parts[d]!;
          if (position % chunkShape[d]! !== 0 || position >= Math.max(shape[d]!, 1)) {
            throw this.parseError(`chunkPositionInArray ${positionText} is not the start of a chunk of [${chunkShape.join(", ")}] inside [${shape.join(", ")}]`, variable);
          }
          index = index * grid[d]! + position / chunkShape[d]!;
        }
      }
      if (seen.has(index)) throw this.parseError(`two dmrpp:chunk elements for chunk ${positionText ?? "[0,...]"}`, variable);
      seen.add(index);
      const url = chunk.attributes.href !== undefined ? this.dataUrlFor(chunk.attributes.href, false) : this.datasetUrl;
      builder.setById(index, url === this.datasetUrl ? datasetUrlId : builder.urlId(url), offset, length);
      entries.push({ index, url, offset, length });
    }
    return { chunkShape, builder, entries };
  }

  /** A string variable: values from the document or read now, one inlined vlen-utf8 chunk. */
  async stringArray(element: XmlElement, path: string, shape: number[], names: string[], attributes: Record<string, unknown>): Promise<ManifestArray> {
    const count = product(shape);
    const chunks = chunksOf(element);
    const compact = childNamed(element, "dmrpp:compact");
    const vlsa = childNamed(element, "dmrpp:vlsa");
    const flsa = childNamed(element, "dmrpp:FixedLengthStringArray");
    const maxBytes = this.options.maxStringBytes ?? DEFAULT_MAX_STRING_BYTES;
    const fillText = chunks?.attributes.fillValue;
    const fill = fillText === undefined || fillText === "unsupported-string" ? "" : fillText;
    if (count * 4 > maxBytes) {
      // every string takes at least its 4-byte length in the inlined vlen-utf8 chunk
      throw this.unsupported("large-string", path, `${count} strings are more than maxStringBytes (${maxBytes}) can hold`);
    }
    let strings: string[];
    if (vlsa) {
      strings = [];
      for (const v of childrenNamed(vlsa, "v")) {
        let value = v.text;
        if (v.attributes.s !== undefined) {
          const size = Number(v.attributes.s);
          if (!Number.isSafeInteger(size) || size < 0 || size > maxBytes) throw this.parseError(`dmrpp:vlsa value size s=${JSON.stringify(v.attributes.s)} is not valid`, path);
          try {
            value = new TextDecoder().decode(await inflateZlib(decodeBase64(v.text), size));
          } catch (error) {
            if (error instanceof ValueError) throw this.parseError(`dmrpp:vlsa value: ${error.message}`, path, error);
            throw error;
          }
        }
        const repeat = v.attributes.c === undefined ? 1 : Number(v.attributes.c);
        if (!Number.isSafeInteger(repeat) || repeat < 1 || strings.length + repeat > count) {
          throw this.parseError(`dmrpp:vlsa holds more values than the variable's ${count} elements`, path);
        }
        for (let i = 0; i < repeat; i++) strings.push(value);
      }
      if (strings.length !== count) throw this.parseError(`dmrpp:vlsa holds ${strings.length} values, the variable has ${count} elements`, path);
    } else {
      let width: number | undefined;
      let pad = "null_term";
      if (flsa) {
        const lengthText = flsa.attributes.string_length ?? "";
        if (!/^\d+$/.test(lengthText) || Number(lengthText) < 1) throw this.parseError(`FixedLengthStringArray string_length ${JSON.stringify(lengthText)} is not a positive integer`, path);
        width = Number(lengthText);
        pad = flsa.attributes.pad ?? "null_pad";
        if (pad === "null" || pad === "nullpad") pad = "null_pad";
        if (pad === "space") pad = "space_pad";
      } else if (shape.length > 0 && compact) {
        throw this.unsupported("vlen-string-array", path, "a compact array of variable-length strings (not readable from the DMR++)");
      } else if (shape.length > 0) {
        if (chunks && childrenNamed(chunks, "dmrpp:chunk").length === 0) {
          strings = new Array<string>(count).fill(fill);
          return this.stringResult(path, shape, names, attributes, strings);
        }
        throw this.unsupported("vlen-string-array", path, "variable-length strings stored in the data file's heap (the DMR++ has no dmrpp:vlsa values for them)");
      }
      let raw: Uint8Array;
      if (compact) {
        try {
          raw = decodeBase64(compact.text);
        } catch (error) {
          if (error instanceof ValueError) throw this.parseError(`dmrpp:compact: ${error.message}`, path, error);
          throw error;
        }
      } else if (chunks) {
        raw = await this.readStringBytes(chunks, shape, width, fill, path, maxBytes);
      } else throw this.unsupported("dmrpp:no-storage", path, "the DMR++ gives no storage for it");
      if (width === undefined) {
        // A scalar fixed-length (or compact variable-length) string: all its bytes
        if (!compact && !looksLikeText(raw)) {
          // Old DMR++ files list a variable-length scalar string's 16-byte heap reference as its chunk.
          throw this.unsupported(
            "vlen-string",
            path,
            `its ${raw.length} stored bytes are not text (a variable-length string's heap reference, listed by an old build_dmrpp)`,
          );
        }
        strings = [decodeTrimmed(raw)];
      } else {
        if (raw.length < count * width) throw this.parseError(`the string data holds ${raw.length} bytes, ${count} strings of ${width} need ${count * width}`, path);
        strings = [];
        for (let i = 0; i < count; i++) strings.push(decodeFixedString(raw.subarray(i * width, (i + 1) * width), pad));
      }
    }
    return this.stringResult(path, shape, names, attributes, strings);
  }

  stringResult(path: string, shape: number[], names: string[], attributes: Record<string, unknown>, strings: string[]): ManifestArray {
    return inlinedStringArray({ name: path, shape, strings, attributes, dimensionNames: names });
  }

  /** Reads and decodes the chunks of a fixed-length string variable into one C-order buffer. */
  async readStringBytes(chunks: XmlElement, shape: number[], width: number | undefined, fill: string, path: string, maxBytes: number): Promise<Uint8Array> {
    const filters = this.filters(chunks, path);
    const { chunkShape, entries } = this.chunkManifest(chunks, shape, filters.length > 0, path);
    const count = product(shape);
    if (width === undefined) {
      // scalar: the one chunk's decoded bytes are the string
      if (entries.length === 0) return encodeText(fill);
      const entry = entries[0]!;
      if (entry.length > maxBytes) throw this.unsupported("large-string", path, `a string of ${entry.length} bytes is more than maxStringBytes (${maxBytes})`);
      const [bytes] = await this.reader.getRanges(entry.url, [{ offset: entry.offset, length: entry.length }], this.signal ? { signal: this.signal } : undefined);
      return this.decodeChunk(bytes!, filters, 1, maxBytes, path);
    }
    const total = count * width;
    if (total > maxBytes) throw this.unsupported("large-string", path, `${total} bytes of strings is more than maxStringBytes (${maxBytes})`);
    const out = new Uint8Array(total);
    const fillBytes = encodeText(fill).subarray(0, width);
    if (fillBytes.length > 0) for (let i = 0; i < count; i++) out.set(fillBytes, i * width);
    const byUrl = new Map<string, typeof entries>();
    for (const entry of entries) {
      if (entry.length > maxBytes) throw this.unsupported("large-string", path, `a chunk of ${entry.length} bytes is more than maxStringBytes (${maxBytes})`);
      const list = byUrl.get(entry.url) ?? [];
      list.push(entry);
      byUrl.set(entry.url, list);
    }
    const grid = shape.map((s, d) => Math.ceil(s / chunkShape[d]!));
    const chunkElements = product(chunkShape);
    for (const [url, list] of byUrl) {
      const pieces = await this.reader.getRanges(
        url,
        list.map((e) => ({ offset: e.offset, length: e.length })),
        this.signal ? { signal: this.signal } : undefined,
      );
      for (let k = 0; k < list.length; k++) {
        const decoded = await this.decodeChunk(pieces[k]!, filters, width, chunkElements * width, path);
        if (decoded.length < chunkElements * width) {
          throw this.parseError(`chunk ${list[k]!.index} decodes to ${decoded.length} bytes, a chunk of [${chunkShape.join(", ")}] strings of ${width} needs ${chunkElements * width}`, path);
        }
        copyChunk(decoded, out, list[k]!.index, grid, chunkShape, shape, width);
      }
    }
    return out;
  }

  async decodeChunk(bytes: Uint8Array, filters: readonly FilterName[], elementSize: number, limit: number, path: string): Promise<Uint8Array> {
    try {
      return await decodePipeline(bytes, filters, elementSize, limit);
    } catch (error) {
      if (error instanceof ValueError) throw this.parseError(`string chunk: ${error.message}`, path, error);
      throw error;
    }
  }
}

/** netCDF's default fill value of doubles (NC_FILL_DOUBLE). */
export const NC_FILL_DOUBLE = 9.969209968386869e36;

/** Significant digits of a decimal number as written (`9.96921e+36` → 6). */
function significantDigits(text: string): number {
  const mantissa = text.trim().replace(/^[+-]/, "").split(/[eE]/)[0]!.replace(".", "").replace(/^0+/, "");
  return Math.min(17, Math.max(1, mantissa.length));
}

/**
 * Whether a DAP4 String variable is a character array (HDF5 1-byte fixed-length strings, netCDF
 * `char`): an array with `FixedLengthStringArray string_length="1"`, or a scalar (no
 * FixedLengthStringArray: build_dmrpp writes none for scalars) whose one unfiltered chunk is 1
 * byte long. A scalar variable-length string is listed by its heap reference (16 bytes) or by
 * dmrpp:vlsa / dmrpp:compact values, never as a 1-byte chunk. A scalar without storage, or a
 * compact one, has no recorded width and stays a string.
 */
function isCharArray(element: XmlElement, shape: readonly number[]): boolean {
  if (childNamed(element, "dmrpp:vlsa")) return false;
  const flsa = childNamed(element, "dmrpp:FixedLengthStringArray");
  if (flsa) return (flsa.attributes.string_length ?? "").trim() === "1";
  if (shape.length > 0 || childNamed(element, "dmrpp:compact")) return false;
  const chunks = chunksOf(element);
  if (!chunks || (chunks.attributes.compressionType ?? "").trim() !== "") return false;
  const list = childrenNamed(chunks, "dmrpp:chunk");
  return list.length === 1 && (list[0]!.attributes.nBytes ?? "").trim() === "1";
}

/** `[a,b,c]` (spaces allowed) as non-negative integers; undefined when malformed. */
function parsePosition(text: string): number[] | undefined {
  const open = text.indexOf("[");
  const close = text.lastIndexOf("]");
  if (open < 0 || close < open || text.slice(0, open).trim() !== "" || text.slice(close + 1).trim() !== "") return undefined;
  const body = text.slice(open + 1, close);
  if (body.trim() === "") return [];
  const out: number[] = [];
  for (const piece of body.split(",")) {
    const t = piece.trim();
    if (t === "" || !/^\d+$/.test(t)) return undefined;
    out.push(Number(t));
  }
  return out;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** Whether bytes are UTF-8 text without control characters (trailing NULs allowed). */
function looksLikeText(bytes: Uint8Array): boolean {
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  for (let i = 0; i < end; i++) {
    const b = bytes[i]!;
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) return false;
  }
  try {
    strictUtf8.decode(bytes.subarray(0, end));
    return true;
  } catch {
    return false;
  }
}

/** Copies a decoded chunk (C order, full chunk shape) into the array buffer, clipped at the edges. */
function copyChunk(chunk: Uint8Array, out: Uint8Array, index: number, grid: number[], chunkShape: number[], shape: number[], width: number): void {
  const rank = shape.length;
  const origin = new Array<number>(rank);
  let rest = index;
  for (let d = rank - 1; d >= 0; d--) {
    origin[d] = (rest % grid[d]!) * chunkShape[d]!;
    rest = Math.floor(rest / grid[d]!);
  }
  const extent = shape.map((s, d) => Math.min(chunkShape[d]!, s - origin[d]!));
  const rows = product(extent.slice(0, -1));
  const rowLength = (extent[rank - 1] ?? 1) * width;
  const position = new Array<number>(Math.max(rank - 1, 0)).fill(0);
  for (let r = 0; r < rows; r++) {
    let source = 0;
    let target = 0;
    for (let d = 0; d < rank - 1; d++) {
      source = source * chunkShape[d]! + position[d]!;
      target = target * shape[d]! + origin[d]! + position[d]!;
    }
    source = (source * (chunkShape[rank - 1] ?? 1)) * width;
    target = (target * (shape[rank - 1] ?? 1) + (origin[rank - 1] ?? 0)) * width;
    out.set(chunk.subarray(source, source + rowLength), target);
    for (let d = rank - 2; d >= 0; d--) {
      if (++position[d]! < extent[d]!) break;
      position[d] = 0;
    }
  }
}

/**
 * The element holding a variable's chunks: `dmrpp:chunks`, or — in DMR++ documents written before
 * that wrapper existed — the variable element itself when `dmrpp:chunk` elements are its children.
 */
function chunksOf(element: XmlElement): XmlElement | undefined {
  return childNamed(element, "dmrpp:chunks") ?? (childNamed(element, "dmrpp:chunk") ? { name: "dmrpp:chunks", attributes: {}, children: element.children, text: "" } : undefined);
}

/** Maps namespace prefixes to the canonical ones: DAP4 elements unprefixed, DMR++ ones `dmrpp:`. */
function normalizeNamespaces(root: XmlElement): XmlElement {
  const prefixes = new Map<string, string>();
  for (const [name, value] of Object.entries(root.attributes)) {
    if (!name.startsWith("xmlns:")) continue;
    const prefix = name.slice(6);
    if (value.startsWith("http://xml.opendap.org/dap/dmrpp/")) prefixes.set(prefix, "dmrpp:");
    else if (value === DAP4_NAMESPACE) prefixes.set(prefix, "");
  }
  if ([...prefixes].every(([prefix, canonical]) => `${prefix}:` === canonical || (prefix === "dmrpp" && canonical === "dmrpp:"))) return root;
  const rename = (name: string) => {
    const colon = name.indexOf(":");
    if (colon < 0) return name;
    const canonical = prefixes.get(name.slice(0, colon));
    return canonical === undefined ? name : canonical + name.slice(colon + 1);
  };
  const visit = (element: XmlElement): XmlElement => {
    const attributes: Record<string, string> = {};
    for (const [name, value] of Object.entries(element.attributes)) attributes[name.startsWith("xmlns") ? name : rename(name)] = value;
    return { name: rename(element.name), attributes, children: element.children.map(visit), text: element.text };
  };
  return visit(root);
}

/** The DMR++ parse of one document. */
export async function parseDmrpp(url: string, reader: ObjectReader, options: DmrppParserOptions = {}, readOptions: ReadOptions = {}): Promise<ManifestStore> {
  const signal = readOptions.signal;
  try {
    if (options.onUnsupported !== undefined && options.onUnsupported !== "raise" && options.onUnsupported !== "skip") {
      throw new InvalidArgumentError(`DMR++ parser: option onUnsupported must be "raise" or "skip", got ${JSON.stringify(options.onUnsupported)}`, { url });
    }
    const parse = new DmrppParse(url, reader, options, signal);
    const group = await parse.run();
    return new ManifestStore(group, reader, { diagnostics: parse.diagnostics });
  } catch (error) {
    if (isVzError(error)) throw error;
    throw new ParseError(`DMR++ parse of ${url} failed: ${(error as Error).message}`, { url, parser: PARSER, cause: error });
  }
}
