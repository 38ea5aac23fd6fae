import { describe, expect, it } from "vitest";
import { InputError } from "../core/errors.ts";
import { closeTo, thrownBy } from "./close-to.test-support.ts";
import { mcnemarExactPower, planMcnemar } from "./sample-size.ts";

// References: independent R 4.2.2 implementations, printed with format(x, digits = 17):
//   connor <- function(p10, p01, alpha = 0.05, power = 0.8) { psi <- p10 + p01; delta <- p10 - p01
//     (qnorm(1 - alpha / 2) * sqrt(psi) + qnorm(power) * sqrt(psi - delta^2))^2 / delta^2 }   # then ceiling()
//   exact_power <- function(n, p10, p01, alpha) { psi <- p10 + p01; share <- p10 / psi; total <- 0
//     for (m in 1:n) { x <- 0:m; pv <- pmin(1, 2 * pbinom(pmin(x, m - x), m, 0.5))
//       total <- total + dbinom(m, n, psi) * sum(dbinom(x[pv <= alpha], m, share)) }
//     total }   # brute force over every table, unlike the incremental critical values in sample-size.ts

describe("planMcnemar", () => {
  it("reproduces the published example: p10 = 0.05, p01 = 0.45, alpha 0.05, power 0.8 needs 23 pairs", () => {
    // powerandsamplesize.com, McNemar Z-test 2-sided (citing Connor 1987, p. 209): ceiling(n) = 23.
    expect(planMcnemar({ p10: 0.05, p01: 0.45 })).toEqual({
      n: 23, // connor(0.05, 0.45) = 22.011324427435785
      discordant: closeTo(11.5),
      method: "Connor 1987",
      alpha: 0.05,
      power: 0.8,
      exactPower: closeTo(0.77658617765979587), // exact_power(23, 0.05, 0.45, 0.05)
    });
  });

  it.each([
    // [p10, p01, alpha, power, n, exact power]: connor(...) then exact_power(n, ...)
    [0.15, 0.05, 0.05, 0.8, 155, 0.76174717853358975], // connor = 154.59856956021102
    [0.2, 0.1, 0.01, 0.9, 442, 0.89073689688735991], // connor = 441.41020550790773
    [0.02, 0.06, 0.05, 0.8, 391, 0.76482180944973732], // connor = 390.07778185070856
    [0.3, 0.1, 0.05, 0.8, 77, 0.76070688595430791], // connor = 76.087484493180156
  ])("matches R for p10 = %s, p01 = %s, alpha %s, power %s", (p10, p01, alpha, power, n, exactPower) => {
    expect(planMcnemar({ p10, p01, alpha, power })).toEqual({
      n,
      discordant: closeTo(n * (p10 + p01)),
      method: "Connor 1987",
      alpha,
      power,
      exactPower: closeTo(exactPower),
    });
  });

  it.each([
    [{ p10: 0.1, p01: 0.1 }, "p01"],
    [{ p10: 0.7, p01: 0.6 }, "p01"],
    [{ p10: -0.1, p01: 0.2 }, "p10"],
    [{ p10: 0.1, p01: 0.2, alpha: 0 }, "alpha"],
    [{ p10: 0.1, p01: 0.2, power: 1 }, "power"],
    [{ p10: 0.1, p01: 0.2, alpha: 0.5, power: 0.4 }, "power"],
  ])("rejects %o", (options, field) => {
    const error = thrownBy(() => planMcnemar(options));
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).location).toEqual({ field });
  });
});

describe("mcnemarExactPower", () => {
  it("is the size of the test when there is no difference, at most alpha", () => {
    const size = mcnemarExactPower(60, 0.1, 0.1, 0.05);
    expect(size > 0 && size <= 0.05).toBe(true);
  });
});
