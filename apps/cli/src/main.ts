/**
 * The `vz` command line.
 * @module
 */
import { parseArgs } from "node:util";
import { isVzError, VERSION } from "@vz/core";
import { inspectCommand } from "./commands/inspect.js";
import { parsersCommand } from "./commands/parsers.js";
import { readCommand } from "./commands/read.js";
import { virtualizeCommand } from "./commands/virtualize.js";
import { createContext } from "./context.js";
import { joinNegativeValues } from "./selection.js";

const USAGE = `vz — virtual Zarr datasets from HDF5/netCDF4, TIFF and more

Usage:
  vz virtualize <file|url|glob>... -o OUT [--parser NAME] [--group G] [--loadable a,b] [--drop a,b] [--format json|parquet|icechunk]
               [--combine by-coords|nested] [--concat-dim DIM]
               [--branch main] [--message "..."] [--append-dim time]   (icechunk: OUT is a repository path or s3://bucket/prefix)
               [--rename-paths OLD=NEW]   every group is written; --group G writes G's subtree as the root
  vz inspect <file|url> [--parser NAME] [--item N] [--group G] [--json] [--skip-unsupported] [--allow PREFIX]... [--root URL]
  vz read <file|url|icechunk repo> --var [GROUP/]NAME [--slice -1,0:10,::2] [--decode] [--skip-unsupported] [--parser NAME] [--item N] [--json] [--allow PREFIX]... [--root URL]
  vz parsers [--json]
  vz worker --queue redis://HOST:PORT [--concurrency N]   parse files for 'vz virtualize --queue' (until SIGTERM)
  vz queue status --queue redis://HOST:PORT [--json]

Options:
  -o, --output PATH   where to write the references (written atomically)
  --combine MODE      many files: by-coords (default; order from coordinate values) or nested (input order)
  --concat-dim DIM    many files: concatenate along DIM in input order (implies --combine nested)
  --slice SEL         vz read: Python-style selection per dimension, e.g. -1,:,0:10:2 (checked against the shape)
  --decode            vz read: apply CF _FillValue/missing_value, scale_factor and add_offset
  --skip-unsupported  leave out (and report, with the reason) variables that cannot be virtualized
                      instead of failing (every parser fails by default)
  --rename-paths OLD=NEW  chunk URLs starting with OLD (a URL or local path) start with NEW instead
  --parser NAME       parser to use (see 'vz parsers'); default: from vz.config.json, else auto-detected
  --config PATH       configuration file (default: vz.config.json or package.json#virtualizarr.config)
  --allow PREFIX      a reference set (kerchunk, DMR++, Icechunk) may also read chunks under PREFIX
                      (a URL prefix or a local folder; repeatable; config key "allow"). By default
                      only its own folder (local) or origin/bucket (remote) is read.
  --root URL          where relative chunk URLs of kerchunk references live (default: the reference
                      file's folder; config parserOptions.kerchunk.root)
  --item N            kerchunk: a file holding a list of reference sets: read set N (from 0; 'vz inspect' lists them)
  --parser-option NAME.KEY=VALUE  an option of parser NAME (repeatable; VALUE is JSON when it parses,
                      else a string), over the config's parserOptions.NAME, e.g. hdf5.charArrays=string
  --queue URL         vz virtualize: files are parsed by 'vz worker' processes on this Redis queue
  --skip-failed       vz virtualize --queue: leave out (and list) files that fail instead of failing
  --concurrency N     vz worker: files parsed at once (default 4)
  -h, --help          this help;  -v, --version  the version
`;

/** Options that take a value (a following "-1,0" is their value, not an option). */
const VALUE_OPTIONS = new Set(["slice", "output", "parser", "group", "loadable", "drop", "format", "concat-dim", "combine", "branch", "message", "append-dim", "var", "config", "allow", "root", "rename-paths", "parser-option", "item", "queue", "concurrency"]);

/** Usage errors exit with 2. */
class UsageError extends Error {}

function list(value: string | undefined): string[] | undefined {
  return value === undefined ? undefined : value.split(",").map((s) => s.trim()).filter(Boolean);
}

/**
 * `--parser-option NAME.KEY=VALUE` values → options per parser. VALUE is parsed as JSON when it
 * parses (true, 3, "x", {...}), else kept as a string.
 */
export function parseParserOptions(specs: readonly string[]): Record<string, Record<string, unknown>> {
  const result: Record<string, Record<string, unknown>> = {};
  for (const spec of specs) {
    const match = /^([^.=\s]+)\.([^=\s]+)=(.*)$/s.exec(spec);
    if (!match) throw new UsageError(`--parser-option "${spec}": expected NAME.KEY=VALUE (e.g. hdf5.charArrays=string)`);
    const [, parser, key, text] = match as unknown as [string, string, string, string];
    let value: unknown = text;
    try {
      value = JSON.parse(text);
    } catch {
      // not JSON: the string as written
    }
    (result[parser] ??= {})[key] = value;
  }
  return result;
}

/** Runs the CLI with `argv` (without node and script); returns the exit code. */
export async function run(
  argv: string[],
  io: { out?: (text: string) => void; err?: (text: string) => void; cwd?: string } = {},
): Promise<number> {
  const err = io.err ?? ((text: string) => process.stderr.write(text));
  const out = io.out ?? ((text: string) => process.stdout.write(text));
  let parsed;
  try {
    parsed = parseArgs({
      args: joinNegativeValues(argv, VALUE_OPTIONS),
      allowPositionals: true,
      options: {
        output: { type: "string", short: "o" },
        parser: { type: "string" },
        group: { type: "string" },
        loadable: { type: "string" },
        drop: { type: "string" },
        format: { type: "string" },
        "concat-dim": { type: "string" },
        combine: { type: "string" },
        branch: { type: "string" },
        message: { type: "string" },
        "append-dim": { type: "string" },
        var: { type: "string" },
        slice: { type: "string" },
        json: { type: "boolean" },
        decode: { type: "boolean" },
        "skip-unsupported": { type: "boolean" },
        "rename-paths": { type: "string" },
        config: { type: "string" },
        allow: { type: "string", multiple: true },
        root: { type: "string" },
        "parser-option": { type: "string", multiple: true },
        item: { type: "string" },
        queue: { type: "string" },
        concurrency: { type: "string" },
        "skip-failed": { type: "boolean" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "v" },
      },
    });
  } catch (error) {
    err(`vz: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.version) {
    out(`${VERSION}\n`);
    return 0;
  }
  if (values.help || !command) {
    (command ? out : values.help ? out : err)(USAGE);
    return values.help ? 0 : 2;
  }
  try {
    let parserOptions = values["parser-option"] ? parseParserOptions(values["parser-option"]) : undefined;
    if (values.item !== undefined) {
      if (!/^\d+$/.test(values.item)) throw new UsageError(`--item must be a whole number from 0, got "${values.item}"`);
      // a kerchunk option: which reference set of a file holding a list of them
      parserOptions = { ...parserOptions, kerchunk: { ...parserOptions?.kerchunk, item: Number(values.item) } };
    }
    const context = await createContext({
      ...(io.cwd ? { cwd: io.cwd } : {}),
      ...(values.config ? { configPath: values.config } : {}),
      ...(values.allow ? { allow: values.allow } : {}),
      ...(parserOptions ? { parserOptions } : {}),
      out,
      err,
    });
    switch (command) {
      case "virtualize": {
        if (values.format && !["json", "parquet", "icechunk"].includes(values.format)) {
          throw new UsageError(`--format must be json, parquet or icechunk, got "${values.format}"`);
        }
        if ((values.branch || values.message || values["append-dim"]) && values.format !== "icechunk") {
          throw new UsageError("--branch, --message and --append-dim go with --format icechunk");
        }
        if (values.combine && values.combine !== "by-coords" && values.combine !== "nested") {
          throw new UsageError(`--combine must be by-coords or nested, got "${values.combine}"`);
        }
        if (!values.output) throw new UsageError("vz virtualize needs -o/--output");
        if (values["skip-failed"] && !values.queue) throw new UsageError("--skip-failed goes with --queue");
        return await virtualizeCommand(context, rest, {
          output: values.output,
          ...(values.parser ? { parser: values.parser } : {}),
          ...(values.group ? { group: values.group } : {}),
          ...(values.loadable !== undefined ? { loadable: list(values.loadable)! } : {}),
          ...(values.drop !== undefined ? { drop: list(values.drop)! } : {}),
          ...(values.format ? { format: values.format as "json" | "parquet" | "icechunk" } : {}),
          ...(values.branch ? { branch: values.branch } : {}),
          ...(values.message ? { message: values.message } : {}),
          ...(values["append-dim"] ? { appendDim: values["append-dim"] } : {}),
          ...(values["concat-dim"] ? { concatDim: values["concat-dim"] } : {}),
          ...(values.combine ? { combine: values.combine as "by-coords" | "nested" } : {}),
          ...(values["skip-unsupported"] ? { skipUnsupported: true } : {}),
          ...(values.root ? { root: values.root } : {}),
          ...(values["rename-paths"] !== undefined ? { renamePaths: values["rename-paths"] } : {}),
          ...(values.queue ? { queue: values.queue } : {}),
          ...(values["skip-failed"] ? { skipFailed: true } : {}),
        });
      }
      case "inspect":
        if (rest.length !== 1) throw new UsageError("vz inspect takes one file or URL");
        return await inspectCommand(context, rest[0]!, {
          ...(values.parser ? { parser: values.parser } : {}),
          ...(values.group ? { group: values.group } : {}),
          ...(values.json ? { json: true } : {}),
          ...(values["skip-unsupported"] ? { skipUnsupported: true } : {}),
          ...(values.root ? { root: values.root } : {}),
        });
      case "read":
        if (rest.length !== 1) throw new UsageError("vz read takes one file or URL");
        if (!values.var) throw new UsageError("vz read needs --var NAME (a variable path, e.g. air or group/sub/var)");
        return await readCommand(context, rest[0]!, {
          variable: values.var,
          ...(values.decode ? { decode: true } : {}),
          ...(values["skip-unsupported"] ? { skipUnsupported: true } : {}),
          ...(values.slice ? { slice: values.slice } : {}),
          ...(values.parser ? { parser: values.parser } : {}),
          ...(values.json ? { json: true } : {}),
          ...(values.root ? { root: values.root } : {}),
        });
      case "worker": {
        if (!values.queue) throw new UsageError("vz worker needs --queue redis://HOST:PORT");
        const { workerCommand } = await import("./commands/worker.js");
        return await workerCommand(context, { queue: values.queue, ...(values.concurrency !== undefined ? { concurrency: Number(values.concurrency) } : {}) });
      }
      case "queue": {
        const { queueCommand } = await import("./commands/queue.js");
        return await queueCommand(context, rest, { ...(values.queue ? { queue: values.queue } : {}), ...(values.json ? { json: true } : {}) });
      }
      case "parsers":
        return await parsersCommand(context, { ...(values.json ? { json: true } : {}) });
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      err(`vz: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    if (isVzError(error)) {
      err(`vz: error [${error.code}]: ${error.message}\n`);
      if (error.code === "UNSUPPORTED" && (command === "virtualize" || command === "inspect" || command === "read") && !values["skip-unsupported"]) {
        err("vz: hint: --skip-unsupported leaves out (and lists) the variables that cannot be virtualized and keeps the rest\n");
      }
      if (process.env.VZ_DEBUG && error.cause) err(`cause: ${String((error.cause as Error).stack ?? error.cause)}\n`);
      return 1;
    }
    err(`vz: unexpected error: ${(error as Error).stack ?? String(error)}\n`);
    return 70;
  }
}
