/**
 * Statistics for paired clinical comparisons. Pure functions: no I/O, no clock, no global randomness.
 *
 * Conventions
 * - Paired 2×2 table of two models A and B on the same n cases: a = both correct, b = A correct & B wrong,
 *   c = A wrong & B correct, d = both wrong. Accuracies p_A = (a + b)/n and p_B = (a + c)/n; the
 *   difference is p_A − p_B = (b − c)/n. Only the discordant pairs b and c carry evidence of a difference.
 * - Exact McNemar p = min(1, 2·P(X ≤ min(b, c))) with X ~ Binomial(b + c, ½); 1 (never 0) when b = c = 0.
 * - Mid-p (Fagerland, Lydersen & Laake 2013) = exact p − P(X = min(b, c)) (uncapped), and 1 − ½·P(X = b)
 *   when b = c; undefined (null) when b = c = 0. It is less conservative than the exact p and keeps close
 *   to the nominal level.
 * - Chi-square statistics and p-values equal R's `mcnemar.test` with and without continuity correction;
 *   null where R gives NaN.
 * - Intervals are two-sided at `level` (default 0.95) with the critical value z = Φ⁻¹(1 − (1 − level)/2).
 * - Paired differences: Newcombe's method 10 by default, with the continuity-corrected correlation
 *   (ad − bc reduced by n/2 when positive, as in Newcombe 1998 and Fagerland et al. 2014); Tango's score
 *   interval and Wald on request.
 * - Quantiles are R's default, type 7.
 * - Labelled data (kappa, classification): label order is the order given, else first appearance.
 *   Confusion matrices have rows = reference, columns = predicted. The precision of a class that is never
 *   predicted is 0 (not undefined), recall with no support is 0, and F1 is 0 when both are 0, so such a
 *   class lowers macro-F1 (scikit-learn's `zero_division=0`).
 * - Bootstrap intervals resample cases with a seeded xoshiro128** generator: the same seed, replicates and
 *   statistic give the same interval everywhere.
 * - Bad input throws `InputError` naming the offending field; no function returns NaN for a valid input.
 *   Undefined quantities (a chi-square with b + c = 0, kappa when chance agreement is 1) are null.
 */

export { adjustPValues, P_ADJUST_METHODS, type PAdjustMethod } from "./adjust-p-values.ts";
export {
  BINOMIAL_INTERVAL_METHODS,
  type BinomialInterval,
  type BinomialIntervalMethod,
  binomialInterval,
  type IntervalOptions,
} from "./binomial-interval.ts";
export {
  BOOTSTRAP_METHODS,
  type BootstrapInterval,
  type BootstrapMethod,
  type BootstrapOptions,
  bcaLimits,
  bootstrapInterval,
  type IndexStatistic,
  percentileLimits,
} from "./bootstrap.ts";
export { type Calibration, calibration, type ReliabilityBin } from "./calibration.ts";
export { type ClassificationMetrics, type ClassMetrics, classificationMetrics } from "./classification.ts";
export {
  type CaseCounts,
  type ClusterOptions,
  type ClusterProportion,
  caseProportions,
  clusterProportion,
  meanInterval,
} from "./cluster-proportion.ts";
export { type CochranQResult, cochranQ } from "./cochran-q.ts";
export { type FlipRate, flipRate, type NoiseDiscordance, noiseDiscordance } from "./determinism.ts";
export {
  binomialCdf,
  binomialProbability,
  binomialUpperTail,
  chiSquareUpperTail,
  normalCdf,
  normalQuantile,
  normalUpperTail,
} from "./distributions.ts";
export {
  fisherExact,
  type InteractionContrast,
  type InteractionResult,
  interactionTest,
} from "./interaction-test.ts";
export {
  type CohenKappaOptions,
  type CohenKappaResult,
  cohenKappa,
  type FleissKappaResult,
  fleissKappa,
  KAPPA_WEIGHTS,
  type KappaWeights,
} from "./kappa.ts";
export { type ChiSquareResult, type McnemarResult, mcnemar } from "./mcnemar.ts";
export {
  PAIRED_DIFFERENCE_METHODS,
  type PairedDifference,
  type PairedDifferenceMethod,
  type PairedTable,
  pairedDifference,
} from "./paired-difference.ts";
export { quantile } from "./quantile.ts";
export { SeededRandom } from "./random.ts";
export { type McnemarPlan, type McnemarPlanOptions, mcnemarExactPower, planMcnemar } from "./sample-size.ts";
export { type SignFlipOptions, type SignFlipResult, signFlipTest } from "./sign-flip-test.ts";
