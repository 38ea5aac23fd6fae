import type { Grade } from "../task.ts";

/** The rung of the grading ladder that matched a listed diagnosis to the reference. */
export type MatchRung = "exact" | "accepted" | "dictionary" | "fuzzy";

/** The rungs that decide a strict match: the terminology's, and the stored decisions' (clinician, judge). */
export type DecidingRung = Exclude<MatchRung, "fuzzy"> | "clinician" | "judge";

/**
 * How one listed answer was decided, up to the first strict match: the rung (`fuzzy` for a suggestion
 * only, null when nothing decided it), and for stored decisions the clinician's decision or the judge's
 * verdict and rationale.
 */
export interface LadderStep {
  answer: string;
  rung: DecidingRung | "fuzzy" | null;
  decision?: string;
  rationale?: string;
}

export interface DiagnosisGrade extends Grade {
  /** The diagnoses extracted from the answer, in the model's order, at most k. */
  answers: string[];
  /** 1-based rank of the first strict match (exact, accepted or dictionary), or null. */
  rank: number | null;
  /** The rung that decided the strict match, or null when there was none. */
  rung: DecidingRung | null;
  /**
   * 1-based rank of the first match when fuzzy suggestions count too (lenient grading), or null.
   * Equal to `rank` when the strict match comes first.
   */
  lenientRank: number | null;
  /** True when only a fuzzy suggestion matched, at a better rank than any strict match: a person should look. */
  needsReview: boolean;
  /** The fuzzy suggestion behind `needsReview`: which answer, and its similarity (0–1) to which reference name. */
  suggestion: { answer: string; reference: string; similarity: number } | null;
  /** Each answer's step on the ladder, when grading consulted stored decisions (see StoredDecisions). */
  ladder?: LadderStep[];
}
