import { describe, expect, it } from "vitest";
import { ADVERSARIAL_SHAPES } from "../../../test/support/adversarial-answers.ts";
import { mulberry32 as random } from "../../../test/support/mulberry32.ts";
import type { DiagnosisCase } from "../../core/case.ts";
import type { Completion } from "../../core/chat.ts";
import { normalizeDiagnosis, wordKey } from "../../terminology/normalize.ts";
import type { DiagnosisGrade } from "./diagnosis-grade.ts";
import { gradeDiagnosis } from "./grade.ts";

/**
 * Random and adversarial answers, up to megabytes long, graded end to end. The assertions are about
 * correctness; linear time is what lets these finish (a quadratic pass takes minutes on them), and it
 * is measured in bench/grading-length.ts, not here.
 */

const ALPHABET = [
  ..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
  ..."      \t\n\n",
  ..."-–—,;:.!?()[]{}'\"’`*#_/\\|&+=<>%",
  ..."éèüöñçøåßαβγδκλμ\u0301\u0308ﬁ　",
];
const WORDS = [
  "acute",
  "appendicitis",
  "type",
  "II",
  "two",
  "Crohn's",
  "non",
  "ruled out",
  "secondary to",
  "with",
];

function randomText(next: () => number, length: number): string {
  let text = "";
  while (text.length < length) {
    text +=
      next() < 0.3
        ? ` ${WORDS[Math.floor(next() * WORDS.length)]} `
        : ALPHABET[Math.floor(next() * ALPHABET.length)];
  }
  return text.slice(0, length);
}

const testCase: DiagnosisCase = {
  id: "fuzz",
  presentation: "…",
  diagnosis: "Acute appendicitis",
  accept: ["Appendiceal abscess"],
  reject: ["Appendiceal mucocele"],
};

function completion(text: string): Completion {
  return {
    text,
    reasoning: null,
    finishReason: "stop",
    tokens: { prompt: 0, completion: 0, reasoning: null },
    latencyMs: 0,
    model: { provider: "fuzz", model: "fuzz" },
  };
}

/** What every grade must satisfy, whatever the answer. */
function checkGrade(grade: DiagnosisGrade, k: number): void {
  expect(["correct", "incorrect", "unparseable"]).toContain(grade.outcome);
  expect(grade.answers.length).toBeLessThanOrEqual(k);
  expect(new Set(grade.answers.map(normalizeDiagnosis)).size).toBe(grade.answers.length);
  for (const answer of grade.answers) expect(normalizeDiagnosis(answer)).not.toBe("");
  if (grade.outcome === "unparseable") {
    expect([grade.answers, grade.rank, grade.decisions]).toEqual([[], null, undefined]);
    return;
  }
  expect(grade.decisions?.map((decision) => decision.answer)).toEqual(grade.answers);
  const firstCorrect = grade.decisions?.findIndex((decision) => decision.correct === true) ?? -1;
  expect(grade.rank).toBe(firstCorrect === -1 ? null : firstCorrect + 1);
  expect(grade.outcome).toBe(firstCorrect === -1 ? "incorrect" : "correct");
  if (grade.rank !== null) expect(grade.rung).toBe(grade.decisions?.[grade.rank - 1].rung);
  if (grade.lenientRank !== null) expect(grade.lenientRank).toBeLessThanOrEqual(grade.rank ?? k);
  for (const decision of grade.decisions ?? []) {
    expect(decision.correct === null).toBe(decision.rung === "undecided");
    if (["excluded", "rejected", "broader", "different"].includes(decision.rung))
      expect(decision.correct).toBe(false);
  }
}

describe("normalisation of random text", () => {
  const next = random(20261204);

  it("is lower case, single-spaced, trimmed and idempotent", () => {
    for (let round = 0; round < 500; round++) {
      const text = randomText(next, Math.floor(next() * 400));
      const normalized = normalizeDiagnosis(text);
      expect(normalized).toBe(normalized.toLowerCase());
      expect(normalized).not.toMatch(/ {2}|^ | $/);
      expect(normalizeDiagnosis(normalized)).toBe(normalized);
    }
  });

  it("gives the same word key whatever the order of the words", () => {
    // Plain words: a roman numeral after "type" and a prefix such as "non" join their neighbour on purpose.
    const plain = [
      "acute",
      "appendicitis",
      "Crohn's",
      "disease",
      "of",
      "the",
      "femur",
      "fractures",
      "neck",
      "left",
    ];
    for (let round = 0; round < 300; round++) {
      const words = Array.from(
        { length: 1 + Math.floor(next() * 8) },
        () => plain[Math.floor(next() * plain.length)],
      );
      const shuffled = [...words].sort(() => next() - 0.5);
      expect(wordKey(shuffled.join(" "))).toBe(wordKey(words.join(" ")));
    }
  });
});

describe("grading random and adversarial answers", () => {
  const next = random(7);

  it("grades random answers of up to 20,000 characters", () => {
    for (let round = 0; round < 200; round++) {
      const k = 1 + Math.floor(next() * 6);
      checkGrade(
        gradeDiagnosis(testCase, completion(randomText(next, Math.floor(next() * 20_000))), { topK: k }),
        k,
      );
    }
  });

  it("grades a 4 MB random answer", () => {
    checkGrade(gradeDiagnosis(testCase, completion(randomText(next, 4 * 1024 * 1024)), { topK: 5 }), 5);
  });

  it.each(Object.keys(ADVERSARIAL_SHAPES))("grades %s, 1 MB", (shape) => {
    checkGrade(gradeDiagnosis(testCase, completion(ADVERSARIAL_SHAPES[shape](1024 * 1024)), { topK: 5 }), 5);
  });

  it.each(["one long word", "letters ending in o-", "spaces between two letters", "open brackets", "prose"])(
    "grades %s, 4 MB",
    (shape) => {
      checkGrade(
        gradeDiagnosis(testCase, completion(ADVERSARIAL_SHAPES[shape](4 * 1024 * 1024)), { topK: 5 }),
        5,
      );
    },
  );

  it("still finds the answer after megabytes of prose", () => {
    const grade = gradeDiagnosis(testCase, completion(ADVERSARIAL_SHAPES.prose(2 * 1024 * 1024)), {
      topK: 5,
    });
    expect([grade.outcome, grade.answers]).toEqual(["correct", ["acute appendicitis"]]);
  });
});
