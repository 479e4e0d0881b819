/**
 * Builds the prebuilt glibc compat shim shipped in dist/native/<platform>-<arch>/ (Linux x64, the
 * only Linux target of @earthmover/icechunk's native binding). Elsewhere, or without a C compiler,
 * it builds nothing: @vz/icechunk then compiles the shipped source on first use where needed.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const platform = `${process.platform}-${process.arch}`;
if (platform !== "linux-x64") {
  console.log(`build-native: no prebuilt glibc compat shim for ${platform} (only linux-x64 needs one)`);
} else {
  const output = join(root, "dist", "native", platform, "libvz-glibc-compat.so");
  mkdirSync(dirname(output), { recursive: true });
  try {
    // -std=c11: no C23 redirects even when built on glibc >= 2.38 (see the source).
    execFileSync(process.env.CC ?? "cc", ["-std=c11", "-shared", "-fPIC", "-O2", "-o", output, join(root, "native", "glibc-compat.c")], { stdio: "inherit" });
    console.log(`build-native: ${output}`);
  } catch (error) {
    if (process.env.VZ_REQUIRE_PREBUILT === "1") throw error;
    console.warn(`build-native: could not build the glibc compat shim (${error.message}); it will be compiled on first use where needed`);
  }
}
