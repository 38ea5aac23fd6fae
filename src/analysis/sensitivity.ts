import type { AdjustMethod, DeclaredComparison } from "../core/study.ts";
import { adjustFamily } from "./comparisons.ts";
import { type GradedJob, isAnswered } from "./graded-job.ts";
import {
  accuracyFromCounts,
  caseCounts,
  comparePerCase,
  pairedTableOf,
  primaryRule,
  type ScoringRule,
} from "./per-case.ts";
import type { Grading, SensitivityAnalysis, SensitivityName } from "./report-types.ts";

const RULES: Record<SensitivityName, { rule: ScoringRule; description: string }> = {
  primary: {
    rule: primaryRule,
    description:
      "As declared: errors (failed calls, timeouts) left out of n; unparseable and truncated answers incorrect.",
  },
  "errors-as-incorrect": {
    rule: (job, grading) => (isAnswered(job) ? (job.correct[grading] ? 1 : 0) : 0),
    description: "Errors (failed calls, timeouts after retries) counted as incorrect answers.",
  },
  "truncated-excluded": {
    rule: (job, grading) =>
      isAnswered(job) && job.outcome !== "truncated" ? (job.correct[grading] ? 1 : 0) : null,
    description: "Answers cut off at the token limit (truncated) left out of n, as errors are.",
  },
};

/**
 * The missing-answer sensitivity table: each model's accuracy and each comparison again under each way
 * of counting answers that are missing for reasons other than the model's knowledge, so a reader sees
 * whether the conclusion depends on it. Comparisons keep their declared roles and the study's adjustment.
 */
export function sensitivityAnalyses(input: {
  jobsByModel: ReadonlyMap<string, readonly GradedJob[]>;
  grading: Grading;
  declared: readonly DeclaredComparison[];
  caseIds: readonly string[];
  samples: number;
  level: number;
  adjust: AdjustMethod;
  alpha: number;
}): SensitivityAnalysis[] {
  return (Object.keys(RULES) as SensitivityName[]).map((analysis) => {
    const { rule, description } = RULES[analysis];
    const counts = new Map(
      [...input.jobsByModel].map(
        ([modelId, jobs]) => [modelId, caseCounts(jobs, rule, input.grading)] as const,
      ),
    );
    const models = [...counts].map(([id, table]) => ({
      id,
      ...accuracyFromCounts(table, input.samples, input.level),
    }));
    const comparisons = input.declared.map((pair) => {
      const first = counts.get(pair.a);
      const second = counts.get(pair.b);
      if (!first || !second) throw new Error(`no outcomes for comparison ${pair.a} vs ${pair.b}`);
      const role = pair.primary ? ("primary" as const) : ("exploratory" as const);
      if (input.samples === 1) {
        const paired = pairedTableOf(first, second, input.caseIds, input.level);
        return {
          a: pair.a,
          b: pair.b,
          n: paired.n,
          difference: paired.difference && {
            estimate: paired.difference.estimate,
            lower: paired.difference.lower,
            upper: paired.difference.upper,
            method: paired.difference.method,
            level: paired.difference.level,
          },
          test: "mcnemar-exact" as const,
          p: paired.exactP,
          role,
        };
      }
      const perCase = comparePerCase(first, second, input.caseIds, input.level);
      return {
        a: pair.a,
        b: pair.b,
        n: perCase.cases,
        difference: perCase.difference && {
          estimate: perCase.difference.estimate,
          lower: perCase.difference.lower,
          upper: perCase.difference.upper,
          method: perCase.difference.method,
          level: perCase.difference.level,
        },
        test: "sign-flip-permutation" as const,
        p: perCase.permutation?.p ?? 1,
        role,
      };
    });
    const adjusted = adjustFamily(comparisons, input.adjust, input.alpha).map(
      ({ adjustment: _adjustment, ...rest }) => rest,
    );
    return { analysis, description, models, comparisons: adjusted };
  });
}
