/** A case's reference names and concepts, prepared once per case and terminology for the ladder. */
import type { DiagnosisCase } from "../../core/case.ts";
import { nameVariants } from "../../terminology/normalize.ts";
import type { Terminology } from "../../terminology/terminology.ts";
import { type PreparedName, prepareName, unique } from "./answer-reading.ts";
import type { AnswerRung } from "./diagnosis-grade.ts";
import { contentTokens } from "./similarity.ts";

/** What a listed answer is graded against: the case's reference diagnosis, accepted and rejected names. */
export interface ReferenceNames {
  diagnosis: string;
  accept: readonly string[];
  /** Subtypes and look-alikes that must not count although the terminology calls them narrower. */
  reject?: readonly string[];
}

/** A case's reference, worked out once per case and terminology. */
export interface PreparedReference {
  diagnosis: string;
  names: Array<PreparedName & { accepted: boolean }>;
  reject: PreparedName[];
  concepts: string[];
  rejectConcepts: Set<string>;
  /** Names for suggestions, as content words: `literal` for the case's own names, not for synonyms. */
  fuzzy: Array<{ name: string; words: readonly string[]; literal: boolean }>;
  /** For each content word, the positions in `fuzzy` of the names that have it. */
  fuzzyByWord: Map<string, number[]>;
  /** What the terminology decided for each answer already seen: models repeat themselves across samples. */
  decided: Map<string, TerminologyDecision>;
  /** The same for the parts of composite answers and of "X or Y" (graded without splitting them again). */
  decidedParts: Map<string, TerminologyDecision>;
}

/** At most this many answers' decisions are kept per case. */
export const DECIDED_LIMIT = 10_000;

export interface TerminologyDecision {
  rung: AnswerRung;
  correct: boolean | null;
  matched: string | null;
  concepts: readonly string[];
  distance: number | null;
  /** For an undecided answer: the similarity of the suggestion in `matched`, or null without one. */
  similarity: number | null;
}

export function prepareReference(reference: ReferenceNames, terminology: Terminology): PreparedReference {
  const own = [reference.diagnosis, ...reference.accept];
  const names = own.flatMap((name, index) =>
    nameVariants(name).map((variant) => ({ ...prepareName(variant), accepted: index > 0 })),
  );
  const concepts = unique(names.flatMap((name) => terminology.find(name.name)));
  const reject = (reference.reject ?? []).flatMap((name) => nameVariants(name).map(prepareName));
  // A rejected name the terminology files as the reference or above it rejects only its own wording:
  // as a concept it would reject every correct answer too.
  const rejectConcepts = new Set(
    reject
      .flatMap((name) => terminology.find(name.name))
      .filter((id) => !concepts.some((own) => own === id || terminology.distance(own, id) !== undefined)),
  );
  const synonyms = concepts.flatMap((id) => {
    const concept = terminology.concept(id);
    return concept === undefined ? [] : [concept.name, ...concept.synonyms];
  });
  const fuzzy = [
    ...names.map((name) => ({ name: name.name, words: contentTokens(name.name), literal: true })),
    ...synonyms.map((name) => ({ name, words: contentTokens(name), literal: false })),
  ];
  const fuzzyByWord = new Map<string, number[]>();
  fuzzy.forEach((compared, position) => {
    for (const word of compared.words) {
      const positions = fuzzyByWord.get(word);
      if (positions === undefined) fuzzyByWord.set(word, [position]);
      else if (positions[positions.length - 1] !== position) positions.push(position);
    }
  });
  return {
    diagnosis: reference.diagnosis,
    names,
    reject,
    concepts,
    rejectConcepts,
    fuzzy,
    fuzzyByWord,
    decided: new Map(),
    decidedParts: new Map(),
  };
}

const preparedCases = new WeakMap<object, { terminology: Terminology; prepared: PreparedReference }>();

export function preparedFor(testCase: DiagnosisCase, terminology: Terminology): PreparedReference {
  const cached = preparedCases.get(testCase);
  if (cached !== undefined && cached.terminology === terminology) return cached.prepared;
  const prepared = prepareReference(
    { diagnosis: testCase.diagnosis, accept: testCase.accept ?? [], reject: testCase.reject ?? [] },
    terminology,
  );
  preparedCases.set(testCase, { terminology, prepared });
  return prepared;
}
