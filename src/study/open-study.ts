import type { Suite } from "../core/case.ts";
import { InputError, InputErrors, type InputLocation } from "../core/errors.ts";
import { type Study, TASKS, type TaskName } from "../core/study.ts";
import { resolveBuiltinSuite } from "../suites/builtin-suites.ts";
import { readCaseFile } from "../suites/load-case-file.ts";
import { readTextFile } from "../suites/read-text-file.ts";
import { taskFor } from "../tasks/index.ts";
import { safetyCases } from "../tasks/safety/safety-cases.ts";
import type { Task } from "../tasks/task.ts";
import { checkStudyFiles } from "./check-study-files.ts";
import { loadStudy, studyLocation } from "./load-study.ts";

/** Everything a run needs that comes from the study file: the study, its cases, its task, its prompt template. */
export interface OpenedStudy {
  study: Study;
  suite: Suite;
  task: Task;
  template?: string;
  /** Things worth saying that do not stop a run (a subgroup field that some cases lack). */
  warnings: string[];
}

export async function openStudy(path: string): Promise<OpenedStudy> {
  return prepareStudy(await loadStudy(path));
}

/**
 * Loads the suite, task and template of an already validated study, and checks the cases against the
 * study (e.g. triage labels outside the study's label set).
 */
export async function prepareStudy(study: Study): Promise<OpenedStudy> {
  const fileProblems = await Promise.all(
    checkStudyFiles(study).map(
      async (problem) => new InputError(problem.message, await locate(study, problem.field), "invalid-study"),
    ),
  );
  if (fileProblems.length > 0) {
    throw fileProblems.length === 1 ? fileProblems[0] : new InputErrors(fileProblems);
  }
  const task = await taskFor(study.task);
  const builtin = study.suite.id === undefined ? undefined : resolveBuiltinSuite(study.suite.id);
  const read = async (name: TaskName) =>
    readCaseFile(builtin?.path ?? (study.suite.path as string), {
      requiredFields: (await taskFor(name)).requiredFields,
      fields: study.suite.fields,
      split: study.suite.split,
      id: builtin?.reportId,
    });
  const { suite, problems, lines } = await read(task.name);
  if (problems.length > 0) {
    // The cases of another design: one problem at the study's `task`, not one per case.
    for (const other of TASKS.filter((name) => name !== task.name)) {
      if ((await read(other)).problems.length === 0) {
        throw new InputError(
          `the suite holds ${other} cases (${(await taskFor(other)).requiredFields.join(", ")}), not ${task.name} cases: is the task ${other}?`,
          await locate(study, ["task"]),
        );
      }
    }
    throw problems.length === 1 ? problems[0] : new InputErrors(problems);
  }
  const caseProblems = suite.cases.flatMap((testCase) => {
    const problem = task.checkCase?.(testCase, study);
    if (problem === undefined) return [];
    const { message, location, code } = problem;
    const line = location.line ?? lines.get(testCase.id);
    return [new InputError(message, { ...location, file: location.file ?? suite.source, line }, code)];
  });
  if (caseProblems.length > 0) throw new InputErrors(caseProblems);
  if (study.safety) suite.cases = await safetyCases(study, suite.cases, (field) => locate(study, field));
  const template = study.prompt ? (await readTextFile(study.prompt, "prompt template")).text : undefined;
  if (template !== undefined) task.checkTemplate?.(template, study.prompt);
  return { study, suite, task, template, warnings: await checkSubgroups(study, suite) };
}

/** A subgroup field must be in at least one case; one that some cases lack is worth a warning. */
async function checkSubgroups(study: Study, suite: Suite): Promise<string[]> {
  const warnings: string[] = [];
  const problems: InputError[] = [];
  for (const [index, field] of study.subgroups.entries()) {
    const missing = suite.cases.filter((testCase) => {
      const value = (testCase as Record<string, unknown>)[field];
      return value === undefined || value === null || value === "";
    }).length;
    if (missing === suite.cases.length) {
      const location = await locate(study, ["subgroups", index]);
      problems.push(new InputError(`no case of ${suite.source} has the field "${field}"`, location));
    } else if (missing > 0) {
      warnings.push(
        `subgroup "${field}": ${missing} of ${suite.cases.length} cases lack the field; they form no stratum`,
      );
    }
  }
  if (problems.length > 0) throw problems.length === 1 ? problems[0] : new InputErrors(problems);
  return warnings;
}

/** The study file's line of a field, when the study came from a file. */
function locate(study: Study, field: Array<string | number>): Promise<InputLocation> | InputLocation {
  return study.file ? studyLocation(study.file, field) : { field: field.join(".") };
}
