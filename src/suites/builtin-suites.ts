import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { InputError } from "../core/errors.ts";

/** Folder of the built-in suites shipped with clinval. */
export const BUILTIN_SUITES_DIRECTORY = join(import.meta.dirname, "..", "..", "suites");

export function builtinSuiteIds(): string[] {
  return readdirSync(BUILTIN_SUITES_DIRECTORY, { withFileTypes: true })
    .filter(
      (entry) => entry.isDirectory() && existsSync(join(BUILTIN_SUITES_DIRECTORY, entry.name, "cases.jsonl")),
    )
    .map((entry) => entry.name)
    .sort();
}

/** Path of a built-in suite's case file; an unknown id is an InputError listing the known ones. */
export function builtinSuitePath(id: string): string {
  const path = join(BUILTIN_SUITES_DIRECTORY, id, "cases.jsonl");
  if (!/^[a-z0-9-]+$/.test(id) || !existsSync(path)) {
    throw new InputError(
      `unknown built-in suite "${id}" (built-in: ${builtinSuiteIds().join(", ") || "none"})`,
      {
        field: "suite.id",
      },
    );
  }
  return path;
}
