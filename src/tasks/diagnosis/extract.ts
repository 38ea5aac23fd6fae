import {
  ANOTHER_NAME,
  isAbbreviation,
  normalizeDiagnosis,
  QUALIFYING_WORDS,
} from "../../terminology/normalize.ts";
import { jsonSpans } from "../json-spans.ts";
import { isSelfExcluding } from "./exclusion.ts";

/**
 * The diagnoses a model listed, in its order: at most `k`, taken from its first `k` entries (a
 * repeated diagnosis keeps its first place and uses up its slot), each reduced to the diagnosis name
 * (markdown, numbering, explanations and hedges removed). `answer` is the text after any reasoning.
 *
 * Where the list is looked for, in order: a JSON object or array (also inside code fences, after or
 * before prose, Python-style quotes, cut off mid-way); otherwise the text: a "Final answer" section (or
 * `\boxed{}`) decides unless what it names is already in a longer list before it; else the list after
 * the first "Differential diagnosis" / "Most likely" style heading; else the whole text. In a section a
 * numbered list wins over bullets, bullets over a markdown table; failing those, lines that read as
 * diagnosis names or comma/semicolon lists; failing those, sentences such as "the most likely
 * diagnosis is …". A refusal or an empty answer gives [].
 */
export function extractDiagnoses(answer: string, k: number): string[] {
  return extractListedDiagnoses(answer, k).map((listed) => listed.name);
}

/** A listed diagnosis: its name, and whether its entry excludes it ("PE – excluded by normal D-dimer"). */
export interface ListedDiagnosis {
  name: string;
  /** The entry, with the explanation cleaning removed, says the diagnosis is ruled out or unlikely. */
  excluded: boolean;
}

/** extractDiagnoses, keeping for each name whether its whole entry excludes it (see exclusion.ts). */
export function extractListedDiagnoses(answer: string, k: number): ListedDiagnosis[] {
  const text = collapseInnerSpaces(
    answer
      .normalize("NFKC")
      .replace(/\r\n?/g, "\n")
      .replace(/[\u200B-\u200D\uFEFF]/g, "")
      .trim(),
  );
  if (text === "" || k < 1) return [];
  const listed = fromJson(text) ?? fromText(text);
  const result: ListedDiagnosis[] = [];
  const seen = new Set<string>();
  let slots = 0;
  for (const raw of listed) {
    if (slots === k) break;
    const entry = readEntry(raw);
    if (entry.key === "") continue;
    slots++;
    if (seen.has(entry.key)) continue;
    seen.add(entry.key);
    result.push({ name: entry.name, excluded: entry.excluded });
  }
  return result;
}

/** A listed entry reduced to its name, whether it excludes itself, and the name's normalised form. */
interface Entry {
  name: string;
  excluded: boolean;
  key: string;
}

/** Models list the same entries over and over, across cases and samples: each is read once. */
const entries = new Map<string, Entry>();
const ENTRIES_LIMIT = 100_000;

function readEntry(raw: string): Entry {
  let entry = entries.get(raw);
  if (entry === undefined) {
    const name = cleanItem(raw);
    entry = { name, excluded: isSelfExcluding(raw), key: normalizeDiagnosis(name) };
    if (entries.size >= ENTRIES_LIMIT) entries.clear();
    entries.set(raw, entry);
  }
  return entry;
}

/**
 * Runs of spaces inside a line become one space (indentation is kept for nested lists): the patterns
 * below then never meet a long run of spaces, on which a pattern such as `\s+word` backtracks.
 */
function collapseInnerSpaces(text: string): string {
  return text.replace(/[^\S\n]{2,}/g, (run, offset: number) =>
    offset === 0 || text[offset - 1] === "\n" ? run : " ",
  );
}

// ---------------------------------------------------------------------------------------------------
// JSON

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function fromJson(text: string): string[] | null {
  const fenced = [...text.matchAll(/```[\w-]*[ \t]*\n?([\s\S]*?)(?:```|$)/g)].map((match) => match[1]);
  for (const candidate of [...fenced, text]) {
    let found: string[] | null = null;
    for (const span of jsonSpans(candidate)) {
      const value = parseLenient(span);
      if (value === undefined) continue;
      const items = diagnosesFromValue(value, false);
      if (items && items.length > 0) found = items;
    }
    if (found) return found;
  }
  return fromBrokenJson(text);
}

function parseLenient(span: string): Json | undefined {
  const attempts = [span];
  const repaired = span.replace(/[“”]/g, '"').replace(/,\s*([}\]])/g, "$1");
  attempts.push(repaired);
  if (!repaired.includes('"') && repaired.includes("'")) attempts.push(pythonQuotesToJson(repaired));
  for (const attempt of attempts) {
    try {
      return JSON.parse(attempt) as Json;
    } catch {
      // try the next repair
    }
  }
  return undefined;
}

/**
 * `['Crohn's disease', 'UC']` → `["Crohn's disease", "UC"]`: a quote closes a string only when the
 * next non-space character ends a value, so apostrophes inside names survive.
 */
function pythonQuotesToJson(text: string): string {
  let result = "";
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const character = text[index];
    if (character !== "'") {
      result += inString && character === '"' ? '\\"' : character;
      continue;
    }
    if (!inString) {
      inString = true;
      result += '"';
    } else if (/^\s*(?:[,\]}:]|$)/.test(text.slice(index + 1))) {
      inString = false;
      result += '"';
    } else {
      result += "'";
    }
  }
  return result;
}

const LIST_KEY = /diagnos|differential|^d?dx$|^dxs$/;
const NOT_LIST_KEY =
  /reason|explan|rational|confiden|probab|likelihood|note|comment|justif|support|evidence|certain|count|number|summary/;
const ANSWER_KEY =
  /^(?:answer|answers|finalanswer|result|results|output|response|ranking|ranked|top\d*|list)$/;
const NUMBERED_KEY = /^(?:diagnosis|dx|ddx|differential|rank|option|item)?\d{1,2}$/;
const NAME_FIELDS = [
  "diagnosis",
  "name",
  "dx",
  "condition",
  "disease",
  "diagnosisname",
  "label",
  "title",
  "value",
];

function compactKey(key: string): string {
  return key.toLowerCase().replace(/[^a-z0-9]/g, "");
}

function diagnosesFromValue(value: Json, underListKey: boolean): string[] | null {
  if (typeof value === "string") return underListKey ? splitInline(value, false) : null;
  if (value === null || typeof value !== "object") return null;
  if (Array.isArray(value)) {
    const names = value.map(itemName).filter((name): name is string => name !== null);
    return names.length > 0 ? names : null;
  }
  const entries = Object.entries(value).map(([key, inner]) => [compactKey(key), inner] as const);
  const listed = entries
    .filter(([key]) => LIST_KEY.test(key) && !NOT_LIST_KEY.test(key) && !NUMBERED_KEY.test(key))
    .flatMap(([, inner]) => diagnosesFromValue(inner, true) ?? []);
  if (listed.length > 0) return listed;
  for (const [key, inner] of entries) {
    if (ANSWER_KEY.test(key)) {
      const found = diagnosesFromValue(inner, true);
      if (found) return found;
    }
  }
  const numbered = entries
    .filter(([key]) => NUMBERED_KEY.test(key))
    .map(([, inner]) => itemName(inner))
    .filter((name): name is string => name !== null);
  if (numbered.length > 0) return numbered;
  for (const [, inner] of entries) {
    if (inner !== null && typeof inner === "object" && !Array.isArray(inner)) {
      const found = diagnosesFromValue(inner, false);
      if (found) return found;
    }
  }
  return null;
}

/** A listed item: a string, or an object naming its diagnosis (`{"diagnosis": …}`, `{"Appendicitis": "why"}`). */
function itemName(item: Json): string | null {
  if (typeof item === "string") return item;
  if (item === null || typeof item !== "object" || Array.isArray(item)) return null;
  const entries = Object.entries(item);
  for (const field of NAME_FIELDS) {
    const entry = entries.find(([key, inner]) => compactKey(key) === field && typeof inner === "string");
    if (entry) return entry[1] as string;
  }
  if (entries.length === 1 && !/^\d+$/.test(entries[0][0])) return entries[0][0];
  return null;
}

/** A JSON answer cut off or malformed: the complete strings after a `"diagnoses": [`. */
function fromBrokenJson(text: string): string[] | null {
  const start = /["']?(?:diagnoses|differential[_ ]?diagnos[ie]s|differentials|ddx)["']?\s*:\s*\[/i.exec(
    text,
  );
  if (!start) return null;
  const rest = text.slice(start.index + start[0].length);
  const items: string[] = [];
  const literal = /\s*"((?:[^"\\]|\\.)*)"\s*(,|\])?/y;
  let match = literal.exec(rest);
  while (match) {
    try {
      items.push(JSON.parse(`"${match[1]}"`) as string);
    } catch {
      items.push(match[1]);
    }
    if (match[2] !== ",") break;
    match = literal.exec(rest);
  }
  return items.length > 0 ? items : null;
}

// ---------------------------------------------------------------------------------------------------
// Text

type Line =
  | { kind: "blank" }
  | { kind: "numbered"; indent: number; number: number; content: string }
  | { kind: "bullet"; indent: number; content: string }
  | { kind: "table"; cells: string[]; separator: boolean }
  | { kind: "header"; label: string; inline: string; diagnosis: boolean; final: boolean }
  | { kind: "text"; content: string; bold: boolean };

const DIAGNOSIS_LABEL =
  /diagnos|differential|ddx|\bdx\b|likely|possib|probable|consider|impression|condition|answer|诊断|鉴别/;
const NOT_DIAGNOSIS_LABEL =
  /support|finding|feature|work-?up|investigat|\btests?\b|management|next step|recommend|\bplan\b|treatment|reason|rationale|summary|explanation|\bnotes?\b|disclaimer|\bsteps?\b|approach|analys|thought|\bwhy\b|caveat|important|red flag|criteria/;
const FINAL_LABEL = /\bfinal\b|^answers?$/;

function fromText(original: string): string[] {
  // `\boxed{…}` (a habit of models trained on mathematics) is read as a "Final answer" line.
  const text = original
    .replace(/<li\b[^>]*>/gi, "\n- ")
    .replace(/<\/?(?:ol|ul|li|p|br|strong|b|em|answer|response|output|final_answer)\b[^>]*>/gi, "\n")
    .replace(
      /\\boxed\{((?:[^{}]|\{[^{}]*\})*)\}/g,
      (_, inner: string) => `\nFinal answer: ${inner.replace(/\\text\{([^{}]*)\}/g, "$1")}\n`,
    );
  const lines = text.split("\n").map(parseLine);
  let finalIndex = -1;
  lines.forEach((line, index) => {
    if (line.kind === "header" && line.final) finalIndex = index;
  });
  const body = finalIndex === -1 ? lines : lines.slice(0, finalIndex);
  const finalItems = finalIndex === -1 ? [] : sectionItems(lines, finalIndex);
  const firstHeading = body.findIndex((line) => line.kind === "header" && line.diagnosis);
  let bodyItems = firstHeading === -1 ? [] : sectionItems(body, firstHeading);
  if (bodyItems.length === 0) bodyItems = sectionItems(body, 0);
  if (finalItems.length === 0) return bodyItems;
  const bodyKeys = new Set(bodyItems.map((item) => normalizeDiagnosis(cleanItem(item))));
  const finalInBody = finalItems.every((item) => bodyKeys.has(normalizeDiagnosis(cleanItem(item))));
  return finalInBody && bodyItems.length > finalItems.length ? bodyItems : finalItems;
}

function parseLine(raw: string): Line {
  const indent = raw.length - raw.trimStart().length;
  const line = raw.trim();
  if (line === "") return { kind: "blank" };
  if (line.startsWith("|") && line.indexOf("|", 1) > 0) {
    const cells = line
      .replace(/^\||\|$/g, "")
      .split("|")
      .map((cell) => cell.trim());
    return {
      kind: "table",
      cells,
      separator: cells.every((cell) => /^:?-{2,}:?$/.test(cell) || cell === ""),
    };
  }
  const unheaded = line.replace(/^#{1,6}\s+/, "");
  const numbered =
    /^(?:\*\*|__)?(?:\(?(\d{1,2})[.)](?!\d)|(\d{1,2})\s*[:\-–](?=\s)|#(\d{1,2})[.:)]?)\s*(.*)$/.exec(
      unheaded,
    );
  if (numbered) {
    const number = Number(numbered[1] ?? numbered[2] ?? numbered[3]);
    const content = numbered[4].replace(/^(?:\*\*|__)(?=\s)/, "");
    if (content.trim() !== "") return { kind: "numbered", indent, number, content };
  }
  const bullet = /^[-*•●▪◦‣–+]\s+(.*)$/.exec(line);
  if (bullet) return { kind: "bullet", indent, content: bullet[1] };
  return parseHeader(line) ?? { kind: "text", content: line, bold: /^(\*\*|__)[^*_].*?\1/.test(line) };
}

function parseHeader(line: string): Line | null {
  const markdownHeading = /^#{1,6}\s/.test(line);
  const unheaded = line.replace(/^#{1,6}\s*/, "");
  let label: string;
  let inline: string;
  const bold = /^(\*\*|__)(.+?)\1\s*(.*)$/.exec(unheaded);
  if (bold) {
    const inner = bold[2].trim();
    const rest = bold[3].trim();
    if (inner.endsWith(":") || rest.startsWith(":")) {
      label = inner.replace(/:$/, "");
      inline = rest.replace(/^:/, "").trim();
      if (inline !== "" && !isHeaderLabel(label)) return null;
    } else if (rest === "" && (markdownHeading || isHeaderLabel(inner))) {
      label = inner;
      inline = "";
    } else {
      return null;
    }
  } else {
    const colon = /^([^:]{1,120}):\s*(.*)$/.exec(unheaded);
    if (colon) {
      label = colon[1].replace(/[*_]/g, "").trim();
      inline = colon[2].trim();
      const words = label.split(/\s+/).length;
      if (inline !== "" && (words > 8 || !isHeaderLabel(label))) return null;
      if (inline === "" && words > 16) return null;
    } else if (markdownHeading) {
      label = unheaded;
      inline = "";
    } else {
      return null;
    }
  }
  const comparable = label
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .replace(/[*_#]/g, "")
    .trim();
  const excluded = NOT_DIAGNOSIS_LABEL.test(comparable);
  return {
    kind: "header",
    label,
    inline,
    diagnosis: (DIAGNOSIS_LABEL.test(comparable) || FINAL_LABEL.test(comparable)) && !excluded,
    final: FINAL_LABEL.test(comparable) && !excluded,
  };
}

function isHeaderLabel(label: string): boolean {
  const comparable = label.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase();
  return DIAGNOSIS_LABEL.test(comparable) || NOT_DIAGNOSIS_LABEL.test(comparable);
}

interface Found {
  position: number;
  text: string;
}

/**
 * The items of the section that starts at `start`. A heading that is not about diagnoses ("Work-up:",
 * "Reasoning:") pauses the collection until the next heading about diagnoses.
 */
function sectionItems(lines: Line[], start: number): string[] {
  const inline: Found[] = [];
  const numbered: Found[] = [];
  const bullets: Found[] = [];
  const boldLines: Found[] = [];
  const table: Line[] = [];
  const plain: Array<Line | null> = [];
  let numberedIndent = Number.POSITIVE_INFINITY;
  let bulletIndent = Number.POSITIVE_INFINITY;
  let lastNumber = 0;
  let headingSinceNumber = false;
  let numberedClosed = false;
  let paused = false;
  for (let index = start; index < lines.length; index++) {
    const line = lines[index];
    if (line.kind === "header") {
      const foundSomething =
        inline.length + numbered.length + bullets.length + boldLines.length + table.length > 0;
      paused = index > start && !line.diagnosis && (foundSomething || paused);
      if (line.diagnosis && line.inline !== "") {
        for (const text of plausibleOnly(splitInline(line.inline, false)))
          inline.push({ position: index, text });
      }
      headingSinceNumber = true;
      plain.push(null);
      continue;
    }
    if (paused) continue;
    if (line.kind === "numbered") {
      if (numberedClosed || line.indent > numberedIndent + 1) continue;
      if (line.number === 1 && lastNumber >= 1 && !headingSinceNumber) {
        numberedClosed = true;
        continue;
      }
      numberedIndent = Math.min(numberedIndent, line.indent);
      lastNumber = line.number;
      headingSinceNumber = false;
      const parts = splitInlineNumbered(line.content, line.number + 1);
      for (const text of parts.length > 1 ? parts : [line.content]) numbered.push({ position: index, text });
    } else if (line.kind === "bullet") {
      if (line.indent > bulletIndent + 1) continue;
      bulletIndent = Math.min(bulletIndent, line.indent);
      bullets.push({ position: index, text: line.content });
    } else if (line.kind === "table") {
      table.push(line);
    } else {
      if (line.kind === "text" && line.bold) boldLines.push({ position: index, text: line.content });
      plain.push(line);
    }
  }
  const list =
    numbered.length > 0
      ? numbered
      : bullets.length > 0
        ? bullets
        : table.length > 0
          ? tableItems(table)
          : boldLines.length > 1
            ? boldLines
            : [];
  const items = [...inline, ...list].sort((a, b) => a.position - b.position).map((found) => found.text);
  if (items.length > 0) return items;
  return plainItems(plain);
}

function tableItems(rows: Line[]): Found[] {
  const cells = rows.flatMap((row) => (row.kind === "table" && !row.separator ? [row.cells] : []));
  if (cells.length < 2) return [];
  const [header, ...body] = cells;
  let column = header.findIndex((cell) => /diagnos|condition|differential|ddx|disease/i.test(cell));
  if (column === -1) {
    column = header.findIndex(
      (cell, index) =>
        !/^(?:#|no\.?|n|rank|order|priority|likelihood|probability)$/i.test(cell) &&
        body.some((row) => row[index] !== undefined && !/^\d+[.)]?$/.test(row[index])),
    );
  }
  if (column === -1) return [];
  return body.flatMap((row, index) => (row[column] ? [{ position: index, text: row[column] }] : []));
}

/** Lines that read as diagnosis names or comma lists; failing those, "the diagnosis is …" sentences. */
function plainItems(lines: Array<Line | null>): string[] {
  const items: string[] = [];
  for (const line of lines) {
    if (line === null || line.kind !== "text") {
      if (items.length > 0) break;
      continue;
    }
    const parts = splitInline(line.content, false);
    const plausible = plausibleOnly(parts);
    if (plausible.length === parts.length && parts.length > 0) {
      for (const item of plausible) items.push(item);
    } else if (items.length > 0) {
      break;
    }
  }
  if (items.length > 0) return items;
  const prose = lines
    .flatMap((line) => (line !== null && line.kind === "text" ? [line.content] : []))
    .join(" ");
  return proseItems(prose);
}

const PROSE_PATTERNS = [
  /\b(?:diagnos[ie]s|differentials?|possibilit(?:y|ies)|considerations?|causes?|explanations?)\b[^.:;]{0,40}?\b(?:is|are|would be|could be|include|includes|including)\s+(.+?)(?=\.(?:\s|$)|$)/dgi,
  /(?:^|[.!?]\s+)([^.!?]{3,80}?)\s+(?:is|would be|seems|appears)\s+(?:to be\s+)?(?:the\s+)?(?:most\s+)?(?:likely|probable|leading|primary)\s+(?:\w+\s+)?diagnosis/dgi,
  /\bfollowed by\s+(.+?)(?=\.(?:\s|$)|$)/dgi,
  /\bmost likely\s+(?!diagnos|differential|cause|explanation|possibilit)(?:(?:has|have|is|represents)\s+)?(.+?)(?=\.(?:\s|$)|$)/dgi,
  /\b(?:likely|probably)\s+(?:has|have|represents)\s+(.+?)(?=\.(?:\s|$)|$)/dgi,
];

function proseItems(text: string): string[] {
  const found: Found[] = [];
  for (const pattern of PROSE_PATTERNS) {
    for (const match of text.matchAll(pattern)) {
      const position = match.indices?.[1]?.[0] ?? match.index ?? 0;
      for (const part of plausibleOnly(splitInline(match[1], true))) found.push({ position, text: part });
    }
  }
  const seen = new Set<string>();
  return found
    .sort((a, b) => a.position - b.position)
    .map((item) => item.text)
    .filter((item) => {
      const key = normalizeDiagnosis(cleanItem(item));
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}

const NOT_A_NAME =
  /\b(?:i'm|i am|i think|i believe|i would|i cannot|i can't|i can|i don't|i do|i have|i will|i suggest|i recommend|you|your|we|my|is|are|was|were|be|been|has|have|had|should|would|could|can|cannot|can't|please|sorry|unable|consult|here|these|those|based|following|below|above|ranked|not|enough|information|insufficient|make|unclear|uncertain|determine|needs?|requires?|further)\b/i;

const GENERIC_WORDS =
  /^(?:diagnos[ie]s|differentials?|conditions?|causes?|possibilit(?:y|ies)|considerations?|none|unknown|n\/a)$/i;

/** Keeps the parts that read as a diagnosis name, not as a sentence, a refusal or a generic word. */
function plausibleOnly(parts: string[]): string[] {
  return parts.filter((part) => {
    const cleaned = cleanItem(part);
    const words = cleaned.split(/\s+/).filter(Boolean).length;
    return (
      cleaned !== "" &&
      words <= 10 &&
      !GENERIC_WORDS.test(cleaned) &&
      !NOT_A_NAME.test(cleaned) &&
      !/[.!?]\s+\S/.test(part.trim())
    );
  });
}

/** "Appendicitis, acute, mesenteric adenitis; 1) … 2) …" → the listed names, in order. */
function splitInline(raw: string, prose: boolean): string[] {
  const text = raw.trim().replace(/^\[(.*)\]$/s, "$1");
  const numbered = splitInlineNumbered(text, 1);
  if (numbered.length > 1) return numbered;
  const separator = text.includes(";") ? ";" : /[,、]/.test(text) ? "," : null;
  let parts = separator === null ? [text] : splitOutsideParentheses(text.replace(/、/g, ","), separator);
  if (separator === ",") parts = joinQualifierFragments(parts);
  if (prose) parts = parts.flatMap((part) => part.split(/\s+(?:and|or|followed by|as well as)\s+/i));
  return parts.map((part) => part.replace(/^\s*(?:and|or)\s+/i, "").trim()).filter((part) => part !== "");
}

/**
 * Splits "1) A 2) B 3) C" (numbers in sequence from `first`), keeping text before the first marker
 * when it is an entry itself (the content of a numbered line). Returns [] when there are not two markers.
 */
function splitInlineNumbered(text: string, first: number): string[] {
  const markers: Array<{ start: number; end: number }> = [];
  let expected = first;
  for (const match of text.matchAll(/(?:^|\s)\(?(\d{1,2})[.)]\s+/g)) {
    if (Number(match[1]) !== expected) continue;
    markers.push({ start: match.index ?? 0, end: (match.index ?? 0) + match[0].length });
    expected++;
  }
  const needed = first === 1 ? 2 : 1;
  if (markers.length < needed) return [];
  const parts: string[] = [];
  if (first !== 1) parts.push(text.slice(0, markers[0].start));
  markers.forEach((marker, index) => {
    parts.push(text.slice(marker.end, index + 1 < markers.length ? markers[index + 1].start : text.length));
  });
  return parts.map((part) => part.trim().replace(/[,;]$/, "")).filter((part) => part !== "");
}

function splitOutsideParentheses(text: string, separator: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = "";
  for (const character of text) {
    if (character === "(" || character === "[") depth++;
    if ((character === ")" || character === "]") && depth > 0) depth--;
    if (character === separator && depth === 0) {
      parts.push(current);
      current = "";
    } else {
      current += character;
    }
  }
  parts.push(current);
  return parts;
}

/** "Appendicitis, acute" stays one name: a fragment made only of qualifying words joins the one before. */
function joinQualifierFragments(parts: string[]): string[] {
  const joined: string[] = [];
  for (const part of parts) {
    const words = part
      .toLowerCase()
      .split(/[^\p{L}\p{N}]+/u)
      .filter(Boolean);
    const qualifierOnly =
      words.length > 0 && words.every((word) => QUALIFYING_WORDS.has(word) || /^\d+$/.test(word));
    if (qualifierOnly && joined.length > 0) joined[joined.length - 1] += `,${part}`;
    else joined.push(part);
  }
  return joined;
}

// ---------------------------------------------------------------------------------------------------
// One item

const LABEL =
  /^(?:(?:most|less|least|also|very|highly)\s+)?(?:likely|probable|possible|consider|primary|top|first|second|third|alternative|alternatives|other|others|differential|diagnosis|dx|ddx|final answer|answer|leading|working|preliminary|main|rank)(?:\s+(?:diagnosis|diagnoses|dx|differential|consideration|considerations|possibility|possibilities))?(?:\s*#?\s*\d{1,2})?$/i;

const EXPLANATION_START =
  /,\s+(?:given|as|because|since|which|who|that|consistent|supported|suggested|based|especially|particularly|likely|probably|possibly|most|less|least|highly|considering|in view|e\.g\.|i\.e\.|although|but|though|presenting|characterized|indicated|evidenced|see)\b|\s+(?:given|because|since|as evidenced by|as suggested by|based on|supported by)\s+|\s+[-–—]+\s+|\s*[–—]\s+|\s+[–—]\s*|:\s+|\s+\|\s+/i;

const HEDGE =
  /^(?:possible|possibly|probable|probably|likely|most likely|suspected|suspicion of|suspect|presumed|presumptive|query|\?|r\/o|rule out|rule-out|ruling out|consider|considering|to rule out)\s+/i;

/** One listed entry reduced to the diagnosis name. */
export function cleanItem(raw: string): string {
  let item = raw
    .trim()
    .replace(/^#{1,6}\s+/, "")
    .replace(/^(?:[-*•●▪◦‣–+]\s+|\(?\d{1,2}[.)](?!\d)\s*|#\d{1,2}[.:)]?\s*)/, "");
  const bold = /^(\*\*|__)(.+?)\1(.*)$/.exec(item);
  if (bold) {
    const inner = bold[2].trim().replace(/[:\s]+$/, "");
    const rest = bold[3];
    if (LABEL.test(inner)) {
      item = rest.replace(/^\s*[:\-–—]\s*/, "");
    } else {
      const alias = /^\s*([([][^()[\]]*[)\]])/.exec(rest);
      item = alias ? `${inner} ${alias[1]}` : inner;
    }
  }
  item = item
    .replace(/[*`]/g, "")
    .replace(/^_+|_+$/g, "")
    .trim();
  const label = /^([^:\-–—]{1,40}?)\s*[:\-–—]\s+(.*)$/.exec(item);
  if (label && LABEL.test(label[1].trim())) item = label[2];
  const explanation = EXPLANATION_START.exec(item);
  if (explanation && explanation.index > 0) item = item.slice(0, explanation.index);
  item = parentheses(item);
  let previous: string;
  do {
    previous = item;
    item = item.replace(HEDGE, "").replace(/^(?:an?|the)\s+(?=\S)/i, "");
  } while (item !== previous);
  return item
    .replace(/\s*\(?\d{1,3}(?:\.\d+)?\s*%\)?$/, "")
    .replace(/^[\s"'“”‘’,;:.]+/, "")
    .replace(/[\s"'“”‘’,;:.!?]+$/, "")
    .replace(/\s+/g, " ")
    .trim();
}

/**
 * Parenthesised text is explanation and goes, except what reads as another name of the disease ("(PE)",
 * "(scleroderma)", "(Edwards syndrome)", "(central)"), which stays for the grader to weigh; when the name
 * itself is not in Latin letters and the parentheses are, the parentheses hold the name
 * ("急性阑尾炎 (Acute appendicitis)").
 */
function parentheses(item: string): string {
  const group = /\s*[([]([^()[\]]*)[)\]]/g;
  const outside = item.replace(group, "").replace(/\s*[([].*$/, "");
  if (!/[A-Za-z]/.test(outside)) {
    const latin = [...item.matchAll(group)].map((match) => match[1]).find((inner) => /[A-Za-z]/.test(inner));
    if (latin) return cleanItem(latin);
  }
  return item
    .replace(group, (_, inner: string) => (readsAsName(inner.trim()) ? ` (${inner.trim()})` : ""))
    .replace(/\s*[([][^()[\]]*$/, "")
    .trim();
}

/**
 * A few words with no digits, colon, clause or explanation word, after any "also known as" / "i.e.":
 * "(scleroderma)", "(MCAD)", "(also known as Edwards syndrome)",
 * "(systemic lupus erythematosus, SLE)" read as names; "(fever, cough and crackles)" with its three
 * parts, "(risk factors: DVT)", "(given the rash)", "(80%)" do not.
 */
function readsAsName(bracketed: string): boolean {
  const inner = bracketed.replace(ANOTHER_NAME, "");
  if (isAbbreviation(inner)) return true;
  if (inner === "" || inner.length > 60 || /[\d:;%?!]/.test(inner)) return false;
  if (inner.split(",").length > 2 || /\b(?:and|or)\b.*,|,.*\b(?:and|or)\b/i.test(inner)) return false;
  return !NOT_NAME_WORDS.test(inner);
}

const NOT_NAME_WORDS =
  /\b(?:given|because|since|as|which|who|that|consistent|supported|suggest(?:s|ed|ive)?|based|especially|likely|unlikely|probably|possibly|possible|less|least|most|consider|considering|e\.g|i\.e|such|including|although|but|though|presenting|characteri[sz]ed|indicated|evidenced|see|risk|history|due|secondary|caused|from|if|when|not|no|without|other|than|except|excluding|ruled|exclude[sd]?|rule|r\/o|vs|versus|sign|signs|symptoms?|findings?)\b/i;
