/**
 * The OpenAI-compatible backend against a real third-party server: llama-cpp-python's
 * `llama_cpp.server`, serving the tiny generated GGUF on loopback. Streaming, JSON-schema decoding,
 * embeddings for `clinval train probe` and a LoRA adapter go through the server's own code, not a
 * recorded shape. The tiny model writes noise, so the checks are on the pipeline, never on accuracy.
 *
 * Skipped, with the reason, when CLINVAL_LLAMA_CPP_PYTHON does not name the python of a venv made by
 * scripts/ci/install-llama-cpp-server.sh.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Report } from "../src/analysis/report-types.ts";
import { LABELS, syntheticReports } from "../src/classifiers/classifier.test-support.ts";
import { readClassifierFile } from "../src/classifiers/model-file.ts";
import type { Completion } from "../src/core/chat.ts";
import { modelSpecSchema } from "../src/core/study-schema.ts";
import { createClassifierProvider } from "../src/providers/classifier/classifier-provider.ts";
import { writeTinyGguf, writeTinyLora } from "../src/providers/llama-cpp/tiny-gguf.ts";
import { createOpenAICompatibleProvider } from "../src/providers/openai-compatible/openai-compatible-provider.ts";
import type { CompletionRequest } from "../src/providers/provider.ts";
import { openStore } from "../src/store/store.ts";
import { diagnosisResponseSchema } from "../src/tasks/diagnosis/prompt.ts";
import {
  type LlamaCppPythonServer,
  llamaCppPython,
  startLlamaCppPythonServer,
} from "./support/llama-cpp-python-server.ts";
import { runCli } from "./support/run-cli.ts";

const SHARED_MODEL = resolve(import.meta.dirname, "../../shared/models/llama-2-tiny-random.gguf");

const installed = llamaCppPython();
const missing = "missing" in installed ? installed.missing : undefined;

const OUTCOMES = ["correct", "incorrect", "unparseable", "truncated", "error"];

/** How every answer decoded under the diagnosis schema begins. */
const JSON_ANSWER_START = /^\{\s*"diagnoses"\s*:\s*\[/;

let folder: string;
let server: LlamaCppPythonServer | undefined;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), "clinval-real-server-"));
  if (!("python" in installed)) {
    console.warn(`real-server tests skipped: ${missing}`);
    return;
  }
  const model = join(folder, "tiny.gguf");
  const lora = join(folder, "tiny-lora.gguf");
  await writeTinyGguf(model, { seed: 1 });
  await writeTinyLora(lora, { seed: 1 });
  server = await startLlamaCppPythonServer({
    python: installed.python,
    folder,
    models: [
      { alias: "tiny-chat", path: model },
      // The tiny model names no pooling: mean pooling makes one vector per text.
      {
        alias: "tiny-embed",
        path: model,
        embedding: true,
        metadataOverrides: ["llama.pooling_type=int:1"],
      },
      { alias: "tiny-lora", path: model, loraPath: lora },
      ...(existsSync(SHARED_MODEL) ? [{ alias: "llama-2-tiny", path: SHARED_MODEL }] : []),
    ],
  });
}, 180_000);

afterAll(async () => {
  await server?.stop();
  await rm(folder, { recursive: true, force: true });
});

function running(): LlamaCppPythonServer {
  if (!server) throw new Error("the server did not start");
  return server;
}

async function write(name: string, content: string): Promise<string> {
  const path = join(folder, name);
  await writeFile(path, content);
  return path;
}

function complete(model: string, request: Partial<CompletionRequest>): Promise<Completion> {
  const provider = createOpenAICompatibleProvider(
    modelSpecSchema.parse({ id: model, provider: "openai", baseUrl: running().baseUrl, model }),
  );
  return provider
    .complete({
      messages: [{ role: "user", content: "A 19-year-old man has right lower quadrant pain and fever." }],
      params: { temperature: 0, maxTokens: 24, seed: 7 },
      input: "",
      signal: AbortSignal.timeout(60_000),
      ...request,
    })
    .finally(() => provider.close());
}

const CASES = [
  {
    id: "rs-1",
    presentation:
      "A 19-year-old man has 18 hours of periumbilical pain moving to the right iliac fossa, with fever.",
    diagnosis: "Acute appendicitis",
  },
  {
    id: "rs-2",
    presentation:
      "A 58-year-old smoker has crushing central chest pain for 40 minutes and ST elevation in V1 to V4.",
    diagnosis: "ST-elevation myocardial infarction",
  },
  {
    id: "rs-3",
    presentation:
      "A 44-year-old woman after a long flight has sudden pleuritic chest pain and a swollen left calf.",
    diagnosis: "Pulmonary embolism",
  },
  {
    id: "rs-4",
    presentation:
      "A 9-year-old boy has thirst, vomiting, deep sighing breaths, glucose 31 mmol/L and ketonuria.",
    diagnosis: "Diabetic ketoacidosis",
  },
];

describe("against llama-cpp-python's OpenAI-compatible server", () => {
  it("`clinval models check` reaches the served model and prints its answer", async (context) => {
    context.skip(missing !== undefined, missing);
    const study = await write(
      "check.yaml",
      [
        "name: real-server-check",
        "task: diagnosis",
        "suite: { id: dx-core }",
        "models:",
        `  - { id: tiny, provider: openai, baseUrl: "${running().baseUrl}", model: tiny-chat }`,
      ].join("\n"),
    );
    const result = await runCli(["models", "check", study]);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: "" });
    expect(result.stdout).toMatch(/^ok {4}tiny: openai tiny-chat · \d+ ms · answered ".+"\n$/);
  });

  it("`clinval models check` names the models the server lists when the study asks for another", async (context) => {
    context.skip(missing !== undefined, missing);
    const study = await write(
      "check-wrong.yaml",
      [
        "name: real-server-check-wrong",
        "task: diagnosis",
        "suite: { id: dx-core }",
        "models:",
        `  - { id: other, provider: openai, baseUrl: "${running().baseUrl}", model: not-served }`,
      ].join("\n"),
    );
    const result = await runCli(["models", "check", study]);
    expect(result.code).toBe(1);
    const listed = [
      "tiny-chat",
      "tiny-embed",
      "tiny-lora",
      ...(existsSync(SHARED_MODEL) ? ["llama-2-tiny"] : []),
    ];
    expect(result.stdout).toBe(
      `FAIL  other: openai not-served · model: model "not-served" is not served at ${running().baseUrl}; the server lists: ${listed.join(", ")}\n`,
    );
  });

  it("streams a chat answer with its finish reason; the server sends no token counts in a stream", async (context) => {
    context.skip(missing !== undefined, missing);
    const completion = await complete("tiny-chat", {});
    // llama-cpp-python ignores `stream_options.include_usage` and its chunks carry no usage or timings.
    expect({
      finishReason: completion.finishReason,
      tokens: completion.tokens,
      model: completion.model,
      reasoning: completion.reasoning,
    }).toEqual({
      finishReason: "length",
      tokens: { prompt: null, completion: null, reasoning: null },
      model: { provider: "openai", model: "tiny-chat" },
      reasoning: null,
    });
    expect(completion.text.length).toBeGreaterThan(0);
    // Greedy decoding with a seed: the same prompt gives the same answer.
    expect((await complete("tiny-chat", {})).text).toBe(completion.text);
  });

  it("constrains the answer to the diagnosis JSON schema through `response_format` (as `json_object`, the form this server takes)", async (context) => {
    context.skip(missing !== undefined, missing);
    const schema = diagnosisResponseSchema(3);
    const free = await complete("tiny-chat", { params: { temperature: 0, maxTokens: 200, seed: 7 } });
    expect(() => JSON.parse(free.text)).toThrow();
    const constrained = await complete("tiny-chat", {
      params: { temperature: 0, maxTokens: 400, seed: 7 },
      responseSchema: schema,
    });
    expect(constrained.finishReason).toBe("stop");
    const parsed = JSON.parse(constrained.text) as { diagnoses: unknown[] };
    expect(Object.keys(parsed)).toEqual(["diagnoses"]);
    expect(parsed.diagnoses.length).toBeGreaterThanOrEqual(1);
    expect(parsed.diagnoses.length).toBeLessThanOrEqual(3);
    expect(parsed.diagnoses.every((item) => typeof item === "string")).toBe(true);
  });

  it("serves a LoRA adapter: the adapted model answers differently from its base under greedy decoding", async (context) => {
    context.skip(missing !== undefined, missing);
    const base = await complete("tiny-chat", {});
    const adapted = await complete("tiny-lora", {});
    const adaptedAgain = await complete("tiny-lora", {});
    expect(adapted.text).not.toBe(base.text);
    expect(adaptedAgain.text).toBe(adapted.text);
    expect(adapted.finishReason).toBe("length");
  });

  it("`clinval run` of a base model and its LoRA-adapted version streams, stores and grades every answer and compares them", async (context) => {
    context.skip(missing !== undefined, missing);
    const cases = await write("cases.jsonl", CASES.map((item) => JSON.stringify(item)).join("\n"));
    const output = join(folder, "reports");
    const study = await write(
      "study.yaml",
      [
        "name: real-server-run",
        "task: diagnosis",
        `suite: { path: "${cases}" }`,
        "models:",
        `  - id: tiny`,
        "    provider: openai",
        `    baseUrl: "${running().baseUrl}"`,
        "    model: tiny-chat",
        "    concurrency: 2",
        "    params: { temperature: 0, maxTokens: 400, seed: 7 }",
        `  - { id: adapted, provider: openai, baseUrl: "${running().baseUrl}", model: tiny-lora, params: { temperature: 0, maxTokens: 400, seed: 7 } }`,
        "topK: 3",
        `output: "${output}"`,
      ].join("\n"),
    );
    const storePath = join(folder, "run.db");
    const result = await runCli(["run", study, "--store", storePath]);
    expect(result.code, result.stderr).toBe(0);

    const report = JSON.parse(await readFile(join(output, "report.json"), "utf8")) as Report;
    expect(report.run.complete).toBe(true);
    expect(report.models.map((model) => ({ id: model.id, n: model.n, error: model.outcomes.error }))).toEqual(
      [
        { id: "tiny", n: CASES.length, error: 0 },
        { id: "adapted", n: CASES.length, error: 0 },
      ],
    );
    for (const model of report.models) {
      const counted = Object.entries(model.outcomes);
      expect(counted.map(([outcome]) => outcome).sort()).toEqual([...OUTCOMES].sort());
      expect(counted.reduce((sum, [, count]) => sum + count, 0)).toBe(CASES.length);
    }
    expect(report.comparisons.map(({ a, b, n, excluded }) => ({ a, b, n, excluded }))).toEqual([
      { a: "tiny", b: "adapted", n: CASES.length, excluded: 0 },
    ]);
    for (const name of ["report.md", "report.html", "cases.csv"]) {
      expect(existsSync(join(output, name)), name).toBe(true);
    }

    const store = await openStore(storePath);
    try {
      const results = await store.results(report.run.id);
      const served: Record<string, string> = { tiny: "tiny-chat", adapted: "tiny-lora" };
      expect(results.map((stored) => `${stored.modelId} ${stored.caseId}`).sort()).toEqual(
        ["adapted", "tiny"].flatMap((model) => CASES.map((item) => `${model} ${item.id}`)),
      );
      for (const stored of results) {
        expect(stored.error).toBeNull();
        expect(stored.completion?.model).toEqual({ provider: "openai", model: served[stored.modelId] });
        // Constrained by the schema (sent as `json_object` after the server refused `json_schema`).
        expect(stored.completion?.text).toMatch(JSON_ANSWER_START);
        expect(["stop", "length"]).toContain(stored.completion?.finishReason);
      }
      const textOf = (model: string, caseId: string) =>
        results.find((stored) => stored.modelId === model && stored.caseId === caseId)?.completion?.text;
      // The adapter changes what the model writes under the same greedy decoding.
      expect(
        CASES.filter((item) => textOf("tiny", item.id) !== textOf("adapted", item.id)).length,
      ).toBeGreaterThan(0);
    } finally {
      await store.close();
    }
  });

  it("`clinval train probe` trains on the server's embeddings and the probe classifies", async (context) => {
    context.skip(missing !== undefined, missing);
    const reports = syntheticReports(30, 1);
    const suite = await write("reports.jsonl", reports.map((item) => JSON.stringify(item)).join("\n"));
    await mkdir(join(folder, "models"), { recursive: true });
    const out = join(folder, "models", "probe.json");
    const result = await runCli([
      ...["train", "probe", "--suite", suite, "--embedder", "openai:tiny-embed"],
      ...["--base-url", running().baseUrl, "--no-cache", "--max-epochs", "3", "--out", out],
    ]);
    expect(result.code, result.stderr).toBe(0);
    const { file } = readClassifierFile(out);
    expect(
      file.features.kind === "embedding" && {
        embedder: file.features.embedder,
        dimensions: file.features.dimensions,
      },
    ).toEqual({
      embedder: { kind: "openai", model: "tiny-embed", baseUrl: running().baseUrl },
      dimensions: 64,
    });
    const provider = createClassifierProvider(
      modelSpecSchema.parse({ id: "probe", provider: "classifier", model: out }),
      { labels: LABELS },
    );
    try {
      const answer = await provider.complete({
        messages: [],
        params: {},
        input: "CT head: acute subdural haematoma with midline shift.",
        signal: AbortSignal.timeout(60_000),
      });
      expect(LABELS).toContain((JSON.parse(answer.text) as { label: string }).label);
    } finally {
      await provider.close();
    }
  });

  it("chats and decodes under the schema with the shared llama-2-tiny-random.gguf and its real vocabulary (skipped when ../shared/models/llama-2-tiny-random.gguf is absent)", async (context) => {
    context.skip(missing !== undefined, missing);
    context.skip(!existsSync(SHARED_MODEL), `${SHARED_MODEL} is absent; only this check is skipped`);
    const completion = await complete("llama-2-tiny", { params: { temperature: 0, maxTokens: 12, seed: 7 } });
    expect(completion.finishReason).toBe("length");
    expect(completion.text.length).toBeGreaterThan(0);
    const constrained = await complete("llama-2-tiny", {
      params: { temperature: 0, maxTokens: 300, seed: 7 },
      responseSchema: diagnosisResponseSchema(3),
    });
    // Random weights over a 32,000-token vocabulary seldom close the first string within the limit, so only
    // the start of the object is certain.
    expect(constrained.text).toMatch(JSON_ANSWER_START);
  });
});
