import { describe, expect, it } from "vitest";
import { completionFor } from "../../test/support/runner-fakes.ts";
import { judgeMessages, parseVerdict } from "./judge-prompt.ts";

describe("parseVerdict", () => {
  it.each([
    ['{"verdict": "same", "rationale": "Same disease."}', "same", "Same disease."],
    [
      'Here it is:\n```json\n{"verdict": "more-specific",\n "rationale": "A subtype\\nof it."}\n```',
      "more-specific",
      "A subtype of it.",
    ],
    ['{"note": 1} then {"verdict": "broader", "rationale": "A category."}', "broader", "A category."],
    ['{"verdict": "related", "rationale": "", "confidence": 0.9}', "related", ""],
  ])("reads %j", (text, verdict, rationale) => {
    expect(parseVerdict(completionFor(text))).toEqual({ verdict, rationale });
  });

  it.each([
    [
      "I think it is probably fine!!",
      'the judge gave no verdict of the rubric: "I think it is probably fine!!"',
    ],
    [
      '{"verdict": "correct", "rationale": "Yes."}',
      'the judge gave no verdict of the rubric: "{"verdict": "correct", "rationale": "Yes."}"',
    ],
    ['{"verdict": "same"}', 'the judge gave no verdict of the rubric: "{"verdict": "same"}"'],
    [
      '{"verdict": "same", "rationale": "unclosed',
      'the judge gave no verdict of the rubric: "{"verdict": "same", "rationale": "unclosed"',
    ],
    ["", 'the judge gave no verdict of the rubric: ""'],
  ])("calls %j unparseable, quoting it", (text, rationale) => {
    expect(parseVerdict(completionFor(text))).toEqual({ verdict: "unparseable", rationale });
  });

  it("quotes at most 120 characters of a long answer, on one line", () => {
    const text = `${"word ".repeat(40)}\n\nmore`;
    expect(parseVerdict(completionFor(text))).toEqual({
      verdict: "unparseable",
      rationale: `the judge gave no verdict of the rubric: "${"word ".repeat(24)}…"`,
    });
  });

  it("never reads a verdict from an answer cut off at the token limit", () => {
    const completion = {
      ...completionFor('{"verdict": "same", "rationale": "x"}'),
      finishReason: "length" as const,
    };
    expect(parseVerdict(completion)).toEqual({
      verdict: "unparseable",
      rationale: "the judge's answer was cut off at the token limit",
    });
  });
});

describe("judgeMessages", () => {
  it("puts the rubric in the system message and the pair in the user message", () => {
    const [system, user] = judgeMessages("Migraine", "Hangover headache");
    expect(system.role).toBe("system");
    expect(system.content).toContain('"more-specific": a subtype');
    expect(user).toEqual({
      role: "user",
      content: "Reference diagnosis: Migraine\nCandidate diagnosis: Hangover headache",
    });
  });
});
