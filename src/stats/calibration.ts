import { InputError } from "../core/errors.ts";
import { requireProbability } from "./validate.ts";

export interface ReliabilityBin {
  /** The bin [lower, upper); the last bin includes 1. */
  lower: number;
  upper: number;
  count: number;
  /** Mean predicted probability of the answers in the bin. */
  meanPredicted: number;
  /** Share of those answers whose outcome was positive. */
  observed: number;
}

export interface Calibration {
  n: number;
  /** Mean of (p − y)²: 0 is perfect, 0.25 is always saying ½. */
  brier: number;
  /** Equal-width bins of the predicted probability; bins without answers are left out. */
  bins: ReliabilityBin[];
}

/**
 * The Brier score and reliability curve of predicted probabilities p of a binary outcome y (1 positive,
 * 0 negative), e.g. a classifier's P(urgent) against whether the case is urgent. `bins` equal-width bins
 * over [0, 1] (default 10), as R's `cut(p, seq(0, 1, 1 / bins), right = FALSE, include.lowest = TRUE)`.
 */
export function calibration(
  probabilities: readonly number[],
  outcomes: readonly number[],
  options: { bins?: number } = {},
): Calibration {
  const binCount = options.bins ?? 10;
  if (!Number.isSafeInteger(binCount) || binCount < 1) {
    throw new InputError(`must be a positive integer, got ${String(binCount)}`, { field: "bins" });
  }
  if (probabilities.length !== outcomes.length) {
    throw new InputError(`${probabilities.length} probabilities but ${outcomes.length} outcomes`, {
      field: "outcomes",
    });
  }
  if (probabilities.length === 0) throw new InputError("needs at least one prediction", { field: "p" });
  const sums = Array.from({ length: binCount }, () => ({ count: 0, predicted: 0, positive: 0 }));
  let squares = 0;
  probabilities.forEach((probability, index) => {
    requireProbability(probability, `p.${index}`);
    const outcome = outcomes[index];
    if (outcome !== 0 && outcome !== 1) {
      throw new InputError(`must be 0 or 1, got ${String(outcome)}`, { field: `y.${index}` });
    }
    squares += (probability - outcome) ** 2;
    const bin = sums[Math.min(binCount - 1, Math.floor(probability * binCount))];
    bin.count += 1;
    bin.predicted += probability;
    bin.positive += outcome;
  });
  const bins: ReliabilityBin[] = [];
  sums.forEach((bin, index) => {
    if (bin.count === 0) return;
    bins.push({
      lower: index / binCount,
      upper: (index + 1) / binCount,
      count: bin.count,
      meanPredicted: bin.predicted / bin.count,
      observed: bin.positive / bin.count,
    });
  });
  return { n: probabilities.length, brier: squares / probabilities.length, bins };
}
