import {
  type Adjudication,
  CLINICIAN_DECISIONS,
  type ClinicianDecision,
  pairKey,
} from "../core/adjudication.ts";
import { InputError, InputErrors } from "../core/errors.ts";
import { type CsvValue, toCsv, unguardCsvCell } from "../report/csv.ts";
import { parseCsvWithHeader } from "../suites/parse-csv.ts";
import type { PendingPair } from "./answer-pairs.ts";

/** The columns of an adjudication sheet; a clinician fills in `decision` and, if wanted, `note`. */
export const ADJUDICATION_COLUMNS = [
  "reference",
  "answer",
  "reason",
  "judge_verdict",
  "judge_rationale",
  "similarity",
  "count",
  "models",
  "cases",
  "decision",
  "note",
] as const;

/** The columns import reads; every other column is for the reader and ignored. */
const REQUIRED_COLUMNS = ["reference", "answer", "decision"] as const;

/**
 * The pending pairs as CSV (RFC 4180, CRLF) for a spreadsheet, `decision` and `note` left empty.
 * A cell that a spreadsheet would run as a formula (starting with =, +, -, @, tab or CR) gets a leading
 * single quote (see csvField), which import removes again.
 */
export function adjudicationSheet(pairs: readonly PendingPair[]): string {
  const records = pairs.map((pair): CsvValue[] => [
    pair.reference,
    pair.answer,
    pair.reason,
    pair.judgeVerdict,
    pair.judgeRationale,
    pair.similarity,
    pair.count,
    pair.models.join(" "),
    pair.cases.join(" "),
    null,
    null,
  ]);
  return toCsv(ADJUDICATION_COLUMNS, records);
}

/**
 * Reads a filled-in adjudication sheet. Rows with an empty `decision` are skipped (not decided yet).
 * Every problem is collected — a missing column, an unknown decision, an empty reference or answer, two
 * different decisions on one pair — and thrown together naming the file, line and column, so that a
 * sheet with any bad row changes nothing.
 */
export function readAdjudicationSheet(
  text: string,
  file: string,
  decidedBy: { reviewer: string; decidedAt: string },
): Adjudication[] {
  const { columns, rows } = parseCsvWithHeader(text, file);
  const missing = REQUIRED_COLUMNS.filter((column) => !columns.includes(column));
  if (missing.length > 0) {
    throw new InputError(
      `the header lacks column${missing.length > 1 ? "s" : ""} ${missing.map((name) => `"${name}"`).join(", ")}`,
      { file, line: 1 },
      "adjudication-header",
    );
  }
  const problems: InputError[] = [];
  const decided = new Map<string, { decision: Adjudication; line: number }>();
  for (const { line, row } of rows) {
    const decisionText = unguardCsvCell(row.decision.trim()).toLowerCase().replace(/\s+/g, "-");
    if (decisionText === "") continue;
    const problem = (field: string, message: string) =>
      problems.push(new InputError(message, { file, line, field }, "invalid-adjudication"));
    const reference = unguardCsvCell(row.reference.trim()).trim();
    const answer = unguardCsvCell(row.answer.trim()).trim();
    if (reference === "") problem("reference", "is empty");
    if (answer === "") problem("answer", "is empty");
    if (!(CLINICIAN_DECISIONS as readonly string[]).includes(decisionText)) {
      problem("decision", `"${row.decision.trim()}" is not one of ${CLINICIAN_DECISIONS.join(", ")}`);
      continue;
    }
    if (reference === "" || answer === "") continue;
    const note = columns.includes("note") ? unguardCsvCell(row.note.trim()) : "";
    const decision: Adjudication = {
      reference,
      answer,
      decision: decisionText as ClinicianDecision,
      reviewer: decidedBy.reviewer,
      decidedAt: decidedBy.decidedAt,
      note: note === "" ? null : note,
    };
    const key = pairKey(reference, answer);
    const earlier = decided.get(key);
    if (earlier !== undefined && earlier.decision.decision !== decision.decision) {
      problem(
        "decision",
        `"${decision.decision}" contradicts "${earlier.decision.decision}" for the same pair on line ${earlier.line}`,
      );
      continue;
    }
    if (earlier === undefined) decided.set(key, { decision, line });
  }
  if (problems.length > 0) throw problems.length === 1 ? problems[0] : new InputErrors(problems);
  return [...decided.values()].map((entry) => entry.decision);
}
