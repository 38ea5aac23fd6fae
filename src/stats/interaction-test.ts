import { InputError } from "../core/errors.ts";
import { chiSquareUpperTail } from "./distributions.ts";
import { type PairedDifference, type PairedTable, pairedDifference } from "./paired-difference.ts";
import { requireLevel } from "./validate.ts";

export interface InteractionContrast {
  /** Index of the stratum compared with the first (reference) stratum. */
  stratum: number;
  /** Its paired difference minus the reference stratum's: (p_A − p_B)ₛ − (p_A − p_B)₀. */
  estimate: number;
  lower: number;
  upper: number;
  method: "mover-newcombe";
  level: number;
}

export interface InteractionResult {
  /** Each stratum's paired difference A − B (Newcombe); null for a stratum with n = 0. */
  differences: Array<PairedDifference | null>;
  /** Every non-empty stratum after the first against the first non-empty one. */
  contrasts: InteractionContrast[];
  /**
   * Homogeneity of the discordant-pair split b/(b + c) across strata (equal conditional odds ratios
   * b/c, the model × stratum interaction of a conditional logistic model): Fisher's exact test for two
   * strata, Pearson's chi-square on S − 1 degrees of freedom otherwise, over the strata with discordant
   * pairs. p is 1 when fewer than two strata have discordant pairs.
   */
  test: { method: "fisher-exact" | "chi-square"; statistic: number | null; df: number; p: number };
}

/**
 * Whether the paired difference between two models changes between strata of a subgroup field (does the
 * reasoning model gain more on rare diseases?). The contrasts combine the strata's Newcombe intervals by
 * MOVER (Zou & Donner 2008), as the strata are independent.
 */
export function interactionTest(
  tables: readonly PairedTable[],
  options: { level?: number } = {},
): InteractionResult {
  const level = requireLevel(options.level ?? 0.95);
  if (tables.length < 2)
    throw new InputError(`needs at least 2 strata, got ${tables.length}`, { field: "strata" });
  const differences = tables.map((table) =>
    table.a + table.b + table.c + table.d === 0 ? null : pairedDifference(table, { level }),
  );
  const reference = differences.findIndex((difference) => difference !== null);
  const contrasts: InteractionContrast[] = [];
  if (reference >= 0) {
    const base = differences[reference] as PairedDifference;
    differences.forEach((difference, stratum) => {
      if (difference === null || stratum === reference) return;
      const estimate = difference.estimate - base.estimate;
      contrasts.push({
        stratum,
        estimate,
        lower: estimate - Math.hypot(difference.estimate - difference.lower, base.upper - base.estimate),
        upper: estimate + Math.hypot(difference.upper - difference.estimate, base.estimate - base.lower),
        method: "mover-newcombe",
        level,
      });
    });
  }
  const discordant = tables.filter((table) => table.b + table.c > 0);
  if (discordant.length < 2)
    return { differences, contrasts, test: { method: "chi-square", statistic: null, df: 0, p: 1 } };
  if (discordant.length === 2) {
    const [first, second] = discordant;
    return {
      differences,
      contrasts,
      test: {
        method: "fisher-exact",
        statistic: null,
        df: 1,
        p: fisherExact(first.b, first.c, second.b, second.c),
      },
    };
  }
  const statistic = pearsonStatistic(discordant);
  const df = discordant.length - 1;
  return {
    differences,
    contrasts,
    test: { method: "chi-square", statistic, df, p: chiSquareUpperTail(statistic, df) },
  };
}

/** Pearson's X² of the S × 2 table of (b, c), as R's `chisq.test(correct = FALSE)`. */
function pearsonStatistic(tables: readonly PairedTable[]): number {
  const totalB = tables.reduce((sum, table) => sum + table.b, 0);
  const totalC = tables.reduce((sum, table) => sum + table.c, 0);
  const total = totalB + totalC;
  if (totalB === 0 || totalC === 0) return 0;
  let statistic = 0;
  for (const table of tables) {
    const row = table.b + table.c;
    const expectedB = (row * totalB) / total;
    const expectedC = (row * totalC) / total;
    statistic += (table.b - expectedB) ** 2 / expectedB + (table.c - expectedC) ** 2 / expectedC;
  }
  return statistic;
}

/**
 * Two-sided Fisher exact p of the 2 × 2 table [[b1, c1], [b2, c2]], as R's `fisher.test`: the sum of the
 * hypergeometric probabilities not above the observed one (relative tolerance 1e-7).
 */
export function fisherExact(b1: number, c1: number, b2: number, c2: number): number {
  const firstRow = b1 + c1;
  const secondRow = b2 + c2;
  const firstColumn = b1 + b2;
  const low = Math.max(0, firstColumn - secondRow);
  const high = Math.min(firstRow, firstColumn);
  // Hypergeometric weights relative to x = low, built by the ratio of consecutive probabilities in logs.
  const logWeights: number[] = [0];
  for (let x = low; x < high; x++) {
    const ratio = ((firstRow - x) * (firstColumn - x)) / ((x + 1) * (secondRow - firstColumn + x + 1));
    logWeights.push(logWeights[logWeights.length - 1] + Math.log(ratio));
  }
  const largest = Math.max(...logWeights);
  const weights = logWeights.map((value) => Math.exp(value - largest));
  const total = weights.reduce((sum, value) => sum + value, 0);
  const observed = weights[b1 - low];
  let p = 0;
  for (const weight of weights) if (weight <= observed * (1 + 1e-7)) p += weight;
  return Math.min(1, p / total);
}
