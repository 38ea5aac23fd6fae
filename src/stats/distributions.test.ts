import { describe, expect, it } from "vitest";
import { closeTo } from "./close-to.test-support.ts";
import {
  binomialCdf,
  binomialProbability,
  binomialUpperTail,
  chiSquareUpperTail,
  normalCdf,
  normalQuantile,
  normalUpperTail,
} from "./distributions.ts";

// References: R 4.2.2, each command as written beside its value, printed with sprintf("%.17g", x).
describe("normalQuantile", () => {
  it.each([
    [0.975, 1.9599639845400536], // qnorm(0.975)
    [0.025, -1.9599639845400538], // qnorm(0.025)
    [0.995, 2.5758293035488999], // qnorm(0.995)
    [0.9, 1.2815515655446008], // qnorm(0.9)
    [1e-10, -6.3613409024040557], // qnorm(1e-10)
    [1e-300, -37.047096299361201], // qnorm(1e-300)
    [0.5000001, 2.5066282733116488e-7], // qnorm(0.5000001)
  ])("qnorm(%s)", (p, expected) => {
    expect(normalQuantile(p)).toEqual(closeTo(expected));
  });

  it("handles 0, ½ and 1", () => {
    expect([normalQuantile(0), normalQuantile(0.5), normalQuantile(1)]).toEqual([
      Number.NEGATIVE_INFINITY,
      0,
      Number.POSITIVE_INFINITY,
    ]);
  });
});

describe("normal tails", () => {
  it.each([
    [1, 0.15865525393145705], // pnorm(1, lower = FALSE)
    [5, 2.8665157187919391e-7], // pnorm(5, lower = FALSE)
    [20, 2.7536241186062337e-89], // pnorm(20, lower = FALSE)
    [-1, 0.84134474606854293], // pnorm(-1, lower = FALSE)
    [0.1, 0.46017216272297101], // pnorm(0.1, lower = FALSE)
    [1.7, 0.044565462758543041], // pnorm(1.7, lower = FALSE)
    [37, 5.7255712225245771e-300], // pnorm(37, lower = FALSE)
  ])("pnorm(%s, lower = FALSE)", (z, expected) => {
    expect(normalUpperTail(z)).toEqual(closeTo(expected));
  });

  it("pnorm(-3)", () => {
    expect(normalCdf(-3)).toEqual(closeTo(0.0013498980316300946));
  });
});

describe("chiSquareUpperTail", () => {
  it.each([
    [3.2, 1, 0.073638270120302773], // pchisq(3.2, 1, lower = FALSE)
    [8.5, 3, 0.036733114668589341], // pchisq(8.5, 3, lower = FALSE)
    [0.3, 4, 0.98981417288881657], // pchisq(0.3, 4, lower = FALSE)
    [150, 7, 4.0598800327763293e-29], // pchisq(150, 7, lower = FALSE)
    [12.1, 1, 0.00050421822944900598], // pchisq(12.1, 1, lower = FALSE)
    [1e-8, 1, 0.99992021154405275], // pchisq(1e-8, 1, lower = FALSE)
    [40, 30, 0.10486428110798465], // pchisq(40, 30, lower = FALSE)
    [2000, 1900, 0.054206673889018613], // pchisq(2000, 1900, lower = FALSE)
  ])("pchisq(%s, %i, lower = FALSE)", (statistic, df, expected) => {
    expect(chiSquareUpperTail(statistic, df)).toEqual(closeTo(expected));
  });
});

describe("binomial", () => {
  it("matches R's dbinom and pbinom", () => {
    expect([
      binomialCdf(540, 1140, 0.5), // pbinom(540, 1140, 0.5)
      binomialUpperTail(3, 10, 0.02), // pbinom(2, 10, 0.02, lower = FALSE)
      binomialCdf(2, 30, 0.4), // pbinom(2, 30, 0.4)
      binomialCdf(10, 100000, 0.001), // pbinom(10, 100000, 0.001)
      binomialProbability(540, 1140, 0.5), // dbinom(540, 1140, 0.5)
      binomialProbability(0, 8, 0.5), // dbinom(0, 8, 0.5)
      binomialProbability(3, 1000, 0.001), // dbinom(3, 1000, 0.001)
      binomialProbability(99990, 100000, 0.9999), // dbinom(99990, 100000, 0.9999)
    ]).toEqual([
      closeTo(0.040258719353969179),
      closeTo(0.00086390627995099208),
      closeTo(4.7383510126810487e-5),
      closeTo(1.0924478414690401e-30),
      closeTo(0.0048747160766685589),
      closeTo(0.0039062500000000009),
      closeTo(0.061282509389840631),
      closeTo(0.12511629168170066),
    ]);
  });

  it("has tails that sum to 1 and agree with the summed probabilities", () => {
    let below = 0;
    for (let k = 0; k <= 17; k++) below += binomialProbability(k, 40, 0.37);
    expect(binomialCdf(17, 40, 0.37)).toEqual(closeTo(below));
    expect(binomialCdf(17, 40, 0.37) + binomialUpperTail(18, 40, 0.37)).toEqual(closeTo(1));
  });
});
