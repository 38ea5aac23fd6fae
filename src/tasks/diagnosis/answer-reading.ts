/** What grading reads from a listed answer whatever the reference: its names, forms and concepts. */
import { nameVariants, normalizeDiagnosis, wordKey } from "../../terminology/normalize.ts";
import type { Terminology } from "../../terminology/terminology.ts";
import { contentTokens } from "./similarity.ts";

/** Answers longer than this are not a diagnosis name: only exact names and concepts are tried on them. */
export const MAX_NAME_LENGTH = 300;

export interface PreparedName {
  name: string;
  key: string;
  words: string;
}

export function prepareName(name: string): PreparedName {
  return { name, key: normalizeDiagnosis(name), words: wordKey(name) };
}

/**
 * What grading needs to know of one listed answer whatever the reference: its names, their normalised
 * forms, the concepts they name. Models write the same few thousand names across cases, models and
 * samples, so each answer is read once per terminology; the parts below are worked out when first asked.
 */
export interface AnswerReading {
  names: string[];
  prepared: PreparedName[];
  concepts: string[];
  /** The concept the answer names once misspelt words are corrected ([] when none); see spelledConcepts. */
  spelled?: string[];
  /** The abbreviations' possible meanings, per name; see meaningsOfNames. */
  meanings?: Array<readonly string[]>;
  /** Each name's content words, for suggestions; see wordsOfNames. */
  words?: Array<readonly string[]>;
  /** The parts of "X secondary to Y" and of "X or Y"; see splitParts. */
  compositeParts?: string[];
  alternativeParts?: string[];
}

/** At most this many readings are kept per terminology. */
const READINGS_LIMIT = 100_000;

const readings = new WeakMap<Terminology, Map<string, AnswerReading>>();

export function readingOf(answer: string, terminology: Terminology): AnswerReading {
  let known = readings.get(terminology);
  if (known === undefined) {
    known = new Map();
    readings.set(terminology, known);
  }
  let reading = known.get(answer);
  if (reading === undefined) {
    const names = answerNames(answer);
    const concepts: string[] = [];
    for (const name of names) {
      for (const id of terminology.find(name)) if (!concepts.includes(id)) concepts.push(id);
    }
    reading = { names, prepared: names.map(prepareName), concepts };
    if (known.size >= READINGS_LIMIT) known.clear();
    known.set(answer, reading);
  }
  return reading;
}

/** The first of the answer's names whose misspelt words correct to exactly one concept, as [id], or []. */
export function spelledConcepts(reading: AnswerReading, terminology: Terminology): string[] {
  if (reading.spelled === undefined) {
    reading.spelled = [];
    for (const name of reading.names) {
      const corrected = terminology.correctSpelling(name);
      if (corrected !== undefined) {
        reading.spelled = [corrected.id];
        break;
      }
    }
  }
  return reading.spelled;
}

export function meaningsOfNames(reading: AnswerReading, terminology: Terminology): Array<readonly string[]> {
  reading.meanings ??= reading.names.map((name) => terminology.meaningsOf(name));
  return reading.meanings;
}

export function wordsOfNames(reading: AnswerReading): Array<readonly string[]> {
  reading.words ??= reading.names.map(contentTokens);
  return reading.words;
}

export function splitParts(answer: string, link: RegExp): string[] {
  return answer
    .split(link)
    .filter((part) => part !== undefined && part.trim() !== "")
    .map((part) => part.trim());
}

/**
 * The names one listed answer stands for: itself, its abbreviation in parentheses, without a side, and
 * the names it gives in brackets or as aliases (see nameVariants and glossedNames): "Giant cell
 * arteritis (temporal arteritis)", "Polymyalgia rheumatica, also known as PMR".
 */
function answerNames(answer: string): string[] {
  const name = answer.length > MAX_NAME_LENGTH ? answer : answer.replace(STILL_POSSIBLE_TAIL, "");
  return unique(
    glossedNames(name).flatMap((glossed) =>
      nameVariants(glossed).flatMap((variant) => [
        variant,
        variant.replace(/^(?:left|right|bilateral)(?:-sided)?\s+/i, ""),
      ]),
    ),
  );
}

const UNCLOSED_BRACKET = /\s*[([][^()[\]]*$/;
const ALIAS_LINK = /,?\s+(?:also known as|also called|aka|a\.k\.a\.)\s+/i;

/**
 * A name, the name without a bracket left open to its end ("Pulmonary embolism [ICD-10 I26"), and the
 * names joined by "also known as". Closed brackets are read by nameVariants.
 */
function glossedNames(name: string): string[] {
  if (name.length > MAX_NAME_LENGTH) return [name];
  const names = [name];
  const closed = name.replace(UNCLOSED_BRACKET, "");
  if (closed !== name && closed.trim() !== "") names.push(closed.trim());
  return names.flatMap((each) => {
    const aliases = each.split(ALIAS_LINK).map((part) => part.trim());
    return aliases.length > 1 ? [each, ...aliases.filter((part) => part !== "")] : [each];
  });
}

/** "PE cannot be excluded", "MI must be ruled out": the answer still names the diagnosis. */
const STILL_POSSIBLE_TAIL = / (?:cannot|can't|can not|must|should|needs? to|to) be (?:excluded|ruled out)$/i;

export const COMPOSITE_LINK =
  /\s+(?:secondary to|due to|caused by|because of|resulting from|from|with|complicated by|associated with|in the setting of|on a background of|in|and)\s+|\s*[&+]\s*/i;

export const ALTERNATIVES = /\s+(?:or|vs\.?|versus)\s+|\s*\/\s*/i;

export function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
