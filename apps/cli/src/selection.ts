/**
 * `vz read` selections, Python style: `-1,:,0`, `0:10:2`, `::3`, `5`, `:` — checked against the
 * array's shape before anything is read, so a bad selection is a typed INVALID_ARGUMENT naming
 * the dimension and its length, never a reader's stack trace or a silently clamped result.
 * @module
 */
import { InvalidArgumentError } from "@vz/core";
import type * as zarr from "zarrita";

/** One dimension of a selection after normalisation against the dimension's length. */
export type DimSelection = { kind: "index"; index: number } | { kind: "slice"; start: number; stop: number; step: number };

/** What a selection asks of an array: per-dimension picks and the shape of the result. */
export interface Selection {
  dims: DimSelection[];
  /** Shape of the result: dimensions picked by an index are dropped, as numpy does. */
  shape: number[];
}

/** What the selection is checked against, for messages. */
export interface SelectionTarget {
  variable: string;
  shape: readonly number[];
  dimensionNames?: readonly (string | null)[] | undefined;
}

function dimLabel(target: SelectionTarget, axis: number): string {
  const name = target.dimensionNames?.[axis];
  return name ? `dimension ${axis} ("${name}", length ${target.shape[axis]})` : `dimension ${axis} (length ${target.shape[axis]})`;
}

function integer(text: string, what: string, target: SelectionTarget, selection: string): number {
  if (!/^[+-]?\d+$/.test(text)) {
    throw new InvalidArgumentError(`vz read: --slice "${selection}" of "${target.variable}": ${what} "${text}" is not an integer`, {
      variable: target.variable,
    });
  }
  return Number(text);
}

/**
 * Parses and checks `text` ("-1,:,0:10:2") against `target.shape`. Negative indices count from the
 * end (as in Python); an index outside [-n, n), a slice bound outside [-n, n], an empty slice or a
 * step that is not a positive integer is a typed error naming the dimension and its length.
 * Missing trailing parts select everything; no text selects the whole array.
 */
export function parseSelection(text: string | undefined, target: SelectionTarget): Selection {
  const ndim = target.shape.length;
  const parts = text === undefined || text.trim() === "" ? [] : text.split(",").map((p) => p.trim());
  if (ndim === 0 && parts.length > 0 && !(parts.length === 1 && (parts[0] === ":" || parts[0] === "..."))) {
    throw new InvalidArgumentError(`vz read: "${target.variable}" is a scalar; --slice "${text}" selects dimensions it does not have`, {
      variable: target.variable,
    });
  }
  if (parts.length > ndim && ndim > 0) {
    throw new InvalidArgumentError(
      `vz read: --slice "${text}" has ${parts.length} parts, "${target.variable}" has ${ndim} dimension${ndim === 1 ? "" : "s"} (shape ${JSON.stringify(target.shape)})`,
      { variable: target.variable },
    );
  }
  const dims: DimSelection[] = [];
  const shape: number[] = [];
  for (let axis = 0; axis < ndim; axis++) {
    const n = target.shape[axis]!;
    const part = parts[axis] ?? ":";
    if (!part.includes(":")) {
      const raw = integer(part, "index", target, text!);
      if (raw < -n || raw >= n) {
        throw new InvalidArgumentError(
          `vz read: --slice "${text}": index ${raw} is out of range for ${dimLabel(target, axis)} of "${target.variable}" (valid: ${n === 0 ? "none, the dimension is empty" : `${-n} to ${n - 1}`})`,
          { variable: target.variable },
        );
      }
      dims.push({ kind: "index", index: raw < 0 ? raw + n : raw });
      continue;
    }
    const pieces = part.split(":");
    if (pieces.length > 3) {
      throw new InvalidArgumentError(`vz read: --slice "${text}": cannot parse "${part}" (use i, a:b, a:b:s or :)`, { variable: target.variable });
    }
    const [a = "", b = "", c = ""] = pieces;
    const step = c === "" ? 1 : integer(c, "step", target, text!);
    if (step <= 0) {
      throw new InvalidArgumentError(
        `vz read: --slice "${text}": step ${step} for ${dimLabel(target, axis)} of "${target.variable}" is not supported (use a positive step)`,
        { variable: target.variable },
      );
    }
    const bound = (value: string, fallback: number, which: string): number => {
      if (value === "") return fallback;
      const raw = integer(value, which, target, text!);
      if (raw < -n || raw > n) {
        throw new InvalidArgumentError(
          `vz read: --slice "${text}": ${which} ${raw} is out of range for ${dimLabel(target, axis)} of "${target.variable}" (valid: ${-n} to ${n})`,
          { variable: target.variable },
        );
      }
      return raw < 0 ? raw + n : raw;
    };
    const start = bound(a, 0, "start");
    const stop = bound(b, n, "stop");
    if (stop <= start && n > 0) {
      throw new InvalidArgumentError(
        `vz read: --slice "${text}": "${part}" selects nothing of ${dimLabel(target, axis)} of "${target.variable}" (stop ${stop} is not after start ${start})`,
        { variable: target.variable },
      );
    }
    dims.push({ kind: "slice", start, stop, step });
    shape.push(Math.max(0, Math.ceil((stop - start) / step)));
  }
  return { dims, shape };
}

/** The selection as zarrita's `get` takes it (a slice is zarrita's plain `{ start, stop, step }`, so zarrita need not be loaded here). */
export function toZarritaSelection(selection: Selection): (number | zarr.Slice)[] {
  return selection.dims.map((d) => (d.kind === "index" ? d.index : { start: d.start, stop: d.stop, step: d.step }));
}

/**
 * Node's argument parser reads `--slice -1,0,0` as an option followed by an unknown option and
 * calls it ambiguous. Joins such values to their option (`--slice=-1,0,0`) for the options that
 * take a value, so both spellings work.
 */
export function joinNegativeValues(argv: readonly string[], valueOptions: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    if (arg.startsWith("--") && !arg.includes("=") && valueOptions.has(arg.slice(2)) && next !== undefined && /^-[\d.:,]/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}
