import type { z } from "zod";
import type { judgeSpecSchema, modelSpecSchema, studySchema } from "./study-schema.ts";

export const PROVIDERS = ["openai", "ollama", "llama-cpp", "classifier"] as const;
export type ProviderName = (typeof PROVIDERS)[number];

export const TASKS = ["diagnosis", "triage"] as const;
export type TaskName = (typeof TASKS)[number];

export type ModelSpec = z.infer<typeof modelSpecSchema>;

export type JudgeSpec = z.infer<typeof judgeSpecSchema>;

export type StudyInput = z.input<typeof studySchema>;

/** A validated study, with paths resolved against the study file's folder. */
export type Study = z.infer<typeof studySchema> & {
  /** Absolute path of the study file, or undefined for a study built in code. */
  file?: string;
  /** Labels for triage (the study's, or the default negative / routine / urgent). */
  labels?: string[];
};

export const DEFAULT_TRIAGE_LABELS = ["negative", "routine", "urgent"];

/** An answer and its reasoning are each kept up to this many characters unless the study says otherwise. */
export const DEFAULT_MAX_ANSWER_CHARS = 1_000_000;

/** The comparisons of a study: the explicit list, or every pair of models in order. */
export function comparisonPairs(study: Pick<Study, "compare" | "models">): Array<[string, string]> {
  if (study.compare) return study.compare;
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i < study.models.length; i++) {
    for (let j = i + 1; j < study.models.length; j++) {
      pairs.push([study.models[i].id, study.models[j].id]);
    }
  }
  return pairs;
}
