import { rankAnswers } from "../../src/tasks/diagnosis/grade.ts";

/** What the project's grader says about a list of answers for one reference. */
export interface GraderDecision {
  /** Strict grading: a strict match is among the answers. */
  strict: boolean;
  /** Lenient grading: a strict match or a fuzzy suggestion is among the answers. */
  lenient: boolean;
  /** No strict match, and an answer is a name the terminology files above the reference (rung `broader`). */
  broader: boolean;
}

/**
 * The one place the benchmark calls the project's grading. A single answer is graded as a list of one.
 * When the grading ladder changes its API, only this function changes.
 */
export function gradeWithProject(
  answers: readonly string[],
  reference: { diagnosis: string; accept: readonly string[] },
): GraderDecision {
  const ranked = rankAnswers(answers, reference);
  const strict = ranked.rank !== null;
  return {
    strict,
    lenient: ranked.lenientRank !== null,
    broader: !strict && (ranked.decisions ?? []).some((decision) => decision.rung === "broader"),
  };
}
