import { describe, expect, it } from "vitest";
import { errorModeScenario } from "../../analysis/error-modes.test-support.ts";
import type { DiagnosisCase } from "../../core/case.ts";
import type { Completion } from "../../core/chat.ts";
import { detectErrorModes } from "./error-modes.ts";
import { gradeDiagnosis } from "./grade.ts";

const { suite, results } = errorModeScenario();

function flagsOf(modelId: string, caseId: string) {
  const testCase = suite.cases.find((candidate) => candidate.id === caseId) as DiagnosisCase;
  const completion = results.find((result) => result.modelId === modelId && result.caseId === caseId)
    ?.completion as Completion;
  return detectErrorModes(testCase, completion, gradeDiagnosis(testCase, completion, { topK: 5 }));
}

describe("detectErrorModes", () => {
  it("flags all three modes on an answer that drifts, misses a must-not-miss diagnosis and inverts priority", () => {
    expect(flagsOf("A", "c1")).toEqual([
      {
        mode: "reasoning-drift",
        reason: 'the reasoning names "Acute appendicitis", the final list does not',
      },
      { mode: "red-flag-failure", reason: 'must-not-miss "Acute appendicitis" is not listed' },
      {
        mode: "priority-inversion",
        reason: 'must-not-miss "Ectopic pregnancy" (#2) is listed below "Non-specific abdominal pain"',
      },
    ]);
  });

  it("flags a red flag never addressed in the reasoning or the answer, and a must-not-miss diagnosis left out", () => {
    expect(flagsOf("A", "c2")).toEqual([
      {
        mode: "red-flag-failure",
        reason:
          'red flag "thunderclap onset" is not addressed; must-not-miss "Subarachnoid haemorrhage" is not listed',
      },
    ]);
    expect(flagsOf("B", "c3")).toEqual([
      {
        mode: "red-flag-failure",
        reason:
          'red flag "pleuritic chest pain" is not addressed; must-not-miss "Pulmonary embolism" is not listed',
      },
    ]);
  });

  it("flags a must-not-miss diagnosis listed below a benign alternative, even when the answer is correct", () => {
    expect(flagsOf("B", "c2")).toEqual([
      {
        mode: "priority-inversion",
        reason: 'must-not-miss "Subarachnoid haemorrhage" (#2) is listed below "Migraine"',
      },
    ]);
  });

  it("raises nothing for clean answers, nor inversion when the answer above is the reference or another must-not-miss", () => {
    expect([flagsOf("A", "c3"), flagsOf("B", "c1"), flagsOf("B", "c4")]).toEqual([[], [], []]);
  });

  it("counts drift through a dictionary synonym and an accepted name, not when the list names the reference", () => {
    const testCase: DiagnosisCase = {
      id: "x",
      presentation: "…",
      diagnosis: "Myocardial infarction",
      accept: ["NSTEMI"],
    };
    const completion = (reasoning: string, text: string) => ({ reasoning, text });
    const grade = (text: string) =>
      gradeDiagnosis(
        testCase,
        {
          ...completion("", text),
          finishReason: "stop",
          tokens: { prompt: null, completion: null, reasoning: null },
          latencyMs: 1,
          model: { provider: "p", model: "m" },
        },
        { topK: 5 },
      );
    expect(
      detectErrorModes(
        testCase,
        completion("Could this be a heart attack?", "1. Costochondritis"),
        grade("1. Costochondritis"),
      ),
    ).toEqual([
      {
        mode: "reasoning-drift",
        reason: 'the reasoning names "Myocardial infarction", the final list does not',
      },
    ]);
    expect(
      detectErrorModes(
        testCase,
        completion("An NSTEMI is likely.", "1. Pericarditis"),
        grade("1. Pericarditis"),
      ),
    ).toEqual([{ mode: "reasoning-drift", reason: 'the reasoning names "NSTEMI", the final list does not' }]);
    expect(
      detectErrorModes(
        testCase,
        completion("A heart attack.", "1. Myocardial infarction"),
        grade("1. Myocardial infarction"),
      ),
    ).toEqual([]);
  });
});
