import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { InputError } from "../core/errors.ts";
import { configSections } from "./launch.ts";
import { CPU_TRAINERS, PRESETS } from "./recipes.ts";
import { runSft } from "./sft-command.test-support.ts";
import { checkTrainerConfig, loadTrainerSchema, TRAINERS, type Trainer } from "./trainer-schema.ts";

const directory = mkdtempSync(join(tmpdir(), "clinval-sft-recipe-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

/** The sections of a written configuration, as the schema check takes them. */
function writtenSections(trainer: Trainer, folder: string): Record<string, unknown> {
  const manifest = JSON.parse(readFileSync(join(folder, "recipe.json"), "utf8"));
  return configSections(trainer, parse(readFileSync(join(folder, manifest.config), "utf8")));
}

/** A misspelling: the key's last two characters swapped, or a letter doubled when they are equal. */
function misspell(key: string): string {
  const last = key.length - 1;
  return key[last] === key[last - 1]
    ? `${key}${key[last]}`
    : `${key.slice(0, last - 1)}${key[last]}${key[last - 1]}`;
}

describe("sft recipe", () => {
  for (const trainer of TRAINERS) {
    for (const preset of Object.keys(PRESETS)) {
      it(`${trainer} / ${preset}: passes its trainer's schema, and fails it with any key misspelt`, async () => {
        const out = join(directory, `${trainer}-${preset}`);
        const run = await runSft(
          "recipe",
          "--trainer",
          trainer,
          "--preset",
          preset,
          "--data",
          "data",
          "--out",
          out,
        );
        expect(run.error).toBeUndefined();
        const schema = loadTrainerSchema(trainer);
        const sections = writtenSections(trainer, out);
        const file = `${trainer}.yaml`;
        expect(() => checkTrainerConfig(schema, sections, file)).not.toThrow();
        let mutations = 0;
        for (const [section, value] of Object.entries(sections)) {
          const items = Array.isArray(value) ? value : [value];
          items.forEach((item, index) => {
            for (const key of Object.keys(item)) {
              const mutated = structuredClone(sections);
              const target = Array.isArray(value) ? (mutated[section] as object[])[index] : mutated[section];
              const record = target as Record<string, unknown>;
              record[misspell(key)] = record[key];
              delete record[key];
              let error: unknown;
              try {
                checkTrainerConfig(schema, mutated, file);
              } catch (thrown) {
                error = thrown;
              }
              expect(error, `${section} ${key}`).toBeInstanceOf(InputError);
              expect((error as InputError).location.field).toMatch(new RegExp(`${misspell(key)}$`));
              mutations++;
            }
          });
        }
        expect(mutations).toBeGreaterThan(15);
      });
    }
  }

  it("names the nearest real key and rejects a value of the wrong type", () => {
    const schema = loadTrainerSchema("trl");
    const check = (config: object) => {
      try {
        checkTrainerConfig(schema, { config }, "trl.yaml");
      } catch (error) {
        return (error as InputError).describe();
      }
      return "passed";
    };
    expect(check({ lora_rnak: 8 })).toBe(
      'trl.yaml: lora_rnak: unknown key for trl (huggingface/trl v1.9.0 + huggingface/transformers v5.5.0); did you mean "lora_r"?',
    );
    expect(check({ learning_rate: "fast" })).toBe(
      "trl.yaml: learning_rate: must be number (SFTConfig), not string",
    );
    expect(check({ lr_scheduler_type: "cosin" })).toMatch(
      /^trl\.yaml: lr_scheduler_type: must be one of .*cosine.*, not "cosin"$/,
    );
    expect(check({ lora_r: 8, learning_rate: 1e-4, lr_scheduler_type: "cosine" })).toBe("passed");
  });

  it("writes the launch lines, the multi-GPU line and the conversion and serving commands", async () => {
    const out = join(directory, "trl-serving");
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
      "--gpus",
      "4",
      "--lora-r",
      "32",
      "--4bit",
      "--seed",
      "5",
    );
    expect(run.error).toBeUndefined();
    const manifest = JSON.parse(readFileSync(join(out, "recipe.json"), "utf8"));
    expect(manifest.command).toEqual(["trl", "sft", "--config", "trl.yaml"]);
    expect(manifest.multiGpuCommand).toEqual([
      "accelerate",
      "launch",
      "--num_processes",
      "4",
      "-m",
      "trl.scripts.sft",
      "--config",
      "trl.yaml",
    ]);
    const config = parse(readFileSync(join(out, "trl.yaml"), "utf8"));
    expect(config).toEqual(
      expect.objectContaining({
        lora_r: 32,
        load_in_4bit: true,
        seed: 5,
        assistant_only_loss: true,
        max_length: 2048,
      }),
    );
    const serving = readFileSync(join(out, "SERVING.md"), "utf8");
    expect(serving).toContain(
      `python3 llama.cpp/convert_lora_to_gguf.py ${join(out, "adapter")} --base base-model --outfile adapter.gguf --outtype f16`,
    );
    expect(serving).toContain(`--lora-modules clinval-adapter=${join(out, "adapter")}`);
    expect(serving).toContain("ADAPTER ./adapter.gguf");
  });

  for (const trainer of CPU_TRAINERS) {
    it(`${trainer}: a short CPU run (--cpu, --max-steps, batch and evaluation settings) passes the schema`, async () => {
      const out = join(directory, `${trainer}-cpu`);
      const run = await runSft(
        ...["recipe", "--trainer", trainer, "--data", "data", "--out", out, "--no-4bit", "--cpu"],
        ...["--max-steps", "4", "--eval-steps", "2", "--batch-size", "1", "--gradient-accumulation", "3"],
      );
      expect(run.error).toBeUndefined();
      const sections = writtenSections(trainer, out);
      expect(() => checkTrainerConfig(loadTrainerSchema(trainer), sections, `${trainer}.yaml`)).not.toThrow();
      const config = sections.config as Record<string, unknown>;
      const picked = Object.fromEntries(
        ["use_cpu", "bf16", "max_steps", "eval_steps", "save_steps", "per_device_train_batch_size"]
          .concat(["gradient_accumulation_steps", "warmup_steps", "warmup_ratio"])
          .filter((key) => key in config)
          .map((key) => [key, config[key]]),
      );
      expect(picked).toEqual(
        trainer === "trl"
          ? {
              use_cpu: true,
              bf16: false,
              max_steps: 4,
              eval_steps: 2,
              save_steps: 2,
              per_device_train_batch_size: 1,
              gradient_accumulation_steps: 3,
              warmup_steps: 0.05,
            }
          : {
              use_cpu: true,
              max_steps: 4,
              eval_steps: 2,
              save_steps: 2,
              per_device_train_batch_size: 1,
              gradient_accumulation_steps: 3,
              warmup_ratio: 0.05,
            },
      );
    });
  }

  it("refuses --cpu for a GPU-only trainer and with 4-bit loading", async () => {
    const describe = async (...args: string[]) =>
      (
        (await runSft("recipe", "--data", "data", "--out", join(directory, "refused"), ...args))
          .error as InputError
      ).describe();
    expect(await describe("--trainer", "unsloth", "--cpu")).toBe(
      "--cpu: unsloth trains on a GPU only; --cpu works with trl and llama-factory",
    );
    expect(await describe("--trainer", "trl", "--cpu")).toBe(
      "--cpu: 4-bit loading (QLoRA) needs a GPU: give --no-4bit with --cpu",
    );
  });
});
