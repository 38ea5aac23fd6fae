import { describe, expect, it } from "vitest";
import { InputError } from "../core/errors.ts";
import { classificationMetrics } from "./classification.ts";
import { closeTo, thrownBy } from "./close-to.test-support.ts";

// References: scikit-learn 1.2.1 (Debian python3-sklearn) with labels = LABELS:
//   confusion_matrix(truth, pred, labels = labels)
//   precision_recall_fscore_support(truth, pred, labels = labels, zero_division = 0)
//   accuracy_score(truth, pred); f1_score(truth, pred, labels = labels, average = "macro", zero_division = 0)
const TRUTH = [
  "negative",
  "routine",
  "urgent",
  "routine",
  "negative",
  "urgent",
  "routine",
  "negative",
  "urgent",
  "routine",
  "negative",
  "routine",
];
const PREDICTED = [
  "negative",
  "routine",
  "routine",
  "negative",
  "negative",
  "routine",
  "routine",
  "routine",
  "negative",
  "routine",
  "negative",
  "routine",
];

describe("classificationMetrics", () => {
  it("matches scikit-learn when a class is never predicted", () => {
    expect(classificationMetrics(TRUTH, PREDICTED)).toEqual({
      labels: ["negative", "routine", "urgent"],
      confusion: [
        [3, 1, 0],
        [1, 4, 0],
        [1, 2, 0],
      ],
      perClass: {
        negative: {
          precision: closeTo(0.6),
          recall: closeTo(0.75),
          f1: closeTo(0.6666666666666665),
          support: 4,
        },
        routine: {
          precision: closeTo(0.5714285714285714),
          recall: closeTo(0.8),
          f1: closeTo(0.6666666666666666),
          support: 5,
        },
        urgent: { precision: 0, recall: 0, f1: 0, support: 3 },
      },
      accuracy: closeTo(0.5833333333333334),
      macroF1: closeTo(0.44444444444444436),
    });
  });

  it("keeps a listed label that never occurs, with support 0 and F1 0", () => {
    const labels = ["negative", "routine", "urgent", "critical"];
    const result = classificationMetrics(TRUTH, PREDICTED, { labels });
    expect(result.labels).toEqual(labels);
    expect(result.perClass.critical).toEqual({ precision: 0, recall: 0, f1: 0, support: 0 });
    // f1_score(truth, pred, labels = labels, average = "macro", zero_division = 0)
    expect(result.macroF1).toEqual(closeTo(0.33333333333333326));
  });

  it("gives 1 everywhere for perfect predictions", () => {
    expect(classificationMetrics(["a", "b", "a"], ["a", "b", "a"])).toEqual({
      labels: ["a", "b"],
      confusion: [
        [2, 0],
        [0, 1],
      ],
      perClass: {
        a: { precision: 1, recall: 1, f1: 1, support: 2 },
        b: { precision: 1, recall: 1, f1: 1, support: 1 },
      },
      accuracy: 1,
      macroF1: 1,
    });
  });

  it.each([
    [["a"], ["a", "b"], {}, "rows"],
    [[], [], {}, "rows"],
    [["a", "b"], ["a", "c"], { labels: ["a", "b"] }, "rows.1"],
  ])("rejects %o against %o", (truth, predicted, options, field) => {
    const error = thrownBy(() => classificationMetrics(truth, predicted, options));
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).location).toEqual({ field });
  });
});
