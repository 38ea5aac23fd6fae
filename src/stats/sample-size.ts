import { InputError } from "../core/errors.ts";
import { binomialCdf, binomialProbability, binomialUpperTail, normalQuantile } from "./distributions.ts";
import { requireCount, requireLevel, requireProbability } from "./validate.ts";

export interface McnemarPlanOptions {
  /** Expected share of cases where A is correct and B wrong. */
  p10: number;
  /** Expected share of cases where A is wrong and B correct. */
  p01: number;
  /** Two-sided significance level; default 0.05. */
  alpha?: number;
  /** Target power; default 0.8. */
  power?: number;
}

export interface McnemarPlan {
  /** Cases (pairs) needed, rounded up. */
  n: number;
  /** Expected number of discordant pairs among them, n·(p10 + p01). */
  discordant: number;
  method: "Connor 1987";
  alpha: number;
  power: number;
  /** Power of the exact conditional McNemar test (clinval's default test) at n, computed exactly. */
  exactPower: number;
}

/**
 * Cases needed for a two-sided McNemar test to detect p10 ≠ p01 (Connor 1987, Biometrics 43:207):
 * n = (z_{1−α/2}·√ψ + z_{power}·√(ψ − δ²))² / δ² with ψ = p10 + p01 and δ = p10 − p01.
 * The normal approximation can promise more than the exact test delivers; `exactPower` says what the
 * exact test achieves at that n (raise n if it falls short).
 */
export function planMcnemar(options: McnemarPlanOptions): McnemarPlan {
  const { p10, p01 } = options;
  const alpha = requireLevel(options.alpha ?? 0.05, "alpha");
  const power = requireLevel(options.power ?? 0.8, "power");
  requireProbability(p10, "p10");
  requireProbability(p01, "p01");
  const discordance = p10 + p01;
  if (discordance > 1)
    throw new InputError(`p10 + p01 must not exceed 1, got ${discordance}`, { field: "p01" });
  if (p10 === p01)
    throw new InputError("p10 and p01 are equal: there is no difference to detect", { field: "p01" });
  if (power <= alpha) throw new InputError(`must exceed alpha (${alpha})`, { field: "power" });
  const difference = p10 - p01;
  const zAlpha = -normalQuantile(alpha / 2);
  const zPower = normalQuantile(power);
  const root = zAlpha * Math.sqrt(discordance) + zPower * Math.sqrt(discordance - difference * difference);
  const exact = (root * root) / (difference * difference);
  // Guard against a product such as 22.000000000000004 rounding up to 23.
  const n = Math.max(1, Math.ceil(exact * (1 - 1e-12)));
  return {
    n,
    discordant: n * discordance,
    method: "Connor 1987",
    alpha,
    power,
    exactPower: mcnemarExactPower(n, p10, p01, alpha),
  };
}

/**
 * The exact power of the two-sided exact conditional McNemar test at level alpha with n pairs:
 * Σ_m P(M = m)·P(reject | m), M ~ Bin(n, p10 + p01) discordant pairs, and given m, b ~ Bin(m, p10/(p10 + p01))
 * rejected when min(1, 2·P(X ≤ min(b, m − b))) ≤ alpha under X ~ Bin(m, ½).
 */
export function mcnemarExactPower(n: number, p10: number, p01: number, alpha: number): number {
  requireCount(n, "n");
  requireProbability(p10, "p10");
  requireProbability(p01, "p01");
  requireLevel(alpha, "alpha");
  const discordance = p10 + p01;
  if (discordance === 0 || discordance > 1) {
    throw new InputError(`p10 + p01 must be in (0, 1], got ${discordance}`, { field: "p01" });
  }
  const share = p10 / discordance;
  let power = 0;
  // The largest k with 2·P(X ≤ k) ≤ alpha never decreases with m, so it is found incrementally.
  let critical = -1;
  for (let m = 1; m <= n; m++) {
    while (2 * binomialCdf(critical + 1, m, 0.5) <= alpha) critical += 1;
    if (critical < 0) continue;
    const weight = binomialProbability(m, n, discordance);
    if (weight === 0) continue;
    const rejection = binomialCdf(critical, m, share) + binomialUpperTail(m - critical, m, share);
    power += weight * rejection;
  }
  return power;
}
