import type { Case } from "../core/case.ts";
import type { Completion } from "../core/chat.ts";
import type { AutomaticErrorMode } from "../core/error-modes.ts";
import { DEFAULT_TRIAGE_LABELS, type TaskName } from "../core/study.ts";
import type { Grade } from "../tasks/task.ts";
import { diagnosisMeasures } from "./diagnosis-measures.ts";
import type { AnsweredJob } from "./graded-job.ts";
import type { CaseRow, TaskModelMeasures } from "./report-types.ts";
import { triageMeasures } from "./triage-measures.ts";

export interface MeasureContext {
  topK: number;
  /** Confidence level of the intervals. */
  level: number;
}

export type TaskRowFields = Pick<
  CaseRow,
  | "rung"
  | "rank"
  | "lenientRank"
  | "needsReview"
  | "answers"
  | "reference"
  | "suggestion"
  | "predicted"
  | "judge"
  | "probabilities"
  | "answerRungs"
  | "answerConcepts"
  | "referenceConcepts"
>;

/**
 * The task-specific part of the analysis. Each study design fills in its own measures;
 * everything else (counts, accuracy, comparisons, subgroups) is shared.
 */
export interface TaskMeasures {
  /** Whether a graded answer counts as correct under strict and under lenient grading. */
  correctness(grade: Grade, context: MeasureContext): { strict: boolean; lenient: boolean };
  /** Extra per-model fields, from the model's answered jobs of the primary sample. */
  modelMeasures(jobs: readonly AnsweredJob[], context: MeasureContext): TaskModelMeasures;
  /** The task's columns of a cases.csv row; `grade` is null for error jobs. */
  rowFields(testCase: Case, grade: Grade | null): TaskRowFields;
  /** The reasoning error modes pre-flagged for an answer, for tasks that have them (diagnosis). */
  errorModes?(testCase: Case, completion: Completion, grade: Grade): AutomaticErrorMode[];
}

/** For tasks without measures of their own: correct means outcome `correct`, under either grading. */
export const outcomeOnlyMeasures: TaskMeasures = {
  correctness(grade) {
    const correct = grade.outcome === "correct";
    return { strict: correct, lenient: correct };
  },
  modelMeasures() {
    return {};
  },
  rowFields() {
    return {
      rung: null,
      rank: null,
      lenientRank: null,
      needsReview: null,
      answers: [],
      reference: null,
      suggestion: null,
    };
  },
};

/** The measures of a study design; `labels` are a triage study's labels, least to most severe. */
export function measuresForTask(task: TaskName, labels?: readonly string[]): TaskMeasures {
  switch (task) {
    case "diagnosis":
      return diagnosisMeasures;
    case "triage":
      return triageMeasures(labels ?? DEFAULT_TRIAGE_LABELS);
    default:
      return outcomeOnlyMeasures;
  }
}
