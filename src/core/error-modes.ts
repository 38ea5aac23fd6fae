/**
 * The reasoning error modes of the codebook (docs/decisions/0023). The first three can be pre-flagged
 * from stored data; reviewers code every answer with one code, `none` when no mode applies.
 */
export const AUTOMATIC_ERROR_MODES = ["reasoning-drift", "red-flag-failure", "priority-inversion"] as const;
export type AutomaticErrorMode = (typeof AUTOMATIC_ERROR_MODES)[number];

export const REVIEWER_ERROR_MODES = [...AUTOMATIC_ERROR_MODES, "knowledge-gap", "other"] as const;
export type ReviewerErrorMode = (typeof REVIEWER_ERROR_MODES)[number];

export const REASONING_CODES = [...REVIEWER_ERROR_MODES, "none"] as const;
export type ReasoningCodeValue = (typeof REASONING_CODES)[number];

/** Words shown to reviewers for each code. */
export const CODE_LABELS: Record<ReasoningCodeValue, string> = {
  "reasoning-drift": "Reasoning drift",
  "red-flag-failure": "Red-flag recognition failure",
  "priority-inversion": "Diagnostic priority inversion",
  "knowledge-gap": "Knowledge gap",
  other: "Other",
  none: "No error mode",
};

/** One reviewer's code of one answer (model × case × sample) of a run. */
export interface ReasoningCode {
  runId: string;
  modelId: string;
  caseId: string;
  sample: number;
  reviewer: string;
  code: ReasoningCodeValue;
  note: string;
  /** ISO time of the last change. */
  codedAt: string;
  /** True for the agreed code written when two reviewers' codes were reconciled. */
  reconciled: boolean;
}

export function isReasoningCode(value: string): value is ReasoningCodeValue {
  return (REASONING_CODES as readonly string[]).includes(value);
}
