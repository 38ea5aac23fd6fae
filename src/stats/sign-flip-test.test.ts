import { describe, expect, it } from "vitest";
import { InputError } from "../core/errors.ts";
import { closeTo, thrownBy } from "./close-to.test-support.ts";
import { mcnemar } from "./mcnemar.ts";
import { signFlipTest } from "./sign-flip-test.ts";

// References: R 4.2.2, by enumerating every sign assignment:
//   signflip <- function(d) { s <- as.matrix(expand.grid(rep(list(c(-1, 1)), length(d))))
//     mean(abs(s %*% d) >= abs(sum(d)) - 1e-12) }
describe("signFlipTest", () => {
  it("gives R's exact permutation p for per-case proportion differences", () => {
    // signflip(c(2/3, 1/3, 0, -1/3, 1, 2/3, 0, 1/3, -2/3, 1/3, 1, 2/3)) = 0.072265625
    const thirds = [2, 1, 0, -1, 3, 2, 0, 1, -2, 1, 3, 2].map((value) => value / 3);
    expect(signFlipTest(thirds, { scale: 3 })).toEqual({
      estimate: closeTo(12 / 36),
      p: closeTo(0.072265625),
      method: "exact",
      replicates: null,
      seed: null,
    });
    // signflip(c(0.5, -0.25, 0.75, 1, 0.25, 0.5, -0.5, 0.25, 0.75, 0, 0.25, 0.5, 1, -0.25, 0.5)) = 0.0164794921875
    const quarters = [0.5, -0.25, 0.75, 1, 0.25, 0.5, -0.5, 0.25, 0.75, 0, 0.25, 0.5, 1, -0.25, 0.5];
    expect(signFlipTest(quarters, { scale: 12 }).p).toBe(0.0164794921875);
  });

  it("is McNemar's exact test with one answer per case", () => {
    // signflip(c(rep(1, 8), rep(0, 10))) = 0.0078125 = binom.test(8, 8)$p.value
    expect(signFlipTest([...Array(8).fill(1), ...Array(10).fill(0)], { scale: 1 }).p).toBe(0.0078125);
    // signflip(c(1,1,1,1,1,-1,-1,-1,0,0)) = 0.7265625 = binom.test(5, 8)$p.value
    const table = [1, 1, 1, 1, 1, -1, -1, -1, 0, 0];
    expect(signFlipTest(table, { scale: 1 }).p).toBe(mcnemar(5, 3).exactP);
  });

  it("falls back to a seeded Monte Carlo test close to the exact p", () => {
    const thirds = [2, 1, 0, -1, 3, 2, 0, 1, -2, 1, 3, 2].map((value) => value / 3);
    const result = signFlipTest(thirds, { replicates: 40000, seed: 3 });
    expect(signFlipTest(thirds, { replicates: 40000, seed: 3 })).toEqual(result);
    // The Monte Carlo standard error at p ≈ 0.072 with 40 000 replicates is about 0.0013.
    expect({ ...result, p: Math.abs(result.p - 0.072265625) < 0.005 }).toEqual({
      estimate: closeTo(1 / 3),
      p: true,
      method: "monte-carlo",
      replicates: 40000,
      seed: 3,
    });
  });

  it("gives p = 1 when every difference is 0 and rejects bad input", () => {
    expect(signFlipTest([0, 0, 0], { scale: 1 }).p).toBe(1);
    expect(thrownBy(() => signFlipTest([]))).toEqual(
      new InputError("needs at least one paired difference", { field: "d" }),
    );
    expect(thrownBy(() => signFlipTest([0.5, Number.NaN]))).toEqual(
      new InputError("must be a finite number, got NaN", { field: "d.1" }),
    );
  });
});
