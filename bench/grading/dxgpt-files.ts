/**
 * Reading the evaluation files of foundation29org/dxgpt_testing: the reference column, the judge's score
 * and the diagnoses listed in a model's free-text answer. The rules are written down in SOURCE.md; they are
 * specific to the DxGPT prompt's output format ("+1. Name: explanation") and deliberately independent of
 * clinval's own answer extraction, so that the benchmark does not inherit the grader's behaviour.
 */

/** The judge's case score: P1 = the first listed diagnosis is the reference, P2–P5 = found further down, P0 = not found. */
export type JudgeScore = "P0" | "P1" | "P2" | "P3" | "P4" | "P5";

/** The score as the judge wrote it, without stray quotes; null when it is not one of P0–P5. */
export function parseJudgeScore(raw: string): JudgeScore | null {
  const score = raw.trim().replace(/^"+|"+$/g, "");
  return /^P[0-5]$/.test(score) ? (score as JudgeScore) : null;
}

/**
 * The reference names of a case. RareBench-derived datasets write them as a Python list literal
 * (`['Phenylketonuria']`, `["Methylmalonic acidemia with homocystinuria, type cblC"]`), the synthetic ones
 * as plain text. An empty list gives no names.
 */
export function parseReferenceNames(raw: string): string[] {
  const text = raw.trim();
  if (!text.startsWith("[")) return text === "" ? [] : [text];
  const names: string[] = [];
  let index = 1;
  while (index < text.length) {
    const quote = text[index];
    if (quote === "'" || quote === '"') {
      let name = "";
      index++;
      while (index < text.length && text[index] !== quote) {
        if (text[index] === "\\" && index + 1 < text.length) index++;
        name += text[index];
        index++;
      }
      if (name.trim() !== "") names.push(name.trim());
    }
    index++;
  }
  return names;
}

/** At most this many listed diagnoses are kept: the DxGPT prompt asks for five, some models list more. */
const MAXIMUM_LISTED = 10;

/** A DxGPT entry marker: `+1.`, `+1:`, `+1 `, `'+1'`, or `1. +` (the plus after the number). */
const PLUS_MARKER = /(?<=^|[\s'"*#(>])(?:\+\s*\d{1,2}(?!\d)['"]?\s*[.:)-]?|\d{1,2}[.:)]\s*\+)/g;

/**
 * The diagnoses a DxGPT answer lists, in order. In turn:
 * 1. the `diagnosis` fields of a JSON array (the prompt variant that asks for JSON), even a cut-off one;
 * 2. entries marked with a plus and a number, anywhere in the text (`+1. Name:`, `+1 Name:`, `'+1' Name:`,
 *    `1. +Name:`, with `\n` written out or not, several entries on one line); the numbers themselves are
 *    not trusted, since some models number every entry `+1`;
 * 3. a plain numbered list at line starts (`1. Name:`): entries numbered 1, 2, 3, … at the indentation of
 *    the first, so that numbered sub-points inside an entry are not taken for diagnoses.
 * The name is the entry's text up to its first colon, line end, spaced dash or full stop, without Markdown
 * emphasis and quotes.
 */
export function extractListedDiagnoses(answer: string): string[] {
  const fromJson = jsonDiagnoses(answer);
  if (fromJson.length > 0) return fromJson.slice(0, MAXIMUM_LISTED);
  const text = answer.replace(/\\n/g, "\n").replace(/(\d{1,2})[.)]\s*\n\s*\+/g, "$1. +");
  const marked = plusMarkedEntries(text);
  if (marked.length > 0) return marked;
  return numberedEntries(text);
}

function jsonDiagnoses(answer: string): string[] {
  // Field by field rather than JSON.parse: some of these arrays were cut off by the token limit.
  return [...answer.matchAll(/"diagnosis"\s*:\s*("(?:[^"\\]|\\.)*")/g)]
    .map((match) => cleanName(JSON.parse(match[1]) as string))
    .filter((name) => name !== "");
}

function plusMarkedEntries(text: string): string[] {
  const markers = [...text.matchAll(PLUS_MARKER)];
  const names: string[] = [];
  for (const [position, marker] of markers.entries()) {
    const start = (marker.index ?? 0) + marker[0].length;
    const end = markers[position + 1]?.index ?? text.length;
    const name = nameOf(text.slice(start, end));
    if (name !== "") names.push(name);
    if (names.length === MAXIMUM_LISTED) break;
  }
  return names;
}

function numberedEntries(text: string): string[] {
  const names: string[] = [];
  let indent: string | null = null;
  for (const line of text.split("\n")) {
    const match = /^([\s*#>]*)(\d{1,2})[.)]\s+(.*)$/.exec(line);
    if (match === null || (indent !== null && match[1] !== indent)) continue;
    if (Number(match[2]) !== names.length + 1) continue;
    const name = nameOf(match[3]);
    if (name === "") break;
    indent = match[1];
    names.push(name);
    if (names.length === MAXIMUM_LISTED) break;
  }
  return names;
}

function nameOf(entry: string): string {
  return cleanName(entry.split(/:|\n|\s[-–]\s|\.\s/)[0]);
}

function cleanName(raw: string): string {
  return raw
    .replace(/\*\*|__/g, "")
    .replace(/^[\s'"+*.,-]+|[\s'".,*-]+$/g, "")
    .replace(/\s+/g, " ")
    .trim();
}
