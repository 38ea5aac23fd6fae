/**
 * Answer shapes that make backtracking regular expressions slow (long runs of one character class,
 * separators without end, nested brackets) and realistic long answers, each made to a given length.
 * Shared by the fuzz test of grading and the grading-length benchmark.
 */
function repeatTo(unit: string, length: number): string {
  return unit.repeat(Math.max(1, Math.ceil(length / unit.length))).slice(0, length);
}

export const ADVERSARIAL_SHAPES: Record<string, (length: number) => string> = {
  "one long word": (length) => repeatTo("a", length),
  "letters ending in o-": (length) => repeatTo("ao-", length),
  "spaces between two letters": (length) => `a${repeatTo(" ", length - 2)}b`,
  "tabs and spaces": (length) => `x${repeatTo(" \t", length - 2)}y`,
  words: (length) => repeatTo("appendicitis ", length),
  "open brackets": (length) => repeatTo("(", length),
  "brackets and words": (length) => repeatTo("(a [b ", length),
  "numbered lines": (length) => repeatTo("1. Acute appendicitis\n", length),
  bullets: (length) => repeatTo("- x\n", length),
  commas: (length) => repeatTo("a, ", length),
  colons: (length) => repeatTo("x: ", length),
  dashes: (length) => repeatTo("- ", length),
  possessives: (length) => repeatTo("Crohn's ", length),
  asterisks: (length) => repeatTo("**", length),
  quotes: (length) => repeatTo("\"'", length),
  "JSON list": (length) => `{"diagnoses": [${repeatTo('"Acute appendicitis", ', length - 20)}"x"]}`,
  "unclosed JSON": (length) => `{"diagnoses": ["${repeatTo("a", length)}`,
  "think block": (length) => `<think>${repeatTo("thinking ", length)}`,
  prose: (length) =>
    `${repeatTo("The patient is unwell and the most likely diagnosis is not yet clear. ", length)} ` +
    "The most likely diagnosis is acute appendicitis.",
  "accents and Greek": (length) => repeatTo("é β ü α-", length),
  "ruled out": (length) => repeatTo("ruled out, unlikely; ", length),
};
