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
  return modelCacheKey({ spec, responseSchema, digest })(messages, input, sample);
}

/**
 * `cacheKey` for the jobs of one model: the canonical text of what is the same for every job (the model,
 * its parameters, the response schema) is written once, and each key adds only the job's own members.
 */
export function modelCacheKey({
  spec,
  responseSchema,
  digest,
}: Pick<CacheKeyInput, "spec" | "responseSchema" | "digest">): (
  messages: ChatMessage[],
  input: string,
  sample: number,
) => string {
  const fixed = new Map<string, string>();
  const members: Record<string, unknown> = {
    provider: spec.provider,
    model: spec.model,
    params: spec.params,
    responseSchema: responseSchema ?? null,
    ...(spec.lora && spec.lora.length > 0 ? { lora: spec.lora } : {}),
    ...(digest ? { digest } : {}),
  };
  for (const [name, value] of Object.entries(members)) {
    if (value !== undefined) fixed.set(name, `${JSON.stringify(name)}:${canonicalJson(value)}`);
  }
  // Members in the order canonical JSON sorts them; null stands for a job's own member.
  const order = [...fixed.keys(), ...JOB_MEMBERS].sort().map((name) => fixed.get(name) ?? null);
  return (messages, input, sample) => {
    const own = [
      `"input":${JSON.stringify(input)}`,
      `"messages":${canonicalJson(messages)}`,
      `"sample":${JSON.stringify(sample)}`,
    ];
    let next = 0;
    const text = `{${order.map((member) => member ?? own[next++]).join(",")}}`;
    return createHash("sha256").update(text).digest("hex");
  };
}

/** The members that differ from job to job, in sorted order. */
const JOB_MEMBERS = ["input", "messages", "sample"] as const;
