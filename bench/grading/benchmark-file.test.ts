import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { InputError } from "../../src/core/errors.ts";
import { loadBenchmark } from "./benchmark-file.ts";

describe("the shipped grading benchmark", () => {
  const cases = loadBenchmark();

  it("parses, every row complete, with at least 1,000 judged cases", () => {
    expect(cases.length).toBeGreaterThanOrEqual(1000);
    const answers = cases.flatMap((testCase) => testCase.answers);
    expect(answers.length).toBeGreaterThanOrEqual(5000);
  });

  it("has answers ranked 1, 2, 3, … and at most five per case", () => {
    const misranked = cases.filter(
      (testCase) =>
        testCase.answers.length > 5 || testCase.answers.some((answer, index) => answer.rank !== index + 1),
    );
    expect(misranked).toEqual([]);
  });

  it("has per-answer verdicts that agree with the case verdict", () => {
    const inconsistent = cases.filter((testCase) => {
      const verdicts = testCase.answers.map((answer) => answer.verdict);
      if (testCase.verdict.case === "incorrect") {
        return (
          verdicts.some((verdict) => verdict !== "incorrect") || testCase.verdict.exactMatch !== "incorrect"
        );
      }
      return verdicts.includes("incorrect") || testCase.verdict.exactMatch === "incorrect";
    });
    expect(inconsistent).toEqual([]);
  });

  it("has one case per dataset, model and case id", () => {
    const keys = cases.map((testCase) => `${testCase.dataset}/${testCase.model}/${testCase.caseId}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe("loadBenchmark", () => {
  const directory = mkdtempSync(join(tmpdir(), "clinval-benchmark-"));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  const valid = {
    source: "example@0000000:data/scores.csv",
    dataset: "synthetic",
    model: "model-a",
    caseId: "synthetic-001",
    reference: "Down syndrome",
    accept: [],
    answers: [{ rank: 1, text: "Down Syndrome", verdict: null }],
    verdict: { kind: "judge", case: "correct", exactMatch: "correct", label: "P1" },
  };

  function thrown(lines: string[]): InputError {
    const file = join(directory, "benchmark.jsonl");
    writeFileSync(file, `${lines.join("\n")}\n`);
    try {
      loadBenchmark(file);
    } catch (error) {
      if (error instanceof InputError) return error;
      throw error;
    }
    throw new Error("no error was raised");
  }

  it("names the file, line and field of an incomplete row", () => {
    const error = thrown([JSON.stringify(valid), JSON.stringify({ ...valid, reference: "" })]);
    expect(error.location).toEqual({ file: join(directory, "benchmark.jsonl"), line: 2, field: "reference" });
    const nested = thrown([
      JSON.stringify({ ...valid, answers: [{ rank: 1, text: "X", verdict: "maybe" }] }),
    ]);
    expect(nested.location.field).toBe("answers.0.verdict");
  });

  it("refuses a line that is not JSON and a file without cases", () => {
    expect(thrown([JSON.stringify(valid), "{not json"]).location.line).toBe(2);
    expect(thrown([""]).message).toBe("holds no cases");
  });
});
