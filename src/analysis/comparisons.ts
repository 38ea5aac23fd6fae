import type { AdjustMethod } from "../core/study.ts";
import { adjustPValues, mcnemar } from "../stats/index.ts";
import { type CaseCountTable, comparePerCase, pairedTableOf } from "./per-case.ts";
import type { Comparison, HypothesisRole } from "./report-types.ts";

/** Per model id: per-case scored answers (see per-case.ts). */
export type CountsByModel = ReadonlyMap<string, CaseCountTable>;

export interface ComparisonContext {
  level: number;
  /** Answers per case; with more than one the per-case analysis is the primary test. */
  samples: number;
}

export type UnadjustedComparison = Omit<Comparison, "adjustedP" | "adjustment" | "significant">;

function countsOf(table: CountsByModel, modelId: string): CaseCountTable {
  const counts = table.get(modelId);
  if (!counts) throw new Error(`no outcomes for model ${modelId}`);
  return counts;
}

/**
 * One paired comparison on the given cases: the 2×2 table of the first answers (sample 0), Newcombe CI of
 * p_A − p_B, exact and mid-p McNemar; with several samples also the per-case analysis, whose permutation
 * p becomes the comparison's p. A case where either model failed is left out of the pair.
 */
export function comparePair(
  a: string,
  b: string,
  role: HypothesisRole,
  firstAnswers: CountsByModel,
  allAnswers: CountsByModel,
  caseIds: readonly string[],
  context: ComparisonContext,
): UnadjustedComparison {
  const paired = pairedTableOf(countsOf(firstAnswers, a), countsOf(firstAnswers, b), caseIds, context.level);
  const { table } = paired;
  const mcnemarMidP = mcnemarMid(table.aOnly, table.bOnly);
  const comparison: UnadjustedComparison = {
    a,
    b,
    n: paired.n,
    excluded: paired.excluded,
    ...table,
    difference: paired.difference && {
      estimate: paired.difference.estimate,
      lower: paired.difference.lower,
      upper: paired.difference.upper,
      method: paired.difference.method,
      level: paired.difference.level,
    },
    mcnemar: { exactP: paired.exactP, midP: mcnemarMidP },
    role,
    test: "mcnemar-exact",
    p: paired.exactP,
  };
  if (context.samples > 1) {
    const perCase = comparePerCase(countsOf(allAnswers, a), countsOf(allAnswers, b), caseIds, context.level);
    comparison.samples = perCase;
    comparison.test = "sign-flip-permutation";
    comparison.p = perCase.permutation?.p ?? 1;
  }
  return comparison;
}

function mcnemarMid(b: number, c: number): number | null {
  return mcnemar(b, c).midP;
}

/** What multiplicity adjustment adds to a hypothesis. */
export interface Adjusted {
  adjustedP: number;
  adjustment: AdjustMethod | "none";
  significant: boolean;
}

/**
 * Adjusts the primary hypotheses together (one family, `method`) and leaves exploratory ones unadjusted;
 * significant means adjusted p < alpha. Returned in the order given.
 */
export function adjustFamily<Hypothesis extends { role: HypothesisRole; p: number }>(
  hypotheses: readonly Hypothesis[],
  method: AdjustMethod,
  alpha: number,
): Array<Hypothesis & Adjusted> {
  const primary = hypotheses.filter((hypothesis) => hypothesis.role === "primary");
  const adjusted = adjustPValues(
    primary.map((hypothesis) => hypothesis.p),
    method,
  );
  let next = 0;
  return hypotheses.map((hypothesis) => {
    if (hypothesis.role !== "primary") {
      return {
        ...hypothesis,
        adjustedP: hypothesis.p,
        adjustment: "none",
        significant: hypothesis.p < alpha,
      };
    }
    const adjustedP = adjusted[next++];
    return { ...hypothesis, adjustedP, adjustment: method, significant: adjustedP < alpha };
  });
}
