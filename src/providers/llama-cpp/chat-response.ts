import type { SplitText } from "../reasoning.ts";
import { splitReasoning } from "../reasoning.ts";

/** What node-llama-cpp's LlamaChat returns as `fullResponse`: text, and segments such as thoughts. */
export type ResponseItem = string | { type: "segment"; segmentType: string; text: string; ended: boolean };

/**
 * The answer and the reasoning of a response. Chat wrappers that know a model's thinking syntax
 * (DeepSeek R1, Qwen 3) hand thoughts over as segments; others leave `<think>…</think>` (or a lone
 * `</think>`) in the text. Segments are put back as `<think>` blocks so both go through one split.
 */
export function splitResponse(items: readonly ResponseItem[]): SplitText {
  const text = items
    .map((item) => (typeof item === "string" ? item : `<think>${item.text}${item.ended ? "</think>" : ""}`))
    .join("");
  return splitReasoning(text);
}
