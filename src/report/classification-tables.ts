import type { Classification, ModelSummary, Report } from "../analysis/report-types.ts";
import type { Cell, Column, Shade, Table } from "./document.ts";
import { decimalText, levelText, NONE, percent } from "./format.ts";

/** Triage reports: a summary table of the classification measures, and each model's confusion matrix. */
export interface ClassificationSection {
  summary: Table;
  /** The safety measures with their intervals, and calibration for answers with probabilities. */
  safety: Table;
  /** Urgent recall and under-triage compared between the models; null without comparisons. */
  safetyComparisons: Table | null;
  /** One per model with labelled answers: the confusion matrix with per-class scores, shaded by row share. */
  matrices: Array<{ model: string; table: Table }>;
}

function text(label: string): Column {
  return { label, numeric: false };
}

function number(label: string): Column {
  return { label, numeric: true };
}

function capitalized(value: string): string {
  return value.charAt(0).toUpperCase() + value.slice(1);
}

/** The study's labels and most severe label, from the first model that has a classification block. */
function labelSet(models: readonly ModelSummary[]): { labels: string[]; severe: string } | null {
  const block = models.find((model) => model.classification)?.classification;
  return block ? { labels: block.labels, severe: block.mostSevereLabel } : null;
}

function rate(value: number | null | undefined): string {
  return value === null || value === undefined ? NONE : percent(value);
}

/** "0.672 (0.501–0.850)" */
export function macroF1Text(block: Classification | null | undefined): string {
  if (!block) return NONE;
  const interval = block.macroF1Interval;
  if (!interval) return decimalText(block.macroF1);
  return `${decimalText(block.macroF1)} (${decimalText(interval.lower)}–${decimalText(interval.upper)})`;
}

/** "BCa bootstrap 99% CI, 2000 resamples of cases, seed 1" */
export function bootstrapText(models: readonly ModelSummary[]): string {
  const intervals = models.flatMap((model) =>
    model.classification?.macroF1Interval ? [model.classification.macroF1Interval] : [],
  );
  if (intervals.length === 0) return "no bootstrap interval: fewer than two answers with a label";
  const methods = [
    ...new Set(intervals.map((interval) => (interval.method === "bca" ? "BCa" : interval.method))),
  ];
  const { level, replicates, seed } = intervals[0];
  return `${methods.join(" or ")} bootstrap ${levelText(level)} CI, ${replicates} resamples of cases, seed ${seed}`;
}

/** The columns a subgroup accuracy table adds for a triage study, and their cells for one model. */
export function subgroupClassificationColumns(report: Report): {
  columns: Column[];
  cells: (model: ModelSummary) => Cell[];
} {
  const set = labelSet([...report.models, ...report.subgroups.flatMap((stratum) => stratum.models)]);
  if (set === null) return { columns: [], cells: () => [] };
  return {
    columns: [number("Macro-F1"), number(`${capitalized(set.severe)} recall, %`)],
    cells: (model) => [
      model.classification ? decimalText(model.classification.macroF1) : NONE,
      rate(model.classification?.mostSevereRecall),
    ],
  };
}

export function classificationSection(
  report: Report,
  caption: (text: string) => string,
): ClassificationSection | null {
  if (!report.models.some((model) => model.classification !== undefined)) return null;
  const set = labelSet(report.models);
  const severe = capitalized(set?.severe ?? "most severe label");
  const summary: Table = {
    caption: caption(
      `Classification per model, over the answers with a label (macro-F1 with ${bootstrapText(report.models)}; ` +
        `${severe.toLowerCase()} recall also with answers without a label counted as misses; under- and ` +
        "over-triage = share given a less or more severe label than the reference; Cohen's kappa with linear weights).",
    ),
    columns: [
      text("Model"),
      number("With a label"),
      number("Without a label"),
      number(`Macro-F1 (${levelText(report.study.level)} CI)`),
      number(`${severe} recall, %`),
      number(`${severe} recall, no label as miss, %`),
      number("Under-triage, %"),
      number("Over-triage, %"),
      number("Weighted kappa"),
    ],
    rows: report.models.map((model) => {
      const block = model.classification;
      const unlabelled = model.outcomes.unparseable + model.outcomes.truncated;
      if (!block) return [model.id, "0", String(unlabelled), NONE, NONE, NONE, NONE, NONE, NONE];
      return [
        model.id,
        String(block.labelled),
        String(block.unlabelled.reduce((sum, count) => sum + count, 0)),
        macroF1Text(block),
        rate(block.mostSevereRecall),
        rate(block.mostSevereRecallWithUnlabelled),
        rate(block.underTriage),
        rate(block.overTriage),
        decimalText(block.weightedKappa),
      ];
    }),
  };
  // Numbered in the order they are shown: summary, safety, safety comparisons, then the matrices.
  const safety = safetyTable(report, caption);
  const safetyComparisons = safetyComparisonTable(report, caption);
  const matrices = report.models.flatMap((model) =>
    model.classification
      ? [{ model: model.id, table: matrixTable(model.id, model.classification, caption) }]
      : [],
  );
  return {
    summary,
    safety,
    safetyComparisons,
    matrices,
  };
}

/** "66.7 (20.8–93.9)" */
function rateInterval(
  interval: { estimate: number; lower: number; upper: number } | null | undefined,
): string {
  return interval
    ? `${percent(interval.estimate)} (${percent(interval.lower)}–${percent(interval.upper)})`
    : NONE;
}

function safetyTable(report: Report, caption: (text: string) => string): Table {
  const set = labelSet(report.models);
  const severe = capitalized(set?.severe ?? "most severe label");
  const level = levelText(report.study.level);
  const calibrated = report.models.some((model) => model.classification?.calibration);
  return {
    caption: caption(
      `Safety measures per model over the answers with a label, with Wilson ${level} CIs (kappa: ${level} CI from ` +
        "the large-sample standard error of Fleiss, Cohen and Everitt)" +
        (calibrated
          ? `; for answers that gave probabilities, the Brier score of P(${severe.toLowerCase()}) and the multi-class Brier score (0 is perfect).`
          : "."),
    ),
    columns: [
      text("Model"),
      number(`${severe} recall, % (CI)`),
      number("Under-triage, % (CI)"),
      number("Over-triage, % (CI)"),
      number("Weighted kappa (CI)"),
      ...(calibrated ? [number(`Brier, P(${severe.toLowerCase()})`), number("Brier, all labels")] : []),
    ],
    rows: report.models.map((model) => {
      const block = model.classification;
      const kappa = block?.weightedKappaInterval;
      return [
        model.id,
        rateInterval(block?.mostSevereRecallInterval),
        rateInterval(block?.underTriageInterval),
        rateInterval(block?.overTriageInterval),
        kappa
          ? `${signedDecimal(kappa.estimate)} (${signedDecimal(kappa.lower)} to ${signedDecimal(kappa.upper)})`
          : NONE,
        ...(calibrated
          ? [decimalText(block?.calibration?.brier), decimalText(block?.calibration?.multiclassBrier)]
          : []),
      ];
    }),
  };
}

function safetyComparisonTable(report: Report, caption: (text: string) => string): Table | null {
  const compared = report.comparisons.filter((comparison) => comparison.safety);
  if (compared.length === 0) return null;
  const severe = compared[0].safety?.mostSevereLabel ?? "most severe label";
  const level = levelText(report.study.level);
  const signed = (value: { estimate: number; lower: number; upper: number } | null) => {
    if (!value) return NONE;
    const point = percent(value.estimate);
    return `${value.estimate > 0 && Number(point) !== 0 ? "+" : ""}${point} (${percent(value.lower)} to ${percent(value.upper)})`;
  };
  return {
    caption: caption(
      `Safety compared between models on the same cases (first answers): ${severe} recall over the ${severe} cases ` +
        "and under-triage over every case, an answer without a label counting as a miss and as under-triaged; " +
        `difference A − B in percentage points with Newcombe ${level} CI; McNemar exact p, unadjusted (exploratory).`,
    ),
    columns: [
      text("Comparison (A vs B)"),
      number(`${capitalized(severe)} cases`),
      number("Recalled by both / A only / B only / neither"),
      number("Recall difference, pp (CI)"),
      number("p"),
      number("Cases"),
      number("Under-triaged by both / A only / B only / neither"),
      number("Under-triage difference, pp (CI)"),
      number("p"),
    ],
    rows: compared.map((comparison) => {
      const { recall, underTriage } = comparison.safety as NonNullable<typeof comparison.safety>;
      return [
        `${comparison.a} vs ${comparison.b}`,
        String(recall.n),
        `${recall.both} / ${recall.aOnly} / ${recall.bOnly} / ${recall.neither}`,
        signed(recall.difference),
        decimalText(recall.mcnemar.exactP),
        String(underTriage.n),
        `${underTriage.both} / ${underTriage.aOnly} / ${underTriage.bOnly} / ${underTriage.neither}`,
        signed(underTriage.difference),
        decimalText(underTriage.mcnemar.exactP),
      ];
    }),
  };
}

function matrixTable(modelId: string, block: Classification, caption: (text: string) => string): Table {
  const { labels } = block;
  const without = block.unlabelled.reduce((sum, count) => sum + count, 0);
  const rows: Cell[][] = [];
  const shades: Array<Array<Shade | null>> = [];
  labels.forEach((reference, row) => {
    const counts = [...block.confusion[row], block.unlabelled[row]];
    const total = counts.reduce((sum, count) => sum + count, 0);
    const scores = block.perClass[reference];
    rows.push([
      reference,
      ...counts.map(String),
      String(scores.support),
      percent(scores.precision),
      percent(scores.recall),
      decimalText(scores.f1),
    ]);
    shades.push([
      null,
      ...counts.map((count, column): Shade => {
        const given = column < labels.length ? `labelled ${labels[column]}` : "without a label";
        return {
          tone:
            column === labels.length ? "none" : column === row ? "agree" : column < row ? "under" : "over",
          strength: total === 0 ? 0 : count / total,
          title: `Reference ${reference}, ${given}: ${count} of ${total}`,
        };
      }),
      null,
      null,
      null,
      null,
    ]);
  });
  return {
    caption: caption(
      `Confusion matrix of ${modelId}: rows are the reference label, columns the label the model gave ` +
        `(${block.labelled} answers with a label, ${without} without); precision, recall and F1 per label over ` +
        "the answers with a label.",
    ),
    columns: [
      text("Reference"),
      ...labels.map((label) => number(`Given ${label}`)),
      number("No label"),
      number("Support"),
      number("Precision, %"),
      number("Recall, %"),
      number("F1"),
    ],
    rows,
    shades,
  };
}

/** A decimal with a typographic minus, as the reports' other negative numbers: "−0.161". */
function signedDecimal(value: number): string {
  return decimalText(value).replace("-", "−");
}
