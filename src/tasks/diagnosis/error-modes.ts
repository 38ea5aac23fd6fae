import type { DiagnosisCase } from "../../core/case.ts";
import type { Completion } from "../../core/chat.ts";
import type { AutomaticErrorMode } from "../../core/error-modes.ts";
import { defaultTerminology } from "../../terminology/load-terminology.ts";
import { nameVariants, normalizeDiagnosis, normalizeText } from "../../terminology/normalize.ts";
import type { Terminology } from "../../terminology/terminology.ts";
import type { DiagnosisGrade } from "./diagnosis-grade.ts";
import { type AnswerMatch, answerMatcher } from "./grade.ts";

/** Why each flag was raised, in words a reviewer can check against the answer. */
export interface ErrorModeFlag {
  mode: AutomaticErrorMode;
  reason: string;
}

/**
 * Pre-flags one answer with the reasoning error modes of the codebook. Suggestions for a reviewer, never
 * a verdict:
 * - reasoning drift: the reference diagnosis, an accepted name or a dictionary synonym of either is named
 *   in the reasoning, but no listed answer matches the reference on any rung (strict or fuzzy);
 * - red-flag failure: a red flag of the case is not addressed in the reasoning or the answer (fewer than
 *   half of its content words appear there), or a must-not-miss diagnosis matches no listed answer;
 * - priority inversion: a must-not-miss diagnosis is listed below a benign alternative, that is below a
 *   listed answer that matches neither a must-not-miss diagnosis of the case nor its reference.
 */
export function detectErrorModes(
  testCase: DiagnosisCase,
  completion: Pick<Completion, "text" | "reasoning">,
  grade: Pick<DiagnosisGrade, "answers" | "rank" | "lenientRank">,
  dictionary: Terminology = defaultTerminology(),
): ErrorModeFlag[] {
  const flags: ErrorModeFlag[] = [];
  const reasoning = completion.reasoning === null ? null : ` ${normalizeText(completion.reasoning)} `;
  const referenceNames = [testCase.diagnosis, ...(testCase.accept ?? [])];

  if (reasoning !== null && grade.rank === null && grade.lenientRank === null) {
    const named = referenceNames.find((name) =>
      namesOf(name, dictionary).some((variant) => reasoning.includes(` ${variant} `)),
    );
    if (named !== undefined) {
      flags.push({
        mode: "reasoning-drift",
        reason: `the reasoning names "${named}", the final list does not`,
      });
    }
  }

  const mustNotMiss = testCase.mustNotMiss ?? [];
  const positions = mustNotMiss.map((name) => ({
    name,
    position: listedAt(name, grade.answers, dictionary),
  }));
  const redFlagReasons: string[] = [];
  const written = `${reasoning ?? ""} ${normalizeText(completion.text)} `;
  const writtenWords = new Set(
    written
      .split(" ")
      .filter((word) => word !== "")
      .map(wordKey),
  );
  for (const redFlag of testCase.redFlags ?? []) {
    if (!addressed(redFlag, writtenWords)) redFlagReasons.push(`red flag "${redFlag}" is not addressed`);
  }
  for (const { name, position } of positions) {
    if (position === null) redFlagReasons.push(`must-not-miss "${name}" is not listed`);
  }
  if (redFlagReasons.length > 0) flags.push({ mode: "red-flag-failure", reason: redFlagReasons.join("; ") });

  const inversions: string[] = [];
  for (const { name, position } of positions) {
    if (position === null) continue;
    const benign = grade.answers
      .slice(0, position)
      .find((answer) => isBenignAlternative(answer, mustNotMiss, referenceNames, dictionary));
    if (benign !== undefined) {
      inversions.push(`must-not-miss "${name}" (#${position + 1}) is listed below "${benign}"`);
    }
  }
  if (inversions.length > 0) flags.push({ mode: "priority-inversion", reason: inversions.join("; ") });
  return flags;
}

/** A name, its abbreviation forms and the terminology's names for its concept, normalised. */
function namesOf(name: string, dictionary: Terminology): string[] {
  const variants = nameVariants(name);
  const synonyms = (variant: string) =>
    dictionary.find(variant).flatMap((id) => {
      const concept = dictionary.concept(id);
      return concept === undefined ? [] : [concept.name, ...concept.synonyms];
    });
  const all = [...variants, ...variants.flatMap(synonyms)];
  return [...new Set(all.map(normalizeDiagnosis))].filter((key) => key !== "");
}

type Matcher = (answer: string) => AnswerMatch | null;

/**
 * Matchers by reference names, and their answers by answer text: every case is flagged once per model,
 * and the same names and answers come back across models and cases.
 */
const matchers = new WeakMap<Terminology, Map<string, { match: Matcher; answers: Map<string, boolean> }>>();
const MATCHER_LIMIT = 20_000;
const ANSWER_LIMIT = 200;

function matches(answer: string, names: readonly string[], dictionary: Terminology): boolean {
  let byNames = matchers.get(dictionary);
  if (byNames === undefined) {
    byNames = new Map();
    matchers.set(dictionary, byNames);
  }
  const key = JSON.stringify(names);
  let entry = byNames.get(key);
  if (entry === undefined) {
    if (byNames.size >= MATCHER_LIMIT) byNames.clear();
    const [diagnosis, ...accept] = names;
    entry = { match: answerMatcher({ diagnosis, accept }, dictionary), answers: new Map() };
    byNames.set(key, entry);
  }
  let matched = entry.answers.get(answer);
  if (matched === undefined) {
    matched = entry.match(answer) !== null;
    if (entry.answers.size >= ANSWER_LIMIT) entry.answers.clear();
    entry.answers.set(answer, matched);
  }
  return matched;
}

/** Index (0-based) of the first listed answer that matches `name` on any rung, or null. */
function listedAt(name: string, answers: readonly string[], dictionary: Terminology): number | null {
  const index = answers.findIndex((answer) => matches(answer, [name], dictionary));
  return index === -1 ? null : index;
}

function isBenignAlternative(
  answer: string,
  mustNotMiss: readonly string[],
  referenceNames: readonly string[],
  dictionary: Terminology,
): boolean {
  if (mustNotMiss.some((name) => matches(answer, [name], dictionary))) return false;
  return !matches(answer, referenceNames, dictionary);
}

/** Words compared by their first five letters, so "tachycardic" meets "tachycardia". */
function wordKey(word: string): string {
  return word.slice(0, 5);
}

const FILLER_WORDS = new Set([
  "of",
  "the",
  "a",
  "an",
  "and",
  "in",
  "on",
  "at",
  "to",
  "for",
  "with",
  "by",
  "from",
]);

function addressed(redFlag: string, writtenWords: ReadonlySet<string>): boolean {
  const words = normalizeText(redFlag)
    .split(" ")
    .filter((word) => word !== "" && !FILLER_WORDS.has(word));
  if (words.length === 0) return true;
  const present = words.filter((word) => writtenWords.has(wordKey(word))).length;
  return present >= Math.ceil(words.length / 2);
}
