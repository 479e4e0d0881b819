import { defineConfig } from "tsup";
import { preset } from "../../tooling/tsup.preset";

export default defineConfig(
  preset(import.meta.dirname, { index: "src/index.ts", codecs: "src/codecs.ts", internal: "src/internal.ts", node: "src/node.ts", testing: "src/testing.ts", "testing-tools": "src/testing-tools.ts" }, {
    external: ["vitest", "zarrita", "numcodecs"],
  }),
);
