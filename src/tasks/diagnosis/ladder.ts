/** The grading ladder for one listed answer against a prepared reference (rungs: AnswerRung). */
import { countsAsCorrect, type StoredDecisions } from "../../core/adjudication.ts";
import type { Terminology } from "../../terminology/terminology.ts";
import {
  ALTERNATIVES,
  type AnswerReading,
  COMPOSITE_LINK,
  MAX_NAME_LENGTH,
  meaningsOfNames,
  type PreparedName,
  readingOf,
  spelledConcepts,
  splitParts,
  unique,
  wordsOfNames,
} from "./answer-reading.ts";
import type { AnswerDecision, AnswerRung } from "./diagnosis-grade.ts";
import { isSelfExcluding } from "./exclusion.ts";
import { DECIDED_LIMIT, type PreparedReference, type TerminologyDecision } from "./prepared-reference.ts";
import { compareWords } from "./similarity.ts";

export function decide(
  answer: string,
  excluded: boolean,
  reference: PreparedReference,
  terminology: Terminology,
  decisions: StoredDecisions | undefined,
): AnswerDecision {
  const clinician = decisions?.clinician(reference.diagnosis, answer);
  if (clinician !== undefined) {
    return {
      ...answerDecision(
        answer,
        reference,
        "clinician",
        countsAsCorrect(clinician.decision),
        clinician.reviewer,
        [],
        null,
        null,
      ),
      decision: clinician.decision,
    };
  }
  if (excluded) return answerDecision(answer, reference, "excluded", false, null, [], null, null);
  let decided = reference.decided.get(answer);
  if (decided === undefined) {
    decided = isSelfExcluding(answer)
      ? SELF_EXCLUDING
      : decideByTerminology(answer, reference, terminology, true);
    if (reference.decided.size >= DECIDED_LIMIT) reference.decided.clear();
    reference.decided.set(answer, decided);
  }
  if (decided.correct !== null || decided.rung !== "undecided") {
    return answerDecision(
      answer,
      reference,
      decided.rung,
      decided.correct,
      decided.matched,
      decided.concepts,
      decided.distance,
      null,
    );
  }
  const undecided = answerDecision(
    answer,
    reference,
    "undecided",
    null,
    decided.matched,
    decided.concepts,
    null,
    decided.similarity,
  );
  const judged = decisions?.judge(reference.diagnosis, answer);
  if (judged === undefined) return undecided;
  const verdict = { decision: judged.verdict, rationale: judged.rationale };
  // An unparseable verdict decides nothing: the answer stays undecided, its suggestion standing for review.
  if (judged.verdict === "unparseable") return { ...undecided, ...verdict };
  return {
    ...answerDecision(
      answer,
      reference,
      "judge",
      countsAsCorrect(judged.verdict),
      judged.judge,
      decided.concepts,
      null,
      null,
    ),
    ...verdict,
  };
}

function answerDecision(
  answer: string,
  reference: PreparedReference,
  rung: AnswerRung,
  correct: boolean | null,
  matched: string | null,
  answerConcepts: readonly string[],
  distance: number | null,
  similarity: number | null,
): AnswerDecision {
  return {
    answer,
    rung,
    correct,
    answerConcepts: answerConcepts.slice(),
    referenceConcepts: reference.concepts.slice(),
    matched,
    distance,
    similarity,
  };
}

/** An answer that excludes itself ("Appendicitis unlikely"): never correct, whatever the terminology says. */
const SELF_EXCLUDING: TerminologyDecision = {
  rung: "excluded",
  correct: false,
  matched: null,
  concepts: [],
  distance: null,
  similarity: null,
};

function terminologyDecision(
  rung: AnswerRung,
  correct: boolean | null,
  matched: string | null,
  concepts: readonly string[],
  distance: number | null = null,
  similarity: number | null = null,
): TerminologyDecision {
  return { rung, correct, matched, concepts, distance, similarity };
}

/** The first candidate whose normalised or order-free form is one of the answer's. */
function literalMatch<T extends PreparedName>(
  candidates: readonly T[],
  answer: readonly PreparedName[],
): T | undefined {
  for (const candidate of candidates) {
    for (const name of answer) {
      if (name.key === candidate.key || name.words === candidate.words) return candidate;
    }
  }
  return undefined;
}

/** A part of a composite or of "X or Y", graded without splitting it again; remembered per case. */
function decidePart(
  part: string,
  reference: PreparedReference,
  terminology: Terminology,
): TerminologyDecision {
  let decided = reference.decidedParts.get(part);
  if (decided === undefined) {
    decided = decideByTerminology(part, reference, terminology, false);
    if (reference.decidedParts.size >= DECIDED_LIMIT) reference.decidedParts.clear();
    reference.decidedParts.set(part, decided);
  }
  return decided;
}

function decideByTerminology(
  answer: string,
  reference: PreparedReference,
  terminology: Terminology,
  whole: boolean,
): TerminologyDecision {
  const reading = readingOf(answer, terminology);
  let concepts: readonly string[] = reading.concepts;
  const rejected = literalMatch(reference.reject, reading.prepared);
  if (rejected !== undefined) return terminologyDecision("rejected", false, rejected.name, concepts);
  const same = literalMatch(reference.names, reading.prepared);
  if (same !== undefined) {
    return terminologyDecision(same.accepted ? "accepted" : "exact", true, same.name, concepts);
  }
  let spelled = false;
  if (concepts.length === 0 && answer.length <= MAX_NAME_LENGTH) {
    const corrected = spelledConcepts(reading, terminology);
    if (corrected.length > 0) {
      concepts = corrected;
      spelled = true;
    }
  }
  const related = relate(concepts, reference, terminology);
  if (related !== undefined && related.correct === false && related.rung === "rejected") {
    return terminologyDecision("rejected", false, related.matched, concepts);
  }
  if (related?.correct === true) {
    return terminologyDecision(
      spelled ? "spelling" : related.rung,
      true,
      related.matched,
      concepts,
      related.distance,
    );
  }
  if (whole && answer.length <= MAX_NAME_LENGTH) {
    const composite = decideComposite(answer, reading, reference, terminology);
    if (composite !== undefined && (composite.correct === true || composite.rung === "rejected")) {
      return composite;
    }
    if (related === undefined && composite !== undefined) return composite;
  }
  if (whole && answer.length <= MAX_NAME_LENGTH) {
    const either = decideAlternatives(answer, reading, reference, terminology);
    if (either !== undefined) return either;
  }
  if (related !== undefined && related.rung !== "different") {
    return terminologyDecision(related.rung, false, related.matched, concepts, related.distance);
  }
  // The terminology may file one disease in two places (malignant pheochromocytoma under cancers, not
  // under pheochromocytoma): a "different" concept whose words contain the reference's is left for review.
  const suggestion = suggest(answer, reading, reference, terminology, whole, concepts);
  if (related === undefined || suggestion.similarity !== null) return suggestion;
  return terminologyDecision("different", false, null, concepts);
}

interface Relation {
  rung: AnswerRung;
  correct: boolean;
  matched: string | null;
  distance: number | null;
}

function conceptName(terminology: Terminology, id: string): string {
  return terminology.concept(id)?.name ?? id;
}

/** How the answer's concepts relate to the reference's: rejected, same, narrower, broader or different. */
function relate(
  concepts: readonly string[],
  reference: PreparedReference,
  terminology: Terminology,
): Relation | undefined {
  if (concepts.length === 0) return undefined;
  if (reference.rejectConcepts.size > 0) {
    for (const id of concepts) {
      if (reference.rejectConcepts.has(id)) {
        return { rung: "rejected", correct: false, matched: conceptName(terminology, id), distance: null };
      }
      for (const ancestor of terminology.ancestors(id).keys()) {
        if (reference.rejectConcepts.has(ancestor)) {
          return {
            rung: "rejected",
            correct: false,
            matched: conceptName(terminology, ancestor),
            distance: null,
          };
        }
      }
    }
  }
  if (reference.concepts.length === 0) return undefined;
  const same = concepts.find((id) => reference.concepts.includes(id));
  if (same !== undefined) {
    return { rung: "synonym", correct: true, matched: conceptName(terminology, same), distance: null };
  }
  let narrower: { id: string; distance: number } | undefined;
  let broader: { id: string; distance: number } | undefined;
  for (const id of concepts) {
    const ancestors = terminology.ancestors(id);
    for (const target of reference.concepts) {
      const down = ancestors.get(target);
      if (down !== undefined && (narrower === undefined || down < narrower.distance)) {
        narrower = { id: target, distance: down };
      }
      const up = terminology.distance(target, id);
      if (up !== undefined && (broader === undefined || up < broader.distance))
        broader = { id, distance: up };
    }
  }
  if (narrower !== undefined) {
    return {
      rung: "more-specific",
      correct: true,
      matched: conceptName(terminology, narrower.id),
      distance: narrower.distance,
    };
  }
  if (broader !== undefined) {
    return {
      rung: "broader",
      correct: false,
      matched: conceptName(terminology, broader.id),
      distance: broader.distance,
    };
  }
  return { rung: "different", correct: false, matched: null, distance: null };
}

/**
 * "Sepsis secondary to pneumonia", "AKI due to rhabdomyolysis", "appendicitis with perforation": each
 * part is graded; the answer is correct when a part is, rejected when a part is rejected, broader when
 * the best part is broader. Undefined when the answer has no such link.
 */
function decideComposite(
  answer: string,
  reading: AnswerReading,
  reference: PreparedReference,
  terminology: Terminology,
): TerminologyDecision | undefined {
  reading.compositeParts ??= splitParts(answer, COMPOSITE_LINK);
  const parts = reading.compositeParts;
  if (parts.length < 2) return undefined;
  const graded = parts.map((part) => decidePart(part, reference, terminology));
  const concepts = unique(graded.flatMap((part) => part.concepts));
  const rejected = graded.find((part) => part.rung === "rejected");
  if (rejected !== undefined) return { ...rejected, concepts };
  const correct = graded.find((part) => part.correct === true);
  if (correct !== undefined) return { ...correct, rung: "composite", concepts };
  const broader = graded.find((part) => part.rung === "broader");
  if (broader !== undefined) return { ...broader, concepts };
  if (graded.every((part) => part.correct === false)) return { ...graded[0], rung: "different", concepts };
  const suggestion = graded.find((part) => part.similarity !== null);
  return suggestion === undefined ? undefined : { ...suggestion, concepts };
}

/**
 * "Temporal arteritis or giant cell arteritis": alternatives that each name the reference (or something
 * more specific) are one answer given twice, decided as its first part is. When only some parts are
 * correct the answer hedges, and is left to suggestions (see suggest).
 */
function decideAlternatives(
  answer: string,
  reading: AnswerReading,
  reference: PreparedReference,
  terminology: Terminology,
): TerminologyDecision | undefined {
  reading.alternativeParts ??= splitParts(answer, ALTERNATIVES);
  const parts = reading.alternativeParts;
  if (parts.length < 2) return undefined;
  const graded = parts.map((part) => decidePart(part, reference, terminology));
  if (!graded.every((part) => part.correct === true)) return undefined;
  return { ...graded[0], concepts: unique(graded.flatMap((part) => part.concepts)) };
}

/**
 * An answer the terminology cannot place: undecided, with a suggestion for the reviewer when one side
 * of "X or Y" is correct, an ambiguous abbreviation may mean the reference, or the words are close.
 */
function suggest(
  answer: string,
  reading: AnswerReading,
  reference: PreparedReference,
  terminology: Terminology,
  whole: boolean,
  concepts: readonly string[],
): TerminologyDecision {
  for (const meanings of meaningsOfNames(reading, terminology)) {
    const related = relate(meanings, reference, terminology);
    if (related?.correct === true)
      return terminologyDecision("undecided", null, related.matched, concepts, null, 1);
  }
  if (answer.length > MAX_NAME_LENGTH) return terminologyDecision("undecided", null, null, concepts);
  if (whole) {
    reading.alternativeParts ??= splitParts(answer, ALTERNATIVES);
    const alternatives = reading.alternativeParts;
    if (alternatives.length > 1) {
      for (const part of alternatives) {
        const graded = decidePart(part, reference, terminology);
        if (graded.correct === true) {
          return terminologyDecision("undecided", null, graded.matched, concepts, null, 1);
        }
      }
    }
  }
  let best: { name: string; similarity: number } | undefined;
  for (const words of wordsOfNames(reading)) {
    // Only names sharing a word with the answer can be similar to it: the others are not compared.
    for (const position of sharingAWord(words, reference.fuzzyByWord)) {
      const compared = reference.fuzzy[position];
      const comparison = compareWords(words, compared.words);
      // Through a terminology synonym only plain similarity counts: containment in a short synonym
      // ("lupus") would make "drug-induced lupus" a suggestion for systemic lupus erythematosus.
      const counts = comparison.relation === "similar" || (comparison.relation !== null && compared.literal);
      if (counts && (best === undefined || comparison.similarity > best.similarity)) {
        best = {
          name: compared.literal ? compared.name : reference.diagnosis,
          similarity: comparison.similarity,
        };
      }
    }
  }
  return best === undefined
    ? terminologyDecision("undecided", null, null, concepts)
    : terminologyDecision(
        "undecided",
        null,
        best.name,
        concepts,
        null,
        Math.round(best.similarity * 1000) / 1000,
      );
}

/** The positions of the names that have one of `words`, in increasing order, each once. */
function sharingAWord(words: readonly string[], byWord: ReadonlyMap<string, readonly number[]>): number[] {
  const positions: number[] = [];
  for (const word of words) {
    const found = byWord.get(word);
    if (found !== undefined) positions.push(...found);
  }
  if (positions.length < 2) return positions;
  positions.sort((a, b) => a - b);
  return positions.filter((position, index) => index === 0 || positions[index - 1] !== position);
}
