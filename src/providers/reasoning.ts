export interface SplitText {
  answer: string;
  reasoning: string | null;
}

const OPEN = "<think>";
const CLOSE = "</think>";

/**
 * Separates inline reasoning from the answer: `<think>…</think>answer`, or only a closing
 * `</think>` when the chat template opened the block in the prompt. An opened block that never
 * closes is all reasoning (the model ran out of tokens while thinking): the answer is empty.
 */
export function splitReasoning(text: string): SplitText {
  const close = text.indexOf(CLOSE);
  const open = text.indexOf(OPEN);
  if (close === -1) {
    if (open === -1) return { answer: text.trim(), reasoning: null };
    return { answer: text.slice(0, open).trim(), reasoning: text.slice(open + OPEN.length).trim() };
  }
  const start = open !== -1 && open < close ? open + OPEN.length : 0;
  const lastClose = text.lastIndexOf(CLOSE);
  return {
    answer: text.slice(lastClose + CLOSE.length).trim(),
    reasoning: text.slice(start, lastClose).replaceAll(OPEN, "").replaceAll(CLOSE, "").trim(),
  };
}

/** Joins reasoning given in a separate field (vLLM `reasoning_content`, Ollama `thinking`) with inline reasoning. */
export function combineReasoning(fieldReasoning: string | null | undefined, text: string): SplitText {
  const inline = splitReasoning(text);
  const parts = [fieldReasoning?.trim(), inline.reasoning].filter((part): part is string => Boolean(part));
  return { answer: inline.answer, reasoning: parts.length > 0 ? parts.join("\n\n") : null };
}
