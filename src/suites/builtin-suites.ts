import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { InputError } from "../core/errors.ts";

/** Folder of the built-in suites shipped with clinval. */
export const BUILTIN_SUITES_DIRECTORY = join(import.meta.dirname, "..", "..", "suites");

/**
 * A built-in suite is a folder of BUILTIN_SUITES_DIRECTORY holding either `cases.jsonl` (one version) or
 * numbered version folders `1/cases.jsonl`, `2/cases.jsonl` … with `versions.json` naming the latest.
 * `name` is the latest version, `name@N` version N (docs/decisions/0020).
 */
export interface BuiltinSuite {
  /** The folder name, e.g. `dx-core`. */
  name: string;
  /** The version number, or undefined for a suite that has never been versioned. */
  version?: number;
  /** The case file. */
  path: string;
  /**
   * The id reports record: `name@N` for versions after the first, the bare name for version 1 and for
   * an unversioned suite, so that reports on version 1 stay byte-identical to those made before
   * versions existed.
   */
  reportId: string;
}

const SUITE_ID = /^([a-z0-9-]+)(?:@([1-9][0-9]*))?$/;

/** Every id a study may name: each suite's name and, for a versioned suite, `name@N` for each version. */
export function builtinSuiteIds(directory = BUILTIN_SUITES_DIRECTORY): string[] {
  const ids: string[] = [];
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const folder = join(directory, entry.name);
    if (existsSync(join(folder, "cases.jsonl"))) ids.push(entry.name);
    else if (existsSync(join(folder, VERSIONS_FILE))) {
      ids.push(entry.name, ...suiteVersions(folder).map((version) => `${entry.name}@${version}`));
    }
  }
  return ids.sort();
}

/** Resolves a built-in suite id; an unknown id or version is an InputError listing the known ids. */
export function resolveBuiltinSuite(id: string, directory = BUILTIN_SUITES_DIRECTORY): BuiltinSuite {
  const match = SUITE_ID.exec(id);
  const unknown = (what: string) =>
    new InputError(
      `unknown built-in suite ${what} (built-in: ${builtinSuiteIds(directory).join(", ") || "none"})`,
      { field: "suite.id" },
    );
  if (!match) throw unknown(`"${id}"`);
  const name = match[1];
  const folder = join(directory, name);
  const unversioned = join(folder, "cases.jsonl");
  if (existsSync(unversioned)) {
    if (match[2] !== undefined) throw unknown(`"${id}": ${name} has no numbered versions`);
    return { name, path: unversioned, reportId: name };
  }
  if (!existsSync(join(folder, VERSIONS_FILE))) throw unknown(`"${id}"`);
  const version = match[2] === undefined ? latestVersion(folder) : Number(match[2]);
  const path = join(folder, String(version), "cases.jsonl");
  if (!existsSync(path)) throw unknown(`"${id}": ${name} has no version ${version}`);
  return { name, version, path, reportId: version === 1 ? name : `${name}@${version}` };
}

/** Path of a built-in suite's case file; an unknown id is an InputError listing the known ones. */
export function builtinSuitePath(id: string): string {
  return resolveBuiltinSuite(id).path;
}

/**
 * A command-line argument that is a case file, or a built-in suite id (`ct-triage`, `dx-core@1`) when no
 * such file exists; `id` is the id reports record.
 */
export function caseFileOrBuiltinSuite(argument: string): { path: string; id?: string } {
  if (existsSync(argument) || !SUITE_ID.test(argument)) return { path: argument };
  const builtin = resolveBuiltinSuite(argument);
  return { path: builtin.path, id: builtin.reportId };
}

const VERSIONS_FILE = "versions.json";

function suiteVersions(folder: string): number[] {
  return readdirSync(folder, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && /^[1-9][0-9]*$/.test(entry.name))
    .filter((entry) => existsSync(join(folder, entry.name, "cases.jsonl")))
    .map((entry) => Number(entry.name))
    .sort((first, second) => first - second);
}

/** The `latest` of a suite's versions.json: the version its bare name means. */
function latestVersion(folder: string): number {
  const file = join(folder, VERSIONS_FILE);
  let latest: unknown;
  try {
    latest = (JSON.parse(readFileSync(file, "utf8")) as { latest?: unknown }).latest;
  } catch (error) {
    throw new InputError(`invalid JSON: ${(error as Error).message}`, { file });
  }
  if (!Number.isInteger(latest) || (latest as number) < 1) {
    throw new InputError("must be a positive whole number", { file, field: "latest" });
  }
  return latest as number;
}
