import type { CliContext } from "../context.js";
import { formatTable } from "../format.js";

/** `vz parsers`: the parser plugins discovered (name, package, version, description; `--json` also lists the codecs each provides). */
export async function parsersCommand(context: CliContext, options: { json?: boolean }): Promise<number> {
  const rows = [];
  for (const info of context.registry.list()) {
    let description = info.description ?? "";
    try {
      description = (await context.registry.get(info.name)).description;
    } catch (error) {
      description = `(failed to load: ${(error as Error).message})`;
    }
    rows.push({ name: info.name, package: info.packageName ?? "", version: info.version ?? "", description, codecs: [...(info.codecs ?? [])] });
  }
  if (options.json) {
    context.out(`${JSON.stringify({ parsers: rows, errors: context.pluginErrors.map((e) => e.message) }, null, 2)}\n`);
    return 0;
  }
  context.out(formatTable(["name", "package", "version", "description"], rows.map((r) => [r.name, r.package, r.version, r.description])));
  for (const error of context.pluginErrors) context.err(`warning: ${error.message}\n`);
  return 0;
}
