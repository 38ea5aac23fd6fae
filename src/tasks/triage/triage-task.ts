import type { TriageCase } from "../../core/case.ts";
import type { Completion } from "../../core/chat.ts";
import { InputError } from "../../core/errors.ts";
import type { Study } from "../../core/study.ts";
import type { Task } from "../task.ts";
import { extractLabel } from "./extract-label.ts";
import { labelAtThreshold, labelProbabilities } from "./probabilities.ts";
import { parseTemplate, triageLabels, triageMessages, triageResponseSchema } from "./prompt.ts";
import type { TriageGrade } from "./triage-grade.ts";

/**
 * A truncated answer has no label, whatever it said before the cut; otherwise the label extracted from
 * the answer is correct when it is the case's reference label. An answer with per-label probabilities keeps
 * them; with the study's `threshold` its label is the most severe one when that probability reaches it.
 */
export function gradeTriage(
  testCase: TriageCase,
  completion: Completion,
  study: Pick<Study, "labels" | "threshold">,
): TriageGrade {
  if (completion.finishReason === "length") return { outcome: "truncated", predicted: null };
  const labels = triageLabels(study);
  const probabilities = labelProbabilities(completion.text, labels);
  const predicted =
    probabilities !== null && study.threshold !== undefined
      ? labelAtThreshold(probabilities, labels, study.threshold)
      : extractLabel(completion.text, labels);
  const given = probabilities === null ? {} : { probabilities };
  if (predicted === null) return { outcome: "unparseable", predicted, ...given };
  return { outcome: predicted === testCase.label ? "correct" : "incorrect", predicted, ...given };
}

/** One InputError per case whose label is not in the study's label set. */
export function checkTriageCase(
  testCase: TriageCase,
  study: Pick<Study, "labels" | "suite">,
): InputError | undefined {
  const labels = triageLabels(study);
  if (labels.includes(testCase.label)) return undefined;
  const column = study.suite.fields?.label;
  const field = column === undefined || column === "label" ? "label" : `${column} (mapped to label)`;
  const near = labels.find(
    (label) => label.trim().toLowerCase() === String(testCase.label).trim().toLowerCase(),
  );
  const hint = near === undefined ? "" : ` (labels must match exactly: did you mean "${near}"?)`;
  return new InputError(
    `case "${testCase.id}": label ${JSON.stringify(testCase.label)} is not one of the study's labels ` +
      `${labels.join(", ")}${hint}`,
    { file: study.suite.path, field },
    "invalid-case",
  );
}

/**
 * The report-triage study: ask for one label of the study's ordered label set as JSON, extract it from
 * whatever came back, and grade it against the case's reference label.
 */
export const triageTask: Task<TriageCase, TriageGrade> = {
  name: "triage",
  requiredFields: ["text", "label"],
  prompt: (testCase, study, template) => triageMessages(testCase, study, template),
  caseText: (testCase) => testCase.text,
  responseSchema: (study) => triageResponseSchema(triageLabels(study)),
  grade: (testCase, completion, study) => gradeTriage(testCase, completion, study),
  checkCase: (testCase, study) => checkTriageCase(testCase, study),
  checkTemplate: (template, file) => void parseTemplate(template, file),
};
