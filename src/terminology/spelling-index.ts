import { normalizeDiagnosis, SAME_WORDS } from "./normalize.ts";

/** Words shorter than this are never corrected: one letter separates too many short names. */
const MIN_CORRECTED_LENGTH = 5;
/** At most this many corrected spellings of one name are tried. */
const MAX_CORRECTIONS = 16;

/**
 * Corrects the words of a name that no concept uses to the known words one edit away (an insertion,
 * deletion, substitution or swap of neighbours), two for words of nine letters or more, found through
 * an index of each known word with one letter deleted. Known words are never changed, and one vowel
 * is never put for another, so "nephritic" stays "nephritic" although "nephrotic" is one letter away.
 */
export class SpellingIndex {
  private readonly known = new Set<string>();
  private readonly byDeletion = new Map<string, string[]>();

  constructor(names: Iterable<string>) {
    for (const name of names) {
      for (const word of normalizeDiagnosis(name).split(" ")) this.add(word);
    }
    // Normalisation writes "disorder" as "disease": a misspelt "disorer" is corrected to the written word.
    for (const [written, read] of SAME_WORDS) if (this.known.has(read)) this.add(written);
  }

  private add(word: string): void {
    if (word === "" || this.known.has(word)) return;
    this.known.add(word);
    if (word.length < MIN_CORRECTED_LENGTH - 1) return;
    for (const key of deletions(word)) {
      const words = this.byDeletion.get(key);
      if (words === undefined) this.byDeletion.set(key, [word]);
      else words.push(word);
    }
  }

  /** The name with its unknown words corrected, every combination; [] when nothing was corrected. */
  corrections(name: string): string[] {
    const words = normalizeDiagnosis(name).split(" ");
    if (words.length > 12 || !words.some((word) => this.correctable(word))) return [];
    let results: string[][] = [[]];
    for (const word of words) {
      let options = [word];
      if (this.correctable(word)) {
        options = this.nearWords(word);
        if (options.length === 0) return [];
      }
      results = results.flatMap((prefix) => options.map((option) => [...prefix, option]));
      if (results.length > MAX_CORRECTIONS) return [];
    }
    return results.map((result) => result.join(" "));
  }

  /** An unknown word long enough to be corrected. */
  private correctable(word: string): boolean {
    return !this.known.has(word) && word.length >= MIN_CORRECTED_LENGTH && /^\p{L}+$/u.test(word);
  }

  private nearWords(word: string): string[] {
    const limit = word.length >= 9 ? 2 : 1;
    const found = new Set<string>();
    for (const key of [word, ...deletions(word)]) {
      for (const candidate of this.byDeletion.get(key) ?? []) found.add(candidate);
      if (this.known.has(key)) found.add(key);
    }
    return [...found].filter(
      (candidate) => editDistance(word, candidate, limit) <= limit && !swapsOneVowel(word, candidate),
    );
  }
}

const VOWELS = new Set(["a", "e", "i", "o", "u", "y"]);

/**
 * One vowel written for another often makes another word, not a misspelling (nephritic/nephrotic,
 * ileum/ilium, perineal/peroneal): such a pair is never corrected.
 */
function swapsOneVowel(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let differing = -1;
  for (let index = 0; index < a.length; index++) {
    if (a[index] === b[index]) continue;
    if (differing >= 0) return false;
    differing = index;
  }
  return differing >= 0 && VOWELS.has(a[differing]) && VOWELS.has(b[differing]);
}

function deletions(word: string): string[] {
  const result: string[] = [];
  for (let index = 0; index < word.length; index++) result.push(word.slice(0, index) + word.slice(index + 1));
  return result;
}

/** Rows of editDistance, reused: names are short, and the distance is asked for thousands of times. */
let rows = [new Int32Array(64), new Int32Array(64), new Int32Array(64)];

/** Optimal string alignment distance (Levenshtein plus swaps of neighbours), stopping early past `limit`. */
export function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  if (rows[0].length <= b.length) rows = rows.map(() => new Int32Array(b.length * 2 + 1));
  let [previousPrevious, previous, current] = rows;
  for (let j = 0; j <= b.length; j++) previous[j] = j;
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    let rowMinimum = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        value = Math.min(value, previousPrevious[j - 2] + 1);
      }
      current[j] = value;
      rowMinimum = Math.min(rowMinimum, value);
    }
    if (rowMinimum > limit) return limit + 1;
    [previousPrevious, previous, current] = [previous, current, previousPrevious];
  }
  return previous[b.length];
}
