/**
 * Bad input around the judge and adjudications: a wrong `judge:` key in the study, and bad adjudication
 * commands or sheets. Each exits 2 with one line naming the file, line and field; nothing is recorded.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openStore } from "../src/store/store.ts";
import { runCli } from "./support/run-cli.ts";

const CASES = `${JSON.stringify({ id: "dx-1", presentation: "Fever and cough.", diagnosis: "Influenza" })}\n`;

/** Nothing listens there: input errors must be found before any model is asked. */
const STUDY = `name: judged
task: diagnosis
suite:
  path: ./cases.jsonl
models:
  - id: model-a
    provider: openai
    baseUrl: http://127.0.0.1:9/v1
    model: model-a
`;

let folder: string;
let store: string;

beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), "clinval-judge-input-"));
  store = join(folder, "store", "clinval.db");
  await writeFile(join(folder, "cases.jsonl"), CASES);
});

afterEach(async () => {
  await rm(folder, { recursive: true, force: true });
});

async function runStudy(text: string): Promise<string> {
  const path = join(folder, "study.yaml");
  await writeFile(path, text);
  const result = await runCli(["run", path, "--store", store]);
  expect(result.code, result.stderr).toBe(2);
  expect(result.stdout).toBe("");
  expect(existsSync(store)).toBe(false);
  return result.stderr.replaceAll(path, "study.yaml");
}

describe("the study's judge key", () => {
  it("rejects a classifier as the judge, at the line of its provider", async () => {
    expect(await runStudy(`${STUDY}judge:\n  provider: classifier\n  model: ./probe.json\n`)).toBe(
      'clinval: study.yaml:11: judge.provider: Invalid option: expected one of "openai"|"ollama"|"llama-cpp"\n',
    );
  });

  it("rejects a temperature: the judge always runs at 0", async () => {
    expect(
      await runStudy(
        `${STUDY}judge:\n  provider: ollama\n  model: qwen2.5:7b\n  params:\n    temperature: 0.7\n`,
      ),
    ).toBe('clinval: study.yaml:14: judge.params: unknown key "temperature"\n');
  });

  it("rejects a judge without a model", async () => {
    expect(await runStudy(`${STUDY}judge:\n  provider: ollama\n`)).toBe(
      "clinval: study.yaml:11: judge.model: is required (string)\n",
    );
  });

  it("rejects a missing GGUF file for an in-process judge, and keys of other providers", async () => {
    const stderr = await runStudy(`${STUDY}judge:\n  provider: llama-cpp\n  model: ./judge.gguf\n`);
    expect(stderr).toMatch(/^clinval: study\.yaml:12: judge\.model: .*judge\.gguf/);
    expect(await runStudy(`${STUDY}judge:\n  provider: ollama\n  model: qwen2.5:7b\n  gpu: true\n`)).toBe(
      "clinval: study.yaml:13: judge.gpu: only for provider llama-cpp, not ollama\n",
    );
  });

  it("rejects a judge in a triage study", async () => {
    const triage = STUDY.replace("task: diagnosis", "task: triage");
    expect(await runStudy(`${triage}judge:\n  provider: ollama\n  model: qwen2.5:7b\n`)).toBe(
      "clinval: study.yaml:11: judge: a judge grades diagnosis studies only\n",
    );
  });
});

describe("clinval adjudicate with bad input", () => {
  const HEADER =
    "reference,answer,reason,judge_verdict,judge_rationale,similarity,count,models,cases,decision,note";

  async function importSheet(text: string, ...extra: string[]) {
    const path = join(folder, "sheet.csv");
    await writeFile(path, text);
    const result = await runCli(["adjudicate", "import", path, "--store", store, ...extra]);
    return { ...result, stderr: result.stderr.replaceAll(path, "sheet.csv") };
  }

  it("needs a reviewer", async () => {
    const result = await importSheet(`${HEADER}\r\n`);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("required option '--reviewer <name>' not specified");
  });

  it("names every bad row with its line and column, and records none of the good ones", async () => {
    const result = await importSheet(
      [
        HEADER,
        "Influenza,Flu,undecided,,,,1,a,dx-1,correct,",
        ",Cough,undecided,,,,1,a,dx-1,incorrect,",
        "Influenza,Common cold,undecided,,,,1,a,dx-1,wrong,",
        "Influenza,flu.,undecided,,,,1,a,dx-1,incorrect,",
        "Influenza,Viral infection,undecided,,,,1,a,dx-1,,",
        "",
      ].join("\r\n"),
      "--reviewer",
      "Dr Rossi",
    );
    expect(result).toEqual({
      code: 2,
      stdout: "",
      stderr:
        "clinval: sheet.csv:3: reference: is empty\n" +
        'sheet.csv:4: decision: "wrong" is not one of correct, more-specific, broader, incorrect\n' +
        'sheet.csv:5: decision: "incorrect" contradicts "correct" for the same pair on line 2\n',
    });
    expect(existsSync(store)).toBe(false);
  });

  it("rejects a sheet without the decision column, and a ragged row", async () => {
    expect(await importSheet("reference,answer\r\nInfluenza,Flu\r\n", "--reviewer", "Dr Rossi")).toEqual({
      code: 2,
      stdout: "",
      stderr: 'clinval: sheet.csv:1: the header lacks column "decision"\n',
    });
    expect(await importSheet(`${HEADER}\r\nInfluenza,Flu,correct\r\n`, "--reviewer", "Dr Rossi")).toEqual({
      code: 2,
      stdout: "",
      stderr: "clinval: sheet.csv:2: has 3 values, the header has 11 columns\n",
    });
  });

  it("records a sheet with no decisions filled in as nothing", async () => {
    const result = await importSheet(
      `${HEADER}\r\nInfluenza,Flu,undecided,,,,1,a,dx-1,,\r\n`,
      "--reviewer",
      "Dr Rossi",
    );
    expect(result).toEqual({ code: 0, stdout: "0 decisions recorded by Dr Rossi.\n", stderr: "" });
    const opened = await openStore(store);
    try {
      expect(await opened.adjudications()).toEqual([]);
    } finally {
      await opened.close();
    }
  });

  it("reads only an existing store, and names a run it does not have", async () => {
    for (const command of [
      ["adjudicate", "export"],
      ["grading", "agreement"],
    ]) {
      const missing = await runCli([...command, "latest", "--store", store]);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain(`there is no store at ${store}`);
    }
    await (await openStore(store)).close();
    for (const command of [
      ["adjudicate", "export"],
      ["grading", "agreement"],
    ]) {
      const result = await runCli([...command, "no-such-run", "--store", store]);
      expect(result).toEqual({
        code: 2,
        stdout: "",
        stderr: `clinval: run-id: no run "no-such-run" in ${store}\n`,
      });
    }
  });
});
