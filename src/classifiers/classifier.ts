import { isAbsolute, resolve } from "node:path";
import { ProviderError } from "../providers/provider.ts";
import { createEmbedder, type Embedder, type EmbedderOptions, type EmbedderSpec } from "./embedders.ts";
import { argmax, type LogisticHead, predictProbabilities } from "./logistic-regression.ts";
import type { ClassifierFile, EmbeddingFeatures, TfidfFeatures } from "./model-file.ts";
import { denseToSparse, type SparseVector } from "./sparse-vector.ts";
import { TfidfVectorizer } from "./tfidf.ts";

export interface Classification {
  label: string;
  /** Probability of each label, in the order of the model's labels. */
  probabilities: number[];
}

/** A trained classifier, ready to label texts. */
export interface TextClassifier {
  readonly file: ClassifierFile;
  classify(texts: readonly string[], signal: AbortSignal): Promise<Classification[]>;
  close(): Promise<void>;
}

export interface TextClassifierOptions {
  /** Folder of the model file: a GGUF embedder's relative path is resolved against it. */
  modelDirectory: string;
  /** Use this embedder instead of the one the file names (probes only). */
  embedder?: Embedder;
  /** Replace the base URL or API-key variable of the file's server embedder (e.g. the server moved). */
  embedderOptions?: EmbedderOptions;
}

export function headFromFile(head: ClassifierFile["head"]): LogisticHead {
  return { weights: head.weights.map((row) => Float64Array.from(row)), bias: Float64Array.from(head.bias) };
}

export function tfidfVectorizerFromFile(features: TfidfFeatures): TfidfVectorizer {
  return new TfidfVectorizer(
    {
      word: { ngramRange: features.word.ngramRange, maxFeatures: features.word.maxFeatures },
      char: { ngramRange: features.char.ngramRange, maxFeatures: features.char.maxFeatures },
      minDocumentFrequency: features.minDocumentFrequency,
    },
    {
      word: { terms: features.word.terms, idf: features.word.idf },
      char: { terms: features.char.terms, idf: features.char.idf },
    },
  );
}

/** An embedding as the probe's head sees it: scaled to length 1, then standardised per dimension. */
export function probeVector(
  vector: readonly number[],
  mean: readonly number[],
  scale: readonly number[],
): SparseVector {
  let squares = 0;
  for (const value of vector) squares += value * value;
  const length = Math.sqrt(squares);
  const standardised = new Float64Array(vector.length);
  for (let index = 0; index < vector.length; index++) {
    const unit = length === 0 ? 0 : vector[index] / length;
    standardised[index] = (unit - mean[index]) / scale[index];
  }
  return denseToSparse(standardised);
}

/** The embedder a probe file names, with a GGUF path resolved against the model file's folder. */
export function embedderSpecFromFile(
  features: EmbeddingFeatures,
  modelDirectory: string,
  overrides: EmbedderOptions = {},
): EmbedderSpec {
  const spec = features.embedder;
  if (spec.kind === "gguf") {
    return { kind: "gguf", path: isAbsolute(spec.path) ? spec.path : resolve(modelDirectory, spec.path) };
  }
  const apiKeyEnv = overrides.apiKeyEnv ?? spec.apiKeyEnv;
  return {
    kind: spec.kind,
    model: spec.model,
    baseUrl: (overrides.baseUrl ?? spec.baseUrl).replace(/\/+$/, ""),
    ...(apiKeyEnv ? { apiKeyEnv } : {}),
  };
}

function classification(file: ClassifierFile, probabilities: Float64Array): Classification {
  return { label: file.labels[argmax(probabilities)], probabilities: [...probabilities] };
}

/** A classifier for a validated model file. Creating one for a probe creates (but does not call) its embedder. */
export function createTextClassifier(file: ClassifierFile, options: TextClassifierOptions): TextClassifier {
  const head = headFromFile(file.head);
  const features = file.features;
  if (features.kind === "tfidf") {
    const vectorizer = tfidfVectorizerFromFile(features);
    return {
      file,
      async classify(texts) {
        return texts.map((text) =>
          classification(file, predictProbabilities(head, vectorizer.transform(text))),
        );
      },
      async close() {},
    };
  }
  const embedder =
    options.embedder ??
    createEmbedder(embedderSpecFromFile(features, options.modelDirectory, options.embedderOptions));
  let checked: Promise<void> | undefined;
  const checkIdentity = (signal: AbortSignal) => {
    checked ??= embedder.identify(signal).then(({ digest }) => {
      const trained = features.embedderIdentity.digest;
      if (trained !== null && digest !== null && trained !== digest) {
        throw new ProviderError(
          "model",
          `the embedder's weights (digest ${digest}) are not those the probe was trained on (${trained})`,
          undefined,
          false,
        );
      }
    });
    checked.catch(() => {
      checked = undefined;
    });
    return checked;
  };
  return {
    file,
    async classify(texts, signal) {
      await checkIdentity(signal);
      const vectors = await embedder.embed(texts, signal);
      return vectors.map((vector) => {
        if (vector.length !== features.dimensions) {
          throw new ProviderError(
            "model",
            `the embedder gave ${vector.length} dimensions; the probe was trained on ${features.dimensions}`,
            undefined,
            false,
          );
        }
        return classification(
          file,
          predictProbabilities(head, probeVector(vector, features.mean, features.scale)),
        );
      });
    },
    close: () => embedder.close(),
  };
}
