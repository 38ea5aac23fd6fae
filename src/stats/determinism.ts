import { InputError } from "../core/errors.ts";
import { type CaseCounts, caseProportions } from "./cluster-proportion.ts";

export interface FlipRate {
  /** Cases with at least two answers. */
  cases: number;
  /** Pairs of answers to the same case, over those cases: Σ m(m − 1)/2. */
  pairs: number;
  /** Of those pairs, the ones where one answer is correct and the other not: Σ x(m − x). */
  discordantPairs: number;
  /** discordantPairs / pairs; null when there is no pair. */
  rate: number | null;
}

/**
 * How often two answers of one model to the same case disagree on correctness: over every pair of
 * samples of a case, the share where one is correct and the other not. 0 for a deterministic model.
 */
export function flipRate(counts: readonly CaseCounts[]): FlipRate {
  caseProportions(counts);
  let cases = 0;
  let pairs = 0;
  let discordantPairs = 0;
  for (const { correct, answered } of counts) {
    if (answered < 2) continue;
    cases += 1;
    pairs += (answered * (answered - 1)) / 2;
    discordantPairs += correct * (answered - correct);
  }
  return { cases, pairs, discordantPairs, rate: pairs === 0 ? null : discordantPairs / pairs };
}

export interface NoiseDiscordance {
  /** Cases where both models have at least two answers. */
  cases: number;
  /**
   * Expected number of cases on which one answer of A and one of B disagree: Σ p̂A(1 − p̂B) + p̂B(1 − p̂A),
   * with p̂ the per-case proportion correct.
   */
  observed: number;
  /**
   * The part of it sampling noise alone explains: Σ x_A(m_A − x_A)/(m_A(m_A − 1)) + the same for B, the
   * unbiased estimate of Σ pA(1 − pA) + pB(1 − pB). The rest, Σ (pA − pB)², is a systematic difference.
   */
  noise: number;
  /** noise / observed; null when observed is 0. Both are estimates, so it can exceed 1 by chance. */
  share: number | null;
}

/**
 * Splits the expected disagreement between two models on the same cases into sampling noise and
 * systematic difference: per case, P(A and B disagree) = (pA − pB)² + pA(1 − pA) + pB(1 − pB).
 * `a[i]` and `b[i]` are the counts of the same case; cases where either model has fewer than two answers
 * are left out (the noise term needs two).
 */
export function noiseDiscordance(a: readonly CaseCounts[], b: readonly CaseCounts[]): NoiseDiscordance {
  caseProportions(a);
  caseProportions(b);
  if (a.length !== b.length) {
    throw new InputError(`both models need counts for the same cases (${a.length} and ${b.length})`, {
      field: "b",
    });
  }
  let cases = 0;
  let observed = 0;
  let noise = 0;
  for (let index = 0; index < a.length; index++) {
    const first = a[index];
    const second = b[index];
    if (first.answered < 2 || second.answered < 2) continue;
    cases += 1;
    const pA = first.correct / first.answered;
    const pB = second.correct / second.answered;
    observed += pA * (1 - pB) + pB * (1 - pA);
    noise +=
      (first.correct * (first.answered - first.correct)) / (first.answered * (first.answered - 1)) +
      (second.correct * (second.answered - second.correct)) / (second.answered * (second.answered - 1));
  }
  return { cases, observed, noise, share: observed === 0 ? null : noise / observed };
}
