import { describe, expect, it } from "vitest";
import { InputError } from "../core/errors.ts";
import { bootstrapInterval } from "./bootstrap.ts";
import { closeTo, thrownBy } from "./close-to.test-support.ts";
import { clusterProportion, meanInterval } from "./cluster-proportion.ts";

// 20 cases answered 3 times each; correct answers per case.
const CORRECT = [3, 2, 0, 1, 3, 3, 2, 0, 3, 1, 2, 3, 3, 0, 2, 1, 3, 2, 3, 1];
const COUNTS = CORRECT.map((correct) => ({ correct, answered: 3 }));

describe("clusterProportion", () => {
  it("estimates the mean per-case proportion and agrees with R's own case bootstrap", () => {
    // R 4.2.2: x <- c(3,2,0,1,3,3,2,0,3,1,2,3,3,0,2,1,3,2,3,1); p <- x/3; mean(p) = 0.6333333333333333
    //   set.seed(1); t <- replicate(200000, mean(p[sample(20, 20, TRUE)]))
    //   quantile(t, c(0.005, 0.995)) = 0.416667 0.833333; quantile(t, c(0.025, 0.975)) = 0.466667 0.783333
    // Different generators: the limits agree to within one step of the per-case grid (1/60).
    const at99 = clusterProportion(COUNTS, { method: "percentile", level: 0.99, replicates: 20000 });
    const at95 = clusterProportion(COUNTS, { method: "percentile", level: 0.95, replicates: 20000 });
    const near = (value: number, reference: number) => Math.abs(value - reference) <= 1 / 60 + 1e-12;
    expect({
      estimate: at99.estimate,
      lower99: near(at99.lower, 0.416667),
      upper99: near(at99.upper, 0.833333),
      lower95: near(at95.lower, 0.466667),
      upper95: near(at95.upper, 0.783333),
    }).toEqual({
      estimate: closeTo(0.6333333333333333),
      lower99: true,
      upper99: true,
      lower95: true,
      upper95: true,
    });
  });

  it("is the bootstrap of the per-case mean, its closed-form jackknife equal to recomputing", () => {
    const proportions = CORRECT.map((correct) => correct / 3);
    const mean = (indices: readonly number[]) =>
      indices.reduce((sum, index) => sum + proportions[index], 0) / indices.length;
    const recomputed = bootstrapInterval(20, mean, { level: 0.99, seed: 5 });
    const result = clusterProportion(COUNTS, { level: 0.99, seed: 5 });
    expect(result).toEqual({
      estimate: closeTo(recomputed.estimate),
      lower: closeTo(recomputed.lower),
      upper: closeTo(recomputed.upper),
      cases: 20,
      method: "bca",
      level: 0.99,
      replicates: 2000,
      seed: 5,
    });
  });

  it("leaves out cases without an answer and weights every answered case equally", () => {
    const result = clusterProportion(
      [
        { correct: 1, answered: 1 },
        { correct: 0, answered: 0 },
        { correct: 1, answered: 3 },
        { correct: 2, answered: 2 },
      ],
      { method: "percentile" },
    );
    expect({ estimate: result.estimate, cases: result.cases }).toEqual({
      estimate: closeTo(7 / 9),
      cases: 3,
    });
  });

  it("rejects impossible counts and too few cases", () => {
    expect(
      thrownBy(() =>
        clusterProportion([
          { correct: 4, answered: 3 },
          { correct: 0, answered: 1 },
        ]),
      ),
    ).toEqual(new InputError("correct (4) exceeds answered (3)", { field: "cases.0.correct" }));
    expect(thrownBy(() => meanInterval([0.5]))).toEqual(
      new InputError("needs at least 2 cases with an answer, got 1", { field: "cases" }),
    );
  });
});
