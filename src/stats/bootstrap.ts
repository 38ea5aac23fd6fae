import { InputError } from "../core/errors.ts";
import { normalCdf, normalQuantile } from "./distributions.ts";
import { quantile } from "./quantile.ts";
import { MAX_RANDOM_BOUND, SeededRandom } from "./random.ts";
import { requireChoice, requireLevel } from "./validate.ts";

export const BOOTSTRAP_METHODS = ["bca", "percentile"] as const;
export type BootstrapMethod = (typeof BOOTSTRAP_METHODS)[number];

export interface BootstrapOptions {
  /** `bca` (default) or `percentile`. */
  method?: BootstrapMethod;
  /** Confidence level; default 0.95. */
  level?: number;
  /** Number of resamples; default 2000. */
  replicates?: number;
  /** Seed of the generator; default 1. The same seed gives the same interval. */
  seed?: number;
  /**
   * BCa only: the statistic with case `left` left out, for a statistic that can update for one case
   * (e.g. from counts) instead of being recomputed on the n − 1 others. It must equal the statistic on those
   * n − 1 indices. Without it the jackknife calls the statistic n times on n − 1 cases, which costs O(n²).
   */
  jackknife?: (left: number) => number;
}

export interface BootstrapInterval {
  /** The statistic on the original sample. */
  estimate: number;
  lower: number;
  upper: number;
  method: BootstrapMethod;
  level: number;
  replicates: number;
  seed: number;
}

/** A statistic computed from the cases at `indices` (a resample, with repeats, of 0 … n − 1). */
export type IndexStatistic = (indices: readonly number[]) => number;

/**
 * A bootstrap confidence interval for any statistic of n cases (macro-F1, mean reciprocal rank, …),
 * resampling cases with replacement. `percentile` takes the type-7 quantiles of the replicates;
 * `bca` (Efron 1987) corrects them for bias and skewness, using a jackknife for the acceleration, and is
 * the better default when the statistic's distribution is skewed or bounded. Give `jackknife` when the
 * statistic has a cheap leave-one-out form, so that BCa stays fast for thousands of cases.
 */
export function bootstrapInterval(
  sampleSize: number,
  statistic: IndexStatistic,
  options: BootstrapOptions = {},
): BootstrapInterval {
  const method = requireChoice(options.method ?? "bca", BOOTSTRAP_METHODS, "method");
  const level = requireLevel(options.level ?? 0.95);
  const replicates = options.replicates ?? 2000;
  const seed = options.seed ?? 1;
  if (!Number.isSafeInteger(sampleSize) || sampleSize < 2 || sampleSize > MAX_RANDOM_BOUND) {
    throw new InputError(`must be an integer from 2 to ${MAX_RANDOM_BOUND}, got ${String(sampleSize)}`, {
      field: "sampleSize",
    });
  }
  if (!Number.isSafeInteger(replicates) || replicates < 100) {
    throw new InputError(`must be an integer of at least 100, got ${String(replicates)}`, {
      field: "replicates",
    });
  }
  const random = new SeededRandom(seed);
  const evaluate = (indices: number[]): number => finite(statistic(indices), "statistic");
  const estimate = evaluate(Array.from({ length: sampleSize }, (_, index) => index));
  const values = new Array<number>(replicates);
  for (let replicate = 0; replicate < replicates; replicate++) {
    const indices = new Array<number>(sampleSize);
    for (let position = 0; position < sampleSize; position++) indices[position] = random.nextInt(sampleSize);
    values[replicate] = evaluate(indices);
  }
  let lower: number;
  let upper: number;
  if (method === "percentile") {
    [lower, upper] = percentileLimits(values, level);
  } else {
    const leaveOneOut = options.jackknife;
    const jackknife = Array.from({ length: sampleSize }, (_, left) =>
      leaveOneOut
        ? finite(leaveOneOut(left), "jackknife")
        : evaluate(
            Array.from({ length: sampleSize - 1 }, (_, position) =>
              position < left ? position : position + 1,
            ),
          ),
    );
    [lower, upper] = bcaLimits(values, estimate, jackknife, level);
  }
  return { estimate, lower, upper, method, level, replicates, seed };
}

function finite(value: number, field: string): number {
  if (!Number.isFinite(value)) {
    throw new InputError(`the ${field} returned ${String(value)}; it must return a finite number`, { field });
  }
  return value;
}

/** The percentile interval: type-7 quantiles of the replicates at (1 − level)/2 and (1 + level)/2. */
export function percentileLimits(values: readonly number[], level: number): [number, number] {
  const tail = (1 - level) / 2;
  return [quantile(values, tail), quantile(values, 1 - tail)];
}

/**
 * BCa limits: type-7 quantiles of the replicates at Φ(z0 + (z0 + z)/(1 − a·(z0 + z))) for z = ±z_{(1−level)/2}.
 * Bias correction z0 = Φ⁻¹(share of replicates below the estimate, ties counted half), kept within
 * [½/B, 1 − ½/B] so that it stays finite; acceleration a = Σd³ / (6·(Σd²)^{3/2}) with d = mean(jackknife) − jackknife.
 */
export function bcaLimits(
  values: readonly number[],
  estimate: number,
  jackknife: readonly number[],
  level: number,
): [number, number] {
  const count = values.length;
  let below = 0;
  for (const value of values) below += value < estimate ? 1 : value === estimate ? 0.5 : 0;
  const share = Math.min(Math.max(below / count, 0.5 / count), 1 - 0.5 / count);
  const bias = normalQuantile(share);
  const mean = jackknife.reduce((sum, value) => sum + value, 0) / jackknife.length;
  let squares = 0;
  let cubes = 0;
  for (const value of jackknife) {
    const deviation = mean - value;
    squares += deviation * deviation;
    cubes += deviation * deviation * deviation;
  }
  const acceleration = squares === 0 ? 0 : cubes / (6 * squares ** 1.5);
  const z = normalQuantile((1 - level) / 2);
  const adjusted = (critical: number) => {
    const shifted = bias + critical;
    return normalCdf(bias + shifted / (1 - acceleration * shifted));
  };
  return [quantile(values, adjusted(z)), quantile(values, adjusted(-z))];
}
