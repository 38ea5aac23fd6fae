import { describe, expect, it } from "vitest";
import { InputError } from "../core/errors.ts";
import { ADJUST_METHODS } from "../core/study.ts";
import { adjustPValues, P_ADJUST_METHODS } from "./adjust-p-values.ts";
import { closeTo, thrownBy } from "./close-to.test-support.ts";

// References: R 4.2.2, p.adjust(p, method) with p <- c(0.01, 0.04, 0.03, 0.005, 0.2, 0.04, 0.5, 0.0001),
// printed with format(x, digits = 17). R names BH and BY in capitals.
const P_VALUES = [0.01, 0.04, 0.03, 0.005, 0.2, 0.04, 0.5, 0.0001];

describe("adjustPValues", () => {
  it.each([
    ["holm", [0.06, 0.16, 0.15, 0.035, 0.4, 0.16, 0.5, 0.0008]], // p.adjust(p, "holm")
    ["bonferroni", [0.08, 0.32, 0.24, 0.04, 1, 0.32, 1, 0.0008]], // p.adjust(p, "bonferroni")
    [
      "bh",
      [
        0.026666666666666665, 0.05333333333333333, 0.05333333333333333, 0.02, 0.22857142857142856,
        0.05333333333333333, 0.5, 0.0008,
      ],
    ], // p.adjust(p, "BH")
    ["hochberg", [0.06, 0.12, 0.12, 0.035, 0.4, 0.12, 0.5, 0.0008]], // p.adjust(p, "hochberg")
    [
      "by",
      [
        0.07247619047619047, 0.14495238095238094, 0.14495238095238094, 0.05435714285714286,
        0.6212244897959184, 0.14495238095238094, 1, 0.0021742857142857145,
      ],
    ], // p.adjust(p, "BY")
  ] as const)("%s matches R's p.adjust", (method, expected) => {
    expect(adjustPValues(P_VALUES, method)).toEqual(expected.map((value) => closeTo(value)));
  });

  it.each([
    ["holm", [0.008, 0.006]], // p.adjust(c(0.008, 0.003), "holm")
    ["bonferroni", [0.016, 0.006]],
    ["bh", [0.008, 0.006]],
    ["hochberg", [0.008, 0.006]],
    ["by", [0.012, 0.009]], // p.adjust(c(0.008, 0.003), "BY"): 0.012, 0.009000000000000001
  ] as const)("%s matches R for the two comparisons of the reference study", (method, expected) => {
    expect(adjustPValues([0.008, 0.003], method)).toEqual(expected.map((value) => closeTo(value)));
  });

  it("leaves zero or one p-value unchanged", () => {
    expect(adjustPValues([], "holm")).toEqual([]);
    expect(adjustPValues([0.03], "by")).toEqual([0.03]);
  });

  it.each([[[0.1, 1.2]], [[Number.NaN]], [[-0.01, 0.5]]])("rejects %o", (values) => {
    const error = thrownBy(() => adjustPValues(values, "holm"));
    expect(error).toBeInstanceOf(InputError);
  });

  it("rejects an unknown method", () => {
    const error = thrownBy(() => adjustPValues([0.1], "fdr" as never));
    expect((error as InputError).location).toEqual({ field: "method" });
  });
});

describe("the study's adjust: choices", () => {
  it("are exactly the methods adjustPValues offers", () => {
    expect([...ADJUST_METHODS]).toEqual([...P_ADJUST_METHODS]);
  });
});
