import { describe, expect, it } from "vitest";
import { parseCsv } from "../suites/parse-csv.ts";
import { adjudicationSheet, readAdjudicationSheet } from "./adjudication-csv.ts";
import type { PendingPair } from "./answer-pairs.ts";

const DECIDED = { reviewer: "Dr Rossi", decidedAt: "2026-01-05T10:00:00.000Z" };

function pair(overrides: Partial<PendingPair>): PendingPair {
  return {
    reference: "Pulmonary embolism",
    answer: "PE?",
    reason: "undecided",
    judgeVerdict: null,
    judgeRationale: null,
    similarity: null,
    models: ["a", "b"],
    cases: ["dx-1"],
    count: 2,
    ...overrides,
  };
}

describe("adjudicationSheet", () => {
  it("neutralises cells a spreadsheet would run as formulas, and import restores them", () => {
    const pairs = [
      pair({ answer: '=HYPERLINK("http://x")', reason: "fuzzy", similarity: 0.8 }),
      pair({ answer: "+1 more", judgeVerdict: "related", judgeRationale: "-ish", reason: "judge" }),
      pair({ answer: "@risk", reference: "\tTabbed" }),
    ];
    const sheet = adjudicationSheet(pairs);
    expect(parseCsv(sheet).map((record) => record.values)).toEqual([
      [
        "reference",
        "answer",
        "reason",
        "judge_verdict",
        "judge_rationale",
        "similarity",
        "count",
        "models",
        "cases",
        "decision",
        "note",
      ],
      ["Pulmonary embolism", '\'=HYPERLINK("http://x")', "fuzzy", "", "", "0.8", "2", "a b", "dx-1", "", ""],
      ["Pulmonary embolism", "'+1 more", "judge", "related", "'-ish", "", "2", "a b", "dx-1", "", ""],
      ["'\tTabbed", "'@risk", "undecided", "", "", "", "2", "a b", "dx-1", "", ""],
    ]);
    const filled = sheet.replace(/,,\r\n/g, ",Correct,'=note\r\n");
    expect(readAdjudicationSheet(filled, "sheet.csv", DECIDED)).toEqual([
      {
        reference: "Pulmonary embolism",
        answer: '=HYPERLINK("http://x")',
        decision: "correct",
        note: "=note",
        ...DECIDED,
      },
      { reference: "Pulmonary embolism", answer: "+1 more", decision: "correct", note: "=note", ...DECIDED },
      { reference: "Tabbed", answer: "@risk", decision: "correct", note: "=note", ...DECIDED },
    ]);
  });
});

describe("readAdjudicationSheet", () => {
  it("reads only the reference, answer, decision and note columns, in any order", () => {
    expect(
      readAdjudicationSheet(
        "note,decision,answer,reference,extra\r\nvague,More specific,Segmental PE,Pulmonary embolism,x\r\n",
        "sheet.csv",
        DECIDED,
      ),
    ).toEqual([
      {
        reference: "Pulmonary embolism",
        answer: "Segmental PE",
        decision: "more-specific",
        note: "vague",
        ...DECIDED,
      },
    ]);
  });

  it("keeps one decision for a pair given twice the same way", () => {
    expect(
      readAdjudicationSheet(
        "reference,answer,decision\r\nMigraine,Hangover headache,incorrect\r\nmigraine,hangover headache.,incorrect\r\n",
        "sheet.csv",
        DECIDED,
      ),
    ).toEqual([
      { reference: "Migraine", answer: "Hangover headache", decision: "incorrect", note: null, ...DECIDED },
    ]);
  });
});
