import { createHash } from "node:crypto";
import type { ChatMessage } from "../core/chat.ts";
import type { ModelSpec } from "../core/study.ts";
import type { JsonSchema } from "../providers/provider.ts";
import { canonicalJson } from "./canonical-json.ts";

export interface CacheKeyInput {
  spec: Pick<ModelSpec, "provider" | "model" | "params" | "lora">;
  messages: ChatMessage[];
  responseSchema: JsonSchema | undefined;
  /** The case's own text, which text-reading models (classifiers) get instead of the messages. */
  input: string;
  /** Index of the sample (0 for the first answer to a case). */
  sample: number;
  /** Digest of the model's weights, when the backend reports one. */
  digest?: string;
}

/**
 * The response cache key: sha256 (hex) of the canonical JSON of everything that decides the answer —
 * backend, model, generation parameters, prompt messages, case text, response schema and sample index.
 * LoRA adapters (llama-cpp) and the weights' digest (when the backend reports one) change the model,
 * so they are part of the key when known.
 * The server address is not: the same model answers the same on any host.
 */
export function cacheKey({ spec, messages, responseSchema, input, sample, digest }: CacheKeyInput): string {
  const content = {
    provider: spec.provider,
    model: spec.model,
    params: spec.params,
    messages,
    input,
    responseSchema: responseSchema ?? null,
    sample,
    ...(spec.lora && spec.lora.length > 0 ? { lora: spec.lora } : {}),
    ...(digest ? { digest } : {}),
  };
  return createHash("sha256").update(canonicalJson(content)).digest("hex");
}
