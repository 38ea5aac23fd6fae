import { describe, expect, it } from "vitest";
import { InputError } from "../core/errors.ts";
import { closeTo, thrownBy } from "./close-to.test-support.ts";
import { flipRate, noiseDiscordance } from "./determinism.ts";

describe("flipRate", () => {
  it("is the share of same-case answer pairs that disagree", () => {
    // R 4.2.2: x <- c(3,2,0,1,3,3,2,0,3,1,2,3,3,0,2,1,3,2,3,1); m <- rep(3, 20)
    //   sum(x*(m-x)) / sum(m*(m-1)/2) = 0.29999999999999999
    const counts = [3, 2, 0, 1, 3, 3, 2, 0, 3, 1, 2, 3, 3, 0, 2, 1, 3, 2, 3, 1].map((correct) => ({
      correct,
      answered: 3,
    }));
    expect(flipRate(counts)).toEqual({ cases: 20, pairs: 60, discordantPairs: 18, rate: closeTo(0.3) });
  });

  it("skips cases with fewer than two answers and is null without pairs", () => {
    expect(flipRate([{ correct: 1, answered: 1 }])).toEqual({
      cases: 0,
      pairs: 0,
      discordantPairs: 0,
      rate: null,
    });
    expect(
      flipRate([
        { correct: 4, answered: 4 },
        { correct: 0, answered: 2 },
      ]),
    ).toEqual({
      cases: 2,
      pairs: 7,
      discordantPairs: 0,
      rate: 0,
    });
  });
});

describe("noiseDiscordance", () => {
  it("splits the expected disagreement into sampling noise and the rest", () => {
    // R 4.2.2: xa <- c(3,2,1,0,2); ma <- c(3,3,2,3,3); xb <- c(1,2,2,0,0); mb <- c(3,3,3,1,3)
    //   keep <- ma >= 2 & mb >= 2; pa <- xa/ma; pb <- xb/mb
    //   sum((pa*(1-pb) + pb*(1-pa))[keep]) = 2.2777777777777777
    //   sum((xa*(ma-xa)/(ma*(ma-1)) + xb*(mb-xb)/(mb*(mb-1)))[keep]) = 2.1666666666666665
    const a = [3, 2, 1, 0, 2].map((correct, index) => ({ correct, answered: [3, 3, 2, 3, 3][index] }));
    const b = [1, 2, 2, 0, 0].map((correct, index) => ({ correct, answered: [3, 3, 3, 1, 3][index] }));
    expect(noiseDiscordance(a, b)).toEqual({
      cases: 4,
      observed: closeTo(2.2777777777777777),
      noise: closeTo(2.1666666666666665),
      share: closeTo(2.1666666666666665 / 2.2777777777777777),
    });
  });

  it("needs counts for the same cases", () => {
    expect(thrownBy(() => noiseDiscordance([{ correct: 1, answered: 2 }], []))).toEqual(
      new InputError("both models need counts for the same cases (1 and 0)", { field: "b" }),
    );
  });
});
