/**
 * A byte-level scanner for the common shape of large kerchunk version-1 files:
 * `{"version": 1, "templates": {...}, "gen": [], "refs": {key: "text" | [url] | [url, int, int]}}`.
 * It reads the bytes once without building a JS object (or array) per reference, which
 * `JSON.parse` would. Anything outside that shape — version 0, a non-empty `gen`, other top-level
 * keys, numbers that are not plain integers, objects as values, invalid JSON — makes it give up
 * (return undefined) and the caller falls back to `JSON.parse`, so the scanner only ever speeds
 * up documents whose result it computes exactly.
 * @module
 */

/** The references of a scanned document, in document order. */
export interface ScannedReferences {
  templates: Record<string, string>;
  /** Keys whose value is text (metadata documents, inline data), with the decoded text. */
  textKeys: string[];
  texts: string[];
  /** Keys whose value is `[url]` or `[url, offset, length]`. */
  rangeKeys: string[];
  /** URL of each range reference (string objects shared between equal consecutive URLs). */
  rangeUrls: string[];
  /** Offsets and lengths; -1 / -1 marks a whole-file `[url]`. */
  offsets: Float64Array;
  lengths: Float64Array;
}

const QUOTE = 34;
const BACKSLASH = 92;
const textDecoder = new TextDecoder();

class GiveUp extends Error {}

function isSpace(code: number): boolean {
  return code === 32 || code === 10 || code === 13 || code === 9;
}

/** Scans `bytes`; undefined when the document is not of the simple shape (or not valid JSON). */
export function scanKerchunkJson(bytes: Uint8Array): ScannedReferences | undefined {
  try {
    return scan(bytes);
  } catch (error) {
    if (error instanceof GiveUp) return undefined;
    throw error;
  }
}

function scan(bytes: Uint8Array): ScannedReferences {
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
  /** A JSON string at `position` (opening quote), decoded. */
  const readString = (): string => {
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

  const result: ScannedReferences = { templates: {}, textKeys: [], texts: [], rangeKeys: [], rangeUrls: [], offsets: new Float64Array(1024), lengths: new Float64Array(1024) };
  let count = 0;
  let lastUrlStart = -1;
  let lastUrlEnd = -1;
  let lastUrl = "";
  const pushRange = (key: string, url: string, offset: number, length: number): void => {
    if (count === result.offsets.length) {
      const offsets = new Float64Array(count * 2);
      offsets.set(result.offsets);
      result.offsets = offsets;
      const lengths = new Float64Array(count * 2);
      lengths.set(result.lengths);
      result.lengths = lengths;
    }
    result.rangeKeys.push(key);
    result.rangeUrls.push(url);
    result.offsets[count] = offset;
    result.lengths[count] = length;
    count++;
  };
  /** The URL string at `position`, sharing the previous string when the bytes are equal. */
  const readUrl = (): string => {
    if (peek() !== QUOTE) throw new GiveUp();
    const start = position;
    let probe = position + 1;
    while (probe < end && bytes[probe] !== QUOTE && bytes[probe] !== BACKSLASH) probe++;
    if (bytes[probe] === QUOTE && lastUrlStart >= 0 && probe - start === lastUrlEnd - lastUrlStart) {
      let same = true;
      for (let i = 1; i < probe - start; i++) {
        if (bytes[start + i] !== bytes[lastUrlStart + i]) {
          same = false;
          break;
        }
      }
      if (same) {
        position = probe + 1;
        return lastUrl;
      }
    }
    const url = readString();
    lastUrlStart = start;
    lastUrlEnd = position - 1;
    lastUrl = url;
    return url;
  };

  expect(123); // {
  let sawVersion = false;
  let sawRefs = false;
  if (peek() === 125) throw new GiveUp();
  for (;;) {
    const name = readString();
    expect(58); // :
    if (name === "version") {
      if (sawVersion || readInteger() !== 1) throw new GiveUp();
      sawVersion = true;
    } else if (name === "templates") {
      expect(123);
      if (peek() !== 125) {
        for (;;) {
          const templateName = readString();
          expect(58);
          result.templates[templateName] = readString();
          if (peek() === 44) position++;
          else break;
        }
      }
      expect(125);
    } else if (name === "gen") {
      expect(91);
      expect(93); // only an empty gen list
    } else if (name === "refs") {
      if (sawRefs) throw new GiveUp();
      sawRefs = true;
      expect(123);
      if (peek() !== 125) {
        for (;;) {
          const key = readString();
          expect(58);
          const first = peek();
          if (first === QUOTE) {
            result.textKeys.push(key);
            result.texts.push(readString());
          } else if (first === 91) {
            position++;
            const url = readUrl();
            const separator = peek();
            if (separator === 93) {
              position++;
              pushRange(key, url, -1, -1);
            } else if (separator === 44) {
              position++;
              const offset = readInteger();
              expect(44);
              const length = readInteger();
              expect(93);
              if (offset < 0 || length < 0) throw new GiveUp(); // let the generic path report it
              pushRange(key, url, offset, length);
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
  result.offsets = result.offsets.subarray(0, count);
  result.lengths = result.lengths.subarray(0, count);
  return result;
}
