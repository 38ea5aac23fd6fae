import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { InputError } from "../core/errors.ts";
import { loadStudy } from "./load-study.ts";

const directory = mkdtempSync(join(tmpdir(), "clinval-study-"));
function write(name: string, content: string | Buffer): string {
  const path = join(directory, name);
  writeFileSync(path, content);
  return path;
}
async function problems(path: string): Promise<string> {
  const error = (await loadStudy(path).catch((caught: unknown) => caught)) as InputError;
  return error.describe();
}

const valid = `name: r1-vs-llama
task: diagnosis
suite:
  path: ./cases.jsonl
models:
  - id: r1-8b
    provider: ollama
    model: deepseek-r1:8b
  - id: local
    provider: llama-cpp
    model: ./models/qwen.gguf
alpha: 0.01
`;

describe("loadStudy", () => {
  it("fills defaults and resolves paths against the study file", async () => {
    const study = await loadStudy(write("study.yaml", valid));
    expect(study).toEqual({
      name: "r1-vs-llama",
      task: "diagnosis",
      file: join(directory, "study.yaml"),
      suite: { path: join(directory, "cases.jsonl") },
      models: [
        {
          id: "r1-8b",
          provider: "ollama",
          model: "deepseek-r1:8b",
          concurrency: 1,
          timeoutMs: 300000,
          retries: 4,
          params: {},
          lora: undefined,
        },
        {
          id: "local",
          provider: "llama-cpp",
          model: join(directory, "models", "qwen.gguf"),
          concurrency: 1,
          timeoutMs: 300000,
          retries: 4,
          params: {},
          lora: undefined,
        },
      ],
      topK: 5,
      alpha: 0.01,
      subgroups: [],
      samples: 1,
      output: join(directory, "reports"),
      prompt: undefined,
      labels: undefined,
    });
  });

  it("gives triage studies the default label set", async () => {
    const study = await loadStudy(write("triage.yaml", valid.replace("task: diagnosis", "task: triage")));
    expect(study.labels).toEqual(["negative", "routine", "urgent"]);
  });

  it("names file, line and field of each problem", async () => {
    const path = write(
      "bad.yaml",
      valid
        .replace("    model: deepseek-r1:8b\n", "    modle: deepseek-r1:8b\n")
        .replace("alpha: 0.01", "alpha: 2"),
    );
    expect(await problems(path)).toBe(
      [
        `${path}:6: models.0.model: is required (string)`,
        `${path}:8: models.0: unknown key "modle"`,
        `${path}:12: alpha: Too big: expected number to be <1`,
      ].join("\n"),
    );
  });

  it("rejects invalid YAML, a missing model id, duplicate ids and a non-UTF-8 file", async () => {
    expect(await problems(write("syntax.yaml", "name: [unclosed\n"))).toMatch(/syntax\.yaml:\d+: /);
    expect(await problems(write("noid.yaml", valid.replace("  - id: local\n", "  - \n")))).toContain(
      "models.1.id: is required (string)",
    );
    expect(await problems(write("dup.yaml", valid.replace("id: local", "id: r1-8b")))).toBe(
      `${join(directory, "dup.yaml")}:9: models.1.id: duplicate model id "r1-8b" (also models.0)`,
    );
    expect(await problems(write("compare.yaml", `${valid}compare: [[r1-8b, gpt]]\n`))).toBe(
      `${join(directory, "compare.yaml")}:13: compare.0.1: unknown model id "gpt"`,
    );
    expect(await problems(write("latin.yaml", Buffer.from("name: caf\xe9\n", "latin1")))).toBe(
      `${join(directory, "latin.yaml")}:1: not valid UTF-8; save the study file as UTF-8`,
    );
  });
});
