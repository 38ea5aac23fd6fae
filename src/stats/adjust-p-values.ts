import { InputError } from "../core/errors.ts";
import { requireChoice } from "./validate.ts";

export const P_ADJUST_METHODS = ["holm", "bonferroni", "bh", "hochberg", "by"] as const;
export type PAdjustMethod = (typeof P_ADJUST_METHODS)[number];

/**
 * Multiplicity-adjusted p-values, as R's `p.adjust`: Holm and Bonferroni control the family-wise error
 * rate (Holm is uniformly more powerful); Hochberg also controls it under independence or positive
 * dependence; BH (Benjamini–Hochberg) controls the false discovery rate under independence or positive
 * dependence, BY (Benjamini–Yekutieli) under any dependence. Returned in the order given.
 */
export function adjustPValues(pValues: readonly number[], method: PAdjustMethod): number[] {
  requireChoice(method, P_ADJUST_METHODS, "method");
  for (const [index, value] of pValues.entries()) {
    if (!Number.isFinite(value) || value < 0 || value > 1) {
      throw new InputError(`must be a p-value between 0 and 1, got ${String(value)}`, {
        field: `p.${index}`,
      });
    }
  }
  const count = pValues.length;
  if (count <= 1) return [...pValues];
  if (method === "bonferroni") return pValues.map((value) => Math.min(1, count * value));
  const adjusted = new Array<number>(count);
  if (method === "holm") {
    const ascending = orderOf(pValues, 1);
    let running = 0;
    for (let rank = 1; rank <= count; rank++) {
      const index = ascending[rank - 1];
      running = Math.max(running, (count - rank + 1) * pValues[index]);
      adjusted[index] = Math.min(1, running);
    }
    return adjusted;
  }
  // Step-up methods walk from the largest p-value down, keeping the running minimum.
  const descending = orderOf(pValues, -1);
  const harmonic = method === "by" ? harmonicNumber(count) : 1;
  let running = Number.POSITIVE_INFINITY;
  for (let position = 0; position < count; position++) {
    const rank = count - position;
    const index = descending[position];
    const value = pValues[index];
    const scaled =
      method === "hochberg"
        ? (count + 1 - rank) * value
        : method === "bh"
          ? (count / rank) * value
          : ((harmonic * count) / rank) * value;
    running = Math.min(running, scaled);
    adjusted[index] = Math.min(1, running);
  }
  return adjusted;
}

/** Indices sorted by value (stable), ascending (direction 1) or descending (−1). */
function orderOf(values: readonly number[], direction: 1 | -1): number[] {
  return values
    .map((_, index) => index)
    .sort((left, right) => direction * (values[left] - values[right]) || left - right);
}

function harmonicNumber(count: number): number {
  let sum = 0;
  for (let index = 1; index <= count; index++) sum += 1 / index;
  return sum;
}
