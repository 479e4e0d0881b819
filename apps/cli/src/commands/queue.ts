/**
 * The queue side of the CLI: `vz queue status --queue URL`, and `vz virtualize --queue URL`'s
 * multi-file open (files parsed by `vz worker` processes, combined here as in process).
 * @module
 */
import type { OpenVirtualMfdatasetOptions, ParserPlugin, VirtualDatatree } from "@vz/core";
import { InvalidArgumentError, PluginLoadError } from "@vz/core";
import { type CliContext, kerchunkRoot, parserChoice, printSkips, referenceFolder } from "../context.js";

type QueuePackage = typeof import("@vz/queue");

export const QUEUE_INSTALL = "npm install @vz/queue";

/**
 * Imports `@vz/queue`, an optional extra of the CLI (it brings BullMQ and ioredis). Missing, it is
 * a PluginLoadError that gives the install command.
 * @param importer replaces the dynamic import (tests)
 */
export async function importQueue(what: string, importer: () => Promise<QueuePackage> = () => import("@vz/queue")): Promise<QueuePackage> {
  try {
    return await importer();
  } catch (cause) {
    const message = String((cause as Error)?.message ?? cause);
    if (/Cannot find (module|package) '@vz\/queue'/.test(message)) {
      throw new PluginLoadError(`${what} needs the optional package @vz/queue, which is not installed. Install it next to @vz/cli: ${QUEUE_INSTALL}`, {
        packageName: "@vz/queue",
        cause,
      });
    }
    throw new PluginLoadError(`${what}: cannot load @vz/queue: ${message}`, { packageName: "@vz/queue", cause });
  }
}

/** `vz queue status --queue URL [--json]`: job counts of the queue. */
export async function queueCommand(context: CliContext, args: string[], options: { queue?: string; json?: boolean }): Promise<number> {
  const [sub] = args;
  if (sub !== "status" || args.length !== 1) throw new InvalidArgumentError(`vz queue: expected "status", got "${args.join(" ")}"`);
  if (!options.queue) throw new InvalidArgumentError("vz queue status needs --queue redis://HOST:PORT");
  const { createQueuePool, redactRedisUrl } = await importQueue("vz queue status");
  const pool = createQueuePool({ redis: options.queue, reader: context.reader });
  try {
    const counts = await pool.counts();
    if (options.json) context.out(`${JSON.stringify(counts)}\n`);
    else {
      context.out(`queue on ${redactRedisUrl(options.queue)}\n`);
      for (const [state, count] of Object.entries(counts)) context.out(`  ${state.padEnd(10)} ${count}\n`);
    }
  } finally {
    await pool.close();
  }
  return 0;
}

type Choice = { parser?: string | ParserPlugin; parserOptions: Record<string, unknown>; allowedPrefixes?: string[] };

/** How the workers get the parser and its options (they look parsers up by name). */
interface PoolChoice {
  parser?: string;
  parserOptions?: Record<string, unknown>;
  parserOptionsFor?: (url: string) => Record<string, unknown>;
  parserOptionsByName?: (url: string) => Record<string, unknown>;
  allowedPrefixes?: string[];
}

/**
 * The parser and options the workers use for `choice`, as the local run uses them: a named parser
 * by its name (a plugin the CLI wrapped — per-file kerchunk roots, skip reports — by the wrapped
 * plugin's name); kerchunk reference files without a chosen root resolve relative chunk URLs
 * against their own folder; without a parser, each detected parser gets its config, rule and
 * --parser-option values, and a kerchunk file its own folder (or the chosen --root) as its root.
 */
export function poolChoice(context: CliContext, choice: Choice, root?: string): PoolChoice {
  const allowed = choice.allowedPrefixes ? { allowedPrefixes: choice.allowedPrefixes } : {};
  if (typeof choice.parser === "string") return { parser: choice.parser, parserOptions: choice.parserOptions, ...allowed };
  if (choice.parser !== undefined) {
    const name = choice.parser.name;
    if (name !== "kerchunk" || choice.parserOptions.root !== undefined) return { parser: name, parserOptions: choice.parserOptions, ...allowed };
    const options = choice.parserOptions;
    return { parser: name, parserOptionsFor: (url) => ({ ...options, root: referenceFolder(url) }), ...allowed };
  }
  const extra = choice.parserOptions;
  const same = JSON.stringify(extra);
  const chosenRoot = kerchunkRoot(context, context.config.parserOptions?.kerchunk ?? {}, root);
  const names = context.registry.list().map((entry) => entry.name);
  const allowedPrefixes = [...(choice.allowedPrefixes ?? []), ...(chosenRoot !== undefined && !choice.allowedPrefixes?.includes(chosenRoot) ? [chosenRoot] : [])];
  return {
    parserOptions: extra,
    parserOptionsByName: (url) => {
      const byName: Record<string, unknown> = {};
      for (const name of names) {
        const options = parserChoice(context, url, url, name, extra).parserOptions;
        if (name === "kerchunk") byName[name] = { ...options, root: kerchunkRoot(context, options, root) ?? referenceFolder(url) };
        else if (JSON.stringify(options) !== same) byName[name] = options;
      }
      return byName;
    },
    ...(allowedPrefixes.length ? { allowedPrefixes } : {}),
  };
}

function poolOptions(named: PoolChoice) {
  return {
    ...(named.parser ? { parser: named.parser } : {}),
    ...(named.parserOptions ? { parserOptions: named.parserOptions } : {}),
    ...(named.parserOptionsFor ? { parserOptionsFor: named.parserOptionsFor } : {}),
    ...(named.parserOptionsByName ? { parserOptionsByName: named.parserOptionsByName } : {}),
  };
}

/** Options of {@link virtualizeOnQueue}. */
export type QueueVirtualizeOptions = Omit<OpenVirtualMfdatasetOptions, "reader" | "registry" | "parser" | "parserOptions" | "parallel" | "onProgress"> & {
  queue: string;
  skipFailed?: boolean;
  /** `--root`: kerchunk chunk URLs resolve here instead of each reference file's folder. */
  root?: string;
};

/** `vz virtualize … --queue URL` for many files: returns the combined tree (what the local run builds). */
export async function virtualizeOnQueue(context: CliContext, urls: string[], choice: Choice, options: QueueVirtualizeOptions): Promise<VirtualDatatree> {
  const { createQueuePool, openQueueMfdatatree } = await importQueue("vz virtualize --queue");
  const { queue, skipFailed, root, ...rest } = options;
  const named = poolChoice(context, choice, root);
  const pool = createQueuePool({ redis: queue, reader: context.reader, ...poolOptions(named) });
  let reported = 0;
  let last = 0;
  try {
    const result = await openQueueMfdatatree(pool, urls, {
      ...rest,
      reader: context.reader,
      ...(named.allowedPrefixes ? { allowedPrefixes: named.allowedPrefixes } : {}),
      ...(skipFailed ? { skipFailed: true } : {}),
      // Parsed now or reused from Redis, each file's skips are printed, in the files' order.
      onDiagnostics: (diagnostics) => {
        if (diagnostics.size > 0 && context.interactive) context.err("\n");
        for (const [url, list] of diagnostics) printSkips(context, list, url);
      },
      onProgress: (progress) => {
        if (progress.failed > reported && progress.lastError) {
          reported = progress.failed;
          context.err(`${context.interactive ? "\n" : ""}failed: ${progress.lastError.message.includes(progress.lastError.url) ? progress.lastError.message : `${progress.lastError.url}: ${progress.lastError.message}`}\n`);
        }
        if (!context.interactive) return;
        const now = Date.now();
        const finished = progress.done + progress.failed;
        if (now - last < 100 && finished < progress.total) return;
        last = now;
        context.err(`\rqueue: ${progress.done}/${progress.total} done (${progress.reused} reused), ${progress.active} active, ${progress.failed} failed`);
      },
    });
    if (context.interactive) context.err("\n");
    context.err(`virtualized ${result.urls.length} files on the queue (${result.reused} results reused)\n`);
    if (result.failed.length > 0) {
      context.err(`skipped ${result.failed.length} file(s) that failed:\n`);
      for (const { url, error } of result.failed) context.err(`  ${url}: [${error.code}] ${error.message}\n`);
    }
    return result.tree;
  } finally {
    await pool.close();
  }
}

/**
 * `vz virtualize FILE --queue URL`: one file parsed by a worker (the same tree the local run
 * builds); prints what the parser left out of it as the local run does and returns how many.
 */
export async function virtualizeOneOnQueue(
  context: CliContext,
  url: string,
  choice: Choice,
  options: { queue: string; root?: string; group?: string; loadableVariables?: string[]; dropVariables?: string[] },
): Promise<{ tree: VirtualDatatree; skipped: number }> {
  const { createQueuePool } = await importQueue("vz virtualize --queue");
  const named = poolChoice(context, choice, options.root);
  const pool = createQueuePool({ redis: options.queue, reader: context.reader, ...poolOptions(named) });
  try {
    const { tree, diagnostics } = await pool.parseFile(url, {
      ...(options.group ? { group: options.group } : {}),
      ...(options.loadableVariables ? { loadableVariables: options.loadableVariables } : {}),
      ...(options.dropVariables ? { dropVariables: options.dropVariables } : {}),
      ...(named.allowedPrefixes ? { allowedPrefixes: named.allowedPrefixes } : {}),
    });
    return { tree, skipped: printSkips(context, diagnostics) };
  } finally {
    await pool.close();
  }
}
