import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { type CacheKeyInput, cacheKey, modelCacheKey } from "./cache-key.ts";
import { canonicalJson } from "./canonical-json.ts";
import { jobId } from "./job-id.ts";

const input: CacheKeyInput = {
  spec: { provider: "ollama", model: "deepseek-r1:8b", params: { temperature: 0.6, seed: 7 } },
  messages: [{ role: "user", content: "A 34-year-old woman …" }],
  responseSchema: undefined,
  input: "A 34-year-old woman …",
  sample: 0,
};

describe("cacheKey", () => {
  it("is the sha256 of the canonical JSON of backend, model, params, messages, case text, schema and sample", () => {
    const text =
      '{"input":"A 34-year-old woman …","messages":[{"content":"A 34-year-old woman …","role":"user"}],' +
      '"model":"deepseek-r1:8b","params":{"seed":7,"temperature":0.6},"provider":"ollama",' +
      '"responseSchema":null,"sample":0}';
    expect(cacheKey(input)).toBe(createHash("sha256").update(text).digest("hex"));
  });

  it("does not depend on the order of keys", () => {
    expect(cacheKey({ ...input, spec: { ...input.spec, params: { seed: 7, temperature: 0.6 } } })).toBe(
      cacheKey(input),
    );
  });

  it("changes with everything that can change the answer", () => {
    const variants: CacheKeyInput[] = [
      { ...input, spec: { ...input.spec, provider: "openai" } },
      { ...input, spec: { ...input.spec, model: "deepseek-r1:14b" } },
      { ...input, spec: { ...input.spec, params: { temperature: 0.6, seed: 8 } } },
      { ...input, spec: { ...input.spec, lora: ["adapter.gguf"] } },
      { ...input, messages: [{ role: "user", content: "A 35-year-old woman …" }] },
      { ...input, input: "A 35-year-old woman …" },
      { ...input, responseSchema: { type: "object" } },
      { ...input, sample: 1 },
    ];
    const keys = new Set([cacheKey(input), ...variants.map(cacheKey)]);
    expect(keys.size).toBe(variants.length + 1);
  });

  it("ignores an empty LoRA list", () => {
    expect(cacheKey({ ...input, spec: { ...input.spec, lora: [] } })).toBe(cacheKey(input));
  });
});

describe("modelCacheKey", () => {
  /** The key as defined: the hash of the canonical JSON of the whole object. */
  const byDefinition = ({ spec, messages, responseSchema, input, sample, digest }: CacheKeyInput) =>
    createHash("sha256")
      .update(
        canonicalJson({
          provider: spec.provider,
          model: spec.model,
          params: spec.params,
          messages,
          input,
          responseSchema: responseSchema ?? null,
          sample,
          ...(spec.lora && spec.lora.length > 0 ? { lora: spec.lora } : {}),
          ...(digest ? { digest } : {}),
        }),
      )
      .digest("hex");

  it("gives every job of a model the key of its whole canonical JSON", () => {
    const variants: CacheKeyInput[] = [
      input,
      { ...input, spec: { ...input.spec, params: {} } },
      { ...input, spec: { ...input.spec, params: { temperature: undefined, stop: ["</answer>"], seed: 1 } } },
      { ...input, spec: { ...input.spec, lora: ["b.gguf", "a.gguf"] } },
      { ...input, digest: "sha256:5f2c" },
      { ...input, digest: "" },
      {
        ...input,
        responseSchema: {
          type: "object",
          required: ["diagnoses"],
          properties: { diagnoses: { type: "array" } },
        },
      },
      {
        ...input,
        messages: [
          { role: "system", content: "Answer in JSON." },
          { role: "user", content: 'Quotes " and \\ and \u2028 line separators' },
        ],
        input: 'Quotes " and \\ and \u2028 line separators',
        sample: 12,
      },
    ];
    for (const variant of variants) {
      const keyOf = modelCacheKey(variant);
      expect(keyOf(variant.messages, variant.input, variant.sample)).toBe(byDefinition(variant));
      expect(cacheKey(variant)).toBe(byDefinition(variant));
    }
  });
});

describe("jobId", () => {
  it("joins model, sample and case so that any case id stays unambiguous", () => {
    expect(jobId("r1-8b", "dx/017", 2)).toBe("r1-8b/2/dx/017");
  });
});
