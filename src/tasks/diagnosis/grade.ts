import type { StoredDecisions } from "../../core/adjudication.ts";
import type { DiagnosisCase } from "../../core/case.ts";
import type { Completion } from "../../core/chat.ts";
import type { Study } from "../../core/study.ts";
import { terminologyWithOverlays } from "../../terminology/load-terminology.ts";
import type { Terminology } from "../../terminology/terminology.ts";
import type { AnswerDecision, DiagnosisGrade, LadderStep, MatchRung } from "./diagnosis-grade.ts";
import { extractListedDiagnoses } from "./extract.ts";
import { decide } from "./ladder.ts";
import {
  type PreparedReference,
  preparedFor,
  prepareReference,
  type ReferenceNames,
} from "./prepared-reference.ts";

export type { ReferenceNames } from "./prepared-reference.ts";

/** Lenient grading counts a broader answer when it is at most this many `is_a` steps above the reference. */
export const LENIENT_BROADER_DISTANCE = 1;

export interface GradingOptions {
  /** Default: the shipped terminology with the study's overlays (`study.terminology`). */
  terminology?: Terminology;
  /**
   * Stored decisions, looked up by (reference diagnosis, listed answer): a clinician's decision is the top
   * rung; the judge's verdict is used only for answers every other rung left undecided.
   */
  decisions?: StoredDecisions;
}

/**
 * Grades one listed answer on the ladder (see AnswerRung), stopping at the first rung that decides.
 * `excluded` says the entry's explanation excludes it (from extraction: "PE – excluded by D-dimer").
 */
export function gradeAnswer(
  answer: string,
  reference: ReferenceNames,
  options: GradingOptions & { excluded?: boolean } = {},
): AnswerDecision {
  const terminology = options.terminology ?? terminologyWithOverlays([]);
  return decide(
    answer,
    options.excluded ?? false,
    prepareReference(reference, terminology),
    terminology,
    options.decisions,
  );
}

/** The grade of a list of answers (already cut to k): one decision each, rank and rung of the first correct. */
export function rankAnswers(
  answers: ReadonlyArray<string | { name: string; excluded: boolean }>,
  reference: ReferenceNames,
  options: GradingOptions = {},
): Omit<DiagnosisGrade, "outcome" | "answers"> {
  const terminology = options.terminology ?? terminologyWithOverlays([]);
  return rankPrepared(answers, prepareReference(reference, terminology), terminology, options.decisions);
}

function rankPrepared(
  answers: ReadonlyArray<string | { name: string; excluded: boolean }>,
  reference: PreparedReference,
  terminology: Terminology,
  decisions: StoredDecisions | undefined,
): Omit<DiagnosisGrade, "outcome" | "answers"> {
  let rank: number | null = null;
  let rung: MatchRung | null = null;
  let lenientRank: number | null = null;
  let suggestion: DiagnosisGrade["suggestion"] = null;
  const graded: AnswerDecision[] = [];
  answers.forEach((listed, index) => {
    const name = typeof listed === "string" ? listed : listed.name;
    const excluded = typeof listed === "string" ? false : listed.excluded;
    const answer = decide(name, excluded, reference, terminology, decisions);
    graded.push(answer);
    if (rank !== null) return;
    if (answer.correct === true) {
      rank = index + 1;
      rung = answer.rung as MatchRung;
      lenientRank ??= index + 1;
      return;
    }
    const lenient =
      (answer.rung === "broader" &&
        (answer.distance ?? Number.POSITIVE_INFINITY) <= LENIENT_BROADER_DISTANCE) ||
      (answer.rung === "undecided" && answer.matched !== null);
    if (lenient && lenientRank === null) {
      lenientRank = index + 1;
      if (answer.rung === "undecided" && answer.matched !== null) {
        suggestion = {
          answer: name,
          reference: answer.matched,
          similarity: answer.similarity ?? 1,
        };
      }
    }
  });
  const result = { rank, rung, lenientRank, needsReview: suggestion !== null, suggestion, decisions: graded };
  if (decisions === undefined) return result;
  const looked = rank === null ? graded : graded.slice(0, rank);
  return { ...result, ladder: looked.map(ladderStep) };
}

/** A decision as the judge and adjudication read the ladder (see LadderStep). */
function ladderStep(decision: AnswerDecision): LadderStep {
  const fromJudge = decision.rationale !== undefined;
  const rung = fromJudge
    ? "judge"
    : decision.rung === "undecided"
      ? decision.matched === null
        ? null
        : "fuzzy"
      : decision.rung;
  return {
    answer: decision.answer,
    rung,
    ...(decision.decision === undefined ? {} : { decision: decision.decision }),
    ...(decision.rationale === undefined ? {} : { rationale: decision.rationale }),
  };
}

const NO_MATCH = { rank: null, rung: null, lenientRank: null, needsReview: false, suggestion: null } as const;

/**
 * Grades a completion for a diagnosis case. Cut off by the token limit → `truncated` (the answers
 * extracted so far are kept for the reader, but never count, so no rank is set); nothing extracted →
 * `unparseable`; otherwise `correct` when a correct answer (see AnswerRung) is among the first
 * `study.topK` answers, else `incorrect`. With stored `decisions`, a clinician's decision comes before every
 * rung and the judge's verdict decides what the rungs left undecided; `ladder` then records each answer's
 * step up to the first correct one. Pure: the terminology is loaded once per process.
 */
export function gradeDiagnosis(
  testCase: DiagnosisCase,
  completion: Completion,
  study: Pick<Study, "topK"> & { terminology?: readonly string[] },
  terminology: Terminology = terminologyWithOverlays(study.terminology ?? []),
  decisions?: StoredDecisions,
): DiagnosisGrade {
  const listed = extractListedDiagnoses(completion.text, study.topK);
  const answers = listed.map((item) => item.name);
  if (completion.finishReason === "length") return { outcome: "truncated", answers, ...NO_MATCH };
  if (answers.length === 0) return { outcome: "unparseable", answers, ...NO_MATCH };
  const ranked = rankPrepared(listed, preparedFor(testCase, terminology), terminology, decisions);
  return { outcome: ranked.rank === null ? "incorrect" : "correct", answers, ...ranked };
}

/**
 * How one answer matched a reference, for readers that need only that (error modes, the workbench's case
 * page): the rung of a correct answer, `fuzzy` for an undecided answer with a suggestion, else null.
 */
export interface AnswerMatch {
  rung: MatchRung | "fuzzy";
  /** The reference or accepted name (or the concept's name) that matched. */
  reference: string;
  /** 0–1: the similarity of a fuzzy suggestion; 1 otherwise. */
  similarity: number;
}

/** `gradeAnswer` reduced to an AnswerMatch, for many answers to one reference, prepared once. */
export function answerMatcher(
  reference: ReferenceNames,
  terminology: Terminology = terminologyWithOverlays([]),
): (answer: string) => AnswerMatch | null {
  const prepared = prepareReference(reference, terminology);
  return (answer) => {
    const decided = decide(answer, false, prepared, terminology, undefined);
    if (decided.correct === true) {
      return {
        rung: decided.rung as MatchRung,
        reference: decided.matched ?? reference.diagnosis,
        similarity: 1,
      };
    }
    if (decided.rung === "undecided" && decided.matched !== null) {
      return { rung: "fuzzy", reference: decided.matched, similarity: decided.similarity ?? 1 };
    }
    return null;
  };
}

/** One answer against one reference: see answerMatcher. */
export function matchAnswer(
  answer: string,
  reference: ReferenceNames,
  terminology: Terminology = terminologyWithOverlays([]),
): AnswerMatch | null {
  return answerMatcher(reference, terminology)(answer);
}
