/**
 * `vz read ... | head`: a reader that stops early closes stdout; vz ends quietly with exit 0
 * instead of an EPIPE stack trace. Runs the built binary in a shell pipeline.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const here = dirname(fileURLToPath(import.meta.url));
const bin = resolve(here, "../dist/bin.js");
const air = resolve(here, "../../../../shared/data/netcdf4/air.nc");
const skip = !existsSync(bin) ? `${bin} is not built (pnpm build)` : !existsSync(air) ? `${air} is absent (the shared test data)` : undefined;
if (skip) console.warn(`skipping the closed-stdout test: ${skip}`);

describe.skipIf(Boolean(skip))("a closed stdout", () => {
  it("vz read of a large variable piped into head -c 40 exits 0 without a stack trace", () => {
    const env: Record<string, string | undefined> = { ...process.env };
    delete env.LD_PRELOAD;
    const result = spawnSync(
      "bash",
      ["-c", `${JSON.stringify(process.execPath)} ${JSON.stringify(bin)} read ${JSON.stringify(air)} --var air | head -c 40; echo; echo "vz-exit=\${PIPESTATUS[0]}"`],
      { encoding: "utf8", env, timeout: 120_000 },
    );
    expect(result.stdout).toMatch(/^air int16 shape \(\d+, \d+, \d+\)\n\[/);
    expect(result.stdout).toMatch(/vz-exit=0\n$/);
    expect(result.stderr).not.toMatch(/EPIPE|\n\s+at /);
  });
});
