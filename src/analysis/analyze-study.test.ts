import { describe, expect, it } from "vitest";
import { InputError } from "../core/errors.ts";
import { pairedDifference } from "../stats/index.ts";
import {
  answered,
  correctAt,
  diagnosisCase,
  failed,
  fuzzyAt,
  incorrect,
  makeStudy,
  makeSuite,
  RUN,
  scriptedGrade,
  truncatedWithMatch,
  unparseable,
} from "./analysis.test-support.ts";
import { analyzeStudy } from "./analyze-study.ts";
import { topRanks } from "./diagnosis-measures.ts";
import type { Comparison, Proportion } from "./report-types.ts";

// Wilson score interval written out independently: (x + z²/2 ± z·√(x(n − x)/n + z²/4)) / (n + z²).
const Z = 1.959963984540054;
function wilson(x: number, n: number): Proportion {
  const center = (x + (Z * Z) / 2) / (n + Z * Z);
  const half = (Z / (n + Z * Z)) * Math.sqrt((x * (n - x)) / n + (Z * Z) / 4);
  return { x, n, estimate: x / n, lower: center - half, upper: center + half, method: "wilson", level: 0.95 };
}

/** Rounds every number in a value to 10 decimals, so that floating-point noise does not matter. */
function rounded<T>(value: T): T {
  return JSON.parse(JSON.stringify(value), (_key, item) =>
    typeof item === "number" ? Math.round(item * 1e10) / 1e10 : item,
  ) as T;
}

/** The difference block for a hand-counted 2×2 table (the interval itself is tested in stats/). */
function newcombe(a: number, b: number, c: number, d: number): Comparison["difference"] {
  return pairedDifference({ a, b, c, d }, { method: "newcombe", level: 0.95 });
}

const FAILURE_503 = { failure: "http" as const, status: 503, message: "Service Unavailable", attempts: 5 };

/*
 * Twelve cases, three models (k = 5). Incidence: c1–c6 frequent, c7–c11 rare, c12 has none.
 *
 *  case | A              | B               | C
 *  c1   | correct @1     | correct @1      | correct @4 (an error first, then an answer on resume)
 *  c2   | correct @1     | incorrect       | incorrect
 *  c3   | correct @3     | fuzzy @4        | incorrect
 *  c4   | correct @2     | incorrect       | (never run)
 *  c5   | correct @5     | incorrect       | incorrect
 *  c6   | correct @1     | unparseable     | incorrect
 *  c7   | fuzzy @2       | incorrect       | correct @1
 *  c8   | truncated (@1) | incorrect       | incorrect
 *  c9   | error 503      | correct @3      | correct @1
 *  c10  | correct @2     | correct @1      | correct @2
 *  c11  | incorrect      | incorrect       | incorrect
 *  c12  | correct @1     | correct @2      | correct @1
 */
function scenario() {
  const incidence = (index: number) => (index <= 6 ? "frequent" : index <= 11 ? "rare" : undefined);
  const cases = Array.from({ length: 12 }, (_, index) =>
    diagnosisCase(`c${index + 1}`, incidence(index + 1) ? { incidence: incidence(index + 1) } : {}),
  );
  const study = makeStudy({
    models: [
      { id: "A", provider: "ollama", model: "model-a:8b", params: { temperature: 0.6, seed: 7 } },
      { id: "B", provider: "openai", model: "model-b" },
      { id: "C", provider: "llama-cpp", model: "hf:org/model-c" },
    ],
    alpha: 0.1,
    // The intervals here are worked out at 95%; without this they would follow alpha (90%).
    confidence: 0.95,
    subgroups: ["incidence"],
  });
  const aGrades = [
    correctAt(1),
    correctAt(1),
    correctAt(3),
    correctAt(2),
    correctAt(5),
    correctAt(1),
    fuzzyAt(2),
  ];
  const results = [
    // A: latency 100·case number, 10 prompt and 20 completion tokens each, reasoning never reported.
    ...aGrades.map((grade, index) =>
      answered("A", `c${index + 1}`, grade, {
        latencyMs: 100 * (index + 1),
        tokens: { prompt: 10, completion: 20, reasoning: null },
        digest: "sha256:aaaa",
      }),
    ),
    answered("A", "c8", truncatedWithMatch(1), {
      latencyMs: 800,
      tokens: { prompt: 10, completion: 20, reasoning: null },
    }),
    failed("A", "c9", FAILURE_503),
    ...[correctAt(2), incorrect(), correctAt(1)].map((grade, index) =>
      answered("A", `c${index + 10}`, grade, {
        latencyMs: 100 * (index + 10),
        tokens: { prompt: 10, completion: 20, reasoning: null },
      }),
    ),
    // B: latency 50 each; 10 prompt and 5 completion tokens each; 7 reasoning tokens reported once (c1).
    ...[
      correctAt(1),
      incorrect(),
      fuzzyAt(4),
      incorrect(),
      incorrect(),
      unparseable(),
      incorrect(),
      incorrect(),
      correctAt(3),
      correctAt(1),
      incorrect(),
      correctAt(2),
    ].map((grade, index) =>
      answered("B", `c${index + 1}`, grade, {
        latencyMs: 50,
        tokens: { prompt: 10, completion: 5, reasoning: index === 0 ? 7 : null },
      }),
    ),
    // C: c1 failed, then answered when the run was resumed; c4 never ran; no token counts.
    failed("C", "c1", { failure: "connection", message: "ECONNREFUSED", attempts: 1 }),
    answered("C", "c1", correctAt(4), { latencyMs: 2000 }),
    ...[incorrect(), incorrect()].map((grade, index) =>
      answered("C", `c${index + 2}`, grade, { latencyMs: 2000 }),
    ),
    ...[
      incorrect(),
      incorrect(),
      correctAt(1),
      incorrect(),
      correctAt(1),
      correctAt(2),
      incorrect(),
      correctAt(1),
    ].map((grade, index) => answered("C", `c${index + 5}`, grade, { latencyMs: 2000 })),
  ];
  return { study, suite: makeSuite(cases), results };
}

describe("analyzeStudy on scripted results", () => {
  const { study, suite, results } = scenario();
  const fake = scriptedGrade();
  const { report, details } = analyzeStudy({ study, suite, run: RUN, results, grade: fake.grade });

  it("grades every answered job once, in model, case, sample order, and never an error", () => {
    const expected = [
      ...["c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c10", "c11", "c12"].map((id) => `A ${id}`),
      ...Array.from({ length: 12 }, (_, index) => `B c${index + 1}`),
      ...["c1", "c2", "c3", "c5", "c6", "c7", "c8", "c9", "c10", "c11", "c12"].map((id) => `C ${id}`),
    ];
    expect(fake.calls).toEqual(expected);
  });

  it("summarises model A: errors excluded from n, truncated never counted, fuzzy only when lenient", () => {
    // n = 12 − 1 error = 11. Correct: c1 c2 c3 c4 c5 c6 c10 c12 = 8; incorrect: c7 (fuzzy), c11; truncated: c8.
    // Lenient adds c7 (fuzzy at rank 2): 9/11. Truncated c8 listed a match at rank 1 but counts nowhere.
    // Top-1: c1 c2 c6 c12 = 4; top-3: + c3 (3), c4 (2), c10 (2) = 7; top-5: + c5 = 8.
    // Lenient top-3 and top-5 add c7: 8 and 9.
    // MRR = (1 + 1 + 1/3 + 1/2 + 1/5 + 1 + 1/2 + 1) / 11 = 5.5333… / 11; lenient adds 1/2: 6.0333… / 11.
    // Latency of the 11 answers: 100…800, 1000, 1100, 1200. Type 7: p50 at position 10·0.5 = 5 → 600;
    // p95 at 10·0.95 = 9.5 → halfway between 1100 and 1200 = 1150.
    // Tokens: 11 × 10 prompt = 110, 11 × 20 completion = 220, reasoning never reported → null.
    expect(rounded(report.models[0])).toEqual(
      rounded({
        id: "A",
        provider: "ollama",
        model: "model-a:8b",
        digest: "sha256:aaaa",
        params: { temperature: 0.6, seed: 7 },
        n: 11,
        outcomes: { correct: 8, incorrect: 2, unparseable: 0, truncated: 1, error: 1 },
        grading: "strict",
        accuracy: wilson(8, 11),
        strictAccuracy: wilson(8, 11),
        lenientAccuracy: wilson(9, 11),
        latencyMs: { p50: 600, p95: 1150 },
        tokens: { prompt: 110, completion: 220, reasoning: null },
        topk: { "1": wilson(4, 11), "3": wilson(7, 11), "5": wilson(8, 11) },
        lenientTopk: { "1": wilson(4, 11), "3": wilson(8, 11), "5": wilson(9, 11) },
        mrr: (4 + 1 / 3 + 1 / 2 + 1 / 5 + 1 / 2) / 11,
        lenientMrr: (4 + 1 / 3 + 1 / 2 + 1 / 5 + 1 / 2 + 1 / 2) / 11,
        needsReview: 1,
      }),
    );
  });

  it("summarises models B and C", () => {
    // B: n = 12; correct c1 c9 c10 c12 = 4; unparseable c6; incorrect the other 7. Lenient adds c3 (fuzzy @4).
    // Top-1: c1 c10 = 2; top-3: + c9 (3), c12 (2) = 4. MRR = (1 + 1/3 + 1 + 1/2)/12; lenient + 1/4.
    // Tokens: 12 × 10, 12 × 5, reasoning only c1 = 7.
    expect(rounded(report.models[1])).toEqual(
      rounded({
        id: "B",
        provider: "openai",
        model: "model-b",
        digest: null,
        params: {},
        n: 12,
        outcomes: { correct: 4, incorrect: 7, unparseable: 1, truncated: 0, error: 0 },
        grading: "strict",
        accuracy: wilson(4, 12),
        strictAccuracy: wilson(4, 12),
        lenientAccuracy: wilson(5, 12),
        latencyMs: { p50: 50, p95: 50 },
        tokens: { prompt: 120, completion: 60, reasoning: 7 },
        topk: { "1": wilson(2, 12), "3": wilson(4, 12), "5": wilson(4, 12) },
        lenientTopk: { "1": wilson(2, 12), "3": wilson(4, 12), "5": wilson(5, 12) },
        mrr: (1 + 1 / 3 + 1 + 1 / 2) / 12,
        lenientMrr: (1 + 1 / 3 + 1 + 1 / 2 + 1 / 4) / 12,
        needsReview: 1,
      }),
    );
    // C: c4 never ran → n = 11; correct c1 (@4) c7 c9 c10 (@2) c12 = 5; top-1: c7 c9 c12 = 3; top-3: + c10 = 4.
    // MRR = (1/4 + 1 + 1 + 1/2 + 1)/11. No token counts at all → null.
    expect(rounded(report.models[2])).toEqual(
      rounded({
        id: "C",
        provider: "llama-cpp",
        model: "hf:org/model-c",
        digest: null,
        params: {},
        n: 11,
        outcomes: { correct: 5, incorrect: 6, unparseable: 0, truncated: 0, error: 1 },
        grading: "strict",
        accuracy: wilson(5, 11),
        strictAccuracy: wilson(5, 11),
        lenientAccuracy: wilson(5, 11),
        latencyMs: { p50: 2000, p95: 2000 },
        tokens: { prompt: null, completion: null, reasoning: null },
        topk: { "1": wilson(3, 11), "3": wilson(4, 11), "5": wilson(5, 11) },
        lenientTopk: { "1": wilson(3, 11), "3": wilson(4, 11), "5": wilson(5, 11) },
        mrr: 3.75 / 11,
        lenientMrr: 3.75 / 11,
        needsReview: 0,
      }),
    );
  });

  it("compares every pair on the cases both answered, with exact and mid-p McNemar and Holm", () => {
    // A vs B, without c9 (A failed), 11 cases: both c1 c10 c12 = 3; A only c2 c3 c4 c5 c6 = 5; B only none;
    //   neither c7 c8 c11 = 3. Exact p = 2·P(X ≤ 0), X ~ Bin(5, ½) = 2/32 = 0.0625; mid-p = 1/32.
    // A vs C, without c4 (C never ran) and c9, 10 cases: both c1 c10 c12 = 3; A only c2 c3 c5 c6 = 4;
    //   C only c7 = 1; neither c8 c11 = 2. Exact p = 2·(1 + 5)/32 = 0.375; mid-p = 2·1/32 + 5/32 = 7/32.
    // B vs C, without c4, 11 cases: both c1 c9 c10 c12 = 4; B only none; C only c7 = 1; neither c2 c3 c5 c6
    //   c8 c11 = 6. Exact p = min(1, 2·½) = 1; mid-p = ½.
    // Holm on (0.0625, 0.375, 1): 3·0.0625 = 0.1875; max(0.1875, 2·0.375) = 0.75; max(0.75, 1·1) = 1.
    // Alpha 0.1: A vs B is below alpha unadjusted (0.0625) but not after Holm (0.1875).
    expect(rounded(report.comparisons)).toEqual(
      rounded([
        {
          a: "A",
          b: "B",
          n: 11,
          excluded: 1,
          bothCorrect: 3,
          aOnly: 5,
          bOnly: 0,
          neither: 3,
          difference: newcombe(3, 5, 0, 3),
          mcnemar: { exactP: 0.0625, midP: 1 / 32 },
          role: "primary",
          test: "mcnemar-exact",
          p: 0.0625,
          adjustedP: 0.1875,
          adjustment: "holm",
          significant: false,
        },
        {
          a: "A",
          b: "C",
          n: 10,
          excluded: 2,
          bothCorrect: 3,
          aOnly: 4,
          bOnly: 1,
          neither: 2,
          difference: newcombe(3, 4, 1, 2),
          mcnemar: { exactP: 0.375, midP: 7 / 32 },
          role: "primary",
          test: "mcnemar-exact",
          p: 0.375,
          adjustedP: 0.75,
          adjustment: "holm",
          significant: false,
        },
        {
          a: "B",
          b: "C",
          n: 11,
          excluded: 1,
          bothCorrect: 4,
          aOnly: 0,
          bOnly: 1,
          neither: 6,
          difference: newcombe(4, 0, 1, 6),
          mcnemar: { exactP: 1, midP: 0.5 },
          role: "primary",
          test: "mcnemar-exact",
          p: 1,
          adjustedP: 1,
          adjustment: "holm",
          significant: false,
        },
      ]),
    );
    // The difference is p_A − p_B on the pair's cases: (5 − 0)/11, (4 − 1)/10, (0 − 1)/11.
    expect(report.comparisons.map((comparison) => comparison.difference?.estimate)).toEqual([
      5 / 11,
      3 / 10,
      -1 / 11,
    ]);
  });

  it("lists every job without an answer and marks the run incomplete", () => {
    expect(report.errors).toEqual([
      { model: "A", case: "c9", sample: 0, cause: "http 503: Service Unavailable (after 5 attempts)" },
      { model: "C", case: "c4", sample: 0, cause: "no result: the job has not run yet" },
    ]);
    expect(report.run).toEqual({ ...RUN, complete: false });
  });

  it("repeats the analysis per subgroup value, in order of first appearance, exploratory and unadjusted", () => {
    expect(report.subgroups.map(({ field, value, cases }) => ({ field, value, cases }))).toEqual([
      { field: "incidence", value: "frequent", cases: 6 },
      { field: "incidence", value: "rare", cases: 5 },
      { field: "incidence", value: "(missing)", cases: 1 },
    ]);
    const [frequent, rare, missing] = report.subgroups;
    // Frequent (c1–c6): A 6/6; B c1 → 1/6 (lenient + c3: 2/6); C c1 of 5 answered (c4 never ran) → 1/5.
    expect(
      frequent.models.map((model) => [model.id, model.n, model.accuracy?.x, model.lenientAccuracy?.x]),
    ).toEqual([
      ["A", 6, 6, 6],
      ["B", 6, 1, 2],
      ["C", 5, 1, 1],
    ]);
    expect(rounded(frequent.models[0].accuracy)).toEqual(rounded(wilson(6, 6)));
    // A vs B: both c1, A only c2–c6 = 5 → p = 2/32. A vs C without c4: both c1, A only c2 c3 c5 c6 = 4 →
    // p = 2/16 = 0.125. B vs C without c4: both c1, neither 4 → p = 1, mid-p undefined.
    // Holm on (0.0625, 0.125, 1): 0.1875; max(0.1875, 0.25) = 0.25; 1.
    expect(
      frequent.comparisons.map((c) => [
        c.a,
        c.b,
        c.n,
        c.excluded,
        c.bothCorrect,
        c.aOnly,
        c.bOnly,
        c.neither,
      ]),
    ).toEqual([
      ["A", "B", 6, 0, 1, 5, 0, 0],
      ["A", "C", 5, 1, 1, 4, 0, 0],
      ["B", "C", 5, 1, 1, 0, 0, 4],
    ]);
    // No subgroup field is declared: every stratum comparison is exploratory, its p left unadjusted.
    expect(
      rounded(frequent.comparisons.map((c) => [c.mcnemar, c.role, c.adjustedP, c.adjustment, c.significant])),
    ).toEqual(
      rounded([
        [{ exactP: 0.0625, midP: 1 / 32 }, "exploratory", 0.0625, "none", true],
        [{ exactP: 0.125, midP: 1 / 16 }, "exploratory", 0.125, "none", false],
        [{ exactP: 1, midP: null }, "exploratory", 1, "none", false],
      ]),
    );
    // Rare (c7–c11): A answered 4 (c9 failed), correct c10 → 1/4, lenient + c7 → 2/4; B c9 c10 → 2/5; C c7 c9 c10 → 3/5.
    expect(
      rare.models.map((model) => [model.id, model.n, model.accuracy?.x, model.lenientAccuracy?.x]),
    ).toEqual([
      ["A", 4, 1, 2],
      ["B", 5, 2, 2],
      ["C", 5, 3, 3],
    ]);
    expect(rare.models[0].outcomes).toEqual({
      correct: 1,
      incorrect: 2,
      unparseable: 0,
      truncated: 1,
      error: 1,
    });
    expect(
      rare.comparisons.map((c) => [c.n, c.bothCorrect, c.aOnly, c.bOnly, c.neither, c.adjustedP]),
    ).toEqual([
      [4, 1, 0, 0, 3, 1],
      [4, 1, 0, 1, 2, 1],
      [5, 2, 0, 1, 2, 1],
    ]);
    // (missing): c12 only, every model correct.
    expect(missing.models.map((model) => [model.n, model.accuracy?.x])).toEqual([
      [1, 1],
      [1, 1],
      [1, 1],
    ]);
    expect(missing.comparisons.map((c) => c.difference)).toEqual([
      newcombe(1, 0, 0, 0),
      newcombe(1, 0, 0, 0),
      newcombe(1, 0, 0, 0),
    ]);
  });

  it("gives one row per model × case with the grade, the answer, the error and the subgroup values", () => {
    expect(details.rows).toHaveLength(36);
    expect(details.rows[6]).toEqual({
      model: "A",
      case: "c7",
      sample: 0,
      outcome: "incorrect",
      rung: null,
      rank: null,
      lenientRank: 2,
      needsReview: true,
      answers: ["near one", "near two", "near three", "near four"],
      reference: "Diagnosis of c7",
      suggestion: { answer: "near miss", reference: "the reference", similarity: 0.84 },
      latencyMs: 700,
      tokens: { prompt: 10, completion: 20, reasoning: null },
      error: null,
      subgroups: { incidence: "rare" },
      errorModes: [],
    });
    expect(details.rows[8]).toEqual({
      model: "A",
      case: "c9",
      sample: 0,
      outcome: "error",
      rung: null,
      rank: null,
      lenientRank: null,
      needsReview: null,
      answers: [],
      reference: "Diagnosis of c9",
      suggestion: null,
      latencyMs: null,
      tokens: { prompt: null, completion: null, reasoning: null },
      error: "http 503: Service Unavailable (after 5 attempts)",
      subgroups: { incidence: "rare" },
      errorModes: [],
    });
    expect(details.rows[11].subgroups).toEqual({ incidence: null });
  });

  it("writes the study block of the contract", () => {
    expect(report.schema).toBe("clinval.report/v1");
    expect(report.study).toEqual({
      name: "scripted-study",
      task: "diagnosis",
      topK: 5,
      alpha: 0.1,
      level: 0.95,
      adjust: "holm",
      primarySubgroups: [],
      samples: 1,
      grading: "strict",
      subgroups: ["incidence"],
      suite: { id: "scripted", cases: 12, sha256: "0".repeat(64) },
    });
  });
});

describe("analyzeStudy with lenient grading as primary", () => {
  it("counts fuzzy suggestions as correct in accuracy and in the comparisons", () => {
    const { study, suite, results } = scenario();
    const { report } = analyzeStudy({
      study,
      suite,
      run: RUN,
      results,
      grade: scriptedGrade().grade,
      primary: "lenient",
    });
    expect(rounded(report.models.map((model) => [model.grading, model.accuracy]))).toEqual(
      rounded([
        ["lenient", wilson(9, 11)],
        ["lenient", wilson(5, 12)],
        ["lenient", wilson(5, 11)],
      ]),
    );
    // A vs B lenient, 11 cases: A gains c7, B gains c3. Both c1 c3 c10 c12 = 4; A only c2 c4 c5 c6 c7 = 5;
    // B only none; neither c8 c11 = 2.
    const first = report.comparisons[0];
    expect([first.bothCorrect, first.aOnly, first.bOnly, first.neither]).toEqual([4, 5, 0, 2]);
    expect(report.study.grading).toBe("lenient");
  });
});

describe("analyzeStudy with several samples", () => {
  it("uses sample 0 for the primary analysis and pools every sample separately", () => {
    const study = makeStudy({ models: [{ id: "A", provider: "ollama", model: "a" }], samples: 3 });
    const suite = makeSuite([diagnosisCase("c1"), diagnosisCase("c2")]);
    // Sample 0: c1 correct, c2 incorrect → 1/2. All samples: c1 ✓ ✓ ✗, c2 ✗ ✓ (third failed) → 3/5.
    const results = [
      answered("A", "c1", correctAt(1), { sample: 0 }),
      answered("A", "c1", correctAt(2), { sample: 1 }),
      answered("A", "c1", incorrect(), { sample: 2 }),
      answered("A", "c2", incorrect(), { sample: 0 }),
      answered("A", "c2", correctAt(1), { sample: 1 }),
      failed("A", "c2", FAILURE_503, 2),
    ];
    const fake = scriptedGrade();
    const { report, details } = analyzeStudy({ study, suite, run: RUN, results, grade: fake.grade });
    expect(fake.calls).toEqual(["A c1", "A c1", "A c1", "A c2", "A c2"]);
    expect(rounded(report.models[0].accuracy)).toEqual(rounded(wilson(1, 2)));
    // Per case: c1 2/3, c2 1/2 (the failed sample left out); mean 7/12. Resampling two cases gives only
    // 1/2, 7/12 and 2/3 (a quarter, a half, a quarter of the 2000 resamples), so the 95% limits sit at the
    // extremes. Same-case pairs: c1 has 3 (2 disagree: x(m − x) = 2·1), c2 has 1 (it disagrees) → 3/4.
    expect(rounded(report.models[0].samples)).toEqual(
      rounded({
        count: 3,
        n: 5,
        accuracy: wilson(3, 5),
        cases: 2,
        perCase: {
          estimate: 7 / 12,
          lower: 0.5,
          upper: 2 / 3,
          method: "cluster-bootstrap-bca",
          level: 0.95,
          replicates: 2000,
          seed: 1,
        },
        flips: { cases: 2, pairs: 4, discordantPairs: 3, rate: 0.75 },
      }),
    );
    expect(details.rows.map((row) => `${row.case}/${row.sample}/${row.outcome}`)).toEqual([
      "c1/0/correct",
      "c1/1/correct",
      "c1/2/incorrect",
      "c2/0/incorrect",
      "c2/1/correct",
      "c2/2/error",
    ]);
    expect(report.errors).toEqual([
      { model: "A", case: "c2", sample: 2, cause: "http 503: Service Unavailable (after 5 attempts)" },
    ]);
    expect(report.run.complete).toBe(false);
  });
});

describe("analyzeStudy edge cases", () => {
  const study = makeStudy({
    models: [
      { id: "A", provider: "ollama", model: "a" },
      { id: "B", provider: "ollama", model: "b" },
    ],
  });
  const suite = makeSuite([diagnosisCase("c1")]);

  it("reports a complete run as complete, and a run the runner did not finish as incomplete", () => {
    const results = [answered("A", "c1", correctAt(1)), answered("B", "c1", incorrect())];
    const grade = scriptedGrade().grade;
    expect(analyzeStudy({ study, suite, run: RUN, results, grade }).report.run.complete).toBe(true);
    const unfinished = { ...RUN, finishedAt: null, complete: false };
    expect(analyzeStudy({ study, suite, run: unfinished, results, grade }).report.run).toEqual(unfinished);
  });

  it("gives null estimates, not NaN, when a model has no answer at all", () => {
    const results = [failed("A", "c1", FAILURE_503), answered("B", "c1", incorrect())];
    const { report } = analyzeStudy({ study, suite, run: RUN, results, grade: scriptedGrade().grade });
    const [first] = report.models;
    expect([first.n, first.accuracy, first.mrr, first.topk, first.latencyMs]).toEqual([
      0,
      null,
      null,
      { "1": null, "3": null, "5": null },
      { p50: null, p95: null },
    ]);
    expect(report.comparisons[0]).toEqual({
      a: "A",
      b: "B",
      n: 0,
      excluded: 1,
      bothCorrect: 0,
      aOnly: 0,
      bOnly: 0,
      neither: 0,
      difference: null,
      mcnemar: { exactP: 1, midP: null },
      role: "primary",
      test: "mcnemar-exact",
      p: 1,
      adjustedP: 1,
      adjustment: "holm",
      significant: false,
    });
  });

  it("takes the digest from the identities the caller passes", () => {
    const results = [
      answered("A", "c1", correctAt(1), { digest: "sha256:from-answer" }),
      answered("B", "c1", incorrect()),
    ];
    const identities = new Map([["A", { provider: "ollama", model: "a", digest: "sha256:from-identity" }]]);
    const { report } = analyzeStudy({
      study,
      suite,
      run: RUN,
      results,
      grade: scriptedGrade().grade,
      identities,
    });
    expect(report.models.map((model) => model.digest)).toEqual(["sha256:from-identity", null]);
  });

  it("rejects results that do not belong to the study", () => {
    const grade = scriptedGrade().grade;
    const unknownModel = [answered("Z", "c1", correctAt(1))];
    expect(() => analyzeStudy({ study, suite, run: RUN, results: unknownModel, grade })).toThrow(InputError);
    const unknownCase = [answered("A", "c404", correctAt(1))];
    expect(() => analyzeStudy({ study, suite, run: RUN, results: unknownCase, grade })).toThrow(
      'result for case "c404", which is not in suite scripted',
    );
    const badSample = [answered("A", "c1", correctAt(1), { sample: 1 })];
    expect(() => analyzeStudy({ study, suite, run: RUN, results: badSample, grade })).toThrow(
      "sample 1 is outside 0…0",
    );
  });

  it("compares only the pairs the study names", () => {
    const three = makeStudy({
      models: [
        { id: "A", provider: "ollama", model: "a" },
        { id: "B", provider: "ollama", model: "b" },
        { id: "C", provider: "ollama", model: "c" },
      ],
      compare: [["C", "A"]],
    });
    const results = ["A", "B", "C"].map((id) => answered(id, "c1", correctAt(1)));
    const { report } = analyzeStudy({ study: three, suite, run: RUN, results, grade: scriptedGrade().grade });
    expect(report.comparisons.map((comparison) => [comparison.a, comparison.b])).toEqual([["C", "A"]]);
  });

  it("analyses a triage study by outcome, with a classification block instead of rank measures", () => {
    const triage = makeStudy({ task: "triage", models: study.models });
    const labelled = makeSuite([diagnosisCase("c1", { label: "urgent" })]);
    const triageGrade = (outcome: string, predicted: string) =>
      ({ outcome, predicted }) as unknown as ReturnType<typeof correctAt>;
    const results = [
      answered("A", "c1", triageGrade("correct", "urgent")),
      answered("B", "c1", triageGrade("incorrect", "routine")),
    ];
    const { report, details } = analyzeStudy({
      study: triage,
      suite: labelled,
      run: RUN,
      results,
      grade: scriptedGrade().grade,
    });
    expect(Object.keys(report.models[0]).sort()).toEqual(
      [
        "id",
        "provider",
        "model",
        "digest",
        "params",
        "n",
        "outcomes",
        "grading",
        "accuracy",
        "strictAccuracy",
        "lenientAccuracy",
        "latencyMs",
        "tokens",
        "classification",
      ].sort(),
    );
    expect([details.rows[0].rank, details.rows[0].reference, details.rows[0].predicted]).toEqual([
      null,
      "urgent",
      "urgent",
    ]);
  });
});

describe("topRanks", () => {
  it("reports top-1, top-3 and top-k, none above k and none twice", () => {
    expect([1, 2, 3, 5, 10].map(topRanks)).toEqual([[1], [1, 2], [1, 3], [1, 3, 5], [1, 3, 10]]);
  });
});
