import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const source = join(import.meta.dirname, "..", "src");

function sourceFiles(folder: string): string[] {
  return readdirSync(join(source, folder), { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".ts") && !file.endsWith(".test.ts"))
    .map((file) => join(source, folder, file));
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [
    ...text.matchAll(
      /(?:^|\n)\s*(?:import|export)[^"'`]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g,
    ),
  ].map((match) => match[1] ?? match[2]);
}

describe("module boundaries (DESIGN.md)", () => {
  it.each(["core", "stats"])("src/%s imports nothing with I/O and no other part of clinval", (folder) => {
    const offending: string[] = [];
    for (const file of sourceFiles(folder)) {
      for (const specifier of importsOf(file)) {
        const isNodeBuiltin = specifier.startsWith("node:");
        const leavesAllowedFolders =
          specifier.startsWith(".") &&
          !relative(source, join(file, "..", specifier)).startsWith(folder) &&
          !relative(source, join(file, "..", specifier)).startsWith("core");
        if (isNodeBuiltin || leavesAllowedFolders) offending.push(`${relative(source, file)} → ${specifier}`);
      }
      if (/\bprocess\.(env|stdout|stderr|exit|argv)/.test(readFileSync(file, "utf8"))) {
        offending.push(`${relative(source, file)} uses process`);
      }
    }
    expect(offending).toEqual([]);
  });

  it("only the CLI writes to the terminal or sets the exit code", () => {
    const offending = [
      "core",
      "stats",
      "suites",
      "study",
      "tasks",
      "analysis",
      "report",
      "runner",
      "store",
      "providers",
      "judge",
    ]
      .flatMap((folder) => sourceFiles(folder))
      .filter((file) => /process\.(exit\(|exitCode\s*=)/.test(readFileSync(file, "utf8")))
      .map((file) => relative(source, file));
    expect(offending).toEqual([]);
  });
});
