import type { Report, ReportDetails } from "../analysis/report-types.ts";
import { type CsvValue, toCsv } from "./csv.ts";

export const CASE_COLUMNS = [
  "model",
  "case",
  "sample",
  "outcome",
  "rung",
  "rank",
  "lenientRank",
  "needsReview",
  "answers",
  "reference",
  "latencyMs",
  "promptTokens",
  "completionTokens",
  "reasoningTokens",
  "error",
] as const;

/** The columns of a study's rows: triage studies add `predicted` (the label given) before `reference`. */
export function caseColumns(report: Pick<Report, "study" | "judge">): string[] {
  if (report.judge !== undefined) {
    return CASE_COLUMNS.flatMap((column) => (column === "needsReview" ? [column, "judge"] : [column]));
  }
  if (report.study.task !== "triage") return [...CASE_COLUMNS];
  return CASE_COLUMNS.flatMap((column) => (column === "reference" ? ["predicted", column] : [column]));
}

/**
 * cases.csv: one row per model × case × sample, then the case's subgroup fields (named `subgroup.FIELD`
 * when the field's name is already a column).
 */
export function renderCasesCsv(report: Report, details: ReportDetails): string {
  const fields = report.study.subgroups;
  const columns = caseColumns(report);
  const taken = new Set<string>(columns);
  const header = [...columns, ...fields.map((field) => (taken.has(field) ? `subgroup.${field}` : field))];
  const triage = report.study.task === "triage";
  const judged = report.judge !== undefined;
  const records = details.rows.map((row): CsvValue[] => [
    row.model,
    row.case,
    row.sample,
    row.outcome,
    row.rung,
    row.rank,
    row.lenientRank,
    row.needsReview,
    ...(judged ? [row.judge ?? null] : []),
    row.answers.join(" | "),
    ...(triage ? [row.predicted ?? null] : []),
    row.reference,
    row.latencyMs,
    row.tokens.prompt,
    row.tokens.completion,
    row.tokens.reasoning,
    row.error,
    ...fields.map((field) => row.subgroups[field] ?? null),
  ]);
  return toCsv(header, records);
}
