import type { ModelSpec, Study } from "../core/study.ts";
import { createEndpointPool, type EndpointPoolOptions } from "./endpoint-pool.ts";
import type { Provider } from "./provider.ts";

export interface ProviderOptions {
  /** Where downloaded GGUF files go (llama-cpp `hf:` URIs). */
  modelsDirectory?: string;
  onDownloadProgress?: (downloaded: number, total: number) => void;
  /** For models with several `endpoints`: when one is taken out and how often it is checked. */
  endpointPool?: EndpointPoolOptions;
}

/** The backend for one model entry of a study. In-process engines are loaded only when used. */
export async function createProvider(
  spec: ModelSpec,
  study: Study,
  options: ProviderOptions = {},
): Promise<Provider> {
  if (spec.endpoints !== undefined) {
    const endpoints = [];
    for (const endpoint of spec.endpoints) {
      const single = { ...spec, baseUrl: endpoint.baseUrl, endpoints: undefined };
      endpoints.push({ ...endpoint, provider: await createProvider(single, study, options) });
    }
    return createEndpointPool(endpoints, options.endpointPool);
  }
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
