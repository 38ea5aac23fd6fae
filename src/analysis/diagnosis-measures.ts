import type { Case, DiagnosisCase } from "../core/case.ts";
import { ClinvalError } from "../core/errors.ts";
import type { DiagnosisGrade } from "../tasks/diagnosis/diagnosis-grade.ts";
import { detectErrorModes } from "../tasks/diagnosis/error-modes.ts";
import type { Grade } from "../tasks/task.ts";
import type { AnsweredJob } from "./graded-job.ts";
import { wilsonProportion } from "./proportion.ts";
import type { Proportion } from "./report-types.ts";
import type { MeasureContext, TaskMeasures } from "./task-measures.ts";

/** Per-model fields of a diagnosis study. */
export interface DiagnosisModelMeasures {
  /** Strict top-j accuracy for j = 1, 3 and k (only j ≤ k), keyed by String(j). */
  topk: Record<string, Proportion | null>;
  /** The same with fuzzy suggestions counted as matches. */
  lenientTopk: Record<string, Proportion | null>;
  /** Mean reciprocal rank of the strict match (0 when none), over n; null when n = 0. */
  mrr: number | null;
  lenientMrr: number | null;
  /** Answers whose only match was a fuzzy suggestion a person should check. */
  needsReview: number;
}

export function isDiagnosisGrade(grade: Grade): grade is DiagnosisGrade {
  const candidate = grade as Partial<DiagnosisGrade>;
  return (
    Array.isArray(candidate.answers) &&
    candidate.rank !== undefined &&
    candidate.lenientRank !== undefined &&
    typeof candidate.needsReview === "boolean"
  );
}

function requireDiagnosisGrade(grade: Grade): DiagnosisGrade {
  if (!isDiagnosisGrade(grade)) {
    throw new ClinvalError(
      "invalid-grade",
      "a diagnosis study needs diagnosis grades (answers, rank, lenientRank)",
    );
  }
  return grade;
}

/** A truncated or unparseable answer has no rank, whatever was extracted from it. */
function answered(grade: DiagnosisGrade): boolean {
  return grade.outcome !== "truncated" && grade.outcome !== "unparseable";
}

function strictRank(grade: DiagnosisGrade): number | null {
  return answered(grade) ? grade.rank : null;
}

function lenientRank(grade: DiagnosisGrade): number | null {
  return answered(grade) ? (grade.lenientRank ?? grade.rank) : null;
}

/** The ranks reported as top-j accuracy: 1, 3 and k, those not above k, without repeats. */
export function topRanks(topK: number): number[] {
  return [...new Set([1, 3, topK])].filter((rank) => rank <= topK).sort((left, right) => left - right);
}

function topAccuracy(
  ranks: Array<number | null>,
  context: MeasureContext,
): Record<string, Proportion | null> {
  const table: Record<string, Proportion | null> = {};
  for (const limit of topRanks(context.topK)) {
    const hits = ranks.filter((rank) => rank !== null && rank <= limit).length;
    table[String(limit)] = wilsonProportion(hits, ranks.length, context.level);
  }
  return table;
}

function meanReciprocalRank(ranks: Array<number | null>): number | null {
  if (ranks.length === 0) return null;
  const sum = ranks.reduce<number>((total, rank) => total + (rank === null ? 0 : 1 / rank), 0);
  return sum / ranks.length;
}

/** `answer: verdict — rationale` for each answer the judge decided, joined by ` | `; null when none. */
function judgeText(grade: DiagnosisGrade): string | null {
  const judged = (grade.ladder ?? []).filter((step) => step.rung === "judge");
  if (judged.length === 0) return null;
  return judged.map((step) => `${step.answer}: ${step.decision} — ${step.rationale ?? ""}`).join(" | ");
}

export const diagnosisMeasures: TaskMeasures = {
  correctness(grade, context) {
    const diagnosis = requireDiagnosisGrade(grade);
    const strict = diagnosis.outcome === "correct";
    const rank = lenientRank(diagnosis);
    return { strict, lenient: strict || (rank !== null && rank <= context.topK) };
  },

  modelMeasures(jobs: readonly AnsweredJob[], context) {
    const grades = jobs.map((job) => requireDiagnosisGrade(job.grade));
    const strictRanks = grades.map(strictRank);
    const lenientRanks = grades.map(lenientRank);
    return {
      topk: topAccuracy(strictRanks, context),
      lenientTopk: topAccuracy(lenientRanks, context),
      mrr: meanReciprocalRank(strictRanks),
      lenientMrr: meanReciprocalRank(lenientRanks),
      needsReview: grades.filter((grade) => grade.needsReview).length,
    };
  },

  rowFields(testCase: Case, grade: Grade | null) {
    const reference = typeof testCase.diagnosis === "string" ? testCase.diagnosis : null;
    if (grade === null) {
      return {
        rung: null,
        rank: null,
        lenientRank: null,
        needsReview: null,
        answers: [],
        reference,
        suggestion: null,
      };
    }
    const diagnosis = requireDiagnosisGrade(grade);
    return {
      rung: diagnosis.rung,
      rank: diagnosis.rank,
      lenientRank: diagnosis.lenientRank,
      needsReview: diagnosis.needsReview,
      answers: diagnosis.answers,
      reference,
      suggestion: diagnosis.suggestion,
      ...(diagnosis.ladder === undefined ? {} : { judge: judgeText(diagnosis) }),
      ...(diagnosis.decisions === undefined
        ? {}
        : {
            answerRungs: diagnosis.decisions.map((decision) => decision.rung),
            answerConcepts: diagnosis.decisions.map((decision) => decision.answerConcepts),
            referenceConcepts: diagnosis.decisions[0]?.referenceConcepts ?? [],
          }),
    };
  },

  errorModes(testCase, completion, grade) {
    return detectErrorModes(testCase as DiagnosisCase, completion, requireDiagnosisGrade(grade)).map(
      (flag) => flag.mode,
    );
  },
};
