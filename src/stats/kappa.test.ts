import { describe, expect, it } from "vitest";
import { InputError } from "../core/errors.ts";
import { closeTo, thrownBy } from "./close-to.test-support.ts";
import { cohenKappa, fleissKappa } from "./kappa.ts";

// References:
// - kappa: statsmodels 0.13.5 statsmodels.stats.inter_rater.cohens_kappa(T, wt = None | "linear" | "quadratic").kappa
//   and scikit-learn 1.2.1 cohen_kappa_score(first, second, labels = labels, weights = wt), where T is the
//   table of FIRST (rows) by SECOND (columns) in the label order.
// - standard error: statsmodels 0.15.0 cohens_kappa(T, wt = …).std_kappa (Fleiss, Cohen & Everitt 1969).
// - observed / expected agreement: an independent R 4.2.2 formula,
//   d <- abs(outer(1:k, 1:k, "-")) / (k - 1); W <- diag(k) | 1 - d | 1 - d^2
//   po <- sum(W * T) / n; pe <- sum(W * outer(rowSums(T), colSums(T))) / n^2; (po - pe) / (1 - pe)
// - Fleiss: statsmodels fleiss_kappa(aggregate_raters(numpy.array(RATINGS))[0]) and the R formula
//   Pi <- (rowSums(N^2) - m) / (m * (m - 1)); pj <- colSums(N) / sum(N); Pe <- sum(pj^2); (mean(Pi) - Pe) / (1 - Pe)
const FIRST = [
  "negative",
  "routine",
  "urgent",
  "routine",
  "negative",
  "negative",
  "urgent",
  "routine",
  "routine",
  "negative",
  "urgent",
  "routine",
  "negative",
  "routine",
  "urgent",
  "negative",
  "routine",
  "routine",
  "negative",
  "urgent",
  "negative",
  "routine",
  "urgent",
  "negative",
];
const SECOND = [
  "negative",
  "routine",
  "routine",
  "routine",
  "negative",
  "routine",
  "urgent",
  "urgent",
  "routine",
  "negative",
  "urgent",
  "negative",
  "negative",
  "routine",
  "routine",
  "negative",
  "routine",
  "urgent",
  "negative",
  "urgent",
  "routine",
  "routine",
  "urgent",
  "negative",
];
const ORDERED = ["negative", "routine", "urgent"];
const T2_LINEAR_STANDARD_ERROR = 0.17558301249393252;
const PERFECT_STANDARD_ERROR = 0;

describe("cohenKappa", () => {
  // T = matrix(c(7,2,0, 1,6,2, 0,2,4), 3, byrow = TRUE)
  it.each([
    ["none", 0.70833333333333337, 0.34375, 0.5555555555555556, 0.1417606214362061], // cohens_kappa(T).kappa, .std_kappa
    ["linear", 0.85416666666666663, 0.58333333333333337, 0.65, 0.11709037641924297], // cohens_kappa(T, wt="linear").kappa 0.6499999999999999
    ["quadratic", 0.92708333333333337, 0.703125, 0.7543859649122807, 0.08860159368759184], // cohens_kappa(T, wt="quadratic").kappa
  ] as const)(
    "matches the references with %s weights",
    (weights, observed, expected, kappa, standardError) => {
      expect(cohenKappa(FIRST, SECOND, { weights, labels: ORDERED })).toEqual({
        kappa: closeTo(kappa),
        standardError: closeTo(standardError, 1e-12),
        observedAgreement: closeTo(observed),
        expectedAgreement: closeTo(expected),
        weights,
        n: 24,
        labels: ORDERED,
      });
    },
  );

  it("uses the explicit label order for the weights", () => {
    const labels = ["routine", "negative", "urgent"];
    // T2 = matrix(c(6,1,2, 2,7,0, 2,0,4), 3, byrow = TRUE); cohens_kappa(T2, wt = "linear").kappa
    expect(cohenKappa(FIRST, SECOND, { weights: "linear", labels })).toEqual({
      kappa: closeTo(0.46341463414634154),
      standardError: closeTo(T2_LINEAR_STANDARD_ERROR, 1e-12), // cohens_kappa(T2, wt = "linear").std_kappa
      observedAgreement: closeTo(0.77083333333333337),
      expectedAgreement: closeTo(0.57291666666666663),
      weights: "linear",
      n: 24,
      labels,
    });
    // cohens_kappa(T2, wt = "quadratic").kappa
    expect(cohenKappa(FIRST, SECOND, { weights: "quadratic", labels }).kappa).toEqual(
      closeTo(0.3666666666666667),
    );
  });

  it("orders labels by first appearance by default", () => {
    expect(cohenKappa(["b", "a", "c"], ["a", "c", "c"]).labels).toEqual(["b", "a", "c"]);
  });

  it("gives 1 for perfect agreement and null when both raters used a single label", () => {
    expect(cohenKappa(["x", "y", "z", "x"], ["x", "y", "z", "x"], { weights: "quadratic" })).toEqual({
      kappa: 1,
      standardError: closeTo(PERFECT_STANDARD_ERROR, 1e-12), // cohens_kappa(diag(2, 1, 1), wt="quadratic").std_kappa
      observedAgreement: 1,
      expectedAgreement: closeTo(0.65625), // R formula above with T = diag(c(2, 1, 1)), quadratic
      weights: "quadratic",
      n: 4,
      labels: ["x", "y", "z"],
    });
    expect(cohenKappa(["x", "x"], ["x", "x"])).toEqual({
      kappa: null,
      standardError: null,
      observedAgreement: 1,
      expectedAgreement: 1,
      weights: "none",
      n: 2,
      labels: ["x"],
    });
  });

  it.each([
    [["a"], ["a", "b"], {}, "rows"],
    [[], [], {}, "rows"],
    [["a", "b"], ["a", "c"], { labels: ["a", "b"] }, "rows.1"],
    [["a"], ["a"], { labels: ["a", "a"] }, "labels.1"],
    [["a"], ["a"], { weights: "cubic" }, "weights"],
  ])("rejects %o against %o with %o", (first, second, options, field) => {
    const error = thrownBy(() => cohenKappa(first, second, options as never));
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).location).toEqual({ field });
  });
});

const RATINGS = [
  ["A", "A", "A", "B"],
  ["B", "B", "B", "B"],
  ["A", "C", "C", "C"],
  ["A", "A", "B", "B"],
  ["C", "C", "C", "C"],
  ["B", "B", "A", "B"],
  ["A", "A", "A", "A"],
  ["C", "B", "C", "C"],
  ["A", "B", "C", "A"],
  ["B", "B", "B", "C"],
];

describe("fleissKappa", () => {
  it("matches statsmodels and R", () => {
    expect(fleissKappa(RATINGS)).toEqual({
      kappa: closeTo(0.39736346516007526), // fleiss_kappa(aggregate_raters(RATINGS)[0]); R 0.39736346516007526
      n: 10,
      raters: 4,
      categories: 3,
      labels: ["A", "B", "C"],
    });
  });

  it("gives 1 for perfect agreement and null when every rating is the same", () => {
    // fleiss_kappa of counts [[3, 0], [0, 3], [3, 0]] is 1.0
    expect(
      fleissKappa([
        ["x", "x", "x"],
        ["y", "y", "y"],
        ["x", "x", "x"],
      ]).kappa,
    ).toEqual(closeTo(1));
    expect(
      fleissKappa([
        ["x", "x"],
        ["x", "x"],
      ]).kappa,
    ).toBeNull();
  });

  it.each([
    [[], "rows"],
    [[["a"], ["b"]], "columns"],
    [[["a", "b"], ["a"]], "rows.1"],
  ])("rejects %o", (ratings, field) => {
    const error = thrownBy(() => fleissKappa(ratings));
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).location).toEqual({ field });
  });
});
