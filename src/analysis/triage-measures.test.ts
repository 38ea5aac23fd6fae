import { describe, expect, it } from "vitest";
import type { Suite, TriageCase } from "../core/case.ts";
import type { Completion } from "../core/chat.ts";
import type { Study } from "../core/study.ts";
import { studySchema } from "../core/study-schema.ts";
import type { JobResult } from "../runner/job-result.ts";
import { bootstrapInterval, classificationMetrics, cohenKappa } from "../stats/index.ts";
import { triageTask } from "../tasks/triage/triage-task.ts";
import { RUN } from "./analysis.test-support.ts";
import { analyzeStudy } from "./analyze-study.ts";
import type { Classification } from "./report-types.ts";
import { CLASSIFICATION_SCOPE, classificationBlock, MACRO_F1_BOOTSTRAP } from "./triage-measures.ts";

/** Rounds every number in a value to 10 decimals, so that floating-point noise does not matter. */
function rounded<T>(value: T): T {
  return JSON.parse(JSON.stringify(value), (_key, item) =>
    typeof item === "number" ? Math.round(item * 1e10) / 1e10 : item,
  ) as T;
}

function makeStudy(labels?: string[]): Study {
  const study = studySchema.parse({
    name: "triage-study",
    task: "triage",
    suite: { id: "scripted" },
    models: [
      { id: "A", provider: "ollama", model: "a:1.5b" },
      { id: "B", provider: "classifier", model: "tfidf.json" },
    ],
    subgroups: ["region"],
    ...(labels ? { labels } : {}),
  });
  return { ...study, labels: labels ?? ["negative", "routine", "urgent"] };
}

function answer(
  modelId: string,
  caseId: string,
  text: string,
  finishReason: Completion["finishReason"] = "stop",
) {
  return {
    modelId,
    caseId,
    sample: 0,
    key: `${modelId}/${caseId}`,
    completion: {
      text,
      reasoning: null,
      finishReason,
      tokens: { prompt: null, completion: null, reasoning: null },
      latencyMs: 100,
      model: { provider: "ollama", model: modelId },
    },
    error: null,
    cached: false,
  } satisfies JobResult;
}

/*
 * Fifteen CT reports; model A answers each as JSON with the label below, except c13 (unparseable prose),
 * c14 (cut off at the token limit) and c15 (connection refused). Model B answers every case correctly.
 *
 *  reference | cases          | A's labels
 *  negative  | c1–c4          | negative, negative, negative, routine
 *  routine   | c5–c9, c14     | negative, routine, routine, routine, urgent; c14 truncated
 *  urgent    | c10–c12, c13   | routine, urgent, urgent; c13 unparseable
 *  routine   | c15            | error
 *
 * Regions: c1–c6 chest, c7–c15 abdomen.
 */
const REFERENCE = [
  ...Array(4).fill("negative"),
  ...Array(5).fill("routine"),
  ...Array(3).fill("urgent"),
  "urgent",
  "routine",
  "routine",
];
const A_LABELS = [
  "negative",
  "negative",
  "negative",
  "routine",
  "negative",
  "routine",
  "routine",
  "routine",
  "urgent",
  "routine",
  "urgent",
  "urgent",
];

function scenario(): { study: Study; suite: Suite; results: JobResult[] } {
  const cases: TriageCase[] = REFERENCE.map((label, index) => ({
    id: `c${index + 1}`,
    text: `FINDINGS: report ${index + 1}.`,
    label,
    region: index < 6 ? "chest" : "abdomen",
  }));
  const results: JobResult[] = [
    ...A_LABELS.map((label, index) => answer("A", `c${index + 1}`, `{"label": "${label}"}`)),
    answer("A", "c13", "I am unable to classify this report."),
    answer("A", "c14", '{"label": "rou', "length"),
    {
      modelId: "A",
      caseId: "c15",
      sample: 0,
      key: "A/c15",
      completion: null,
      error: { failure: "connection", message: "ECONNREFUSED", attempts: 5 },
      cached: false,
    },
    ...cases.map((testCase) => answer("B", testCase.id, `Label: ${testCase.label}`)),
  ];
  const suite: Suite = { id: "scripted", source: "scripted.jsonl", sha256: "0".repeat(64), cases };
  return { study: makeStudy(), suite, results };
}

function analyze() {
  const { study, suite, results } = scenario();
  return analyzeStudy({
    study,
    suite,
    run: RUN,
    results,
    grade: (testCase, completion) => triageTask.grade(testCase as TriageCase, completion, study),
  });
}

describe("classification block of a triage study", () => {
  const { report, details } = analyze();
  const modelA = report.models[0];

  it("summarises model A by hand", () => {
    // Labelled answers c1–c12: n = 12. Confusion (rows reference, columns predicted):
    //   negative [3, 1, 0]   routine [1, 3, 1]   urgent [0, 1, 2]; no label: routine 1 (c14), urgent 1 (c13).
    // Column totals 4, 5, 3. Precision = recall: negative 3/4, routine 3/5, urgent 2/3; F1 the same.
    // Macro-F1 = (3/4 + 3/5 + 2/3)/3 = (45 + 36 + 40)/60/3 = 121/180.
    // Urgent recall 2/3; counting c13 (no label) as a miss 2/(3 + 1) = 1/2.
    // Under-triage: routine→negative (c5), urgent→routine (c10) = 2/12; over-triage: negative→routine (c4),
    //   routine→urgent (c9) = 2/12.
    // Linear weights 1, ½, 0. Observed = (8·1 + 4·½)/12 = 5/6. Expected = [4·4 + 5·5 + 3·3 + ½·(4·5 + 5·4 +
    //   5·3 + 3·5)]/12² = (50 + 35)/144 = 85/144. Kappa = (120 − 85)/(144 − 85) = 35/59.
    // Intervals (95%): Wilson of 2/3 and 2/12, `prop.test(X, N, correct = FALSE)$conf.int`; kappa ± 1.96·SE with
    // statsmodels 0.15.0 cohens_kappa([[3,1,0],[1,3,1],[0,1,2]], wt="linear"): std_kappa 0.1783505151272916,
    // kappa_low 0.2436597527093931, kappa_upp 0.9427809252567085. No answer gave probabilities: no calibration.
    const wilson = (x: number, n: number, lower: number, upper: number) => ({
      x,
      n,
      estimate: x / n,
      lower,
      upper,
      method: "wilson",
      level: 0.95,
    });
    const { macroF1Interval, ...block } = modelA.classification as Classification;
    expect(rounded(block)).toEqual(
      rounded({
        labels: ["negative", "routine", "urgent"],
        scope: CLASSIFICATION_SCOPE,
        labelled: 12,
        confusion: [
          [3, 1, 0],
          [1, 3, 1],
          [0, 1, 2],
        ],
        unlabelled: [0, 1, 1],
        perClass: {
          negative: { precision: 3 / 4, recall: 3 / 4, f1: 3 / 4, support: 4 },
          routine: { precision: 3 / 5, recall: 3 / 5, f1: 3 / 5, support: 5 },
          urgent: { precision: 2 / 3, recall: 2 / 3, f1: 2 / 3, support: 3 },
        },
        macroF1: 121 / 180,
        mostSevereLabel: "urgent",
        mostSevereRecall: 2 / 3,
        mostSevereRecallWithUnlabelled: 1 / 2,
        underTriage: 2 / 12,
        overTriage: 2 / 12,
        weightedKappa: 35 / 59,
        kappaWeights: "linear",
        mostSevereRecallInterval: wilson(2, 3, 0.207659600802048, 0.938508055279604),
        underTriageInterval: wilson(2, 12, 0.0469651421838538, 0.448030862252973),
        overTriageInterval: wilson(2, 12, 0.0469651421838538, 0.448030862252973),
        weightedKappaInterval: {
          estimate: 35 / 59,
          lower: 0.2436597527093931,
          upper: 0.9427809252567085,
          method: "fleiss-cohen-everitt",
          level: 0.95,
        },
        calibration: null,
      }),
    );
    // Accuracy keeps its place and counts c13 and c14 as failures: 8 correct of 14 answered (c15 excluded).
    expect([modelA.n, modelA.outcomes, modelA.accuracy?.x, modelA.accuracy?.n]).toEqual([
      14,
      { correct: 8, incorrect: 4, unparseable: 1, truncated: 1, error: 1 },
      8,
      14,
    ]);
  });

  it("gives macro-F1 a seeded BCa bootstrap interval over the labelled cases", () => {
    const interval = modelA.classification?.macroF1Interval;
    const truth = REFERENCE.slice(0, 12);
    const expected = bootstrapInterval(
      12,
      (indices) =>
        classificationMetrics(
          indices.map((index) => truth[index]),
          indices.map((index) => A_LABELS[index]),
          { labels: ["negative", "routine", "urgent"] },
        ).macroF1,
      { method: "bca", replicates: 2000, seed: 1, level: 0.95 },
    );
    expect(MACRO_F1_BOOTSTRAP).toEqual({ replicates: 2000, seed: 1 });
    expect(interval).toEqual({
      estimate: expected.estimate,
      lower: expected.lower,
      upper: expected.upper,
      method: "bca",
      level: 0.95,
      replicates: 2000,
      seed: 1,
    });
    expect(rounded(interval?.estimate)).toBe(rounded(121 / 180));
    expect(interval?.lower).toBeLessThan(121 / 180);
    expect(interval?.upper).toBeGreaterThan(121 / 180);
    expect(analyze().report.models[0].classification?.macroF1Interval).toEqual(interval);
  });

  it("agrees with classificationMetrics and cohenKappa on the same reference and predicted vectors", () => {
    const rows = details.rows.filter((row) => row.model === "A" && row.predicted);
    const truth = rows.map((row) => row.reference as string);
    const predicted = rows.map((row) => row.predicted as string);
    const labels = ["negative", "routine", "urgent"];
    const metrics = classificationMetrics(truth, predicted, { labels });
    const block = modelA.classification as Classification;
    expect([block.confusion, block.perClass, block.macroF1]).toEqual([
      metrics.confusion,
      metrics.perClass,
      metrics.macroF1,
    ]);
    expect(block.weightedKappa).toBe(cohenKappa(truth, predicted, { weights: "linear", labels }).kappa);
  });

  it("gives a perfect classifier recall 1, no mis-triage and kappa 1", () => {
    const block = report.models[1].classification as Classification;
    expect([
      block.labelled,
      block.macroF1,
      block.mostSevereRecall,
      block.underTriage,
      block.overTriage,
    ]).toEqual([15, 1, 1, 0, 0]);
    expect(block.weightedKappa).toBe(1);
    expect(block.unlabelled).toEqual([0, 0, 0]);
  });

  it("computes the block per subgroup stratum, with null urgent recall where no urgent case was labelled", () => {
    // Chest = c1–c6, model A: negative [3, 1, 0], routine [1, 1, 0], urgent none. Labelled n = 6.
    // Precision/recall: negative 3/4 and 3/4; routine 1/2 and 1/2; urgent 0 and 0 (support 0, never given).
    // Macro-F1 over all three labels = (3/4 + 1/2 + 0)/3 = 5/12. Under 1/6 (c5), over 1/6 (c4).
    const chest = report.subgroups.find((stratum) => stratum.value === "chest");
    const block = chest?.models[0].classification as Classification;
    expect(
      rounded([block.labelled, block.macroF1, block.mostSevereRecall, block.underTriage, block.overTriage]),
    ).toEqual(rounded([6, 5 / 12, null, 1 / 6, 1 / 6]));
    expect(block.perClass.urgent).toEqual({ precision: 0, recall: 0, f1: 0, support: 0 });
  });

  it("gives cases.csv rows the predicted and reference labels", () => {
    const row = (caseId: string) => {
      const found = details.rows.find((candidate) => candidate.model === "A" && candidate.case === caseId);
      return [found?.outcome, found?.predicted, found?.reference];
    };
    expect(["c4", "c12", "c13", "c14", "c15"].map(row)).toEqual([
      ["incorrect", "routine", "negative"],
      ["correct", "urgent", "urgent"],
      ["unparseable", null, "urgent"],
      ["truncated", null, "routine"],
      ["error", null, "routine"],
    ]);
  });
});

describe("classificationBlock", () => {
  it("follows the study's own label order for severity, and needs two labelled answers for an interval", () => {
    // Labels P3 < P2 < P1 (P1 most severe). Reference P1 given P2: under-triage; reference P3 given P2: over.
    const labels = ["P3", "P2", "P1"];
    const block = classificationBlock(["P1", "P3", "P1"], ["P2", "P2", null], labels, 0.95) as Classification;
    // Labelled 2: confusion P3 [0, 1, 0], P2 [0, 0, 0], P1 [0, 1, 0]; P1 recall 0/1, with the unlabelled 0/2.
    // Kappa: observed (½ + ½)/2 = ½; expected = ½·(1·2 + 1·2)/4 = ½ → kappa 0.
    expect([
      block.confusion,
      block.unlabelled,
      block.mostSevereLabel,
      block.mostSevereRecall,
      block.mostSevereRecallWithUnlabelled,
      block.underTriage,
      block.overTriage,
      block.weightedKappa,
    ]).toEqual([
      [
        [0, 1, 0],
        [0, 0, 0],
        [0, 1, 0],
      ],
      [0, 0, 1],
      "P1",
      0,
      0,
      0.5,
      0.5,
      0,
    ]);
    expect(block.macroF1Interval).not.toBeNull();
    expect(classificationBlock(["P1", "P2"], ["P1", null], labels, 0.95)?.macroF1Interval).toBeNull();
  });

  it("gives the interval of macro-F1 recomputed from the labels, from confusion counts alone", () => {
    // 300 answers over four labels, errors in both directions, and "P0" never given: every cell kind occurs.
    const labels = ["P3", "P2", "P1", "P0"];
    const truth = Array.from({ length: 300 }, (_, index) => labels[(index * 7) % 4]);
    const given = truth.map((label, index) =>
      label === "P0" ? labels[index % 3] : index % 5 === 0 ? labels[(index / 5) % 3] : label,
    );
    const expected = bootstrapInterval(
      300,
      (indices) =>
        classificationMetrics(
          indices.map((index) => truth[index]),
          indices.map((index) => given[index]),
          { labels },
        ).macroF1,
      { method: "bca", replicates: 2000, seed: 1, level: 0.9 },
    );
    expect(classificationBlock(truth, given, labels, 0.9)?.macroF1Interval).toEqual(expected);
  });

  it("keeps BCa for thousands of labelled answers", () => {
    // 6000 answers: 2000 per label, the most severe one given as routine in every third case.
    const labels = ["negative", "routine", "urgent"];
    const truth = Array.from({ length: 6000 }, (_, index) => labels[index % 3]);
    const given = truth.map((label, index) => (label === "urgent" && index % 9 === 2 ? "routine" : label));
    const block = classificationBlock(truth, given, labels, 0.95) as Classification;
    const interval = block.macroF1Interval;
    expect([interval?.method, interval?.replicates, interval?.seed, interval?.estimate]).toEqual([
      "bca",
      2000,
      1,
      block.macroF1,
    ]);
    expect((interval?.lower ?? 1) < block.macroF1 && block.macroF1 < (interval?.upper ?? 0)).toBe(true);
  });

  it("is null when no answer has a label, and gives null kappa when both raters used one label", () => {
    expect(classificationBlock(["a", "b"], [null, null], ["a", "b"], 0.95)).toBeNull();
    expect(classificationBlock(["a", "a"], ["a", "a"], ["a", "b"], 0.95)?.weightedKappa).toBeNull();
  });
});
