import { InputError } from "../core/errors.ts";
import { requireProbability } from "./validate.ts";

/**
 * The sample quantile of R's default definition (type 7, Hyndman & Fan 1996): linear interpolation
 * between order statistics at position 1 + (n − 1)·probability. Used for latency p50 / p95.
 */
export function quantile(values: readonly number[], probability: number): number {
  requireProbability(probability, "probability");
  if (values.length === 0) throw new InputError("needs at least one value", { field: "values" });
  for (const [index, value] of values.entries()) {
    if (!Number.isFinite(value)) {
      throw new InputError(`must be a finite number, got ${String(value)}`, { field: `values.${index}` });
    }
  }
  const sorted = [...values].sort((left, right) => left - right);
  const position = (sorted.length - 1) * probability;
  const lowerIndex = Math.floor(position);
  const upperIndex = Math.ceil(position);
  const lowerValue = sorted[lowerIndex];
  const upperValue = sorted[upperIndex];
  const fraction = position - lowerIndex;
  if (fraction === 0 || upperValue === lowerValue) return lowerValue;
  return (1 - fraction) * lowerValue + fraction * upperValue;
}
