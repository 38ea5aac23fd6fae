import type { Case } from "../../core/case.ts";
import { SeededRandom } from "../../stats/random.ts";
import type {
  DemographicAttribute,
  DemographicProbe,
  InjectionProbe,
  Position,
  PremiseProbe,
  ProbeDefinition,
} from "./probe-definitions.ts";

export type SafetyBase = "diagnosis" | "triage";

/** What a variant case carries about its making: enough for the analysis, which never reads the probe files. */
export interface SafetyVariant {
  /** The unperturbed case's id. */
  original: string;
  probe: string;
  kind: ProbeDefinition["kind"];
  /** The attribute, technique or form. */
  item: string;
  /** The descriptor inserted, or the swap made (`male→female`, `58→48`). */
  value?: string;
  position?: Position;
  /** The attacker's target or the asserted diagnosis / label. */
  target?: string;
  adoption?: "target" | "drops-reference";
}

/** The case field holding a variant's `SafetyVariant`; absent on original cases. */
export const VARIANT_FIELD = "safetyVariant";
/** The case field listing attributes that must not be swapped, e.g. `protected: [sex]`. */
export const PROTECTED_FIELD = "protected";
/** Separates a case id from its variant's name: `dx-001~sex`. */
export const VARIANT_SEPARATOR = "~";

export interface DeriveOptions {
  base: SafetyBase;
  probes: readonly ProbeDefinition[];
  seed: number;
  /** Triage: the ordered label set, least severe first. */
  labels?: readonly string[];
  /** Translation probes: the paired suite's cases by id, per probe id. */
  paired?: ReadonlyMap<string, ReadonlyMap<string, Case>>;
}

/**
 * The original cases, each followed by its variants. Every random choice (descriptor, position, target) is
 * drawn from a generator seeded by the study seed, the case id and the probe item, so a case's variants do
 * not depend on which other cases are in the run.
 */
export function deriveVariants(cases: readonly Case[], options: DeriveOptions): Case[] {
  const textField = options.base === "diagnosis" ? "presentation" : "text";
  const diagnoses = [...new Set(cases.map((testCase) => String(testCase.diagnosis ?? "")))]
    .filter(Boolean)
    .sort();
  const result: Case[] = [];
  for (const testCase of cases) {
    result.push(testCase);
    const text = String(testCase[textField]);
    const context: VariantContext = {
      testCase,
      text,
      options,
      target: (key) => targetFor(testCase, key, diagnoses, options),
    };
    for (const probe of options.probes) {
      if (probe.kind === "translation") {
        const twin = options.paired?.get(probe.id)?.get(testCase.id);
        if (twin === undefined) continue;
        result.push({
          ...twin,
          id: `${testCase.id}${VARIANT_SEPARATOR}${variantName(probe.id, probe.language)}`,
          [VARIANT_FIELD]: {
            original: testCase.id,
            probe: probe.id,
            kind: "translation",
            item: probe.language,
          } satisfies SafetyVariant,
        });
        continue;
      }
      for (const variant of variantsOf(probe, context)) {
        result.push({
          ...testCase,
          id: `${testCase.id}${VARIANT_SEPARATOR}${variant.name}`,
          [textField]: variant.text,
          [VARIANT_FIELD]: variant.meta,
        });
      }
    }
  }
  return result;
}

interface VariantContext {
  testCase: Case;
  text: string;
  options: DeriveOptions;
  target(key: string): string | undefined;
}

interface DerivedVariant {
  name: string;
  text: string;
  meta: SafetyVariant;
}

function variantsOf(
  probe: Exclude<ProbeDefinition, { kind: "translation" }>,
  context: VariantContext,
): DerivedVariant[] {
  switch (probe.kind) {
    case "demographic":
      return demographicVariants(probe, context);
    case "injection":
      return injectionVariants(probe, context);
    case "premise":
      return premiseVariants(probe, context);
  }
}

function demographicVariants(probe: DemographicProbe, context: VariantContext): DerivedVariant[] {
  const { testCase, text } = context;
  const protectedFields = protectedOf(testCase);
  const variants: DerivedVariant[] = [];
  for (const attribute of probe.attributes) {
    if (protectedFields.has(attribute.attribute)) continue;
    if (attribute.skipWhen.some((source) => new RegExp(source, "iu").test(text))) continue;
    const swapped = swapAttribute(attribute, text, randomFor(context, `${probe.id}/${attribute.attribute}`));
    if (swapped === undefined || swapped.text === text) continue;
    variants.push({
      name: variantName(probe.id, attribute.attribute),
      text: swapped.text,
      meta: {
        original: testCase.id,
        probe: probe.id,
        kind: "demographic",
        item: attribute.attribute,
        value: swapped.value,
      },
    });
  }
  return variants;
}

function swapAttribute(
  attribute: DemographicAttribute,
  text: string,
  random: SeededRandom,
): { text: string; value: string } | undefined {
  switch (attribute.method) {
    case "sex-swap":
      return swapSex(text, attribute.toFemale, attribute.toMale);
    case "age-shift":
      return shiftAge(text, attribute.years, attribute.minimum, attribute.maximum);
    case "insert": {
      const descriptor = attribute.descriptors[random.nextInt(attribute.descriptors.length)];
      return { text: insertAfterFirstSentence(text, descriptor), value: descriptor };
    }
  }
}

const WORD = /\p{L}+/gu;

/** Swaps the sex words of the text towards the other sex; undefined when the text names neither or both equally. */
export function swapSex(
  text: string,
  toFemale: Record<string, string>,
  toMale: Record<string, string>,
): { text: string; value: string } | undefined {
  const lower = (map: Record<string, string>) =>
    new Map(Object.entries(map).map(([from, to]) => [from.toLowerCase(), to.toLowerCase()]));
  const female = lower(toFemale);
  const male = lower(toMale);
  const words = text.match(WORD) ?? [];
  const maleCount = words.filter((word) => female.has(word.toLowerCase())).length;
  const femaleCount = words.filter((word) => male.has(word.toLowerCase())).length;
  if (maleCount === femaleCount) return undefined;
  const map = maleCount > femaleCount ? female : male;
  const swapped = text.replace(WORD, (word) => {
    const replacement = map.get(word.toLowerCase());
    return replacement === undefined ? word : matchCase(word, replacement);
  });
  return { text: swapped, value: maleCount > femaleCount ? "male→female" : "female→male" };
}

function matchCase(model: string, word: string): string {
  if (model.length > 1 && model === model.toUpperCase()) return word.toUpperCase();
  if (model[0] === model[0].toUpperCase()) return word[0].toUpperCase() + word.slice(1);
  return word;
}

const AGE = /\b(\d{1,3})([- ]years?[- ]old|[- ]year[- ]old)\b|\baged (\d{1,3})\b/i;

/** Moves the first stated age by `years` (up, or down when up leaves the band); undefined outside the band. */
export function shiftAge(
  text: string,
  years: number,
  minimum: number,
  maximum: number,
): { text: string; value: string } | undefined {
  const match = AGE.exec(text);
  if (match === null) return undefined;
  const age = Number(match[1] ?? match[3]);
  if (age < minimum || age > maximum) return undefined;
  const shifted = age + years <= maximum ? age + years : age - years >= minimum ? age - years : undefined;
  if (shifted === undefined) return undefined;
  const replaced = match[0].replace(String(age), String(shifted));
  return {
    text: text.slice(0, match.index) + replaced + text.slice(match.index + match[0].length),
    value: `${age}→${shifted}`,
  };
}

function injectionVariants(probe: InjectionProbe, context: VariantContext): DerivedVariant[] {
  const { testCase, text } = context;
  const variants: DerivedVariant[] = [];
  for (const technique of probe.techniques) {
    const target = context.target(`${probe.id}/${technique.technique}`);
    if (target === undefined) continue;
    const random = randomFor(context, `${probe.id}/${technique.technique}/position`);
    const position = probe.positions[random.nextInt(probe.positions.length)];
    const payload =
      technique.payload === undefined
        ? ""
        : Buffer.from(fill(technique.payload, { target }), "utf8").toString("base64");
    const line = fill(technique.text, { target, payload });
    variants.push({
      name: variantName(probe.id, technique.technique),
      text: insertAt(text, line, position),
      meta: {
        original: testCase.id,
        probe: probe.id,
        kind: "injection",
        item: technique.technique,
        position,
        target,
      },
    });
  }
  return variants;
}

function premiseVariants(probe: PremiseProbe, context: VariantContext): DerivedVariant[] {
  const { testCase, text, options } = context;
  const reference = String(options.base === "diagnosis" ? testCase.diagnosis : testCase.label);
  const variants: DerivedVariant[] = [];
  for (const form of probe.forms) {
    const target = form.adoption === "target" ? context.target(`${probe.id}/${form.form}`) : undefined;
    if (form.adoption === "target" && target === undefined) continue;
    const template = options.base === "diagnosis" ? form.text : form.triageText;
    const line = fill(template, { target: target ?? "", reference });
    variants.push({
      name: variantName(probe.id, form.form),
      text: `${line}\n\n${text}`,
      meta: {
        original: testCase.id,
        probe: probe.id,
        kind: "premise",
        item: form.form,
        ...(target === undefined ? {} : { target }),
        adoption: form.adoption,
      },
    });
  }
  return variants;
}

/**
 * The wrong answer an attacker or a false premise pushes: another diagnosis of the suite (not the case's own
 * nor one of its accepted names), or in triage the least severe label when the case is above it.
 */
function targetFor(
  testCase: Case,
  key: string,
  diagnoses: readonly string[],
  options: DeriveOptions,
): string | undefined {
  if (options.base === "triage") {
    const lowest = options.labels?.[0];
    return lowest === undefined || lowest === testCase.label ? undefined : lowest;
  }
  const own = new Set(
    [testCase.diagnosis, ...(Array.isArray(testCase.accept) ? testCase.accept : [])].map((name) =>
      String(name).toLowerCase(),
    ),
  );
  const others = diagnoses.filter((name) => !own.has(name.toLowerCase()));
  if (others.length === 0) return undefined;
  return others[randomFor({ testCase, options }, key).nextInt(others.length)];
}

function variantName(probe: string, item: string): string {
  return `${probe}-${item}`;
}

function protectedOf(testCase: Case): Set<string> {
  const value = testCase[PROTECTED_FIELD];
  if (Array.isArray(value)) return new Set(value.map(String));
  if (typeof value === "string") return new Set(value.split(/[,;]\s*/).filter(Boolean));
  return new Set();
}

function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (whole, name: string) => values[name] ?? whole);
}

/** Sentence ends: after `. `, `? `, `! `, `。` or a line break. */
function sentenceEnds(text: string): number[] {
  const ends: number[] = [];
  for (const match of text.matchAll(/[.?!](?=\s)|。|\n/g)) ends.push((match.index ?? 0) + match[0].length);
  return ends.filter((end) => end < text.length);
}

function insertAfterFirstSentence(text: string, sentence: string): string {
  const [first] = sentenceEnds(text);
  if (first === undefined) return `${text} ${sentence}`;
  if (text[first - 1] === "\n") return `${text.slice(0, first)}${sentence}\n${text.slice(first)}`;
  return `${text.slice(0, first)} ${sentence}${text.slice(first)}`;
}

function insertAt(text: string, line: string, position: Position): string {
  if (position === "start") return `${line}\n${text}`;
  if (position === "end") return `${text}\n${line}`;
  const ends = sentenceEnds(text);
  if (ends.length === 0) return `${text}\n${line}`;
  const middle = ends.reduce((best, end) =>
    Math.abs(end - text.length / 2) < Math.abs(best - text.length / 2) ? end : best,
  );
  return `${text.slice(0, middle)}\n${line}\n${text.slice(middle).replace(/^\s+/, "")}`;
}

/** A generator for one choice: FNV-1a of seed, case id and key seeds xoshiro128**. */
function randomFor(context: Pick<VariantContext, "testCase" | "options">, key: string): SeededRandom {
  const source = `${context.options.seed}\u0000${context.testCase.id}\u0000${key}`;
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(source, "utf8")) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return new SeededRandom(hash);
}
