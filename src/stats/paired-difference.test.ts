import { describe, expect, it } from "vitest";
import { InputError } from "../core/errors.ts";
import { closeTo, thrownBy } from "./close-to.test-support.ts";
import { pairedDifference } from "./paired-difference.ts";

// No R or statsmodels function computes these, so the references are independent R 4.2.2 implementations
// written from the published formulas, printed with format(x, digits = 17):
//
// newcombe10 <- function(a, b, c, d, level = 0.95) {          # Newcombe 1998, Stat Med 17:2635, method 10
//   n <- a + b + c + d
//   wil <- function(x) suppressWarnings(prop.test(x, n, correct = FALSE, conf.level = level)$conf.int)
//   p1 <- (a + b) / n; p2 <- (a + c) / n; w1 <- wil(a + b); w2 <- wil(a + c)
//   A <- a * d - b * c; den <- (a + b) * (c + d) * (a + c) * (b + d)
//   phi <- if (den == 0) 0 else (if (A > n / 2) A - n / 2 else if (A >= 0) 0 else A) / sqrt(den)
//   D <- (b - c) / n
//   c(D - sqrt((p1 - w1[1])^2 - 2 * phi * (p1 - w1[1]) * (w2[2] - p2) + (w2[2] - p2)^2),
//     D + sqrt((p2 - w2[1])^2 - 2 * phi * (p2 - w2[1]) * (w1[2] - p1) + (w1[2] - p1)^2))
// }
// tango <- function(b, c, n, level = 0.95) {                   # Tango 1998, Stat Med 17:891, score interval
//   z <- qnorm(1 - (1 - level) / 2)
//   T <- function(delta) {
//     A <- 2 * n; B <- -b - c + (2 * n - b + c) * delta; C <- -c * delta * (1 - delta)
//     q <- (sqrt(B^2 - 4 * A * C) - B) / (2 * A)
//     (b - c - n * delta) / sqrt(n * (2 * q + delta * (1 - delta)))
//   }
//   est <- (b - c) / n; e <- 1e-15
//   lo <- if (c == n) -1 else uniroot(function(x) T(x) - z, c(-1 + e, est), f.upper = -z, tol = 1e-15, maxiter = 5000)$root
//   hi <- if (b == n) 1 else uniroot(function(x) T(x) + z, c(est, 1 - e), f.lower = z, tol = 1e-15, maxiter = 5000)$root
//   c(lo, hi)
// }
// wald <- function(b, c, n, level = 0.95) {
//   z <- qnorm(1 - (1 - level) / 2); est <- (b - c) / n; se <- sqrt(b + c - (b - c)^2 / n) / n
//   c(max(-1, est - z * se), min(1, est + z * se))
// }

const CLOSED_FORM = 1e-12;
const ROOT_FOUND = 1e-9;

type Row = [number, number, number, number, number, number];

describe("pairedDifference", () => {
  it("defaults to Newcombe's method 10 at 95%", () => {
    expect(pairedDifference({ a: 40, b: 12, c: 31, d: 27 })).toEqual({
      estimate: closeTo(-19 / 110),
      lower: closeTo(-0.28107889774343725, CLOSED_FORM), // newcombe10(40, 12, 31, 27)
      upper: closeTo(-0.05729097488061741, CLOSED_FORM),
      method: "newcombe",
      level: 0.95,
    });
  });

  it("reproduces the published Newcombe interval of Fagerland, Lydersen & Laake (Cavo et al. data)", () => {
    // Statistical Analysis of Contingency Tables (2017), chapter 8: estimate −0.0621, 95% CI −0.1186 to −0.0046.
    const result = pairedDifference({ a: 59, b: 6, c: 16, d: 80 });
    expect([result.estimate, result.lower, result.upper].map((value) => Number(value.toFixed(4)))).toEqual([
      -0.0621, -0.1186, -0.0046,
    ]);
  });

  // [a, b, c, d, lower, upper]: newcombe10(a, b, c, d)
  it.each<Row>([
    [59, 6, 16, 80, -0.11862119563870993, -0.004625113933050068],
    [1, 1, 7, 12, -0.5069202266861409, -0.025559124164859892],
    [36, 12, 2, 0, 0.0569295840032388, 0.3404276029749407],
    [50, 0, 0, 10, -0.05110814784155867, 0.05110814784155867],
    [0, 10, 0, 0, 0.6075093504305243, 1],
    [0, 0, 10, 0, -1, -0.6075093504305243],
    [5, 3, 0, 2, -0.0529530012652184, 0.5665478379157729],
    [400, 600, 540, 100, -0.0037536984679407137, 0.07678142335341001],
  ])("newcombe matches the R reference for a=%i b=%i c=%i d=%i", (a, b, c, d, lower, upper) => {
    expect(pairedDifference({ a, b, c, d }, { method: "newcombe" })).toEqual({
      estimate: closeTo((b - c) / (a + b + c + d)),
      lower: closeTo(lower, CLOSED_FORM),
      upper: closeTo(upper, CLOSED_FORM),
      method: "newcombe",
      level: 0.95,
    });
  });

  // [a, b, c, d, lower, upper]: tango(b, c, a + b + c + d)
  it.each<Row>([
    [59, 6, 16, 80, -0.12402343246406813, -0.005433395731677103],
    [1, 1, 7, 12, -0.5172322764213771, -0.026003032480868618],
    [40, 12, 31, 27, -0.28476990289698395, -0.058049454377649204],
    [36, 12, 2, 0, 0.06111240618634404, 0.34470874828214865],
    [50, 0, 0, 10, -0.06017185214208984, 0.060171852142089824],
    [0, 10, 0, 0, 0.44493440027422154, 1],
    [0, 0, 10, 0, -1, -0.4449344002742217],
    [5, 3, 0, 2, -0.060792639821756006, 0.6032218525388545],
    [400, 600, 540, 100, -0.003767376754137721, 0.07680456132273436],
  ])("tango matches the R reference for a=%i b=%i c=%i d=%i", (a, b, c, d, lower, upper) => {
    expect(pairedDifference({ a, b, c, d }, { method: "tango" })).toEqual({
      estimate: closeTo((b - c) / (a + b + c + d)),
      lower: closeTo(lower, ROOT_FOUND),
      upper: closeTo(upper, ROOT_FOUND),
      method: "tango",
      level: 0.95,
    });
  });

  it("gives Tango's closed form ±z²/(n + z²) when every pair is concordant", () => {
    const z = 1.959963984540054; // qnorm(0.975)
    const limit = (z * z) / (60 + z * z);
    const result = pairedDifference({ a: 50, b: 0, c: 0, d: 10 }, { method: "tango" });
    expect([result.lower, result.upper]).toEqual([closeTo(-limit, ROOT_FOUND), closeTo(limit, ROOT_FOUND)]);
  });

  // [a, b, c, d, lower, upper]: wald(b, c, a + b + c + d)
  it.each<Row>([
    [59, 6, 16, 80, -0.11839965766157984, -0.005823944822892203],
    [1, 1, 7, 12, -0.5197090362572807, -0.05171953517129069],
    [40, 12, 31, 27, -0.28501960075034805, -0.06043494470419743],
    [50, 0, 0, 10, 0, 0],
    [0, 10, 0, 0, 1, 1],
    [5, 3, 0, 2, 0.01597423491067468, 0.5840257650893252],
  ])("wald matches the R reference for a=%i b=%i c=%i d=%i", (a, b, c, d, lower, upper) => {
    expect(pairedDifference({ a, b, c, d }, { method: "wald" })).toEqual({
      estimate: closeTo((b - c) / (a + b + c + d)),
      lower: closeTo(lower, CLOSED_FORM),
      upper: closeTo(upper, CLOSED_FORM),
      method: "wald",
      level: 0.95,
    });
  });

  it("honours the level", () => {
    // newcombe10(59, 6, 16, 80, 0.99) and tango(6, 16, 161, 0.99)
    expect(pairedDifference({ a: 59, b: 6, c: 16, d: 80 }, { level: 0.99 })).toEqual({
      estimate: closeTo(-10 / 161),
      lower: closeTo(-0.1356385063649803, CLOSED_FORM),
      upper: closeTo(0.013076551184499886, CLOSED_FORM),
      method: "newcombe",
      level: 0.99,
    });
    const tango = pairedDifference({ a: 59, b: 6, c: 16, d: 80 }, { method: "tango", level: 0.99 });
    expect([tango.lower, tango.upper]).toEqual([
      closeTo(-0.14650467738296516, ROOT_FOUND),
      closeTo(0.014705045228772848, ROOT_FOUND),
    ]);
  });

  it.each([
    [{ a: 0, b: 0, c: 0, d: 0 }, {}, "a"],
    [{ a: 1, b: -1, c: 0, d: 0 }, {}, "b"],
    [{ a: 1, b: 0, c: 0.5, d: 0 }, {}, "c"],
    [{ a: 1, b: 0, c: 0, d: 0 }, { level: 1.5 }, "level"],
    [{ a: 1, b: 0, c: 0, d: 0 }, { method: "exact" }, "method"],
  ])("rejects %o with %o", (table, options, field) => {
    const error = thrownBy(() => pairedDifference(table, options as never));
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).location).toEqual({ field });
  });
});
