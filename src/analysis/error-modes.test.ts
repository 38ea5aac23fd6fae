import { describe, expect, it } from "vitest";
import { diagnosisTask } from "../tasks/diagnosis/diagnosis-task.ts";
import { RUN } from "./analysis.test-support.ts";
import { analyzeStudy } from "./analyze-study.ts";
import { code, errorModeScenario } from "./error-modes.test-support.ts";
import { errorModeSection } from "./error-modes.ts";

// Wilson intervals: R 4.x, prop.test(x, n, correct = FALSE)$conf.int, e.g. prop.test(1, 3, correct = FALSE).
const wilson = (x: number, n: number, lower: number, upper: number) => ({
  x,
  n,
  estimate: x / n,
  lower: lower === 0 ? 0 : expect.closeTo(lower, 13),
  upper: expect.closeTo(upper, 13),
  method: "wilson",
  level: 0.95,
});
const ONE_OF_THREE = wilson(1, 3, 0.0614919447203963, 0.792340399197952);
const TWO_OF_THREE = wilson(2, 3, 0.207659600802048, 0.938508055279604);
const ZERO_OF_THREE = wilson(0, 3, 0, 0.561497031755045);
const ONE_OF_FOUR = wilson(1, 4, 0.0455872608097006, 0.699358157417598);
const ZERO_OF_FOUR = wilson(0, 4, 0, 0.489890836454597);
const ONE_OF_TWO = wilson(1, 2, 0.0945312057342307, 0.905468794265769);
const ZERO_OF_TWO = wilson(0, 2, 0, 0.657619772493347);

/**
 * Paired counts on the cases both models have in n. Exact McNemar p = min(1, 2·P(X ≤ min(b, c))),
 * X ~ Bin(b + c, ½): 1 for every table here (R: binom.test(1, 1), binom.test(2, 3), binom.test(1, 2)).
 * Mid-p by hand: b + c = 1 → 1 − ½ = 0.5; (2, 1) → 1 − P(X = 1 | 3) = 0.625; (1, 1) → 1 − ½·P(X = 1 | 2) = 0.75;
 * none discordant → null. Holm of p-values that are all 1 stays 1.
 */
const pair = (
  mode: string,
  both: number,
  aOnly: number,
  bOnly: number,
  neither: number,
  midP: number | null,
) => ({
  mode,
  a: "A",
  b: "B",
  n: both + aOnly + bOnly + neither,
  both,
  aOnly,
  bOnly,
  neither,
  mcnemar: { exactP: 1, midP },
  adjustedP: 1,
  adjustment: "holm",
  significant: false,
});

const CODES = [
  code("ana", "A", "c1", "reasoning-drift"),
  code("ana", "A", "c2", "red-flag-failure"),
  code("ana", "A", "c3", "none"),
  code("ana", "B", "c1", "none"),
  code("ana", "B", "c2", "priority-inversion"),
  code("ben", "A", "c1", "reasoning-drift"),
  code("ben", "A", "c2", "knowledge-gap"),
  code("ben", "A", "c3", "none"),
  code("ben", "B", "c1", "none"),
  code("ben", "B", "c2", "priority-inversion"),
];

// Cohen's kappa, ana vs ben on 5 answers, 4 agreeing. R:
// a <- factor(c("drift","rff","none","none","pi"), levels = c("drift","rff","pi","kg","other","none"));
// b <- factor(c("drift","kg","none","none","pi"), levels = levels(a)); t <- table(a, b) / 5;
// po <- sum(diag(t)); pe <- sum(rowSums(t) * colSums(t)); (po - pe) / (1 - pe)  → 0.8, 0.24, 0.736842105263158
const AGREEMENT = [
  {
    reviewers: ["ana", "ben"],
    n: 5,
    kappa: expect.closeTo(0.736842105263158, 13),
    observedAgreement: expect.closeTo(0.8, 13),
    expectedAgreement: expect.closeTo(0.24, 13),
  },
];

describe("error modes in the report", () => {
  const { study, suite, results } = errorModeScenario();
  const analyze = (codes = CODES) =>
    analyzeStudy({
      study,
      suite,
      run: RUN,
      results,
      grade: (testCase, completion) => diagnosisTask.grade(testCase as never, completion, study),
      reasoningCodes: codes,
    });

  it("counts the automatic flags per model with Wilson CIs and compares the models pairwise", () => {
    const { report, details } = analyze();
    expect(details.rows.map((row) => [row.model, row.case, row.outcome, row.errorModes])).toEqual([
      ["A", "c1", "incorrect", ["reasoning-drift", "red-flag-failure", "priority-inversion"]],
      ["A", "c2", "incorrect", ["red-flag-failure"]],
      ["A", "c3", "correct", []],
      ["A", "c4", "error", []],
      ["B", "c1", "correct", []],
      ["B", "c2", "correct", ["priority-inversion"]],
      ["B", "c3", "incorrect", ["red-flag-failure"]],
      ["B", "c4", "correct", []],
    ]);
    expect(report.errorModes?.automatic).toEqual({
      source: "automatic",
      description:
        "Automatic pre-flags computed by clinval from the stored answers and reasoning (suggestions, not reviewed), over every answered case (sample 0).",
      modes: ["reasoning-drift", "red-flag-failure", "priority-inversion"],
      models: [
        {
          id: "A",
          n: 3,
          counts: { "reasoning-drift": 1, "red-flag-failure": 2, "priority-inversion": 1 },
          rates: {
            "reasoning-drift": ONE_OF_THREE,
            "red-flag-failure": TWO_OF_THREE,
            "priority-inversion": ONE_OF_THREE,
          },
        },
        {
          id: "B",
          n: 4,
          counts: { "reasoning-drift": 0, "red-flag-failure": 1, "priority-inversion": 1 },
          rates: {
            "reasoning-drift": ZERO_OF_FOUR,
            "red-flag-failure": ONE_OF_FOUR,
            "priority-inversion": ONE_OF_FOUR,
          },
        },
      ],
      // Cases both answered: c1, c2, c3 (A failed c4).
      comparisons: [
        pair("reasoning-drift", 0, 1, 0, 2, 0.5),
        pair("red-flag-failure", 0, 2, 1, 0, 0.625),
        pair("priority-inversion", 0, 1, 1, 1, 0.75),
      ],
    });
  });

  it("counts the reviewers' settled codes, a reconciled code settling a disagreement, with kappa between them", () => {
    const { report } = analyze([...CODES, code("chair", "A", "c2", "red-flag-failure", true)]);
    const zeros = { "knowledge-gap": 0, other: 0 };
    expect(report.errorModes?.reviewers).toEqual({
      source: "reviewers",
      description:
        "Reviewers' codes (sample 0): a reconciled code where there is one, else the code the reviewers agree on; answers whose reviewers differ and were not reconciled are left out.",
      modes: ["reasoning-drift", "red-flag-failure", "priority-inversion", "knowledge-gap", "other"],
      models: [
        {
          id: "A",
          n: 3,
          counts: { "reasoning-drift": 1, "red-flag-failure": 1, "priority-inversion": 0, ...zeros },
          rates: {
            "reasoning-drift": ONE_OF_THREE,
            "red-flag-failure": ONE_OF_THREE,
            "priority-inversion": ZERO_OF_THREE,
            "knowledge-gap": ZERO_OF_THREE,
            other: ZERO_OF_THREE,
          },
        },
        {
          id: "B",
          n: 2,
          counts: { "reasoning-drift": 0, "red-flag-failure": 0, "priority-inversion": 1, ...zeros },
          rates: {
            "reasoning-drift": ZERO_OF_TWO,
            "red-flag-failure": ZERO_OF_TWO,
            "priority-inversion": ONE_OF_TWO,
            "knowledge-gap": ZERO_OF_TWO,
            other: ZERO_OF_TWO,
          },
        },
      ],
      // Cases both settled: c1, c2.
      comparisons: [
        pair("reasoning-drift", 0, 1, 0, 1, 0.5),
        pair("red-flag-failure", 0, 1, 0, 1, 0.5),
        pair("priority-inversion", 0, 0, 1, 1, 0.5),
        pair("knowledge-gap", 0, 0, 0, 2, null),
        pair("other", 0, 0, 0, 2, null),
      ],
      reviewers: ["ana", "ben"],
      unresolved: { A: 0, B: 0 },
      agreement: AGREEMENT,
    });
  });

  it("leaves out an answer the reviewers disagree on until it is reconciled", () => {
    const section = errorModeSection({
      modelIds: ["A", "B"],
      pairs: [["A", "B"]],
      rows: analyze().details.rows,
      codes: CODES,
      alpha: 0.05,
      level: 0.95,
    });
    expect(section.reviewers.unresolved).toEqual({ A: 1, B: 0 });
    expect(
      section.reviewers.models.map((model) => [model.id, model.n, model.counts["red-flag-failure"]]),
    ).toEqual([
      ["A", 2, 0],
      ["B", 2, 0],
    ]);
    expect(section.reviewers.agreement).toEqual(AGREEMENT);
  });
});
