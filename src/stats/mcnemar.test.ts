import { describe, expect, it } from "vitest";
import { InputError } from "../core/errors.ts";
import { closeTo, thrownBy } from "./close-to.test-support.ts";
import { mcnemar } from "./mcnemar.ts";

// References: R 4.2.2. For each (b, c), n = b + c, k = min(b, c), m = matrix(c(0, c, b, 0), 2):
//   exact: binom.test(b, n)$p.value, equal to min(1, 2 * pbinom(k, n, 0.5))
//   mid-p: 2 * pbinom(k - 1, n, 0.5) + dbinom(k, n, 0.5); when b == c: 1 - 0.5 * dbinom(b, n, 0.5)
//   chi2:  mcnemar.test(m, correct = FALSE)$statistic / $p.value
//   chi2cc: mcnemar.test(m)$statistic / $p.value
// printed with format(x, digits = 17).

describe("mcnemar", () => {
  it("gives 0.0078125 for the one-sided extreme b = 8, c = 0", () => {
    expect(mcnemar(8, 0)).toEqual({
      b: 8,
      c: 0,
      exactP: closeTo(0.0078125), // binom.test(8, 8)$p.value
      midP: closeTo(0.003906250000000001), // 2 * pbinom(-1, 8, 0.5) + dbinom(0, 8, 0.5)
      chi2: { statistic: closeTo(8), p: closeTo(0.004677734981047268) }, // mcnemar.test(matrix(c(0, 0, 8, 0), 2), correct = FALSE)
      chi2cc: { statistic: closeTo(6.125), p: closeTo(0.013328328780817559) }, // mcnemar.test(matrix(c(0, 0, 8, 0), 2))
    });
  });

  it("is symmetric in b and c except for the reported counts", () => {
    const forward = mcnemar(8, 0);
    expect(mcnemar(0, 8)).toEqual({ ...forward, b: 0, c: 8 });
  });

  it("gives p = 1 and no mid-p or chi-square when there are no discordant pairs", () => {
    // mcnemar.test(matrix(c(0, 0, 0, 0), 2)) gives statistic NaN, p-value NA.
    expect(mcnemar(0, 0)).toEqual({
      b: 0,
      c: 0,
      exactP: 1,
      midP: null,
      chi2: { statistic: null, p: null },
      chi2cc: { statistic: null, p: null },
    });
  });

  it("gives exact p = 1 and mid-p = 1 − P(X = b)/2 when b = c", () => {
    expect(mcnemar(5, 5)).toEqual({
      b: 5,
      c: 5,
      exactP: 1, // binom.test(5, 10)$p.value
      midP: closeTo(0.876953125), // 1 - 0.5 * dbinom(5, 10, 0.5)
      chi2: { statistic: 0, p: closeTo(1) }, // mcnemar.test(matrix(c(0, 5, 5, 0), 2), correct = FALSE)
      chi2cc: { statistic: 0, p: closeTo(1) }, // mcnemar.test(matrix(c(0, 5, 5, 0), 2)): no correction when b == c
    });
    expect(mcnemar(1, 1).midP).toEqual(closeTo(0.75)); // 1 - 0.5 * dbinom(1, 2, 0.5)
  });

  it("matches R for large counts (b = 600, c = 540)", () => {
    expect(mcnemar(600, 540)).toEqual({
      b: 600,
      c: 540,
      exactP: closeTo(0.08051743870793836), // binom.test(600, 1140)$p.value
      midP: closeTo(0.0756427226312699), // 2 * pbinom(539, 1140, 0.5) + dbinom(540, 1140, 0.5)
      chi2: { statistic: closeTo(3.1578947368421053), p: closeTo(0.07556056752594126) },
      chi2cc: { statistic: closeTo(3.0535087719298244), p: closeTo(0.08056291790092537) },
    });
  });

  it.each([
    // [b, c, exact, mid-p, chi2, chi2 p, chi2cc, chi2cc p] from the R commands in the header
    [
      12, 31, 0.0054015726545912895, 0.00365776682792785, 8.395348837209303, 0.0037618231327943737,
      7.534883720930233, 0.006051564288387073,
    ],
    [1, 7, 0.07031250000000003, 0.039062500000000014, 4.5, 0.03389485352468927, 3.125, 0.07709987174354196],
    [3, 1, 0.6250000000000001, 0.37500000000000006, 1, 0.31731050786291415, 0.25, 0.6170750774519739],
    [1, 0, 1, 0.5, 1, 0.31731050786291415, 0, 1],
    [
      6, 16, 0.05247879028320316, 0.034689664840698256, 4.545454545454546, 0.03300625766123244,
      3.6818181818181817, 0.05500883362926572,
    ],
    [
      40, 20, 0.013489293731191905, 0.009853448195259318, 6.666666666666667, 0.009823274507519264,
      6.016666666666667, 0.014171388254012368,
    ],
  ])("matches R for b = %i, c = %i", (b, c, exactP, midP, statistic, p, correctedStatistic, correctedP) => {
    expect(mcnemar(b, c)).toEqual({
      b,
      c,
      exactP: closeTo(exactP),
      midP: closeTo(midP),
      chi2: { statistic: closeTo(statistic), p: closeTo(p) },
      chi2cc: { statistic: closeTo(correctedStatistic), p: closeTo(correctedP) },
    });
  });

  it("is exact to the last bit for small counts: b = 8, c = 0 gives 2⁻⁷ and mid-p 2⁻⁸", () => {
    expect([mcnemar(8, 0).exactP, mcnemar(8, 0).midP]).toEqual([0.0078125, 0.00390625]);
  });

  it.each([
    // Above 20 000 discordant pairs the sums use binomial probabilities instead of integer arithmetic.
    [10010, 9990, 0.89312602392255758, 0.8875403329267082], // binom.test(10010, 20000)$p.value; 2 * pbinom(9989, 20000, 0.5) + dbinom(9990, 20000, 0.5)
    [15000, 14000, 4.4403567887336238e-9, 4.2884157289514896e-9], // binom.test(15000, 29000)$p.value; 2 * pbinom(13999, 29000, 0.5) + dbinom(14000, 29000, 0.5)
    [12000, 12000, 1, 0.99742486547763642], // binom.test(12000, 24000)$p.value; 1 - 0.5 * dbinom(12000, 24000, 0.5)
  ])("matches R for very many discordant pairs (b = %i, c = %i)", (b, c, exactP, midP) => {
    const result = mcnemar(b, c);
    expect([result.exactP, result.midP]).toEqual([closeTo(exactP), closeTo(midP)]);
  });

  it("reproduces the published worked example of Fagerland, Lydersen & Laake 2013 (b = 1, c = 7)", () => {
    // BMC Med Res Methodol 13:91, airway hyper-responsiveness data: exact 0.070, mid-p 0.039, asymptotic 0.034.
    const result = mcnemar(1, 7);
    expect([result.exactP, result.midP, result.chi2.p].map((value) => Number(value?.toFixed(3)))).toEqual([
      0.07, 0.039, 0.034,
    ]);
  });

  it.each([
    [-1, 0, "b"],
    [0, 2.5, "c"],
    [Number.NaN, 1, "b"],
    [1, Number.POSITIVE_INFINITY, "c"],
  ])("rejects b = %s, c = %s", (b, c, field) => {
    const error = thrownBy(() => mcnemar(b, c));
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).location).toEqual({ field });
  });
});
