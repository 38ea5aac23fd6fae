/** Two texts whose word shingles overlap at least as much as the threshold. */
export interface NearDuplicate {
  first: string;
  second: string;
  /** Jaccard similarity of the two texts' word shingles, 0–1. */
  similarity: number;
}

export interface NearDuplicateOptions {
  /** Words per shingle (default 3). */
  shingleWords?: number;
  /** Pairs at or above this Jaccard similarity are reported (default 0.2). */
  threshold?: number;
}

export const DEFAULT_SHINGLE_WORDS = 3;
/** About three times the most similar pair among 120 independently written vignettes (dx-core@1: 0.073). */
export const DEFAULT_NEAR_DUPLICATE_THRESHOLD = 0.2;

/**
 * Pairs of texts that share much of their wording: the Jaccard similarity of their sets of word
 * n-grams (lower case, letters and digits only), computed exactly over every pair, most similar first,
 * and the most similar pair whatever its similarity (null for fewer than two texts). Quadratic in the
 * number of texts, which is fine for suites of a few thousand cases.
 */
export function findNearDuplicates(
  texts: ReadonlyArray<{ id: string; text: string }>,
  options: NearDuplicateOptions = {},
): { pairs: NearDuplicate[]; mostSimilar: NearDuplicate | null } {
  const shingleWords = options.shingleWords ?? DEFAULT_SHINGLE_WORDS;
  const threshold = options.threshold ?? DEFAULT_NEAR_DUPLICATE_THRESHOLD;
  const shingles = texts.map((entry) => wordShingles(entry.text, shingleWords));
  const pairs: NearDuplicate[] = [];
  let mostSimilar: NearDuplicate | null = null;
  for (let first = 0; first < texts.length; first++) {
    for (let second = first + 1; second < texts.length; second++) {
      const similarity = jaccard(shingles[first], shingles[second]);
      const pair = { first: texts[first].id, second: texts[second].id, similarity };
      if (similarity >= threshold) pairs.push(pair);
      if (mostSimilar === null || similarity > mostSimilar.similarity) mostSimilar = pair;
    }
  }
  return { pairs: pairs.sort((a, b) => b.similarity - a.similarity), mostSimilar };
}

/** The distinct word n-grams of a text (a shorter text is one shingle), sorted. */
export function wordShingles(text: string, shingleWords: number): string[] {
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  const found = new Set<string>();
  if (words.length > 0 && words.length < shingleWords) found.add(words.join(" "));
  for (let start = 0; start + shingleWords <= words.length; start++) {
    found.add(words.slice(start, start + shingleWords).join(" "));
  }
  return [...found].sort();
}

/** Jaccard similarity of two sorted lists of distinct keys; 0 when both are empty. */
export function jaccard(first: readonly string[], second: readonly string[]): number {
  if (first.length === 0 && second.length === 0) return 0;
  let shared = 0;
  let i = 0;
  let j = 0;
  while (i < first.length && j < second.length) {
    if (first[i] === second[j]) {
      shared++;
      i++;
      j++;
    } else if (first[i] < second[j]) i++;
    else j++;
  }
  return shared / (first.length + second.length - shared);
}
