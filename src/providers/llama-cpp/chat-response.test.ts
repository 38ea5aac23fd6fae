import { describe, expect, it } from "vitest";
import { splitResponse } from "./chat-response.ts";

describe("splitResponse", () => {
  it("keeps a plain response as the answer", () => {
    expect(splitResponse(["Community-acquired pneumonia"])).toEqual({
      answer: "Community-acquired pneumonia",
      reasoning: null,
    });
  });

  it("takes a finished thought segment as the reasoning", () => {
    const items = [
      { type: "segment" as const, segmentType: "thought", text: "Fever and cough suggest", ended: true },
      "\n\nPneumonia",
    ];
    expect(splitResponse(items)).toEqual({ answer: "Pneumonia", reasoning: "Fever and cough suggest" });
  });

  it("makes a thought cut off by the token limit all reasoning and no answer", () => {
    const items = [
      { type: "segment" as const, segmentType: "thought", text: "First consider", ended: false },
    ];
    expect(splitResponse(items)).toEqual({ answer: "", reasoning: "First consider" });
  });

  it("splits inline think tags and a lone closing tag left in the text", () => {
    expect(splitResponse(["<think>weighing options</think>Appendicitis"])).toEqual({
      answer: "Appendicitis",
      reasoning: "weighing options",
    });
    expect(splitResponse(["weighing options</think>", "Appendicitis"])).toEqual({
      answer: "Appendicitis",
      reasoning: "weighing options",
    });
  });
});
