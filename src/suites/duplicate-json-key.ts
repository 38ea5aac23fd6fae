/**
 * The first key that appears twice in one object of a JSON text (which JSON.parse would settle silently,
 * keeping the last), or undefined. One pass over the text; expects text that JSON.parse accepts.
 */
export function duplicateJsonKey(text: string): string | undefined {
  const objects: Array<Set<string> | null> = [];
  let expectingKey = false;
  for (let index = 0; index < text.length; index++) {
    const character = text[index];
    if (character === '"') {
      let end = index + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === "\\" ? 2 : 1;
      const keys = objects.at(-1);
      if (expectingKey && keys) {
        const key = JSON.parse(text.slice(index, end + 1)) as string;
        if (keys.has(key)) return key;
        keys.add(key);
        expectingKey = false;
      }
      index = end;
    } else if (character === "{") {
      objects.push(new Set());
      expectingKey = true;
    } else if (character === "[") {
      objects.push(null);
    } else if (character === "}" || character === "]") {
      objects.pop();
    } else if (character === ",") {
      expectingKey = objects.at(-1) instanceof Set;
    }
  }
  return undefined;
}
