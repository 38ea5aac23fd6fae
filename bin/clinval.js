#!/usr/bin/env node
// An installed package runs the compiled JavaScript in dist/ with plain Node. A clone of the repository
// (src/ present) runs the TypeScript source through tsx, so an edit takes effect at once and a dist/ left
// by an earlier build is never run stale (docs/decisions/0034-installable-package.md).
import { existsSync } from "node:fs";

const source = new URL("../src/cli/main.ts", import.meta.url);
let main;
if (existsSync(source)) {
  const { register } = await import("tsx/esm/api");
  register();
  ({ main } = await import(source.href));
} else {
  ({ main } = await import("../dist/cli/main.js"));
}
process.exitCode = await main(process.argv.slice(2));
