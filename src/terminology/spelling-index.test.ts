import { describe, expect, it } from "vitest";
import { editDistance, SpellingIndex } from "./spelling-index.ts";

/** The textbook optimal string alignment distance, without early stopping or reused rows. */
function plainDistance(a: string, b: string): number {
  const table = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      table[i][j] = Math.min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        table[i][j] = Math.min(table[i][j], table[i - 2][j - 2] + 1);
      }
    }
  }
  return table[a.length][b.length];
}

describe("editDistance", () => {
  it("counts insertions, deletions, substitutions and swaps of neighbours", () => {
    expect(
      [
        ["appendicitis", "appendicitis"],
        ["appendicitis", "apendicitis"],
        ["appendicitis", "appendictiis"],
        ["meningitis", "meningitsi"],
        ["guillain", "guillan"],
        ["", "abc"],
        ["abc", ""],
      ].map(([a, b]) => editDistance(a, b, 2)),
    ).toEqual([0, 1, 1, 1, 1, 3, 3]);
  });

  it("agrees with the textbook distance up to its limit, on seeded random words of every length", () => {
    let state = 17;
    const next = () => {
      state = (state * 1103515245 + 12345) % 2147483648;
      return state / 2147483648;
    };
    const word = (length: number) => Array.from({ length }, () => "abcde"[Math.floor(next() * 5)]).join("");
    for (let round = 0; round < 2_000; round++) {
      const a = word(Math.floor(next() * 12));
      const b = word(Math.floor(next() * 140));
      const limit = 1 + Math.floor(next() * 3);
      const expected = Math.min(plainDistance(a, b), limit + 1);
      expect([a, b, limit, editDistance(a, b, limit)]).toEqual([a, b, limit, expected]);
    }
  });
});

describe("SpellingIndex", () => {
  const index = new SpellingIndex(["Acute appendicitis", "Bacterial meningitis", "Pulmonary embolism"]);

  it("corrects unknown words to known words nearby, every combination", () => {
    expect(index.corrections("acute apendicitis")).toEqual(["acute appendicitis"]);
    expect(index.corrections("bacterail menigitis")).toEqual(["bacterial meningitis"]);
  });

  it("corrects to words that normalisation reads as others", () => {
    const disorders = new SpellingIndex(["Obsessive-compulsive disorder"]);
    expect(disorders.corrections("obsessive compulsive disordr")).toEqual(["obsessive compulsive disorder"]);
  });

  it("leaves names of known words, short words and numbers alone", () => {
    expect(index.corrections("pulmonary embolism")).toEqual([]);
    expect(index.corrections("acute appendicitis type 2")).toEqual([]);
    expect(index.corrections("acut")).toEqual([]);
  });
});
