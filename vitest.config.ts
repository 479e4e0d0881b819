import { defineConfig } from "vitest/config";
import { glibcCompatEnv } from "./tooling/glibc-compat.mjs";

export default defineConfig({
  test: {
    projects: ["packages/*", "plugins/*", "apps/*"],
    reporters: ["default", "./tooling/summary-reporter.ts"],
    // Forked test processes get LD_PRELOAD at exec time (needed by @earthmover/icechunk on glibc < 2.38).
    env: glibcCompatEnv(),
  },
});
