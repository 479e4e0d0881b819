import { defineProject } from "vitest/config";

export default defineProject({
  test: { name: "parser-template", include: ["test/**/*.test.ts"], testTimeout: 120_000, pool: "forks" },
});
