import { defineConfig } from "tsup";

// ESM + type declarations; @vz/core is a peer dependency, so it stays external.
export default defineConfig({
  entry: { index: "src/index.ts" },
  format: ["esm"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "es2022",
  external: ["@vz/core"],
});
