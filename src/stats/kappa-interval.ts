import { InputError } from "../core/errors.ts";
import { normalQuantile } from "./distributions.ts";
import { cohenKappa } from "./kappa.ts";

export interface KappaInterval {
  /** Unweighted Cohen's kappa; null when chance agreement is 1 (then there is no interval either). */
  kappa: number | null;
  /** Large-sample standard error of kappa (Fleiss, Cohen & Everitt 1969); null with kappa. */
  standardError: number | null;
  lower: number | null;
  upper: number | null;
  level: number;
  n: number;
  labels: string[];
}

/**
 * Unweighted Cohen's kappa with a Wald interval, kappa ± z·SE, where SE is the large-sample standard error
 * of Fleiss, Cohen and Everitt (1969) under the observed agreement (`cohenKappa`'s `standardError`) — the
 * interval statsmodels and SAS report.
 * The bounds are not clipped to [−1, 1]; with few items the interval is only a rough guide.
 */
export function cohenKappaInterval(
  first: readonly string[],
  second: readonly string[],
  level = 0.95,
  labelOrder?: readonly string[],
): KappaInterval {
  if (!(level > 0 && level < 1))
    throw new InputError(`must be between 0 and 1, not ${level}`, { field: "level" });
  const { kappa, standardError, n, labels } = cohenKappa(first, second, { labels: labelOrder });
  if (kappa === null || standardError === null) {
    return { kappa, standardError: null, lower: null, upper: null, level, n, labels };
  }
  const z = normalQuantile(1 - (1 - level) / 2);
  return {
    kappa,
    standardError,
    lower: kappa - z * standardError,
    upper: kappa + z * standardError,
    level,
    n,
    labels,
  };
}
