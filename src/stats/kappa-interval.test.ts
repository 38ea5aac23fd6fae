import { describe, expect, it } from "vitest";
import { InputError } from "../core/errors.ts";
import { closeTo, thrownBy } from "./close-to.test-support.ts";
import { cohenKappaInterval } from "./kappa-interval.ts";

// References: statsmodels 0.14 (python -m venv; pip install statsmodels),
//   from statsmodels.stats.inter_rater import cohens_kappa
//   r = cohens_kappa(numpy.array(T)); r.kappa, r.std_kappa, r.kappa_low, r.kappa_upp
// where T is the table of FIRST (rows) by SECOND (columns) in the label order.

/** The ratings behind a table: row label, column label, repeated by the cell count. */
function ratings(table: number[][], labels: string[]): [string[], string[]] {
  const first: string[] = [];
  const second: string[] = [];
  table.forEach((row, i) => {
    row.forEach((count, j) => {
      for (let k = 0; k < count; k++) {
        first.push(labels[i]);
        second.push(labels[j]);
      }
    });
  });
  return [first, second];
}

describe("cohenKappaInterval", () => {
  it.each([
    // T = [[7,2,0],[1,6,2],[0,2,4]]
    [
      [
        [7, 2, 0],
        [1, 6, 2],
        [0, 2, 4],
      ],
      0.5555555555555556,
      0.1417606214362061,
      0.2777098431145748,
      0.8334012679965364,
    ],
    // T = [[20,5],[3,12]]
    [
      [
        [20, 5],
        [3, 12],
      ],
      0.5844155844155845,
      0.13020570707305587,
      0.3292170879708228,
      0.8396140808603463,
    ],
    // T = [[10,4],[6,1]]: worse than chance
    [
      [
        [10, 4],
        [6, 1],
      ],
      -0.15384615384615355,
      0.19056036927397393,
      -0.5273376145037957,
      0.21964530681148856,
    ],
  ])("matches statsmodels for %j", (table, kappa, standardError, lower, upper) => {
    const labels = ["a", "b", "c"].slice(0, table.length);
    const [first, second] = ratings(table, labels);
    expect(cohenKappaInterval(first, second, 0.95, labels)).toEqual({
      kappa: closeTo(kappa),
      standardError: closeTo(standardError, 1e-10),
      lower: closeTo(lower, 1e-10),
      upper: closeTo(upper, 1e-10),
      level: 0.95,
      n: first.length,
      labels,
    });
  });

  it("gives a zero-width interval for perfect agreement and none when chance agreement is 1", () => {
    // T = [[3,0],[0,2]]: kappa 1, std_kappa 0
    const [first, second] = ratings(
      [
        [3, 0],
        [0, 2],
      ],
      ["x", "y"],
    );
    expect(cohenKappaInterval(first, second)).toEqual({
      kappa: 1,
      standardError: 0,
      lower: 1,
      upper: 1,
      level: 0.95,
      n: 5,
      labels: ["x", "y"],
    });
    expect(cohenKappaInterval(["x", "x"], ["x", "x"])).toEqual({
      kappa: null,
      standardError: null,
      lower: null,
      upper: null,
      level: 0.95,
      n: 2,
      labels: ["x"],
    });
  });

  it("rejects a level outside (0, 1)", () => {
    const error = thrownBy(() => cohenKappaInterval(["a"], ["a"], 1.5));
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).location).toEqual({ field: "level" });
  });
});
