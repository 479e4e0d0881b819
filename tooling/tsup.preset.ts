import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Options } from "tsup";

/** Shared tsup options: ESM + .d.ts, version baked in. Each package only lists its entries. */
export function preset(packageDir: string, entry: Record<string, string>, extra: Partial<Options> = {}): Options {
  const pkg = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")) as { version: string };
  return {
    entry,
    format: ["esm"],
    dts: true,
    sourcemap: true,
    clean: true,
    target: "es2022",
    platform: "neutral",
    define: { __VZ_VERSION__: JSON.stringify(pkg.version) },
    ...extra,
  };
}
