import { describe, expect, it } from "vitest";
import { InputError } from "../core/errors.ts";
import { closeTo, thrownBy } from "./close-to.test-support.ts";
import { fisherExact, interactionTest } from "./interaction-test.ts";

describe("fisherExact", () => {
  it("matches R's fisher.test", () => {
    // Rscript -e 'fisher.test(matrix(c(B1, B2, C1, C2), 2))$p.value'
    expect(fisherExact(7, 1, 2, 6)).toEqual(closeTo(0.040559440559440579, 1e-12));
    expect(fisherExact(8, 0, 1, 1)).toEqual(closeTo(0.19999999999999996, 1e-12));
    expect(fisherExact(5, 5, 5, 5)).toBe(1);
    expect(fisherExact(12, 3, 30, 2)).toEqual(closeTo(0.30883822629191909, 1e-12));
  });
});

describe("interactionTest", () => {
  it("contrasts two strata's paired differences by MOVER and tests the discordant split", () => {
    // R 4.2.2, Newcombe method 10 with the corrected φ (the formula of paired-difference.test.ts) at 0.99:
    //   newc(20,7,1,12,0.99) = 0.15 −0.030892275132515135 0.31391510406671691  (reference stratum)
    //   newc(15,2,6,17,0.99) = −0.1 −0.26858531413302411 0.08174947527185672
    //   MOVER: e <- f2[1]-r[1]; e ∓ sqrt((f2[1]-f2[2])^2 + (r[3]-r[1])^2) and sqrt((f2[3]-f2[1])^2 + (r[1]-r[2])^2)
    //   = −0.25 −0.48513649117594032 0.0064271572283497447
    //   fisher.test(matrix(c(7, 2, 1, 6), 2))$p.value = 0.040559440559440579
    const result = interactionTest(
      [
        { a: 20, b: 7, c: 1, d: 12 },
        { a: 15, b: 2, c: 6, d: 17 },
      ],
      { level: 0.99 },
    );
    expect(result.contrasts).toEqual([
      {
        stratum: 1,
        estimate: closeTo(-0.25),
        lower: closeTo(-0.48513649117594032, 1e-12),
        upper: closeTo(0.0064271572283497447, 1e-10),
        method: "mover-newcombe",
        level: 0.99,
      },
    ]);
    expect(result.differences.map((difference) => difference?.estimate)).toEqual([
      closeTo(0.15),
      closeTo(-0.1),
    ]);
    expect(result.test).toEqual({
      method: "fisher-exact",
      statistic: null,
      df: 1,
      p: closeTo(0.040559440559440579, 1e-12),
    });
  });

  it("uses Pearson's chi-square for three or more strata with discordant pairs", () => {
    // x <- chisq.test(matrix(c(7,2,4, 1,6,4), 3), correct = FALSE): X² = 6.3776223776223784, p = 0.041220845624963774
    const result = interactionTest([
      { a: 10, b: 7, c: 1, d: 2 },
      { a: 10, b: 2, c: 6, d: 2 },
      { a: 10, b: 4, c: 4, d: 2 },
      { a: 3, b: 0, c: 0, d: 1 },
    ]);
    expect(result.test).toEqual({
      method: "chi-square",
      statistic: closeTo(6.3776223776223784, 1e-12),
      df: 2,
      p: closeTo(0.041220845624963774, 1e-10),
    });
    expect(result.contrasts.map((contrast) => contrast.stratum)).toEqual([1, 2, 3]);
  });

  it("skips empty strata and gives p = 1 without two strata of discordant pairs", () => {
    const result = interactionTest([
      { a: 0, b: 0, c: 0, d: 0 },
      { a: 3, b: 1, c: 0, d: 1 },
      { a: 2, b: 0, c: 0, d: 2 },
    ]);
    expect(result.differences[0]).toBe(null);
    expect(result.contrasts.map((contrast) => contrast.stratum)).toEqual([2]);
    expect(result.test).toEqual({ method: "chi-square", statistic: null, df: 0, p: 1 });
    expect(thrownBy(() => interactionTest([{ a: 1, b: 0, c: 0, d: 0 }]))).toEqual(
      new InputError("needs at least 2 strata, got 1", { field: "strata" }),
    );
  });
});
