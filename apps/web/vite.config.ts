import { defineConfig } from "vite";

// Static output in dist/ with relative asset paths, so it can be hosted under any path.
export default defineConfig({
  base: "./",
  build: { outDir: "dist", target: "es2022", sourcemap: true, chunkSizeWarningLimit: 1024 },
  worker: { format: "es" },
});
