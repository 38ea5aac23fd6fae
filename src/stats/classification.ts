import { InputError } from "../core/errors.ts";
import { resolveLabels } from "./labels.ts";

export interface ClassMetrics {
  /** Of the cases predicted as this class, the share that truly are; 0 when the class is never predicted. */
  precision: number;
  /** Of the cases truly in this class, the share predicted as it (sensitivity); 0 when support is 0. */
  recall: number;
  /** Harmonic mean of precision and recall; 0 when both are 0. */
  f1: number;
  /** Number of cases truly in this class. */
  support: number;
}

export interface ClassificationMetrics {
  labels: string[];
  /** confusion[i][j] = cases with reference label i predicted as label j (rows = reference, columns = predicted). */
  confusion: number[][];
  perClass: Record<string, ClassMetrics>;
  accuracy: number;
  /** Unweighted mean of the per-class F1 over all labels, including classes never predicted (F1 0). */
  macroF1: number;
}

/**
 * Confusion matrix and per-class metrics of predicted labels against reference labels. A class that is
 * never predicted has precision 0 (not undefined), so it pulls macro-F1 down instead of dropping out;
 * the same convention as scikit-learn with `zero_division=0`.
 */
export function classificationMetrics(
  truth: readonly string[],
  predicted: readonly string[],
  options: { labels?: readonly string[] } = {},
): ClassificationMetrics {
  if (truth.length !== predicted.length) {
    throw new InputError(`${truth.length} reference labels but ${predicted.length} predictions`, {
      field: "rows",
    });
  }
  if (truth.length === 0) throw new InputError("needs at least one case", { field: "rows" });
  const labels = resolveLabels([truth, predicted], options.labels);
  const position = new Map(labels.map((label, index) => [label, index]));
  const confusion = labels.map(() => new Array<number>(labels.length).fill(0));
  for (let index = 0; index < truth.length; index++) {
    confusion[position.get(truth[index]) as number][position.get(predicted[index]) as number] += 1;
  }
  let correct = 0;
  let f1Sum = 0;
  const entries: [string, ClassMetrics][] = labels.map((label, index) => {
    const truePositives = confusion[index][index];
    const support = confusion[index].reduce((sum, value) => sum + value, 0);
    const predictedCount = confusion.reduce((sum, row) => sum + row[index], 0);
    const precision = predictedCount === 0 ? 0 : truePositives / predictedCount;
    const recall = support === 0 ? 0 : truePositives / support;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    correct += truePositives;
    f1Sum += f1;
    return [label, { precision, recall, f1, support }];
  });
  return {
    labels,
    confusion,
    perClass: Object.fromEntries(entries),
    accuracy: correct / truth.length,
    macroF1: f1Sum / labels.length,
  };
}
