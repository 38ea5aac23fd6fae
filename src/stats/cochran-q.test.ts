import { describe, expect, it } from "vitest";
import { InputError } from "../core/errors.ts";
import { closeTo, thrownBy } from "./close-to.test-support.ts";
import { cochranQ } from "./cochran-q.ts";
import { mcnemar } from "./mcnemar.ts";

// References: statsmodels 0.13.5, statsmodels.stats.contingency_tables.cochrans_q(numpy.array(X)), and an
// independent R 4.2.2 formula: k <- ncol(X); C <- colSums(X); R <- rowSums(X); N <- sum(X);
// q <- (k - 1) * (k * sum(C^2) - N^2) / (k * N - sum(R^2)); pchisq(q, k - 1, lower.tail = FALSE).
const THREE_MODELS = [
  [1, 1, 0],
  [1, 0, 0],
  [1, 1, 1],
  [0, 0, 0],
  [1, 0, 1],
  [1, 1, 0],
  [0, 1, 0],
  [1, 1, 1],
  [1, 0, 0],
  [1, 1, 0],
  [0, 0, 1],
  [1, 0, 0],
];

describe("cochranQ", () => {
  it("matches statsmodels and R for three models", () => {
    expect(cochranQ(THREE_MODELS)).toEqual({
      q: closeTo(4.222222222222222), // cochrans_q(X).statistic; R 4.22222222222222232
      df: 2,
      p: closeTo(0.12110333239232973), // cochrans_q(X).pvalue; R pchisq(q, 2, lower.tail = FALSE)
      n: 12,
      k: 3,
    });
  });

  it("matches statsmodels and R for five models", () => {
    const fiveModels = [
      [1, 1, 0, 1, 1],
      [0, 1, 0, 1, 1],
      [1, 1, 1, 1, 1],
      [0, 1, 0, 0, 1],
      [1, 1, 0, 1, 0],
      [1, 0, 0, 1, 1],
      [0, 1, 0, 1, 1],
      [1, 1, 0, 1, 1],
    ];
    expect(cochranQ(fiveModels)).toEqual({
      q: closeTo(14.31578947368421), // cochrans_q(X4).statistic; R 14.3157894736842106
      df: 4,
      p: closeTo(0.006352488842991166), // cochrans_q(X4).pvalue; R 0.0063524888429911629
      n: 8,
      k: 5,
    });
  });

  it("equals McNemar's uncorrected chi-square for two models", () => {
    const rows = [
      ...Array.from({ length: 12 }, () => [1, 0]),
      ...Array.from({ length: 31 }, () => [0, 1]),
      ...Array.from({ length: 40 }, () => [1, 1]),
      ...Array.from({ length: 27 }, () => [0, 0]),
    ];
    const reference = mcnemar(12, 31).chi2;
    // cochrans_q of the same 110 rows: statistic 8.395348837209303, p 0.003761823132794379
    expect(cochranQ(rows)).toEqual({
      q: closeTo(8.395348837209303),
      df: 1,
      p: closeTo(0.003761823132794379),
      n: 110,
      k: 2,
    });
    expect(cochranQ(rows).q).toEqual(closeTo(reference.statistic as number));
  });

  it("gives null Q when every case is answered alike by all models", () => {
    expect(
      cochranQ([
        [1, 1, 1],
        [0, 0, 0],
      ]),
    ).toEqual({ q: null, df: 2, p: null, n: 2, k: 3 });
  });

  it.each([
    [[], "rows"],
    [[[1], [0]], "columns"],
    [[[1, 0], [1]], "rows.1"],
    [
      [
        [1, 0],
        [2, 1],
      ],
      "rows.1.0",
    ],
    [[[1, 0.5]], "rows.0.1"],
  ])("rejects %o", (rows, field) => {
    const error = thrownBy(() => cochranQ(rows));
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).location).toEqual({ field });
  });
});
