import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Case } from "../core/case.ts";
import { InputError } from "../core/errors.ts";
import type { Study } from "../core/study.ts";
import { loadStudy } from "../study/load-study.ts";
import { checkAdaptations } from "./adaptation-check.ts";
import { runSft } from "./sft-command.test-support.ts";

const MEDICAL_O1 = join(import.meta.dirname, "fixtures", "medical-o1-sample.json");
const directory = mkdtempSync(join(tmpdir(), "clinval-sft-adaptation-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const sha256 = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");
const rows = JSON.parse(readFileSync(MEDICAL_O1, "utf8")) as Array<Record<string, string>>;

/** Evaluation cases: one is a training question copied word for word, one is new. */
const CASES: Case[] = [
  { id: "copied", presentation: rows[3].Question, diagnosis: "Gout" },
  {
    id: "new",
    presentation:
      "A 19-year-old man has 18 hours of periumbilical pain moving to the right iliac fossa, with fever and anorexia.",
    diagnosis: "Acute appendicitis",
  },
];

async function studyWith(adapter: string): Promise<Study> {
  const path = join(directory, "study.yaml");
  writeFileSync(
    path,
    [
      "name: adapted",
      "task: diagnosis",
      "suite: { id: dx-core }",
      "models:",
      "  - id: base",
      "    provider: llama-cpp",
      "    model: ./base.gguf",
      "    adapters:",
      `      - { id: tuned, lora: ./adapter.gguf${adapter} }`,
      "  - id: served",
      "    provider: openai",
      "    baseUrl: http://127.0.0.1:8000/v1",
      "    model: base-model",
      "    adapters:",
      "      - { id: served-tuned, model: clinval-adapter }",
    ].join("\n"),
  );
  return loadStudy(path);
}

describe("checkAdaptations", () => {
  it("cites the data card and finds the evaluation case copied into the training files", async () => {
    const data = join(directory, "data");
    const prepared = await runSft(
      ...["prepare", "--reasoning", MEDICAL_O1, "--licence", "CC-BY-4.0", "--validation", "0.34"],
      ...["--seed", "7", "--out", data],
    );
    expect(prepared.error).toBeUndefined();
    writeFileSync(join(directory, "adapter.gguf"), "GGUF adapter bytes");
    const study = await studyWith(", trainingData: ./data");
    expect(study.adaptations).toEqual([
      { model: "tuned", base: "base", adapter: join(directory, "adapter.gguf"), trainingData: data },
      { model: "served-tuned", base: "served", adapter: "clinval-adapter" },
    ]);
    const checked = await checkAdaptations(study, CASES);
    const card = JSON.parse(readFileSync(join(data, "data-card.json"), "utf8"));
    // Where `prepare` put the copied question: `file:line` of the training files.
    const copiedAt = ["train.jsonl", "validation.jsonl"].flatMap((name) =>
      readFileSync(join(data, name), "utf8")
        .split("\n")
        .flatMap((text, index) => (text.includes(rows[3].Question) ? [`${name}:${index + 1}`] : [])),
    );
    expect(copiedAt).toHaveLength(1);
    expect(checked.adaptations).toEqual([
      {
        model: "tuned",
        base: "base",
        adapter: join(directory, "adapter.gguf"),
        trainingData: data,
        adapterSha256: sha256(join(directory, "adapter.gguf")),
        training: {
          dataCard: {
            sha256: sha256(join(data, "data-card.json")),
            format: "chat",
            reasoningStyle: "r1",
            seed: 7,
            sources: [
              {
                kind: "reasoning",
                name: "medical-o1-sample.json",
                licence: "CC-BY-4.0",
                records: 6,
                sha256: sha256(MEDICAL_O1),
              },
            ],
            trainExamples: card.splits.train.examples,
            validationExamples: card.splits.validation.examples,
            filters: { maxTokens: null, droppedOverLength: 0, truncated: 0, excluded: 0 },
          },
          contamination: {
            trainingExamples: 6,
            cases: 2,
            contaminatedCases: 1,
            ngram: 8,
            ngramThreshold: 0.5,
            similarityThreshold: 0.5,
            pairs: [
              {
                caseId: "copied",
                origin: copiedAt[0],
                kinds: ["exact", "ngram", "near-duplicate"],
              },
            ],
          },
        },
      },
      { model: "served-tuned", base: "served", adapter: "clinval-adapter" },
    ]);
  });

  it("names the data card file when the folder holds none or a broken one", async () => {
    const empty = join(directory, "empty");
    await runSft("prepare", "--reasoning", MEDICAL_O1, "--out", empty);
    writeFileSync(join(empty, "data-card.json"), '{"schema": "clinval.sft-data-card/v1", "format": 3}');
    const broken = await checkAdaptations(await studyWith(", trainingData: ./empty"), CASES).catch(
      (error: InputError) => error,
    );
    expect(broken).toBeInstanceOf(InputError);
    expect((broken as InputError).describe()).toBe(
      `${join(empty, "data-card.json")}: format: Invalid input: expected string, received number`,
    );
    const absent = await checkAdaptations(await studyWith(", trainingData: ./nowhere"), CASES).catch(
      (error: InputError) => error,
    );
    expect(absent).toBeInstanceOf(InputError);
    expect((absent as InputError).location.file).toBe(join(directory, "nowhere", "data-card.json"));
  });
});
