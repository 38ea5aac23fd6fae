import type { Adjudication } from "../core/adjudication.ts";
import type { ReasoningCode } from "../core/error-modes.ts";
import { toCsv } from "../report/csv.ts";

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

/**
 * Every reviewer code of a run, one row each, for R or SPSS. Cells a spreadsheet would run as a formula
 * get a leading single quote (see `csvField`).
 */
export function renderCodesCsv(codes: readonly ReasoningCode[]): string {
  return toCsv(
    CODE_COLUMNS,
    codes.map((code) => [
      code.runId,
      code.modelId,
      code.caseId,
      code.sample,
      code.reviewer,
      code.reconciled,
      code.code,
      code.note,
      code.codedAt,
    ]),
  );
}

export const ADJUDICATION_COLUMNS = ["reference", "answer", "decision", "reviewer", "decidedAt", "note"];

/** Every clinician decision in the store (they hold for every run), oldest first, for R or SPSS. */
export function renderAdjudicationsCsv(decisions: readonly Adjudication[]): string {
  return toCsv(
    ADJUDICATION_COLUMNS,
    decisions.map((decision) => [
      decision.reference,
      decision.answer,
      decision.decision,
      decision.reviewer,
      decision.decidedAt,
      decision.note,
    ]),
  );
}
