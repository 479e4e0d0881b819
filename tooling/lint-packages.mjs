#!/usr/bin/env node
/**
 * Lints every public workspace package as a user would install it: `publint` (package.json
 * fields, exports, files) and `attw --pack --profile esm-only` (types resolve for ESM consumers;
 * the packages are ESM-only, so node10/CJS resolution is not required). Exits non-zero naming
 * the package and the problem. Run by `pnpm test` after the build, and alone with
 * `pnpm lint:packages`.
 */
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const root = resolve(import.meta.dirname, "..");
const bin = (name) => join(root, "node_modules", ".bin", name);

/** Workspace packages that are published (not `"private": true`). */
function publicPackages() {
  const dirs = [];
  for (const parent of ["packages", "plugins", "apps"]) {
    const full = join(root, parent);
    if (!existsSync(full)) continue;
    for (const name of readdirSync(full)) {
      const manifest = join(full, name, "package.json");
      if (!existsSync(manifest)) continue;
      const pkg = JSON.parse(readFileSync(manifest, "utf8"));
      if (!pkg.private) dirs.push({ dir: join(full, name), name: pkg.name });
    }
  }
  return dirs;
}

async function lint({ dir, name }) {
  const problems = [];
  for (const [tool, args] of [
    ["publint", ["--strict"]],
    ["attw", ["--pack", ".", "--profile", "esm-only", "--format", "ascii"]],
  ]) {
    try {
      await run(bin(tool), args, { cwd: dir, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" } });
    } catch (error) {
      const output = `${error.stdout ?? ""}${error.stderr ?? ""}`.trim();
      problems.push(`${tool} ${args.join(" ")} failed for ${name} (${dir}):\n${output || error.message}`);
    }
  }
  return problems;
}

const packages = publicPackages();
const started = performance.now();
const problems = [];
// Two at a time: each tool packs the package, which is I/O and CPU bound.
for (let i = 0; i < packages.length; i += 2) {
  const results = await Promise.all(packages.slice(i, i + 2).map(lint));
  problems.push(...results.flat());
}
const seconds = ((performance.now() - started) / 1000).toFixed(1);
if (problems.length > 0) {
  process.stderr.write(`${problems.join("\n\n")}\n\nlint-packages: ${problems.length} problem(s) in ${packages.length} packages (${seconds} s)\n`);
  process.exit(1);
}
process.stdout.write(`lint-packages: publint --strict and attw --profile esm-only pass for ${packages.length} packages: ${packages.map((p) => p.name).join(", ")} (${seconds} s)\n`);
