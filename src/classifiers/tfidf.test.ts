import { describe, expect, it } from "vitest";
import { charNgrams, fitTfidf, type TfidfConfig, TfidfVectorizer, wordNgrams, words } from "./tfidf.ts";

const UNIGRAMS_AND_TRIGRAMS: TfidfConfig = {
  word: { ngramRange: [1, 1], maxFeatures: 100 },
  char: { ngramRange: [3, 3], maxFeatures: 100 },
  minDocumentFrequency: 1,
};

const CORPUS = ["No bleed", "acute bleed.", "no ACUTE bleed"];

describe("tokens and n-grams", () => {
  it("lower-cases and splits on anything that is not a letter or digit", () => {
    expect(words("IMPRESSION: L4-L5 disc, Ödème 2.5cm")).toEqual([
      "impression",
      "l4",
      "l5",
      "disc",
      "ödème",
      "2",
      "5cm",
    ]);
  });

  it("joins word n-grams with one space", () => {
    expect(wordNgrams(["no", "acute", "bleed"], [1, 2])).toEqual([
      "no",
      "acute",
      "bleed",
      "no acute",
      "acute bleed",
    ]);
  });

  it("cuts character n-grams inside each word padded by spaces, skipping lengths longer than the padded word", () => {
    expect(charNgrams(["no", "bleed"], [3, 4])).toEqual([
      " no",
      "no ",
      " no ",
      " bl",
      "ble",
      "lee",
      "eed",
      "ed ",
      " ble",
      "blee",
      "leed",
      "eed ",
    ]);
  });
});

describe("fitTfidf", () => {
  it("keeps every term with its smoothed idf, in term order", () => {
    const vocabulary = fitTfidf(CORPUS, UNIGRAMS_AND_TRIGRAMS);
    // n = 3 documents; "bleed" is in all 3: ln(4/4) + 1 = 1; "acute" and "no" in 2: ln(4/3) + 1.
    const idf2 = 1.2876820724517808;
    expect(vocabulary.word).toEqual({ terms: ["acute", "bleed", "no"], idf: [idf2, 1, idf2] });
    expect(vocabulary.char.terms).toEqual([
      " ac",
      " bl",
      " no",
      "acu",
      "ble",
      "cut",
      "ed ",
      "eed",
      "lee",
      "no ",
      "te ",
      "ute",
    ]);
    expect(vocabulary.char.idf).toEqual([idf2, 1, idf2, idf2, 1, idf2, 1, 1, 1, idf2, idf2, idf2]);
  });

  it("drops terms below the minimum document frequency and keeps the most frequent up to the maximum", () => {
    const vocabulary = fitTfidf(CORPUS, {
      word: { ngramRange: [1, 2], maxFeatures: 2 },
      char: { ngramRange: [3, 3], maxFeatures: 0 },
      minDocumentFrequency: 2,
    });
    // df: bleed 3, acute 2, no 2, "acute bleed" 2, others 1; the top 2 by df, ties by term: bleed, "acute".
    expect(vocabulary.word.terms).toEqual(["acute", "bleed"]);
    expect(vocabulary.char).toEqual({ terms: [], idf: [] });
  });
});

describe("TfidfVectorizer", () => {
  it("gives sublinear tf × idf, each block L2-normalised and weighted 1/√2 (values worked by hand)", () => {
    const vectorizer = new TfidfVectorizer(UNIGRAMS_AND_TRIGRAMS, fitTfidf(CORPUS, UNIGRAMS_AND_TRIGRAMS));
    const vector = vectorizer.transform("no no bleed, unseen");
    // Words: "no" twice → (1 + ln 2) · (ln(4/3) + 1) = 2.18023527; "bleed" once → 1 · 1; "unseen" unknown.
    // Word block norm √(2.18023527² + 1); each value / norm / √2.
    // Characters: " no" and "no " twice (2.18023527 each), the five trigrams of "bleed" once (1 each);
    // norm √(2 · 2.18023527² + 5).
    const word = [0.29479610602583006, 0.642724867942736];
    const char = [0.4047639058236104, 0.1856514805138009];
    expect([...vector.indices]).toEqual([1, 2, 4, 5, 7, 9, 10, 11, 12]);
    const expected = [word[0], word[1], char[1], char[0], char[1], char[1], char[1], char[1], char[0]];
    for (const [index, value] of vector.values.entries()) expect(value).toBeCloseTo(expected[index], 12);
    const length = Math.hypot(...vector.values);
    expect(length).toBeCloseTo(1, 12);
  });

  it("gives an empty vector for a text with no known terms", () => {
    const vectorizer = new TfidfVectorizer(UNIGRAMS_AND_TRIGRAMS, fitTfidf(CORPUS, UNIGRAMS_AND_TRIGRAMS));
    const vector = vectorizer.transform("zzz");
    expect({ indices: [...vector.indices], values: [...vector.values] }).toEqual({ indices: [], values: [] });
  });
});
