/**
 * The jinja-style parts of kerchunk version-1 references: `{{name}}` substitution from
 * `templates`, and `gen` entries whose key, url, offset and length are rendered for every point
 * of a grid of dimension values. Expressions are evaluated by a small arithmetic evaluator
 * (names, integers, + - * / // % and parentheses) — never by `eval`.
 * @module
 */
import { ParseError } from "@vz/core";

type Scope = Readonly<Record<string, string | number>>;

const PLACEHOLDER = /\{\{(.*?)\}\}/g;

function fail(url: string, message: string): never {
  throw new ParseError(`kerchunk ${url}: ${message}`, { url, parser: "kerchunk" });
}

/** Evaluates an arithmetic expression over `scope` (integers and names only). */
export function evaluateExpression(expression: string, scope: Scope, url: string): string | number {
  const tokens = expression.match(/\s*(\/\/|\d+(?:\.\d+)?|[A-Za-z_][A-Za-z0-9_]*|[-+*/%()])\s*/g);
  const joined = tokens?.join("") ?? "";
  if (!tokens || joined.replace(/\s+/g, "") !== expression.replace(/\s+/g, "")) {
    fail(url, `cannot evaluate template expression "{{${expression}}}"`);
  }
  const list = tokens.map((t) => t.trim());
  let position = 0;
  const peek = (): string | undefined => list[position];
  const next = (): string => {
    const token = list[position++];
    if (token === undefined) fail(url, `template expression "{{${expression}}}" ends early`);
    return token;
  };
  const primary = (): string | number => {
    const token = next();
    if (token === "(") {
      const value = sum();
      if (next() !== ")") fail(url, `unbalanced parentheses in "{{${expression}}}"`);
      return value;
    }
    if (token === "-") return -toNumber(primary());
    if (token === "+") return toNumber(primary());
    if (/^\d/.test(token)) return Number(token);
    if (/^[A-Za-z_]/.test(token)) {
      if (!(token in scope)) fail(url, `template "{{${expression}}}" uses "${token}", which is not defined`);
      return scope[token]!;
    }
    return fail(url, `unexpected "${token}" in template "{{${expression}}}"`);
  };
  const toNumber = (value: string | number): number => {
    const number = typeof value === "number" ? value : Number(value);
    if (!Number.isFinite(number)) fail(url, `template "{{${expression}}}": "${value}" is not a number`);
    return number;
  };
  const product = (): string | number => {
    let value = primary();
    for (let op = peek(); op === "*" || op === "/" || op === "//" || op === "%"; op = peek()) {
      position++;
      const right = toNumber(primary());
      const left = toNumber(value);
      if ((op === "/" || op === "//" || op === "%") && right === 0) fail(url, `division by zero in "{{${expression}}}"`);
      value = op === "*" ? left * right : op === "/" ? left / right : op === "//" ? Math.floor(left / right) : left - Math.floor(left / right) * right;
    }
    return value;
  };
  const sum = (): string | number => {
    let value = product();
    for (let op = peek(); op === "+" || op === "-"; op = peek()) {
      position++;
      const right = product();
      if (op === "+" && typeof value === "string" && typeof right === "string") value = value + right;
      else value = op === "+" ? toNumber(value) + toNumber(right) : toNumber(value) - toNumber(right);
    }
    return value;
  };
  const result = sum();
  if (position !== list.length) fail(url, `unexpected "${list[position]}" in template "{{${expression}}}"`);
  return result;
}

/** Renders every `{{ expression }}` in `text` (fast path: no braces, no work). */
export function renderTemplate(text: string, scope: Scope, url: string): string {
  if (!text.includes("{{")) return text;
  return text.replace(PLACEHOLDER, (_match, expression: string) => {
    const trimmed = expression.trim();
    if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(trimmed)) {
      if (!(trimmed in scope)) fail(url, `template "{{${trimmed}}}" is not defined in "templates"`);
      return String(scope[trimmed]);
    }
    return String(evaluateExpression(trimmed, scope, url));
  });
}

/** One `gen` entry of kerchunk version 1. */
export interface GenEntry {
  key: string;
  url: string;
  offset?: string | number;
  length?: string | number;
  dimensions: Record<string, number[] | string[] | { start?: number; stop: number; step?: number }>;
}

/** Most references a `gen` section may expand to (guards against a reference file that never ends). */
export const MAX_GENERATED_REFERENCES = 50_000_000;

/**
 * Expands `gen` entries into references, calling `emit(key, value)` for each.
 * Offsets and lengths are rendered and read as integers.
 */
export function expandGen(
  gen: unknown,
  templates: Scope,
  url: string,
  emit: (key: string, value: [string] | [string, number, number]) => void,
): void {
  if (gen === undefined || gen === null) return;
  if (!Array.isArray(gen)) fail(url, `"gen" is not a list`);
  let total = 0;
  for (const [index, raw] of gen.entries()) {
    const entry = raw as Partial<GenEntry>;
    if (typeof entry !== "object" || entry === null || typeof entry.key !== "string" || typeof entry.url !== "string") {
      fail(url, `gen[${index}] needs string "key" and "url"`);
    }
    if ((entry.offset === undefined) !== (entry.length === undefined)) {
      fail(url, `gen[${index}] has only one of "offset" and "length"`);
    }
    const names: string[] = [];
    const values: (number | string)[][] = [];
    for (const [name, spec] of Object.entries(entry.dimensions ?? {})) {
      names.push(name);
      if (Array.isArray(spec)) values.push([...spec]);
      else if (typeof spec === "object" && spec !== null && Number.isInteger(spec.stop)) {
        const start = spec.start ?? 0;
        const step = spec.step ?? 1;
        if (!Number.isInteger(start) || !Number.isInteger(step) || step === 0) fail(url, `gen[${index}] dimension "${name}" has a bad range`);
        const range: number[] = [];
        for (let v = start; step > 0 ? v < spec.stop : v > spec.stop; v += step) {
          range.push(v);
          if (range.length > MAX_GENERATED_REFERENCES) fail(url, `gen[${index}] dimension "${name}" is too long`);
        }
        values.push(range);
      } else fail(url, `gen[${index}] dimension "${name}" is neither a list nor {start, stop, step}`);
    }
    const count = values.reduce((n, v) => n * v.length, 1);
    total += count;
    if (total > MAX_GENERATED_REFERENCES) fail(url, `"gen" expands to more than ${MAX_GENERATED_REFERENCES} references`);
    if (count === 0) continue;
    const position = new Array<number>(names.length).fill(0);
    for (let i = 0; i < count; i++) {
      const scope: Record<string, string | number> = { ...templates };
      names.forEach((name, d) => (scope[name] = values[d]![position[d]!]!));
      const key = renderTemplate(entry.key, scope, url);
      const target = renderTemplate(entry.url, scope, url);
      if (entry.offset !== undefined && entry.length !== undefined) {
        const offset = Number(renderTemplate(String(entry.offset), scope, url));
        const length = Number(renderTemplate(String(entry.length), scope, url));
        if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
          fail(url, `gen[${index}] key "${key}" renders offset/length ${offset}/${length}, not non-negative integers`);
        }
        emit(key, [target, offset, length]);
      } else emit(key, [target]);
      for (let d = names.length - 1; d >= 0; d--) {
        position[d]!++;
        if (position[d]! < values[d]!.length) break;
        position[d] = 0;
      }
    }
  }
}
