import { normalizeDiagnosis, QUALIFYING_WORDS } from "../../terminology/normalize.ts";

/** Token-set Dice similarity from which a fuzzy suggestion is made. See docs/decisions/0006. */
export const FUZZY_THRESHOLD = 0.8;

/** At most this many extra words for "the reference plus qualifying words" to be suggested. */
export const MAX_EXTRA_WORDS = 3;

const STOP_WORDS = new Set([
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
  "due",
]);

/** Head nouns an eponym is often written without ("Kawasaki" for "Kawasaki disease"). */
const GENERIC_HEADS = new Set(["disease", "syndrome", "disorder"]);

/** Words that turn a name into something else when added to it ("non", "pseudo") or deny it. */
const NEGATING_WORDS = new Set(["non", "not", "no", "pseudo", "absent", "negative", "excluded", "unlikely"]);

/** How an answer relates to a reference name, word by word. */
export type TokenRelation =
  /** Dice similarity at or above the threshold. */
  | "similar"
  /** The answer is the reference plus a few qualifying words ("acute appendicitis with perforation"). */
  | "narrower"
  /**
   * The answer is the reference without some of its qualifying words or its generic head noun
   * ("pancreatitis" for "acute pancreatitis", "Kawasaki" for "Kawasaki disease").
   */
  | "broader-by-qualifier";

export interface TokenComparison {
  /** Sørensen–Dice coefficient of the two sets of content words, 0–1. */
  similarity: number;
  /** Why the pair deserves a person's look, or null when it does not. */
  relation: TokenRelation | null;
}

/** Content words of a name: normalised, stop words removed, plurals lightly stemmed. */
export function contentTokens(name: string): readonly string[] {
  const key = normalizeDiagnosis(name);
  let tokens = tokensOfName.get(key);
  if (tokens === undefined) {
    const words = key
      .split(" ")
      .filter((word) => word !== "" && !STOP_WORDS.has(word))
      .map(stem);
    tokens = [...new Set(words)];
    if (tokensOfName.size >= 100_000) tokensOfName.clear();
    tokensOfName.set(key, tokens);
  }
  return tokens;
}

const tokensOfName = new Map<string, string[]>();

function stem(word: string): string {
  if (word.length <= 4) return word;
  if (word.endsWith("ies")) return `${word.slice(0, -3)}y`;
  if (word.endsWith("s") && !/(ss|us|is)$/.test(word)) return word.slice(0, -1);
  return word;
}

/** "non", "pseudo", "no"…, also joined to the next word ("non-Hodgkin" → "nonhodgkin"). */
function isNegating(word: string): boolean {
  return (
    NEGATING_WORDS.has(word) ||
    (word.startsWith("non") && word.length > 4) ||
    (word.startsWith("pseudo") && word.length > 7)
  );
}

/**
 * Compares an answer with a reference name on their content words. A word that negates or turns the
 * name into another one ("non", "pseudo") on one side only rules out any relation.
 */
export function compareTokens(answer: string, reference: string): TokenComparison {
  return compareWords(contentTokens(answer), contentTokens(reference));
}

/** compareTokens on names already reduced to their content words (see contentTokens). */
export function compareWords(
  answerWords: readonly string[],
  referenceWords: readonly string[],
): TokenComparison {
  let shared = 0;
  for (const word of answerWords) if (referenceWords.includes(word)) shared++;
  if (shared === 0) return { similarity: 0, relation: null };
  const similarity = (2 * shared) / (answerWords.length + referenceWords.length);
  const extra = answerWords.filter((word) => !referenceWords.includes(word));
  const missing = referenceWords.filter((word) => !answerWords.includes(word));
  if (extra.some(isNegating) || missing.some(isNegating)) return { similarity, relation: null };
  if (similarity >= FUZZY_THRESHOLD) return { similarity, relation: "similar" };
  if (missing.length === 0 && extra.length > 0 && extra.length <= MAX_EXTRA_WORDS) {
    return { similarity, relation: "narrower" };
  }
  if (
    extra.length === 0 &&
    missing.length > 0 &&
    missing.every((word) => QUALIFYING_WORDS.has(word) || GENERIC_HEADS.has(word) || /^\d+$/.test(word)) &&
    answerWords.some((word) => !QUALIFYING_WORDS.has(word))
  ) {
    return { similarity, relation: "broader-by-qualifier" };
  }
  return { similarity, relation: null };
}
