import type { CaseRow, Comparison, ModelSummary, Report, ReportDetails } from "../analysis/report-types.ts";
import {
  type ClassificationSection,
  classificationSection,
  subgroupClassificationColumns,
} from "./classification-tables.ts";
import { errorModeTables } from "./error-mode-tables.ts";
import {
  adjustmentName,
  decimalText,
  differenceText,
  integerText,
  levelText,
  NONE,
  percent,
  proportionText,
  pValueText,
  secondsText,
} from "./format.ts";
import { methodsParagraphs } from "./methods.ts";

/**
 * A table cell: plain text, escaped by the renderer; `strong` marks a value to emphasise, `href` an http(s)
 * address the text links to.
 */
export type Cell = string | { text: string; strong?: boolean; href?: string };

export interface Column {
  label: string;
  numeric: boolean;
}

/**
 * The colour of a heatmap cell (report.html only): `agree` for the reference label, `under` / `over` for a
 * less / more severe label, `none` for no label; `strength` is the share of the row, 0–1.
 */
export interface Shade {
  tone: "agree" | "under" | "over" | "none";
  strength: number;
  /** What the cell counts, in words (a tooltip). */
  title: string;
}

export interface Table {
  caption: string;
  columns: Column[];
  rows: Cell[][];
  /** Rows that open a new group (e.g. the first model of a subgroup value): drawn with a rule above. */
  groupStarts?: number[];
  /** Parallel to `rows`: a heatmap shade per cell, or null for an unshaded cell. */
  shades?: Array<Array<Shade | null>>;
}

export interface SubgroupSection {
  field: string;
  accuracy: Table;
  comparisons: Table | null;
}

/** Everything report.md and report.html show, as text; each renderer lays it out and escapes it. */
export interface ReportDocument {
  complete: boolean;
  /** The first line of both reports. */
  status: string;
  /** A warning shown right under the status line, or null. */
  notice: string | null;
  title: string;
  facts: Array<[string, string]>;
  methods: string[];
  accuracy: Table;
  /** Triage studies: the classification measures and confusion matrices. */
  classification: ClassificationSection | null;
  comparisons: Table | null;
  /** Where clinicians adjudicated answers: each grading's agreement with them. */
  agreement: Table | null;
  /** Several samples per case: the per-case comparisons and determinism diagnostics. */
  perCase: Table | null;
  subgroups: SubgroupSection[];
  /** Model × subgroup interactions. */
  interactions: Table | null;
  /** The missing-answer sensitivity table. */
  sensitivity: Table | null;
  breakdown: string[];
  review: Table | null;
  errors: Table | null;
  /** Diagnosis studies: reasoning error-mode rates, comparisons and reviewer agreement. */
  errorModes: Table[];
  caution: string;
  /** The prompt, verbatim; null when the report does not record it. */
  prompt: { intro: string; messages: Array<{ role: string; content: string }> } | null;
}

export const CAUTION =
  "Scores from simulated cases are not clinical evidence on their own. They show how the models behaved on " +
  "these cases, under these settings; before any use in patient care, confirm the results on the hospital's " +
  "own cases, with clinicians reviewing the answers, under the hospital's clinical governance.";

export function buildDocument(report: Report, details: ReportDetails): ReportDocument {
  let tableNumber = 0;
  const caption = (text: string) => `Table ${++tableNumber}. ${text}`;
  const accuracy = accuracyTable(report, report.models, caption(accuracyCaption(report)));
  const comparisons =
    report.comparisons.length === 0
      ? null
      : comparisonTable(report.comparisons, caption(comparisonCaption(report)));
  const perCase = perCaseTable(report, caption);
  const classification = classificationSection(report, caption);
  const agreement = agreementTable(report, caption);
  const subgroups = report.study.subgroups.map((field) => subgroupSection(report, field, caption));
  const interactions = interactionTable(report, caption);
  const sensitivity = sensitivityTable(report, caption);
  const review = reviewTable(details.rows, caption);
  const errors =
    report.errors.length === 0
      ? null
      : {
          caption: caption("Jobs without an answer, excluded from n."),
          columns: [text("Model"), text("Case"), number("Sample"), text("Cause")],
          rows: report.errors.map((error) => [error.model, error.case, String(error.sample), error.cause]),
        };
  return {
    complete: report.run.complete,
    status: statusLine(report),
    notice: report.notice ?? null,
    title: `Results of study ${report.study.name}`,
    facts: facts(report),
    methods: methodsParagraphs(report),
    accuracy,
    classification,
    comparisons,
    agreement,
    perCase,
    subgroups,
    interactions,
    sensitivity,
    breakdown: breakdown(report),
    review,
    errors,
    errorModes: errorModeTables(report, caption),
    caution: CAUTION,
    prompt: promptSection(report),
  };
}

function promptSection(report: Report): ReportDocument["prompt"] {
  const prompt = report.prompt;
  if (!prompt) return null;
  const source =
    prompt.source === "built-in"
      ? "clinval's built-in prompt; each case's text replaces its {{placeholder}}."
      : `the study's template ${prompt.file ?? ""}, the whole prompt, sent as one user message.`.replace(
          "  ",
          " ",
        );
  return {
    intro: `The models were given ${source}${prompt.note ? ` ${prompt.note}` : ""}`,
    messages: prompt.messages,
  };
}

/** Each grading against the clinicians' decisions (report.json `agreement`), or null without any. */
function agreementTable(report: Report, caption: (text: string) => string): Table | null {
  const agreement = report.agreement;
  if (!agreement) return null;
  return {
    caption: caption(
      `Agreement of the grading with clinicians on ${plural(agreement.adjudicated, "adjudicated answer pair")} ` +
        `(correct versus not correct; Cohen's kappa with ${levelText(report.study.level)} CI).`,
    ),
    columns: [
      text("Grading"),
      number("n"),
      number("Agreement"),
      number(`Kappa (${levelText(report.study.level)} CI)`),
      number("Clinician correct: graded correct / not"),
      number("Clinician not correct: graded correct / not"),
    ],
    rows: agreement.methods.map((method) => [
      method.method,
      integerText(method.n),
      method.observedAgreement === null ? NONE : `${percent(method.observedAgreement)}%`,
      method.kappa
        ? `${decimalText(method.kappa.estimate)} (${decimalText(method.kappa.lower)} to ${decimalText(method.kappa.upper)})`
        : NONE,
      `${method.confusion.correct.correct} / ${method.confusion.correct.incorrect}`,
      `${method.confusion.incorrect.correct} / ${method.confusion.incorrect.incorrect}`,
    ]),
  };
}

/** "Run complete: …" or "Run incomplete: …", the first line of every report. */
export function statusLine(report: Report): string {
  const jobs = report.models.length * report.study.suite.cases * report.study.samples;
  const missing = report.errors.length;
  if (report.run.complete) {
    return `Run complete: all ${integerText(jobs)} jobs (${plural(report.models.length, "model")} × ${plural(report.study.suite.cases, "case")}${samplesPart(report)}) have an answer.`;
  }
  if (missing === 0) {
    return "Run incomplete: the run did not finish; resume it before relying on these results.";
  }
  return (
    `Run incomplete: ${integerText(missing)} of ${integerText(jobs)} jobs have no answer (infrastructure errors ` +
    "or not yet run); they are excluded from n and listed under Errors. Resume the run to finish it."
  );
}

function plural(count: number, noun: string): string {
  return `${integerText(count)} ${noun}${count === 1 ? "" : "s"}`;
}

function samplesPart(report: Report): string {
  return report.study.samples === 1 ? "" : ` × ${report.study.samples} samples`;
}

function facts(report: Report): Array<[string, string]> {
  const { study, run } = report;
  return [
    ["Run", run.id],
    ["Started", run.startedAt],
    ["Finished", run.finishedAt ?? "not finished"],
    ["Suite", `${study.suite.id} (${study.suite.cases} cases)`],
    ["Task", study.task === "diagnosis" ? `diagnosis, top-${study.topK}` : study.task],
    ["Grading", study.grading],
    ["Alpha", String(study.alpha)],
    ["Confidence level", levelText(study.level)],
  ];
}

function text(label: string): Column {
  return { label, numeric: false };
}

function number(label: string): Column {
  return { label, numeric: true };
}

/** Strict and lenient grading differ only in a diagnosis study (fuzzy suggestions). */
function hasGradings(report: Report): boolean {
  return report.study.task === "diagnosis";
}

function hasRanks(report: Report): boolean {
  return report.models.some((model) => model.topk !== undefined);
}

/** The top-j columns beside accuracy: every reported j except k itself. */
function rankColumns(report: Report): string[] {
  const keys = report.models.find((model) => model.topk)?.topk;
  return keys ? Object.keys(keys).filter((key) => key !== String(report.study.topK)) : [];
}

function accuracyCaption(report: Report): string {
  const level = levelText(report.study.level);
  const what =
    report.study.task === "diagnosis"
      ? `reference among the top ${report.study.topK}`
      : report.study.task === "triage"
        ? "the reference label given"
        : "correct";
  return `Accuracy per model (${what}; ${report.study.grading} grading; Wilson ${level} CI).`;
}

function accuracyTable(report: Report, models: readonly ModelSummary[], title: string): Table {
  const ranks = rankColumns(report);
  const pooled = report.study.samples > 1;
  const columns: Column[] = [
    text("Model"),
    number("n"),
    number("Correct"),
    number(`${pooled ? "First answers" : "Accuracy"}, % (${levelText(report.study.level)} CI)`),
    ...(hasGradings(report)
      ? [number(`${report.study.grading === "strict" ? "Lenient" : "Strict"}, %`)]
      : []),
    ...ranks.map((rank) => number(`Top-${rank}, %`)),
    ...(hasRanks(report) ? [number("MRR")] : []),
    ...(pooled
      ? [
          number(
            `Per-case mean of ${report.study.samples} samples, % (${levelText(report.study.level)} cluster CI)`,
          ),
          number(`All samples pooled, % (${levelText(report.study.level)} CI)`),
          number("Flip rate, %"),
        ]
      : []),
    number("Unparseable"),
    number("Truncated"),
    number("Errors"),
    number("Latency p50 / p95, s"),
    number("Tokens prompt / completion / reasoning"),
  ];
  const rows = models.map((model) => [
    model.id,
    String(model.n),
    model.accuracy ? String(model.accuracy.x) : "0",
    proportionText(model.accuracy),
    ...(hasGradings(report) ? [alternativeAccuracy(report, model)] : []),
    ...ranks.map((rank) => proportionPoint(model.topk?.[rank])),
    ...(hasRanks(report) ? [decimalText(model.mrr)] : []),
    ...(pooled
      ? [
          intervalText(model.samples?.perCase),
          proportionText(model.samples?.accuracy),
          model.samples?.flips.rate == null ? NONE : percent(model.samples.flips.rate),
        ]
      : []),
    String(model.outcomes.unparseable),
    String(model.outcomes.truncated),
    String(model.outcomes.error),
    `${secondsText(model.latencyMs.p50)} / ${secondsText(model.latencyMs.p95)}`,
    `${integerText(model.tokens.prompt)} / ${integerText(model.tokens.completion)} / ${integerText(model.tokens.reasoning)}`,
  ]);
  return { caption: title, columns, rows };
}

function alternativeAccuracy(report: Report, model: ModelSummary): string {
  return proportionPoint(report.study.grading === "strict" ? model.lenientAccuracy : model.strictAccuracy);
}

function proportionPoint(proportion: { estimate: number } | null | undefined): string {
  return proportion ? percent(proportion.estimate) : NONE;
}

function comparisonCaption(report: Report): string {
  const level = levelText(report.study.level);
  const primary = report.comparisons.filter((comparison) => comparison.role !== "exploratory").length;
  const adjustment = adjustmentName(report.study.adjust ?? "holm");
  const family =
    primary === report.comparisons.length
      ? `${adjustment} across ${primary} comparison${primary === 1 ? "" : "s"}`
      : `${adjustment} across the ${primary} primary comparison${primary === 1 ? "" : "s"}; exploratory comparisons unadjusted`;
  const samples =
    report.study.samples > 1
      ? "; the 2×2 table is of the first answers, and the adjusted p is the per-case permutation test's (next table)"
      : "";
  return (
    `Paired comparisons (difference = A − B in percentage points, Newcombe ${level} CI; McNemar exact and mid-p; ` +
    `${family}; significant when adjusted p < ${report.study.alpha}${samples}).`
  );
}

function comparisonColumns(): Column[] {
  return [
    text("Comparison (A vs B)"),
    text("Hypothesis"),
    number("n"),
    number("Excluded"),
    number("Both / A only / B only / neither"),
    number("Difference, pp (CI)"),
    number("Exact p"),
    number("Mid-p"),
    number("Adjusted p"),
    text("Significant"),
  ];
}

function comparisonCells(comparison: Comparison): Cell[] {
  const adjusted = pValueText(comparison.adjustedP);
  return [
    `${comparison.a} vs ${comparison.b}`,
    comparison.role === "exploratory"
      ? "exploratory"
      : `primary (${adjustmentName(comparison.adjustment ?? "holm")})`,
    String(comparison.n),
    String(comparison.excluded),
    `${comparison.bothCorrect} / ${comparison.aOnly} / ${comparison.bOnly} / ${comparison.neither}`,
    differenceText(comparison.difference),
    pValueText(comparison.mcnemar.exactP),
    pValueText(comparison.mcnemar.midP),
    comparison.significant ? { text: adjusted, strong: true } : adjusted,
    comparison.significant ? { text: "yes", strong: true } : "no",
  ];
}

function comparisonTable(comparisons: readonly Comparison[], title: string): Table {
  return { caption: title, columns: comparisonColumns(), rows: comparisons.map(comparisonCells) };
}

function subgroupSection(report: Report, field: string, caption: (text: string) => string): SubgroupSection {
  const strata = report.subgroups.filter((stratum) => stratum.field === field);
  const ranks = rankColumns(report);
  const classification = subgroupClassificationColumns(report);
  const accuracyRows: Cell[][] = [];
  const accuracyStarts: number[] = [];
  const comparisonRows: Cell[][] = [];
  const comparisonStarts: number[] = [];
  for (const stratum of strata) {
    accuracyStarts.push(accuracyRows.length);
    for (const [index, model] of stratum.models.entries()) {
      accuracyRows.push([
        index === 0 ? stratum.value : "",
        index === 0 ? String(stratum.cases) : "",
        model.id,
        String(model.n),
        model.accuracy ? String(model.accuracy.x) : "0",
        proportionText(model.accuracy),
        ...ranks.map((rank) => proportionPoint(model.topk?.[rank])),
        ...(hasRanks(report) ? [decimalText(model.mrr)] : []),
        ...classification.cells(model),
        String(model.outcomes.error),
      ]);
    }
    comparisonStarts.push(comparisonRows.length);
    for (const [index, comparison] of stratum.comparisons.entries()) {
      comparisonRows.push([index === 0 ? stratum.value : "", ...comparisonCells(comparison)]);
    }
  }
  const accuracy: Table = {
    caption: caption(
      `Accuracy by ${field} (${report.study.grading} grading; Wilson ${levelText(report.study.level)} CI).`,
    ),
    columns: [
      text(field),
      number("Cases"),
      text("Model"),
      number("n"),
      number("Correct"),
      number(`Accuracy, % (${levelText(report.study.level)} CI)`),
      ...ranks.map((rank) => number(`Top-${rank}, %`)),
      ...(hasRanks(report) ? [number("MRR")] : []),
      ...classification.columns,
      number("Errors"),
    ],
    rows: accuracyRows,
    groupStarts: accuracyStarts,
  };
  const comparisons: Table | null =
    comparisonRows.length === 0
      ? null
      : {
          caption: caption(
            (report.study.primarySubgroups ?? []).includes(field)
              ? `Paired comparisons by ${field} (declared: primary comparisons join the primary family; significant when adjusted p < ${report.study.alpha}).`
              : `Paired comparisons by ${field} (exploratory: p unadjusted; p < ${report.study.alpha} is marked but is not a confirmed difference).`,
          ),
          columns: [text(field), ...comparisonColumns()],
          rows: comparisonRows,
          groupStarts: comparisonStarts,
        };
  return { field, accuracy, comparisons };
}

function breakdown(report: Report): string[] {
  const lines = report.models.map((model) => {
    const { outcomes } = model;
    const counts =
      `${model.id}: ${outcomes.correct} correct, ${outcomes.incorrect} incorrect, ` +
      `${outcomes.unparseable} unparseable, ${outcomes.truncated} truncated, ${outcomes.error} errors.`;
    if (!model.strictAccuracy || !model.lenientAccuracy) return `${counts} No answered cases.`;
    if (!hasGradings(report)) return `${counts} Accuracy ${percent(model.strictAccuracy.estimate)}%.`;
    const shift = model.lenientAccuracy.estimate - model.strictAccuracy.estimate;
    const review =
      model.needsReview === undefined
        ? ""
        : `; ${model.needsReview} answer${model.needsReview === 1 ? "" : "s"} need${model.needsReview === 1 ? "s" : ""} review`;
    return (
      `${counts} Strict accuracy ${percent(model.strictAccuracy.estimate)}%, lenient ` +
      `${percent(model.lenientAccuracy.estimate)}% (${shift === 0 ? "no difference" : `+${percent(shift)} pp`}${review}).`
    );
  });
  const reviewTotal = report.models.reduce((total, model) => total + (model.needsReview ?? 0), 0);
  if (report.models.some((model) => model.needsReview !== undefined)) {
    lines.push(
      reviewTotal === 0
        ? "No answer depended on a fuzzy suggestion: strict and lenient grading agree."
        : `${reviewTotal} answer${reviewTotal === 1 ? "" : "s"} matched the reference only by fuzzy similarity ` +
            "and count only under lenient grading; a clinician should confirm them (listed below).",
    );
  }
  return lines;
}

function reviewTable(rows: readonly CaseRow[], caption: (text: string) => string): Table | null {
  const flagged = rows.filter((row) => row.needsReview === true);
  if (flagged.length === 0) return null;
  return {
    caption: caption("Answers matched only by fuzzy similarity, to be confirmed by a clinician."),
    columns: [
      text("Model"),
      text("Case"),
      number("Sample"),
      text("Answer"),
      text("Similar to"),
      number("Similarity"),
      text("Reference diagnosis"),
    ],
    rows: flagged.map((row) => [
      row.model,
      row.case,
      String(row.sample),
      row.suggestion?.answer ?? row.answers.join(" | "),
      row.suggestion?.reference ?? NONE,
      decimalText(row.suggestion?.similarity, 2),
      row.reference ?? NONE,
    ]),
  };
}

/** "58.3 (50.0–66.7)" for any estimate with limits (cluster bootstrap, sensitivity rows). */
function intervalText(
  interval: { estimate: number; lower: number; upper: number } | null | undefined,
): string {
  if (!interval) return NONE;
  return `${percent(interval.estimate)} (${percent(interval.lower)}–${percent(interval.upper)})`;
}

function perCaseTable(report: Report, caption: (text: string) => string): Table | null {
  const rows = report.comparisons.filter((comparison) => comparison.samples);
  if (report.study.samples === 1 || rows.length === 0) return null;
  const level = levelText(report.study.level);
  return {
    caption: caption(
      `Paired comparisons on per-case proportions over ${report.study.samples} samples per case (mean difference ` +
        `A − B in percentage points with a case-level bootstrap ${level} CI; sign-flip permutation test; McNemar on ` +
        "the per-case majority vote as a secondary test; expected disagreements between the models and the part " +
        "sampling noise alone explains).",
    ),
    columns: [
      text("Comparison (A vs B)"),
      number("Cases"),
      number("Difference, pp (CI)"),
      number("Permutation p"),
      number("Majority vote: both / A only / B only / neither"),
      number("Majority-vote McNemar p"),
      number("Expected disagreements"),
      number("From sampling noise"),
    ],
    rows: rows.map((comparison) => {
      const perCase = comparison.samples as NonNullable<Comparison["samples"]>;
      const vote = perCase.majorityVote;
      return [
        `${comparison.a} vs ${comparison.b}`,
        String(perCase.cases),
        differenceText(perCase.difference),
        pValueText(perCase.permutation?.p ?? null),
        `${vote.bothCorrect} / ${vote.aOnly} / ${vote.bOnly} / ${vote.neither}`,
        pValueText(vote.mcnemar.exactP),
        decimalText(perCase.discordance.observed, 2),
        perCase.discordance.share === null
          ? decimalText(perCase.discordance.noise, 2)
          : // Both are estimates: noise can come out above the total, and then explains all of it.
            `${decimalText(perCase.discordance.noise, 2)} (${perCase.discordance.share >= 1 ? "all" : `${percent(perCase.discordance.share)}%`})`,
      ];
    }),
  };
}

function interactionTable(report: Report, caption: (text: string) => string): Table | null {
  const interactions = report.interactions ?? [];
  if (interactions.length === 0) return null;
  const rows: Cell[][] = [];
  for (const interaction of interactions) {
    const strata = interaction.strata
      .map((stratum) => `${stratum.value}: ${differenceText(stratum.difference)}`)
      .join("; ");
    const contrasts = interaction.contrasts
      .map((contrast) => `${contrast.value} − ${contrast.reference}: ${differenceText(contrast)}`)
      .join("; ");
    const adjusted = pValueText(interaction.adjustedP);
    rows.push([
      `${interaction.a} vs ${interaction.b} by ${interaction.field}`,
      interaction.role === "exploratory"
        ? "exploratory"
        : `primary (${adjustmentName(interaction.adjustment)})`,
      strata,
      contrasts || NONE,
      interaction.test.method === "fisher-exact"
        ? "Fisher exact"
        : interaction.test.df === 0
          ? "none: fewer than two strata with discordant pairs"
          : `chi-square, ${interaction.test.df} df`,
      pValueText(interaction.p),
      interaction.significant ? { text: adjusted, strong: true } : adjusted,
    ]);
  }
  return {
    caption: caption(
      `Model × subgroup interactions: the paired difference A − B in each stratum (Newcombe ${levelText(report.study.level)} CI), ` +
        "each stratum's difference minus the first stratum's (MOVER CI), and the test that the discordant pairs split " +
        "alike in every stratum.",
    ),
    columns: [
      text("Comparison"),
      text("Hypothesis"),
      text("Difference per stratum, pp (CI)"),
      text("Difference of differences, pp (CI)"),
      text("Test"),
      number("p"),
      number("Adjusted p"),
    ],
    rows,
  };
}

const SENSITIVITY_LABELS: Record<string, string> = {
  primary: "As declared",
  "errors-as-incorrect": "Errors as incorrect",
  "truncated-excluded": "Truncated left out",
};

function sensitivityTable(report: Report, caption: (text: string) => string): Table | null {
  const analyses = report.sensitivity ?? [];
  if (analyses.length === 0) return null;
  const rows: Cell[][] = [];
  const groupStarts: number[] = [];
  for (const analysis of analyses) {
    groupStarts.push(rows.length);
    const label = SENSITIVITY_LABELS[analysis.analysis] ?? analysis.analysis;
    for (const [index, model] of analysis.models.entries()) {
      rows.push([
        index === 0 ? label : "",
        model.id,
        String(model.n),
        intervalText(model.accuracy),
        "",
        "",
        "",
      ]);
    }
    for (const comparison of analysis.comparisons) {
      const adjusted = pValueText(comparison.adjustedP);
      rows.push([
        "",
        `${comparison.a} vs ${comparison.b}`,
        String(comparison.n),
        "",
        differenceText(comparison.difference),
        adjusted,
        comparison.significant ? { text: "yes", strong: true } : "no",
      ]);
    }
  }
  return {
    caption: caption(
      "Missing answers: accuracy and paired comparisons as declared, with errors (failed calls, timeouts) counted " +
        "as incorrect, and with truncated answers left out of n. When the conclusion changes between rows, it " +
        "depends on how missing answers are counted.",
    ),
    columns: [
      text("Analysis"),
      text("Model or comparison"),
      number("n"),
      number(`Accuracy, % (${levelText(report.study.level)} CI)`),
      number("Difference, pp (CI)"),
      number("Adjusted p"),
      text("Significant"),
    ],
    rows,
    groupStarts,
  };
}
