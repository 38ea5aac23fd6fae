import type { ErrorModeTable, ReviewerErrorModeTable } from "../analysis/error-modes.ts";
import type { Report } from "../analysis/report-types.ts";
import { CODE_LABELS, type ReasoningCodeValue } from "../core/error-modes.ts";
import type { Table } from "./document.ts";
import { decimalText, NONE, percent, pValueText } from "./format.ts";

/** The reasoning error-mode tables of a diagnosis report: rates and paired comparisons, automatic then reviewers'. */
export function errorModeTables(report: Report, caption: (text: string) => string): Table[] {
  const section = report.errorModes;
  if (!section) return [];
  const tables = [
    ratesTable(
      section.automatic,
      caption(`Reasoning error modes, automatic pre-flags (not reviewed): answers flagged, % with 95% CI.`),
    ),
    comparisonsTable(
      section.automatic,
      caption(
        "Reasoning error modes, automatic pre-flags: paired comparisons of the rates (exact McNemar, Holm).",
      ),
      report.study.alpha,
    ),
  ];
  if (section.reviewers.models.some((model) => model.n > 0)) {
    tables.push(
      ratesTable(
        section.reviewers,
        caption(`Reasoning error modes, reviewers' codes: answers coded, % with 95% CI.`),
      ),
      comparisonsTable(
        section.reviewers,
        caption(
          "Reasoning error modes, reviewers' codes: paired comparisons of the rates (exact McNemar, Holm).",
        ),
        report.study.alpha,
      ),
    );
  }
  if (section.reviewers.agreement.length > 0)
    tables.push(
      agreementTable(
        section.reviewers,
        caption("Agreement between reviewers (Cohen's kappa over the codebook)."),
      ),
    );
  return tables;
}

function label(mode: string): string {
  return CODE_LABELS[mode as ReasoningCodeValue] ?? mode;
}

function ratesTable(table: ErrorModeTable, caption: string): Table {
  return {
    caption,
    columns: [
      { label: "Model", numeric: false },
      { label: "n", numeric: true },
      ...table.modes.map((mode) => ({ label: label(mode), numeric: true })),
    ],
    rows: table.models.map((model) => [
      model.id,
      String(model.n),
      ...table.modes.map((mode) => {
        const rate = model.rates[mode];
        return rate
          ? `${model.counts[mode]} · ${percent(rate.estimate)} (${percent(rate.lower)}–${percent(rate.upper)})`
          : NONE;
      }),
    ]),
  };
}

function comparisonsTable(table: ErrorModeTable, caption: string, alpha: number): Table {
  return {
    caption,
    columns: [
      { label: "Mode", numeric: false },
      { label: "A vs B", numeric: false },
      { label: "n", numeric: true },
      { label: "A only / B only", numeric: true },
      { label: "Exact p", numeric: true },
      { label: "Holm p", numeric: true },
    ],
    rows: table.comparisons.map((comparison) => [
      label(comparison.mode),
      `${comparison.a} vs ${comparison.b}`,
      String(comparison.n),
      `${comparison.aOnly} / ${comparison.bOnly}`,
      pValueText(comparison.mcnemar.exactP),
      { text: pValueText(comparison.adjustedP), strong: comparison.adjustedP < alpha },
    ]),
  };
}

function agreementTable(table: ReviewerErrorModeTable, caption: string): Table {
  return {
    caption,
    columns: [
      { label: "Reviewers", numeric: false },
      { label: "Answers", numeric: true },
      { label: "Agreement", numeric: true },
      { label: "Kappa", numeric: true },
    ],
    rows: table.agreement.map((pair) => [
      pair.reviewers.join(" and "),
      String(pair.n),
      `${percent(pair.observedAgreement)}%`,
      decimalText(pair.kappa),
    ]),
  };
}
