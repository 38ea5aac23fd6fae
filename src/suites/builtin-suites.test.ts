import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { InputError } from "../core/errors.ts";
import {
  BUILTIN_SUITES_DIRECTORY,
  builtinSuiteIds,
  caseFileOrBuiltinSuite,
  resolveBuiltinSuite,
} from "./builtin-suites.ts";

const directory = mkdtempSync(join(tmpdir(), "clinval-builtin-suites-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function write(path: string, text: string): void {
  mkdirSync(join(directory, path, ".."), { recursive: true });
  writeFileSync(join(directory, path), text);
}

write("plain/cases.jsonl", "{}\n");
write("versioned/versions.json", '{\n  "latest": 2\n}\n');
write("versioned/1/cases.jsonl", "{}\n");
write("versioned/2/cases.jsonl", "{}\n");
write("versioned/drafts/notes.jsonl", "{}\n");
write("pending/versions.json", '{ "latest": 1 }\n');
write("pending/1/cases.jsonl", "{}\n");
mkdirSync(join(directory, "pending", "2"));
write("broken/versions.json", '{ "latest": "two" }\n');
write("broken/1/cases.jsonl", "{}\n");

function errorOf(action: () => unknown): { message: string; location: object } | undefined {
  try {
    action();
  } catch (error) {
    if (error instanceof InputError) return { message: error.message, location: error.location };
    throw error;
  }
  return undefined;
}

describe("built-in suites", () => {
  it("lists each suite's name and every version of a versioned suite", () => {
    expect(builtinSuiteIds(directory)).toEqual([
      "broken",
      "broken@1",
      "pending",
      "pending@1",
      "plain",
      "versioned",
      "versioned@1",
      "versioned@2",
    ]);
  });

  it("resolves the bare name to the latest version and name@N to version N", () => {
    expect(resolveBuiltinSuite("versioned", directory)).toEqual({
      name: "versioned",
      version: 2,
      path: join(directory, "versioned", "2", "cases.jsonl"),
      reportId: "versioned@2",
    });
    expect(resolveBuiltinSuite("versioned@1", directory)).toEqual({
      name: "versioned",
      version: 1,
      path: join(directory, "versioned", "1", "cases.jsonl"),
      reportId: "versioned",
    });
    expect(resolveBuiltinSuite("plain", directory)).toEqual({
      name: "plain",
      path: join(directory, "plain", "cases.jsonl"),
      reportId: "plain",
    });
  });

  it("keeps the bare name on version 1 while a later version folder has no cases yet", () => {
    expect(resolveBuiltinSuite("pending", directory).version).toBe(1);
    expect(errorOf(() => resolveBuiltinSuite("pending@2", directory))?.message).toMatch(
      /^unknown built-in suite "pending@2": pending has no version 2 \(built-in: /,
    );
  });

  it("names the unknown id, version or bad versions file", () => {
    expect(errorOf(() => resolveBuiltinSuite("nope", directory))).toEqual({
      message:
        'unknown built-in suite "nope" (built-in: broken, broken@1, pending, pending@1, plain, versioned, versioned@1, versioned@2)',
      location: { field: "suite.id" },
    });
    expect(errorOf(() => resolveBuiltinSuite("plain@1", directory))?.message).toMatch(
      /^unknown built-in suite "plain@1": plain has no numbered versions/,
    );
    expect(errorOf(() => resolveBuiltinSuite("versioned@0", directory))?.message).toMatch(
      /^unknown built-in suite "versioned@0"/,
    );
    expect(errorOf(() => resolveBuiltinSuite("../plain", directory))?.message).toMatch(
      /^unknown built-in suite "\.\.\/plain"/,
    );
    expect(errorOf(() => resolveBuiltinSuite("broken", directory))).toEqual({
      message: "must be a positive whole number",
      location: { file: join(directory, "broken", "versions.json"), field: "latest" },
    });
  });

  it("ships dx-core version 1 byte for byte, reported under its original id", () => {
    const version1 = resolveBuiltinSuite("dx-core@1");
    expect(version1).toEqual({
      name: "dx-core",
      version: 1,
      path: join(BUILTIN_SUITES_DIRECTORY, "dx-core", "1", "cases.jsonl"),
      reportId: "dx-core",
    });
    expect(caseFileOrBuiltinSuite("dx-core@1")).toEqual({ path: version1.path, id: "dx-core" });
    expect(caseFileOrBuiltinSuite("./my-cases.jsonl")).toEqual({ path: "./my-cases.jsonl" });
  });
});
