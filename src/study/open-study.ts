import type { Suite } from "../core/case.ts";
import { InputError, InputErrors } from "../core/errors.ts";
import type { Study } from "../core/study.ts";
import { builtinSuitePath } from "../suites/builtin-suites.ts";
import { readCaseFile } from "../suites/load-case-file.ts";
import { readTextFile } from "../suites/read-text-file.ts";
import { taskFor } from "../tasks/index.ts";
import type { Task } from "../tasks/task.ts";
import { loadStudy } from "./load-study.ts";

/** Everything a run needs that comes from the study file: the study, its cases, its task, its prompt template. */
export interface OpenedStudy {
  study: Study;
  suite: Suite;
  task: Task;
  template?: string;
}

export async function openStudy(path: string): Promise<OpenedStudy> {
  return prepareStudy(await loadStudy(path));
}

/**
 * Loads the suite, task and template of an already validated study, and checks the cases against the
 * study (e.g. triage labels outside the study's label set).
 */
export async function prepareStudy(study: Study): Promise<OpenedStudy> {
  const task = await taskFor(study.task);
  const builtin = study.suite.id;
  const { suite, problems, lines } = await readCaseFile(
    builtin ? builtinSuitePath(builtin) : (study.suite.path as string),
    {
      requiredFields: task.requiredFields,
      fields: study.suite.fields,
      split: study.suite.split,
      id: builtin,
    },
  );
  if (problems.length > 0) throw problems.length === 1 ? problems[0] : new InputErrors(problems);
  const caseProblems = suite.cases.flatMap((testCase) => {
    const problem = task.checkCase?.(testCase, study);
    if (problem === undefined) return [];
    const { message, location, code } = problem;
    const line = location.line ?? lines.get(testCase.id);
    return [new InputError(message, { ...location, file: location.file ?? suite.source, line }, code)];
  });
  if (caseProblems.length > 0) throw new InputErrors(caseProblems);
  const template = study.prompt ? (await readTextFile(study.prompt, "prompt template")).text : undefined;
  return { study, suite, task, template };
}
