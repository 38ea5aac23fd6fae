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

/** Diagnosis studies add, after `answers`, the rung and concept ids of each answer and the reference's concepts. */
const DIAGNOSIS_COLUMNS = ["answerRungs", "answerConcepts", "referenceConcepts"] as const;

/**
 * The columns of a study's rows: triage studies add `predicted` (the label given) before `reference`;
 * diagnosis studies add DIAGNOSIS_COLUMNS after `answers` (lists joined by " | ", the concept ids of one
 * answer by " + "), and `judge` after `needsReview` when the study has a judge.
 */
export function caseColumns(report: Pick<Report, "study" | "judge">): string[] {
  if (report.study.task === "diagnosis") {
    return CASE_COLUMNS.flatMap((column) => {
      if (column === "answers") return [column, ...DIAGNOSIS_COLUMNS];
      if (column === "needsReview" && report.judge !== undefined) return [column, "judge"];
      return [column];
    });
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
  const labels = probabilityLabels(report, details);
  const columns = caseColumns(report).flatMap((column) =>
    column === "reference" ? [column, ...labels.map((label) => `p.${label}`)] : [column],
  );
  const taken = new Set<string>(columns);
  const header = [...columns, ...fields.map((field) => (taken.has(field) ? `subgroup.${field}` : field))];
  const triage = report.study.task === "triage";
  const judged = report.judge !== undefined;
  const diagnosis = report.study.task === "diagnosis";
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
    ...(diagnosis
      ? [
          row.answerRungs?.join(" | ") ?? null,
          row.answerConcepts?.map((ids) => ids.join(" + ")).join(" | ") ?? null,
          row.referenceConcepts?.join(" | ") ?? null,
        ]
      : []),
    ...(triage ? [row.predicted ?? null] : []),
    row.reference,
    ...labels.map((label) => row.probabilities?.[label] ?? null),
    row.latencyMs,
    row.tokens.prompt,
    row.tokens.completion,
    row.tokens.reasoning,
    row.error,
    ...fields.map((field) => row.subgroups[field] ?? null),
  ]);
  return toCsv(header, records);
}

/** Triage rows with per-label probabilities add a `p.LABEL` column per label after `reference`. */
function probabilityLabels(report: Report, details: ReportDetails): string[] {
  if (!details.rows.some((row) => row.probabilities)) return [];
  const labels = report.models.find((model) => model.classification)?.classification?.labels;
  return labels ?? Object.keys(details.rows.find((row) => row.probabilities)?.probabilities ?? {});
}
