import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { InputError } from "../core/errors.ts";
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
