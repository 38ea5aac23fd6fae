import { basename } from "node:path";
import type { PromptAppendix } from "../analysis/index.ts";
import type { Case } from "../core/case.ts";
import type { Study } from "../core/study.ts";
import { readTextFile } from "../suites/read-text-file.ts";
import type { Task } from "../tasks/task.ts";

/** A case whose every text field is its own placeholder, so the built-in prompt shows where each goes. */
function placeholderCase(study: Study): Case {
  return study.task === "triage"
    ? ({ id: "{{id}}", text: "{{text}}", label: "{{label}}" } as Case)
    : ({ id: "{{id}}", presentation: "{{presentation}}", diagnosis: "{{diagnosis}}" } as Case);
}

/**
 * The prompt the models were given, verbatim, for the report's appendix: the study's template file as it
 * is (it is the whole prompt, one user message), or the built-in messages with the case's fields as
 * placeholders. `template` is the text the run used, when the caller has it; otherwise the file is read.
 */
export async function promptAppendix(study: Study, task: Task, template?: string): Promise<PromptAppendix> {
  if (study.prompt === undefined) {
    return { source: "built-in", file: null, messages: task.prompt(placeholderCase(study), study) };
  }
  let text = template;
  if (text === undefined) {
    try {
      text = (await readTextFile(study.prompt, "prompt template")).text;
    } catch {
      return {
        source: "study template",
        file: basename(study.prompt),
        messages: [],
        note: "The template file could not be read when this report was built; it is not shown.",
      };
    }
  }
  return {
    source: "study template",
    file: basename(study.prompt),
    messages: [{ role: "user", content: text }],
  };
}
