import { describe, expect, it } from "vitest";
import { InputError } from "../core/errors.ts";
import { binomialInterval } from "./binomial-interval.ts";
import { closeTo, thrownBy } from "./close-to.test-support.ts";

// References (R 4.2.2 and statsmodels 0.13.5 from Debian), printed with 17 significant digits:
//   wilson:          R  prop.test(x, n, correct = FALSE, conf.level = level)$conf.int
//   clopper-pearson: R  binom.test(x, n, conf.level = level)$conf.int
//   agresti-coull:   Python  statsmodels.stats.proportion.proportion_confint(x, n, alpha = 1 - level, method = "agresti_coull")
//   wald:            Python  proportion_confint(x, n, alpha = 1 - level, method = "normal")
// statsmodels truncates agresti_coull and normal limits to [0, 1], as clinval does.

const CLOSED_FORM = 1e-12;
const ROOT_FOUND = 1e-9;

describe("binomialInterval", () => {
  it("defaults to a 95% Wilson interval", () => {
    expect(binomialInterval(52, 110)).toEqual({
      x: 52,
      n: 110,
      estimate: closeTo(52 / 110),
      lower: closeTo(0.3819320672059231, CLOSED_FORM), // prop.test(52, 110, correct = FALSE)$conf.int[1]
      upper: closeTo(0.5653630565376131, CLOSED_FORM), // prop.test(52, 110, correct = FALSE)$conf.int[2]
      method: "wilson",
      level: 0.95,
    });
  });

  // [x, n, level, lower, upper], from prop.test(x, n, correct = FALSE, conf.level = level)$conf.int
  it.each([
    [105, 110, 0.95, 0.897984064933631, 0.9804305393407654],
    [0, 10, 0.95, 0, 0.27753279986288915],
    [10, 10, 0.95, 0.7224672001371109, 1],
    [0, 1, 0.95, 0, 0.7934506856227626],
    [1, 1, 0.95, 0.2065493143772375, 1],
    [3, 7, 0.99, 0.11637368051613818, 0.8102850959116122],
    [1, 1000, 0.95, 0.00017654637062607817, 0.005642558597957934],
    [999, 1000, 0.9, 0.995530277090631, 0.9997768761560878],
    [500, 1000, 0.95, 0.4690696003681042, 0.5309303996318958],
    [12345, 100000, 0.95, 0.12142561775452176, 0.12550331116056454],
  ])("wilson matches R for x = %i, n = %i, level %s", (x, n, level, lower, upper) => {
    expect(binomialInterval(x, n, { method: "wilson", level })).toEqual({
      x,
      n,
      estimate: closeTo(x / n),
      lower: closeTo(lower, CLOSED_FORM),
      upper: closeTo(upper, CLOSED_FORM),
      method: "wilson",
      level,
    });
  });

  // [x, n, level, lower, upper], from binom.test(x, n, conf.level = level)$conf.int
  it.each([
    [52, 110, 0.95, 0.3767714038649055, 0.5701881451392115],
    [105, 110, 0.95, 0.8971078656084809, 0.9850785259260779],
    [0, 10, 0.95, 0, 0.30849710781876083],
    [10, 10, 0.95, 0.6915028921812392, 1],
    [0, 1, 0.95, 0, 0.975],
    [1, 1, 0.95, 0.025000000000000022, 1],
    [3, 7, 0.99, 0.055299349980566286, 0.882296248331048],
    [1, 1000, 0.95, 2.531748749129407e-5, 0.005558924279826627],
    [999, 1000, 0.9, 0.9952650064245002, 0.999948708021091],
    [500, 1000, 0.95, 0.46854917297179194, 0.5314508270282081],
    [12345, 100000, 0.95, 0.12141710670798131, 0.12550476084867201],
  ])("clopper-pearson matches R for x = %i, n = %i, level %s", (x, n, level, lower, upper) => {
    expect(binomialInterval(x, n, { method: "clopper-pearson", level })).toEqual({
      x,
      n,
      estimate: closeTo(x / n),
      lower: closeTo(lower, ROOT_FOUND),
      upper: closeTo(upper, ROOT_FOUND),
      method: "clopper-pearson",
      level,
    });
  });

  // [x, n, level, lower, upper], from proportion_confint(x, n, alpha = 1 - level, method = "agresti_coull")
  it.each([
    [52, 110, 0.95, 0.38192760594565667, 0.5653675177978795],
    [105, 110, 0.95, 0.8953133886287248, 0.9831012156456713],
    [0, 10, 0.95, 0, 0.3208873057505457],
    [10, 10, 0.95, 0.6791126942494543, 1],
    [0, 1, 0.95, 0, 0.832500514520587],
    [1, 1, 0.95, 0.167499485479413, 1],
    [3, 7, 0.99, 0.1154810075655564, 0.8111777688621942],
    [1, 1000, 0.95, 0, 0.0062414827433288755],
    [999, 1000, 0.9, 0.9951403386146053, 1],
    [500, 1000, 0.95, 0.4690696003681042, 0.5309303996318958],
    [12345, 100000, 0.95, 0.12142556644858918, 0.1255033624664971],
  ])("agresti-coull matches statsmodels for x = %i, n = %i, level %s", (x, n, level, lower, upper) => {
    expect(binomialInterval(x, n, { method: "agresti-coull", level })).toEqual({
      x,
      n,
      estimate: closeTo(x / n),
      lower: closeTo(lower, CLOSED_FORM),
      upper: closeTo(upper, CLOSED_FORM),
      method: "agresti-coull",
      level,
    });
  });

  // [x, n, level, lower, upper], from proportion_confint(x, n, alpha = 1 - level, method = "normal")
  it.each([
    [52, 110, 0.95, 0.3794287575995982, 0.5660257878549473],
    [105, 110, 0.95, 0.9156195498514498, 0.9934713592394594],
    [0, 10, 0.95, 0, 0],
    [10, 10, 0.95, 1, 1],
    [3, 7, 0.99, 0, 0.9103646024815599],
    [1, 1000, 0.95, 0, 0.0029589837574297115],
    [999, 1000, 0.9, 0.9973559690055716, 1],
    [500, 1000, 0.95, 0.4690102483847719, 0.5309897516152281],
    [12345, 100000, 0.95, 0.12141116544680657, 0.12548883455319343],
  ])("wald matches statsmodels for x = %i, n = %i, level %s", (x, n, level, lower, upper) => {
    expect(binomialInterval(x, n, { method: "wald", level })).toEqual({
      x,
      n,
      estimate: closeTo(x / n),
      lower: closeTo(lower, CLOSED_FORM),
      upper: closeTo(upper, CLOSED_FORM),
      method: "wald",
      level,
    });
  });

  it("gives the closed-form Clopper–Pearson limits at x = 0 and x = n", () => {
    // qbeta(0.975, 1, 50) = 1 - 0.025^(1/50) and qbeta(0.025, 50, 1) = 0.025^(1/50)
    expect(binomialInterval(0, 50, { method: "clopper-pearson" }).upper).toEqual(
      closeTo(0.07112173646419762, ROOT_FOUND),
    );
    expect(binomialInterval(50, 50, { method: "clopper-pearson" }).lower).toEqual(
      closeTo(0.9288782635358023, ROOT_FOUND),
    );
  });

  it.each([
    [1, 0, {}, "n"],
    [5, 4, {}, "x"],
    [-1, 4, {}, "x"],
    [1.5, 4, {}, "x"],
    [1, 4, { level: 1 }, "level"],
    [1, 4, { level: 0 }, "level"],
    [1, 4, { level: Number.NaN }, "level"],
    [1, 4, { method: "jeffreys" }, "method"],
  ])("rejects x = %s, n = %s, %o", (x, n, options, field) => {
    const error = thrownBy(() => binomialInterval(x, n, options as never));
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).location).toEqual({ field });
  });
});
