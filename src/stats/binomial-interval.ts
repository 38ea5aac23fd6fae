import { InputError } from "../core/errors.ts";
import { binomialCdf, binomialUpperTail, normalQuantile, solveIncreasing } from "./distributions.ts";
import { requireChoice, requireCount, requireLevel } from "./validate.ts";

export const BINOMIAL_INTERVAL_METHODS = ["wilson", "clopper-pearson", "agresti-coull", "wald"] as const;
export type BinomialIntervalMethod = (typeof BINOMIAL_INTERVAL_METHODS)[number];

export interface IntervalOptions<Method extends string> {
  method?: Method;
  /** Confidence level, strictly between 0 and 1; default 0.95. */
  level?: number;
}

export interface BinomialInterval {
  x: number;
  n: number;
  /** The sample proportion x / n, whatever the method. */
  estimate: number;
  lower: number;
  upper: number;
  method: BinomialIntervalMethod;
  level: number;
}

/** The two-sided critical value z with P(|Z| ≤ z) = level. */
export function criticalValue(level: number): number {
  return -normalQuantile((1 - level) / 2);
}

/**
 * A confidence interval for a proportion x / n (e.g. a model's accuracy).
 * - `wilson` (default): the score interval; near-nominal coverage even for small n or x near 0 or n.
 * - `clopper-pearson`: the "exact" interval from binomial tails; coverage at least the level, wider.
 * - `agresti-coull`: Wald around (x + z²/2)/(n + z²); close to Wilson, simpler to explain.
 * - `wald`: p̂ ± z·√(p̂(1 − p̂)/n); poor coverage for small n or extreme p̂ (zero width at x = 0 or n),
 *   given only for comparison with older reports.
 * Normal-based limits (agresti-coull, wald) are truncated to [0, 1].
 */
export function binomialInterval(
  x: number,
  n: number,
  options: IntervalOptions<BinomialIntervalMethod> = {},
): BinomialInterval {
  const method = requireChoice(options.method ?? "wilson", BINOMIAL_INTERVAL_METHODS, "method");
  const level = requireLevel(options.level ?? 0.95);
  requireCount(x, "x");
  requireCount(n, "n");
  if (n === 0) throw new InputError("must be at least 1 (no cases, no proportion)", { field: "n" });
  if (x > n) throw new InputError(`x (${x}) must not exceed n (${n})`, { field: "x" });
  const estimate = x / n;
  const [lower, upper] = limits(x, n, method, level);
  return { x, n, estimate, lower, upper, method, level };
}

function limits(x: number, n: number, method: BinomialIntervalMethod, level: number): [number, number] {
  if (method === "clopper-pearson") return clopperPearson(x, n, (1 - level) / 2);
  const z = criticalValue(level);
  const estimate = x / n;
  if (method === "wilson") return wilson(x, n, z);
  if (method === "agresti-coull") {
    const adjustedN = n + z * z;
    const center = (x + (z * z) / 2) / adjustedN;
    const halfWidth = z * Math.sqrt((center * (1 - center)) / adjustedN);
    return [Math.max(0, center - halfWidth), Math.min(1, center + halfWidth)];
  }
  const halfWidth = z * Math.sqrt((estimate * (1 - estimate)) / n);
  return [Math.max(0, estimate - halfWidth), Math.min(1, estimate + halfWidth)];
}

/** Wilson's score interval for x successes in n trials at critical value z. */
export function wilson(x: number, n: number, z: number): [number, number] {
  const squared = z * z;
  const center = (x + squared / 2) / (n + squared);
  const halfWidth = (z / (n + squared)) * Math.sqrt((x * (n - x)) / n + squared / 4);
  const lower = x === 0 ? 0 : Math.max(0, center - halfWidth);
  const upper = x === n ? 1 : Math.min(1, center + halfWidth);
  return [lower, upper];
}

/**
 * Clopper–Pearson limits: the lower limit solves P(X ≥ x | p) = tail and the upper P(X ≤ x | p) = tail,
 * i.e. the beta quantiles Beta(tail; x, n − x + 1) and Beta(1 − tail; x + 1, n − x).
 */
function clopperPearson(x: number, n: number, tail: number): [number, number] {
  const lower =
    x === 0
      ? 0
      : x === n
        ? Math.exp(Math.log(tail) / n)
        : solveIncreasing((p) => binomialUpperTail(x, n, p) - tail, 0, 1);
  const upper =
    x === n
      ? 1
      : x === 0
        ? -Math.expm1(Math.log(tail) / n)
        : solveIncreasing((p) => tail - binomialCdf(x, n, p), 0, 1);
  return [lower, upper];
}
