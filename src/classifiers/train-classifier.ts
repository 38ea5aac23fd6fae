import { readFileSync } from "node:fs";
import { isAbsolute, join, relative, sep } from "node:path";
import type { Suite } from "../core/case.ts";
import { InputError, InputErrors } from "../core/errors.ts";
import { probeVector, tfidfVectorizerFromFile } from "./classifier.ts";
import { type Embedder, type EmbedderIdentity, type EmbedderSpec, embedAll } from "./embedders.ts";
import type { EmbeddingCache } from "./embedding-cache.ts";
import {
  argmax,
  DEFAULT_OPTIMISER,
  type EpochReport,
  type LabelledRows,
  type LogisticHead,
  type OptimiserConfig,
  predictProbabilities,
  type TrainedHead,
  trainLogisticRegression,
} from "./logistic-regression.ts";
import {
  CLASSIFIER_FORMAT,
  type ClassifierFile,
  type EmbeddingFeatures,
  roundForFile,
  type StoredEmbedderSpec,
  type TfidfFeatures,
  type TrainingRecord,
} from "./model-file.ts";
import type { SparseVector } from "./sparse-vector.ts";
import { DEFAULT_TFIDF_CONFIG, fitTfidf, type TfidfConfig, words } from "./tfidf.ts";
import { stratifiedSplit } from "./validation-split.ts";

/** Labelled report texts to train on, checked against an ordered label set. */
export interface TrainingSet {
  suite: { id: string; source: string; sha256: string };
  /** The split the cases come from, or null for all cases of the file. */
  split: string | null;
  fields: Record<string, string> | null;
  /** Least to most severe. */
  labels: string[];
  cases: Array<{ id: string; text: string; label: string }>;
}

export interface TrainingSetOptions {
  labels: readonly string[];
  split: string | null;
  fields?: Record<string, string>;
  /** The line on which each case starts in its file, by case id, for the error messages. */
  lines?: ReadonlyMap<string, number>;
}

/**
 * Checks a loaded suite for training: at least one case, every label in the label set, every label of
 * the set present, and every text with words. Problems are InputErrors naming the file, case and field.
 */
export function prepareTrainingSet(suite: Suite, options: TrainingSetOptions): TrainingSet {
  const file = suite.source;
  const labels = [...options.labels];
  if (labels.length < 2) {
    throw new InputError(`needs at least two labels, got ${labels.length}`, { field: "--labels" });
  }
  const repeated = labels.find((label, index) => labels.indexOf(label) !== index);
  if (repeated !== undefined)
    throw new InputError(`label "${repeated}" is given twice`, { field: "--labels" });
  const where = options.split === null ? "the file" : `split "${options.split}"`;
  if (suite.cases.length === 0) {
    throw new InputError(`no cases to train on in ${where}`, { file, field: "split" }, "empty-suite");
  }
  const known = new Set(labels);
  // The user's own column name when the field is mapped, as the case file loader names it.
  const column = (field: string) => {
    const mapped = options.fields?.[field];
    return mapped === undefined || mapped === field ? field : `${mapped} (mapped to ${field})`;
  };
  const problems: InputError[] = [];
  const cases = suite.cases.map((testCase) => {
    const label = String(testCase.label).trim();
    const text = String(testCase.text);
    if (!known.has(label)) {
      problems.push(
        new InputError(
          `case "${testCase.id}": label "${label}" is not one of ${labels.join(", ")} (give the label set with --labels, least to most severe)`,
          { file, line: options.lines?.get(testCase.id), field: column("label") },
          "unknown-label",
        ),
      );
    }
    if (words(text).length === 0) {
      problems.push(
        new InputError(
          `case "${testCase.id}": the report text has no words`,
          { file, line: options.lines?.get(testCase.id), field: column("text") },
          "invalid-case",
        ),
      );
    }
    return { id: testCase.id, text, label };
  });
  if (problems.length === 0) {
    const present = new Set(cases.map((testCase) => testCase.label));
    for (const label of labels) {
      if (!present.has(label)) {
        problems.push(
          new InputError(
            `label "${label}" has no case in ${where}: a classifier cannot learn a class it never sees`,
            { file, field: column("label") },
            "missing-class",
          ),
        );
      }
    }
  }
  if (problems.length > 0) throw problems.length === 1 ? problems[0] : new InputErrors(problems);
  return {
    suite: { id: suite.id, source: suite.source, sha256: suite.sha256 },
    split: options.split,
    fields: options.fields ?? null,
    labels,
    cases,
  };
}

export interface TrainOptions {
  seed: number;
  optimiser?: Partial<OptimiserConfig>;
  onEpoch?: (report: EpochReport) => void;
  /** Time written to the file; default now. */
  now?: () => Date;
}

export interface TrainTfidfOptions extends TrainOptions {
  features?: TfidfConfig;
}

/** Trains TF-IDF features and a logistic head; returns the model file's content. */
export function trainTfidfClassifier(set: TrainingSet, options: TrainTfidfOptions): ClassifierFile {
  const config = options.features ?? DEFAULT_TFIDF_CONFIG;
  const optimiser = { ...DEFAULT_OPTIMISER, ...options.optimiser };
  const targets = set.cases.map((testCase) => set.labels.indexOf(testCase.label));
  const split = stratifiedSplit(targets, optimiser.validationFraction, options.seed);
  const vocabulary = fitTfidf(
    split.train.map((index) => set.cases[index].text),
    config,
  );
  const features: TfidfFeatures = {
    kind: "tfidf",
    lowercase: true,
    termFrequency: "1 + ln(count)",
    inverseDocumentFrequency: "ln((1 + documents) / (1 + documentFrequency)) + 1",
    normalisation: "l2 per block, each block weighted 1/sqrt(2)",
    minDocumentFrequency: config.minDocumentFrequency,
    word: { ...config.word, terms: vocabulary.word.terms, idf: vocabulary.word.idf.map(roundForFile) },
    char: { ...config.char, terms: vocabulary.char.terms, idf: vocabulary.char.idf.map(roundForFile) },
  };
  // Vectors from the idf values as stored, so the file classifies exactly as validated.
  const vectorizer = tfidfVectorizerFromFile(features);
  const rows = set.cases.map((testCase) => vectorizer.transform(testCase.text));
  return finish(set, options, optimiser, split, rows, targets, vectorizer.dimensions, "tfidf", features);
}

export interface TrainProbeOptions extends TrainOptions {
  embedder: Embedder;
  cache?: EmbeddingCache;
  signal?: AbortSignal;
  /** Folder the model file will be written to: a GGUF embedder's path is stored relative to it. */
  modelDirectory?: string;
  onEmbedProgress?: (done: number, total: number, fromCache: number) => void;
}

/** Embeds the texts (through the cache) and trains a logistic head on them; returns the model file's content. */
export async function trainProbeClassifier(
  set: TrainingSet,
  options: TrainProbeOptions,
): Promise<ClassifierFile> {
  const optimiser = { ...DEFAULT_OPTIMISER, ...options.optimiser };
  const signal = options.signal ?? new AbortController().signal;
  const identity: EmbedderIdentity = await options.embedder.identify(signal);
  const vectors = await embedAll(
    options.embedder,
    set.cases.map((testCase) => testCase.text),
    { cache: options.cache, signal, onProgress: options.onEmbedProgress },
  );
  const targets = set.cases.map((testCase) => set.labels.indexOf(testCase.label));
  const split = stratifiedSplit(targets, optimiser.validationFraction, options.seed);
  const dimensions = vectors[0].length;
  const { mean, scale } = standardisation(
    split.train.map((index) => vectors[index]),
    dimensions,
  );
  const features: EmbeddingFeatures = {
    kind: "embedding",
    embedder: storedEmbedderSpec(options.embedder.spec, options.modelDirectory),
    embedderIdentity: identity,
    dimensions,
    normalisation: "l2, then (x - mean) / scale",
    mean,
    scale,
  };
  const rows = vectors.map((vector) => probeVector(vector, mean, scale));
  return finish(set, options, optimiser, split, rows, targets, dimensions, "probe", features);
}

/** Mean and standard deviation of each dimension of the unit-length vectors (scale 1 where it is 0), rounded. */
function standardisation(vectors: number[][], dimensions: number): { mean: number[]; scale: number[] } {
  const sums = new Float64Array(dimensions);
  const squares = new Float64Array(dimensions);
  for (const vector of vectors) {
    let length = 0;
    for (const value of vector) length += value * value;
    length = Math.sqrt(length);
    for (let index = 0; index < dimensions; index++) {
      const unit = length === 0 ? 0 : vector[index] / length;
      sums[index] += unit;
      squares[index] += unit * unit;
    }
  }
  const mean: number[] = [];
  const scale: number[] = [];
  for (let index = 0; index < dimensions; index++) {
    const average = sums[index] / vectors.length;
    const deviation = Math.sqrt(Math.max(0, squares[index] / vectors.length - average * average));
    mean.push(roundForFile(average));
    scale.push(deviation > 1e-12 ? roundForFile(deviation) : 1);
  }
  return { mean, scale };
}

function storedEmbedderSpec(spec: EmbedderSpec, modelDirectory: string | undefined): StoredEmbedderSpec {
  if (spec.kind !== "gguf" || modelDirectory === undefined) return { ...spec };
  const path = relative(modelDirectory, spec.path);
  // A relative path that climbs out of the model's folder would break when the two are moved apart.
  return {
    kind: "gguf",
    path: path.startsWith("..") || isAbsolute(path) ? spec.path : path.split(sep).join("/"),
  };
}

function finish(
  set: TrainingSet,
  options: TrainOptions,
  optimiser: OptimiserConfig,
  split: { train: number[]; validation: number[] },
  rows: SparseVector[],
  targets: number[],
  dimensions: number,
  kind: ClassifierFile["kind"],
  features: ClassifierFile["features"],
): ClassifierFile {
  const pick = (positions: number[]): LabelledRows => ({
    rows: positions.map((index) => rows[index]),
    labels: positions.map((index) => targets[index]),
  });
  const validation = pick(split.validation);
  const trained: TrainedHead = trainLogisticRegression(pick(split.train), validation, {
    classCount: set.labels.length,
    dimensions,
    config: optimiser,
    seed: options.seed + 1,
    onEpoch: options.onEpoch,
  });
  const head = {
    weights: trained.head.weights.map((row) => Array.from(row, roundForFile)),
    bias: Array.from(trained.head.bias, roundForFile),
  };
  const scored = score(
    { weights: head.weights.map((row) => Float64Array.from(row)), bias: Float64Array.from(head.bias) },
    validation,
  );
  const counts: Record<string, number> = Object.fromEntries(set.labels.map((label) => [label, 0]));
  for (const testCase of set.cases) counts[testCase.label] += 1;
  const training: TrainingRecord = {
    suite: set.suite,
    split: set.split,
    fields: set.fields,
    counts,
    fittingCases: split.train.length,
    validationCases: split.validation.length,
    seed: options.seed,
    optimiser: { method: "mini-batch Adam, decoupled weight decay, early stopping", ...optimiser },
    epochs: trained.epochs,
    bestEpoch: trained.bestEpoch,
    validationAccuracy: scored && roundForFile(scored.accuracy),
    validationLoss: scored && roundForFile(scored.loss),
    createdAt: (options.now?.() ?? new Date()).toISOString(),
    clinvalVersion: clinvalVersion(),
  };
  return { format: CLASSIFIER_FORMAT, kind, labels: set.labels, training, features, head };
}

/** Accuracy and mean cross-entropy of a head on labelled rows; null without rows. */
function score(head: LogisticHead, data: LabelledRows): { accuracy: number; loss: number } | null {
  if (data.rows.length === 0) return null;
  let correct = 0;
  let loss = 0;
  data.rows.forEach((row, index) => {
    const probabilities = predictProbabilities(head, row);
    if (argmax(probabilities) === data.labels[index]) correct += 1;
    loss -= Math.log(Math.max(probabilities[data.labels[index]], 1e-300));
  });
  return { accuracy: correct / data.rows.length, loss: loss / data.rows.length };
}

let version: string | undefined;

/** clinval's version, from its package.json. */
export function clinvalVersion(): string {
  version ??= (
    JSON.parse(readFileSync(join(import.meta.dirname, "..", "..", "package.json"), "utf8")) as {
      version: string;
    }
  ).version;
  return version;
}
