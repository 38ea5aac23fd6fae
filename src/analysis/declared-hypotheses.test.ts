import { describe, expect, it } from "vitest";
import type { StudyInput } from "../core/study.ts";
import { closeTo } from "../stats/close-to.test-support.ts";
import { pairedDifference } from "../stats/index.ts";
import {
  answered,
  correctAt,
  diagnosisCase,
  failed,
  incorrect,
  makeStudy,
  makeSuite,
  RUN,
  scriptedGrade,
  truncatedWithMatch,
} from "./analysis.test-support.ts";
import { analyzeStudy } from "./analyze-study.ts";

const FAILURE_TIMEOUT = { failure: "timeout" as const, message: "no answer within 300000 ms", attempts: 5 };

/** Each model's answer per case: true correct, false incorrect, "truncated", "error". */
type Script = Record<string, Array<boolean | "truncated" | "error">>;

function analyze(
  script: Script,
  input: Partial<StudyInput>,
  fields: (index: number) => Record<string, string> = () => ({}),
) {
  const models = Object.keys(script);
  const count = script[models[0]].length;
  const suite = makeSuite(
    Array.from({ length: count }, (_, index) => diagnosisCase(`c${index + 1}`, fields(index))),
  );
  const results = models.flatMap((model) =>
    script[model].map((answer, index) => {
      const caseId = `c${index + 1}`;
      if (answer === "error") return failed(model, caseId, FAILURE_TIMEOUT);
      if (answer === "truncated") return answered(model, caseId, truncatedWithMatch(1));
      return answered(model, caseId, answer ? correctAt(1) : incorrect());
    }),
  );
  const study = makeStudy({ models: models.map((id) => ({ id, provider: "ollama", model: id })), ...input });
  return analyzeStudy({ study, suite, run: RUN, results, grade: scriptedGrade().grade }).report;
}

const range = (count: number, correctBelow: number) =>
  Array.from({ length: count }, (_, index) => index < correctBelow);

describe("the reference study's primary comparison", () => {
  // 110 cases; r1 correct on 52, base on 44 (the same 44): b = 8, c = 0. Two more models answer as base.
  const script: Script = { r1: range(110, 52), base: range(110, 44), m3: range(110, 44), m4: range(110, 44) };

  it("gives exact p = 0.0078125 with a 99% interval at alpha 0.01, significant when declared alone", () => {
    // Rscript -e 'binom.test(8, 8)$p.value' = 0.0078125
    // Newcombe method 10 at 0.99 (R, the formula of paired-difference.test.ts): newc(44, 8, 0, 58, 0.99)
    //   = 0.072727272727272724 0.0054027545892877255 0.13817580596964385
    const report = analyze(script, {
      alpha: 0.01,
      compare: [{ a: "r1", b: "base", primary: true }, ["r1", "m3"], ["r1", "m4"], ["base", "m3"]],
    });
    expect(report.study.level).toBe(0.99);
    const [primary, ...exploratory] = report.comparisons;
    expect(primary).toEqual({
      a: "r1",
      b: "base",
      n: 110,
      excluded: 0,
      bothCorrect: 44,
      aOnly: 8,
      bOnly: 0,
      neither: 58,
      difference: {
        estimate: closeTo(0.072727272727272724),
        lower: closeTo(0.0054027545892877255, 1e-10),
        upper: closeTo(0.13817580596964385, 1e-10),
        method: "newcombe",
        level: 0.99,
      },
      mcnemar: { exactP: 0.0078125, midP: 0.00390625 },
      role: "primary",
      test: "mcnemar-exact",
      p: 0.0078125,
      adjustedP: 0.0078125,
      adjustment: "holm",
      significant: true,
    });
    expect(exploratory.map((c) => [c.role, c.p, c.adjustedP, c.adjustment, c.significant])).toEqual([
      ["exploratory", 0.0078125, 0.0078125, "none", true],
      ["exploratory", 0.0078125, 0.0078125, "none", true],
      ["exploratory", 1, 1, "none", false],
    ]);
  });

  it("loses significance when all six pairs form the family (Holm)", () => {
    // Rscript -e 'p.adjust(c(0.0078125, 0.0078125, 0.0078125, 1, 1, 1), "holm")': 0.046875 for the first three.
    const report = analyze(script, { alpha: 0.01 });
    expect(report.comparisons.map((c) => [c.a, c.b, c.role, c.adjustedP, c.significant])).toEqual([
      ["r1", "base", "primary", 0.046875, false],
      ["r1", "m3", "primary", 0.046875, false],
      ["r1", "m4", "primary", 0.046875, false],
      ["base", "m3", "primary", 1, false],
      ["base", "m4", "primary", 1, false],
      ["m3", "m4", "primary", 1, false],
    ]);
  });

  it("adjusts the primary family with the study's method and follows an explicit confidence", () => {
    // Rscript -e 'p.adjust(c(0.0078125, 0.0078125), "bonferroni")' = 0.015625 0.015625
    const report = analyze(script, {
      alpha: 0.01,
      confidence: 0.9,
      adjust: "bonferroni",
      compare: [
        { a: "r1", b: "base", primary: true },
        { a: "r1", b: "m3", primary: true },
      ],
    });
    expect(report.study).toMatchObject({ level: 0.9, adjust: "bonferroni" });
    expect(
      report.comparisons.map((c) => [c.adjustedP, c.adjustment, c.significant, c.difference?.level]),
    ).toEqual([
      [0.015625, "bonferroni", false, 0.9],
      [0.015625, "bonferroni", false, 0.9],
    ]);
    expect(report.models[0].accuracy?.level).toBe(0.9);
  });
});

describe("declared subgroup fields and interactions", () => {
  // Frequent c1–c6: both 3, A only 0, B only 2, neither 1. Rare c7–c12: A only 5, neither 1.
  const script: Script = {
    A: [true, true, true, false, false, false, true, true, true, true, true, false],
    B: [true, true, true, true, true, false, false, false, false, false, false, false],
  };
  const incidence = (index: number) => ({ incidence: index < 6 ? "frequent" : "rare" });

  it("contrasts the paired differences of the strata and tests the discordant split", () => {
    // Differences: frequent (0 − 2)/6, rare (5 − 0)/6; rare − frequent = 7/6. MOVER from the strata's
    // Newcombe 95% limits (tested against R in stats/): L = 7/6 − √((d_r − l_r)² + (u_f − d_f)²),
    // U = 7/6 + √((u_r − d_r)² + (d_f − l_f)²).
    // Rscript -e 'fisher.test(matrix(c(0, 5, 2, 0), 2))$p.value' = 0.047619047619047609
    const report = analyze(script, { subgroups: ["incidence"] }, incidence);
    const frequent = pairedDifference({ a: 3, b: 0, c: 2, d: 1 });
    const rare = pairedDifference({ a: 0, b: 5, c: 0, d: 1 });
    expect(report.interactions).toEqual([
      {
        field: "incidence",
        a: "A",
        b: "B",
        role: "exploratory",
        strata: [
          { value: "frequent", n: 6, bothCorrect: 3, aOnly: 0, bOnly: 2, neither: 1, difference: frequent },
          { value: "rare", n: 6, bothCorrect: 0, aOnly: 5, bOnly: 0, neither: 1, difference: rare },
        ],
        contrasts: [
          {
            value: "rare",
            reference: "frequent",
            estimate: closeTo(7 / 6),
            lower: closeTo(
              7 / 6 - Math.hypot(rare.estimate - rare.lower, frequent.upper - frequent.estimate),
            ),
            upper: closeTo(
              7 / 6 + Math.hypot(rare.upper - rare.estimate, frequent.estimate - frequent.lower),
            ),
            method: "mover-newcombe",
            level: 0.95,
          },
        ],
        test: { method: "fisher-exact", statistic: null, df: 1 },
        p: closeTo(0.047619047619047609),
        adjustedP: closeTo(0.047619047619047609),
        adjustment: "none",
        significant: true,
      },
    ]);
    expect(report.subgroups.flatMap((stratum) => stratum.comparisons.map((c) => c.role))).toEqual([
      "exploratory",
      "exploratory",
    ]);
  });

  it("puts a declared field's stratum comparisons and interaction in the primary family", () => {
    // Family: overall (A 8/12 vs B 5/12: b = 5, c = 2, exact p = 2·(1 + 7 + 21)/128 = 0.453125), frequent
    // (b = 0, c = 2: p = 0.5), rare (b = 5, c = 0: p = 0.0625), interaction 0.047619047619047609.
    // Rscript -e 'p.adjust(c(0.453125, 0.5, 0.0625, 0.047619047619047609), "holm")'
    //   = 0.90625 0.90625 0.19047619047619044 0.19047619047619044 (Holm keeps adjusted p monotone)
    const report = analyze(script, { subgroups: ["incidence"], primarySubgroups: ["incidence"] }, incidence);
    expect(report.comparisons.map((c) => [c.role, c.p, c.adjustedP])).toEqual([
      ["primary", 0.453125, 0.90625],
    ]);
    expect(
      report.subgroups.map((stratum) => stratum.comparisons.map((c) => [c.role, c.p, c.adjustedP])),
    ).toEqual([[["primary", 0.5, 0.90625]], [["primary", 0.0625, closeTo(0.19047619047619044)]]]);
    expect(report.interactions.map((i) => [i.role, i.adjustedP, i.significant])).toEqual([
      ["primary", closeTo(0.19047619047619044), false],
    ]);
    expect(report.study.primarySubgroups).toEqual(["incidence"]);
  });
});

describe("the missing-answer sensitivity table", () => {
  it("repeats the accuracies and comparisons with errors as incorrect and with truncated answers left out", () => {
    const report = analyze(
      {
        A: [true, true, "truncated", "error", false, true],
        B: [true, false, true, true, "error", "truncated"],
      },
      {},
    );
    const wilson = (x: number, n: number) => {
      const z = 1.959963984540054;
      const center = (x + (z * z) / 2) / (n + z * z);
      const half = (z / (n + z * z)) * Math.sqrt((x * (n - x)) / n + (z * z) / 4);
      return {
        estimate: closeTo(x / n),
        lower: closeTo(center - half),
        upper: closeTo(center + half),
        method: "wilson",
        level: 0.95,
      };
    };
    const newcombe = (a: number, b: number, c: number, d: number) => pairedDifference({ a, b, c, d });
    // Primary: A answered c1 c2 c3 c5 c6, correct c1 c2 c6 → 3/5; B answered all but c5, correct c1 c3 c4 → 3/5.
    //   Pair on c1 c2 c3 c6: both c1; A only c2 c6; B only c3 → exact p = 2·P(X ≤ 1), X ~ Bin(3, ½) = 1.
    // Errors as incorrect: A 3/6, B 3/6; pair on all six: both c1; A only c2 c6; B only c3 c4; neither c5 → p 1.
    // Truncated left out: A c1 c2 c5 c6 → 3/4; B c1 c2 c3 c4 → 3/4; pair on c1 c2: both c1, A only c2 → p 1.
    const row = (a: number, b: number, c: number, d: number) => ({
      a: "A",
      b: "B",
      n: a + b + c + d,
      difference: newcombe(a, b, c, d),
      test: "mcnemar-exact",
      p: 1,
      adjustedP: 1,
      role: "primary",
      significant: false,
    });
    expect(report.sensitivity).toEqual([
      {
        analysis: "primary",
        description: expect.stringContaining("As declared"),
        models: [
          { id: "A", n: 5, correct: 3, accuracy: wilson(3, 5) },
          { id: "B", n: 5, correct: 3, accuracy: wilson(3, 5) },
        ],
        comparisons: [row(1, 2, 1, 0)],
      },
      {
        analysis: "errors-as-incorrect",
        description: expect.stringContaining("counted as incorrect"),
        models: [
          { id: "A", n: 6, correct: 3, accuracy: wilson(3, 6) },
          { id: "B", n: 6, correct: 3, accuracy: wilson(3, 6) },
        ],
        comparisons: [row(1, 2, 2, 1)],
      },
      {
        analysis: "truncated-excluded",
        description: expect.stringContaining("left out of n"),
        models: [
          { id: "A", n: 4, correct: 3, accuracy: wilson(3, 4) },
          { id: "B", n: 4, correct: 3, accuracy: wilson(3, 4) },
        ],
        comparisons: [row(1, 1, 0, 0)],
      },
    ]);
  });
});
