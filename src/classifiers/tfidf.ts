import type { SparseVector } from "./sparse-vector.ts";

/** What the TF-IDF features are made of; recorded in the model file. */
export interface TfidfConfig {
  /** Word n-grams from `minN` to `maxN` words, keeping the `maxFeatures` with the highest document frequency. */
  word: { ngramRange: [number, number]; maxFeatures: number };
  /** Character n-grams within each word padded by one space on either side. */
  char: { ngramRange: [number, number]; maxFeatures: number };
  /** A term must occur in at least this many training documents. */
  minDocumentFrequency: number;
}

export const DEFAULT_TFIDF_CONFIG: TfidfConfig = {
  word: { ngramRange: [1, 2], maxFeatures: 20_000 },
  char: { ngramRange: [3, 5], maxFeatures: 30_000 },
  minDocumentFrequency: 2,
};

/** The terms of one block with their inverse document frequencies, in the order of their feature indices. */
export interface TermBlock {
  terms: string[];
  idf: number[];
}

export interface TfidfVocabulary {
  word: TermBlock;
  char: TermBlock;
}

/**
 * Lower-cased words: maximal runs of Unicode letters and digits. Punctuation separates words,
 * so "L4-L5" gives "l4" and "l5".
 */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** Word n-grams (words joined by one space) for every n in the range, in text order. */
export function wordNgrams(tokens: readonly string[], [minN, maxN]: readonly [number, number]): string[] {
  const grams: string[] = [];
  for (let n = minN; n <= maxN; n++) {
    for (let start = 0; start + n <= tokens.length; start++) {
      let gram = tokens[start];
      for (let next = start + 1; next < start + n; next++) gram += ` ${tokens[next]}`;
      grams.push(gram);
    }
  }
  return grams;
}

/**
 * Character n-grams inside word boundaries: each word is padded with a space on either side and cut
 * into n-grams; a padded word shorter than n gives no n-gram of that length.
 */
export function charNgrams(tokens: readonly string[], [minN, maxN]: readonly [number, number]): string[] {
  const grams: string[] = [];
  for (const token of tokens) {
    const padded = ` ${token} `;
    for (let n = minN; n <= maxN; n++) {
      for (let start = 0; start + n <= padded.length; start++) grams.push(padded.slice(start, start + n));
    }
  }
  return grams;
}

/**
 * Chooses the vocabulary on training documents: per block, the terms found in at least
 * `minDocumentFrequency` documents, the `maxFeatures` most frequent (ties by term), in term order,
 * each with the smoothed idf ln((1 + n) / (1 + df)) + 1.
 */
export function fitTfidf(texts: readonly string[], config: TfidfConfig): TfidfVocabulary {
  const wordFrequency = new Map<string, DocumentFrequency>();
  const charFrequency = new Map<string, DocumentFrequency>();
  texts.forEach((text, document) => {
    const tokens = words(text);
    countDocument(wordFrequency, wordNgrams(tokens, config.word.ngramRange), document);
    countDocument(charFrequency, charNgrams(tokens, config.char.ngramRange), document);
  });
  const block = (frequency: Map<string, DocumentFrequency>, maxFeatures: number): TermBlock => {
    const kept = [...frequency]
      .filter(([, { documents }]) => documents >= config.minDocumentFrequency)
      .map(([term, { documents }]): [string, number] => [term, documents])
      .sort(([termA, countA], [termB, countB]) => countB - countA || compareText(termA, termB))
      .slice(0, maxFeatures)
      .sort(([termA], [termB]) => compareText(termA, termB));
    return {
      terms: kept.map(([term]) => term),
      idf: kept.map(([, count]) => Math.log((1 + texts.length) / (1 + count)) + 1),
    };
  };
  return {
    word: block(wordFrequency, config.word.maxFeatures),
    char: block(charFrequency, config.char.maxFeatures),
  };
}

interface DocumentFrequency {
  documents: number;
  /** The last document counted, so a term repeated in one document counts once. */
  last: number;
}

function countDocument(frequency: Map<string, DocumentFrequency>, grams: string[], document: number): void {
  for (const gram of grams) {
    const entry = frequency.get(gram);
    if (entry === undefined) frequency.set(gram, { documents: 1, last: document });
    else if (entry.last !== document) {
      entry.documents += 1;
      entry.last = document;
    }
  }
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Each block is L2-normalised, then weighted by this, so word and character features weigh the same. */
const BLOCK_WEIGHT = Math.SQRT1_2;

/**
 * Turns texts into TF-IDF vectors: word features first (indices 0 … words − 1), then character features.
 * Term frequency is sublinear (1 + ln count); each block is L2-normalised and weighted 1/√2, so a text
 * with terms in both blocks has a vector of length 1.
 */
export class TfidfVectorizer {
  readonly dimensions: number;
  private readonly index: Map<string, number>[];
  private readonly idf: Float64Array;
  private readonly counts: Float64Array;

  constructor(
    readonly config: TfidfConfig,
    readonly vocabulary: TfidfVocabulary,
  ) {
    const wordCount = vocabulary.word.terms.length;
    this.index = [
      new Map(vocabulary.word.terms.map((term, position) => [term, position])),
      new Map(vocabulary.char.terms.map((term, position) => [term, wordCount + position])),
    ];
    this.dimensions = wordCount + vocabulary.char.terms.length;
    this.idf = Float64Array.from([...vocabulary.word.idf, ...vocabulary.char.idf]);
    this.counts = new Float64Array(this.dimensions);
  }

  transform(text: string): SparseVector {
    const tokens = words(text);
    const blocks = [
      wordNgrams(tokens, this.config.word.ngramRange),
      charNgrams(tokens, this.config.char.ngramRange),
    ];
    const { counts, idf } = this;
    const found: number[] = [];
    const ends: number[] = [];
    blocks.forEach((grams, block) => {
      const index = this.index[block];
      for (const gram of grams) {
        const position = index.get(gram);
        if (position === undefined) continue;
        if (counts[position] === 0) found.push(position);
        counts[position] += 1;
      }
      ends.push(found.length);
    });
    const indices = Int32Array.from(found);
    const values = new Float64Array(indices.length);
    let blockStart = 0;
    for (const blockEnd of ends) {
      indices.subarray(blockStart, blockEnd).sort();
      let squares = 0;
      for (let i = blockStart; i < blockEnd; i++) {
        const position = indices[i];
        const value = (1 + Math.log(counts[position])) * idf[position];
        counts[position] = 0;
        values[i] = value;
        squares += value * value;
      }
      const scale = squares === 0 ? 0 : BLOCK_WEIGHT / Math.sqrt(squares);
      for (let i = blockStart; i < blockEnd; i++) values[i] *= scale;
      blockStart = blockEnd;
    }
    return { indices, values };
  }
}
