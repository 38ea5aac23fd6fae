import { InputError } from "../core/errors.ts";
import { criticalValue, type IntervalOptions, wilson } from "./binomial-interval.ts";
import { solveIncreasing } from "./distributions.ts";
import { requireChoice, requireCount, requireLevel } from "./validate.ts";

/**
 * A paired 2×2 table of two models on the same cases: a = both correct, b = A correct & B wrong,
 * c = A wrong & B correct, d = both wrong.
 */
export interface PairedTable {
  a: number;
  b: number;
  c: number;
  d: number;
}

export const PAIRED_DIFFERENCE_METHODS = ["newcombe", "tango", "wald"] as const;
export type PairedDifferenceMethod = (typeof PAIRED_DIFFERENCE_METHODS)[number];

export interface PairedDifference {
  /** p_A − p_B = (b − c) / n. */
  estimate: number;
  lower: number;
  upper: number;
  method: PairedDifferenceMethod;
  level: number;
}

/**
 * A confidence interval for the difference in accuracy p_A − p_B = (b − c)/n between two models
 * that answered the same n cases.
 * - `newcombe` (default): Newcombe's (1998) method 10, square-and-add of the Wilson intervals of both
 *   accuracies with the continuity-corrected correlation φ; recommended by Fagerland et al. (2014).
 * - `tango`: Tango's (1998) asymptotic score interval; also recommended, slightly different at the edges.
 * - `wald`: (b − c)/n ± z·√(b + c − (b − c)²/n)/n, truncated to [−1, 1]; too narrow for small counts,
 *   given only for comparison with older reports.
 */
export function pairedDifference(
  table: PairedTable,
  options: IntervalOptions<PairedDifferenceMethod> = {},
): PairedDifference {
  const method = requireChoice(options.method ?? "newcombe", PAIRED_DIFFERENCE_METHODS, "method");
  const level = requireLevel(options.level ?? 0.95);
  const { a, b, c, d } = table;
  requireCount(a, "a");
  requireCount(b, "b");
  requireCount(c, "c");
  requireCount(d, "d");
  const n = a + b + c + d;
  if (n === 0) throw new InputError("the table is empty (a + b + c + d = 0)", { field: "a" });
  const estimate = (b - c) / n;
  const z = criticalValue(level);
  const [lower, upper] =
    method === "newcombe" ? newcombe(table, n, z) : method === "tango" ? tango(b, c, n, z) : wald(b, c, n, z);
  return { estimate, lower, upper, method, level };
}

function newcombe({ a, b, c, d }: PairedTable, n: number, z: number): [number, number] {
  const accuracyA = (a + b) / n;
  const accuracyB = (a + c) / n;
  const [lowerA, upperA] = wilson(a + b, n, z);
  const [lowerB, upperB] = wilson(a + c, n, z);
  const phi = correctedPhi(a, b, c, d, n);
  const belowA = accuracyA - lowerA;
  const aboveA = upperA - accuracyA;
  const belowB = accuracyB - lowerB;
  const aboveB = upperB - accuracyB;
  const estimate = (b - c) / n;
  const lower =
    estimate - Math.sqrt(Math.max(0, belowA * belowA - 2 * phi * belowA * aboveB + aboveB * aboveB));
  const upper =
    estimate + Math.sqrt(Math.max(0, belowB * belowB - 2 * phi * belowB * aboveA + aboveA * aboveA));
  return [lower, upper];
}

/**
 * The correlation between the two models' correctness with Newcombe's continuity correction on
 * ad − bc: reduced by n/2 towards 0 when positive (0 when it is at most n/2), left as is when negative;
 * 0 when any margin is empty.
 */
function correctedPhi(a: number, b: number, c: number, d: number, n: number): number {
  const margins = (a + b) * (c + d) * (a + c) * (b + d);
  if (margins === 0) return 0;
  const crossDifference = a * d - b * c;
  const corrected = crossDifference >= 0 ? Math.max(0, crossDifference - n / 2) : crossDifference;
  return corrected / Math.sqrt(margins);
}

/**
 * Tango's score statistic for H0: p_A − p_B = delta, with the restricted maximum-likelihood estimate of
 * the c-cell probability. Decreasing in delta, +∞ at −1 and −∞ at 1 (unless the data sit there).
 */
function tangoStatistic(b: number, c: number, n: number, delta: number): number {
  const linear = -b - c + (2 * n - b + c) * delta;
  const constant = -c * delta * (1 - delta);
  const root = Math.sqrt(Math.max(0, linear * linear - 8 * n * constant));
  // The root of 2n·p² + linear·p + constant = 0 that is a probability, in the form without cancellation.
  const restricted = linear > 0 ? (-2 * constant) / (linear + root) : (root - linear) / (4 * n);
  const numerator = b - c - n * delta;
  const variance = n * (2 * restricted + delta * (1 - delta));
  if (!(variance > 0))
    return numerator === 0 ? 0 : numerator > 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  return numerator / Math.sqrt(variance);
}

function tango(b: number, c: number, n: number, z: number): [number, number] {
  const estimate = (b - c) / n;
  const lower = c === n ? -1 : solveIncreasing((delta) => z - tangoStatistic(b, c, n, delta), -1, estimate);
  const upper = b === n ? 1 : solveIncreasing((delta) => -z - tangoStatistic(b, c, n, delta), estimate, 1);
  return [lower, upper];
}

function wald(b: number, c: number, n: number, z: number): [number, number] {
  const estimate = (b - c) / n;
  const standardError = Math.sqrt(Math.max(0, b + c - ((b - c) * (b - c)) / n)) / n;
  return [Math.max(-1, estimate - z * standardError), Math.min(1, estimate + z * standardError)];
}
