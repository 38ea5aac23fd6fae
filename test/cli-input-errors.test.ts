/**
 * Bad input to `clinval run` (issue 3): each mistake exits 2 with one line per problem naming the file,
 * the line where there is one, and the field path; no stack trace; and nothing reaches the store.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "./support/run-cli.ts";

const CASES_JSONL = [
  {
    id: "dx-1",
    presentation: "A 30-year-old man with fever, cough and myalgia in winter.",
    diagnosis: "Influenza",
  },
  { id: "dx-2", presentation: "A 4-year-old with a rash, coryza and Koplik spots.", diagnosis: "Measles" },
  {
    id: "dx-3",
    presentation: "A 60-year-old with sudden painless loss of vision.",
    diagnosis: "Retinal detachment",
  },
]
  .map((testCase) => `${JSON.stringify(testCase)}\n`)
  .join("");

/** Nothing listens there: input errors must be found before any model is asked. */
const MODELS = `models:
  - id: model-a
    provider: openai
    baseUrl: http://127.0.0.1:9/v1
    model: model-a
`;

let folder: string;
let storeFolder: string;

beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), "clinval-input-"));
  storeFolder = join(folder, "store");
});

afterEach(async () => {
  await rm(folder, { recursive: true, force: true });
});

/** Writes the files into the test's folder and returns the study's path. */
async function writeStudy(study: string, files: Record<string, string | Buffer> = {}): Promise<string> {
  for (const [name, content] of Object.entries(files)) await writeFile(join(folder, name), content);
  const path = join(folder, "study.yaml");
  await writeFile(path, study);
  return path;
}

/** `clinval run STUDY --store …`, which must fail as bad input and leave no store behind. */
async function runInvalid(studyPath: string, ...extra: string[]): Promise<string> {
  const result = await runCli(["run", studyPath, "--store", join(storeFolder, "clinval.db"), ...extra]);
  expect(result.code, result.stderr).toBe(2);
  expect(result.stdout).toBe("");
  expect(result.stderr).not.toMatch(/^\s+at /m);
  expect(result.stderr).not.toContain("unexpected error");
  expect(existsSync(storeFolder)).toBe(false);
  return result.stderr;
}

describe("clinval run with bad input", () => {
  it("invalid YAML: the study file and the line", async () => {
    const study = await writeStudy(`name: broken\ntask: diagnosis\nsuite: { path: ./cases.jsonl\n${MODELS}`, {
      "cases.jsonl": CASES_JSONL,
    });
    expect(await runInvalid(study)).toMatch(
      new RegExp(`^clinval: ${escapeRegExp(study)}:4: [^\\n]*(indented|end with a \\})[^\\n]*\\n$`),
    );
  });

  it("an unknown key: the line of the key and the path of its mapping", async () => {
    const study = await writeStudy(
      `name: typo\ntask: diagnosis\nsuite:\n  path: ./cases.jsonl\n${MODELS}    temprature: 0.2\n`,
      { "cases.jsonl": CASES_JSONL },
    );
    expect(await runInvalid(study)).toBe(`clinval: ${study}:10: models.0: unknown key "temprature"\n`);
  });

  it("a model without an id: the line of the model and the field models.N.id", async () => {
    const study = await writeStudy(
      `name: no-id\ntask: diagnosis\nsuite:\n  path: ./cases.jsonl\n${MODELS}  - provider: openai\n    model: model-b\n`,
      { "cases.jsonl": CASES_JSONL },
    );
    expect(await runInvalid(study)).toMatch(
      new RegExp(`^clinval: ${escapeRegExp(study)}:10: models\\.1\\.id: .+\\n$`),
    );
  });

  it("duplicate case ids: the case file, the line of the second, and the id field", async () => {
    const cases = `${CASES_JSONL}${JSON.stringify({ id: "dx-2", presentation: "Again.", diagnosis: "Mumps" })}\n`;
    const study = await writeStudy(`name: dup\ntask: diagnosis\nsuite:\n  path: ./cases.jsonl\n${MODELS}`, {
      "cases.jsonl": cases,
    });
    expect(await runInvalid(study)).toBe(
      `clinval: ${join(folder, "cases.jsonl")}:4: id: duplicate case id "dx-2" (first on line 2)\n`,
    );
  });

  it("an empty suite: the case file", async () => {
    const study = await writeStudy(`name: empty\ntask: diagnosis\nsuite:\n  path: ./cases.jsonl\n${MODELS}`, {
      "cases.jsonl": "\n\n",
    });
    expect(await runInvalid(study)).toBe(`clinval: ${join(folder, "cases.jsonl")}: the suite has no cases\n`);
  });

  it("a case file that is not UTF-8: the file and the line of the first bad byte", async () => {
    const latin1 = Buffer.concat([
      Buffer.from("id,presentation,diagnosis\ndx-1,A man with fever and cough,Influenza\ndx-2,A caf"),
      Buffer.from([0xe9]), // "é" in Latin-1
      Buffer.from(" owner with a productive cough,Acute bronchitis\n"),
    ]);
    const study = await writeStudy(`name: latin1\ntask: diagnosis\nsuite:\n  path: ./cases.csv\n${MODELS}`, {
      "cases.csv": latin1,
    });
    expect(await runInvalid(study)).toBe(
      `clinval: ${join(folder, "cases.csv")}:3: not valid UTF-8; save the case file as UTF-8\n`,
    );
  });

  it("a mapped column missing from the file: once, at the header, with the file's columns", async () => {
    const csv = "id,text,diagnosis\ndx-1,A man with fever,Influenza\ndx-2,A child with a rash,Measles\n";
    const study = await writeStudy(
      `name: mapped\ntask: diagnosis\nsuite:\n  path: ./cases.csv\n  fields:\n    presentation: vignette\n${MODELS}`,
      { "cases.csv": csv },
    );
    const file = join(folder, "cases.csv");
    expect(await runInvalid(study)).toBe(
      `clinval: ${file}:1: fields.presentation: column "vignette" is in no case of the file (its columns: id, text, diagnosis)\n`,
    );
  });

  it("an unknown built-in suite: the study file, the line and suite.id, with the known suites", async () => {
    const study = await writeStudy(`name: builtin\ntask: diagnosis\nsuite:\n  id: dx-nope\n${MODELS}`);
    expect(await runInvalid(study)).toMatch(
      new RegExp(
        `^clinval: ${escapeRegExp(study)}:4: suite\\.id: unknown built-in suite "dx-nope" \\(built-in: .*dx-core.*\\)\\n$`,
      ),
    );
  });

  it("--only with an unknown case id: the option and the case file it was looked for in", async () => {
    const study = await writeStudy(`name: only\ntask: diagnosis\nsuite:\n  path: ./cases.jsonl\n${MODELS}`, {
      "cases.jsonl": CASES_JSONL,
    });
    expect(await runInvalid(study, "--only", "dx-1,dx-9")).toBe(
      `clinval: --only: unknown case id "dx-9" (not in ${join(folder, "cases.jsonl")})\n`,
    );
  });

  it("a triage case whose label is outside the study's labels: the case file, its line and the label field", async () => {
    const cases = [
      { id: "ct-1", text: "CT head: no acute abnormality.", report: "negative" },
      { id: "ct-2", text: "CT abdomen: free intraperitoneal air.", report: "critical" },
      { id: "ct-3", text: "CT chest: 6 mm solid nodule.", report: "Routine" },
    ]
      .map((testCase) => `${JSON.stringify(testCase)}\n`)
      .join("");
    const study = await writeStudy(
      `name: triage\ntask: triage\nlabels: [negative, routine, urgent]\nsuite:\n  path: ./reports.jsonl\n` +
        `  fields:\n    label: report\n${MODELS}`,
      { "reports.jsonl": cases },
    );
    const file = join(folder, "reports.jsonl");
    expect(await runInvalid(study)).toBe(
      `clinval: ${file}:2: report (mapped to label): case "ct-2": label "critical" is not one of the study's ` +
        "labels negative, routine, urgent\n" +
        `${file}:3: report (mapped to label): case "ct-3": label "Routine" is not one of the study's labels ` +
        'negative, routine, urgent (labels must match exactly: did you mean "routine"?)\n',
    );
  });
});

/** Text for use inside a RegExp. */
function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
