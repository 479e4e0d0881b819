/**
 * A small, strict XML reader for DMR++ documents: elements, attributes, text, CDATA, comments,
 * processing instructions and the five predefined entities plus character references. No DTDs
 * (a `<!DOCTYPE` is skipped, its entities are not defined), no external anything. Errors are
 * thrown as {@link XmlError} with the position; the parser turns them into `ParseError`s.
 * @module
 */

/** One XML element: qualified name, attributes (in document order), children and direct text. */
export interface XmlElement {
  /** The qualified name as written (`dmrpp:chunk`, `Float32`). */
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: XmlElement[];
  /** The concatenated text directly inside this element (not inside its children). */
  text: string;
}

/** A syntax error at a byte-independent character position of the document. */
export class XmlError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
    this.name = "XmlError";
  }
}

/** Deepest element nesting accepted (DMR++ documents nest a few levels per group). */
export const MAX_XML_DEPTH = 512;

/** XML name start characters (ASCII letters, `_`, `:`, and everything from U+00C0). */
function isNameStart(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || c === 0x3a || c >= 0xc0;
}

/** XML name characters: start characters, digits, `.`, `-`, U+00B7. */
function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x2d || c === 0xb7;
}

const ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

/** Replaces entity and character references; unknown entities are errors. */
export function decodeEntities(raw: string, position: number): string {
  if (!raw.includes("&")) return raw;
  return raw.replace(/&([^;&\s]{0,12});?/g, (match, body: string) => {
    if (!match.endsWith(";")) throw new XmlError(`unterminated entity reference "${match}"`, position);
    if (body.startsWith("#")) {
      const code = body[1] === "x" || body[1] === "X" ? Number.parseInt(body.slice(2), 16) : Number.parseInt(body.slice(1), 10);
      if (!Number.isInteger(code) || code < 0 || code > 0x10ffff || !/^#(x[0-9a-fA-F]+|X[0-9a-fA-F]+|[0-9]+)$/.test(body)) {
        throw new XmlError(`bad character reference "${match}"`, position);
      }
      return String.fromCodePoint(code);
    }
    const value = ENTITIES[body];
    if (value === undefined) throw new XmlError(`unknown entity "&${body};"`, position);
    return value;
  });
}

/** The encoding named in an XML declaration at the start of `head`, lower-cased, if any. */
export function declaredEncoding(head: Uint8Array): string | undefined {
  const text = new TextDecoder("latin1").decode(head.subarray(0, Math.min(head.length, 512)));
  const match = /<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(text);
  return match?.[1]?.toLowerCase();
}

/** Decodes document bytes to text with the declared encoding (UTF-8 by default). */
export function decodeXmlBytes(bytes: Uint8Array): string {
  const encoding = declaredEncoding(bytes);
  if (encoding === "iso-8859-1" || encoding === "latin1" || encoding === "latin-1" || encoding === "us-ascii" || encoding === "ascii") {
    return new TextDecoder("latin1").decode(bytes);
  }
  let text = new TextDecoder("utf-8").decode(bytes);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return text;
}

/**
 * Parses a whole document and returns its root element. Text before the first `<` (some DMR++
 * files carry a stray log line there) is returned as `prolog` rather than being an error.
 */
export function parseXml(text: string): { root: XmlElement; prolog: string } {
  let pos = 0;
  const length = text.length;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  const firstTag = text.indexOf("<");
  if (firstTag < 0) throw new XmlError("no element in the document", 0);
  const prolog = text.slice(0, firstTag);
  pos = firstTag;

  const fail = (message: string, at = pos): never => {
    throw new XmlError(message, at);
  };

  const readName = (): string => {
    const start = pos;
    if (pos >= length || !isNameStart(text.charCodeAt(pos))) fail(`expected a name at position ${pos}`);
    pos++;
    while (pos < length && isNameChar(text.charCodeAt(pos))) pos++;
    return text.slice(start, pos);
  };
  const skipSpace = () => {
    while (pos < length) {
      const c = text.charCodeAt(pos);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
      pos++;
    }
  };
  const appendText = (raw: string, at: number) => {
    const top = stack[stack.length - 1];
    if (!top) {
      if (raw.trim() !== "") fail("text outside the root element", at);
      return;
    }
    top.text += raw;
  };

  while (pos < length) {
    const lt = text.indexOf("<", pos);
    if (lt < 0) {
      appendText(decodeEntities(text.slice(pos), pos), pos);
      pos = length;
      break;
    }
    if (lt > pos) appendText(decodeEntities(text.slice(pos, lt), pos), pos);
    pos = lt;
    if (text.startsWith("<!--", pos)) {
      const end = text.indexOf("-->", pos + 4);
      if (end < 0) fail("unterminated comment");
      pos = end + 3;
      continue;
    }
    if (text.startsWith("<![CDATA[", pos)) {
      const end = text.indexOf("]]>", pos + 9);
      if (end < 0) fail("unterminated CDATA section");
      if (stack.length === 0) fail("CDATA outside the root element");
      appendText(text.slice(pos + 9, end), pos);
      pos = end + 3;
      continue;
    }
    if (text.startsWith("<?", pos)) {
      const end = text.indexOf("?>", pos + 2);
      if (end < 0) fail("unterminated processing instruction");
      pos = end + 2;
      continue;
    }
    if (text.startsWith("<!DOCTYPE", pos)) {
      if (root || stack.length > 0) fail("DOCTYPE after the root element");
      // Skip it, including an internal subset in brackets; its entities are not defined.
      let depth = 0;
      let i = pos + 9;
      for (; i < length; i++) {
        const c = text[i];
        if (c === "[") depth++;
        else if (c === "]") depth--;
        else if (c === ">" && depth <= 0) break;
      }
      if (i >= length) fail("unterminated DOCTYPE");
      pos = i + 1;
      continue;
    }
    if (text.startsWith("</", pos)) {
      pos += 2;
      const name = readName();
      skipSpace();
      if (text[pos] !== ">") fail(`expected ">" to close </${name}`);
      pos++;
      const top = stack.pop();
      if (!top) fail(`closing tag </${name}> without an open element`);
      if (top!.name !== name) fail(`closing tag </${name}> does not match <${top!.name}>`);
      continue;
    }
    // start tag
    const tagStart = pos;
    pos++;
    const name = readName();
    const attributes: Record<string, string> = {};
    for (;;) {
      const before = pos;
      skipSpace();
      if (pos >= length) fail(`unterminated start tag <${name}`, tagStart);
      const c = text[pos];
      if (c === ">" || c === "/") break;
      if (pos === before) fail(`expected a space before attribute in <${name}>`);
      const attributeName = readName();
      skipSpace();
      if (text[pos] !== "=") fail(`attribute ${attributeName} of <${name}> has no value`);
      pos++;
      skipSpace();
      const quote = text[pos];
      if (quote !== '"' && quote !== "'") fail(`attribute ${attributeName} of <${name}>: value is not quoted`);
      const end = text.indexOf(quote!, pos + 1);
      if (end < 0) fail(`attribute ${attributeName} of <${name}>: unterminated value`, tagStart);
      const raw = text.slice(pos + 1, end);
      if (raw.includes("<")) fail(`attribute ${attributeName} of <${name}>: "<" in a value`);
      if (Object.hasOwn(attributes, attributeName)) fail(`attribute ${attributeName} repeated in <${name}>`);
      attributes[attributeName] = decodeEntities(raw, pos);
      pos = end + 1;
    }
    const element: XmlElement = { name, attributes, children: [], text: "" };
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(element);
    else if (root) fail(`a second root element <${name}>`, tagStart);
    else root = element;
    if (text[pos] === "/") {
      pos++;
      if (text[pos] !== ">") fail(`expected "/>" to close <${name}`);
      pos++;
    } else {
      pos++;
      stack.push(element);
      if (stack.length > MAX_XML_DEPTH) fail(`elements nested deeper than ${MAX_XML_DEPTH} levels`);
    }
  }
  if (stack.length > 0) fail(`unexpected end of the document inside <${stack[stack.length - 1]!.name}>`);
  if (!root) fail("no root element");
  return { root: root!, prolog };
}

/** The children of `element` with this qualified name. */
export function childrenNamed(element: XmlElement, name: string): XmlElement[] {
  return element.children.filter((child) => child.name === name);
}

/** The first child of `element` with this qualified name. */
export function childNamed(element: XmlElement, name: string): XmlElement | undefined {
  return element.children.find((child) => child.name === name);
}
