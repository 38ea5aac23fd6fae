/**
 * Probability distributions computed to near full double precision, without third-party code.
 *
 * Binomial and Poisson probabilities follow Loader's saddle-point method (Loader 2000, "Fast and accurate
 * computation of binomial probabilities"), which avoids the cancellation of `exp(lgamma(...))` formulas.
 * Chi-square and normal tails go through the regularized incomplete gamma function (series below the mean,
 * Legendre continued fraction above it); the normal quantile refines a rough start by Halley steps on that
 * tail. Binomial tails use the incomplete beta continued fraction. Each function returns the small tail
 * directly, never as `1 − large`, so tiny p-values keep their relative accuracy.
 */

/**
 * `stirlingError(n) = log(n!) − log(√(2πn)·(n/e)^n)` for n = 0, 0.5, 1, …, 15, from 50-digit arithmetic
 * (mpmath: `loggamma(n+1) - (n+0.5)*log(n) + n - log(sqrt(2*pi))`). The first entry is a placeholder.
 */
const STIRLING_ERROR_HALVES = [
  0, 0.15342640972002736, 0.08106146679532726, 0.05481412105191765, 0.0413406959554093, 0.03316287351993629,
  0.02767792568499834, 0.023746163656297496, 0.020790672103765093, 0.018488450532673187, 0.016644691189821193,
  0.015134973221917378, 0.013876128823070748, 0.012810465242920227, 0.01189670994589177, 0.011104559758206917,
  0.010411265261972096, 0.009799416126158804, 0.009255462182712733, 0.008768700134139386, 0.00833056343336287,
  0.00793411456431402, 0.007573675487951841, 0.007244554301320383, 0.00694284010720953, 0.006665247032707682,
  0.006408994188004207, 0.006171712263039458, 0.0059513701127588475, 0.0057462165130101155,
  0.005554733551962801,
];

const LOG_TWO_PI = Math.log(2 * Math.PI);
const EPSILON = Number.EPSILON;
const TINY = 1e-300;
const MAX_ITERATIONS = 100_000;

/** The error of Stirling's formula for log(n!); n must be a multiple of ½ when n ≤ 15. */
function stirlingError(n: number): number {
  if (n <= 15) {
    const twice = 2 * n;
    if (!Number.isInteger(twice)) throw new RangeError(`stirlingError needs a multiple of 0.5, got ${n}`);
    return STIRLING_ERROR_HALVES[twice];
  }
  // Stirling series: 1/12, 1/360, 1/1260, 1/1680, 1/1188 (Bernoulli numbers B_2k / (2k(2k − 1))).
  const squared = n * n;
  if (n > 500) return (1 / 12 - 1 / 360 / squared) / n;
  if (n > 80) return (1 / 12 - (1 / 360 - 1 / 1260 / squared) / squared) / n;
  if (n > 35) return (1 / 12 - (1 / 360 - (1 / 1260 - 1 / 1680 / squared) / squared) / squared) / n;
  return (
    (1 / 12 - (1 / 360 - (1 / 1260 - (1 / 1680 - 1 / 1188 / squared) / squared) / squared) / squared) / n
  );
}

/** `x·log(x/mean) + mean − x`, the deviance term, without cancellation when x ≈ mean. */
function deviance(x: number, mean: number): number {
  if (Math.abs(x - mean) < 0.1 * (x + mean)) {
    let ratio = (x - mean) / (x + mean);
    let sum = (x - mean) * ratio;
    let term = 2 * x * ratio;
    ratio *= ratio;
    for (let index = 1; index < MAX_ITERATIONS; index++) {
      term *= ratio;
      const next = sum + term / (2 * index + 1);
      if (next === sum) return next;
      sum = next;
    }
    return sum;
  }
  return x * Math.log(x / mean) + mean - x;
}

/** `exp(−mean)·mean^x / Γ(x + 1)` for x > 0 (x a multiple of ½ when x ≤ 15). */
function poissonDensity(x: number, mean: number): number {
  if (mean === 0) return 0;
  return Math.exp(-stirlingError(x) - deviance(x, mean)) / Math.sqrt(2 * Math.PI * x);
}

/** P(X = k) for X ~ Binomial(n, p), with q = 1 − p passed separately to keep its precision. */
function binomialDensity(k: number, n: number, p: number, q: number): number {
  if (p === 0) return k === 0 ? 1 : 0;
  if (q === 0) return k === n ? 1 : 0;
  if (k < 0 || k > n) return 0;
  if (k === 0) {
    if (n === 0) return 1;
    return Math.exp(p < 0.1 ? -deviance(n, n * q) - n * p : n * Math.log(q));
  }
  if (k === n) return Math.exp(q < 0.1 ? -deviance(n, n * p) - n * q : n * Math.log(p));
  const logCore =
    stirlingError(n) - stirlingError(k) - stirlingError(n - k) - deviance(k, n * p) - deviance(n - k, n * q);
  const logScale = LOG_TWO_PI + Math.log(k) + Math.log1p(-k / n);
  return Math.exp(logCore - 0.5 * logScale);
}

/** P(X = k) for X ~ Binomial(n, p); k and n integers. */
export function binomialProbability(k: number, n: number, p: number): number {
  return binomialDensity(k, n, p, 1 - p);
}

/** Both tails of a distribution: `lower + upper = 1`, each computed without subtracting from 1 when small. */
export interface Tails {
  lower: number;
  upper: number;
}

/**
 * Regularized incomplete gamma P(a, x) (lower) and Q(a, x) (upper) for a > 0 a multiple of ½
 * (all that chi-square with integer degrees of freedom needs).
 */
export function regularizedGamma(a: number, x: number): Tails {
  if (x <= 0) return { lower: 0, upper: 1 };
  if (x === Number.POSITIVE_INFINITY) return { lower: 1, upper: 0 };
  if (x < a + 1) {
    let term = 1;
    let sum = 1;
    for (let index = 1; index < MAX_ITERATIONS; index++) {
      term *= x / (a + index);
      sum += term;
      if (term < sum * EPSILON) break;
    }
    const lower = poissonDensity(a, x) * sum;
    return { lower, upper: 1 - lower };
  }
  // Legendre continued fraction for Q(a, x), evaluated by the modified Lentz method.
  let denominatorTerm = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / denominatorTerm;
  let fraction = d;
  for (let index = 1; index < MAX_ITERATIONS; index++) {
    const numeratorTerm = -index * (index - a);
    denominatorTerm += 2;
    d = numeratorTerm * d + denominatorTerm;
    if (Math.abs(d) < TINY) d = TINY;
    c = denominatorTerm + numeratorTerm / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    fraction *= delta;
    if (Math.abs(delta - 1) < EPSILON) break;
  }
  const upper = poissonDensity(a, x) * a * fraction;
  return { lower: 1 - upper, upper };
}

/** P(χ²_df ≥ statistic), the p-value of a chi-square statistic; df a positive integer. */
export function chiSquareUpperTail(statistic: number, degreesOfFreedom: number): number {
  return regularizedGamma(degreesOfFreedom / 2, statistic / 2).upper;
}

/** P(Z ≥ z) for a standard normal Z. */
export function normalUpperTail(z: number): number {
  if (Number.isNaN(z)) return Number.NaN;
  const tails = regularizedGamma(0.5, (z * z) / 2);
  return z >= 0 ? tails.upper / 2 : 0.5 + tails.lower / 2;
}

/** P(Z ≤ z) for a standard normal Z. */
export function normalCdf(z: number): number {
  return normalUpperTail(-z);
}

function normalDensity(z: number): number {
  return Math.exp((-z * z) / 2) / Math.sqrt(2 * Math.PI);
}

/** The standard normal quantile: z with P(Z ≤ z) = p. */
export function normalQuantile(p: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1) return Number.NaN;
  if (p === 0) return Number.NEGATIVE_INFINITY;
  if (p === 1) return Number.POSITIVE_INFINITY;
  if (p === 0.5) return 0;
  const centered = p - 0.5;
  if (Math.abs(centered) <= 0.425) {
    // Newton steps on Φ(t) − ½ = ±½·P(½, t²/2), which keeps full relative precision near the median.
    let t = centered * Math.sqrt(2 * Math.PI);
    for (let iteration = 0; iteration < 100; iteration++) {
      const halfMass = regularizedGamma(0.5, (t * t) / 2).lower / 2;
      const step = (centered - Math.sign(t) * halfMass) / normalDensity(t);
      t += step;
      if (Math.abs(step) <= 4 * EPSILON * Math.abs(t)) break;
    }
    return t;
  }
  const tail = p < 0.5 ? p : 1 - p;
  // Abramowitz & Stegun 26.2.23 (error < 4.5e-4) as the start, then Halley steps on P(Z ≥ t) = tail.
  const s = Math.sqrt(-2 * Math.log(tail));
  let t =
    s -
    (2.515517 + 0.802853 * s + 0.010328 * s * s) / (1 + 1.432788 * s + 0.189269 * s * s + 0.001308 * s ** 3);
  for (let iteration = 0; iteration < 50; iteration++) {
    const step = (normalUpperTail(t) - tail) / normalDensity(t);
    const next = t + step / (1 - (step * t) / 2);
    const done = Math.abs(next - t) <= 4 * EPSILON * Math.abs(next);
    t = next;
    if (done) break;
  }
  return p < 0.5 ? -t : t;
}

/** The continued fraction of the incomplete beta function (modified Lentz). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let fraction = d;
  for (let m = 1; m < MAX_ITERATIONS; m++) {
    const even = (m * (b - m) * x) / ((a - 1 + 2 * m) * (a + 2 * m));
    d = 1 + even * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + even / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    fraction *= d * c;
    const odd = (-(a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 1 + 2 * m));
    d = 1 + odd * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + odd / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    fraction *= delta;
    if (Math.abs(delta - 1) < EPSILON) break;
  }
  return fraction;
}

/**
 * Regularized incomplete beta I_x(a, b) (lower) and 1 − I_x(a, b) (upper) for positive integers a, b.
 * `complement` is 1 − x, passed separately when the caller knows it more precisely.
 */
export function regularizedBeta(x: number, a: number, b: number, complement = 1 - x): Tails {
  if (x <= 0) return { lower: 0, upper: 1 };
  if (complement <= 0) return { lower: 1, upper: 0 };
  // x^a (1 − x)^b / (a·B(a, b)) = C(a + b − 1, a)·x^a·(1 − x)^(b − 1)·(1 − x).
  if (x < (a + 1) / (a + b + 2)) {
    const lower = binomialDensity(a, a + b - 1, x, complement) * complement * betaContinuedFraction(a, b, x);
    return { lower, upper: 1 - lower };
  }
  const upper = binomialDensity(b, a + b - 1, complement, x) * x * betaContinuedFraction(b, a, complement);
  return { lower: 1 - upper, upper };
}

/** P(X ≤ k) for X ~ Binomial(n, p). */
export function binomialCdf(k: number, n: number, p: number): number {
  if (k < 0) return 0;
  if (k >= n) return 1;
  return regularizedBeta(p, k + 1, n - k).upper;
}

/** P(X ≥ k) for X ~ Binomial(n, p). */
export function binomialUpperTail(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  return regularizedBeta(p, k, n - k + 1).lower;
}

/**
 * The root of a continuous increasing function on [lower, upper] by bisection, to the last bits of a
 * double (relative width 4·ε). `f(lower) ≤ 0 ≤ f(upper)` is the caller's promise.
 */
export function solveIncreasing(f: (value: number) => number, lower: number, upper: number): number {
  let low = lower;
  let high = upper;
  for (let iteration = 0; iteration < 3000; iteration++) {
    const middle = low + (high - low) / 2;
    if (middle === low || middle === high) break;
    if (high - low <= 4 * EPSILON * Math.max(Math.abs(low), Math.abs(high))) break;
    if (f(middle) < 0) low = middle;
    else high = middle;
  }
  return low + (high - low) / 2;
}
