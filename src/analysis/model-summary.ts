import { OUTCOMES } from "../core/outcome.ts";
import type { ModelSpec } from "../core/study.ts";
import { quantile } from "../stats/index.ts";
import { type AnsweredJob, type GradedJob, isAnswered } from "./graded-job.ts";
import { caseCounts, primaryRule, sampleDiagnostics } from "./per-case.ts";
import { wilsonProportion } from "./proportion.ts";
import { reportedModelName } from "./report-privacy.ts";
import type { Grading, ModelSummary, OutcomeCounts, TokenTotals } from "./report-types.ts";
import type { MeasureContext, TaskMeasures } from "./task-measures.ts";

export interface SummaryContext extends MeasureContext {
  grading: Grading;
  /** Answers per case asked of each model. */
  samples: number;
  measures: TaskMeasures;
}

/**
 * One model's block of the report, from its jobs on one set of cases (all samples; the primary
 * analysis uses sample 0, the pooled `samples` block all of them).
 */
export function summarizeModel(
  spec: Pick<ModelSpec, "id" | "provider" | "model" | "params">,
  digest: string | null,
  jobs: readonly GradedJob[],
  context: SummaryContext,
): ModelSummary {
  const primary = jobs.filter((job) => job.sample === 0);
  const answered = primary.filter(isAnswered);
  const n = answered.length;
  const count = (grading: Grading) => answered.filter((job) => job.correct[grading]).length;
  const strictCorrect = count("strict");
  const lenientCorrect = count("lenient");
  const latencies = answered.map((job) => job.completion.latencyMs);
  const summary: ModelSummary = {
    id: spec.id,
    provider: spec.provider,
    model: reportedModelName(spec),
    digest,
    params: spec.params,
    n,
    outcomes: countOutcomes(primary),
    grading: context.grading,
    accuracy: wilsonProportion(
      context.grading === "strict" ? strictCorrect : lenientCorrect,
      n,
      context.level,
    ),
    strictAccuracy: wilsonProportion(strictCorrect, n, context.level),
    lenientAccuracy: wilsonProportion(lenientCorrect, n, context.level),
    latencyMs: {
      p50: latencies.length === 0 ? null : quantile(latencies, 0.5),
      p95: latencies.length === 0 ? null : quantile(latencies, 0.95),
    },
    tokens: sumTokens(answered),
    ...context.measures.modelMeasures(answered, context),
  };
  if (context.samples > 1) {
    const pooled = jobs.filter(isAnswered);
    const correct = pooled.filter((job) => job.correct[context.grading]).length;
    summary.samples = {
      count: context.samples,
      n: pooled.length,
      accuracy: wilsonProportion(correct, pooled.length, context.level),
      ...sampleDiagnostics(caseCounts(jobs, primaryRule, context.grading), context.level),
    };
  }
  return summary;
}

function countOutcomes(jobs: readonly GradedJob[]): OutcomeCounts {
  const counts = Object.fromEntries(OUTCOMES.map((outcome) => [outcome, 0])) as OutcomeCounts;
  for (const job of jobs) counts[job.outcome] += 1;
  return counts;
}

function sumTokens(jobs: readonly AnsweredJob[]): TokenTotals {
  const sum = (kind: keyof TokenTotals): number | null => {
    const reported = jobs.map((job) => job.completion.tokens[kind]).filter((value) => value !== null);
    return reported.length === 0 ? null : reported.reduce((total, value) => total + value, 0);
  };
  return { prompt: sum("prompt"), completion: sum("completion"), reasoning: sum("reasoning") };
}
