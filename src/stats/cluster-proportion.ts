import { InputError } from "../core/errors.ts";
import { type BootstrapMethod, bootstrapInterval } from "./bootstrap.ts";
import { requireCount } from "./validate.ts";

/** Per case (a cluster): answers that were correct, of the answers the case got. */
export interface CaseCounts {
  correct: number;
  answered: number;
}

export interface ClusterProportion {
  /** Mean over the cases of the per-case proportion correct. */
  estimate: number;
  lower: number;
  upper: number;
  /** Cases with at least one answer: the clusters resampled. */
  cases: number;
  method: BootstrapMethod;
  level: number;
  replicates: number;
  seed: number;
}

export interface ClusterOptions {
  method?: BootstrapMethod;
  level?: number;
  replicates?: number;
  seed?: number;
}

/** The per-case proportions correct of the cases with at least one answer. */
export function caseProportions(counts: readonly CaseCounts[]): number[] {
  return counts
    .map((entry, index) => {
      requireCount(entry.answered, `cases.${index}.answered`);
      requireCount(entry.correct, `cases.${index}.correct`);
      if (entry.correct > entry.answered) {
        throw new InputError(`correct (${entry.correct}) exceeds answered (${entry.answered})`, {
          field: `cases.${index}.correct`,
        });
      }
      return entry;
    })
    .filter((entry) => entry.answered > 0)
    .map((entry) => entry.correct / entry.answered);
}

/**
 * Accuracy when each case was answered several times: the mean over cases of the per-case proportion
 * correct, with a case-level (cluster) bootstrap interval. Resampling whole cases keeps the answers to one
 * case together, so the interval is not narrowed by treating repeated answers as independent.
 */
export function clusterProportion(
  counts: readonly CaseCounts[],
  options: ClusterOptions = {},
): ClusterProportion {
  return meanInterval(caseProportions(counts), options);
}

/** The mean of per-case values with a bootstrap interval over cases (BCa by default; closed-form jackknife). */
export function meanInterval(values: readonly number[], options: ClusterOptions = {}): ClusterProportion {
  if (values.length < 2) {
    throw new InputError(`needs at least 2 cases with an answer, got ${values.length}`, { field: "cases" });
  }
  const total = values.reduce((sum, value) => sum + value, 0);
  const count = values.length;
  const interval = bootstrapInterval(
    count,
    (indices) => {
      let sum = 0;
      for (const index of indices) sum += values[index];
      return sum / indices.length;
    },
    { ...options, jackknife: (left) => (total - values[left]) / (count - 1) },
  );
  return {
    estimate: total / count,
    lower: interval.lower,
    upper: interval.upper,
    cases: count,
    method: interval.method,
    level: interval.level,
    replicates: interval.replicates,
    seed: interval.seed,
  };
}
