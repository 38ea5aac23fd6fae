import { binomialInterval } from "../stats/index.ts";
import type { Proportion } from "./report-types.ts";

/** Wilson interval of x / n; null when n = 0 (there is no proportion to estimate). */
export function wilsonProportion(x: number, n: number, level: number): Proportion | null {
  if (n === 0) return null;
  const interval = binomialInterval(x, n, { method: "wilson", level });
  return {
    x: interval.x,
    n: interval.n,
    estimate: interval.estimate,
    lower: interval.lower,
    upper: interval.upper,
    method: interval.method,
    level: interval.level,
  };
}
