/**
 * Test helper: runs Debian's /usr/bin/python3 (which has h5py, numcodecs, xarray, fsspec, zarr)
 * and tells whether the modules a test needs are there.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

export const PYTHON = "/usr/bin/python3";

/** Missing modules of `modules` (empty when all import), or ["python3"] when there is no interpreter. */
export function missingPythonModules(modules: readonly string[]): string[] {
  if (!existsSync(PYTHON)) return ["python3"];
  const missing: string[] = [];
  for (const module of modules) {
    const result = spawnSync(PYTHON, ["-c", `import ${module}`], { stdio: "ignore" });
    if (result.status !== 0) missing.push(module);
  }
  return missing;
}

/** Runs a Python script (text) with arguments; returns stdout. Throws with stderr on failure. */
export function runPython(script: string, args: readonly string[] = [], options: { cwd?: string } = {}): string {
  try {
    return execFileSync(PYTHON, ["-c", script, ...args], {
      encoding: "utf8",
      maxBuffer: 256 * 1024 * 1024,
      cwd: options.cwd,
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? "";
    throw new Error(`python failed: ${stderr}`, { cause: error });
  }
}
