/**
 * The public surface of @vz/core, as a user sees it: for every entry in package.json `exports`
 * (`@vz/core`, `/codecs`, `/internal`, `/node`, `/testing`, `/testing/tools`), the runtime export
 * names of the built module and the type-only export names of its built `.d.ts`, compared with the
 * committed snapshot `__snapshots__/exports.json`. Any added, moved or removed name fails here and
 * shows up in review as a change of that file. After a deliberate change:
 * `pnpm --filter @vz/core build && pnpm vitest run --project core exports -u`.
 *
 * Also checks that the `.d.ts` and the JavaScript agree on the values, and that every declaration
 * of @vz/core a public declaration names (an option type, a protected member's type, ...) can be
 * imported from some entry.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const packageDir = resolve(import.meta.dirname, "..");
const distDir = join(packageDir, "dist");
const pkg = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")) as {
  name: string;
  exports: Record<string, { types: string; import: string } | string>;
};

/** Every entry a user can import: its specifier, its JavaScript file and its declaration file. */
const entries = Object.entries(pkg.exports)
  .filter(([subpath]) => subpath !== "./package.json")
  .map(([subpath, target]) => {
    if (typeof target === "string") throw new Error(`${pkg.name}: export "${subpath}" has no types/import conditions`);
    return { specifier: pkg.name + subpath.slice(1), js: join(packageDir, target.import), dts: join(packageDir, target.types) };
  });
const built = entries.every((entry) => existsSync(entry.js) && existsSync(entry.dts));

/** The TypeScript view of the built declarations: one program over every entry's `.d.ts`. */
function declarations() {
  const program = ts.createProgram(
    entries.map((entry) => entry.dts),
    { module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, target: ts.ScriptTarget.ES2022, skipLibCheck: true, noEmit: true, types: ["node"] },
  );
  const checker = program.getTypeChecker();
  const resolveAlias = (symbol: ts.Symbol) => (symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol);
  const exportsOf = new Map<string, Map<string, ts.Symbol>>();
  for (const entry of entries) {
    const source = program.getSourceFile(entry.dts);
    const moduleSymbol = source && checker.getSymbolAtLocation(source);
    if (!moduleSymbol) throw new Error(`${entry.specifier}: ${entry.dts} is not a module`);
    exportsOf.set(entry.specifier, new Map(checker.getExportsOfModule(moduleSymbol).map((symbol) => [symbol.name, resolveAlias(symbol)])));
  }
  return { checker, resolveAlias, exportsOf };
}

describe.skipIf(!built)(`${pkg.name} exports (built dist)`, () => {
  const surface = built ? declarations() : undefined;

  it("each entry's runtime and type-only export names match __snapshots__/exports.json", async () => {
    const { exportsOf } = surface!;
    const snapshot: Record<string, { values: string[]; types: string[] }> = {};
    for (const entry of entries) {
      const module = (await import(pathToFileURL(entry.js).href)) as Record<string, unknown>;
      const values = Object.keys(module).sort();
      const declared = [...exportsOf.get(entry.specifier)!];
      // The .d.ts declares exactly the values the JavaScript exports.
      const declaredValues = declared.filter(([, symbol]) => symbol.flags & ts.SymbolFlags.Value).map(([name]) => name).sort();
      expect(declaredValues, `${entry.specifier}: values of ${entry.dts} vs ${entry.js}`).toEqual(values);
      const types = declared.filter(([, symbol]) => !(symbol.flags & ts.SymbolFlags.Value)).map(([name]) => name).sort();
      expect(values.length + types.length, `${entry.specifier} exports nothing`).toBeGreaterThan(0);
      snapshot[entry.specifier] = { values, types };
    }
    await expect(`${JSON.stringify(snapshot, null, 2)}\n`).toMatchFileSnapshot("./__snapshots__/exports.json");
  });

  it("every @vz/core declaration a public declaration names is exported from some entry", () => {
    const { checker, resolveAlias, exportsOf } = surface!;
    const exported = new Set([...exportsOf.values()].flatMap((names) => [...names.values()]));
    const ours = (node: ts.Node) => resolve(node.getSourceFile().fileName).startsWith(distDir);
    const missing = new Map<string, string>(); // declaration name -> the public name that led to it
    const seen = new Set<ts.Symbol>();
    const visit = (symbol: ts.Symbol, via: string) => {
      if (seen.has(symbol)) return;
      seen.add(symbol);
      for (const declaration of symbol.declarations ?? []) {
        if (!ours(declaration)) continue;
        const walk = (node: ts.Node) => {
          // Private members are not part of the surface (a .d.ts keeps only their names).
          if (ts.canHaveModifiers(node) && ts.getModifiers(node)?.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword)) return;
          const name = ts.isTypeReferenceNode(node)
            ? node.typeName
            : ts.isExpressionWithTypeArguments(node) || ts.isTypeQueryNode(node)
              ? ts.isTypeQueryNode(node) ? node.exprName : node.expression
              : undefined;
          const target = name && checker.getSymbolAtLocation(ts.isQualifiedName(name) ? name.left : name);
          if (target) {
            const resolved = resolveAlias(target);
            const inside = resolved.declarations?.some(ours) && !(resolved.flags & (ts.SymbolFlags.TypeParameter | ts.SymbolFlags.Namespace));
            if (inside) {
              if (!exported.has(resolved)) missing.set(resolved.name, via);
              visit(resolved, via);
            }
          }
          ts.forEachChild(node, walk);
        };
        walk(declaration);
      }
    };
    for (const [specifier, names] of exportsOf) for (const [name, symbol] of names) visit(symbol, `${specifier} ${name}`);
    const report = [...missing].map(([name, via]) => `${name} (named by ${via}) is not exported from any entry`).sort();
    expect(report, report.join("\n")).toEqual([]);
  });
});

if (!built) {
  describe(`${pkg.name} exports`, () => {
    it.skip("skipped: @vz/core is not built (run `pnpm --filter @vz/core build` first)", () => undefined);
  });
}
