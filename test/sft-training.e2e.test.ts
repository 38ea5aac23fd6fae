/**
 * A real LoRA training run on the CPU, end to end, with every part real and the numbers meaningless:
 * a tiny randomly initialised Llama model in Hugging Face format (scripts/sft/create-tiny-llama.py),
 * `clinval sft prepare` on medical-o1-style rows, `clinval sft recipe --trainer trl` and `clinval sft launch`
 * (TRL's own `trl sft` with PEFT, a few steps), llama.cpp's own conversion scripts for the base model and the
 * adapter, and a diagnosis study with `adapters:` through the in-process engine (node-llama-cpp), whose report
 * holds the paired base-vs-adapter comparison and cites the data card and the contamination check.
 *
 * Skipped, with the reason, when CLINVAL_SFT_PYTHON and CLINVAL_LLAMA_CPP_CONVERT_DIR do not name what
 * scripts/ci/install-sft-trainer.sh installs (.ci/run installs it, and sets CLINVAL_SFT_INSTALL_FAILED when the
 * install fails).
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Report } from "../src/analysis/report-types.ts";
import { openStore } from "../src/store/store.ts";
import { runCli } from "./support/run-cli.ts";

const ROOT = resolve(import.meta.dirname, "..");
const FIXTURE = join(ROOT, "src", "sft", "fixtures", "medical-o1-training.json");
const CASES = 4;

function installed(): { python: string; convert: string } | { missing: string } {
  const failed = process.env.CLINVAL_SFT_INSTALL_FAILED;
  if (failed) return { missing: failed };
  const python = process.env.CLINVAL_SFT_PYTHON;
  const convert = process.env.CLINVAL_LLAMA_CPP_CONVERT_DIR;
  if (!python || !convert) {
    return {
      missing:
        'CLINVAL_SFT_PYTHON or CLINVAL_LLAMA_CPP_CONVERT_DIR is not set: run `eval "$(scripts/ci/install-sft-trainer.sh)"`',
    };
  }
  if (!existsSync(python)) return { missing: `CLINVAL_SFT_PYTHON=${python} does not exist` };
  if (!existsSync(join(convert, "convert_lora_to_gguf.py"))) {
    return { missing: `CLINVAL_LLAMA_CPP_CONVERT_DIR=${convert} holds no convert_lora_to_gguf.py` };
  }
  return { python, convert };
}

const trainer = installed();
const missing = "missing" in trainer ? trainer.missing : undefined;

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv, cwd = ROOT): Promise<Finished> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    const stdout: string[] = [];
    const stderr: string[] = [];
    child.stdout.on("data", (chunk) => stdout.push(String(chunk)));
    child.stderr.on("data", (chunk) => stderr.push(String(chunk)));
    child.on("error", fail);
    child.on("close", (code) => done({ code, stdout: stdout.join(""), stderr: stderr.join("") }));
  });
}

let folder: string;
/** The trainer's environment: its venv first on the PATH (as after `source venv/bin/activate`), offline. */
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), "clinval-sft-training-"));
  if (!("python" in trainer)) {
    console.warn(`real training test skipped: ${missing}`);
    return;
  }
  env = {
    ...process.env,
    PATH: [dirname(trainer.python), process.env.PATH].join(delimiter),
    HF_HUB_OFFLINE: "1",
    HF_DATASETS_OFFLINE: "1",
    HF_HOME: join(folder, "huggingface"),
    // One thread each for torch and the tokenizers: the CI machine's cores are shared.
    OMP_NUM_THREADS: "1",
    TOKENIZERS_PARALLELISM: "false",
  };
});

afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe("a real LoRA SFT run on the CPU, converted to GGUF and evaluated against its base", () => {
  it("trains with TRL from clinval's recipe, converts with llama.cpp's scripts, and reports base vs adapter", async (context) => {
    context.skip(missing !== undefined, missing);
    if (!("python" in trainer)) return;
    const model = join(folder, "tiny-llama");
    const created = await run(
      trainer.python,
      [join(ROOT, "scripts", "sft", "create-tiny-llama.py"), "--out", model, "--seed", "1", FIXTURE],
      env,
    );
    expect(created.code, created.stderr).toBe(0);
    expect(JSON.parse(created.stdout.trim().split("\n").at(-1) ?? "{}")).toEqual(
      expect.objectContaining({ vocabulary: 1000 }),
    );
    for (const name of ["config.json", "model.safetensors", "tokenizer.json", "tokenizer.model"]) {
      expect(existsSync(join(model, name)), name).toBe(true);
    }

    const data = join(folder, "data");
    const prepared = await runCli([
      ...[
        "sft",
        "prepare",
        "--reasoning",
        FIXTURE,
        "--licence",
        "clinval test fixture (original, simulated)",
      ],
      ...["--validation", "0.2", "--seed", "1", "--out", data],
    ]);
    expect(prepared.code, prepared.stderr).toBe(0);
    expect(prepared.stdout).toContain("train 24, validation 6 examples (chat, seed 1)");

    const recipe = join(folder, "recipe");
    const written = await runCli([
      ...["sft", "recipe", "--trainer", "trl", "--preset", "r1-distill-8b-medical-o1"],
      ...["--data", data, "--out", recipe, "--base-model", model, "--no-4bit", "--cpu"],
      ...["--max-length", "256", "--max-steps", "4", "--eval-steps", "2", "--batch-size", "2"],
      ...["--gradient-accumulation", "2", "--learning-rate", "0.01"],
    ]);
    expect(written.code, written.stderr).toBe(0);
    expect(written.stdout).toContain(
      "checked against huggingface/trl v1.9.0 + huggingface/transformers v5.5.0",
    );

    // `clinval sft launch`, as a user runs it: the trainer is whatever `trl` the PATH finds.
    const launched = await run(
      process.execPath,
      [join(ROOT, "bin", "clinval.js"), "sft", "launch", recipe],
      env,
    );
    const launches = join(recipe, "launches");
    const launchFolder = existsSync(launches) ? join(launches, readdirSync(launches)[0]) : launches;
    const log = existsSync(join(launchFolder, "train.log"))
      ? await readFile(join(launchFolder, "train.log"), "utf8")
      : "";
    expect({ code: launched.code, stdout: launched.stdout }, log.slice(-4000)).toEqual({
      code: 0,
      stdout: `trainer finished\nlog and resolved configuration: ${launchFolder}\n`,
    });
    // The progress display, from TRL's own log: steps of the training bar, losses, the validation loss.
    const shown = launched.stderr.split("\n").filter((line) => line.startsWith("step "));
    expect(shown.length).toBeGreaterThan(0);
    for (const line of shown) expect(line).toMatch(/^step [0-4]\/4 \(\d+%\)( · .+)? · ETA .+$/);
    expect(shown.some((line) => / · loss \d+\.\d{4} · lr /.test(line))).toBe(true);
    expect(shown.some((line) => / · eval loss \d+\.\d{4} · /.test(line))).toBe(true);
    const launch = JSON.parse(await readFile(join(launchFolder, "launch.json"), "utf8"));
    expect({ ...launch, startedAt: typeof launch.startedAt, finishedAt: typeof launch.finishedAt }).toEqual({
      startedAt: "string",
      finishedAt: "string",
      exitCode: 0,
      interrupted: false,
      progress: {
        step: 4,
        totalSteps: 4,
        secondsLeft: 0,
        loss: expect.any(Number),
        learningRate: expect.any(Number),
        evalLoss: expect.any(Number),
        epoch: expect.any(Number),
      },
    });
    expect(log).toContain("'loss'");
    const resolved = JSON.parse(await readFile(join(launchFolder, "resolved-config.json"), "utf8"));
    expect(resolved.command).toEqual(["trl", "sft", "--config", "trl.yaml"]);
    const adapter = join(recipe, "adapter");
    for (const name of ["adapter_config.json", "adapter_model.safetensors"]) {
      expect(existsSync(join(adapter, name)), name).toBe(true);
    }

    // llama.cpp's own conversion scripts: the base model, then the adapter against it.
    const base = join(folder, "base.gguf");
    const lora = join(folder, "adapter.gguf");
    const convertedBase = await run(
      trainer.python,
      [join(trainer.convert, "convert_hf_to_gguf.py"), model, "--outfile", base, "--outtype", "f32"],
      env,
    );
    expect(convertedBase.code, convertedBase.stderr.slice(-2000)).toBe(0);
    const convertedAdapter = await run(
      trainer.python,
      [
        ...[join(trainer.convert, "convert_lora_to_gguf.py"), adapter, "--base", model],
        ...["--outfile", lora, "--outtype", "f32"],
      ],
      env,
    );
    expect(convertedAdapter.code, convertedAdapter.stderr.slice(-2000)).toBe(0);
    // Two layers, seven adapted projections each, an A and a B matrix per projection.
    expect(convertedAdapter.stderr).toContain("n_tensors = 28");

    const output = join(folder, "reports");
    const study = join(folder, "study.yaml");
    await writeFile(
      study,
      [
        "name: tiny-sft-adapter",
        "task: diagnosis",
        "suite: { id: dx-core@1 }",
        "models:",
        "  - id: tiny",
        "    provider: llama-cpp",
        "    model: ./base.gguf",
        "    params: { temperature: 0, maxTokens: 48, seed: 7 }",
        "    adapters:",
        "      - id: tiny-sft",
        "        lora: ./adapter.gguf",
        "        trainingData: ./data",
        "topK: 3",
        "output: ./reports",
      ].join("\n"),
    );
    const store = join(folder, "run.db");
    const evaluated = await runCli(["run", study, "--store", store, "--limit", String(CASES)]);
    expect(evaluated.code, evaluated.stderr).toBe(0);

    const report = JSON.parse(await readFile(join(output, "report.json"), "utf8")) as Report;
    expect(report.run.complete).toBe(true);
    expect(report.models.map(({ id, provider, model, n }) => ({ id, provider, model, n }))).toEqual([
      { id: "tiny", provider: "llama-cpp", model: "base.gguf", n: CASES },
      { id: "tiny-sft", provider: "llama-cpp", model: "base.gguf", n: CASES },
    ]);
    // The paired base-vs-adapter comparison that `adapters:` adds.
    const [comparison] = report.comparisons;
    expect(report.comparisons).toHaveLength(1);
    expect({ a: comparison.a, b: comparison.b, n: comparison.n, excluded: comparison.excluded }).toEqual({
      a: "tiny",
      b: "tiny-sft",
      n: CASES,
      excluded: 0,
    });
    expect(comparison.bothCorrect + comparison.aOnly + comparison.bOnly + comparison.neither).toBe(CASES);

    const [adaptation] = report.adaptations ?? [];
    expect(adaptation).toEqual({
      model: "tiny-sft",
      base: "tiny",
      adapter: "adapter.gguf",
      adapterSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      training: {
        dataCard: {
          sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
          format: "chat",
          reasoningStyle: "r1",
          seed: 1,
          sources: [
            {
              kind: "reasoning",
              name: "medical-o1-training.json",
              licence: "clinval test fixture (original, simulated)",
              records: 30,
              sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
            },
          ],
          trainExamples: 24,
          validationExamples: 6,
          filters: { maxTokens: null, droppedOverLength: 0, truncated: 0, excluded: 0 },
        },
        contamination: {
          trainingExamples: 30,
          cases: CASES,
          contaminatedCases: 0,
          ngram: 8,
          ngramThreshold: 0.5,
          similarityThreshold: 0.5,
          pairs: [],
        },
      },
    });
    const markdown = await readFile(join(output, "report.md"), "utf8");
    const methods = markdown.slice(markdown.indexOf("## Methods"));
    expect(methods).toContain(
      `tiny-sft is tiny with the LoRA adapter adapter.gguf (SHA-256 ${adaptation.adapterSha256?.slice(0, 12)}…)`,
    );
    expect(methods).toContain(`data card SHA-256 ${adaptation.training?.dataCard.sha256.slice(0, 12)}…`);
    expect(methods).toContain(
      `A contamination check of these 30 examples against the ${CASES} cases of this run`,
    );

    // The adapter GGUF loaded: every answer of the adapted model came back, none is an infrastructure error.
    const opened = await openStore(store);
    try {
      const results = await opened.results(report.run.id);
      expect(results).toHaveLength(2 * CASES);
      expect(results.filter((result) => result.error !== null)).toEqual([]);
      // …and was applied: under the same greedy decoding, the trained adapter changes what the model writes.
      const text = (model: string, caseId: string) =>
        results.find((result) => result.modelId === model && result.caseId === caseId)?.completion?.text;
      const changed = results.filter(
        (result) =>
          result.modelId === "tiny" && text("tiny", result.caseId) !== text("tiny-sft", result.caseId),
      );
      expect(changed.length).toBeGreaterThan(0);
    } finally {
      await opened.close();
    }
  }, 900_000);

  it("trains a DeepSeek-R1 distill's template with the reasoning in the loss and the prompt out of it", async (context) => {
    context.skip(missing !== undefined, missing);
    if (!("python" in trainer)) return;
    // The distills' own template (TRL 1.9 has no training version of it and refuses it with assistant-only loss).
    const model = join(folder, "tiny-r1");
    const template = join(ROOT, "src", "sft", "templates", "deepseek-r1-distill.jinja");
    const created = await run(
      trainer.python,
      [
        ...[join(ROOT, "scripts", "sft", "create-tiny-llama.py"), "--out", model, "--seed", "1"],
        ...["--deepseek-r1-template", template, FIXTURE],
      ],
      env,
    );
    expect(created.code, created.stderr).toBe(0);
    expect(await readFile(join(model, "chat_template.jinja"), "utf8")).toBe(await readFile(template, "utf8"));

    const data = join(folder, "r1-data");
    const prepared = await runCli([
      ...[
        "sft",
        "prepare",
        "--reasoning",
        FIXTURE,
        "--licence",
        "clinval test fixture (original, simulated)",
      ],
      ...["--validation", "0.2", "--seed", "1", "--out", data],
    ]);
    expect(prepared.code, prepared.stderr).toBe(0);

    const recipe = join(folder, "r1-recipe");
    const written = await runCli([
      ...["sft", "recipe", "--trainer", "trl", "--preset", "r1-distill-8b-medical-o1"],
      ...["--data", data, "--out", recipe, "--base-model", model, "--no-4bit", "--cpu"],
      ...["--max-length", "256", "--max-steps", "2", "--eval-steps", "2", "--batch-size", "2"],
    ]);
    expect(written.code, written.stderr).toBe(0);
    expect(written.stdout).toContain("files: trl.yaml, training-chat-template.jinja, launch.sh");

    const launched = await run(
      process.execPath,
      [join(ROOT, "bin", "clinval.js"), "sft", "launch", recipe],
      env,
    );
    expect(launched.code, launched.stderr.slice(-4000)).toBe(0);
    expect(existsSync(join(recipe, "adapter", "adapter_model.safetensors"))).toBe(true);

    // TRL's own tokenisation of the first training example, through the recipe's configuration.
    const shown = await run(
      trainer.python,
      [join(ROOT, "scripts", "sft", "show-assistant-mask.py"), "--config", "trl.yaml"],
      env,
      recipe,
    );
    expect(shown.code, shown.stderr.slice(-4000)).toBe(0);
    const mask = JSON.parse(shown.stdout) as {
      tokens: Array<[string, boolean]>;
      inLoss: string;
      notInLoss: string;
      generationPrompt: { model: string; training: string };
    };
    const [example] = (await readFile(join(data, "train.jsonl"), "utf8")).split("\n");
    const messages: Array<{ role: string; content: string }> = JSON.parse(example).messages;
    const question = messages.find((message) => message.role === "user")?.content ?? "";
    const answer = messages.find((message) => message.role === "assistant")?.content ?? "";
    const reasoning = answer.slice("<think>\n".length, answer.indexOf("\n</think>"));
    expect(reasoning.length).toBeGreaterThan(40);

    // Everything after the assistant header is in the loss, from <think> to the end of the turn; nothing before.
    const first = mask.tokens.findIndex(([, inLoss]) => inLoss);
    expect(mask.tokens[first - 1]).toEqual(["<｜Assistant｜>", false]);
    expect(mask.tokens[first]).toEqual(["<think>", true]);
    expect(mask.tokens.slice(first).filter(([, inLoss]) => !inLoss)).toEqual([]);
    expect(mask.tokens.slice(first).map(([token]) => token)).toContain("</think>");
    expect(mask.tokens.at(-1)).toEqual(["<｜end▁of▁sentence｜>", true]);
    expect(mask.inLoss).toContain(reasoning);
    expect(mask.inLoss).toContain(answer.slice(answer.indexOf("</think>") + "</think>".length).trim());
    expect(mask.notInLoss).toContain(question);
    expect(mask.inLoss).not.toContain(question);
    // For inference the training template renders the prompt exactly as the model's own template does.
    expect(mask.generationPrompt.training).toBe(mask.generationPrompt.model);
    expect(mask.generationPrompt.model.endsWith(`${question}<｜Assistant｜><think>\n`)).toBe(true);
  }, 300_000);
});
