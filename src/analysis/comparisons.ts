import { adjustPValues, mcnemar, pairedDifference } from "../stats/index.ts";
import type { Comparison } from "./report-types.ts";

/** Per model: per case id, whether the primary answer was correct, or null when the job failed. */
export type CorrectnessTable = ReadonlyMap<string, ReadonlyMap<string, boolean | null>>;

export interface ComparisonContext {
  alpha: number;
  level: number;
}

/**
 * The paired comparisons of one family (the whole suite, or one subgroup stratum) on the given cases:
 * 2×2 table, Newcombe CI of p_A − p_B, exact and mid-p McNemar, Holm across the family.
 * A case where either model failed is left out of that pair.
 */
export function compareModels(
  pairs: ReadonlyArray<readonly [string, string]>,
  correctness: CorrectnessTable,
  caseIds: readonly string[],
  context: ComparisonContext,
): Comparison[] {
  const unadjusted = pairs.map(([a, b]) => comparePair(a, b, correctness, caseIds, context));
  const adjusted = adjustPValues(
    unadjusted.map((comparison) => comparison.mcnemar.exactP),
    "holm",
  );
  return unadjusted.map((comparison, index) => ({
    ...comparison,
    adjustedP: adjusted[index],
    adjustment: "holm",
    significant: adjusted[index] < context.alpha,
  }));
}

function comparePair(
  a: string,
  b: string,
  correctness: CorrectnessTable,
  caseIds: readonly string[],
  context: ComparisonContext,
): Omit<Comparison, "adjustedP" | "adjustment" | "significant"> {
  const first = correctness.get(a);
  const second = correctness.get(b);
  if (!first || !second) throw new Error(`no outcomes for comparison ${a} vs ${b}`);
  let excluded = 0;
  let bothCorrect = 0;
  let aOnly = 0;
  let bOnly = 0;
  let neither = 0;
  for (const caseId of caseIds) {
    const left = first.get(caseId) ?? null;
    const right = second.get(caseId) ?? null;
    if (left === null || right === null) excluded += 1;
    else if (left && right) bothCorrect += 1;
    else if (left) aOnly += 1;
    else if (right) bOnly += 1;
    else neither += 1;
  }
  const n = bothCorrect + aOnly + bOnly + neither;
  const test = mcnemar(aOnly, bOnly);
  let difference: Comparison["difference"] = null;
  if (n > 0) {
    const interval = pairedDifference(
      { a: bothCorrect, b: aOnly, c: bOnly, d: neither },
      { method: "newcombe", level: context.level },
    );
    difference = {
      estimate: interval.estimate,
      lower: interval.lower,
      upper: interval.upper,
      method: interval.method,
      level: interval.level,
    };
  }
  return {
    a,
    b,
    n,
    excluded,
    bothCorrect,
    aOnly,
    bOnly,
    neither,
    difference,
    mcnemar: { exactP: test.exactP, midP: test.midP },
  };
}
