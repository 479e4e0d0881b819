import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { glibcVersion } from "../src/index.js";

const here = dirname(fileURLToPath(import.meta.url));
const glibc = glibcVersion();
const oldGlibc = glibc !== undefined && glibc < "2.38";

describe("loading @earthmover/icechunk", () => {
  it.skipIf(!oldGlibc)(`explains the glibc problem with a typed error when the shim is not preloaded (glibc ${glibc})`, () => {
    const env = { ...process.env };
    delete env.LD_PRELOAD;
    const script = `import(${JSON.stringify(join(here, "..", "dist", "index.js"))}).then((m) => m.loadIcechunk()).then(() => console.log("loaded"), (e) => console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message })))`;
    const result = spawnSync(process.execPath, ["-e", script], { env, encoding: "utf8" });
    const error = JSON.parse(result.stdout.trim()) as { name: string; code: string; message: string };
    expect(error.name).toBe("PluginLoadError");
    expect(error.code).toBe("PLUGIN_LOAD_FAILED");
    expect(error.message).toContain("__isoc23_sscanf");
    expect(error.message).toContain("LD_PRELOAD");
  });
});
