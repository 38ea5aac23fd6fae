import type { Case } from "../core/case.ts";
import type { DeclaredComparison, Study } from "../core/study.ts";
import { interactionTest } from "../stats/index.ts";
import type { CountsByModel } from "./comparisons.ts";
import { pairedTableOf } from "./per-case.ts";
import type { Interaction } from "./report-types.ts";
import { strataOf } from "./subgroups.ts";

export type UnadjustedInteraction = Omit<Interaction, "adjustedP" | "adjustment" | "significant">;

/**
 * For every subgroup field with at least two strata and every comparison: the paired difference per
 * stratum, each stratum against the first, and the test of homogeneity across strata. Primary when the
 * comparison is primary and the field is declared in `primarySubgroups`.
 */
export function interactionsOf(input: {
  study: Pick<Study, "subgroups">;
  cases: readonly Case[];
  declared: readonly DeclaredComparison[];
  primarySubgroups: readonly string[];
  /** Per-case counts; with several samples the tables are of majority votes. */
  counts: CountsByModel;
  majorityVote: boolean;
  level: number;
}): UnadjustedInteraction[] {
  const interactions: UnadjustedInteraction[] = [];
  for (const field of input.study.subgroups) {
    const strata = strataOf(input.cases, field);
    if (strata.length < 2) continue;
    for (const pair of input.declared) {
      const first = input.counts.get(pair.a);
      const second = input.counts.get(pair.b);
      if (!first || !second) throw new Error(`no outcomes for comparison ${pair.a} vs ${pair.b}`);
      const tables = strata.map((stratum) => pairedTableOf(first, second, stratum.caseIds, input.level));
      const result = interactionTest(
        tables.map(({ table }) => ({
          a: table.bothCorrect,
          b: table.aOnly,
          c: table.bOnly,
          d: table.neither,
        })),
        { level: input.level },
      );
      const reference =
        strata[result.differences.findIndex((difference) => difference !== null)]?.value ?? "";
      interactions.push({
        field,
        a: pair.a,
        b: pair.b,
        role: pair.primary && input.primarySubgroups.includes(field) ? "primary" : "exploratory",
        strata: strata.map((stratum, index) => {
          const difference = result.differences[index];
          return {
            value: stratum.value,
            n: tables[index].n,
            ...tables[index].table,
            difference: difference && {
              estimate: difference.estimate,
              lower: difference.lower,
              upper: difference.upper,
              method: difference.method,
              level: difference.level,
            },
          };
        }),
        contrasts: result.contrasts.map((contrast) => ({
          value: strata[contrast.stratum].value,
          reference,
          estimate: contrast.estimate,
          lower: contrast.lower,
          upper: contrast.upper,
          method: contrast.method,
          level: contrast.level,
        })),
        test: { method: result.test.method, statistic: result.test.statistic, df: result.test.df },
        p: result.test.p,
      });
    }
  }
  return interactions;
}
