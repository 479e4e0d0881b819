import { defineConfig, type Rollup } from "vite";

/** Chunks of the parser plugins are named after them (`parser-tiff-<hash>.js`): which parser a page loaded shows in its requests. */
function chunkFileNames(chunk: Rollup.PreRenderedChunk): string {
  const plugin = chunk.facadeModuleId ? /[\\/]plugins[\\/](parser-[\w-]+)[\\/]/.exec(chunk.facadeModuleId)?.[1] : undefined;
  return `assets/${plugin ?? "[name]"}-[hash].js`;
}

// Static output in dist/ with relative asset paths, so it can be hosted under any path.
export default defineConfig({
  base: "./",
  build: { outDir: "dist", target: "es2022", sourcemap: true, chunkSizeWarningLimit: 1024, rollupOptions: { output: { chunkFileNames } } },
  worker: { format: "es", rollupOptions: { output: { chunkFileNames } } },
});
