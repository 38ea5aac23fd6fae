import type { ModelSpec, Study } from "../core/study.ts";
import type { Provider } from "./provider.ts";

export interface ProviderOptions {
  /** Where downloaded GGUF files go (llama-cpp `hf:` URIs). */
  modelsDirectory?: string;
  onDownloadProgress?: (downloaded: number, total: number) => void;
}

/** The backend for one model entry of a study. In-process engines are loaded only when used. */
export async function createProvider(
  spec: ModelSpec,
  study: Study,
  options: ProviderOptions = {},
): Promise<Provider> {
  switch (spec.provider) {
    case "openai":
      return (
        await import("./openai-compatible/openai-compatible-provider.ts")
      ).createOpenAICompatibleProvider(spec);
    case "ollama":
      return (await import("./ollama/ollama-provider.ts")).createOllamaProvider(spec);
    case "llama-cpp":
      return (await import("./llama-cpp/llama-cpp-provider.ts")).createLlamaCppProvider(spec, {
        ...options,
        gpu: spec.gpu,
        threads: spec.threads,
      });
    case "classifier":
      return (await import("./classifier/classifier-provider.ts")).createClassifierProvider(spec, {
        labels: study.labels ?? [],
      });
  }
}
