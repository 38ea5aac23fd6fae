/**
 * Compiles src/ to dist/ (plain JavaScript for Node, no TypeScript runtime) and copies beside it every
 * file the code reads at run time from its own folder: workbench assets, terminology data, trainer schemas,
 * presets, templates, the store's writer thread. dist/ keeps src/'s layout, so a path resolved from
 * `import.meta.dirname` (such as `../../suites`) reaches the same place from either.
 *
 *   npm run build      (also run by `npm pack` through `prepack`)
 */
import { execFileSync } from "node:child_process";
import { cpSync, readdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const root = join(import.meta.dirname, "..");
const source = join(root, "src");
const output = join(root, "dist");

/** Test inputs stay behind; everything else that is not TypeScript is needed at run time. */
function isRuntimeAsset(relativePath: string): boolean {
  const parts = relativePath.split(/[\\/]/);
  return !relativePath.endsWith(".ts") && !parts.includes("fixtures");
}

rmSync(output, { recursive: true, force: true });
const typescriptCompiler = createRequire(import.meta.url).resolve("typescript/bin/tsc");
execFileSync(process.execPath, [typescriptCompiler, "--project", join(root, "tsconfig.build.json")], {
  stdio: "inherit",
});

const assets = readdirSync(source, { recursive: true, withFileTypes: true })
  .filter((entry) => entry.isFile())
  .map((entry) => join(entry.parentPath, entry.name).slice(source.length + 1))
  .filter(isRuntimeAsset);
for (const asset of assets) cpSync(join(source, asset), join(output, asset));
process.stdout.write(`dist/ built: compiled src/ and copied ${assets.length} run-time files\n`);
