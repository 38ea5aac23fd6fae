import { bootstrapInterval, cohenKappa } from "../../src/stats/index.ts";

/** One item rated twice: by the benchmark's independent reference and by the project's grader. */
export interface RatedItem {
  reference: boolean;
  grader: boolean;
  /** Items of one cluster (e.g. every answer to the same reference diagnosis) are resampled together. */
  cluster: string;
}

/** The 2×2 table of grader against reference. */
export interface Confusion {
  bothCorrect: number;
  graderOnly: number;
  referenceOnly: number;
  neither: number;
}

export interface Agreement {
  n: number;
  confusion: Confusion;
  /** Cohen's kappa with a cluster-bootstrap BCa interval; null when the kappa is undefined. */
  kappa: { estimate: number; lower: number; upper: number } | null;
  observedAgreement: number;
  graderPositiveRate: number;
  referencePositiveRate: number;
  /** graderPositiveRate − referencePositiveRate: how much more (or, negative, less) the grader credits. */
  gap: number;
}

const LABELS = ["correct", "incorrect"] as const;

/** Cohen's kappa of a 2×2 table, the same quantity as stats' cohenKappa; null when chance agreement is 1. */
export function kappaOfConfusion(table: Confusion): number | null {
  const n = table.bothCorrect + table.graderOnly + table.referenceOnly + table.neither;
  const graderPositive = (table.bothCorrect + table.graderOnly) / n;
  const referencePositive = (table.bothCorrect + table.referenceOnly) / n;
  const observed = (table.bothCorrect + table.neither) / n;
  const expected = graderPositive * referencePositive + (1 - graderPositive) * (1 - referencePositive);
  return expected === 1 ? null : (observed - expected) / (1 - expected);
}

export function confusionOf(items: readonly RatedItem[]): Confusion {
  const table: Confusion = { bothCorrect: 0, graderOnly: 0, referenceOnly: 0, neither: 0 };
  for (const item of items) addTo(table, item, 1);
  return table;
}

function addTo(table: Confusion, item: Pick<RatedItem, "reference" | "grader">, count: number): void {
  if (item.grader && item.reference) table.bothCorrect += count;
  else if (item.grader) table.graderOnly += count;
  else if (item.reference) table.referenceOnly += count;
  else table.neither += count;
}

function addTables(total: Confusion, part: Confusion, sign: 1 | -1): void {
  total.bothCorrect += sign * part.bothCorrect;
  total.graderOnly += sign * part.graderOnly;
  total.referenceOnly += sign * part.referenceOnly;
  total.neither += sign * part.neither;
}

/**
 * Agreement of the grader with the reference: kappa from stats' cohenKappa, its 95 % interval from a
 * bootstrap that resamples clusters rather than items, because items of one cluster — several models'
 * answers to the same case or the same diagnosis — are not independent.
 */
export function measureAgreement(
  items: readonly RatedItem[],
  options: { replicates?: number; seed?: number } = {},
): Agreement {
  const confusion = confusionOf(items);
  const n = items.length;
  const label = (value: boolean) => (value ? "correct" : "incorrect");
  const point = cohenKappa(
    items.map((item) => label(item.grader)),
    items.map((item) => label(item.reference)),
    {
      labels: LABELS,
    },
  );
  const clusters = new Map<string, Confusion>();
  for (const item of items) {
    const table = clusters.get(item.cluster) ?? {
      bothCorrect: 0,
      graderOnly: 0,
      referenceOnly: 0,
      neither: 0,
    };
    addTo(table, item, 1);
    clusters.set(item.cluster, table);
  }
  const tables = [...clusters.values()];
  let kappa: Agreement["kappa"] = null;
  if (point.kappa !== null && tables.length >= 2) {
    const statistic = (indices: readonly number[]) => {
      const total: Confusion = { bothCorrect: 0, graderOnly: 0, referenceOnly: 0, neither: 0 };
      for (const index of indices) addTables(total, tables[index], 1);
      return kappaOfConfusion(total) ?? 0;
    };
    const jackknife = (left: number) => {
      const total = { ...confusion };
      addTables(total, tables[left], -1);
      return kappaOfConfusion(total) ?? 0;
    };
    const interval = bootstrapInterval(tables.length, statistic, {
      replicates: options.replicates ?? 2000,
      seed: options.seed ?? 1,
      jackknife,
    });
    kappa = { estimate: point.kappa, lower: interval.lower, upper: interval.upper };
  }
  const graderPositiveRate = (confusion.bothCorrect + confusion.graderOnly) / n;
  const referencePositiveRate = (confusion.bothCorrect + confusion.referenceOnly) / n;
  return {
    n,
    confusion,
    kappa,
    observedAgreement: point.observedAgreement,
    graderPositiveRate,
    referencePositiveRate,
    gap: graderPositiveRate - referencePositiveRate,
  };
}

/** How an answer's words relate to the reference's, to sort disagreements without reading them. */
export type WordRelation =
  | "same-words"
  | "answer-more-specific"
  | "answer-broader"
  | "shared-words"
  | "no-shared-words";

export const WORD_RELATIONS: readonly WordRelation[] = [
  "same-words",
  "answer-more-specific",
  "answer-broader",
  "shared-words",
  "no-shared-words",
];

const STOP_WORDS = new Set([
  "a",
  "an",
  "and",
  "the",
  "of",
  "with",
  "due",
  "to",
  "in",
  "or",
  "by",
  "for",
  "on",
]);

/**
 * The content words of a name for sorting disagreements: lower case, accents and parenthesised remarks
 * removed, possessives and a plural `s` dropped (not the `s` of -ss, -is, -us, -as). Deliberately crude and independent of the grader.
 */
export function sortingWords(name: string): Set<string> {
  const plain = name
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/\([^)]*\)/g, " ")
    .replace(/['’]s\b/g, "")
    .replace(/[^a-z0-9]+/g, " ");
  const words = plain
    .split(" ")
    .filter((word) => word !== "" && !STOP_WORDS.has(word))
    .map((word) => (word.length > 3 && /[^siua]s$/.test(word) ? word.slice(0, -1) : word));
  return new Set(words);
}

/** The closest relation between the answer and any of the reference names (in WORD_RELATIONS order). */
export function wordRelation(answer: string, referenceNames: readonly string[]): WordRelation {
  const answerWords = sortingWords(answer);
  let best = WORD_RELATIONS.length - 1;
  for (const name of referenceNames) {
    const referenceWords = sortingWords(name);
    const shared = [...answerWords].filter((word) => referenceWords.has(word)).length;
    let relation: WordRelation;
    if (shared === answerWords.size && shared === referenceWords.size) relation = "same-words";
    else if (shared === referenceWords.size && shared > 0) relation = "answer-more-specific";
    else if (shared === answerWords.size && shared > 0) relation = "answer-broader";
    else if (shared > 0) relation = "shared-words";
    else relation = "no-shared-words";
    best = Math.min(best, WORD_RELATIONS.indexOf(relation));
  }
  return WORD_RELATIONS[best];
}
