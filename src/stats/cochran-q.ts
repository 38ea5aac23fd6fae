import { InputError } from "../core/errors.ts";
import { chiSquareUpperTail } from "./distributions.ts";

export interface CochranQResult {
  /** Cochran's Q; null when no case has discordant answers (every row all 0 or all 1). */
  q: number | null;
  /** Degrees of freedom, k − 1. */
  df: number;
  /** P(χ²_{k−1} ≥ Q); null with q. */
  p: number | null;
  /** Number of cases (rows). */
  n: number;
  /** Number of models (columns). */
  k: number;
}

/**
 * Cochran's Q test that k ≥ 2 models have the same accuracy on the same cases. `outcomes[i][j]` is 1 when
 * model j answered case i correctly and 0 otherwise. With k = 2 it equals McNemar's uncorrected
 * chi-square. Use it as the omnibus test before pairwise McNemar comparisons.
 */
export function cochranQ(outcomes: readonly (readonly number[])[]): CochranQResult {
  const n = outcomes.length;
  if (n === 0) throw new InputError("needs at least one case", { field: "rows" });
  const k = outcomes[0].length;
  if (k < 2) throw new InputError(`needs at least two models (columns), got ${k}`, { field: "columns" });
  const columnTotals = new Array<number>(k).fill(0);
  let total = 0;
  let sumOfSquaredRowTotals = 0;
  for (const [rowIndex, row] of outcomes.entries()) {
    if (row.length !== k) {
      throw new InputError(`has ${row.length} values, expected ${k} like the first row`, {
        field: `rows.${rowIndex}`,
      });
    }
    let rowTotal = 0;
    for (const [columnIndex, value] of row.entries()) {
      if (value !== 0 && value !== 1) {
        throw new InputError(`must be 0 or 1, got ${String(value)}`, {
          field: `rows.${rowIndex}.${columnIndex}`,
        });
      }
      rowTotal += value;
      columnTotals[columnIndex] += value;
    }
    total += rowTotal;
    sumOfSquaredRowTotals += rowTotal * rowTotal;
  }
  const denominator = k * total - sumOfSquaredRowTotals;
  if (denominator === 0) return { q: null, df: k - 1, p: null, n, k };
  const sumOfSquaredColumnTotals = columnTotals.reduce((sum, value) => sum + value * value, 0);
  const q = ((k - 1) * (k * sumOfSquaredColumnTotals - total * total)) / denominator;
  return { q, df: k - 1, p: chiSquareUpperTail(q, k - 1), n, k };
}
