import { InvalidArgumentError, isVzError, type ManifestArray, ManifestGroup } from "@vz/core";
import { describeArray } from "@vz/core/internal";
import { type CliContext, inputUrl, openInput } from "../context.js";
import { formatBytes, formatTable } from "../format.js";

/** `vz inspect <url>`: the virtual dataset's tree as a table, or JSON. */
export async function inspectCommand(
  context: CliContext,
  input: string,
  options: { parser?: string; json?: boolean; group?: string; root?: string; skipUnsupported?: boolean },
): Promise<number> {
  const url = inputUrl(context, input);
  let opened;
  try {
    opened = await openInput(context, url, input, {
      ...(options.parser ? { parser: options.parser } : {}),
      ...(options.root ? { root: options.root } : {}),
      ...(options.skipUnsupported ? { extraOptions: { onUnsupported: "skip" } } : {}),
      ...(options.group ? { group: options.group } : {}),
    });
  } catch (error) {
    const sets = referenceSetsOf(error);
    if (!sets) throw error;
    return listReferenceSets(context, url, sets, options.json === true);
  }
  const { store, parserName, reason, groupApplied } = opened;
  // a parser that reads groups itself (hdf5) returns the chosen group as the root
  const root = options.group && !groupApplied ? store.group.resolve(options.group) : store.group;
  if (!(root instanceof ManifestGroup)) {
    const available = [...store.group.walkGroups()].map(([path]) => `/${path}`).join(", ") || "(none below the root)";
    throw new InvalidArgumentError(`vz inspect: no group "${options.group}" in ${url}; groups: ${available}`, { url });
  }
  const groups = [...root.walkGroups()].map(([path, group]) => ({
    path: `/${path}`,
    attributes: group.attributes,
    arrays: [...group.arrays.keys()],
    groups: [...group.groups.keys()],
  }));
  const arrays = [...root.walkArrays()].map(([path, array]) => describeArray(`/${path}`, array));
  const diagnostics = store.diagnostics.map((d) => ({ code: d.code, variable: d.variable, message: d.message }));
  if (options.json) {
    context.out(`${JSON.stringify({ url, parser: parserName, reason, groups, arrays, diagnostics }, null, 2)}\n`);
    return 0;
  }
  const totalChunks = arrays.reduce((n, a) => n + a.chunkCount, 0);
  const totalBytes = arrays.reduce((n, a) => n + a.manifestBytes, 0);
  context.out(`${url}\nparser: ${parserName} (${reason})\n`);
  context.out(`${groups.length} group(s), ${arrays.length} array(s), ${totalChunks} chunk reference(s), manifests ${formatBytes(totalBytes)}\n\n`);
  // The tree: one line per group, indented by depth, with its arrays and attribute names.
  for (const group of groups) {
    const depth = group.path === "/" ? 0 : group.path.split("/").length - 1;
    const names = Object.keys(group.attributes);
    const label = group.path === "/" ? "/" : `${group.path.slice(group.path.lastIndexOf("/") + 1)}/`;
    context.out(
      `${"  ".repeat(depth)}${label}  ${group.arrays.length} array(s)${group.arrays.length ? `: ${group.arrays.join(", ")}` : ""}` +
        `${names.length ? `  attributes: ${names.join(", ")}` : ""}\n`,
    );
  }
  context.out("\n");
  context.out(
    formatTable(
      ["array", "dims", "dtype", "shape", "chunks", "codecs", "chunk refs", "manifest"],
      arrays.map((a) => [
        a.path,
        `(${a.dims.map((d) => d ?? "-").join(", ")})`,
        a.dtype,
        `(${a.shape.join(", ")})`,
        `(${a.chunks.join(", ")})`,
        a.codecs.join(",") || "-",
        `${a.chunkCount}/${a.gridSize}`,
        formatBytes(a.manifestBytes),
      ]),
    ),
  );
  for (const d of diagnostics) context.out(`skipped ${d.variable ?? "?"}: ${d.message}\n`);
  return 0;
}

/** What one reference set of a list holds (the kerchunk parser's summary). */
interface ReferenceSetSummary {
  index: number;
  arrays: string[];
  references: number;
  templates: Record<string, string>;
}

/** The reference sets a kerchunk "list of reference sets" error carries, if it is one. */
function referenceSetsOf(error: unknown): ReferenceSetSummary[] | undefined {
  if (!isVzError(error, "PARSE_FAILED")) return undefined;
  const sets = (error as { referenceSets?: unknown }).referenceSets;
  return Array.isArray(sets) ? (sets as ReferenceSetSummary[]) : undefined;
}

/** `vz inspect` of a file holding a list of kerchunk reference sets: how many, and what each holds. */
function listReferenceSets(context: CliContext, url: string, sets: ReferenceSetSummary[], json: boolean): number {
  if (json) {
    context.out(`${JSON.stringify({ url, parser: "kerchunk", referenceSets: sets }, null, 2)}\n`);
    return 0;
  }
  context.out(`${url}\nparser: kerchunk\n${sets.length} reference sets (a list); read one with --item N (0 to ${sets.length - 1})\n\n`);
  context.out(
    formatTable(
      ["item", "arrays", "refs", "templates"],
      sets.map((set) => [
        String(set.index),
        set.arrays.join(", ") || "-",
        String(set.references),
        Object.entries(set.templates).map(([name, value]) => `${name}=${value}`).join(", ") || "-",
      ]),
    ),
  );
  return 0;
}
