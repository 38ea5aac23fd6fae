import { describe, expect, it } from "vitest";
import { InputError } from "../core/errors.ts";
import { bcaLimits, bootstrapInterval, percentileLimits } from "./bootstrap.ts";
import { closeTo, thrownBy } from "./close-to.test-support.ts";

// References: R 4.2.2 on the fixed replicates T and jackknife values JK below, with an independent
// implementation of the formulas:
//   bca <- function(t, t0, jk, level) { B <- length(t)
//     p0 <- (sum(t < t0) + 0.5 * sum(t == t0)) / B; p0 <- min(max(p0, 0.5 / B), 1 - 0.5 / B); z0 <- qnorm(p0)
//     d <- mean(jk) - jk; a <- sum(d^3) / (6 * sum(d^2)^1.5); z <- qnorm(c((1 - level) / 2, (1 + level) / 2))
//     adj <- pnorm(z0 + (z0 + z) / (1 - a * (z0 + z))); quantile(t, adj, type = 7, names = FALSE) }
//   percentile: quantile(t, c(0.025, 0.975), type = 7, names = FALSE)
// T and JK were drawn once with set.seed(11); round(rnorm(40, 0.62, 0.05), 3); round(rnorm(12, 0.61, 0.01), 4).
const T = [
  0.59, 0.621, 0.544, 0.552, 0.679, 0.573, 0.686, 0.651, 0.618, 0.57, 0.579, 0.603, 0.543, 0.607, 0.563,
  0.621, 0.609, 0.664, 0.59, 0.587, 0.586, 0.619, 0.598, 0.638, 0.624, 0.62, 0.611, 0.582, 0.609, 0.571,
  0.565, 0.573, 0.654, 0.541, 0.577, 0.644, 0.611, 0.697, 0.589, 0.603,
];
const JK = [0.5936, 0.6102, 0.6189, 0.6013, 0.6189, 0.6066, 0.5881, 0.6188, 0.6172, 0.6122, 0.6179, 0.6077];
const DATA = [12, 15, 9, 20, 14, 11, 17, 13, 16, 10, 18, 14, 12, 15, 21, 8, 13, 16, 14, 19];
const mean = (indices: readonly number[]) =>
  indices.reduce((sum, index) => sum + DATA[index], 0) / indices.length;

describe("percentileLimits and bcaLimits", () => {
  it("match the R formulas", () => {
    expect(percentileLimits(T, 0.95)).toEqual([closeTo(0.54295000000000004), closeTo(0.68627500000000008)]);
    expect(bcaLimits(T, 0.6, JK, 0.95)).toEqual([closeTo(0.5430440139945385), closeTo(0.68711223744395766)]); // bca(t, 0.6, jk, 0.95)
    expect(bcaLimits(T, 0.65, JK, 0.9)).toEqual([closeTo(0.61817095345473394), closeTo(0.69698895380561721)]); // bca(t, 0.65, jk, 0.9)
    expect(bcaLimits(T, 0.59, JK, 0.95)).toEqual([
      closeTo(0.54218737948543605),
      closeTo(0.68134589043859084),
    ]); // bca(t, 0.59, jk, 0.95), ties
  });

  it("stays finite when every replicate lies on one side of the estimate", () => {
    const [lower, upper] = bcaLimits(T, 0.5, JK, 0.95);
    expect(Number.isFinite(lower) && Number.isFinite(upper) && lower <= upper).toBe(true);
  });
});

describe("bootstrapInterval", () => {
  it("gives the same interval for the same seed and a different one for another seed", () => {
    const first = bootstrapInterval(DATA.length, mean, { seed: 7, replicates: 500 });
    expect(bootstrapInterval(DATA.length, mean, { seed: 7, replicates: 500 })).toEqual(first);
    expect(bootstrapInterval(DATA.length, mean, { seed: 8, replicates: 500 }).lower).not.toBe(first.lower);
  });

  it("is close to the t interval for the mean of a symmetric sample", () => {
    // R: t.test(DATA)$conf.int = 12.69166551600571, 16.00833448399429; the bootstrap is a little narrower.
    for (const method of ["percentile", "bca"] as const) {
      const result = bootstrapInterval(DATA.length, mean, { method, seed: 1, replicates: 4000 });
      expect({
        ...result,
        lower: Math.abs(result.lower - 12.69) < 0.35,
        upper: Math.abs(result.upper - 16.01) < 0.35,
      }).toEqual({
        estimate: closeTo(14.35),
        lower: true,
        upper: true,
        method,
        level: 0.95,
        replicates: 4000,
        seed: 1,
      });
    }
  });

  it("passes resampled indices within 0 … n − 1 and the identity for the estimate", () => {
    const calls: number[][] = [];
    bootstrapInterval(
      5,
      (indices) => {
        calls.push([...indices]);
        return indices.length;
      },
      { method: "percentile", replicates: 100 },
    );
    expect(calls[0]).toEqual([0, 1, 2, 3, 4]);
    expect(calls.length).toBe(101);
    expect(
      calls.every((indices) => indices.length === 5 && indices.every((index) => index >= 0 && index < 5)),
    ).toBe(true);
  });

  it.each([
    [1, {}, "sampleSize"],
    [10, { replicates: 10 }, "replicates"],
    [10, { method: "basic" }, "method"],
    [10, { level: 95 }, "level"],
    [10, { seed: 0.5 }, "seed"],
  ])("rejects n = %s with %o", (size, options, field) => {
    const error = thrownBy(() => bootstrapInterval(size, mean, options as never));
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).location).toEqual({ field });
  });

  it("rejects a statistic that returns NaN", () => {
    const error = thrownBy(() => bootstrapInterval(10, () => Number.NaN));
    expect((error as InputError).location).toEqual({ field: "statistic" });
  });

  it("gives the same BCa interval with a leave-one-out jackknife, without calling the statistic on n − 1 cases", () => {
    // DATA are integers, so the sums are exact and both jackknives give the same numbers to the last bit.
    const total = DATA.reduce((sum, value) => sum + value, 0);
    const sizes: number[] = [];
    const lefts: number[] = [];
    const fast = bootstrapInterval(
      DATA.length,
      (indices) => {
        sizes.push(indices.length);
        return mean(indices);
      },
      {
        seed: 3,
        replicates: 500,
        jackknife: (left) => {
          lefts.push(left);
          return (total - DATA[left]) / (DATA.length - 1);
        },
      },
    );
    expect(fast).toEqual(bootstrapInterval(DATA.length, mean, { seed: 3, replicates: 500 }));
    expect(lefts).toEqual(DATA.map((_, index) => index));
    expect([sizes.length, new Set(sizes)]).toEqual([501, new Set([DATA.length])]);
  });

  it("leaves the jackknife out of the percentile interval, and rejects one that returns NaN", () => {
    const percentile = { method: "percentile", seed: 3, replicates: 500 } as const;
    expect(bootstrapInterval(DATA.length, mean, { ...percentile, jackknife: () => Number.NaN })).toEqual(
      bootstrapInterval(DATA.length, mean, percentile),
    );
    const error = thrownBy(() => bootstrapInterval(10, mean, { jackknife: () => Number.POSITIVE_INFINITY }));
    expect([error instanceof InputError, (error as InputError).location]).toEqual([
      true,
      { field: "jackknife" },
    ]);
  });
});
