/** Runs Debian's /usr/bin/python3 (netCDF4, xarray, fsspec, zarr) from tests. */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

export const PYTHON = "/usr/bin/python3";

/** Modules of `modules` that do not import (["python3"] when there is no interpreter). */
export function missingPythonModules(modules: readonly string[]): string[] {
  if (!existsSync(PYTHON)) return ["python3"];
  return modules.filter((module) => spawnSync(PYTHON, ["-c", `import ${module}`], { stdio: "ignore" }).status !== 0);
}

/** Runs a Python script file or `-c` text with arguments and returns stdout; throws with stderr. */
export function runPython(args: readonly string[], options: { cwd?: string } = {}): string {
  try {
    return execFileSync(PYTHON, args, { encoding: "utf8", maxBuffer: 256 * 1024 * 1024, cwd: options.cwd, stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    throw new Error(`python failed: ${(error as { stderr?: string }).stderr ?? String(error)}`, { cause: error });
  }
}
