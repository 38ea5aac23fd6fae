import type { StoredDecisions } from "../../core/adjudication.ts";
import type { DiagnosisCase } from "../../core/case.ts";
import type { Completion } from "../../core/chat.ts";
import type { Study } from "../../core/study.ts";
import { AMBIGUOUS_ABBREVIATIONS, CLINICAL_SYNONYMS } from "./clinical-synonyms.ts";
import type { DiagnosisGrade, MatchRung } from "./diagnosis-grade.ts";
import { extractDiagnoses } from "./extract.ts";
import { nameVariants, normalizeDiagnosis } from "./normalize.ts";
import { compareWords, contentTokens } from "./similarity.ts";
import { rankWithDecisions } from "./stored-decisions.ts";
import { SynonymDictionary } from "./synonym-dictionary.ts";

/** The project's clinical dictionary, built once. */
export const clinicalDictionary = new SynonymDictionary(CLINICAL_SYNONYMS, AMBIGUOUS_ABBREVIATIONS);

/** What a listed answer is graded against: the case's reference diagnosis and its accepted names. */
export interface ReferenceNames {
  diagnosis: string;
  accept: readonly string[];
}

/** How one listed answer matched: the rung, which reference name, and for `fuzzy` the similarity. */
export interface AnswerMatch {
  rung: MatchRung;
  /** The case's reference diagnosis or the accepted name that matched. */
  reference: string;
  /** 0–1: the token similarity of a fuzzy suggestion; 1 for the strict rungs and for an ambiguous abbreviation. */
  similarity: number;
}

/**
 * Grades one listed answer on the ladder, stopping at the first rung that matches:
 * 1. `exact`: equal to the reference diagnosis after normalisation (see normalizeDiagnosis);
 * 2. `accepted`: equal to one of the case's accepted names after normalisation;
 * 3. `dictionary`: the dictionary says the answer names the reference (or an accepted name), or a more
 *    specific kind of it — never a broader one;
 * 4. `fuzzy`: only a suggestion for a person to check — token similarity at or above the threshold, the
 *    reference plus a few qualifying words, the reference without some of its qualifying words, one side
 *    of an "X or Y" answer, or an ambiguous abbreviation one of whose meanings matches.
 *
 * An answer that contains the reference plus qualifying words ("acute appendicitis with perforation" for
 * "acute appendicitis") is strict only when the dictionary or the accept list names that form; otherwise
 * it is a fuzzy suggestion, because added words can change the diagnosis ("non-", "pseudo-", "drug-induced").
 * A name followed by an abbreviation in parentheses ("Pulmonary embolism (PE)") matches through either.
 */
export function matchAnswer(
  answer: string,
  reference: ReferenceNames,
  dictionary: SynonymDictionary = clinicalDictionary,
): AnswerMatch | null {
  return matchPrepared(answer, prepareReference(reference, dictionary), dictionary);
}

/** `matchAnswer` for many answers to one reference, which is prepared once. */
export function answerMatcher(
  reference: ReferenceNames,
  dictionary: SynonymDictionary = clinicalDictionary,
): (answer: string) => AnswerMatch | null {
  const prepared = prepareReference(reference, dictionary);
  return (answer) => matchPrepared(answer, prepared, dictionary);
}

/** A reference name with what every answer is compared against, worked out once per case. */
interface PreparedName {
  name: string;
  variants: string[];
  keys: Set<string>;
  /** Names for the fuzzy rung, as content words: `literal` for the case's own spellings, not for synonyms. */
  fuzzy: FuzzyName[];
}

interface FuzzyName {
  words: readonly string[];
  literal: boolean;
}

function prepareName(name: string, dictionary: SynonymDictionary): PreparedName {
  const variants = nameVariants(name);
  const literal = unique(variants);
  const expanded = unique(variants.flatMap((variant) => dictionary.synonyms(variant))).filter(
    (synonym) => !literal.some((own) => normalizeDiagnosis(own) === normalizeDiagnosis(synonym)),
  );
  return {
    name,
    variants,
    keys: new Set(variants.map(normalizeDiagnosis)),
    fuzzy: [
      ...literal.map((compared) => ({ words: contentTokens(compared), literal: true })),
      ...expanded.map((compared) => ({ words: contentTokens(compared), literal: false })),
    ],
  };
}

interface PreparedReference {
  diagnosis: PreparedName;
  accept: PreparedName[];
}

function prepareReference(reference: ReferenceNames, dictionary: SynonymDictionary): PreparedReference {
  return {
    diagnosis: prepareName(reference.diagnosis, dictionary),
    accept: reference.accept.map((name) => prepareName(name, dictionary)),
  };
}

function matchPrepared(
  answer: string,
  reference: PreparedReference,
  dictionary: SynonymDictionary,
): AnswerMatch | null {
  // A side before the answer ("Left MCA stroke") only makes it more specific, never another diagnosis.
  const answerNames = unique(
    nameVariants(answer).flatMap((name) => [
      name,
      name.replace(/^(?:left|right|bilateral)(?:-sided)?\s+/i, ""),
    ]),
  );
  const answerKeys = answerNames.map(normalizeDiagnosis);
  const same = (prepared: PreparedName) => answerKeys.some((key) => prepared.keys.has(key));
  if (same(reference.diagnosis)) return { rung: "exact", reference: reference.diagnosis.name, similarity: 1 };
  const accepted = reference.accept.find(same);
  if (accepted !== undefined) return { rung: "accepted", reference: accepted.name, similarity: 1 };
  const references = [reference.diagnosis, ...reference.accept];
  const covered = references.find((prepared) =>
    prepared.variants.some((variant) =>
      answerNames.some((candidate) => dictionary.covers(candidate, variant)),
    ),
  );
  if (covered !== undefined) return { rung: "dictionary", reference: covered.name, similarity: 1 };
  return suggestion(answer, answerNames, references, dictionary);
}

function suggestion(
  answer: string,
  answerNames: string[],
  references: PreparedName[],
  dictionary: SynonymDictionary,
): AnswerMatch | null {
  for (const candidate of answerNames) {
    for (const meaning of dictionary.meaningsOf(candidate)) {
      const matched = references.find(
        (prepared) =>
          prepared.keys.has(normalizeDiagnosis(meaning)) ||
          prepared.variants.some((variant) => dictionary.covers(meaning, variant)),
      );
      if (matched !== undefined) return { rung: "fuzzy", reference: matched.name, similarity: 1 };
    }
  }
  const alternatives = answer
    .split(/\s+(?:or|vs\.?|versus)\s+|\s*\/\s*/i)
    .filter((part) => part.trim() !== "");
  const literalAnswers = unique([...answerNames, ...(alternatives.length > 1 ? alternatives : [])]);
  const candidates: FuzzyName[] = [
    ...literalAnswers.map((name) => ({ words: contentTokens(name), literal: true })),
    ...unique(answerNames.flatMap((name) => dictionary.synonyms(name)))
      .filter((synonym) => !literalAnswers.includes(synonym))
      .map((name) => ({ words: contentTokens(name), literal: false })),
  ];
  let best: AnswerMatch | null = null;
  for (const prepared of references) {
    for (const candidate of candidates) {
      for (const compared of prepared.fuzzy) {
        if (candidate.words.length === 0 || compared.words.length === 0) continue;
        const comparison = compareWords(candidate.words, compared.words);
        // Through a dictionary synonym only plain similarity counts: containment in a short synonym
        // ("lupus") would make "drug-induced lupus" a suggestion for systemic lupus erythematosus.
        const counts =
          comparison.relation === "similar" ||
          (comparison.relation !== null && compared.literal && candidate.literal);
        if (counts && (best === null || comparison.similarity > best.similarity)) {
          best = {
            rung: "fuzzy",
            reference: prepared.name,
            similarity: Math.round(comparison.similarity * 1000) / 1000,
          };
        }
      }
    }
  }
  return best;
}

function unique(names: readonly string[]): string[] {
  const seen = new Set<string>();
  return names.filter((name) => {
    const key = normalizeDiagnosis(name);
    if (key === "" || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Ranks and rung of a list of answers (already cut to k), without deciding the outcome. */
export function rankAnswers(
  answers: readonly string[],
  reference: ReferenceNames,
  dictionary: SynonymDictionary = clinicalDictionary,
): Omit<DiagnosisGrade, "outcome" | "answers"> {
  let lenientRank: number | null = null;
  let found: DiagnosisGrade["suggestion"] = null;
  const prepared = prepareReference(reference, dictionary);
  for (let index = 0; index < answers.length; index++) {
    const match = matchPrepared(answers[index], prepared, dictionary);
    if (match === null) continue;
    if (match.rung !== "fuzzy") {
      return {
        rank: index + 1,
        rung: match.rung,
        lenientRank: lenientRank ?? index + 1,
        needsReview: found !== null,
        suggestion: found,
      };
    }
    if (lenientRank === null) {
      lenientRank = index + 1;
      found = { answer: answers[index], reference: match.reference, similarity: match.similarity };
    }
  }
  return { rank: null, rung: null, lenientRank, needsReview: found !== null, suggestion: found };
}

const NO_MATCH = { rank: null, rung: null, lenientRank: null, needsReview: false, suggestion: null } as const;

/**
 * Grades a completion for a diagnosis case. Cut off by the token limit → `truncated` (the answers
 * extracted so far are kept for the reader, but never count, so no rank is set); nothing extracted →
 * `unparseable`; otherwise `correct` when a strict match (exact, accepted, dictionary) is among the
 * first `study.topK` answers, else `incorrect`. With stored `decisions`, a clinician's decision on an
 * answer comes before every rung and the judge's verdict decides what the rungs left undecided
 * (see rankWithDecisions).
 */
export function gradeDiagnosis(
  testCase: DiagnosisCase,
  completion: Completion,
  study: Pick<Study, "topK">,
  dictionary: SynonymDictionary = clinicalDictionary,
  decisions?: StoredDecisions,
): DiagnosisGrade {
  const answers = extractDiagnoses(completion.text, study.topK);
  if (completion.finishReason === "length") return { outcome: "truncated", answers, ...NO_MATCH };
  if (answers.length === 0) return { outcome: "unparseable", answers, ...NO_MATCH };
  const reference = { diagnosis: testCase.diagnosis, accept: testCase.accept ?? [] };
  const ranked = decisions
    ? rankWithDecisions(answers, testCase.diagnosis, answerMatcher(reference, dictionary), decisions)
    : rankAnswers(answers, reference, dictionary);
  return { outcome: ranked.rank === null ? "incorrect" : "correct", answers, ...ranked };
}
