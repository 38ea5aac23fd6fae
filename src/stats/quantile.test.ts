import { describe, expect, it } from "vitest";
import { InputError } from "../core/errors.ts";
import { closeTo, thrownBy } from "./close-to.test-support.ts";
import { quantile } from "./quantile.ts";

// References: R 4.2.2, quantile(x, probs, type = 7, names = FALSE), printed with format(x, digits = 17).
const LATENCIES = [1200, 850, 3400, 910, 15000, 1020, 990, 2210, 870, 1130];

describe("quantile", () => {
  it("matches R's type 7 on latencies", () => {
    // quantile(c(1200, 850, 3400, 910, 15000, 1020, 990, 2210, 870, 1130), c(0, 0.05, 0.5, 0.95, 0.99, 1))
    expect([0, 0.05, 0.5, 0.95, 0.99, 1].map((probability) => quantile(LATENCIES, probability))).toEqual([
      closeTo(850),
      closeTo(859),
      closeTo(1075),
      closeTo(9779.9999999999873),
      closeTo(13956.000000000002),
      closeTo(15000),
    ]);
  });

  it("handles a single value and negative values", () => {
    expect([quantile([42], 0.5), quantile([42], 0.95)]).toEqual([42, 42]); // quantile(42, c(0.5, 0.95))
    // quantile(c(3.5, -1.25), c(0.1, 0.5, 0.95))
    expect([0.1, 0.5, 0.95].map((probability) => quantile([3.5, -1.25], probability))).toEqual([
      closeTo(-0.7749999999999997),
      closeTo(1.125),
      closeTo(3.2624999999999997),
    ]);
  });

  it("does not reorder its input", () => {
    const values = [3, 1, 2];
    quantile(values, 0.5);
    expect(values).toEqual([3, 1, 2]);
  });

  it.each([
    [[], 0.5, "values"],
    [[1, Number.NaN], 0.5, "values.1"],
    [[1, 2], 1.5, "probability"],
    [[1, 2], -0.1, "probability"],
  ])("rejects %o at %s", (values, probability, field) => {
    const error = thrownBy(() => quantile(values, probability));
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).location).toEqual({ field });
  });
});
