import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { z } from "zod";
import { InputError } from "../core/errors.ts";

export const CLASSIFIER_FORMAT = "clinval.classifier/v1";

const count = z.number().int().min(0);
const positive = z.number().int().min(1);
const ngramRange = z.tuple([positive, positive]).refine(([minN, maxN]) => minN <= maxN, "min n above max n");
const finite = z.number().refine(Number.isFinite, "must be a finite number");

const termBlock = z.strictObject({
  ngramRange,
  maxFeatures: count,
  terms: z.array(z.string()),
  idf: z.array(finite),
});

const tfidfFeatures = z.strictObject({
  kind: z.literal("tfidf"),
  /** Fixed parts of the transform, spelled out so the file says what it holds. */
  lowercase: z.literal(true),
  termFrequency: z.literal("1 + ln(count)"),
  inverseDocumentFrequency: z.literal("ln((1 + documents) / (1 + documentFrequency)) + 1"),
  normalisation: z.literal("l2 per block, each block weighted 1/sqrt(2)"),
  minDocumentFrequency: positive,
  word: termBlock,
  char: termBlock,
});

const embedderSpec = z.discriminatedUnion("kind", [
  /** `path` is relative to the model file's folder when the file was written next to it or below. */
  z.strictObject({ kind: z.literal("gguf"), path: z.string().min(1) }),
  z.strictObject({
    kind: z.literal("ollama"),
    model: z.string().min(1),
    baseUrl: z.string().min(1),
    apiKeyEnv: z.string().min(1).optional(),
  }),
  z.strictObject({
    kind: z.literal("openai"),
    model: z.string().min(1),
    baseUrl: z.string().min(1),
    apiKeyEnv: z.string().min(1).optional(),
  }),
]);

const embeddingFeatures = z.strictObject({
  kind: z.literal("embedding"),
  embedder: embedderSpec,
  /** The embedder's identity when trained (see `EmbedderIdentity`). */
  embedderIdentity: z.strictObject({ name: z.string().min(1), digest: z.string().min(1).nullable() }),
  dimensions: positive,
  normalisation: z.literal("l2, then (x - mean) / scale"),
  mean: z.array(finite),
  scale: z.array(finite.refine((value) => value > 0, "must be positive")),
});

const optimiser = z.strictObject({
  method: z.literal("mini-batch Adam, decoupled weight decay, early stopping"),
  learningRate: z.number().positive(),
  batchSize: positive,
  l2: z.number().min(0),
  maxEpochs: positive,
  patience: positive,
  validationFraction: z.number().min(0).lt(1),
});

const training = z.strictObject({
  suite: z.strictObject({ id: z.string(), source: z.string(), sha256: z.string() }),
  /** The split trained on, or null for every case of the file. */
  split: z.string().nullable(),
  fields: z.record(z.string(), z.string()).nullable(),
  /** Cases per label in the training data (fitting and validation slice together). */
  counts: z.record(z.string(), count),
  fittingCases: count,
  validationCases: count,
  seed: z.number().int(),
  optimiser,
  epochs: count,
  bestEpoch: count,
  validationAccuracy: z.number().min(0).max(1).nullable(),
  validationLoss: z.number().min(0).nullable(),
  createdAt: z.string(),
  clinvalVersion: z.string(),
});

export const classifierFileSchema = z
  .strictObject({
    format: z.literal(CLASSIFIER_FORMAT),
    kind: z.enum(["tfidf", "probe"]),
    /** Least to most severe, as given when training. */
    labels: z.array(z.string().min(1)).min(2),
    training,
    features: z.discriminatedUnion("kind", [tfidfFeatures, embeddingFeatures]),
    /** weights[label][feature], in the order of `labels`. */
    head: z.strictObject({ weights: z.array(z.array(finite)), bias: z.array(finite) }),
  })
  .superRefine((file, context) => {
    const issue = (path: (string | number)[], message: string) =>
      context.addIssue({ code: "custom", path, message });
    if ((file.kind === "tfidf") !== (file.features.kind === "tfidf")) {
      issue(["features", "kind"], `a ${file.kind} classifier cannot have ${file.features.kind} features`);
    }
    if (new Set(file.labels).size !== file.labels.length) issue(["labels"], "labels must be distinct");
    const dimensions = featureDimensions(file.features);
    if (file.head.weights.length !== file.labels.length) {
      issue(["head", "weights"], `${file.head.weights.length} weight rows for ${file.labels.length} labels`);
    }
    if (file.head.bias.length !== file.labels.length) {
      issue(["head", "bias"], `${file.head.bias.length} biases for ${file.labels.length} labels`);
    }
    file.head.weights.forEach((row, index) => {
      if (row.length !== dimensions)
        issue(["head", "weights", index], `${row.length} weights for ${dimensions} features`);
    });
    const features = file.features;
    if (features.kind === "tfidf") {
      for (const block of ["word", "char"] as const) {
        if (features[block].terms.length !== features[block].idf.length) {
          issue(["features", block, "idf"], "needs one idf per term");
        }
      }
    } else if (
      features.mean.length !== features.dimensions ||
      features.scale.length !== features.dimensions
    ) {
      issue(["features"], `mean and scale need ${features.dimensions} values each`);
    }
  });

export type ClassifierFile = z.infer<typeof classifierFileSchema>;
export type TfidfFeatures = z.infer<typeof tfidfFeatures>;
export type EmbeddingFeatures = z.infer<typeof embeddingFeatures>;
export type TrainingRecord = z.infer<typeof training>;
export type StoredEmbedderSpec = z.infer<typeof embedderSpec>;

export function featureDimensions(features: ClassifierFile["features"]): number {
  return features.kind === "tfidf"
    ? features.word.terms.length + features.char.terms.length
    : features.dimensions;
}

/** Significant digits kept for every real number in a model file. */
const SIGNIFICANT_DIGITS = 8;

/** A number as stored in a model file: 8 significant digits, no negative zero. */
export function roundForFile(value: number): number {
  const rounded = Number(value.toPrecision(SIGNIFICANT_DIGITS));
  return rounded === 0 ? 0 : rounded;
}

/**
 * The file's text: JSON with two-space indentation, except that lists of numbers or strings stay on one
 * line (so the metadata is readable and the weights do not take a line each).
 */
export function serialiseClassifier(file: ClassifierFile): string {
  return `${pretty(file, "")}\n`;
}

function pretty(value: unknown, indent: string): string {
  if (Array.isArray(value)) {
    if (value.every((item) => item === null || typeof item !== "object")) return JSON.stringify(value);
    const inner = `${indent}  `;
    return `[\n${value.map((item) => inner + pretty(item, inner)).join(",\n")}\n${indent}]`;
  }
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).filter(([, item]) => item !== undefined);
    if (entries.length === 0) return "{}";
    const inner = `${indent}  `;
    return `{\n${entries.map(([key, item]) => `${inner}${JSON.stringify(key)}: ${pretty(item, inner)}`).join(",\n")}\n${indent}}`;
  }
  return JSON.stringify(value);
}

/** A model file's content with its sha256. */
export interface LoadedClassifierFile {
  path: string;
  sha256: string;
  file: ClassifierFile;
}

/** Reads and validates a model file; every problem is an InputError naming the file (and field). */
export function readClassifierFile(path: string): LoadedClassifierFile {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === "ENOENT" ? "not found" : (error as Error).message;
    throw new InputError(`classifier model file ${reason}`, { file: path }, "file-unreadable");
  }
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString("utf8"));
  } catch (error) {
    throw new InputError(`not a classifier model file (invalid JSON: ${(error as Error).message})`, {
      file: path,
    });
  }
  const format =
    json !== null && typeof json === "object" ? (json as Record<string, unknown>).format : undefined;
  if (format !== CLASSIFIER_FORMAT) {
    throw new InputError(
      `not a classifier model file: format is ${JSON.stringify(format ?? null)}, expected "${CLASSIFIER_FORMAT}" (train one with \`clinval train\`)`,
      { file: path, field: "format" },
    );
  }
  const parsed = classifierFileSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new InputError(first.message, { file: path, field: first.path.join(".") });
  }
  return { path, sha256: createHash("sha256").update(bytes).digest("hex"), file: parsed.data };
}
