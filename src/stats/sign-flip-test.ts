import { InputError } from "../core/errors.ts";
import { SeededRandom } from "./random.ts";

export interface SignFlipResult {
  /** Mean of the paired differences. */
  estimate: number;
  /** Two-sided p: the share of sign assignments whose |sum| is at least the observed |sum|. */
  p: number;
  method: "exact" | "monte-carlo";
  /** Monte Carlo only: the number of random sign assignments (null when exact). */
  replicates: number | null;
  seed: number | null;
}

export interface SignFlipOptions {
  /**
   * A number that makes every difference an integer when multiplied by it (e.g. the least common multiple
   * of the answers per case). With it the test is exact, by convolution over the attainable sums.
   */
  scale?: number;
  /** Monte Carlo replicates when the exact distribution is too large; default 20000. */
  replicates?: number;
  seed?: number;
}

/** Largest sum of |scaled differences| for which the exact distribution is computed. */
const EXACT_LIMIT = 1_000_000;

/**
 * The paired permutation (sign-flip) test of a zero mean difference: under the null hypothesis the two
 * models are exchangeable within each case, so each case's difference is equally likely to have either
 * sign. Exact when `scale` makes the differences integers of modest total size, else Monte Carlo with
 * p = (1 + hits)/(1 + replicates). With one answer per case the differences are −1, 0, 1 and the exact test
 * is McNemar's exact test.
 */
export function signFlipTest(differences: readonly number[], options: SignFlipOptions = {}): SignFlipResult {
  if (differences.length === 0) throw new InputError("needs at least one paired difference", { field: "d" });
  for (const [index, value] of differences.entries()) {
    if (!Number.isFinite(value)) {
      throw new InputError(`must be a finite number, got ${String(value)}`, { field: `d.${index}` });
    }
  }
  const estimate = differences.reduce((sum, value) => sum + value, 0) / differences.length;
  const scaled = options.scale === undefined ? null : integerDifferences(differences, options.scale);
  if (scaled !== null) {
    const total = scaled.reduce((sum, value) => sum + Math.abs(value), 0);
    if (total <= EXACT_LIMIT)
      return { estimate, p: exactP(scaled, total), method: "exact", replicates: null, seed: null };
  }
  const replicates = options.replicates ?? 20_000;
  const seed = options.seed ?? 1;
  if (!Number.isSafeInteger(replicates) || replicates < 100) {
    throw new InputError(`must be an integer of at least 100, got ${String(replicates)}`, {
      field: "replicates",
    });
  }
  const random = new SeededRandom(seed);
  const observed = Math.abs(differences.reduce((sum, value) => sum + value, 0));
  const tolerance = 1e-9 * Math.max(1, observed);
  let hits = 0;
  for (let replicate = 0; replicate < replicates; replicate++) {
    let sum = 0;
    for (const value of differences) sum += random.nextInt(2) === 0 ? value : -value;
    if (Math.abs(sum) >= observed - tolerance) hits += 1;
  }
  return { estimate, p: (1 + hits) / (1 + replicates), method: "monte-carlo", replicates, seed };
}

function integerDifferences(differences: readonly number[], scale: number): number[] | null {
  if (!Number.isFinite(scale) || scale <= 0) {
    throw new InputError(`must be a positive number, got ${String(scale)}`, { field: "scale" });
  }
  const scaled: number[] = [];
  for (const value of differences) {
    const product = value * scale;
    const rounded = Math.round(product);
    if (Math.abs(product - rounded) > 1e-7) return null;
    scaled.push(rounded);
  }
  return scaled;
}

/** P(|S| ≥ |observed sum|) for S = Σ ±dᵢ with independent fair signs, by convolution of the sums. */
function exactP(scaled: readonly number[], total: number): number {
  let distribution = new Float64Array(2 * total + 1);
  distribution[total] = 1;
  let reach = 0;
  for (const value of scaled) {
    const step = Math.abs(value);
    if (step === 0) continue;
    const next = new Float64Array(distribution.length);
    for (let sum = total - reach; sum <= total + reach; sum++) {
      const mass = distribution[sum];
      if (mass === 0) continue;
      next[sum + step] += mass / 2;
      next[sum - step] += mass / 2;
    }
    distribution = next;
    reach += step;
  }
  const observed = Math.abs(scaled.reduce((sum, value) => sum + value, 0));
  let p = 0;
  for (let sum = -reach; sum <= reach; sum++) {
    if (Math.abs(sum) >= observed) p += distribution[total + sum];
  }
  return Math.min(1, p);
}
