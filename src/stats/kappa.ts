import { InputError } from "../core/errors.ts";
import { resolveLabels } from "./labels.ts";
import { requireChoice } from "./validate.ts";

export const KAPPA_WEIGHTS = ["none", "linear", "quadratic"] as const;
export type KappaWeights = (typeof KAPPA_WEIGHTS)[number];

export interface CohenKappaResult {
  /** (observed − expected) / (1 − expected); null when expected agreement is 1 (both raters used one label). */
  kappa: number | null;
  /** Weighted proportion of agreement, Σ w_ij·p_ij. */
  observedAgreement: number;
  /** Weighted agreement expected by chance from the two raters' marginals, Σ w_ij·p_i·p_j. */
  expectedAgreement: number;
  weights: KappaWeights;
  /** Number of rated items. */
  n: number;
  /** Label order used for the table and the weights. */
  labels: string[];
  /**
   * Large-sample standard error of kappa (Fleiss, Cohen & Everitt 1969, not assuming kappa = 0), as
   * statsmodels' `cohens_kappa(...).std_kappa`; null with kappa.
   */
  standardError: number | null;
}

export interface CohenKappaOptions {
  /** `none` (default) for nominal labels; `linear` or `quadratic` for ordered labels. */
  weights?: KappaWeights;
  /** Label order, least to most severe for weighted kappa; default: first appearance. */
  labels?: readonly string[];
}

/**
 * Cohen's kappa between two raters (e.g. a model and the reference, or two clinicians) over the same items.
 * Weighted kappa gives partial credit by distance in the label order: agreement weight
 * 1 − |i − j|/(k − 1) (linear) or 1 − (i − j)²/(k − 1)² (quadratic, close to an intraclass correlation).
 */
export function cohenKappa(
  first: readonly string[],
  second: readonly string[],
  options: CohenKappaOptions = {},
): CohenKappaResult {
  const weights = requireChoice(options.weights ?? "none", KAPPA_WEIGHTS, "weights");
  if (first.length !== second.length) {
    throw new InputError(`the two raters rated ${first.length} and ${second.length} items`, {
      field: "rows",
    });
  }
  const n = first.length;
  if (n === 0) throw new InputError("needs at least one rated item", { field: "rows" });
  const labels = resolveLabels([first, second], options.labels);
  const position = new Map(labels.map((label, index) => [label, index]));
  const size = labels.length;
  const table = labels.map(() => new Array<number>(size).fill(0));
  for (let index = 0; index < n; index++) {
    table[position.get(first[index]) as number][position.get(second[index]) as number] += 1;
  }
  const rowTotals = table.map((row) => row.reduce((sum, value) => sum + value, 0));
  const columnTotals = labels.map((_, column) => table.reduce((sum, row) => sum + row[column], 0));
  let observed = 0;
  let expected = 0;
  for (let row = 0; row < size; row++) {
    for (let column = 0; column < size; column++) {
      const weight = agreementWeight(row, column, size, weights);
      observed += weight * table[row][column];
      expected += weight * rowTotals[row] * columnTotals[column];
    }
  }
  const observedAgreement = observed / n;
  const expectedAgreement = expected / (n * n);
  const kappa =
    expectedAgreement === 1 ? null : (observedAgreement - expectedAgreement) / (1 - expectedAgreement);
  const standardError =
    kappa === null
      ? null
      : kappaStandardError(table, rowTotals, columnTotals, n, kappa, expectedAgreement, weights);
  return { kappa, observedAgreement, expectedAgreement, weights, n, labels, standardError };
}

/**
 * var(κ) = [Σ p_ij (w_ij − (w̄_i· + w̄_·j)(1 − κ))² − (κ − p_e(1 − κ))²] / (n (1 − p_e)²), with
 * w̄_i· = Σ_j p_·j w_ij and w̄_·j = Σ_i p_i· w_ij (Fleiss, Cohen & Everitt 1969).
 */
function kappaStandardError(
  table: number[][],
  rowTotals: number[],
  columnTotals: number[],
  n: number,
  kappa: number,
  expectedAgreement: number,
  weights: KappaWeights,
): number {
  const size = table.length;
  const rowMeans = table.map((_, row) => {
    let sum = 0;
    for (let column = 0; column < size; column++)
      sum += (columnTotals[column] / n) * agreementWeight(row, column, size, weights);
    return sum;
  });
  const columnMeans = table.map((_, column) => {
    let sum = 0;
    for (let row = 0; row < size; row++)
      sum += (rowTotals[row] / n) * agreementWeight(row, column, size, weights);
    return sum;
  });
  let sum = 0;
  for (let row = 0; row < size; row++) {
    for (let column = 0; column < size; column++) {
      const deviation =
        agreementWeight(row, column, size, weights) - (rowMeans[row] + columnMeans[column]) * (1 - kappa);
      sum += (table[row][column] / n) * deviation * deviation;
    }
  }
  const variance =
    (sum - (kappa - expectedAgreement * (1 - kappa)) ** 2) / (n * (1 - expectedAgreement) ** 2);
  return Math.sqrt(Math.max(0, variance));
}

function agreementWeight(row: number, column: number, size: number, weights: KappaWeights): number {
  if (row === column) return 1;
  if (weights === "none") return 0;
  const distance = Math.abs(row - column) / (size - 1);
  return weights === "linear" ? 1 - distance : 1 - distance * distance;
}

export interface FleissKappaResult {
  /** Fleiss' kappa; null when chance agreement is 1 (every rating is the same label). */
  kappa: number | null;
  /** Number of items. */
  n: number;
  /** Raters per item. */
  raters: number;
  /** Number of distinct labels. */
  categories: number;
  labels: string[];
}

/**
 * Fleiss' kappa for agreement among m ≥ 2 raters who each rate every item with a nominal label
 * (e.g. several clinicians grading the same answers). `ratings[i][r]` is rater r's label for item i.
 */
export function fleissKappa(
  ratings: readonly (readonly string[])[],
  options: { labels?: readonly string[] } = {},
): FleissKappaResult {
  const n = ratings.length;
  if (n === 0) throw new InputError("needs at least one rated item", { field: "rows" });
  const raters = ratings[0].length;
  if (raters < 2)
    throw new InputError(`needs at least two raters (columns), got ${raters}`, { field: "columns" });
  for (const [index, row] of ratings.entries()) {
    if (row.length !== raters) {
      throw new InputError(`has ${row.length} ratings, expected ${raters} like the first row`, {
        field: `rows.${index}`,
      });
    }
  }
  const labels = resolveLabels(transpose(ratings, raters), options.labels);
  const position = new Map(labels.map((label, index) => [label, index]));
  const categoryTotals = new Array<number>(labels.length).fill(0);
  let agreementSum = 0;
  for (const row of ratings) {
    const counts = new Array<number>(labels.length).fill(0);
    for (const label of row) counts[position.get(label) as number] += 1;
    let squares = 0;
    for (const [category, count] of counts.entries()) {
      squares += count * count;
      categoryTotals[category] += count;
    }
    agreementSum += (squares - raters) / (raters * (raters - 1));
  }
  const meanAgreement = agreementSum / n;
  const chanceAgreement = categoryTotals.reduce((sum, total) => sum + (total / (n * raters)) ** 2, 0);
  const kappa = chanceAgreement === 1 ? null : (meanAgreement - chanceAgreement) / (1 - chanceAgreement);
  return { kappa, n, raters, categories: labels.length, labels };
}

function transpose(rows: readonly (readonly string[])[], width: number): string[][] {
  return Array.from({ length: width }, (_, column) => rows.map((row) => row[column]));
}
