import type { DiagnosisCase } from "../../core/case.ts";
import type { Task } from "../task.ts";
import type { DiagnosisGrade } from "./diagnosis-grade.ts";
import { gradeDiagnosis } from "./grade.ts";
import { diagnosisMessages, diagnosisResponseSchema, parseTemplate } from "./prompt.ts";

/**
 * The differential-diagnosis study: ask for the top-k preliminary diagnoses as JSON, extract them from
 * whatever came back, and grade them on the ladder of docs/decisions/0012-grading-ladder.md.
 */
export const diagnosisTask: Task<DiagnosisCase, DiagnosisGrade> = {
  name: "diagnosis",
  requiredFields: ["presentation", "diagnosis"],
  prompt: (testCase, study, template) => diagnosisMessages(testCase, study, template),
  caseText: (testCase) => testCase.presentation,
  responseSchema: (study) => diagnosisResponseSchema(study.topK),
  grade: (testCase, completion, study, decisions) =>
    gradeDiagnosis(testCase, completion, study, undefined, decisions),
  checkTemplate: (template, file) => void parseTemplate(template, file),
};
