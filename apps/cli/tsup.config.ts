import { defineConfig } from "tsup";
import { preset } from "../../tooling/tsup.preset";

export default defineConfig(
  preset(import.meta.dirname, { bin: "src/bin.ts", index: "src/index.ts" }, { platform: "node", external: [/^@vz\//, "zarrita"] }),
);
