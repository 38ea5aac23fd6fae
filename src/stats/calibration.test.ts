import { describe, expect, it } from "vitest";
import { InputError } from "../core/errors.ts";
import { calibration } from "./calibration.ts";
import { closeTo, thrownBy } from "./close-to.test-support.ts";

// R 4.2.2:
//   p <- c(0.92, 0.81, 0.15, 0.05, 0.66, 0.31, 0.99, 0.44, 0.1, 1, 0, 0.71, 0.35, 0.58)
//   y <- c(1, 1, 0, 0, 1, 0, 1, 1, 0, 1, 0, 0, 1, 0)
//   mean((p - y)^2) = 0.13327857142857144
//   b <- cut(p, seq(0, 1, BREAK), right = FALSE, include.lowest = TRUE)
//   tapply(p, b, length); tapply(p, b, mean); tapply(y, b, mean)
const P = [0.92, 0.81, 0.15, 0.05, 0.66, 0.31, 0.99, 0.44, 0.1, 1, 0, 0.71, 0.35, 0.58];
const Y = [1, 1, 0, 0, 1, 0, 1, 1, 0, 1, 0, 0, 1, 0];

describe("calibration", () => {
  it("gives R's Brier score and reliability bins", () => {
    const bin = (lower: number, upper: number, count: number, meanPredicted: number, observed: number) => ({
      lower: closeTo(lower),
      upper: closeTo(upper),
      count,
      meanPredicted: closeTo(meanPredicted),
      observed: closeTo(observed),
    });
    expect(calibration(P, Y, { bins: 4 })).toEqual({
      n: 14,
      brier: closeTo(0.13327857142857144),
      bins: [
        bin(0, 0.25, 4, 0.074999999999999997, 0),
        bin(0.25, 0.5, 3, 0.36666666666666664, 0.66666666666666663),
        bin(0.5, 0.75, 3, 0.65000000000000002, 0.33333333333333331),
        bin(0.75, 1, 4, 0.93000000000000005, 1),
      ],
    });
    // Ten bins (the default): [0.2, 0.3) is empty and left out; [0.9, 1] holds 0.92, 0.99 and 1.
    const tenths = calibration(P, Y);
    expect(tenths.bins.map((entry) => [entry.count, entry.observed])).toEqual([
      [2, 0],
      [2, 0],
      [2, 0.5],
      [1, 1],
      [1, 0],
      [1, 1],
      [1, 0],
      [1, 1],
      [3, 1],
    ]);
    expect(tenths.bins[8].meanPredicted).toEqual(closeTo(0.96999999999999997));
  });

  it("rejects probabilities outside [0, 1], outcomes other than 0 and 1, and mismatched lengths", () => {
    expect(thrownBy(() => calibration([1.2], [1]))).toEqual(
      new InputError("must be a number between 0 and 1, got 1.2", { field: "p.0" }),
    );
    expect(thrownBy(() => calibration([0.2], [2]))).toEqual(
      new InputError("must be 0 or 1, got 2", { field: "y.0" }),
    );
    expect(thrownBy(() => calibration([0.2, 0.3], [1]))).toEqual(
      new InputError("2 probabilities but 1 outcomes", { field: "outcomes" }),
    );
  });
});
