import { readFileSync } from "node:fs";
import { join } from "node:path";
import { InputError, InputErrors } from "../core/errors.ts";

export const TRAINERS = ["llama-factory", "axolotl", "trl", "unsloth"] as const;
export type Trainer = (typeof TRAINERS)[number];

type JsonType = "boolean" | "integer" | "number" | "string" | "array" | "object" | "null" | "any";

interface KeySpec {
  types: JsonType[];
  choices?: string[];
  from: string;
  aliasOf?: string;
}

/** A trainer's accepted keys, extracted from its source by scripts/sft/extract-trainer-schemas.py. */
export interface TrainerSchema {
  trainer: Trainer;
  sources: Array<{
    repository: string;
    tag: string;
    commit: string | null;
    licence: string;
    files: string[];
  }>;
  sections: Record<string, { definedBy: string[]; keys: Record<string, KeySpec> }>;
}

const SCHEMA_DIRECTORY = join(import.meta.dirname, "trainer-schemas");

export function loadTrainerSchema(trainer: Trainer): TrainerSchema {
  return JSON.parse(readFileSync(join(SCHEMA_DIRECTORY, `${trainer}.json`), "utf8")) as TrainerSchema;
}

/** `huggingface/trl v1.9.0 + huggingface/transformers v5.5.0` */
export function describeSchema(schema: TrainerSchema): string {
  return schema.sources.map((source) => `${source.repository} ${source.tag}`).join(" + ");
}

/**
 * Checks a configuration against the trainer's schema: every key must be one the trainer defines (a
 * misspelling is named with the nearest real key) and every value of a type it accepts. `sections` maps
 * a schema section to the object checked against it; a list value of `datasets[]` is checked item by item.
 */
export function checkTrainerConfig(
  schema: TrainerSchema,
  sections: Record<string, unknown>,
  file: string,
): void {
  const problems: InputError[] = [];
  for (const [section, value] of Object.entries(sections)) {
    const spec = schema.sections[section];
    if (!spec) throw new Error(`${schema.trainer} has no section ${section}`);
    const items = section.endsWith("[]") ? (Array.isArray(value) ? value : []) : [value];
    items.forEach((item, index) => {
      const where = section.endsWith("[]")
        ? `${section.slice(0, -2)}.${index}.`
        : section === "config"
          ? ""
          : `${section}.`;
      for (const [key, entry] of Object.entries(item as Record<string, unknown>)) {
        const keySpec = spec.keys[key];
        if (!keySpec) {
          const nearest = nearestKey(key, Object.keys(spec.keys));
          problems.push(
            new InputError(
              `unknown key for ${schema.trainer} (${describeSchema(schema)})${nearest ? `; did you mean "${nearest}"?` : ""}`,
              { file, field: `${where}${key}` },
              "unknown-trainer-key",
            ),
          );
          continue;
        }
        const problem = typeProblem(entry, keySpec);
        if (problem)
          problems.push(new InputError(problem, { file, field: `${where}${key}` }, "invalid-trainer-value"));
      }
    });
  }
  if (problems.length === 1) throw problems[0];
  if (problems.length > 1) throw new InputErrors(problems);
}

function typeProblem(value: unknown, spec: KeySpec): string | undefined {
  if (spec.types.includes("any")) return undefined;
  const actual = jsonTypes(value);
  if (!actual.some((type) => spec.types.includes(type))) {
    return `must be ${spec.types.join(" or ")} (${spec.from}), not ${actual[0]}`;
  }
  if (spec.choices && typeof value === "string" && !spec.choices.includes(value)) {
    return `must be one of ${spec.choices.join(", ")} (${spec.from}), not "${value}"`;
  }
  return undefined;
}

function jsonTypes(value: unknown): JsonType[] {
  if (value === null) return ["null"];
  if (Array.isArray(value)) return ["array"];
  if (typeof value === "boolean") return ["boolean"];
  if (typeof value === "number") return Number.isInteger(value) ? ["integer", "number"] : ["number"];
  if (typeof value === "string") return ["string"];
  return ["object"];
}

/** The known key with the smallest edit distance, when it is close (at most a third of the key's length). */
function nearestKey(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(key.length / 3)) + 1;
  for (const candidate of known) {
    const distance = editDistance(key, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j] + 1,
        current[j - 1] + 1,
        previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length];
}
