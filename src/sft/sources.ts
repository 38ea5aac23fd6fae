import { basename, extname } from "node:path";
import { InputError, InputErrors } from "../core/errors.ts";
import { caseFileOrBuiltinSuite } from "../suites/builtin-suites.ts";
import { readCaseFile } from "../suites/load-case-file.ts";
import * as diagnosisPrompt from "../tasks/diagnosis/prompt.ts";
import * as triagePrompt from "../tasks/triage/prompt.ts";
import { readRecordFile, type SourceRecord } from "./read-records.ts";
import type { TrainingExample } from "./training-example.ts";

export type SourceKind = "reasoning" | "reports" | "diagnosis-suite" | "triage-suite";

/** What the data card says about one input. */
export interface SourceSummary {
  kind: SourceKind;
  /** The path or built-in suite id as given. */
  name: string;
  sha256: string;
  licence: string;
  records: number;
}

export interface LoadedSource {
  summary: SourceSummary;
  examples: Omit<TrainingExample, "source">[];
}

/** Column names of the medical-o1-reasoning-SFT set, the default mapping of reasoning files. */
export const REASONING_COLUMNS = { question: "Question", reasoning: "Complex_CoT", response: "Response" };
export const REPORT_COLUMNS = { text: "text", label: "label" };

/** The top-k a diagnosis example's answer is written for; the reference comes first. */
const DIAGNOSIS_ANSWER_K = 5;

/**
 * A medical-o1-style file: question, chain of thought and final response per record. A missing column,
 * or an empty value in any of the three, is an error naming the file, line and column.
 */
export async function loadReasoningFile(
  path: string,
  fields: Record<string, string> | undefined,
  licence: string,
): Promise<LoadedSource> {
  const columns = mapColumns(REASONING_COLUMNS, fields, path);
  const file = await readRecordFile(path);
  requireColumns(file.records, Object.values(columns), path);
  const problems: InputError[] = [];
  const examples = file.records.flatMap((record) => {
    const question = requireText(record, columns.question, path, problems);
    const reasoning = requireText(record, columns.reasoning, path, problems);
    const response = requireText(record, columns.response, path, problems);
    if (question === undefined || reasoning === undefined || response === undefined) return [];
    return [
      {
        origin: `${basename(path)}:${record.line}`,
        prompt: question,
        reasoning,
        answer: response,
        stratum: "",
      },
    ];
  });
  throwProblems(problems);
  return {
    summary: { kind: "reasoning", name: path, sha256: file.sha256, licence, records: file.records.length },
    examples,
  };
}

/**
 * A hospital's labelled reports (`text,label` or mapped columns): each becomes the triage prompt clinval
 * evaluates with, answered with the JSON label. A label outside the label set is an error naming the line.
 */
export async function loadReportFile(
  path: string,
  fields: Record<string, string> | undefined,
  labels: readonly string[],
  licence: string,
): Promise<LoadedSource> {
  const columns = mapColumns(REPORT_COLUMNS, fields, path);
  const file = await readRecordFile(path);
  requireColumns(file.records, Object.values(columns), path);
  const problems: InputError[] = [];
  const examples = file.records.flatMap((record) => {
    const text = requireText(record, columns.text, path, problems);
    const label = requireText(record, columns.label, path, problems);
    if (text === undefined || label === undefined) return [];
    if (!labels.includes(label)) {
      problems.push(
        new InputError(
          `unknown label "${label}" (the label set: ${labels.join(", ")})`,
          { file: path, line: record.line, field: columns.label },
          "unknown-label",
        ),
      );
      return [];
    }
    return [triageExample(`${basename(path)}:${record.line}`, text, label, labels)];
  });
  throwProblems(problems);
  return {
    summary: { kind: "reports", name: path, sha256: file.sha256, licence, records: file.records.length },
    examples,
  };
}

/**
 * A clinval diagnosis or triage suite (a built-in id or a case file). Cases with a `split` field
 * contribute only the given split (default `train`), so that test cases never become training data.
 */
export async function loadSuiteSource(
  suite: string,
  options: { fields?: Record<string, string>; labels: readonly string[]; split?: string },
): Promise<LoadedSource> {
  const { path, id } = caseFileOrBuiltinSuite(suite);
  const builtin = id !== undefined;
  const { suite: loaded, problems } = await readCaseFile(path, {
    requiredFields: [],
    fields: options.fields,
    id: id ?? basename(path, extname(path)),
  });
  throwProblems(problems);
  const hasSplit = loaded.cases.some((testCase) => testCase.split !== undefined);
  const split = options.split ?? (hasSplit ? "train" : undefined);
  const cases =
    split === undefined ? loaded.cases : loaded.cases.filter((testCase) => testCase.split === split);
  if (cases.length === 0) {
    throw new InputError(`no case has split "${split}"`, { file: path, field: "split" }, "empty-suite");
  }
  const isDiagnosis = cases.every(
    (testCase) => typeof testCase.presentation === "string" && typeof testCase.diagnosis === "string",
  );
  const isTriage = cases.every(
    (testCase) => typeof testCase.text === "string" && typeof testCase.label === "string",
  );
  if (!isDiagnosis && !isTriage) {
    throw new InputError(
      "a suite for training needs presentation + diagnosis (diagnosis) or text + label (triage) in every case",
      { file: path },
      "invalid-case",
    );
  }
  const licence = builtin
    ? `clinval built-in suite ${suite}, see its suite card`
    : "as stated by the suite's owner";
  const examples = cases.map((testCase) => {
    if (isDiagnosis) {
      const presentation = testCase.presentation as string;
      return {
        origin: testCase.id,
        system: diagnosisPrompt.DEFAULT_SYSTEM_PROMPT,
        prompt: diagnosisPrompt.defaultUserPrompt(presentation, DIAGNOSIS_ANSWER_K),
        answer: JSON.stringify({ diagnoses: [testCase.diagnosis] }),
        stratum: typeof testCase.specialty === "string" ? testCase.specialty : "",
      };
    }
    const label = testCase.label as string;
    if (!options.labels.includes(label)) {
      throw new InputError(
        `unknown label "${label}" (the label set: ${options.labels.join(", ")})`,
        { file: path, field: `${testCase.id}.label` },
        "unknown-label",
      );
    }
    return triageExample(testCase.id, testCase.text as string, label, options.labels);
  });
  return {
    summary: {
      kind: isDiagnosis ? "diagnosis-suite" : "triage-suite",
      name: suite,
      sha256: loaded.sha256,
      licence,
      records: cases.length,
    },
    examples,
  };
}

function triageExample(
  origin: string,
  text: string,
  label: string,
  labels: readonly string[],
): Omit<TrainingExample, "source"> {
  return {
    origin,
    system: triagePrompt.DEFAULT_SYSTEM_PROMPT,
    prompt: triagePrompt.defaultUserPrompt(text, labels),
    answer: JSON.stringify({ label }),
    stratum: label,
  };
}

/**
 * The default columns with the user's `--fields` applied. One mapping serves every data file of a run,
 * so a field of the other kind of file is ignored; a field of neither kind is an error.
 */
function mapColumns<T extends Record<string, string>>(
  defaults: T,
  fields: Record<string, string> | undefined,
  file: string,
): T {
  const columns = { ...defaults };
  const known = [...Object.keys(REASONING_COLUMNS), ...Object.keys(REPORT_COLUMNS)];
  for (const [field, column] of Object.entries(fields ?? {})) {
    if (!known.includes(field)) {
      throw new InputError(`unknown field "${field}" (fields of data files: ${known.join(", ")})`, {
        file,
        field: "--fields",
      });
    }
    if (field in defaults) (columns as Record<string, string>)[field] = column;
  }
  return columns;
}

function requireColumns(records: readonly SourceRecord[], columns: readonly string[], file: string): void {
  const present = new Set(records.flatMap((record) => Object.keys(record.values)));
  for (const column of columns) {
    if (!present.has(column)) {
      throw new InputError(
        `column "${column}" is missing (the file's columns: ${[...present].join(", ")}; map yours with --fields)`,
        { file, line: extname(file).toLowerCase() === ".csv" ? 1 : (records[0]?.line ?? 1), field: column },
        "missing-column",
      );
    }
  }
}

function requireText(
  record: SourceRecord,
  column: string,
  file: string,
  problems: InputError[],
): string | undefined {
  const value = record.values[column];
  if (typeof value !== "string" || value.trim() === "") {
    problems.push(
      new InputError(
        value === undefined || value === null
          ? "is missing"
          : typeof value !== "string"
            ? "must be text"
            : "is empty",
        { file, line: record.line, field: column },
        "invalid-record",
      ),
    );
    return undefined;
  }
  return value.trim();
}

function throwProblems(problems: InputError[]): void {
  if (problems.length === 1) throw problems[0];
  if (problems.length > 1) throw new InputErrors(problems);
}
