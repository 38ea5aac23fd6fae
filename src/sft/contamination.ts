import { SeededRandom } from "../stats/random.ts";

/** A text of an evaluation suite's case. */
export interface EvaluationText {
  suite: string;
  caseId: string;
  text: string;
}

/** A text of a training file, with where it is. */
export interface TrainingText {
  /** `file:line` or the origin of a prepared example. */
  origin: string;
  text: string;
}

export interface ContaminationOptions {
  /** Words per n-gram of the overlap measure. */
  ngram: number;
  /** Share of a case's n-grams found in one training text at which the pair is flagged. */
  ngramThreshold: number;
  /** Estimated share of the case's word-pair shingles found in the training text at which the pair is flagged. */
  similarityThreshold: number;
}

export const DEFAULT_CONTAMINATION_OPTIONS: ContaminationOptions = {
  ngram: 8,
  ngramThreshold: 0.5,
  similarityThreshold: 0.5,
};

export type ContaminationKind = "exact" | "ngram" | "near-duplicate";

/** One flagged (evaluation case, training text) pair. */
export interface ContaminatedPair {
  suite: string;
  caseId: string;
  origin: string;
  kinds: ContaminationKind[];
  /** Share of the case's word n-grams present in the training text. */
  ngramOverlap: number;
  /**
   * Estimated share of the case's word-pair shingles present in the training text (containment), from the
   * MinHash estimate of their Jaccard similarity J and the two set sizes: J·(|A|+|B|) / ((1+J)·|A|).
   */
  similarity: number;
}

/** Words per shingle of the MinHash signature. */
const SHINGLE_WORDS = 2;
const SIGNATURE_SIZE = 128;

/**
 * Text as compared: Unicode-normalised (NFKC), lower case, every run of characters other than letters and
 * digits replaced by one space. Formatting, punctuation and case differences do not hide a copy.
 */
export function normaliseText(text: string): string {
  return text
    .normalize("NFKC")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim();
}

/**
 * Finds evaluation cases that appear in training texts, three ways:
 * - `exact`: the normalised case text occurs whole inside the normalised training text (so a case wrapped
 *   in a prompt template is still found);
 * - `ngram`: at least `ngramThreshold` of the case's distinct word n-grams occur in the training text;
 * - `near-duplicate`: the estimated share of the case's word-pair shingles present in the training text,
 *   from MinHash signatures, is at least `similarityThreshold` (catches light paraphrases that break long
 *   n-grams; containment rather than Jaccard, so a case inside a longer prompt or reasoning still counts).
 * Returns every flagged pair, sorted by suite, case and origin.
 */
export function findContamination(
  evaluation: readonly EvaluationText[],
  training: readonly TrainingText[],
  options: ContaminationOptions = DEFAULT_CONTAMINATION_OPTIONS,
): ContaminatedPair[] {
  const minHash = new MinHasher(SIGNATURE_SIZE, 1);
  const cases = evaluation.map((item) => {
    const normalised = normaliseText(item.text);
    const words = normalised.split(" ").filter(Boolean);
    return {
      item,
      normalised,
      ngrams: new Set(ngrams(words, options.ngram)),
      ...minHash.signature(ngrams(words, SHINGLE_WORDS)),
    };
  });
  const ngramIndex = new Map<string, number[]>();
  cases.forEach((testCase, index) => {
    for (const gram of testCase.ngrams) {
      const holders = ngramIndex.get(gram);
      if (holders) holders.push(index);
      else ngramIndex.set(gram, [index]);
    }
  });

  const pairs: ContaminatedPair[] = [];
  for (const example of training) {
    const normalised = normaliseText(example.text);
    const words = normalised.split(" ").filter(Boolean);
    const shared = new Map<number, number>();
    for (const gram of new Set(ngrams(words, options.ngram))) {
      for (const index of ngramIndex.get(gram) ?? []) shared.set(index, (shared.get(index) ?? 0) + 1);
    }
    const { signature, shingles } = minHash.signature(ngrams(words, SHINGLE_WORDS));
    const padded = ` ${normalised} `;
    // Every pair is compared: banding (LSH) would miss a case contained in a much longer text, whose
    // Jaccard similarity is small although its containment is high.
    for (const [index, testCase] of cases.entries()) {
      if (testCase.normalised === "") continue;
      const kinds: ContaminationKind[] = [];
      if (padded.includes(` ${testCase.normalised} `)) kinds.push("exact");
      const ngramOverlap = testCase.ngrams.size === 0 ? 0 : (shared.get(index) ?? 0) / testCase.ngrams.size;
      if (ngramOverlap >= options.ngramThreshold) kinds.push("ngram");
      const similarity = estimateContainment(testCase.signature, signature, testCase.shingles, shingles);
      if (similarity >= options.similarityThreshold) kinds.push("near-duplicate");
      if (kinds.length === 0) continue;
      pairs.push({
        suite: testCase.item.suite,
        caseId: testCase.item.caseId,
        origin: example.origin,
        kinds,
        ngramOverlap: round(ngramOverlap),
        similarity: round(similarity),
      });
    }
  }
  return pairs.sort(
    (a, b) =>
      a.suite.localeCompare(b.suite) || a.caseId.localeCompare(b.caseId) || a.origin.localeCompare(b.origin),
  );
}

/** Word n-grams; a text shorter than n words is one gram of all its words. */
function ngrams(words: readonly string[], size: number): string[] {
  if (words.length === 0) return [];
  if (words.length < size) return [words.join(" ")];
  const grams: string[] = [];
  for (let start = 0; start + size <= words.length; start++)
    grams.push(words.slice(start, start + size).join(" "));
  return grams;
}

function estimateContainment(a: Uint32Array, b: Uint32Array, sizeA: number, sizeB: number): number {
  if (sizeA === 0) return 0;
  let equal = 0;
  for (let index = 0; index < a.length; index++) if (a[index] === b[index]) equal++;
  const jaccard = equal / a.length;
  return Math.min(1, (jaccard * (sizeA + sizeB)) / ((1 + jaccard) * sizeA));
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

/**
 * MinHash signatures (Broder 1997): for each of `size` seeded hash functions, the least hash over the
 * shingles. Two signatures agree at a position with probability equal to the Jaccard similarity of the sets.
 */
class MinHasher {
  private readonly seeds: Uint32Array;

  constructor(size: number, seed: number) {
    const random = new SeededRandom(seed);
    this.seeds = Uint32Array.from({ length: size }, () => random.nextUint32());
  }

  /** The signature and the number of distinct shingles. */
  signature(shingles: readonly string[]): { signature: Uint32Array; shingles: number } {
    const signature = new Uint32Array(this.seeds.length).fill(0xffffffff);
    const distinct = new Set(shingles);
    for (const shingle of distinct) {
      const base = fnv1a(shingle);
      for (let index = 0; index < this.seeds.length; index++) {
        const hash = mix32(base ^ this.seeds[index]);
        if (hash < signature[index]) signature[index] = hash;
      }
    }
    return { signature, shingles: distinct.size };
  }
}

/** FNV-1a, 32-bit, over UTF-16 code units. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** MurmurHash3's 32-bit finaliser: an invertible mix, so each seed gives a different permutation of hashes. */
function mix32(value: number): number {
  let hash = value >>> 0;
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}
