import type { ReasoningCode } from "../core/error-modes.ts";
import { type CsvValue, toCsv } from "../report/csv.ts";

/**
 * A text cell a spreadsheet would read as a formula (=, +, -, @, tab, carriage return first) gets a
 * leading single quote, so opening the export never runs anything.
 */
export function neutralizeFormula(value: CsvValue): CsvValue {
  return typeof value === "string" && /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

export const CODE_COLUMNS = [
  "run",
  "model",
  "case",
  "sample",
  "reviewer",
  "reconciled",
  "code",
  "note",
  "codedAt",
];

/** Every reviewer code of a run, one row each, for R or SPSS. */
export function renderCodesCsv(codes: readonly ReasoningCode[]): string {
  return toCsv(
    CODE_COLUMNS,
    codes.map((code) =>
      [
        code.runId,
        code.modelId,
        code.caseId,
        code.sample,
        code.reviewer,
        code.reconciled,
        code.code,
        code.note,
        code.codedAt,
      ].map(neutralizeFormula),
    ),
  );
}
