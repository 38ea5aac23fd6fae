import type { Case, Suite } from "../core/case.ts";
import type { Completion, ModelIdentity } from "../core/chat.ts";
import type { ReasoningCode } from "../core/error-modes.ts";
import { InputError } from "../core/errors.ts";
import { confidenceLevel, DEFAULT_TRIAGE_LABELS, declaredComparisons, type Study } from "../core/study.ts";
import type { JobResult } from "../runner/job-result.ts";
import type { Grade } from "../tasks/task.ts";
import { adjustFamily, type CountsByModel, comparePair, type UnadjustedComparison } from "./comparisons.ts";
import { errorModeSection } from "./error-modes.ts";
import { describeFailure, type GradedJob, isAnswered, NOT_RUN_CAUSE } from "./graded-job.ts";
import { interactionsOf } from "./interactions.ts";
import { type SummaryContext, summarizeModel } from "./model-summary.ts";
import { caseCounts, primaryRule } from "./per-case.ts";
import { withoutPaths } from "./report-privacy.ts";
import type {
  CaseRow,
  Comparison,
  Grading,
  Interaction,
  JobErrorEntry,
  ModelSummary,
  Report,
  RunInfo,
  StudyAnalysis,
  SubgroupStratum,
} from "./report-types.ts";
import { sensitivityAnalyses } from "./sensitivity.ts";
import { strataOf, subgroupValue } from "./subgroups.ts";
import { measuresForTask, type TaskMeasures } from "./task-measures.ts";
import { triageSafetyComparison } from "./triage-measures.ts";

export interface AnalysisInput {
  study: Study;
  suite: Suite;
  run: RunInfo;
  results: readonly JobResult[];
  /** The task's grade, bound to the study by the caller. Called once per answered job. */
  grade: (testCase: Case, completion: Completion) => Grade;
  /** Per model id, when known; otherwise the digest is taken from the completions. */
  identities?: ReadonlyMap<string, ModelIdentity>;
  /** Grading of the primary analysis; default strict. */
  primary?: Grading;
  /** Reviewers' reasoning error-mode codes of this run (diagnosis studies). */
  reasoningCodes?: readonly ReasoningCode[];
}

/**
 * The report of a study run (report.json) and the per-case rows behind it. A pure function of stored
 * data: grading and statistics only, no model calls. Jobs with an error, or never run, are excluded
 * from n and listed, and make the report incomplete.
 */
export function analyzeStudy(input: AnalysisInput): StudyAnalysis {
  const { study, suite } = input;
  const grading = input.primary ?? "strict";
  const measures = measuresForTask(study.task, study.labels);
  const level = confidenceLevel(study);
  const adjust = study.adjust ?? "holm";
  const primarySubgroups = study.primarySubgroups ?? [];
  const context: SummaryContext = {
    grading,
    topK: study.topK,
    level,
    samples: study.samples,
    measures,
  };
  const results = indexResults(input.results, study, suite);
  const jobsByModel = new Map<string, GradedJob[]>();
  for (const model of study.models) {
    const jobs: GradedJob[] = [];
    for (const testCase of suite.cases) {
      for (let sample = 0; sample < study.samples; sample++) {
        const result = results.get(jobKey(model.id, testCase.id, sample));
        jobs.push(gradeJob(model.id, testCase, sample, result, input.grade, measures, context));
      }
    }
    jobsByModel.set(model.id, jobs);
  }

  const digests = new Map(
    study.models.map((model) => [model.id, digestOf(model.id, jobsByModel, input.identities)]),
  );
  const summarize = (caseIds: ReadonlySet<string> | null): ModelSummary[] =>
    study.models.map((model) => {
      const jobs = jobsByModel.get(model.id) ?? [];
      const selected = caseIds === null ? jobs : jobs.filter((job) => caseIds.has(job.testCase.id));
      return summarizeModel(model, digests.get(model.id) ?? null, selected, context);
    });
  const declared = declaredComparisons(study);
  const firstAnswers = countsByModel(jobsByModel, grading, true);
  const allAnswers = study.samples > 1 ? countsByModel(jobsByModel, grading, false) : firstAnswers;
  const comparisonContext = { level, samples: study.samples };
  const compareOn = (caseIds: readonly string[], primaryField: boolean): UnadjustedComparison[] =>
    declared.map((pair) =>
      comparePair(
        pair.a,
        pair.b,
        pair.primary && primaryField ? "primary" : "exploratory",
        firstAnswers,
        allAnswers,
        caseIds,
        comparisonContext,
      ),
    );
  const allCaseIds = suite.cases.map((testCase) => testCase.id);
  const overall = compareOn(allCaseIds, true);

  const strata: Array<Omit<SubgroupStratum, "comparisons"> & { comparisons: UnadjustedComparison[] }> = [];
  for (const field of study.subgroups) {
    for (const stratum of strataOf(suite.cases, field)) {
      strata.push({
        field,
        value: stratum.value,
        cases: stratum.caseIds.length,
        models: summarize(new Set(stratum.caseIds)),
        comparisons: compareOn(stratum.caseIds, primarySubgroups.includes(field)),
      });
    }
  }
  const interactions = interactionsOf({
    study,
    cases: suite.cases,
    declared,
    primarySubgroups,
    counts: study.samples > 1 ? allAnswers : firstAnswers,
    majorityVote: study.samples > 1,
    level,
  });

  // One family: every primary hypothesis (overall, declared subgroup fields, their interactions).
  const family = adjustFamily(
    [
      ...overall,
      ...strata.flatMap((stratum) => stratum.comparisons),
      ...interactions.map((interaction) => ({ ...interaction })),
    ],
    adjust,
    study.alpha,
  );
  let position = 0;
  const take = (count: number) => {
    const slice = family.slice(position, position + count);
    position += count;
    return slice;
  };
  const comparisons = take(overall.length) as Comparison[];
  if (study.task === "triage") {
    const labels = study.labels ?? DEFAULT_TRIAGE_LABELS;
    for (const comparison of comparisons) {
      comparison.safety = triageSafetyComparison(
        jobsByModel.get(comparison.a) ?? [],
        jobsByModel.get(comparison.b) ?? [],
        labels,
        level,
      );
    }
  }
  const subgroups: SubgroupStratum[] = strata.map((stratum) => ({
    ...stratum,
    comparisons: take(stratum.comparisons.length) as Comparison[],
  }));
  const adjustedInteractions = take(interactions.length) as Interaction[];

  const errors: JobErrorEntry[] = [];
  for (const jobs of jobsByModel.values()) {
    for (const job of jobs) {
      if (!isAnswered(job)) {
        errors.push({ model: job.modelId, case: job.testCase.id, sample: job.sample, cause: job.cause });
      }
    }
  }

  const report: Report = {
    schema: "clinval.report/v1",
    study: {
      name: study.name,
      task: study.task,
      topK: study.topK,
      alpha: study.alpha,
      level,
      adjust,
      primarySubgroups: [...primarySubgroups],
      samples: study.samples,
      grading,
      ...(study.threshold === undefined ? {} : { threshold: study.threshold }),
      subgroups: [...study.subgroups],
      suite: { id: suite.id, cases: suite.cases.length, sha256: suite.sha256 },
    },
    run: {
      id: input.run.id,
      startedAt: input.run.startedAt,
      finishedAt: input.run.finishedAt,
      complete: input.run.complete && errors.length === 0,
    },
    models: summarize(null),
    comparisons,
    subgroups,
    interactions: adjustedInteractions,
    sensitivity: sensitivityAnalyses({
      jobsByModel,
      grading,
      declared,
      caseIds: allCaseIds,
      samples: study.samples,
      level,
      adjust,
      alpha: study.alpha,
    }),
    errors,
  };
  const rows = [...jobsByModel.values()].flatMap((jobs) =>
    jobs.map((job) => caseRow(job, study.subgroups, measures)),
  );
  if (measures.errorModes) {
    report.errorModes = errorModeSection({
      modelIds: study.models.map((model) => model.id),
      pairs: declared.map((pair): [string, string] => [pair.a, pair.b]),
      rows,
      codes: input.reasoningCodes ?? [],
      alpha: study.alpha,
      level,
    });
  }
  return { report, details: { rows } };
}

function jobKey(modelId: string, caseId: string, sample: number): string {
  return JSON.stringify([modelId, caseId, sample]);
}

/**
 * Results by job. When a job was stored more than once (a failed attempt, then a resumed one),
 * an answer wins over an error, and otherwise the later result wins.
 */
function indexResults(results: readonly JobResult[], study: Study, suite: Suite): Map<string, JobResult> {
  const modelIds = new Set(study.models.map((model) => model.id));
  const caseIds = new Set<string>();
  for (const [index, testCase] of suite.cases.entries()) {
    if (caseIds.has(testCase.id)) {
      throw new InputError(`duplicate case id "${testCase.id}"`, {
        file: suite.source,
        field: `cases.${index}.id`,
      });
    }
    caseIds.add(testCase.id);
  }
  const indexed = new Map<string, JobResult>();
  for (const [index, result] of results.entries()) {
    const field = `results.${index}`;
    if (!modelIds.has(result.modelId)) {
      throw new InputError(`result for model "${result.modelId}", which is not in the study`, { field });
    }
    if (!caseIds.has(result.caseId)) {
      throw new InputError(`result for case "${result.caseId}", which is not in suite ${suite.id}`, {
        field,
      });
    }
    if (!Number.isInteger(result.sample) || result.sample < 0 || result.sample >= study.samples) {
      throw new InputError(`sample ${result.sample} is outside 0…${study.samples - 1}`, { field });
    }
    const key = jobKey(result.modelId, result.caseId, result.sample);
    const earlier = indexed.get(key);
    if (earlier === undefined || result.completion !== null || earlier.completion === null) {
      indexed.set(key, result);
    }
  }
  return indexed;
}

function gradeJob(
  modelId: string,
  testCase: Case,
  sample: number,
  result: JobResult | undefined,
  grade: AnalysisInput["grade"],
  measures: TaskMeasures,
  context: SummaryContext,
): GradedJob {
  if (result === undefined) return { modelId, testCase, sample, outcome: "error", cause: NOT_RUN_CAUSE };
  if (result.error !== null || result.completion === null) {
    const cause =
      result.error === null ? "no completion stored" : withoutPaths(describeFailure(result.error));
    return { modelId, testCase, sample, outcome: "error", cause };
  }
  const graded = grade(testCase, result.completion);
  return {
    modelId,
    testCase,
    sample,
    outcome: graded.outcome,
    grade: graded,
    completion: result.completion,
    correct: measures.correctness(graded, context),
  };
}

function digestOf(
  modelId: string,
  jobsByModel: ReadonlyMap<string, readonly GradedJob[]>,
  identities: ReadonlyMap<string, ModelIdentity> | undefined,
): string | null {
  const known = identities?.get(modelId)?.digest;
  if (known) return known;
  for (const job of jobsByModel.get(modelId) ?? []) {
    if (isAnswered(job) && job.completion.model.digest) return job.completion.model.digest;
  }
  return null;
}

/** Per model, per case: the scored answers of the primary analysis, of sample 0 only or of every sample. */
function countsByModel(
  jobsByModel: ReadonlyMap<string, readonly GradedJob[]>,
  grading: Grading,
  firstOnly: boolean,
): CountsByModel {
  const table = new Map<string, ReturnType<typeof caseCounts>>();
  for (const [modelId, jobs] of jobsByModel) {
    table.set(
      modelId,
      caseCounts(firstOnly ? jobs.filter((job) => job.sample === 0) : jobs, primaryRule, grading),
    );
  }
  return table;
}

function caseRow(job: GradedJob, subgroupFields: readonly string[], measures: TaskMeasures): CaseRow {
  const answered = isAnswered(job);
  const row: CaseRow = {
    model: job.modelId,
    case: job.testCase.id,
    sample: job.sample,
    outcome: job.outcome,
    ...measures.rowFields(job.testCase, answered ? job.grade : null),
    latencyMs: answered ? job.completion.latencyMs : null,
    tokens: answered ? { ...job.completion.tokens } : { prompt: null, completion: null, reasoning: null },
    error: answered ? null : job.cause,
    subgroups: Object.fromEntries(subgroupFields.map((field) => [field, subgroupValue(job.testCase, field)])),
  };
  if (measures.errorModes) {
    row.errorModes = answered ? measures.errorModes(job.testCase, job.completion, job.grade) : [];
  }
  return row;
}
