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
} from "../analysis/analysis.test-support.ts";
import { analyzeStudy } from "../analysis/analyze-study.ts";
import type { StudyAnalysis } from "../analysis/report-types.ts";
import type { TriageCase } from "../core/case.ts";
import type { Study } from "../core/study.ts";
import type { JobResult } from "../runner/job-result.ts";
import type { DiagnosisGrade } from "../tasks/diagnosis/diagnosis-grade.ts";
import { triageTask } from "../tasks/triage/triage-task.ts";

export interface SyntheticOptions {
  cases: number;
  modelIds: string[];
  /** Makes one case id, one answer, one subgroup value and one error message contain markup. */
  hostile?: boolean;
  /** Failed jobs to include (each a different case of the first model). */
  errors?: number;
}

export const HOSTILE = {
  caseId: 'c-"><img src=x onerror=alert(1)>',
  answer: "<script>alert('answer')</script>",
  specialty: "<b>surgery & co</b>",
  error: "<script>alert('error')</script>",
};

/** A deterministic pseudo-random generator (a linear congruential one), so that reports are reproducible. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** A diagnosis study with scripted grades across every outcome, analysed; for report tests and timing. */
export function syntheticAnalysis(options: SyntheticOptions): StudyAnalysis {
  const random = generator(42);
  const incidences = ["frequent", "less frequent", "rare"];
  const specialties = ["internal medicine", "surgery", "neurology", "gynecology", "pediatrics"];
  const cases = Array.from({ length: options.cases }, (_, index) => {
    const id = options.hostile && index === 1 ? HOSTILE.caseId : `dx-${String(index + 1).padStart(3, "0")}`;
    const specialty =
      options.hostile && index === 2 ? HOSTILE.specialty : specialties[index % specialties.length];
    return diagnosisCase(id, { incidence: incidences[index % incidences.length], specialty });
  });
  const study = makeStudy({
    name: "synthetic-study",
    models: options.modelIds.map((_, index) => ({
      id: `placeholder-${index}`,
      provider: "ollama" as const,
      model: `model-${index}:8b`,
      params: { temperature: 0.6, maxTokens: 8192, seed: 7 },
    })),
    alpha: 0.01,
    subgroups: ["incidence", "specialty"],
  });
  // Model ids may be hostile on purpose, which the study schema would reject: set them after parsing.
  study.models = study.models.map((model, index) => ({ ...model, id: options.modelIds[index] }));
  const results = options.modelIds.flatMap((modelId, modelIndex) =>
    cases.map((testCase, caseIndex) => {
      if (modelIndex === 0 && caseIndex < (options.errors ?? 0)) {
        const message = options.hostile ? HOSTILE.error : "connect ECONNREFUSED 127.0.0.1:11434";
        return failed(modelId, testCase.id, { failure: "connection", message, attempts: 5 });
      }
      const skill = 0.35 + 0.12 * modelIndex;
      const draw = random();
      let grade: DiagnosisGrade;
      if (draw < skill) grade = correctAt(1 + Math.floor(random() * 5));
      else if (draw < skill + 0.05) grade = fuzzyAt(1 + Math.floor(random() * 5));
      else if (draw < skill + 0.09) grade = unparseable();
      else if (draw < skill + 0.13) grade = truncatedWithMatch(1);
      else grade = incorrect();
      if (options.hostile && caseIndex === 1) {
        grade = {
          ...fuzzyAt(2),
          answers: [HOSTILE.answer, "Other, with a comma"],
          suggestion: { answer: HOSTILE.answer, reference: "Reference", similarity: 0.8 },
        };
      }
      return answered(modelId, testCase.id, grade, {
        latencyMs: Math.round(800 + random() * 4000),
        tokens: {
          prompt: 300 + caseIndex,
          completion: 150 + Math.round(random() * 200),
          reasoning: modelIndex === 0 ? 900 : null,
        },
        digest: `sha256:${String(modelIndex).repeat(12)}`,
      });
    }),
  );
  return analyzeStudy({
    study,
    suite: makeSuite(cases, "dx-synthetic"),
    run: RUN,
    results,
    grade: scriptedGrade().grade,
  });
}

/*
 * Two models, four cases (k = 5, alpha 0.05), subgroup `specialty`: c1 c2 surgery, c3 c4 neurology.
 *  case | A          | B
 *  c1   | correct @1 | correct @3
 *  c2   | correct @2 | incorrect
 *  c3   | incorrect  | fuzzy @1
 *  c4   | error 503  | unparseable
 */
export function smallAnalysis(complete = false): StudyAnalysis {
  const study = makeStudy({
    name: "small-study",
    models: [
      { id: "A", provider: "ollama", model: "a:8b", params: { temperature: 0, seed: 1 } },
      { id: "B", provider: "openai", model: "org/b" },
    ],
    subgroups: ["specialty"],
  });
  const cases = [
    diagnosisCase("c1", { specialty: "surgery" }),
    diagnosisCase("c2", { specialty: "surgery" }),
    diagnosisCase("c3", { specialty: "neurology" }),
    diagnosisCase("c4", { specialty: "neurology" }),
  ];
  const results = [
    answered("A", "c1", correctAt(1), { digest: "sha256:abc" }),
    answered("A", "c2", correctAt(2)),
    answered("A", "c3", incorrect()),
    complete
      ? answered("A", "c4", incorrect())
      : failed("A", "c4", { failure: "http", status: 503, message: "Service Unavailable", attempts: 5 }),
    answered("B", "c1", correctAt(3)),
    answered("B", "c2", incorrect()),
    answered("B", "c3", fuzzyAt(1)),
    answered("B", "c4", unparseable()),
  ];
  return analyzeStudy({
    study,
    suite: makeSuite(cases, "small"),
    run: RUN,
    results,
    grade: scriptedGrade().grade,
  });
}

/** A triage answer as a model writes it: the label as JSON, prose without one, or a cut-off answer. */
function triageAnswer(
  modelId: string,
  caseId: string,
  answer: { label: string } | "none" | "cut off",
  latencyMs = 100,
): JobResult {
  const text =
    answer === "none"
      ? "I am not able to classify this report."
      : answer === "cut off"
        ? '{"label": "'
        : JSON.stringify({ label: answer.label });
  return {
    modelId,
    caseId,
    sample: 0,
    key: `${modelId}/${caseId}/0`,
    completion: {
      text,
      reasoning: null,
      finishReason: answer === "cut off" ? "length" : "stop",
      tokens: { prompt: 200, completion: 8, reasoning: null },
      latencyMs,
      model: { provider: "ollama", model: `${modelId}:latest` },
    },
    error: null,
    cached: false,
  };
}

function triageStudy(name: string, modelIds: string[], labels: string[]): Study {
  const study = makeStudy({
    name,
    task: "triage",
    models: modelIds.map((_, index) => ({
      id: `placeholder-${index}`,
      provider: "ollama" as const,
      model: `m${index}`,
    })),
    subgroups: ["region"],
  });
  // Model ids may be hostile on purpose, which the study schema would reject: set them after parsing.
  return {
    ...study,
    labels,
    models: study.models.map((model, index) => ({ ...model, id: modelIds[index] })),
  };
}

function analyzeTriage(
  study: Study,
  cases: TriageCase[],
  results: JobResult[],
  suiteId: string,
): StudyAnalysis {
  return analyzeStudy({
    study,
    suite: { id: suiteId, source: `${suiteId}.jsonl`, sha256: "0".repeat(64), cases },
    run: RUN,
    results,
    grade: (testCase, completion) => triageTask.grade(testCase as TriageCase, completion, study),
  });
}

/*
 * Two models, six CT reports, labels negative < routine < urgent; region chest c1–c3, abdomen c4–c6.
 *  case | reference | A           | B
 *  c1   | negative  | negative    | negative
 *  c2   | routine   | negative    | routine
 *  c3   | urgent    | urgent      | routine
 *  c4   | negative  | routine     | negative
 *  c5   | routine   | routine     | routine
 *  c6   | urgent    | unparseable | urgent
 */
export function smallTriageAnalysis(): StudyAnalysis {
  const reference = ["negative", "routine", "urgent", "negative", "routine", "urgent"];
  const cases: TriageCase[] = reference.map((label, index) => ({
    id: `c${index + 1}`,
    text: `FINDINGS: report ${index + 1}.`,
    label,
    region: index < 3 ? "chest" : "abdomen",
  }));
  const a = ["negative", "negative", "urgent", "routine", "routine"];
  const b = ["negative", "routine", "routine", "negative", "routine", "urgent"];
  const results = [
    ...a.map((label, index) => triageAnswer("A", `c${index + 1}`, { label })),
    triageAnswer("A", "c6", "none"),
    ...b.map((label, index) => triageAnswer("B", `c${index + 1}`, { label })),
  ];
  return analyzeTriage(
    triageStudy("small-triage", ["A", "B"], ["negative", "routine", "urgent"]),
    cases,
    results,
    "ct-small",
  );
}

export const HOSTILE_LABEL = "<b>routine & co</b>";

/**
 * A triage study with scripted answers: each model gives the reference label with a probability that grows
 * with its index, otherwise a neighbouring label, no label, or an answer cut off; the first `errors` cases of
 * the first model fail. With `hostile`, the middle label contains markup.
 */
export function syntheticTriageAnalysis(options: SyntheticOptions): StudyAnalysis {
  const random = generator(7);
  const labels = ["negative", options.hostile ? HOSTILE_LABEL : "routine", "urgent"];
  const regions = ["head", "chest", "abdomen/pelvis", "spine"];
  const cases: TriageCase[] = Array.from({ length: options.cases }, (_, index) => ({
    id: `ct-${String(index + 1).padStart(4, "0")}`,
    text: `FINDINGS: report ${index + 1}.`,
    label: labels[Math.floor(random() * 3)],
    region: regions[index % regions.length],
  }));
  const results = options.modelIds.flatMap((modelId, modelIndex) =>
    cases.map((testCase, caseIndex): JobResult => {
      if (modelIndex === 0 && caseIndex < (options.errors ?? 0)) {
        return failed(modelId, testCase.id, { failure: "connection", message: "ECONNREFUSED", attempts: 5 });
      }
      const reference = labels.indexOf(testCase.label);
      const draw = random();
      const skill = 0.55 + 0.1 * modelIndex;
      const latency = Math.round(300 + random() * 2000);
      if (draw < skill) return triageAnswer(modelId, testCase.id, { label: testCase.label }, latency);
      if (draw < skill + 0.04) return triageAnswer(modelId, testCase.id, "none", latency);
      if (draw < skill + 0.06) return triageAnswer(modelId, testCase.id, "cut off", latency);
      const shift = random() < 0.5 ? -1 : 1;
      const other =
        labels[Math.min(2, Math.max(0, reference + (reference === 0 ? 1 : reference === 2 ? -1 : shift)))];
      return triageAnswer(modelId, testCase.id, { label: other }, latency);
    }),
  );
  return analyzeTriage(
    triageStudy("synthetic-triage", options.modelIds, labels),
    cases,
    results,
    "ct-synthetic",
  );
}
