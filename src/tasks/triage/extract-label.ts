import { jsonSpans } from "../json-spans.ts";

/**
 * The one label an answer gives, from the study's label set; null when it gives none, or several without
 * saying which is the answer. `answer` is the text after any reasoning. Looked for, in order:
 *
 * 1. JSON objects (fenced, or amid prose) with a label-like key (`label`, `classification`, `category`,
 *    `triage`, `answer`, …). Their value decides: a value outside the label set, or objects naming
 *    different labels, give null.
 * 2. The last "Final answer:" / "Answer:" line (or `\boxed{…}`) that names a label.
 * 3. The first label stated as the answer: after a key ("Label: urgent", "Classification - negative",
 *    "Triage category is routine"), in bold, alone on a line, or opening the answer ("Urgent – …");
 *    failing those, after a phrase such as "classified as", "this is", "falls into".
 * 4. The label, when it is the only label the text mentions.
 *
 * Matching ignores case, punctuation, markdown and the difference between spaces, hyphens and underscores
 * inside a label. A negated mention ("not urgent", "non-urgent", "rather than urgent") never counts, and
 * two labels offered as alternatives ("routine or urgent", "routine/urgent") make the answer ambiguous.
 */
export function extractLabel(answer: string, labels: readonly string[]): string | null {
  const text = answer
    .normalize("NFKC")
    .replace(/\r\n?/g, "\n")
    .replace(/[\u200B-\u200D\uFEFF]/g, "")
    .replace(/[‘’]/g, "'")
    .replace(/[“”]/g, '"');
  if (text.trim() === "" || labels.length === 0) return null;
  const matchers = labels.map((label) => ({ label, pattern: labelPattern(label) }));
  for (const reader of [fromJson, fromFinalAnswer, fromStatedAnswer, fromPhrases, fromSoleMention]) {
    const reading = reader(text, matchers);
    if (reading.kind === "label") return reading.label;
    if (reading.kind === "undecidable") return null;
  }
  return null;
}

/** `label`: found; `undecidable`: the answer was located but names no single label; `none`: look further. */
type Reading = { kind: "label"; label: string } | { kind: "undecidable" } | { kind: "none" };

const NONE: Reading = { kind: "none" };
const UNDECIDABLE: Reading = { kind: "undecidable" };

interface Matcher {
  label: string;
  pattern: RegExp;
}

interface Mention {
  label: string;
  start: number;
  end: number;
  negated: boolean;
}

type Reader = (text: string, matchers: readonly Matcher[]) => Reading;

function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Lower case, with runs of spaces, hyphens and underscores as one space. */
function normalizeLabel(value: string): string {
  return value
    .normalize("NFKC")
    .toLowerCase()
    .replace(/[\s_-]+/g, " ")
    .trim();
}

function labelPattern(label: string): RegExp {
  const words = normalizeLabel(label).split(" ").map(escapeRegExp);
  return new RegExp(`(?<![\\p{L}\\p{N}])${words.join("[\\s_-]+")}(?![\\p{L}\\p{N}])`, "giu");
}

const FILLER =
  "(?:a|an|the|be|been|being|as|so|that|truly|really|very|quite|deemed|considered|classified|classed|" +
  "labell?ed|categori[sz]ed|triaged|need|needs|require|requires|warrant|warrants|seem|seems|appear|appears)";
const MARKUP = "[\\s*_\"'`(\\[-]";
/** A negation right before a label: "not", "non-", "no", "isn't", "rather than", "instead of", … */
const NEGATION = new RegExp(
  "(?:(?<![\\p{L}])(?:not|no|non|never|neither|nor|without|rather\\s+than|instead\\s+of|other\\s+than|unlike|" +
    `excluding|excludes?|excluded|rules?\\s+out|ruled\\s+out|ruling\\s+out)|n't)${MARKUP}+(?:${FILLER}${MARKUP}+){0,3}$`,
  "iu",
);

/** Every label mention, left to right; where mentions overlap the longer one wins ("non-urgent" over "urgent"). */
function mentionsIn(text: string, matchers: readonly Matcher[]): Mention[] {
  const found: Mention[] = [];
  for (const { label, pattern } of matchers) {
    for (const match of text.matchAll(pattern)) {
      found.push({ label, start: match.index, end: match.index + match[0].length, negated: false });
    }
  }
  found.sort((left, right) => left.start - right.start || right.end - left.end);
  const kept: Mention[] = [];
  for (const mention of found) {
    const previous = kept.at(-1);
    if (previous && mention.start < previous.end) continue;
    const lineStart = text.lastIndexOf("\n", mention.start - 1) + 1;
    const before = text.slice(Math.max(lineStart, mention.start - 80), mention.start);
    kept.push({ ...mention, negated: NEGATION.test(before) });
  }
  return kept;
}

/** What may stand between two labels offered as alternatives. */
const ALTERNATIVE = /^[\s*_"'`)]*(?:or|\/|and\/or|vs\.?|versus|to|,|\|)[\s*_"'`(]*(?:(?:an?|the)\s+)?$/i;
/** What may stand between a cue and the label that directly follows it. */
const LEADING = /^[\s*_"'`([]*(?:(?:an?|the)\s+)?[\s*_"'`([]*$/i;

/**
 * The label a stretch of text gives: its first non-negated mention, unless another label follows as an
 * alternative. With `immediate`, the label must come first in the stretch.
 */
function readSegment(segment: string, matchers: readonly Matcher[], immediate: boolean): Reading {
  const positive = mentionsIn(segment, matchers).filter((mention) => !mention.negated);
  const first = positive[0];
  if (first === undefined) return NONE;
  if (immediate && !LEADING.test(segment.slice(0, first.start))) return NONE;
  const other = positive.find((mention) => mention.label !== first.label);
  if (other && ALTERNATIVE.test(segment.slice(first.end, other.start))) return UNDECIDABLE;
  return { kind: "label", label: first.label };
}

/** How far after a cue its answer is looked for, and how far back a cue's sentence is read. */
const REACH = 240;

function lineEnd(text: string, from: number): number {
  const end = text.indexOf("\n", from);
  return end < 0 ? text.length : end;
}

/** The rest of the line after a cue, at most REACH characters. */
function restOfLine(text: string, from: number): string {
  return text.slice(from, Math.min(lineEnd(text, from), from + REACH));
}

/** A cue inside a conditional ("if the label is urgent, …") states no answer. */
function isHypothetical(text: string, cueStart: number): boolean {
  const lineStart = Math.max(text.lastIndexOf("\n", cueStart - 1) + 1, cueStart - REACH);
  const sentence =
    text
      .slice(lineStart, cueStart)
      .split(/[.!?;]\s/)
      .at(-1) ?? "";
  return /(?<![\p{L}])(?:if|whether|unless|would\s+only)(?![\p{L}])/iu.test(sentence);
}

// ---------------------------------------------------------------------------------------------------
// 1. JSON

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const JSON_KEYS = [
  "label",
  "triagelabel",
  "predictedlabel",
  "classification",
  "class",
  "category",
  "triagecategory",
  "triage",
  "triagelevel",
  "urgency",
  "severity",
  "finalanswer",
  "answer",
  "prediction",
  "decision",
  "result",
  "output",
];

function parseObject(span: string): Json | undefined {
  const repaired = span.replace(/,\s*([}\]])/g, "$1");
  const attempts = [repaired];
  if (!repaired.includes('"')) attempts.push(repaired.replace(/'/g, '"'));
  for (const attempt of attempts) {
    try {
      return JSON.parse(attempt) as Json;
    } catch {
      // try the next repair
    }
  }
  return undefined;
}

/** The value of the first label-like key of an object, searching nested objects too. */
function labelValue(value: Json): Json | undefined {
  if (value === null || typeof value !== "object") return undefined;
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = labelValue(item);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  const entries = Object.entries(value).map(([key, inner]) => [
    key.toLowerCase().replace(/[^a-z]/g, ""),
    inner,
  ]);
  for (const key of JSON_KEYS) {
    const entry = entries.find(([candidate]) => candidate === key);
    if (entry) return entry[1] as Json;
  }
  for (const [, inner] of entries) {
    const found = labelValue(inner as Json);
    if (found !== undefined) return found;
  }
  return undefined;
}

const fromJson: Reader = (text, matchers) => {
  const readings: Reading[] = [];
  for (const span of jsonSpans(text, "{")) {
    const parsed = parseObject(span);
    if (parsed === undefined) continue;
    const value = labelValue(parsed);
    if (value === undefined) continue;
    const single = Array.isArray(value) && value.length === 1 ? value[0] : value;
    readings.push(typeof single === "string" ? readSegment(single, matchers, false) : UNDECIDABLE);
  }
  if (readings.length === 0) return NONE;
  const named = new Set(readings.map((reading) => (reading.kind === "label" ? reading.label : null)));
  if (named.size !== 1 || named.has(null)) return UNDECIDABLE;
  return readings[0];
};

// ---------------------------------------------------------------------------------------------------
// 2. Final answer

const FINAL_KEY =
  "final\\s+(?:answer|label|classification|category|decision|triage(?:\\s+(?:category|label|class|level|decision))?)|answer";
const FINAL_LINE = new RegExp(
  `^[\\s>#*_-]*(?:\\d+[.)]\\s*)?(?:${FINAL_KEY})["'*_]*\\s*(?:[:=]|\\s[-–—]\\s|\\s+is(?![\\p{L}])\\s*:?)`,
  "gimu",
);
const BOXED = /\\boxed\{\s*(?:\\text(?:bf)?\{)?([^{}]*)\}?\s*\}/g;

const fromFinalAnswer: Reader = (text, matchers) => {
  const candidates: Array<{ position: number; reading: Reading }> = [];
  for (const match of text.matchAll(FINAL_LINE)) {
    const from = match.index + match[0].length;
    let segment = restOfLine(text, from);
    if (segment.replace(/[\s*_"'`:]/g, "") === "") {
      const next = text
        .slice(lineEnd(text, from), lineEnd(text, from) + 2 * REACH)
        .match(/\n\s*([^\n]*\S[^\n]*)/);
      segment = next ? next[1] : "";
    }
    candidates.push({ position: match.index, reading: readSegment(segment, matchers, false) });
  }
  for (const match of text.matchAll(BOXED)) {
    candidates.push({ position: match.index, reading: readSegment(match[1], matchers, false) });
  }
  const decided = candidates
    .filter((candidate) => candidate.reading.kind !== "none")
    .sort((left, right) => left.position - right.position);
  return decided.at(-1)?.reading ?? NONE;
};

// ---------------------------------------------------------------------------------------------------
// 3. Stated answer

const STATED_KEY =
  "final\\s+answer|answer|label|classification|class|category|triage(?:\\s+(?:category|label|class|level|decision|priority))?|" +
  "severity|urgency(?:\\s+level)?|priority|predicted\\s+label|prediction|result|output|decision|verdict|conclusion|assessment";
const KEY_CUE = new RegExp(
  `(?<![\\p{L}\\p{N}])(?:${STATED_KEY})["'*_]*\\s*(?:[:=]|\\s[-–—]\\s|\\s+is(?![\\p{L}])\\s*:?)`,
  "giu",
);
const OPENING_END = /^[*_"'`]*\s*(?:[:.;,!(–—\n]|\s-\s|$)/;
const EMPHASIS = /(\*\*|__)([^*_\n]{1,80}?)\1/g;
const LINE = /^[^\n]*$/gm;
const DECORATION = /[\s*_#>"'`.!:;,()[\]-]+/g;

/** A label written alone: the whole of a bold span or of a line, apart from markup and punctuation. */
function soleLabel(content: string, matchers: readonly Matcher[]): string | null {
  const bare = normalizeLabel(content.replace(DECORATION, " "));
  if (bare === "") return null;
  return matchers.find((matcher) => normalizeLabel(matcher.label) === bare)?.label ?? null;
}

/** Whether the last label mention before `end` is negated ("not **urgent**"). */
function negatedAt(text: string, end: number, matchers: readonly Matcher[]): boolean {
  return mentionsIn(text.slice(Math.max(0, end - REACH), end), matchers).at(-1)?.negated ?? false;
}

function earliest(candidates: Array<{ position: number; reading: Reading }>): Reading {
  const decided = candidates
    .filter((candidate) => candidate.reading.kind !== "none")
    .sort((left, right) => left.position - right.position);
  return decided[0]?.reading ?? NONE;
}

const fromStatedAnswer: Reader = (text, matchers) => {
  const candidates: Array<{ position: number; reading: Reading }> = [];
  for (const match of text.matchAll(KEY_CUE)) {
    if (isHypothetical(text, match.index)) continue;
    const from = match.index + match[0].length;
    candidates.push({
      position: match.index,
      reading: readSegment(restOfLine(text, from), matchers, false),
    });
  }
  for (const match of text.matchAll(EMPHASIS)) {
    const label = soleLabel(match[2], matchers);
    if (label !== null && !negatedAt(text, match.index + match[0].length, matchers)) {
      candidates.push({ position: match.index, reading: { kind: "label", label } });
    }
  }
  // An answer that opens with a label and then explains it: "Urgent – tension pneumothorax …".
  const opening = readSegment(restOfLine(text, 0), matchers, true);
  const first = mentionsIn(text, matchers)[0];
  if (opening.kind === "label" && first && OPENING_END.test(text.slice(first.end))) {
    candidates.push({ position: first.start, reading: opening });
  }
  // Lines that each hold one label are a list of the options, not an answer, when they name several.
  const lines = [...text.matchAll(LINE)].flatMap((match) => {
    const label = soleLabel(match[0], matchers);
    return label === null ? [] : [{ position: match.index, reading: { kind: "label", label } as Reading }];
  });
  const lineLabels = new Set(lines.map(({ reading }) => (reading.kind === "label" ? reading.label : "")));
  if (lineLabels.size === 1) candidates.push(...lines);
  return earliest(candidates);
};

const PHRASES = [
  /(?<![\p{L}])(?:classif(?:y|ied|ies)|categori[sz](?:e|ed|es)|label(?:l?ed|s)?|triage[ds]?|mark(?:ed)?|grade[ds]?|rate[ds]?)\s+(?:(?:this|it|that|the|report|case|study|scan|exam|examination|findings?|ct)\s+){0,3}(?:as|under|in(?:to)?)\s+/giu,
  /(?<![\p{L}])(?:this|it|that|the\s+(?:report|case|study|scan|exam|examination|findings?))\s+(?:is|are|was|would\s+be|should\s+be|will\s+be|must\s+be|seems|appears|remains)\s+(?:(?:clearly|definitely|therefore|thus|so|best|most\s+likely|likely|probably|considered|classified\s+as|categori[sz]ed\s+as|labell?ed(?:\s+as)?)\s+)*/giu,
  /(?<![\p{L}])(?:falls?|belongs?|fits?|goes)\s+(?:in(?:to)?|under|within|to|with)\s+(?:the\s+)?/giu,
  /(?<![\p{L}])(?:i\s+would|i'd|i\s+will|i'll|i)\s+(?:say|choose|pick|select|go\s+with|assign|answer|classify\s+(?:it|this)\s+as|label\s+(?:it|this)(?:\s+as)?)\s*:?\s*/giu,
  /(?<![\p{L}])makes?\s+(?:this|it)\s+/giu,
];

const fromPhrases: Reader = (text, matchers) => {
  const candidates: Array<{ position: number; reading: Reading }> = [];
  for (const pattern of PHRASES) {
    for (const match of text.matchAll(pattern)) {
      if (isHypothetical(text, match.index)) continue;
      const from = match.index + match[0].length;
      candidates.push({
        position: match.index,
        reading: readSegment(restOfLine(text, from), matchers, true),
      });
    }
  }
  return earliest(candidates);
};

// ---------------------------------------------------------------------------------------------------
// 4. The only label mentioned

const fromSoleMention: Reader = (text, matchers) => {
  const named = new Set(
    mentionsIn(text, matchers)
      // "negative for haemorrhage" describes a finding, not the answer.
      .filter((mention) => !mention.negated && !/^[\s*_]*for(?![\p{L}])/u.test(text.slice(mention.end)))
      .map((mention) => mention.label),
  );
  return named.size === 1 ? { kind: "label", label: [...named][0] } : NONE;
};
