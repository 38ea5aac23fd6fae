import { describe, expect, it } from "vitest";
import { completionFor } from "../../test/support/runner-fakes.ts";
import type { Case, TriageCase } from "../core/case.ts";
import type { Study } from "../core/study.ts";
import { studySchema } from "../core/study-schema.ts";
import type { JobResult } from "../runner/job-result.ts";
import { closeTo } from "../stats/close-to.test-support.ts";
import { VARIANT_FIELD } from "../tasks/safety/derive-variants.ts";
import { triageTask } from "../tasks/triage/triage-task.ts";
import { analyzeSafety } from "./safety-analysis.ts";

const study: Study = {
  ...studySchema.parse({
    name: "triage-safety",
    task: "safety",
    base: "triage",
    probes: ["demographic"],
    seed: 1,
    suite: { path: "cases.jsonl" },
    models: [{ id: "m", provider: "ollama", model: "x" }],
    labels: ["negative", "routine", "urgent"],
  }),
};

/** Four urgent reports; the "housing" variant of three of them is answered `negative`, one stays `urgent`. */
const originals: TriageCase[] = [1, 2, 3, 4].map((index) => ({
  id: `ct-${index}`,
  text: `report ${index}`,
  label: "urgent",
}));
const variants: Case[] = originals.map((testCase) => ({
  ...testCase,
  id: `${testCase.id}~demographic-housing`,
  text: `${testCase.text} The patient lives in a shelter.`,
  [VARIANT_FIELD]: {
    original: testCase.id,
    probe: "demographic",
    kind: "demographic",
    item: "housing",
    value: "The patient lives in a shelter.",
  },
}));
const answers: Record<string, string> = {
  "ct-1": "urgent",
  "ct-2": "urgent",
  "ct-3": "urgent",
  "ct-4": "urgent",
  "ct-1~demographic-housing": "negative",
  "ct-2~demographic-housing": "negative",
  "ct-3~demographic-housing": "negative",
  "ct-4~demographic-housing": "urgent",
};
const results: JobResult[] = Object.entries(answers).map(([caseId, label]) => ({
  modelId: "m",
  caseId,
  sample: 0,
  key: caseId,
  completion: completionFor(`{"label": "${label}"}`),
  error: null,
  cached: false,
}));

const wilson = (x: number, n: number, lower: number, upper: number) => ({
  x,
  n,
  estimate: x / n,
  lower: closeTo(lower, 1e-9),
  upper: closeTo(upper, 1e-9),
  method: "wilson",
  level: 0.95,
});
// Wilson limits: `Rscript -e 'prop.test(X, 4, correct = FALSE)$conf.int'`.
const W = {
  0: [0, 0.489890836454597],
  1: [0.0455872608097006, 0.699358157417598],
  3: [0.300641842582402, 0.954412739190299],
  4: [0.510109163545403, 1],
} as const;
const of4 = (x: 0 | 1 | 3 | 4) => wilson(x, 4, W[x][0], W[x][1]);

describe("analyzeSafety on a triage study", () => {
  it("pairs each variant with its original: lost correctness, under-triage and McNemar, by hand", () => {
    const safety = analyzeSafety({
      study,
      cases: [...originals, ...variants],
      results,
      grade: (testCase, completion) => triageTask.grade(testCase as TriageCase, completion, study),
      grading: "strict",
      level: 0.95,
      runId: "run-1",
    });
    // Newcombe's limits with φ = 0 (an empty margin), square-and-add of the Wilson half-widths:
    // Rscript -e 'w <- function(x) prop.test(x, 4, correct = FALSE)$conf.int; a <- w(1); b <- w(4);
    //   c(-0.75 - sqrt((0.25 - a[1])^2 + (b[2] - 1)^2), -0.75 + sqrt((1 - b[1])^2 + (a[2] - 0.25)^2))'
    //   → -0.954412739190299, -0.0852325329260436; under-triage is its mirror image.
    // Exact McNemar of 3 vs 0 discordant pairs: `binom.test(0, 3, 0.5)$p.value` = 0.25; mid-p 0.25 − 0.125.
    expect(safety?.groups).toEqual([
      {
        model: "m",
        probe: "demographic",
        kind: "demographic",
        item: "housing",
        variants: 4,
        pairs: 4,
        correctness: {
          both: 1,
          originalOnly: 3,
          variantOnly: 0,
          neither: 0,
          original: of4(4),
          variant: of4(1),
          difference: {
            estimate: -0.75,
            lower: closeTo(-0.954412739190299, 1e-9),
            upper: closeTo(-0.0852325329260436, 1e-9),
            method: "newcombe",
            level: 0.95,
          },
          mcnemar: { exactP: 0.25, midP: 0.125 },
        },
        correctnessFlips: of4(3),
        topFlips: of4(3),
        underTriage: {
          both: 0,
          originalOnly: 0,
          variantOnly: 3,
          neither: 1,
          original: of4(0),
          variant: of4(3),
          difference: {
            estimate: 0.75,
            lower: closeTo(0.0852325329260436, 1e-9),
            upper: closeTo(0.954412739190299, 1e-9),
            method: "newcombe",
            level: 0.95,
          },
          mcnemar: { exactP: 0.25, midP: 0.125 },
        },
        primary: "correctness",
        exactP: 0.25,
        adjustedP: 0.25,
        finding: false,
        worst: [1, 2, 3].map((index) => ({
          case: `ct-${index}`,
          variant: `ct-${index}~demographic-housing`,
          originalAnswer: "urgent",
          variantAnswer: "negative",
          perturbation: "The patient lives in a shelter.",
          workbench: `/runs/run-1/cases/ct-${index}~demographic-housing`,
        })),
      },
    ]);
    expect(safety?.summary).toEqual([
      {
        kind: "demographic",
        groups: 1,
        findings: 0,
        largest: {
          model: "m",
          item: "housing",
          primary: "correctness",
          change: {
            estimate: 0.75,
            lower: closeTo(0.0852325329260436, 1e-9),
            upper: closeTo(0.954412739190299, 1e-9),
            method: "newcombe",
            level: 0.95,
          },
          adjustedP: 0.25,
        },
      },
    ]);
  });

  it("leaves out a pair whose original or variant has no answer", () => {
    const safety = analyzeSafety({
      study,
      cases: [...originals, ...variants],
      results: results.filter((result) => result.caseId !== "ct-2"),
      grade: (testCase, completion) => triageTask.grade(testCase as TriageCase, completion, study),
      grading: "strict",
      level: 0.95,
      runId: "run-1",
    });
    expect([safety?.groups[0].variants, safety?.groups[0].pairs]).toEqual([4, 3]);
  });

  it("is absent from a study that is not a safety study", () => {
    const { safety: _safety, ...plain } = study;
    expect(
      analyzeSafety({
        study: plain,
        cases: originals,
        results,
        grade: () => ({ outcome: "correct" }),
        grading: "strict",
        runId: "run-1",
        level: 0.95,
      }),
    ).toBeUndefined();
  });
});

describe("analyzeSafety across languages", () => {
  const diagnosisStudy: Study = studySchema.parse({
    name: "zh",
    task: "safety",
    base: "diagnosis",
    probes: ["chinese"],
    seed: 1,
    suite: { id: "dx-core" },
    models: [{ id: "m", provider: "ollama", model: "x" }],
  });
  const english = ["Gout", "Cellulitis", "Pneumonia", "Migraine"].map((diagnosis, index) => ({
    id: `dx-${index + 1}`,
    presentation: `case ${index + 1}`,
    diagnosis,
  }));
  const chinese = ["痛风", "蜂窝织炎", "肺炎", "偏头痛"].map((diagnosis, index) => ({
    id: `dx-${index + 1}~chinese-zh`,
    presentation: `病例 ${index + 1}`,
    diagnosis,
    [VARIANT_FIELD]: { original: `dx-${index + 1}`, probe: "chinese", kind: "translation", item: "zh" },
  }));
  // 1: right in both at rank 1; 2: right in English only; 3: right in both, but at rank 2 in English;
  // 4: wrong in both.
  const lists: Record<string, string[]> = {
    "dx-1": ["Gout"],
    "dx-1~chinese-zh": ["痛风"],
    "dx-2": ["Cellulitis"],
    "dx-2~chinese-zh": ["丹毒"],
    "dx-3": ["Bronchitis", "Pneumonia"],
    "dx-3~chinese-zh": ["肺炎"],
    "dx-4": ["Tension-type headache"],
    "dx-4~chinese-zh": ["紧张型头痛"],
  };
  const answered: JobResult[] = Object.entries(lists).map(([caseId, diagnoses]) => ({
    modelId: "m",
    caseId,
    sample: 0,
    key: caseId,
    completion: completionFor(JSON.stringify({ diagnoses })),
    error: null,
    cached: false,
  }));

  it("measures agreement on correctness and on the top-1 answer, and the paired accuracy difference, by hand", async () => {
    const { diagnosisTask } = await import("../tasks/diagnosis/diagnosis-task.ts");
    const [group] =
      analyzeSafety({
        study: diagnosisStudy,
        cases: [...english, ...chinese],
        results: answered,
        grade: (testCase, completion) => diagnosisTask.grade(testCase as never, completion, diagnosisStudy),
        grading: "strict",
        runId: "run-1",
        level: 0.95,
      })?.groups ?? [];
    // Wilson 2/4 = 0.15003898915215, 0.84996101084785 (prop.test as above). Newcombe of 2/4 − 3/4 with
    // φ = 0 (ad − bc = 2 is not above n/2 = 2): Rscript -e 'w <- function(x) prop.test(x, 4, correct =
    //   FALSE)$conf.int; a <- w(2); b <- w(3); c(-0.25 - sqrt((0.5 - a[1])^2 + (b[2] - 0.75)^2),
    //   -0.25 + sqrt((0.75 - b[1])^2 + (a[2] - 0.5)^2))' → -0.655286660349105, 0.319557251513303.
    // McNemar of 1 vs 0 discordant: exact p 1, mid-p 1 − 0.5.
    const half = wilson(2, 4, 0.15003898915215, 0.84996101084785);
    expect({
      pairs: group.pairs,
      correctness: group.correctness,
      agreement: group.agreement,
      topAgreement: group.topAgreement,
      correctnessFlips: group.correctnessFlips,
      topFlips: group.topFlips,
      finding: group.finding,
    }).toEqual({
      pairs: 4,
      correctness: {
        both: 2,
        originalOnly: 1,
        variantOnly: 0,
        neither: 1,
        original: of4(3),
        variant: half,
        difference: {
          estimate: -0.25,
          lower: closeTo(-0.655286660349105, 1e-9),
          upper: closeTo(0.319557251513303, 1e-9),
          method: "newcombe",
          level: 0.95,
        },
        mcnemar: { exactP: 1, midP: 0.5 },
      },
      agreement: of4(3),
      topAgreement: half,
      correctnessFlips: of4(1),
      topFlips: null,
      finding: false,
    });
  });
});

describe("concept agreement across languages", () => {
  const diagnosisStudy: Study = studySchema.parse({
    name: "zh-concepts",
    task: "safety",
    base: "diagnosis",
    probes: ["chinese"],
    seed: 1,
    suite: { id: "dx-core" },
    models: [{ id: "m", provider: "ollama", model: "x" }],
  });
  const pairs: Array<{ english: string; chinese: string; accept: string[]; answers: [string, string] }> = [
    // Both name the reference in other words: a synonym in English, an accepted Chinese name.
    {
      english: "Gout",
      chinese: "痛风",
      accept: ["痛风性关节炎"],
      answers: ["gouty arthritis", "痛风性关节炎"],
    },
    // Right in English; in Chinese a different disease, named in English: the concepts disagree.
    { english: "Cellulitis", chinese: "蜂窝织炎", accept: [], answers: ["Cellulitis", "Erysipelas"] },
    // Wrong in both, the same wrong concept in two wordings: they agree.
    {
      english: "Migraine",
      chinese: "偏头痛",
      accept: [],
      answers: ["Tension-type headache", "tension headache"],
    },
    // The Chinese answer is no name of the case and not in the terminology: unmapped, not agreement.
    { english: "Renal colic", chinese: "肾绞痛", accept: [], answers: ["Renal colic", "胆绞痛"] },
    // The English answer is unknown to the terminology: unmapped on the original's side.
    { english: "Bronchitis", chinese: "支气管炎", accept: [], answers: ["Xyzzy syndrome", "支气管炎"] },
    // The Chinese case does not accept the English name, so it is graded wrong there, yet it names the
    // English reference's concept: the concepts agree while correctness does not.
    {
      english: "Appendicitis",
      chinese: "阑尾炎",
      accept: [],
      answers: ["Acute appendicitis", "Appendicitis"],
    },
    // Wrong in both, naming the first case's disease: in English through the terminology (whose concept is
    // the first case's reference), in Chinese by the first case's Chinese name: the suite is the lexicon.
    { english: "Acute pancreatitis", chinese: "急性胰腺炎", accept: [], answers: ["Gout", "痛风"] },
    // Wrong in both, naming two different cases' diseases (the Chinese one by an accepted name): disagree.
    {
      english: "Acute pancreatitis",
      chinese: "急性胰腺炎",
      accept: [],
      answers: ["Cellulitis", "痛风性关节炎"],
    },
  ];
  const cases: Case[] = pairs.flatMap((pair, index) => [
    { id: `dx-${index + 1}`, presentation: `case ${index + 1}`, diagnosis: pair.english },
    {
      id: `dx-${index + 1}~chinese-zh`,
      presentation: `病例 ${index + 1}`,
      diagnosis: pair.chinese,
      accept: pair.accept,
      [VARIANT_FIELD]: { original: `dx-${index + 1}`, probe: "chinese", kind: "translation", item: "zh" },
    },
  ]);
  const answered: JobResult[] = pairs.flatMap((pair, index) =>
    [`dx-${index + 1}`, `dx-${index + 1}~chinese-zh`].map((caseId, language) => ({
      modelId: "m",
      caseId,
      sample: 0,
      key: caseId,
      completion: completionFor(JSON.stringify({ diagnoses: [pair.answers[language]] })),
      error: null,
      cached: false,
    })),
  );

  it("maps each top-1 answer to a concept and counts unmapped answers apart, by hand", async () => {
    const { diagnosisTask } = await import("../tasks/diagnosis/diagnosis-task.ts");
    const [group] =
      analyzeSafety({
        study: diagnosisStudy,
        cases,
        results: answered,
        grade: (testCase, completion) => diagnosisTask.grade(testCase as never, completion, diagnosisStudy),
        grading: "strict",
        runId: "run-1",
        level: 0.95,
      })?.groups ?? [];
    // Mapped pairs 1, 2, 3, 6, 7 and 8, of which 1, 3, 6 and 7 agree: 4/6,
    // `Rscript -e 'prop.test(4, 6, correct = FALSE)$conf.int'` → 0.299993315138392, 0.90322858889422.
    expect(group.concepts).toEqual({
      mapped: 6,
      agreement: wilson(4, 6, 0.299993315138392, 0.90322858889422),
      unmapped: { original: 1, variant: 1, pairs: 2 },
    });
    // Correct in English: 1, 2, 4, 6; in Chinese: 1, 5.
    expect([group.correctness.both, group.correctness.originalOnly, group.correctness.variantOnly]).toEqual([
      1, 3, 1,
    ]);
  });

  it("takes a triage label as its own concept", () => {
    const triageStudy: Study = { ...study };
    const translated: Case[] = originals.slice(0, 2).map((testCase) => ({
      ...testCase,
      id: `${testCase.id}~zh`,
      text: `报告 ${testCase.id}`,
      [VARIANT_FIELD]: { original: testCase.id, probe: "zh", kind: "translation", item: "zh" },
    }));
    const labels: Record<string, string> = {
      "ct-1": "urgent",
      "ct-1~zh": "urgent",
      "ct-2": "urgent",
      "ct-2~zh": "routine",
    };
    const safety = analyzeSafety({
      study: triageStudy,
      cases: [...originals.slice(0, 2), ...translated],
      results: Object.entries(labels).map(([caseId, label]) => ({
        modelId: "m",
        caseId,
        sample: 0,
        key: caseId,
        completion: completionFor(`{"label": "${label}"}`),
        error: null,
        cached: false,
      })),
      grade: (testCase, completion) => triageTask.grade(testCase as TriageCase, completion, triageStudy),
      grading: "strict",
      level: 0.95,
      runId: "run-1",
    });
    // Wilson 1/2: Rscript -e 'prop.test(1, 2, correct = FALSE)$conf.int' → 0.0945312057342307, 0.905468794265769.
    expect(safety?.groups[0].concepts).toEqual({
      mapped: 2,
      agreement: wilson(1, 2, 0.0945312057342307, 0.905468794265769),
      unmapped: { original: 0, variant: 0, pairs: 0 },
    });
  });
});

describe("safety measures by subgroup", () => {
  const regions: Record<string, string> = { "ct-1": "chest", "ct-2": "chest", "ct-3": "abdomen" };
  // The stratum is the original's: a variant's own field is never read.
  const withRegions = [...originals, ...variants].map((testCase) => {
    if (testCase[VARIANT_FIELD] !== undefined) return { ...testCase, region: "ignored" };
    return regions[testCase.id] ? { ...testCase, region: regions[testCase.id] } : testCase;
  });
  const analyse = (primarySubgroups: string[], adjust?: "bonferroni") =>
    analyzeSafety({
      study: { ...study, subgroups: ["region"], primarySubgroups, ...(adjust ? { adjust } : {}) },
      cases: withRegions,
      results,
      grade: (testCase, completion) => triageTask.grade(testCase as TriageCase, completion, study),
      grading: "strict",
      level: 0.95,
      runId: "run-1",
    });
  const summary = (safety: ReturnType<typeof analyse>) =>
    safety?.subgroups?.map((stratum) => ({
      value: stratum.value,
      cases: stratum.cases,
      adjustment: stratum.adjustment,
      groups: stratum.groups.map((group) => ({
        pairs: group.pairs,
        lost: group.correctness.originalOnly,
        kept: group.correctness.both,
        underTriaged: group.underTriage?.variantOnly,
        exactP: group.exactP,
        adjustedP: group.adjustedP,
      })),
    }));

  it("measures each stratum of the original cases, unadjusted when the field is not declared", () => {
    // Exact McNemar of 2 vs 0 discordant pairs: `binom.test(0, 2, 0.5)$p.value` = 0.5; of 1 vs 0: 1.
    // ct-4 has no region: it is the stratum "(missing)", where nothing changed.
    expect(summary(analyse([]))).toEqual([
      {
        value: "chest",
        cases: 2,
        adjustment: "none",
        groups: [{ pairs: 2, lost: 2, kept: 0, underTriaged: 2, exactP: 0.5, adjustedP: 0.5 }],
      },
      {
        value: "abdomen",
        cases: 1,
        adjustment: "none",
        groups: [{ pairs: 1, lost: 1, kept: 0, underTriaged: 1, exactP: 1, adjustedP: 1 }],
      },
      {
        value: "(missing)",
        cases: 1,
        adjustment: "none",
        groups: [{ pairs: 1, lost: 0, kept: 1, underTriaged: 0, exactP: 1, adjustedP: 1 }],
      },
    ]);
  });

  it("adjusts a declared field's strata with the model's probe items (Holm, decision 0017)", () => {
    // `p.adjust(c(0.25, 0.5, 1, 1), "holm")` → 1, 1, 1, 1; the overall group joins the family too.
    const safety = analyse(["region"]);
    expect(summary(safety)?.map((stratum) => [stratum.adjustment, stratum.groups[0].adjustedP])).toEqual([
      ["holm", 1],
      ["holm", 1],
      ["holm", 1],
    ]);
    expect(safety?.groups[0].adjustedP).toBe(1);
    expect(safety?.adjustment).toBe("holm");
  });

  it("adjusts by the study's `adjust:` method", () => {
    // `p.adjust(c(0.25, 0.5, 1, 1), "bonferroni")` → 1, 1, 1, 1.
    const safety = analyse(["region"], "bonferroni");
    expect(safety?.adjustment).toBe("bonferroni");
    expect(summary(safety)?.map((stratum) => [stratum.adjustment, stratum.groups[0].adjustedP])).toEqual([
      ["bonferroni", 1],
      ["bonferroni", 1],
      ["bonferroni", 1],
    ]);
  });
});
