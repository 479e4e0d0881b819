/**
 * The template as a third party ships it: built, packed with `pnpm pack` (which turns
 * `workspace:^` into a version range), installed with `npm install <tarball>` into a temporary
 * project outside the workspace (offline: @vz/core is linked through a `file:` dependency), and
 * found from that project by `discoverParsers` / `createDiscoveredParserRegistry`
 * (@vz/core/node), which selects it by name and parses a file with it.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { writeVzt } from "./write-vzt.js";

const packageDir = resolve(import.meta.dirname, "..");
const coreDir = resolve(packageDir, "../../packages/core");
const hasNpm = spawnSync("npm", ["--version"], { stdio: "ignore" }).status === 0;
const hasPnpm = spawnSync("pnpm", ["--version"], { stdio: "ignore", cwd: packageDir }).status === 0;
const skipReason = !hasNpm || !hasPnpm ? "npm and pnpm are needed" : !existsSync(join(coreDir, "dist/node.js")) ? "@vz/core is not built" : false;

function run(command: string, args: readonly string[], cwd: string): string {
  try {
    return execFileSync(command, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, npm_config_update_notifier: "false" } });
  } catch (error) {
    throw new Error(`${command} ${args.join(" ")} failed in ${cwd}: ${(error as { stderr?: string }).stderr ?? String(error)}`, { cause: error });
  }
}

describe.skipIf(Boolean(skipReason))(`vz-parser-template packed, installed and discovered${skipReason ? ` (skipped: ${skipReason})` : ""}`, () => {
  it("npm install <tarball> in a fresh project; discovery lists and selects it by name", async () => {
    const work = mkdtempSync(join(tmpdir(), "vz-template-pack-"));
    // Build when dist is missing or older than the source (turbo's test task builds first anyway).
    const built = join(packageDir, "dist/index.js");
    if (!existsSync(built) || statSync(built).mtimeMs < statSync(join(packageDir, "src/index.ts")).mtimeMs) {
      run("pnpm", ["exec", "tsup", "--silent"], packageDir);
    }
    run("pnpm", ["pack", "--pack-destination", work], packageDir);
    const tarball = readdirSync(work).find((name) => name.startsWith("vz-parser-template-") && name.endsWith(".tgz"));
    expect(tarball, `no tarball in ${work}`).toBeDefined();
    const packed = JSON.parse(run("tar", ["xzf", join(work, tarball!), "-O", "package/package.json"], work));
    expect(packed.peerDependencies["@vz/core"]).not.toMatch(/^workspace:/);
    expect(packed.private).toBe(true);
    expect(packed.virtualizarr).toEqual({ parsers: { vzt: "./dist/index.js" } });

    const project = join(work, "consumer");
    mkdirSync(project);
    writeFileSync(
      join(project, "package.json"),
      JSON.stringify({ name: "consumer", version: "1.0.0", private: true, type: "module", dependencies: { "@vz/core": `file:${coreDir}` } }, null, 2),
    );
    run("npm", ["install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts", join(work, tarball!)], project);
    expect(existsSync(join(project, "node_modules/vz-parser-template/dist/index.js"))).toBe(true);

    writeFileSync(join(project, "sample.vzt"), writeVzt("level", 4, [0.5, 1.5]));
    writeFileSync(
      join(project, "check.mjs"),
      `import { discoverParsers, createDiscoveredParserRegistry, FileReader, toUrl } from "@vz/core/node";
const { parsers, errors } = discoverParsers({ cwd: process.cwd() });
const { registry } = createDiscoveredParserRegistry({ from: [process.cwd()] });
const plugin = await registry.get("vzt");
const url = toUrl("sample.vzt");
const reader = new FileReader();
const byExtension = await registry.select(url, { reader });
const store = await plugin.create()(url, reader);
const meta = JSON.parse(new TextDecoder().decode(await store.get("level/zarr.json")));
console.log(JSON.stringify({
  discovered: parsers.map((p) => ({ name: p.name, packageName: p.packageName, modulePath: p.modulePath })),
  errors: errors.map((e) => e.message),
  listed: registry.list().map((p) => p.name),
  pluginName: plugin.name,
  selectedBy: byExtension.name, reason: byExtension.reason,
  shape: meta.shape, dataType: meta.data_type,
}));
`,
    );
    const result = JSON.parse(run("node", ["check.mjs"], project));
    const entry = result.discovered.find((p: { name: string }) => p.name === "vzt");
    expect(entry).toMatchObject({ name: "vzt", packageName: "vz-parser-template" });
    expect(entry.modulePath).toBe(join(project, "node_modules/vz-parser-template/dist/index.js"));
    expect(result.errors).toEqual([]);
    expect(result.listed).toContain("vzt");
    expect(result.pluginName).toBe("vzt");
    expect(result.selectedBy).toBe("vzt");
    expect(result.reason).toBe("extension .vzt and magic bytes");
    expect(result.shape).toEqual([2]);
    expect(result.dataType).toBe("float64");

    // The same project's script run from another working directory (a user's cron job, /tmp):
    // the default discovery roots include the running script's own directory.
    const elsewhere = mkdtempSync(join(tmpdir(), "vz-template-elsewhere-"));
    writeFileSync(
      join(project, "from-elsewhere.mjs"),
      `import { createDiscoveredParserRegistry } from "@vz/core/node";
const { registry, searched } = createDiscoveredParserRegistry();
console.log(JSON.stringify({ cwd: process.cwd(), listed: registry.list().map((p) => p.name), searched }));
`,
    );
    const away = JSON.parse(run("node", [join(project, "from-elsewhere.mjs")], elsewhere));
    expect(away.cwd).toBe(elsewhere);
    expect(away.listed).toContain("vzt");
    expect(away.searched).toContain(join(project, "node_modules"));
  });
});
