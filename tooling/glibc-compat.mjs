import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * On glibc < 2.38 the @earthmover/icechunk native binding needs two C23 symbols; this builds the
 * tiny shim @vz/icechunk ships (packages/icechunk/native/glibc-compat.c; once, with the machine's
 * cc) and returns an env with LD_PRELOAD for the test processes, so that tests which import the
 * binding directly (as a third party would) load it too. @vz/icechunk itself needs no LD_PRELOAD:
 * it loads the shim in process. Elsewhere (newer glibc, musl, no cc) it returns {}.
 */
/** @returns {Record<string, string>} */
export function glibcCompatEnv() {
  const report = /** @type {{ header?: { glibcVersionRuntime?: string } } | undefined} */ (process.report?.getReport());
  const glibc = report?.header?.glibcVersionRuntime;
  if (!glibc) return {};
  const [major, minor] = glibc.split(".").map(Number);
  if (major > 2 || (major === 2 && minor >= 38)) return {};
  const root = dirname(dirname(fileURLToPath(import.meta.url)));
  const source = join(root, "packages", "icechunk", "native", "glibc-compat.c");
  const output = join(root, "node_modules", ".cache", "vz", "libglibc-compat.so");
  try {
    if (!existsSync(output) || statSync(output).mtimeMs < statSync(source).mtimeMs) {
      mkdirSync(dirname(output), { recursive: true });
      execFileSync("cc", ["-std=c11", "-shared", "-fPIC", "-O2", "-o", output, source], { stdio: "pipe" });
    }
  } catch {
    return {};
  }
  const existing = process.env.LD_PRELOAD;
  return { LD_PRELOAD: existing ? `${output}:${existing}` : output };
}
