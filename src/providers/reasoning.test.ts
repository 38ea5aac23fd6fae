import { describe, expect, it } from "vitest";
import { combineReasoning, splitReasoning } from "./reasoning.ts";

describe("splitReasoning", () => {
  it.each([
    ["plain answer", { answer: "plain answer", reasoning: null }],
    ["<think>weigh it</think>\n\nAnswer", { answer: "Answer", reasoning: "weigh it" }],
    ["weigh it\n</think>\nAnswer", { answer: "Answer", reasoning: "weigh it" }],
    [
      "<think>still thinking when the tokens ran out",
      { answer: "", reasoning: "still thinking when the tokens ran out" },
    ],
    ["<think></think>Answer", { answer: "Answer", reasoning: "" }],
    ["<think>a</think>draft</think>final", { answer: "final", reasoning: "adraft" }],
  ])("%j", (text, expected) => {
    expect(splitReasoning(text)).toEqual(expected);
  });
});

describe("combineReasoning", () => {
  it("keeps a reasoning field and strips inline blocks from the answer", () => {
    expect(combineReasoning("from the field", "<think>inline</think>Answer")).toEqual({
      answer: "Answer",
      reasoning: "from the field\n\ninline",
    });
    expect(combineReasoning(null, "Answer")).toEqual({ answer: "Answer", reasoning: null });
    expect(combineReasoning("  ", "Answer")).toEqual({ answer: "Answer", reasoning: null });
  });
});
