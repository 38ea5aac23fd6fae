const CLOSER: Record<string, string> = { "{": "}", "[": "]" };

/**
 * Top-level JSON-looking spans in free text — `{…}` and, when `brackets` includes it, `[…]` —
 * skipping brackets inside double-quoted strings. Spans are candidates: the caller parses them.
 */
export function jsonSpans(text: string, brackets: "{" | "{[" = "{["): string[] {
  const closers = [...brackets].map((opener) => CLOSER[opener]);
  const spans: string[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const character = text[index];
    if (inString) {
      if (character === "\\") index++;
      else if (character === '"') inString = false;
    } else if (character === '"' && depth > 0) inString = true;
    else if (brackets.includes(character)) {
      if (depth === 0) start = index;
      depth++;
    } else if (closers.includes(character) && depth > 0) {
      depth--;
      if (depth === 0) spans.push(text.slice(start, index + 1));
    }
  }
  return spans;
}
