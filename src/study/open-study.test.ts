import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { InputError } from "../core/errors.ts";
import { BUILTIN_SUITES_DIRECTORY } from "../suites/builtin-suites.ts";
import { openStudy } from "./open-study.ts";

const directory = mkdtempSync(join(tmpdir(), "clinval-open-"));
function write(name: string, content: string): string {
  const path = join(directory, name);
  writeFileSync(path, content);
  return path;
}
write(
  "cases.jsonl",
  [
    { id: "1", presentation: "Fever and cough.", diagnosis: "Pneumonia", specialty: "medicine" },
    { id: "2", presentation: "Headache.", diagnosis: "Migraine" },
  ]
    .map((testCase) => `${JSON.stringify(testCase)}\n`)
    .join(""),
);
const study = (extra: string) =>
  `name: s\ntask: diagnosis\nsuite:\n  path: ./cases.jsonl\nmodels:\n  - { id: a, provider: ollama, model: m }\n${extra}`;
async function problem(path: string): Promise<string> {
  return ((await openStudy(path).catch((caught: unknown) => caught)) as InputError).describe();
}

describe("openStudy", () => {
  it("refuses a subgroup field that no case has, and warns of one that some cases lack", async () => {
    const missing = write("missing.yaml", study("subgroups:\n  - specialty\n  - incidence\n"));
    expect(await problem(missing)).toBe(
      `${missing}:9: subgroups.1: no case of ${join(directory, "cases.jsonl")} has the field "incidence"`,
    );
    const opened = await openStudy(write("some.yaml", study("subgroups: [specialty]\n")));
    expect(opened.warnings).toEqual([
      'subgroup "specialty": 1 of 2 cases lack the field; they form no stratum',
    ]);
  });

  it("checks the prompt template before anything runs", async () => {
    write("no-case.txt", "List {{k}} diagnoses.\n");
    const path = write("template.yaml", study("prompt: ./no-case.txt\n"));
    expect(await problem(path)).toBe(
      `${join(directory, "no-case.txt")}: prompt: the template has no {{presentation}} placeholder, so the case would not reach the model`,
    );
  });
});

function builtinStudy(suiteId: string): string {
  const path = join(directory, `builtin-${suiteId.replace("@", "-at-")}.yaml`);
  writeFileSync(
    path,
    `name: versions\ntask: diagnosis\nsuite: { id: ${suiteId} }\nmodels:\n  - { id: m, provider: ollama, model: m }\n`,
  );
  return path;
}

const VERSION_1 = {
  id: "dx-core",
  sha256: "7483a3fedc60cc91a99a491e2b338b2edea74e8f2dab0eaa2b5c57792136c978",
  cases: 120,
};

describe("openStudy with a built-in suite", () => {
  it("opens dx-core@1 under the id earlier reports recorded, with the same bytes", async () => {
    const { suite } = await openStudy(builtinStudy("dx-core@1"));
    expect({ id: suite.id, sha256: suite.sha256, cases: suite.cases.length }).toEqual(VERSION_1);
  });

  it("opens the version versions.json names for the bare id, under that version's report id", async () => {
    const latest = (
      JSON.parse(readFileSync(join(BUILTIN_SUITES_DIRECTORY, "dx-core", "versions.json"), "utf8")) as {
        latest: number;
      }
    ).latest;
    const { suite } = await openStudy(builtinStudy("dx-core"));
    expect(suite.id).toBe(latest === 1 ? "dx-core" : `dx-core@${latest}`);
    expect(suite.source).toBe(join(BUILTIN_SUITES_DIRECTORY, "dx-core", String(latest), "cases.jsonl"));
  });

  it("refuses a version that does not exist, at the line of suite.id", async () => {
    const path = builtinStudy("dx-core@7");
    const error = (await openStudy(path).catch((caught: unknown) => caught)) as InputError;
    expect(error.describe()).toMatch(
      new RegExp(
        `^${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:3: suite\\.id: unknown built-in suite "dx-core@7": dx-core has no version 7 \\(built-in: .*dx-core@1`,
      ),
    );
  });
});
