import type { Grade } from "../task.ts";

/** The rung of the grading ladder that matched a listed diagnosis to the reference. */
export type MatchRung = "exact" | "accepted" | "dictionary" | "fuzzy";

export interface DiagnosisGrade extends Grade {
  /** The diagnoses extracted from the answer, in the model's order, at most k. */
  answers: string[];
  /** 1-based rank of the first strict match (exact, accepted or dictionary), or null. */
  rank: number | null;
  /** The rung that decided the strict match, or null when there was none. */
  rung: Exclude<MatchRung, "fuzzy"> | null;
  /**
   * 1-based rank of the first match when fuzzy suggestions count too (lenient grading), or null.
   * Equal to `rank` when the strict match comes first.
   */
  lenientRank: number | null;
  /** True when only a fuzzy suggestion matched, at a better rank than any strict match: a person should look. */
  needsReview: boolean;
  /** The fuzzy suggestion behind `needsReview`: which answer, and its similarity (0–1) to which reference name. */
  suggestion: { answer: string; reference: string; similarity: number } | null;
}
