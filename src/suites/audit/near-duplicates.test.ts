import { describe, expect, it } from "vitest";
import { findNearDuplicates, jaccard, wordShingles } from "./near-duplicates.ts";

describe("word shingles", () => {
  it("are the distinct lower-case word n-grams, punctuation dropped, sorted", () => {
    expect(wordShingles("Fever, cough; fever cough.", 2)).toEqual(["cough fever", "fever cough"]);
    expect(wordShingles("Two words", 3)).toEqual(["two words"]);
    expect(wordShingles("", 3)).toEqual([]);
  });
});

describe("Jaccard similarity", () => {
  it("is shared over combined keys", () => {
    expect(jaccard(["a", "b", "c"], ["b", "c", "d"])).toBe(2 / 4);
    expect(jaccard(["a"], ["a"])).toBe(1);
    expect(jaccard([], [])).toBe(0);
  });
});

describe("near-duplicates", () => {
  const original =
    "A 34-year-old woman has had three days of lower abdominal pain, worse on the left, with a fever of 38.4 °C and a new vaginal discharge.";
  const reworded =
    "A 29-year-old woman has had three days of lower abdominal pain, worse on the right, with a fever of 38.1 °C and a new vaginal discharge.";
  const different =
    "An 80-year-old man fell at home last night and cannot bear weight on the left leg, which is shortened.";

  it("reports pairs at or above the threshold, most similar first, with their similarity", () => {
    const pairs = findNearDuplicates([
      { id: "a", text: original },
      { id: "b", text: reworded },
      { id: "c", text: different },
    ]);
    // 27 shingles each, 19 shared: 19 / (27 + 27 − 19), as Python's set arithmetic on re.findall(r"[^\W_]+") gives.
    const pair = { first: "a", second: "b", similarity: 19 / 35 };
    expect(pairs).toEqual({ pairs: [pair], mostSimilar: pair });
  });

  it("leaves out pairs below the threshold", () => {
    expect(
      findNearDuplicates(
        [
          { id: "a", text: original },
          { id: "b", text: reworded },
        ],
        { threshold: 0.6 },
      ),
    ).toEqual({ pairs: [], mostSimilar: { first: "a", second: "b", similarity: 19 / 35 } });
    expect(findNearDuplicates([{ id: "a", text: original }])).toEqual({ pairs: [], mostSimilar: null });
  });
});
