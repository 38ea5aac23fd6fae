import { countsAsCorrect, type StoredDecisions } from "../../core/adjudication.ts";
import type { DiagnosisGrade, LadderStep } from "./diagnosis-grade.ts";
import type { AnswerMatch } from "./grade.ts";

/**
 * Ranks a list of answers with stored decisions around the terminology's rungs. For each answer in order:
 * 1. `clinician`: a clinician's decision on this (reference, answer) pair decides it — correct and
 *    more-specific count, broader and incorrect do not (not even as a lenient suggestion);
 * 2. the deterministic rungs (`match`): a strict match decides it;
 * 3. `judge`: for an answer the rungs left undecided (no match, or a fuzzy suggestion only), the judge's
 *    stored verdict — same disease or more specific counts; any other verdict, `unparseable` included,
 *    does not, and an unparseable verdict leaves a fuzzy suggestion standing for review.
 * The first answer that counts gives the rank. `ladder` records every answer's step up to it.
 */
export function rankWithDecisions(
  answers: readonly string[],
  reference: string,
  match: (answer: string) => AnswerMatch | null,
  decisions: StoredDecisions,
): Omit<DiagnosisGrade, "outcome" | "answers"> {
  const ladder: LadderStep[] = [];
  let lenientRank: number | null = null;
  let found: DiagnosisGrade["suggestion"] = null;
  const strict = (index: number, rung: NonNullable<DiagnosisGrade["rung"]>) => ({
    rank: index + 1,
    rung,
    lenientRank: lenientRank ?? index + 1,
    needsReview: found !== null,
    suggestion: found,
    ladder,
  });
  for (const [index, answer] of answers.entries()) {
    const adjudicated = decisions.clinician(reference, answer);
    if (adjudicated !== undefined) {
      ladder.push({ answer, rung: "clinician", decision: adjudicated.decision });
      if (countsAsCorrect(adjudicated.decision)) return strict(index, "clinician");
      continue;
    }
    const matched = match(answer);
    if (matched !== null && matched.rung !== "fuzzy") {
      ladder.push({ answer, rung: matched.rung });
      return strict(index, matched.rung);
    }
    const judged = decisions.judge(reference, answer);
    if (judged !== undefined) {
      ladder.push({ answer, rung: "judge", decision: judged.verdict, rationale: judged.rationale });
      if (countsAsCorrect(judged.verdict)) return strict(index, "judge");
      if (judged.verdict !== "unparseable") continue;
    } else {
      ladder.push({ answer, rung: matched === null ? null : "fuzzy" });
    }
    if (matched !== null && lenientRank === null) {
      lenientRank = index + 1;
      found = { answer, reference: matched.reference, similarity: matched.similarity };
    }
  }
  return { rank: null, rung: null, lenientRank, needsReview: found !== null, suggestion: found, ladder };
}
