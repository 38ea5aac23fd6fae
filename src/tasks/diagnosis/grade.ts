import { countsAsCorrect, type StoredDecisions } from "../../core/adjudication.ts";
import type { DiagnosisCase } from "../../core/case.ts";
import type { Completion } from "../../core/chat.ts";
import type { Study } from "../../core/study.ts";
import { terminologyWithOverlays } from "../../terminology/load-terminology.ts";
import { nameVariants, normalizeDiagnosis, wordKey } from "../../terminology/normalize.ts";
import type { Terminology } from "../../terminology/terminology.ts";
import type { AnswerDecision, AnswerRung, DiagnosisGrade, LadderStep, MatchRung } from "./diagnosis-grade.ts";
import { isSelfExcluding } from "./exclusion.ts";
import { extractListedDiagnoses } from "./extract.ts";
import { compareWords, contentTokens } from "./similarity.ts";

/** Lenient grading counts a broader answer when it is at most this many `is_a` steps above the reference. */
export const LENIENT_BROADER_DISTANCE = 1;

/** Answers longer than this are not a diagnosis name: only exact names and concepts are tried on them. */
const MAX_NAME_LENGTH = 300;

/** What a listed answer is graded against: the case's reference diagnosis, accepted and rejected names. */
export interface ReferenceNames {
  diagnosis: string;
  accept: readonly string[];
  /** Subtypes and look-alikes that must not count although the terminology calls them narrower. */
  reject?: readonly string[];
}

export interface GradingOptions {
  /** Default: the shipped terminology with the study's overlays (`study.terminology`). */
  terminology?: Terminology;
  /**
   * Stored decisions, looked up by (reference diagnosis, listed answer): a clinician's decision is the top
   * rung; the judge's verdict is used only for answers every other rung left undecided.
   */
  decisions?: StoredDecisions;
}

interface PreparedName {
  name: string;
  key: string;
  words: string;
}

/** A case's reference, worked out once per case and terminology. */
interface PreparedReference {
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
const DECIDED_LIMIT = 10_000;

function prepareName(name: string): PreparedName {
  return { name, key: normalizeDiagnosis(name), words: wordKey(name) };
}

function prepareReference(reference: ReferenceNames, terminology: Terminology): PreparedReference {
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

function preparedFor(testCase: DiagnosisCase, terminology: Terminology): PreparedReference {
  const cached = preparedCases.get(testCase);
  if (cached !== undefined && cached.terminology === terminology) return cached.prepared;
  const prepared = prepareReference(
    { diagnosis: testCase.diagnosis, accept: testCase.accept ?? [], reject: testCase.reject ?? [] },
    terminology,
  );
  preparedCases.set(testCase, { terminology, prepared });
  return prepared;
}

/**
 * What grading needs to know of one listed answer whatever the reference: its names, their normalised
 * forms, the concepts they name. Models write the same few thousand names across cases, models and
 * samples, so each answer is read once per terminology; the parts below are worked out when first asked.
 */
interface AnswerReading {
  names: string[];
  prepared: PreparedName[];
  concepts: string[];
  /** The concept the answer names once misspelt words are corrected ([] when none); see spelledConcepts. */
  spelled?: string[];
  /** The abbreviations' possible meanings, per name; see meaningsOfNames. */
  meanings?: Array<readonly string[]>;
  /** Each name's content words, for suggestions; see wordsOfNames. */
  words?: Array<readonly string[]>;
  /** The parts of "X secondary to Y" and of "X or Y"; see splitParts. */
  compositeParts?: string[];
  alternativeParts?: string[];
}

/** At most this many readings are kept per terminology. */
const READINGS_LIMIT = 100_000;

const readings = new WeakMap<Terminology, Map<string, AnswerReading>>();

function readingOf(answer: string, terminology: Terminology): AnswerReading {
  let known = readings.get(terminology);
  if (known === undefined) {
    known = new Map();
    readings.set(terminology, known);
  }
  let reading = known.get(answer);
  if (reading === undefined) {
    const names = answerNames(answer);
    const concepts: string[] = [];
    for (const name of names) {
      for (const id of terminology.find(name)) if (!concepts.includes(id)) concepts.push(id);
    }
    reading = { names, prepared: names.map(prepareName), concepts };
    if (known.size >= READINGS_LIMIT) known.clear();
    known.set(answer, reading);
  }
  return reading;
}

/** The first of the answer's names whose misspelt words correct to exactly one concept, as [id], or []. */
function spelledConcepts(reading: AnswerReading, terminology: Terminology): string[] {
  if (reading.spelled === undefined) {
    reading.spelled = [];
    for (const name of reading.names) {
      const corrected = terminology.correctSpelling(name);
      if (corrected !== undefined) {
        reading.spelled = [corrected.id];
        break;
      }
    }
  }
  return reading.spelled;
}

function meaningsOfNames(reading: AnswerReading, terminology: Terminology): Array<readonly string[]> {
  reading.meanings ??= reading.names.map((name) => terminology.meaningsOf(name));
  return reading.meanings;
}

function wordsOfNames(reading: AnswerReading): Array<readonly string[]> {
  reading.words ??= reading.names.map(contentTokens);
  return reading.words;
}

function splitParts(answer: string, link: RegExp): string[] {
  return answer
    .split(link)
    .filter((part) => part !== undefined && part.trim() !== "")
    .map((part) => part.trim());
}

/**
 * The names one listed answer stands for: itself, its abbreviation in parentheses, without a side, and
 * the names it gives in brackets or as aliases (see nameVariants and glossedNames): "Giant cell
 * arteritis (temporal arteritis)", "Polymyalgia rheumatica, also known as PMR".
 */
function answerNames(answer: string): string[] {
  const name = answer.length > MAX_NAME_LENGTH ? answer : answer.replace(STILL_POSSIBLE_TAIL, "");
  return unique(
    glossedNames(name).flatMap((glossed) =>
      nameVariants(glossed).flatMap((variant) => [
        variant,
        variant.replace(/^(?:left|right|bilateral)(?:-sided)?\s+/i, ""),
      ]),
    ),
  );
}

const UNCLOSED_BRACKET = /\s*[([][^()[\]]*$/;
const ALIAS_LINK = /,?\s+(?:also known as|also called|aka|a\.k\.a\.)\s+/i;

/**
 * A name, the name without a bracket left open to its end ("Pulmonary embolism [ICD-10 I26"), and the
 * names joined by "also known as". Closed brackets are read by nameVariants.
 */
function glossedNames(name: string): string[] {
  if (name.length > MAX_NAME_LENGTH) return [name];
  const names = [name];
  const closed = name.replace(UNCLOSED_BRACKET, "");
  if (closed !== name && closed.trim() !== "") names.push(closed.trim());
  return names.flatMap((each) => {
    const aliases = each.split(ALIAS_LINK).map((part) => part.trim());
    return aliases.length > 1 ? [each, ...aliases.filter((part) => part !== "")] : [each];
  });
}

/** "PE cannot be excluded", "MI must be ruled out": the answer still names the diagnosis. */
const STILL_POSSIBLE_TAIL = / (?:cannot|can't|can not|must|should|needs? to|to) be (?:excluded|ruled out)$/i;

const COMPOSITE_LINK =
  /\s+(?:secondary to|due to|caused by|because of|resulting from|from|with|complicated by|associated with|in the setting of|on a background of|in|and)\s+|\s*[&+]\s*/i;

const ALTERNATIVES = /\s+(?:or|vs\.?|versus)\s+|\s*\/\s*/i;

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

function decide(
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

interface TerminologyDecision {
  rung: AnswerRung;
  correct: boolean | null;
  matched: string | null;
  concepts: readonly string[];
  distance: number | null;
  /** For an undecided answer: the similarity of the suggestion in `matched`, or null without one. */
  similarity: number | null;
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

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
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
