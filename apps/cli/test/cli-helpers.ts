/** What the CLI tests share: running `vz` in process in a folder, and asking Debian's Python. */
import { execFileSync } from "node:child_process";
import { run } from "../src/main.js";

/** Debian's Python with the oracle libraries (the `python3` on PATH may be another build). */
export const PYTHON = "/usr/bin/python3";

/** A `vz` runner with `cwd` as the working directory, capturing exit code, stdout and stderr. */
export function vzIn(cwd: string): (...argv: string[]) => Promise<{ code: number; out: string; err: string }> {
  return async (...argv) => {
    let out = "";
    let err = "";
    const code = await run(argv, { out: (t) => (out += t), err: (t) => (err += t), cwd });
    return { code, out, err };
  };
}

/** Runs a Python script that prints one JSON value, and returns that value. */
export function pythonJson(script: string): unknown {
  return JSON.parse(execFileSync(PYTHON, ["-c", script], { encoding: "utf8" }));
}
