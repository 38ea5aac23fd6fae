import { describe, expect, it } from "vitest";
import { differenceText, integerText, percent, proportionText, pValueText, secondsText } from "./format.ts";

describe("format", () => {
  it("writes percentages with a true minus sign and no negative zero", () => {
    expect([0.4727, 1, 0, -0.1727, -0.00001].map((value) => percent(value))).toEqual([
      "47.3",
      "100.0",
      "0.0",
      "−17.3",
      "0.0",
    ]);
  });

  it("writes intervals, differences, p-values, counts and seconds", () => {
    const proportion = {
      x: 1,
      n: 2,
      estimate: 0.5,
      lower: 0.0946,
      upper: 0.9056,
      method: "wilson",
      level: 0.95,
    };
    expect(proportionText(proportion)).toBe("50.0 (9.5–90.6)");
    expect(proportionText(null)).toBe("—");
    const difference = { estimate: 0.05, lower: -0.1, upper: 0.2, method: "newcombe", level: 0.95 };
    expect(differenceText(difference)).toBe("+5.0 (−10.0 to 20.0)");
    expect(differenceText({ ...difference, estimate: 0 })).toBe("0.0 (−10.0 to 20.0)");
    expect([0.0004, 0.001, 0.0123, 1, null].map(pValueText)).toEqual([
      "< 0.001",
      "0.001",
      "0.012",
      "1.000",
      "—",
    ]);
    expect([1234567, null].map(integerText)).toEqual(["1,234,567", "—"]);
    expect([1234, null].map(secondsText)).toEqual(["1.23", "—"]);
  });
});
