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
 * of Fleiss, Cohen and Everitt (1969) under the observed agreement — the interval statsmodels and SAS report.
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
  const { kappa, expectedAgreement: expected, n, labels } = cohenKappa(first, second, { labels: labelOrder });
  if (kappa === null) return { kappa, standardError: null, lower: null, upper: null, level, n, labels };
  const position = new Map(labels.map((label, index) => [label, index]));
  const size = labels.length;
  const p = labels.map(() => new Array<number>(size).fill(0));
  for (let index = 0; index < n; index++) {
    p[position.get(first[index]) as number][position.get(second[index]) as number] += 1 / n;
  }
  const rows = p.map((row) => row.reduce((sum, value) => sum + value, 0));
  const columns = labels.map((_, column) => p.reduce((sum, row) => sum + row[column], 0));
  let diagonal = 0;
  let offDiagonal = 0;
  for (let i = 0; i < size; i++) {
    diagonal += p[i][i] * (1 - (rows[i] + columns[i]) * (1 - kappa)) ** 2;
    for (let j = 0; j < size; j++) {
      if (i !== j) offDiagonal += p[i][j] * (columns[i] + rows[j]) ** 2;
    }
  }
  const variance =
    (diagonal + (1 - kappa) ** 2 * offDiagonal - (kappa - expected * (1 - kappa)) ** 2) /
    ((1 - expected) ** 2 * n);
  const standardError = Math.sqrt(Math.max(variance, 0));
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
