#!/usr/bin/env node
import { run } from "./main.js";

// A reader that stops early (`vz read ... | head`) closes stdout: end quietly with exit 0, as
// Unix tools do, instead of an unhandled EPIPE error with a stack trace.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(0);
  process.stderr.write(`vz: cannot write to stdout: ${error.message}\n`);
  process.exit(74);
});

process.exitCode = await run(process.argv.slice(2));
