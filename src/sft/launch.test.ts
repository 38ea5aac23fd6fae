import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ClinvalError, InputError } from "../core/errors.ts";
import { launchRecipe } from "./launch.ts";
import { runSft } from "./sft-command.test-support.ts";
import type { TrainingProgress } from "./training-log.ts";

const directory = mkdtempSync(join(tmpdir(), "clinval-sft-launch-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

/**
 * Lines as the Hugging Face Trainer (under `trl sft`) writes them to stderr: tqdm's bar, rewritten with
 * carriage returns, and the metrics dictionary every logging step (through `tqdm.write`).
 */
const TRAINER_OUTPUT = [
  "  0%|          | 0/4 [00:00<?, ?it/s]\r",
  " 25%|██▌       | 1/4 [00:02<00:06,  2.00s/it]\r",
  "{'loss': 2.3456, 'grad_norm': 1.25, 'learning_rate': 5e-05, 'epoch': 0.25}\n",
  " 50%|█████     | 2/4 [00:04<00:04,  2.00s/it]\r",
  "{'loss': 2.1, 'grad_norm': 1.1, 'learning_rate': 3.75e-05, 'epoch': 0.5}\n",
  "{'eval_loss': 2.05, 'eval_runtime': 0.1, 'eval_samples_per_second': 40.0, 'epoch': 0.5}\n",
  " 75%|███████▌  | 3/4 [00:06<00:02,  2.00s/it]\r",
  "100%|██████████| 4/4 [00:08<00:00,  2.00s/it]\r",
  "{'loss': 1.9, 'grad_norm': 0.9, 'learning_rate': 1.25e-05, 'epoch': 1.0}\n",
];

/** A stand-in for the `trl` executable: records its arguments and working folder, then logs like the trainer. */
function writeFakeTrainer(folder: string, record: string, waitForInterrupt: boolean): void {
  mkdirSync(folder, { recursive: true });
  const path = join(folder, "trl");
  writeFileSync(
    path,
    `#!/usr/bin/env node
const { writeFileSync } = require("node:fs");
writeFileSync(${JSON.stringify(record)}, JSON.stringify({ args: process.argv.slice(2), cwd: process.cwd() }));
const lines = ${JSON.stringify(TRAINER_OUTPUT)};
if (${waitForInterrupt}) {
  process.on("SIGINT", () => process.stdout.write("received SIGINT, saving\\n", () => process.exit(130)));
  process.stderr.write(lines[1]);
  setInterval(() => {}, 1000);
} else {
  for (const line of lines) process.stderr.write(line);
}
`,
  );
  chmodSync(path, 0o755);
}

async function writeRecipe(name: string): Promise<string> {
  const out = join(directory, name);
  const run = await runSft(
    "recipe",
    "--trainer",
    "trl",
    "--preset",
    "r1-1.5b-ct-triage",
    "--data",
    "data",
    "--out",
    out,
  );
  expect(run.error).toBeUndefined();
  return out;
}

async function withPath<T>(path: string, run: () => Promise<T>): Promise<T> {
  const original = process.env.PATH;
  const tty = process.stderr.isTTY;
  process.env.PATH = path;
  process.stderr.isTTY = false;
  try {
    return await run();
  } finally {
    process.env.PATH = original;
    process.stderr.isTTY = tty;
  }
}

const nodeFolder = dirname(process.execPath);

describe("sft launch", () => {
  it("runs the trainer with the exact arguments, shows its progress and keeps its log and configuration", async () => {
    const recipe = await writeRecipe("trl-run");
    const bin = join(directory, "bin-run");
    const record = join(directory, "run-record.json");
    writeFakeTrainer(bin, record, false);
    const run = await withPath(`${bin}${delimiter}${nodeFolder}`, () => runSft("launch", recipe));
    expect(run.error).toBeUndefined();
    expect(run.exitCode).toBe(0);
    expect(JSON.parse(readFileSync(record, "utf8"))).toEqual({
      args: ["sft", "--config", "trl.yaml"],
      cwd: recipe,
    });
    expect(run.stderr).toBe(
      [
        "step 0/4 (0%) · ETA ?",
        "step 1/4 (25%) · ETA 6s",
        "step 1/4 (25%) · loss 2.3456 · lr 5.00e-5 · epoch 0.25 · ETA 6s",
        "step 2/4 (50%) · loss 2.3456 · lr 5.00e-5 · epoch 0.25 · ETA 4s",
        "step 2/4 (50%) · loss 2.1000 · lr 3.75e-5 · epoch 0.5 · ETA 4s",
        "step 2/4 (50%) · loss 2.1000 · lr 3.75e-5 · eval loss 2.0500 · epoch 0.5 · ETA 4s",
        "step 3/4 (75%) · loss 2.1000 · lr 3.75e-5 · eval loss 2.0500 · epoch 0.5 · ETA 2s",
        "step 4/4 (100%) · loss 2.1000 · lr 3.75e-5 · eval loss 2.0500 · epoch 0.5 · ETA 0s",
        "step 4/4 (100%) · loss 1.9000 · lr 1.25e-5 · eval loss 2.0500 · epoch 1 · ETA 0s",
        "",
      ].join("\n"),
    );
    const [launch] = readdirSync(join(recipe, "launches"));
    const folder = join(recipe, "launches", launch);
    expect(run.stdout).toBe(`trainer finished\nlog and resolved configuration: ${folder}\n`);
    const log = readFileSync(join(folder, "train.log"), "utf8");
    for (const line of TRAINER_OUTPUT) expect(log).toContain(line);
    expect(log.length).toBe(TRAINER_OUTPUT.join("").length);
    const resolved = JSON.parse(readFileSync(join(folder, "resolved-config.json"), "utf8"));
    expect(resolved.command).toEqual(["trl", "sft", "--config", "trl.yaml"]);
    expect(resolved.config.lora_r).toBe(8);
    const outcome = JSON.parse(readFileSync(join(folder, "launch.json"), "utf8"));
    expect(outcome).toEqual(
      expect.objectContaining({
        exitCode: 0,
        interrupted: false,
        progress: {
          step: 4,
          totalSteps: 4,
          secondsLeft: 0,
          loss: 1.9,
          learningRate: 1.25e-5,
          evalLoss: 2.05,
          epoch: 1,
        },
      }),
    );
  });

  it("stops the trainer cleanly when interrupted (Ctrl-C)", async () => {
    const recipe = await writeRecipe("trl-interrupt");
    const bin = join(directory, "bin-interrupt");
    writeFakeTrainer(bin, join(directory, "interrupt-record.json"), true);
    const controller = new AbortController();
    const seen: TrainingProgress[] = [];
    const launchFolder = join(recipe, "launches", "interrupted");
    const result = await launchRecipe(recipe, {
      env: { ...process.env, PATH: `${bin}${delimiter}${nodeFolder}` },
      signal: controller.signal,
      launchFolder,
      onProgress: (progress) => {
        seen.push(progress);
        controller.abort();
      },
    });
    expect(seen).toEqual([{ step: 1, totalSteps: 4, secondsLeft: 6 }]);
    expect(result).toEqual({
      exitCode: 130,
      interrupted: true,
      progress: { step: 1, totalSteps: 4, secondsLeft: 6 },
      log: join(launchFolder, "train.log"),
    });
    expect(readFileSync(result.log, "utf8")).toBe(`${TRAINER_OUTPUT[1]}received SIGINT, saving\n`);
  });

  it("says what to install when the trainer is missing, and refuses an unknown key before starting it", async () => {
    const recipe = await writeRecipe("trl-missing");
    const empty = join(directory, "empty-bin");
    mkdirSync(empty, { recursive: true });
    const missing = await withPath(empty, () => runSft("launch", recipe));
    expect(missing.error).toBeInstanceOf(ClinvalError);
    expect((missing.error as Error).message).toBe(
      'trl is not installed: `trl` is not on the PATH. Install it with: pip install "trl==1.9.0" peft',
    );

    const bin = join(directory, "bin-edited");
    const record = join(directory, "edited-record.json");
    writeFakeTrainer(bin, record, false);
    const configPath = join(recipe, "trl.yaml");
    writeFileSync(configPath, readFileSync(configPath, "utf8").replace("lora_alpha:", "lora_alhpa:"));
    const edited = await withPath(`${bin}${delimiter}${nodeFolder}`, () => runSft("launch", recipe));
    expect(edited.error).toBeInstanceOf(InputError);
    expect((edited.error as InputError).describe()).toBe(
      'trl.yaml: lora_alhpa: unknown key for trl (huggingface/trl v1.9.0 + huggingface/transformers v5.5.0); did you mean "lora_alpha"?',
    );
    expect(existsSync(record)).toBe(false);
  });

  it("refuses a recipe whose training chat template is missing before starting the trainer", async () => {
    const recipe = await writeRecipe("trl-no-template");
    rmSync(join(recipe, "training-chat-template.jinja"));
    const bin = join(directory, "bin-no-template");
    const record = join(directory, "no-template-record.json");
    writeFakeTrainer(bin, record, false);
    const launched = await withPath(`${bin}${delimiter}${nodeFolder}`, () => runSft("launch", recipe));
    expect(launched.error).toBeInstanceOf(InputError);
    expect((launched.error as InputError).describe()).toBe(
      "trl.yaml: chat_template_path: training-chat-template.jinja is not in the recipe folder (write the recipe again with `clinval sft recipe`)",
    );
    expect(existsSync(record)).toBe(false);
  });
});
