/**
 * Mutation fuzzing for parsers: truncated, byte-flipped and length-inflated variants of real files
 * must yield either a result or a typed VzError — never another exception, a hang or an
 * allocation driven by a corrupt length.
 * @module
 */
import { isVzError } from "../errors.js";
import { MemoryReader } from "../readers/memory-reader.js";
import type { ParserPlugin } from "../registry/parser.js";

/** A small deterministic PRNG (mulberry32). */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Kinds of mutation. */
export type MutationKind = "truncate" | "flip" | "inflate" | "zero" | "splice";

/**
 * One mutated copy of `bytes`. Mutations favour the first `hotBytes` (where headers usually are):
 * truncation anywhere, 1–8 random byte flips, a 2/4/8-byte field overwritten with a huge value,
 * a run of zeros, or a block copied from elsewhere in the file.
 */
export function mutateBytes(bytes: Uint8Array, random: () => number, kind?: MutationKind, hotBytes = 4096): { bytes: Uint8Array; kind: MutationKind; at: number } {
  const kinds: MutationKind[] = ["truncate", "flip", "inflate", "zero", "splice"];
  const chosen = kind ?? kinds[Math.floor(random() * kinds.length)]!;
  const pick = () => {
    const hot = random() < 0.7 ? Math.min(bytes.length, hotBytes) : bytes.length;
    return Math.floor(random() * Math.max(1, hot));
  };
  if (chosen === "truncate") {
    const at = pick();
    return { bytes: bytes.slice(0, at), kind: chosen, at };
  }
  const out = bytes.slice();
  const at = pick();
  if (chosen === "flip") {
    const n = 1 + Math.floor(random() * 8);
    for (let i = 0; i < n; i++) {
      const position = i === 0 ? at : pick();
      if (position < out.length) out[position] = out[position]! ^ (1 << Math.floor(random() * 8));
    }
  } else if (chosen === "inflate") {
    const width = [2, 4, 8][Math.floor(random() * 3)]!;
    const huge = [0xff, 0x7f, 0x80][Math.floor(random() * 3)]!;
    for (let i = 0; i < width && at + i < out.length; i++) out[at + i] = i === width - 1 ? huge : 0xff;
  } else if (chosen === "zero") {
    const n = 1 + Math.floor(random() * 64);
    out.fill(0, at, Math.min(out.length, at + n));
  } else {
    const n = 1 + Math.floor(random() * 64);
    const from = Math.floor(random() * Math.max(1, out.length - n));
    out.copyWithin(at, from, from + n);
  }
  return { bytes: out, kind: chosen, at };
}

/** Outcome of a fuzz run. */
export interface FuzzReport {
  cases: number;
  parsed: number;
  typedErrors: number;
  /** Untyped exceptions and time-outs: each is a bug. */
  failures: { file: string; kind: MutationKind; at: number; error: string }[];
  byCode: Record<string, number>;
}

/**
 * Parses `cases` mutated variants of each file with the plugin (through a MemoryReader, which
 * refuses reads past the end), each bounded by `timeoutMs`.
 */
export async function fuzzParser(options: {
  plugin: ParserPlugin;
  files: { name: string; bytes: Uint8Array }[];
  cases: number;
  seed?: number;
  timeoutMs?: number;
  parserOptions?: unknown;
  /** Also accept these error names as typed (e.g. a plugin's own errors). */
  onCase?: (index: number) => void;
}): Promise<FuzzReport> {
  const random = createRandom(options.seed ?? 1);
  const timeoutMs = options.timeoutMs ?? 5000;
  const parser = options.plugin.create(options.parserOptions);
  const report: FuzzReport = { cases: 0, parsed: 0, typedErrors: 0, failures: [], byCode: {} };
  for (let i = 0; i < options.cases; i++) {
    const file = options.files[i % options.files.length]!;
    const mutation = mutateBytes(file.bytes, random);
    const url = `memory://fuzz/${i}/${file.name}`;
    const reader = new MemoryReader({ [url]: mutation.bytes });
    report.cases++;
    options.onCase?.(i);
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        parser(url, reader),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      report.parsed++;
    } catch (error) {
      if (isVzError(error)) {
        report.typedErrors++;
        report.byCode[error.code] = (report.byCode[error.code] ?? 0) + 1;
      } else {
        report.failures.push({
          file: file.name,
          kind: mutation.kind,
          at: mutation.at,
          error: String((error as Error)?.stack ?? error).split("\n").slice(0, 4).join(" | "),
        });
      }
    } finally {
      clearTimeout(timer);
    }
  }
  return report;
}
