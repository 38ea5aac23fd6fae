import { describe, expect, it } from "vitest";
import type { ProviderName } from "../core/study.ts";
import { reportedModelName, withoutPaths } from "./report-privacy.ts";

describe("reportedModelName", () => {
  it("names local model files by file name and leaves server model names and hf: URIs alone", () => {
    expect(
      [
        { provider: "llama-cpp", model: "/srv/models/qwen2.5-0.5b-instruct-q4_k_m.gguf" },
        { provider: "classifier", model: "C:\\models\\triage\\tfidf.json" },
        { provider: "llama-cpp", model: "hf:Qwen/Qwen2.5-0.5B-Instruct-GGUF/qwen2.5-0.5b.gguf" },
        { provider: "ollama", model: "deepseek-r1:8b" },
        { provider: "openai", model: "meta-llama/Llama-3.1-8B-Instruct" },
      ].map((spec) => reportedModelName(spec as { provider: ProviderName; model: string })),
    ).toEqual([
      "qwen2.5-0.5b-instruct-q4_k_m.gguf",
      "tfidf.json",
      "hf:Qwen/Qwen2.5-0.5B-Instruct-GGUF/qwen2.5-0.5b.gguf",
      "deepseek-r1:8b",
      "meta-llama/Llama-3.1-8B-Instruct",
    ]);
  });
});

describe("withoutPaths", () => {
  it("reduces local paths in messages to file names, keeping URLs and model names", () => {
    expect(
      [
        "cannot open /home/clinic/models/r1.gguf: no such file",
        "ENOENT: open 'C:\\Users\\ward\\model.json'",
        "connect ECONNREFUSED 127.0.0.1:11434 (http://127.0.0.1:11434/api/chat)",
        "model meta-llama/Llama-3.1-8B-Instruct not found",
        "read ~/models/tiny/model.gguf failed",
      ].map(withoutPaths),
    ).toEqual([
      "cannot open r1.gguf: no such file",
      "ENOENT: open 'model.json'",
      "connect ECONNREFUSED 127.0.0.1:11434 (http://127.0.0.1:11434/api/chat)",
      "model meta-llama/Llama-3.1-8B-Instruct not found",
      "read model.gguf failed",
    ]);
  });
});
