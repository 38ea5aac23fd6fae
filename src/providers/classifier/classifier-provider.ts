import { basename, dirname, resolve } from "node:path";
import { BatchingEmbedder } from "../../classifiers/batching-embedder.ts";
import { createTextClassifier, embedderSpecFromFile } from "../../classifiers/classifier.ts";
import { createEmbedder, type Embedder } from "../../classifiers/embedders.ts";
import { readClassifierFile } from "../../classifiers/model-file.ts";
import type { Completion, ModelIdentity } from "../../core/chat.ts";
import { InputError } from "../../core/errors.ts";
import type { ModelSpec } from "../../core/study.ts";
import { type CompletionRequest, type Provider, ProviderError } from "../provider.ts";

export interface ClassifierProviderOptions {
  /** The study's label set; the model file must have the same labels. */
  labels: readonly string[];
  /** For a probe: use this embedder instead of the one its file names. */
  embedder?: Embedder;
}

/**
 * A classifier trained with `clinval train` (`spec.model` is its model file). It reads the case's own
 * text (`request.input`), not the chat messages, and answers `{"label": …, "probabilities": {…}}`.
 * The file is read and checked here: a file that is not a classifier, or whose label set differs from
 * the study's, is an InputError. A probe's embedder server may be moved with the study's `baseUrl` and
 * `apiKeyEnv`.
 */
export function createClassifierProvider(spec: ModelSpec, options: ClassifierProviderOptions): Provider {
  const path = resolve(spec.model);
  const loaded = readClassifierFile(path);
  const { file } = loaded;
  checkLabels(file.labels, options.labels, path);
  const embedder = (() => {
    if (file.features.kind !== "embedding") return undefined;
    const overrides = { baseUrl: spec.baseUrl, apiKeyEnv: spec.apiKeyEnv };
    const inner =
      options.embedder ?? createEmbedder(embedderSpecFromFile(file.features, dirname(path), overrides));
    return new BatchingEmbedder(inner);
  })();
  const classifier = createTextClassifier(file, { modelDirectory: dirname(path), embedder });
  const identity: ModelIdentity = { provider: "classifier", model: basename(path), digest: loaded.sha256 };

  return {
    async identify() {
      return { ...identity };
    },

    async complete(request: CompletionRequest): Promise<Completion> {
      if (request.input === undefined) {
        throw new ProviderError(
          "model",
          `the classifier ${identity.model} reads the case text, but the request carries none (request.input)`,
          undefined,
          false,
        );
      }
      const started = performance.now();
      const [result] = await classifier.classify([request.input], request.signal);
      const probabilities = Object.fromEntries(
        file.labels.map((label, index) => [label, Math.round(result.probabilities[index] * 1e4) / 1e4]),
      );
      return {
        text: JSON.stringify({ label: result.label, probabilities }),
        reasoning: null,
        finishReason: "stop",
        tokens: { prompt: null, completion: null, reasoning: null },
        latencyMs: performance.now() - started,
        model: { ...identity },
      };
    },

    close: () => classifier.close(),
  };
}

function checkLabels(trained: readonly string[], study: readonly string[], file: string): void {
  const same = trained.length === study.length && trained.every((label) => study.includes(label));
  if (same) return;
  const studyLabels =
    study.length === 0 ? "none (a classifier needs a triage study with labels)" : study.join(", ");
  throw new InputError(
    `the classifier ${basename(file)} was trained on the labels ${trained.join(", ")}, but the study's labels are ${studyLabels}; ` +
      "use a classifier trained on the study's label set (clinval train … --labels)",
    { file, field: "labels" },
    "label-set-mismatch",
  );
}
