import { describe, expect, it } from "vitest";
import { completionFor } from "../../test/support/runner-fakes.ts";
import { clipCompletion } from "./clip-completion.ts";

describe("clipCompletion", () => {
  it("leaves a completion within the limit as it is", () => {
    const completion = { ...completionFor("Pneumonia"), reasoning: "short" };
    expect(clipCompletion(completion, 9)).toBe(completion);
  });

  it("cuts a long answer and a long reasoning, keeping their original lengths", () => {
    const completion = { ...completionFor("x".repeat(25)), reasoning: "r".repeat(12) };
    expect(clipCompletion(completion, 10)).toEqual({
      ...completion,
      text: "x".repeat(10),
      reasoning: "r".repeat(10),
      clipped: { text: 25, reasoning: 12 },
    });
    const onlyText = clipCompletion({ ...completion, reasoning: null }, 10);
    expect(onlyText.clipped).toEqual({ text: 25 });
    expect(onlyText.reasoning).toBeNull();
  });

  it("never splits a character outside the basic plane", () => {
    const clipped = clipCompletion(completionFor(`abc${"😀".repeat(4)}`), 6);
    expect(clipped.text).toBe("abc😀");
    expect(clipped.clipped).toEqual({ text: 11 });
  });
});
