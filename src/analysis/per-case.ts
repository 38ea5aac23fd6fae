import {
  type CaseCounts,
  clusterProportion,
  flipRate,
  mcnemar,
  meanInterval,
  noiseDiscordance,
  pairedDifference,
  signFlipTest,
} from "../stats/index.ts";
import { type GradedJob, isAnswered } from "./graded-job.ts";
import { wilsonProportion } from "./proportion.ts";
import type {
  BootstrapEstimate,
  Grading,
  PairedTableCounts,
  PerCaseComparison,
  SampleDiagnostics,
} from "./report-types.ts";

/** The seeded case-level bootstrap behind every per-case interval: BCa, 2000 resamples, seed 1. */
export const CLUSTER_BOOTSTRAP = { method: "bca", replicates: 2000, seed: 1 } as const;

/** How a job scores in one analysis: 1 correct, 0 incorrect, null left out of n. */
export type ScoringRule = (job: GradedJob, grading: Grading) => 0 | 1 | null;

/** The declared primary analysis: errors are left out; unparseable and truncated answers are wrong. */
export const primaryRule: ScoringRule = (job, grading) =>
  isAnswered(job) ? (job.correct[grading] ? 1 : 0) : null;

/** Per case id: the scored answers of one model over all its samples. */
export type CaseCountTable = ReadonlyMap<string, CaseCounts>;

export function caseCounts(
  jobs: readonly GradedJob[],
  rule: ScoringRule,
  grading: Grading,
): Map<string, CaseCounts> {
  const counts = new Map<string, CaseCounts>();
  for (const job of jobs) {
    const entry = counts.get(job.testCase.id) ?? { correct: 0, answered: 0 };
    const score = rule(job, grading);
    if (score !== null) {
      entry.answered += 1;
      entry.correct += score;
    }
    counts.set(job.testCase.id, entry);
  }
  return counts;
}

function estimateOf(interval: ReturnType<typeof meanInterval>): BootstrapEstimate {
  return {
    estimate: interval.estimate,
    lower: interval.lower,
    upper: interval.upper,
    method: `cluster-bootstrap-${interval.method}`,
    level: interval.level,
    replicates: interval.replicates,
    seed: interval.seed,
  };
}

/** A model's per-case accuracy and determinism over several samples per case. */
export function sampleDiagnostics(counts: CaseCountTable, level: number): SampleDiagnostics {
  const values = [...counts.values()];
  const answeredCases = values.filter((entry) => entry.answered > 0).length;
  return {
    cases: answeredCases,
    perCase:
      answeredCases < 2 ? null : estimateOf(clusterProportion(values, { ...CLUSTER_BOOTSTRAP, level })),
    flips: flipRate(values),
  };
}

/** The accuracy of one analysis from per-case counts: Wilson with one sample, the cluster mean with several. */
export function accuracyFromCounts(
  counts: CaseCountTable,
  samples: number,
  level: number,
): {
  n: number;
  correct: number;
  accuracy: { estimate: number; lower: number; upper: number; method: string; level: number } | null;
} {
  const values = [...counts.values()];
  const n = values.reduce((sum, entry) => sum + entry.answered, 0);
  const correct = values.reduce((sum, entry) => sum + entry.correct, 0);
  if (samples === 1) {
    const proportion = wilsonProportion(correct, n, level);
    return {
      n,
      correct,
      accuracy: proportion && {
        estimate: proportion.estimate,
        lower: proportion.lower,
        upper: proportion.upper,
        method: proportion.method,
        level: proportion.level,
      },
    };
  }
  const answered = values.filter((entry) => entry.answered > 0);
  if (answered.length < 2) return { n, correct, accuracy: null };
  const {
    estimate,
    lower,
    upper,
    method,
    level: intervalLevel,
  } = estimateOf(clusterProportion(answered, { ...CLUSTER_BOOTSTRAP, level }));
  return { n, correct, accuracy: { estimate, lower, upper, method, level: intervalLevel } };
}

/** Least common multiple of the answers per case, so that per-case differences scale to integers. */
function commonScale(entries: readonly CaseCounts[]): number {
  const gcd = (left: number, right: number): number => (right === 0 ? left : gcd(right, left % right));
  let scale = 1;
  for (const { answered } of entries) {
    scale = (scale / gcd(scale, answered)) * answered;
    if (scale > 1e9) return Number.NaN;
  }
  return scale;
}

/**
 * Two models compared on per-case proportions over the cases where both have an answer: the mean paired
 * difference with a case-level bootstrap interval, the exact (or Monte Carlo) sign-flip permutation test,
 * McNemar on the per-case majority vote as a secondary test, and the share of disagreement that sampling
 * noise alone explains.
 */
export function comparePerCase(
  first: CaseCountTable,
  second: CaseCountTable,
  caseIds: readonly string[],
  level: number,
): PerCaseComparison {
  const pairs: Array<[CaseCounts, CaseCounts]> = [];
  for (const caseId of caseIds) {
    const left = first.get(caseId);
    const right = second.get(caseId);
    if (left && right && left.answered > 0 && right.answered > 0) pairs.push([left, right]);
  }
  const differences = pairs.map(
    ([left, right]) => left.correct / left.answered - right.correct / right.answered,
  );
  const majority: PairedTableCounts = { bothCorrect: 0, aOnly: 0, bOnly: 0, neither: 0 };
  for (const [left, right] of pairs) {
    const leftWins = 2 * left.correct > left.answered;
    const rightWins = 2 * right.correct > right.answered;
    if (leftWins && rightWins) majority.bothCorrect += 1;
    else if (leftWins) majority.aOnly += 1;
    else if (rightWins) majority.bOnly += 1;
    else majority.neither += 1;
  }
  const majorityTest = mcnemar(majority.aOnly, majority.bOnly);
  const scale = commonScale(pairs.flat());
  const permutation =
    differences.length === 0
      ? null
      : signFlipTest(differences, {
          scale: Number.isNaN(scale) ? undefined : scale,
          seed: CLUSTER_BOOTSTRAP.seed,
        });
  return {
    cases: pairs.length,
    difference:
      differences.length < 2 ? null : estimateOf(meanInterval(differences, { ...CLUSTER_BOOTSTRAP, level })),
    permutation: permutation && {
      p: permutation.p,
      method: permutation.method,
      replicates: permutation.replicates,
      seed: permutation.seed,
    },
    majorityVote: { ...majority, mcnemar: { exactP: majorityTest.exactP, midP: majorityTest.midP } },
    discordance: noiseDiscordance(
      pairs.map(([left]) => left),
      pairs.map(([, right]) => right),
    ),
  };
}

/**
 * The paired 2×2 table and Newcombe interval of two models from per-case scores: with one answer per case
 * its correctness, with several the majority vote (more than half correct; a tie is not correct).
 */
export function pairedTableOf(
  first: CaseCountTable,
  second: CaseCountTable,
  caseIds: readonly string[],
  level: number,
): {
  table: PairedTableCounts;
  n: number;
  excluded: number;
  difference: ReturnType<typeof pairedDifference> | null;
  exactP: number;
} {
  const table: PairedTableCounts = { bothCorrect: 0, aOnly: 0, bOnly: 0, neither: 0 };
  let excluded = 0;
  for (const caseId of caseIds) {
    const left = first.get(caseId);
    const right = second.get(caseId);
    if (!left || !right || left.answered === 0 || right.answered === 0) {
      excluded += 1;
      continue;
    }
    const leftCorrect = 2 * left.correct > left.answered;
    const rightCorrect = 2 * right.correct > right.answered;
    if (leftCorrect && rightCorrect) table.bothCorrect += 1;
    else if (leftCorrect) table.aOnly += 1;
    else if (rightCorrect) table.bOnly += 1;
    else table.neither += 1;
  }
  const n = table.bothCorrect + table.aOnly + table.bOnly + table.neither;
  return {
    table,
    n,
    excluded,
    difference:
      n === 0
        ? null
        : pairedDifference(
            { a: table.bothCorrect, b: table.aOnly, c: table.bOnly, d: table.neither },
            { level },
          ),
    exactP: mcnemar(table.aOnly, table.bOnly).exactP,
  };
}
