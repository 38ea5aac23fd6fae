import { describe, expect, it } from "vitest";
import { completionFor } from "../../test/support/runner-fakes.ts";
import type { Adjudication, ClinicianDecision } from "../core/adjudication.ts";
import type { JobResult } from "../runner/job-result.ts";
import type { StoredJudgeVerdict } from "../store/decision-rows.ts";
import { gradingAgreement } from "./agreement.ts";

const CASES = [
  { id: "c1", presentation: "p", diagnosis: "Pulmonary embolism", accept: ["PE"] },
  { id: "c2", presentation: "p", diagnosis: "Pulmonary embolism" },
  { id: "c3", presentation: "p", diagnosis: "Pulmonary embolism" },
  { id: "c4", presentation: "p", diagnosis: "Pulmonary embolism" },
];

function result(caseId: string, answer: string): JobResult {
  return {
    modelId: "m",
    caseId,
    sample: 0,
    key: caseId,
    completion: completionFor(JSON.stringify({ diagnoses: [answer] })),
    error: null,
    cached: false,
  };
}

function decided(answer: string, decision: ClinicianDecision): Adjudication {
  return {
    reference: "Pulmonary embolism",
    answer,
    decision,
    reviewer: "R",
    decidedAt: "2026-01-05",
    note: null,
  };
}

function verdict(answer: string, kind: StoredJudgeVerdict["verdict"]): StoredJudgeVerdict {
  return {
    reference: "Pulmonary embolism",
    answer,
    provider: "openai",
    model: "j",
    key: answer,
    verdict: kind,
    rationale: "why",
    error: null,
    createdAt: "2026-01-05",
  };
}

describe("gradingAgreement", () => {
  it("compares each rung and the judge with the clinicians on correct versus not", () => {
    const agreement = gradingAgreement({
      study: { topK: 5 },
      cases: CASES,
      // c1 accepted name; c2 a fuzzy suggestion; c3 nothing; c4 a different concept, the judge's call down
      results: [
        result("c1", "PE"),
        result("c2", "Septic pulmonary embolism"),
        result("c3", "Clot in the lung"),
        result("c4", "Pleurisy"),
      ],
      adjudications: [
        decided("PE", "broader"),
        decided("Septic pulmonary embolism", "more-specific"),
        decided("Clot in the lung", "correct"),
        decided("Pleurisy", "incorrect"),
        decided("Never answered", "correct"),
      ],
      verdicts: [verdict("Clot in the lung", "same"), { ...verdict("Pleurisy", null), error: null }],
    });
    // clinician: c1 no, c2 yes, c3 yes, c4 no.
    // strict: yes, no, no, no → confusion correct {0, 2}, incorrect {1, 1}
    // lenient: yes, yes, no, no; judge: c3 yes only; strict+judge: yes, no, yes, no.
    expect(agreement.adjudicated).toBe(4);
    expect(
      agreement.methods.map(({ method, n, observedAgreement, confusion }) => [
        method,
        n,
        observedAgreement,
        confusion,
      ]),
    ).toEqual([
      ["strict", 4, 0.25, { correct: { correct: 0, incorrect: 2 }, incorrect: { correct: 1, incorrect: 1 } }],
      ["lenient", 4, 0.5, { correct: { correct: 1, incorrect: 1 }, incorrect: { correct: 1, incorrect: 1 } }],
      ["judge", 1, 1, { correct: { correct: 1, incorrect: 0 }, incorrect: { correct: 0, incorrect: 0 } }],
      [
        "strict+judge",
        4,
        0.5,
        { correct: { correct: 1, incorrect: 1 }, incorrect: { correct: 1, incorrect: 1 } },
      ],
    ]);
    // strict: po = 1/4, pe = (2/4)(1/4) + (2/4)(3/4) = 1/2, kappa = (1/4 − 1/2)/(1/2) = −1/2
    expect(agreement.methods[0].kappa?.estimate).toBeCloseTo(-0.5, 12);
    // lenient: po = 1/2, pe = 1/2 → kappa 0; judge: a single call → undefined
    expect(agreement.methods[1].kappa?.estimate).toBeCloseTo(0, 12);
    expect(agreement.methods[2].kappa).toBeNull();
    expect(agreement.rungs).toEqual([
      {
        rung: "accepted",
        pairs: 1,
        agreeing: 0,
        clinician: { correct: 0, "more-specific": 0, broader: 1, incorrect: 0 },
      },
      {
        rung: "different",
        pairs: 1,
        agreeing: 1,
        clinician: { correct: 0, "more-specific": 0, broader: 0, incorrect: 1 },
      },
      {
        rung: "fuzzy",
        pairs: 1,
        agreeing: 1,
        clinician: { correct: 0, "more-specific": 1, broader: 0, incorrect: 0 },
      },
      {
        rung: "none",
        pairs: 1,
        agreeing: 0,
        clinician: { correct: 1, "more-specific": 0, broader: 0, incorrect: 0 },
      },
      {
        rung: "judge",
        pairs: 1,
        agreeing: 1,
        clinician: { correct: 1, "more-specific": 0, broader: 0, incorrect: 0 },
      },
    ]);
    expect(agreement.disagreements.map((pair) => [pair.answer, pair.rung, pair.calls])).toEqual([
      ["PE", "accepted", { strict: "correct", lenient: "correct", judge: null, "strict+judge": "correct" }],
      [
        "Septic pulmonary embolism",
        "fuzzy",
        { strict: "incorrect", lenient: "correct", judge: null, "strict+judge": "incorrect" },
      ],
      [
        "Clot in the lung",
        null,
        { strict: "incorrect", lenient: "incorrect", judge: "correct", "strict+judge": "correct" },
      ],
    ]);
  });
});
