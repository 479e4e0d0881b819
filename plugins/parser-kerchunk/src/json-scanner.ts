/**
 * A byte-level scanner for the common shape of large kerchunk version-1 files:
 * `{"version": 1, "templates": {...}, "gen": [], "refs": {key: "text" | [url] | [url, int, int]}}`.
 * It reads the bytes without building a JS object (or array) per reference, which `JSON.parse`
 * would: one pass reports the metadata, a second one the chunk references. Anything outside that shape — version 0, a non-empty `gen`, other top-level
 * keys, numbers that are not plain integers, objects as values, invalid JSON — makes it give up
 * (return undefined) and the caller falls back to `JSON.parse`, so the scanner only ever speeds
 * up documents whose result it computes exactly.
 * @module
 */

/** Receives what {@link scanKerchunkJson} finds, in document order. */
export interface ScanVisitor {
  template?(name: string, value: string): void;
  /** A reference whose value is text (metadata document, inline data), decoded. */
  text(key: string, value: string): void;
  /** A `[url, offset, length]` reference, or a whole-file `[url]` with offset = length = -1. */
  range(key: string, url: string, offset: number, length: number): void;
}

/**
 * Which references a scan reports: "metadata" (`.z*` keys, whose values must be text) or
 * "chunks" (every other key). The other kind is still checked, so both passes over the same
 * bytes succeed or give up together.
 */
export type ScanPass = "metadata" | "chunks";

const QUOTE = 34;
const BACKSLASH = 92;
const textDecoder = new TextDecoder();

class GiveUp extends Error {}

function isSpace(code: number): boolean {
  return code === 32 || code === 10 || code === 13 || code === 9;
}

/**
 * Scans `bytes` and reports one kind of reference to `visitor`; false when the document is not
 * of the simple shape (or not valid JSON), in which case nothing should be kept from the visit.
 */
export function scanKerchunkJson(bytes: Uint8Array, visitor: ScanVisitor, pass: ScanPass): boolean {
  try {
    scan(bytes, visitor, pass);
    return true;
  } catch (error) {
    if (error instanceof GiveUp) return false;
    throw error;
  }
}

/** Whether the key bytes [start, stop) end in a `.z*` segment (a metadata key). */
function isMetadataKeyBytes(bytes: Uint8Array, start: number, stop: number): boolean {
  let segment = start;
  for (let i = stop - 1; i >= start; i--) {
    if (bytes[i] === 47) {
      segment = i + 1;
      break;
    }
  }
  return stop - segment >= 2 && bytes[segment] === 46 && bytes[segment + 1] === 122;
}

function scan(bytes: Uint8Array, visitor: ScanVisitor, pass: ScanPass): void {
  const end = bytes.length;
  let position = 0;
  const skipSpace = (): void => {
    while (position < end && isSpace(bytes[position]!)) position++;
  };
  const expect = (code: number): void => {
    skipSpace();
    if (bytes[position] !== code) throw new GiveUp();
    position++;
  };
  const peek = (): number => {
    skipSpace();
    if (position >= end) throw new GiveUp();
    return bytes[position]!;
  };
  let stringStart = 0;
  let stringStop = 0;
  /** A JSON string at `position` (opening quote), decoded (or only checked when `decode` is false). */
  const readString = (decode = true): string => {
    if (peek() !== QUOTE) throw new GiveUp();
    const start = ++position;
    let simple = true;
    for (;;) {
      if (position >= end) throw new GiveUp();
      const code = bytes[position]!;
      if (code === QUOTE) break;
      if (code === BACKSLASH) {
        simple = false;
        position += 2;
        continue;
      }
      if (code < 32) throw new GiveUp(); // control characters are invalid JSON
      if (code >= 128) simple = false;
      position++;
    }
    const stop = position++;
    stringStart = start;
    stringStop = stop;
    if (simple && !decode) return "";
    if (simple) {
      let text = "";
      for (let i = start; i < stop; i += 4096) text += String.fromCharCode.apply(null, bytes.subarray(i, Math.min(stop, i + 4096)) as unknown as number[]);
      return text;
    }
    try {
      return JSON.parse(textDecoder.decode(bytes.subarray(start - 1, stop + 1))) as string;
    } catch {
      throw new GiveUp();
    }
  };
  /** A non-negative or negative integer without fraction or exponent. */
  const readInteger = (): number => {
    skipSpace();
    const start = position;
    if (bytes[position] === 45) position++;
    const digitsStart = position;
    let value = 0;
    while (position < end) {
      const code = bytes[position]!;
      if (code < 48 || code > 57) break;
      value = value * 10 + (code - 48);
      position++;
    }
    if (position === digitsStart) throw new GiveUp();
    const next = bytes[position];
    if (next === 46 || next === 101 || next === 69) throw new GiveUp(); // fraction or exponent
    if (bytes[digitsStart] === 48 && position - digitsStart > 1) throw new GiveUp(); // leading zero
    if (!Number.isSafeInteger(value)) throw new GiveUp();
    return bytes[start] === 45 ? -value : value;
  };

  // URL strings by a hash of their bytes, so that a URL used by many references is one string
  // (no string per reference, and Map lookups on it hit the string's cached hash).
  const urlCache = new Map<number, { start: number; length: number; value: string }>();
  /** The URL string at `position`, shared with earlier references to the same bytes. */
  const readUrl = (): string => {
    if (peek() !== QUOTE) throw new GiveUp();
    const start = position + 1;
    let probe = start;
    let hash = 0x811c9dc5;
    for (; probe < end; probe++) {
      const code = bytes[probe]!;
      if (code === QUOTE || code === BACKSLASH || code >= 128 || code < 32) break;
      hash = Math.imul(hash ^ code, 16777619);
    }
    if (bytes[probe] !== QUOTE) return readString(); // escapes or non-ASCII: the general way
    const length = probe - start;
    const cached = urlCache.get(hash);
    if (cached && cached.length === length) {
      let same = true;
      for (let i = 0; i < length; i++) {
        if (bytes[start + i] !== bytes[cached.start + i]) {
          same = false;
          break;
        }
      }
      if (same) {
        position = probe + 1;
        return cached.value;
      }
    }
    const value = readString();
    urlCache.set(hash, { start, length, value });
    return value;
  };

  expect(123); // {
  let sawVersion = false;
  let sawRefs = false;
  let sawTemplates = false;
  let sawGen = false;
  if (peek() === 125) throw new GiveUp();
  for (;;) {
    const name = readString();
    expect(58); // :
    if (name === "version") {
      if (sawVersion || readInteger() !== 1) throw new GiveUp();
      sawVersion = true;
    } else if (name === "templates") {
      if (sawTemplates) throw new GiveUp(); // JSON.parse would keep only the last one
      sawTemplates = true;
      expect(123);
      if (peek() !== 125) {
        for (;;) {
          const templateName = readString();
          expect(58);
          const value = readString();
          if (pass === "metadata") visitor.template?.(templateName, value);
          if (peek() === 44) position++;
          else break;
        }
      }
      expect(125);
    } else if (name === "gen") {
      if (sawGen) throw new GiveUp();
      sawGen = true;
      expect(91);
      expect(93); // only an empty gen list
    } else if (name === "refs") {
      if (sawRefs) throw new GiveUp();
      sawRefs = true;
      expect(123);
      if (peek() !== 125) {
        for (;;) {
          readString(false);
          const isMetadata = isMetadataKeyBytes(bytes, stringStart, stringStop);
          const report = (pass === "metadata") === isMetadata;
          let key = "";
          if (report) {
            position = stringStart - 1;
            key = readString();
          }
          expect(58);
          const first = peek();
          if (first === QUOTE) {
            const text = readString(report);
            if (report) visitor.text(key, text);
          } else if (first === 91) {
            if (isMetadata) throw new GiveUp(); // a metadata key must hold text; the generic path reports it
            position++;
            const url = report ? readUrl() : (readString(false), "");
            const separator = peek();
            if (separator === 93) {
              position++;
              if (report) visitor.range(key, url, -1, -1);
            } else if (separator === 44) {
              position++;
              const offset = readInteger();
              expect(44);
              const length = readInteger();
              expect(93);
              if (offset < 0 || length < 0) throw new GiveUp(); // let the generic path report it
              if (report) visitor.range(key, url, offset, length);
            } else throw new GiveUp();
          } else throw new GiveUp();
          if (peek() === 44) position++;
          else break;
        }
      }
      expect(125);
    } else throw new GiveUp();
    if (peek() === 44) position++;
    else break;
  }
  expect(125);
  skipSpace();
  if (position !== end || !sawVersion) throw new GiveUp();
}
