#!/usr/bin/env node
// Runs the `bench` npm script of every workspace package that has one (packages/*, plugins/*,
// apps/*), one after another, printing each one's output. `pnpm bench` builds first (turbo).
// Exit code: 0 when every bench passed, 1 otherwise. Optional argument: a package-name filter
// substring, e.g. `node tooling/run-benchmarks.mjs parser-hdf5`.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { glibcCompatEnv } from "./glibc-compat.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const filter = process.argv[2];

/** Workspace folders from pnpm-workspace.yaml ("dir/*" patterns), falling back to the usual three. */
function workspaceFolders() {
  const file = join(root, "pnpm-workspace.yaml");
  const patterns = existsSync(file)
    ? [...readFileSync(file, "utf8").matchAll(/^\s*-\s*["']?([^"'\n#]+?)["']?\s*$/gm)].map((m) => m[1]).filter((p) => p.endsWith("/*"))
    : [];
  const globs = patterns.length > 0 ? patterns : ["packages/*", "plugins/*", "apps/*"];
  const folders = [];
  for (const glob of globs) {
    const base = join(root, glob.slice(0, -2));
    if (!existsSync(base)) continue;
    for (const entry of readdirSync(base, { withFileTypes: true })) {
      if (entry.isDirectory() && existsSync(join(base, entry.name, "package.json"))) folders.push(join(base, entry.name));
    }
  }
  return folders.sort();
}

const benches = [];
for (const folder of workspaceFolders()) {
  const pkg = JSON.parse(readFileSync(join(folder, "package.json"), "utf8"));
  if (!pkg.scripts?.bench) continue;
  if (filter && !pkg.name?.includes(filter) && !folder.includes(filter)) continue;
  benches.push({ name: pkg.name ?? relative(root, folder), folder, script: pkg.scripts.bench });
}

if (benches.length === 0) {
  console.log(filter ? `no package matching "${filter}" has a bench script` : "no package has a bench script");
  process.exit(filter ? 1 : 0);
}

const failures = [];
for (const bench of benches) {
  console.log(`\n=== ${bench.name} (${relative(root, bench.folder)}): ${bench.script}`);
  const started = Date.now();
  const result = spawnSync("pnpm", ["run", "--silent", "bench"], { cwd: bench.folder, stdio: "inherit", env: { ...process.env, ...glibcCompatEnv() } });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (result.status !== 0) {
    failures.push(bench.name);
    console.log(`=== ${bench.name}: FAILED (exit ${result.status ?? result.signal}) after ${seconds} s`);
  } else {
    console.log(`=== ${bench.name}: done in ${seconds} s`);
  }
}
console.log(`\nbenchmarks: ${benches.length - failures.length} passed, ${failures.length} failed`);
process.exit(failures.length > 0 ? 1 : 0);
