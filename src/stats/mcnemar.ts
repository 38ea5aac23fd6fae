import { binomialProbability, chiSquareUpperTail } from "./distributions.ts";
import { requireCount } from "./validate.ts";

/** A chi-square statistic and its p-value (1 degree of freedom); null when undefined (b + c = 0). */
export interface ChiSquareResult {
  statistic: number | null;
  p: number | null;
}

export interface McnemarResult {
  /** Pairs where A is correct and B is wrong. */
  b: number;
  /** Pairs where A is wrong and B is correct. */
  c: number;
  /** Exact conditional two-sided p: min(1, 2·P(X ≤ min(b, c))), X ~ Bin(b + c, ½); 1 when b = c = 0. */
  exactP: number;
  /** Mid-p (Fagerland et al. 2013): exact p − P(X = min(b, c)); 1 − ½·P(X = b) when b = c; null when b = c = 0. */
  midP: number | null;
  /** Asymptotic (b − c)² / (b + c), as R's `mcnemar.test(correct = FALSE)`. */
  chi2: ChiSquareResult;
  /** With continuity correction (|b − c| − 1)² / (b + c), as R's `mcnemar.test()` (no correction when b = c). */
  chi2cc: ChiSquareResult;
}

/**
 * McNemar's test for two models answering the same cases, from the discordant counts only:
 * b = A correct & B wrong, c = A wrong & B correct.
 */
export function mcnemar(b: number, c: number): McnemarResult {
  requireCount(b, "b");
  requireCount(c, "c");
  const discordant = b + c;
  if (discordant === 0) {
    const undefinedChiSquare = { statistic: null, p: null };
    return { b, c, exactP: 1, midP: null, chi2: undefinedChiSquare, chi2cc: { ...undefinedChiSquare } };
  }
  const smaller = Math.min(b, c);
  const tails =
    discordant <= EXACT_ARITHMETIC_LIMIT ? exactTails(discordant, smaller) : summedTails(discordant, smaller);
  const exactP = Math.min(1, tails.twiceAtOrBelow);
  const difference = Math.abs(b - c);
  const statistic = (difference * difference) / discordant;
  const corrected = difference === 0 ? 0 : difference - 1;
  const correctedStatistic = (corrected * corrected) / discordant;
  return {
    b,
    c,
    exactP,
    midP: tails.mid,
    chi2: { statistic, p: chiSquareUpperTail(statistic, 1) },
    chi2cc: { statistic: correctedStatistic, p: chiSquareUpperTail(correctedStatistic, 1) },
  };
}

/** Up to this many discordant pairs the binomial sums are exact integer arithmetic, rounded once. */
const EXACT_ARITHMETIC_LIMIT = 20_000;

/** For X ~ Bin(n, ½) and k = min(b, c) ≤ n/2. */
interface McnemarTails {
  /** 2·P(X ≤ k), before capping at 1. */
  twiceAtOrBelow: number;
  /** The mid-p: 2·P(X < k) + P(X = k), or 1 − ½·P(X = k) when k = n/2. */
  mid: number;
}

/** The tails as C(n, j)/2^n summed in integers and rounded once, so that e.g. b = 8, c = 0 gives exactly 2⁻⁷. */
function exactTails(n: number, k: number): McnemarTails {
  let coefficient = 1n;
  let below = 0n;
  for (let j = 0; j < k; j++) {
    below += coefficient;
    coefficient = (coefficient * BigInt(n - j)) / BigInt(j + 1);
  }
  const twiceAtOrBelow = dyadic(2n * (below + coefficient), n);
  if (2 * k === n) return { twiceAtOrBelow, mid: dyadic((1n << BigInt(n + 1)) - coefficient, n + 1) };
  return { twiceAtOrBelow, mid: dyadic(2n * below + coefficient, n) };
}

/** numerator / 2^exponent as a double (at most one unit in the last place off). */
function dyadic(numerator: bigint, exponent: number): number {
  if (numerator === 0n) return 0;
  const shift = Math.max(0, numerator.toString(16).length * 4 - 64);
  const leading = Number(numerator >> BigInt(shift));
  const scale = shift - exponent;
  const firstStep = Math.max(scale, -1000);
  return leading * 2 ** firstStep * 2 ** (scale - firstStep);
}

/** The same tails from Loader's binomial probabilities, for very many discordant pairs. */
function summedTails(n: number, k: number): McnemarTails {
  let below = 0;
  for (let count = 0; count < k; count++) below += binomialProbability(count, n, 0.5);
  const atSmaller = binomialProbability(k, n, 0.5);
  return {
    twiceAtOrBelow: 2 * (below + atSmaller),
    mid: 2 * k === n ? 1 - 0.5 * atSmaller : 2 * below + atSmaller,
  };
}
