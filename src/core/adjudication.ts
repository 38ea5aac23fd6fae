/** What a clinician can decide about a listed answer, relative to the case's reference diagnosis. */
export const CLINICIAN_DECISIONS = ["correct", "more-specific", "broader", "incorrect"] as const;
export type ClinicianDecision = (typeof CLINICIAN_DECISIONS)[number];

/** The judge's rubric: how the answer relates to the reference. */
export const JUDGE_RELATIONS = ["same", "more-specific", "broader", "related", "different"] as const;
export type JudgeRelation = (typeof JUDGE_RELATIONS)[number];
/** A relation, or `unparseable` when the judge's answer held none: never counted as correct. */
export type JudgeVerdict = JudgeRelation | "unparseable";

/** A clinician's decision on a (reference, answer) pair, applied on every re-grade of every run. */
export interface Adjudication {
  reference: string;
  answer: string;
  decision: ClinicianDecision;
  reviewer: string;
  /** ISO time. */
  decidedAt: string;
  note: string | null;
}

/** The judge's stored decision on a (reference, answer) pair. */
export interface JudgeDecision {
  verdict: JudgeVerdict;
  /** One line from the judge, or why its answer could not be read. */
  rationale: string;
  /** The judge model, e.g. `openai qwen2.5-7b-instruct`. */
  judge: string;
}

/** Decisions kept in the store, looked up by grading: a clinician's first, the judge's for undecided answers. */
export interface StoredDecisions {
  clinician(reference: string, answer: string): Adjudication | undefined;
  judge(reference: string, answer: string): JudgeDecision | undefined;
}

/** Correct under strict grading: the same disease, or a more specific form of it. */
export function countsAsCorrect(decision: ClinicianDecision | JudgeVerdict): boolean {
  return decision === "correct" || decision === "same" || decision === "more-specific";
}

/**
 * The key of a (reference, answer) pair: both texts with Unicode compatibility forms folded, lower case,
 * runs of white space as one space and trailing full stops dropped, so a decision on "Appendicitis." also
 * holds for "appendicitis". Nothing more: any other difference may matter clinically.
 */
export function pairKey(reference: string, answer: string): string {
  return JSON.stringify([pairText(reference), pairText(answer)]);
}

function pairText(text: string): string {
  return text
    .normalize("NFKC")
    .toLowerCase()
    .replace(/\s+/g, " ")
    .replace(/[\s.]+$/, "")
    .trim();
}

/** A lookup over stored adjudications and judge verdicts. */
export function storedDecisions(
  adjudications: readonly Adjudication[],
  verdicts: ReadonlyArray<{ reference: string; answer: string } & JudgeDecision>,
): StoredDecisions {
  const clinician = new Map(adjudications.map((entry) => [pairKey(entry.reference, entry.answer), entry]));
  const judge = new Map(
    verdicts.map(({ reference, answer, verdict, rationale, judge }) => [
      pairKey(reference, answer),
      { verdict, rationale, judge },
    ]),
  );
  return {
    clinician: (reference, answer) => clinician.get(pairKey(reference, answer)),
    judge: (reference, answer) => judge.get(pairKey(reference, answer)),
  };
}

export const NO_DECISIONS: StoredDecisions = storedDecisions([], []);
