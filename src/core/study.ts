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

/** An adapted model of the study (from `adapters:` on a model), compared with its base. */
export interface Adaptation {
  /** The adapted model's id. */
  model: string;
  /** The base model's id. */
  base: string;
  /** llama-cpp: the GGUF LoRA file; openai / ollama: the name the server serves the adapted model under. */
  adapter: string;
  /** The folder of the adapter's prepared training data, as the study names it (resolved). */
  trainingData?: string;
  /** What a run found about the training data, filled in when the run starts. */
  training?: AdaptationTraining;
  /** SHA-256 of the LoRA file (llama-cpp), filled in when the run starts. */
  adapterSha256?: string;
}

/** The adapter's training data as its data card describes it, and its overlap with the study's cases. */
export interface AdaptationTraining {
  dataCard: {
    sha256: string;
    format: string;
    reasoningStyle: string;
    seed: number;
    /** Each input by file name (or built-in suite id), with its licence and records. */
    sources: Array<{ kind: string; name: string; licence: string; records: number; sha256: string }>;
    trainExamples: number;
    validationExamples: number;
    /** Examples left out or cut: over-long (dropped or truncated) and excluded as overlapping a suite. */
    filters: { maxTokens: number | null; droppedOverLength: number; truncated: number; excluded: number };
  };
  contamination: {
    trainingExamples: number;
    /** The study's cases checked (those the run evaluates). */
    cases: number;
    contaminatedCases: number;
    ngram: number;
    ngramThreshold: number;
    similarityThreshold: number;
    /** Each flagged pair: case id, the training example (file name:line) and what matched. */
    pairs: Array<{ caseId: string; origin: string; kinds: string[] }>;
  };
}

/** The study's `adjust:` choices: the methods of the statistics' `adjustPValues` (a test keeps them equal). */
export const ADJUST_METHODS = ["holm", "bonferroni", "bh", "hochberg", "by"] as const;
export type AdjustMethod = (typeof ADJUST_METHODS)[number];

export const DEFAULT_TRIAGE_LABELS = ["negative", "routine", "urgent"];

/** An answer and its reasoning are each kept up to this many characters unless the study says otherwise. */
export const DEFAULT_MAX_ANSWER_CHARS = 1_000_000;

/** A comparison the study asks for; `primary` comparisons form the family adjusted for multiplicity. */
export interface DeclaredComparison {
  a: string;
  b: string;
  primary: boolean;
}

/**
 * The comparisons of a study: the explicit list, or every pair of models in order. When no comparison is
 * marked primary, every one is (the whole list is the family), as before declarations existed.
 */
export function declaredComparisons(study: Pick<Study, "compare" | "models">): DeclaredComparison[] {
  const listed: DeclaredComparison[] = study.compare
    ? study.compare.map((entry) =>
        Array.isArray(entry)
          ? { a: entry[0], b: entry[1], primary: false }
          : { a: entry.a, b: entry.b, primary: entry.primary ?? false },
      )
    : [];
  if (!study.compare) {
    for (let i = 0; i < study.models.length; i++) {
      for (let j = i + 1; j < study.models.length; j++) {
        listed.push({ a: study.models[i].id, b: study.models[j].id, primary: false });
      }
    }
  }
  if (listed.some((comparison) => comparison.primary)) return listed;
  return listed.map((comparison) => ({ ...comparison, primary: true }));
}

/** The model pairs of `declaredComparisons`, in order. */
export function comparisonPairs(study: Pick<Study, "compare" | "models">): Array<[string, string]> {
  return declaredComparisons(study).map((comparison) => [comparison.a, comparison.b]);
}

/** The confidence level of a study's intervals: `confidence`, else 1 − alpha (rounded to 12 digits). */
export function confidenceLevel(study: Pick<Study, "alpha" | "confidence">): number {
  return study.confidence ?? Number((1 - study.alpha).toPrecision(12));
}
