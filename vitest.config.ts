import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: ["packages/*", "plugins/*", "apps/*"],
    reporters: ["default", "./tooling/summary-reporter.ts"],
  },
});
