import type { Grade } from "../task.ts";

/**
 * The rung of the grading ladder that decided one listed answer (docs/decisions/0012-grading-ladder.md):
 * - `clinician`: a stored clinician decision on this (reference, answer) pair;
 * - `excluded`: the answer excludes itself ("ruled out", "unlikely", "not X") — never correct;
 * - `rejected`: the case's `reject` list names the answer or a broader concept of it — incorrect;
 * - `exact`: the reference diagnosis after normalisation; `accepted`: one of the case's `accept` names;
 * - `synonym`: another name of the same concept; `more-specific`: a descendant of the reference concept;
 * - `spelling`: a misspelling of exactly one concept that is the reference or more specific;
 * - `composite`: "X secondary to / due to / with / from Y" with a part that is correct;
 * - `broader`: an ancestor of the reference — incorrect (lenient grading counts it within a set distance);
 * - `different`: a concept the terminology does not relate to the reference — incorrect;
 * - `judge`: a local judge's verdict on an answer the rungs above left undecided;
 * - `undecided`: nothing above decided: needs a person (or the judge).
 */
export type AnswerRung =
  | "clinician"
  | "excluded"
  | "rejected"
  | "exact"
  | "accepted"
  | "synonym"
  | "more-specific"
  | "spelling"
  | "composite"
  | "broader"
  | "different"
  | "judge"
  | "undecided";

/** The rungs that can make an answer correct. */
export type MatchRung = Extract<
  AnswerRung,
  "clinician" | "exact" | "accepted" | "synonym" | "more-specific" | "spelling" | "composite" | "judge"
>;

/** The rungs that decide a strict match: the terminology's, and the stored decisions' (clinician, judge). */
export type DecidingRung = MatchRung;

/**
 * How one listed answer was decided, up to the first strict match, as the judge and adjudication read it:
 * the rung (`fuzzy` for an undecided answer with a suggestion, null for one without), and for stored
 * decisions the clinician's decision or the judge's verdict and rationale.
 */
export interface LadderStep {
  answer: string;
  rung: Exclude<AnswerRung, "undecided"> | "fuzzy" | null;
  decision?: string;
  rationale?: string;
}

/** How one listed answer was graded, so a report can be audited answer by answer. */
export interface AnswerDecision {
  /** The listed answer as extracted. */
  answer: string;
  rung: AnswerRung;
  /** true / false, or null when undecided (needs review). */
  correct: boolean | null;
  /** Concept ids the answer was mapped to (empty when the terminology does not know it). */
  answerConcepts: string[];
  /** Concept ids of the reference diagnosis and its accepted names. */
  referenceConcepts: string[];
  /** The name that decided the match: a reference/accept/reject name, a concept's name, or a hint. */
  matched: string | null;
  /** `is_a` steps between answer and reference concept (`more-specific`, `broader`), else null. */
  distance: number | null;
  /** For an undecided answer with a suggestion: its similarity (0–1) to the suggested name, else null. */
  similarity: number | null;
  /** A stored decision's own words: the clinician's decision or the judge's verdict. */
  decision?: string;
  /** The judge's one-line rationale. */
  rationale?: string;
}

export interface DiagnosisGrade extends Grade {
  /** The diagnoses extracted from the answer, in the model's order, at most k. */
  answers: string[];
  /** 1-based rank of the first correct answer, or null. */
  rank: number | null;
  /** The rung that decided the first correct answer, or null when there was none. */
  rung: MatchRung | null;
  /**
   * 1-based rank of the first answer lenient grading counts: correct, broader within the lenient
   * distance, or undecided with a suggestion. Equal to `rank` when the correct answer comes first.
   */
  lenientRank: number | null;
  /** True when an undecided answer with a suggestion comes before any correct one: a person should look. */
  needsReview: boolean;
  /** The suggestion behind `needsReview`: which answer, and its similarity (0–1) to which reference name. */
  suggestion: { answer: string; reference: string; similarity: number } | null;
  /** One decision per listed answer, in order (absent in grades stored before decisions were recorded). */
  decisions?: AnswerDecision[];
  /** Each answer's step on the ladder up to the first correct one, when grading consulted stored decisions. */
  ladder?: LadderStep[];
}
