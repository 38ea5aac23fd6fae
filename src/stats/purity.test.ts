import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

// src/stats is pure: its modules import only each other and src/core/errors.ts (no node:*, no packages).
const FOLDER = import.meta.dirname;
const ALLOWED = /^\.\/[a-z0-9-]+\.ts$|^\.\.\/core\/errors\.ts$/;

function importsOf(source: string): string[] {
  return [
    ...source.matchAll(/(?:import|export)\s[^"']*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g),
  ].map((match) => match[1] ?? match[2]);
}

describe("src/stats", () => {
  const modules = readdirSync(FOLDER).filter(
    (name) => name.endsWith(".ts") && !/\.test(-support)?\.ts$/.test(name),
  );

  it("has modules to check", () => {
    expect(modules).toContain("index.ts");
  });

  it("imports nothing with I/O", () => {
    const offending = modules.flatMap((name) =>
      importsOf(readFileSync(join(FOLDER, name), "utf8"))
        .filter((specifier) => !ALLOWED.test(specifier))
        .map((specifier) => `${name}: ${specifier}`),
    );
    expect(offending).toEqual([]);
  });

  it("does not touch process, globalThis or Math.random", () => {
    const offending = modules.filter((name) =>
      /\bprocess\.|\bglobalThis\b|Math\.random|\bDate\.now\b/.test(readFileSync(join(FOLDER, name), "utf8")),
    );
    expect(offending).toEqual([]);
  });
});
