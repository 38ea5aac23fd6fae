import { type JudgeVerdict, pairKey, type StoredDecisions } from "../core/adjudication.ts";
import type { Case, DiagnosisCase } from "../core/case.ts";
import type { Study } from "../core/study.ts";
import { jobId } from "../runner/job-id.ts";
import type { JobResult } from "../runner/job-result.ts";
import type { LadderStep } from "../tasks/diagnosis/diagnosis-grade.ts";
import { gradeDiagnosis } from "../tasks/diagnosis/grade.ts";

/** One listed answer of one job, with its step on the grading ladder. */
export interface GradedAnswer {
  modelId: string;
  caseId: string;
  sample: number;
  reference: string;
  step: LadderStep;
  /** For a fuzzy suggestion: its similarity to the reference name it resembles. */
  similarity: number | null;
}

/**
 * Every answer of a diagnosis run's answered jobs that grading looked at (up to each job's first strict
 * match), graded with the stored `decisions`. A job stored twice counts once (its answer wins).
 */
export function gradedAnswers(
  study: Pick<Study, "topK">,
  cases: readonly Case[],
  results: readonly JobResult[],
  decisions: StoredDecisions,
): GradedAnswer[] {
  const byId = new Map(cases.map((testCase) => [testCase.id, testCase as DiagnosisCase]));
  const seen = new Set<string>();
  const answers: GradedAnswer[] = [];
  for (const result of results) {
    const testCase = byId.get(result.caseId);
    const id = jobId(result.modelId, result.caseId, result.sample);
    if (result.completion === null || testCase === undefined || seen.has(id)) continue;
    seen.add(id);
    const grade = gradeDiagnosis(testCase, result.completion, study, undefined, decisions);
    for (const step of grade.ladder ?? []) {
      answers.push({
        modelId: result.modelId,
        caseId: result.caseId,
        sample: result.sample,
        reference: testCase.diagnosis,
        step,
        similarity: grade.suggestion?.answer === step.answer ? grade.suggestion.similarity : null,
      });
    }
  }
  return answers;
}

/** A (reference, answer) pair, once however many jobs gave it. */
export interface AnswerPair {
  reference: string;
  answer: string;
}

/** The distinct pairs among `answers` (by `pairKey`), in order of first appearance. */
export function distinctPairs(answers: readonly Pick<GradedAnswer, "reference" | "step">[]): AnswerPair[] {
  const pairs = new Map<string, AnswerPair>();
  for (const { reference, step } of answers) {
    const key = pairKey(reference, step.answer);
    if (!pairs.has(key)) pairs.set(key, { reference, answer: step.answer });
  }
  return [...pairs.values()];
}

/** Answers the terminology's rungs left undecided: no strict match, at most a fuzzy suggestion. */
export function isUndecided(step: LadderStep): boolean {
  return step.rung === null || step.rung === "fuzzy";
}

/** Why a pair waits for a clinician: nothing decided it, a fuzzy suggestion only, or only the judge. */
export type PendingReason = "undecided" | "fuzzy" | "judge";

/** A pair a clinician should decide, with what grading knows about it. */
export interface PendingPair extends AnswerPair {
  reason: PendingReason;
  /** The judge's verdict and rationale, when it gave one. */
  judgeVerdict: JudgeVerdict | null;
  judgeRationale: string | null;
  /** For a fuzzy suggestion, its similarity (0–1). */
  similarity: number | null;
  /** The jobs that gave this answer for this reference. */
  models: string[];
  cases: string[];
  /** How many answers (jobs) the decision would settle. */
  count: number;
}

/**
 * The pairs of a run waiting for a clinician: answers the terminology left undecided (fuzzy suggestions
 * included) and answers decided only by the judge, most frequent first. Pairs a clinician decided are
 * not pending.
 */
export function pendingPairs(answers: readonly GradedAnswer[]): PendingPair[] {
  const pending = new Map<string, PendingPair>();
  for (const graded of answers) {
    const { step, reference } = graded;
    const reason: PendingReason | null =
      step.rung === "judge"
        ? "judge"
        : step.rung === "fuzzy"
          ? "fuzzy"
          : step.rung === null
            ? "undecided"
            : null;
    if (reason === null) continue;
    const key = pairKey(reference, step.answer);
    let pair = pending.get(key);
    if (pair === undefined) {
      pair = {
        reference,
        answer: step.answer,
        reason,
        judgeVerdict: reason === "judge" ? (step.decision as JudgeVerdict) : null,
        judgeRationale: reason === "judge" ? (step.rationale ?? null) : null,
        similarity: graded.similarity,
        models: [],
        cases: [],
        count: 0,
      };
      pending.set(key, pair);
    }
    if (!pair.models.includes(graded.modelId)) pair.models.push(graded.modelId);
    if (!pair.cases.includes(graded.caseId)) pair.cases.push(graded.caseId);
    pair.count += 1;
  }
  return [...pending.values()].sort((first, second) => second.count - first.count);
}
