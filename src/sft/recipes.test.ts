import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { InputError } from "../core/errors.ts";
import { CHAT_TEMPLATES } from "./chat-templates.ts";
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

describe("sft recipe: the training chat template of assistant-only loss", () => {
  const templates = join(import.meta.dirname, "templates");
  const template = (file: string) => readFileSync(join(templates, file), "utf8");
  const r1 = template("deepseek-r1-distill.jinja");
  const r1Training = template("deepseek-r1-distill-training.jinja");

  /** A local base model folder carrying the given files. */
  function modelFolder(name: string, files: Record<string, string>): string {
    const folder = join(directory, name);
    mkdirSync(folder, { recursive: true });
    for (const [file, content] of Object.entries(files)) writeFileSync(join(folder, file), content);
    return folder;
  }

  /** The recipe's files and the trainer configuration's template keys. */
  async function written(trainer: Trainer, name: string, ...args: string[]) {
    const out = join(directory, `template-${name}`);
    const run = await runSft("recipe", "--trainer", trainer, "--data", "data", "--out", out, ...args);
    expect(run.error).toBeUndefined();
    const manifest = JSON.parse(readFileSync(join(out, "recipe.json"), "utf8"));
    const sections = writtenSections(trainer, out);
    const config = (trainer === "unsloth" ? sections.training : sections.config) as Record<string, unknown>;
    expect(() => checkTrainerConfig(loadTrainerSchema(trainer), sections, manifest.config)).not.toThrow();
    const file = join(out, "training-chat-template.jinja");
    return {
      chatTemplatePath: config.chat_template_path,
      assistantOnlyLoss: config.assistant_only_loss,
      template: existsSync(file) ? readFileSync(file, "utf8") : null,
      stdout: run.stdout,
    };
  }

  it("holds the templates its registry names, with their SHA-256", () => {
    for (const [name, entry] of Object.entries(CHAT_TEMPLATES)) {
      const registry = JSON.parse(template("chat-templates.json"))[name];
      const sha256 = (file: string) => createHash("sha256").update(template(file)).digest("hex");
      expect({ name, template: sha256(entry.template), training: sha256(entry.training) }).toEqual({
        name,
        template: registry.sha256,
        training: registry.trainingSha256,
      });
    }
  });

  for (const trainer of ["trl", "unsloth"] as const) {
    for (const preset of Object.keys(PRESETS)) {
      it(`${trainer} / ${preset}: the preset's R1 distill gets the training template beside the configuration`, async () => {
        const recipe = await written(trainer, `${trainer}-${preset}`, "--preset", preset);
        expect({ ...recipe, stdout: undefined }).toEqual({
          chatTemplatePath: "training-chat-template.jinja",
          assistantOnlyLoss: true,
          template: r1Training,
          stdout: undefined,
        });
        expect(recipe.stdout).toContain(
          "training-chat-template.jinja: the base model's chat template with {% generation %} markers, the reasoning kept in the loss",
        );
      });
    }
  }

  it("reads a local base model's template: chat_template.jinja, or tokenizer_config.json in either released form", async () => {
    const jinja = modelFolder("r1-jinja", { "chat_template.jinja": r1 });
    expect((await written("trl", "local-jinja", "--base-model", jinja)).template).toBe(r1Training);
    const firstRelease = modelFolder("r1-first-release", {
      "tokenizer_config.json": JSON.stringify({
        chat_template: template("deepseek-r1-distill-first-release.jinja"),
      }),
    });
    expect((await written("trl", "local-first-release", "--base-model", firstRelease)).template).toBe(
      template("deepseek-r1-distill-first-release-training.jinja"),
    );
    const named = modelFolder("r1-named", {
      "tokenizer_config.json": JSON.stringify({
        chat_template: [
          { name: "tool_use", template: "{{ messages }}" },
          { name: "default", template: r1 },
        ],
      }),
    });
    expect((await written("trl", "local-named", "--base-model", named)).template).toBe(r1Training);
  });

  it("leaves other templates to TRL: a local model's own, another model id, a model without a template", async () => {
    const none = { chatTemplatePath: undefined, assistantOnlyLoss: true, template: null };
    const pick = ({
      chatTemplatePath,
      assistantOnlyLoss,
      template,
    }: Awaited<ReturnType<typeof written>>) => ({
      chatTemplatePath,
      assistantOnlyLoss,
      template,
    });
    // A model whose template TRL knows (here a stand-in text), even under the R1 preset: its own template decides.
    const llama = modelFolder("llama", {
      "chat_template.jinja": "{{ bos_token }}{% for m in messages %}{% endfor %}",
    });
    expect(
      pick(await written("trl", "llama", "--preset", "r1-distill-8b-medical-o1", "--base-model", llama)),
    ).toEqual(none);
    // The R1 template with one byte changed is not the R1 template.
    const edited = modelFolder("r1-edited", { "chat_template.jinja": `${r1} ` });
    expect(pick(await written("trl", "r1-edited", "--base-model", edited))).toEqual(none);
    expect(pick(await written("trl", "other-id", "--base-model", "Qwen/Qwen3-0.6B"))).toEqual(none);
    expect(pick(await written("trl", "no-template", "--base-model", modelFolder("bare", {})))).toEqual(none);
  });
});
