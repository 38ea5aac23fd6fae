import { describe, expect, it } from "vitest";
import { completionFor } from "../../../test/support/runner-fakes.ts";
import { type Adjudication, type JudgeVerdict, storedDecisions } from "../../core/adjudication.ts";
import { gradeDiagnosis } from "./grade.ts";

const CASE = {
  id: "dx-1",
  presentation: "Breathless after a long flight.",
  diagnosis: "Pulmonary embolism",
  accept: ["PE"],
};

function adjudication(answer: string, decision: Adjudication["decision"]): Adjudication {
  return {
    reference: "Pulmonary embolism",
    answer,
    decision,
    reviewer: "Dr Rossi",
    decidedAt: "2026-01-05",
    note: null,
  };
}

function verdict(answer: string, kind: JudgeVerdict) {
  return {
    reference: "Pulmonary embolism",
    answer,
    verdict: kind,
    rationale: `${kind} because`,
    judge: "openai j",
  };
}

/** The grade without its per-answer decisions (tested in grade.test.ts): the ladder is what is read here. */
function grade(answers: string[], decisions = storedDecisions([], [])) {
  const { decisions: _perAnswer, ...rest } = gradeDiagnosis(
    CASE,
    completionFor(JSON.stringify({ diagnoses: answers })),
    { topK: 5 },
    undefined,
    decisions,
  );
  return rest;
}

describe("grading with stored decisions", () => {
  it("records each answer's step up to the first strict match, as today's ladder decides it", () => {
    expect(grade(["Pneumonia", "Septic pulmonary embolism", "PE", "Asthma"])).toEqual({
      outcome: "correct",
      answers: ["Pneumonia", "Septic pulmonary embolism", "PE", "Asthma"],
      rank: 3,
      rung: "accepted",
      lenientRank: 2,
      needsReview: true,
      suggestion: {
        answer: "Septic pulmonary embolism",
        reference: "Pulmonary embolism",
        similarity: 0.8,
      },
      ladder: [
        { answer: "Pneumonia", rung: "different" },
        { answer: "Septic pulmonary embolism", rung: "fuzzy" },
        { answer: "PE", rung: "accepted" },
      ],
    });
  });

  it("puts the clinician first, over every rung, for this pair in any case or spacing", () => {
    const decisions = storedDecisions(
      [adjudication("pe", "broader"), adjudication("Lung clot", "correct")],
      [],
    );
    expect(grade(["PE", "lung  clot", "Asthma"], decisions)).toEqual({
      outcome: "correct",
      answers: ["PE", "lung clot", "Asthma"],
      rank: 2,
      rung: "clinician",
      lenientRank: 2,
      needsReview: false,
      suggestion: null,
      ladder: [
        { answer: "PE", rung: "clinician", decision: "broader" },
        { answer: "lung clot", rung: "clinician", decision: "correct" },
      ],
    });
  });

  it("consults the judge only for answers the rungs left undecided, and never over a strict match", () => {
    const decisions = storedDecisions(
      [],
      [verdict("PE", "different"), verdict("Lung clot", "more-specific")],
    );
    expect(grade(["PE", "Lung clot"], decisions)).toMatchObject({ rank: 1, rung: "accepted" });
    expect(grade(["Asthma", "Lung clot"], decisions)).toEqual({
      outcome: "correct",
      answers: ["Asthma", "Lung clot"],
      rank: 2,
      rung: "judge",
      lenientRank: 2,
      needsReview: false,
      suggestion: null,
      ladder: [
        { answer: "Asthma", rung: "different" },
        { answer: "Lung clot", rung: "judge", decision: "more-specific", rationale: "more-specific because" },
      ],
    });
  });

  it("never counts an unparseable or negative verdict, and keeps a fuzzy suggestion only when unparseable", () => {
    const decisions = storedDecisions(
      [],
      [verdict("Septic pulmonary embolism", "unparseable"), verdict("Pulmonary fat embolism", "related")],
    );
    const unparseable = grade(["Septic pulmonary embolism"], decisions);
    expect(unparseable).toMatchObject({
      outcome: "incorrect",
      rank: null,
      lenientRank: 1,
      needsReview: true,
    });
    expect(unparseable.ladder).toEqual([
      {
        answer: "Septic pulmonary embolism",
        rung: "judge",
        decision: "unparseable",
        rationale: "unparseable because",
      },
    ]);
    expect(grade(["Pulmonary fat embolism"], decisions)).toMatchObject({
      outcome: "incorrect",
      rank: null,
      lenientRank: null,
      needsReview: false,
    });
  });
});
