import { basename, extname } from "node:path";
import type { Case } from "../core/case.ts";
import { InputErrors } from "../core/errors.ts";
import { openStudy } from "../study/open-study.ts";
import { builtinSuiteIds, caseFileOrBuiltinSuite, resolveBuiltinSuite } from "../suites/builtin-suites.ts";
import { readCaseFile } from "../suites/load-case-file.ts";
import type { EvaluationText, TrainingText } from "./contamination.ts";
import { readRecordFile } from "./read-records.ts";
import { REASONING_COLUMNS } from "./sources.ts";
import { readTrainingLine } from "./training-example.ts";

export interface EvaluationSuite {
  id: string;
  /** Where the suite was named: a study file, `--suite`, or `built-in`. */
  from: string;
  cases: number;
}

/** Splits that hold training material, never evaluated: left out of a suite's evaluation cases. */
const TRAINING_SPLITS = new Set(["train", "validation"]);

/**
 * The case texts (presentation or report) of the suites that studies name, of suites given directly, and
 * of the built-in suites. A study's suite is taken as the study runs it (its split); other suites without
 * their train and validation splits. A suite named twice is read once.
 */
export async function loadEvaluationTexts(options: {
  studies?: readonly string[];
  suites?: readonly string[];
  builtin: boolean;
}): Promise<{ suites: EvaluationSuite[]; texts: EvaluationText[] }> {
  const suites: EvaluationSuite[] = [];
  const texts: EvaluationText[] = [];
  const add = (id: string, from: string, cases: readonly Case[]) => {
    if (suites.some((suite) => suite.id === id)) return;
    const withText = cases.flatMap((testCase) => {
      const text = caseText(testCase);
      return text === undefined ? [] : [{ suite: id, caseId: testCase.id, text }];
    });
    suites.push({ id, from, cases: withText.length });
    texts.push(...withText);
  };
  for (const path of options.studies ?? []) {
    const { suite } = await openStudy(path);
    add(suite.id, path, suite.cases);
  }
  for (const name of options.suites ?? []) {
    const { id, cases } = await readEvaluationSuite(name);
    add(id, "--suite", cases);
  }
  if (options.builtin) {
    // Every version of every built-in suite, each once (a bare name is also its latest version).
    const paths = new Set<string>();
    for (const name of builtinSuiteIds()) {
      const { path, reportId } = resolveBuiltinSuite(name);
      if (paths.has(path)) continue;
      paths.add(path);
      add(reportId, "built-in", (await readEvaluationSuite(name)).cases);
    }
  }
  return { suites, texts };
}

async function readEvaluationSuite(name: string): Promise<{ id: string; cases: Case[] }> {
  const { path, id: builtinId } = caseFileOrBuiltinSuite(name);
  const id = builtinId ?? basename(path, extname(path));
  const { suite, problems } = await readCaseFile(path, { requiredFields: [], id });
  if (problems.length > 0) throw problems.length === 1 ? problems[0] : new InputErrors(problems);
  return { id, cases: suite.cases.filter((testCase) => !TRAINING_SPLITS.has(String(testCase.split))) };
}

/** The text a case gives the model: its presentation (diagnosis) or report (triage). */
export function caseText(testCase: Case): string | undefined {
  for (const field of ["presentation", "text"]) {
    const value = testCase[field];
    if (typeof value === "string" && value.trim() !== "") return value;
  }
  return undefined;
}

/**
 * The texts of a training file: chat, ShareGPT or Alpaca lines (user and assistant turns), medical-o1-style
 * records (question, reasoning, response), or else every text field of the record.
 */
export async function readTrainingTexts(path: string): Promise<TrainingText[]> {
  const file = await readRecordFile(path);
  return file.records.map((record) => {
    const origin = `${path}:${record.line}`;
    const turns = readTrainingLine(record.values);
    if (turns) return { origin, text: `${turns.prompt}\n${turns.response}` };
    const reasoningColumns = Object.values(REASONING_COLUMNS);
    const columns = reasoningColumns.every((column) => typeof record.values[column] === "string")
      ? reasoningColumns
      : Object.keys(record.values);
    const text = columns
      .map((column) => record.values[column])
      .filter((value): value is string => typeof value === "string")
      .join("\n");
    return { origin, text };
  });
}
