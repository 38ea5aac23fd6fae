import type { Completion } from "../core/chat.ts";

/**
 * A completion whose answer or reasoning is longer than `maxChars` characters, cut to that length, with
 * the original lengths in `clipped`; any other completion as it is. One misbehaving (or hostile) model
 * cannot then fill the store or stall grading with a text of many megabytes.
 */
export function clipCompletion(completion: Completion, maxChars: number): Completion {
  const textTooLong = completion.text.length > maxChars;
  const reasoningTooLong = (completion.reasoning?.length ?? 0) > maxChars;
  if (!textTooLong && !reasoningTooLong) return completion;
  return {
    ...completion,
    text: textTooLong ? cut(completion.text, maxChars) : completion.text,
    reasoning:
      reasoningTooLong && completion.reasoning !== null
        ? cut(completion.reasoning, maxChars)
        : completion.reasoning,
    clipped: {
      ...(textTooLong ? { text: completion.text.length } : {}),
      ...(reasoningTooLong ? { reasoning: completion.reasoning?.length } : {}),
    },
  };
}

/** The first `length` UTF-16 units, one fewer when the last would split a surrogate pair. */
function cut(text: string, length: number): string {
  const code = text.charCodeAt(length - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? length - 1 : length);
}
