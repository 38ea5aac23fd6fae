import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { InputError } from "../core/errors.ts";
import { comparisonPairs } from "../core/study.ts";
import { loadStudy } from "../study/load-study.ts";

const directory = mkdtempSync(join(tmpdir(), "clinval-sft-adapters-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function studyFile(name: string, models: string, extra = ""): string {
  const path = join(directory, name);
  writeFileSync(
    path,
    `name: adapted\ntask: triage\nsuite:\n  id: ct-triage\n  split: test\nmodels:\n${models}${extra}`,
  );
  return path;
}

describe("adapters: on a model", () => {
  it("expands into the base and each adapted model, with base-vs-adapter comparisons", async () => {
    const path = studyFile(
      "llama.yaml",
      [
        "  - id: r1-1.5b",
        "    provider: llama-cpp",
        "    model: ./base.gguf",
        "    adapters:",
        "      - id: r1-1.5b-ct",
        "        lora: ./adapter.gguf",
        "  - id: vllm-base",
        "    provider: openai",
        "    baseUrl: http://127.0.0.1:8000/v1",
        "    model: deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B",
        "    adapters:",
        "      - id: vllm-adapted",
        "        model: clinval-adapter",
        "",
      ].join("\n"),
      "compare: [[r1-1.5b, vllm-base]]\n",
    );
    const study = await loadStudy(path);
    expect(study.models.map(({ id, model, lora }) => ({ id, model, lora }))).toEqual([
      { id: "r1-1.5b", model: join(directory, "base.gguf"), lora: undefined },
      { id: "r1-1.5b-ct", model: join(directory, "base.gguf"), lora: [join(directory, "adapter.gguf")] },
      { id: "vllm-base", model: "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B", lora: undefined },
      { id: "vllm-adapted", model: "clinval-adapter", lora: undefined },
    ]);
    expect(study.models.every((model) => model.adapters === undefined)).toBe(true);
    expect(study.models[3].baseUrl).toBe("http://127.0.0.1:8000/v1");
    expect(comparisonPairs(study)).toEqual([
      ["r1-1.5b", "vllm-base"],
      ["r1-1.5b", "r1-1.5b-ct"],
      ["vllm-base", "vllm-adapted"],
    ]);
  });

  it("refuses an adapter of the wrong kind for its provider and a duplicate id, with the line", async () => {
    const wrongKind = studyFile(
      "wrong.yaml",
      [
        "  - id: base",
        "    provider: ollama",
        "    model: deepseek-r1:8b",
        "    adapters:",
        "      - id: tuned",
        "        lora: ./a.gguf",
        "",
      ].join("\n"),
    );
    await expect(loadStudy(wrongKind)).rejects.toThrow(InputError);
    const error = await loadStudy(wrongKind).catch((thrown: InputError) => thrown);
    expect((error as InputError).describe()).toBe(
      `${wrongKind}:12: models.0.adapters.0.lora: an ollama adapter is the name the server gives it: give \`model\`, not \`lora\``,
    );
    const duplicate = studyFile(
      "duplicate.yaml",
      [
        "  - id: base",
        "    provider: llama-cpp",
        "    model: ./b.gguf",
        "    adapters:",
        "      - id: base",
        "        lora: ./a.gguf",
        "",
      ].join("\n"),
    );
    const duplicateError = await loadStudy(duplicate).catch((thrown: InputError) => thrown);
    expect((duplicateError as InputError).describe()).toBe(
      `${duplicate}:11: models.0.adapters.0.id: duplicate model id "base"`,
    );
  });
});
