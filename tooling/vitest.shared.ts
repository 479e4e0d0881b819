import { defineProject } from "vitest/config";

/** Per-package vitest project: tests live in test/, fixtures are generated at test time. */
export function vzProject(name: string) {
  return defineProject({
    test: {
      name,
      include: ["test/**/*.test.ts"],
      testTimeout: 60_000,
      hookTimeout: 120_000,
      pool: "forks",
    },
  });
}
