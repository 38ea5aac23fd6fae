import { readFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { InputError } from "../core/errors.ts";
import { TRAINING_TEMPLATE_FILE, type TrainingTemplate, trainingChatTemplate } from "./chat-templates.ts";
import { checkTrainerConfig, describeSchema, loadTrainerSchema, type Trainer } from "./trainer-schema.ts";

/** Everything a LoRA / QLoRA SFT recipe is made of, in clinval's own names. */
export interface RecipeSettings {
  baseModel: string;
  /**
   * The chat template a base model given by its model id carries (a name in src/sft/templates/
   * chat-templates.json), when clinval brings a training version of it; a local base model's own is read.
   */
  chatTemplate?: string;
  /** The LLaMA-Factory chat template name of the base model. */
  llamaFactoryTemplate: string;
  loraRank: number;
  loraAlpha: number;
  loraDropout: number;
  targetModules: string[];
  learningRate: number;
  scheduler: string;
  warmupRatio: number;
  epochs: number;
  /** Evaluations without improvement of the validation loss before training stops. */
  earlyStoppingPatience: number;
  evalSteps: number;
  maxLength: number;
  load4bit: boolean;
  batchSize: number;
  gradientAccumulation: number;
  seed: number;
  /** GPUs of the multi-GPU launch line. */
  gpus: number;
  /** Stop after this many optimiser steps, whatever the epochs (a trial run); absent: train every epoch. */
  maxSteps?: number;
  /** Train on the CPU in 32-bit floats (TRL and LLaMA-Factory); absent or false: the GPU. */
  cpu?: boolean;
  /** Absolute folder holding train.jsonl and validation.jsonl (chat format, from `clinval sft prepare`). */
  data: string;
  /** Absolute folder the adapter is written to. */
  output: string;
}

type Preset = Omit<RecipeSettings, "seed" | "gpus" | "data" | "output" | "maxSteps" | "cpu"> & {
  description: string;
};

/** Trainers whose recipe can train on the CPU: Unsloth and axolotl need a GPU. */
export const CPU_TRAINERS: readonly Trainer[] = ["trl", "llama-factory"];

export const PRESETS: Readonly<Record<string, Preset>> = JSON.parse(
  readFileSync(join(import.meta.dirname, "presets.json"), "utf8"),
);

export function presetSettings(name: string): Preset {
  const preset = PRESETS[name];
  if (!preset) {
    throw new InputError(`unknown preset "${name}" (presets: ${Object.keys(PRESETS).join(", ")})`, {
      field: "--preset",
    });
  }
  return preset;
}

/** The recipe's manifest, read by `clinval sft launch`. */
export interface RecipeManifest {
  schema: "clinval.sft-recipe/v1";
  trainer: Trainer;
  /** The trainer's configuration file, beside the manifest. */
  config: string;
  /** The executable that must be on PATH, and how to install it. */
  executable: string;
  install: string;
  /** One-GPU (or CPU) launch, run from the recipe folder. */
  command: string[];
  /** Launch on `gpus` GPUs with the trainer's own launcher, or null when the trainer has none. */
  multiGpuCommand: string[] | null;
  /** The trainer's argument schema the configuration was checked against. */
  checkedAgainst: string;
  settings: RecipeSettings;
}

export interface RecipeFile {
  name: string;
  content: string;
}

/**
 * Writes the trainer's configuration, launch script, serving notes and manifest, after checking the
 * configuration against the trainer's argument schema (an unknown key throws before anything is written).
 */
export function buildRecipe(trainer: Trainer, settings: RecipeSettings): RecipeFile[] {
  if (settings.cpu && !CPU_TRAINERS.includes(trainer)) {
    throw new InputError(`${trainer} trains on a GPU only; --cpu works with ${CPU_TRAINERS.join(" and ")}`, {
      field: "--cpu",
    });
  }
  if (settings.cpu && settings.load4bit) {
    throw new InputError("4-bit loading (QLoRA) needs a GPU: give --no-4bit with --cpu", { field: "--cpu" });
  }
  const schema = loadTrainerSchema(trainer);
  const built = trainerFiles(trainer, settings);
  checkTrainerConfig(schema, built.sections, built.config);
  const manifest: RecipeManifest = {
    schema: "clinval.sft-recipe/v1",
    trainer,
    config: built.config,
    executable: built.command[0],
    install: built.install,
    command: built.command,
    multiGpuCommand: built.multiGpuCommand,
    checkedAgainst: describeSchema(schema),
    settings,
  };
  const shell = (command: string[]) => command.map(quoteShell).join(" ");
  const launch = [
    "#!/bin/sh",
    `# LoRA SFT of ${settings.baseModel} with ${trainer}; needs: ${built.install}`,
    "set -e",
    'cd "$(dirname "$0")"',
    shell(built.command),
    built.multiGpuCommand === null
      ? `# ${trainer} trains on one GPU here; use another trainer for several.`
      : `# on ${settings.gpus} GPUs: ${shell(built.multiGpuCommand)}`,
    "",
  ].join("\n");
  return [
    ...built.files,
    { name: "launch.sh", content: launch },
    { name: "SERVING.md", content: servingNotes(settings) },
    { name: "recipe.json", content: `${JSON.stringify(manifest, null, 2)}\n` },
  ];
}

interface TrainerFiles {
  config: string;
  files: RecipeFile[];
  /** Schema section → the object checked against it. */
  sections: Record<string, unknown>;
  command: string[];
  multiGpuCommand: string[] | null;
  install: string;
}

/**
 * TRL's (and Unsloth's, through TRL) `chat_template_path` and the file it names, when the base model's chat
 * template has no `{% generation %}` markers TRL can find or make: assistant-only loss needs them.
 */
function trainingTemplateFiles(settings: RecipeSettings): {
  config: Record<string, unknown>;
  files: RecipeFile[];
} {
  const template: TrainingTemplate | null = trainingChatTemplate(settings.baseModel, settings.chatTemplate);
  return template === null
    ? { config: {}, files: [] }
    : {
        config: { chat_template_path: TRAINING_TEMPLATE_FILE },
        files: [{ name: TRAINING_TEMPLATE_FILE, content: template.content }],
      };
}

function trainerFiles(trainer: Trainer, settings: RecipeSettings): TrainerFiles {
  const train = join(settings.data, "train.jsonl");
  const validation = join(settings.data, "validation.jsonl");
  const gpus = String(settings.gpus);
  switch (trainer) {
    case "llama-factory": {
      const config = {
        model_name_or_path: settings.baseModel,
        stage: "sft",
        do_train: true,
        finetuning_type: "lora",
        lora_rank: settings.loraRank,
        lora_alpha: settings.loraAlpha,
        lora_dropout: settings.loraDropout,
        lora_target: settings.targetModules.join(","),
        ...(settings.load4bit ? { quantization_bit: 4 } : {}),
        dataset_dir: ".",
        dataset: "clinval_train",
        eval_dataset: "clinval_validation",
        template: settings.llamaFactoryTemplate,
        cutoff_len: settings.maxLength,
        train_on_prompt: false,
        output_dir: settings.output,
        num_train_epochs: settings.epochs,
        learning_rate: settings.learningRate,
        lr_scheduler_type: settings.scheduler,
        warmup_ratio: settings.warmupRatio,
        per_device_train_batch_size: settings.batchSize,
        per_device_eval_batch_size: settings.batchSize,
        gradient_accumulation_steps: settings.gradientAccumulation,
        ...bestByValidationLoss(settings),
        early_stopping_steps: settings.earlyStoppingPatience,
        ...limits(settings),
        logging_steps: 1,
        seed: settings.seed,
        report_to: "none",
      };
      const dataset = (file: string) => ({
        file_name: file,
        formatting: "sharegpt",
        columns: { messages: "messages" },
        tags: {
          role_tag: "role",
          content_tag: "content",
          user_tag: "user",
          assistant_tag: "assistant",
          system_tag: "system",
        },
      });
      return {
        config: "llama-factory.yaml",
        files: [
          { name: "llama-factory.yaml", content: stringify(config) },
          {
            name: "dataset_info.json",
            content: `${JSON.stringify({ clinval_train: dataset(train), clinval_validation: dataset(validation) }, null, 2)}\n`,
          },
        ],
        sections: { config },
        command: ["llamafactory-cli", "train", "llama-factory.yaml"],
        multiGpuCommand: [
          "env",
          "FORCE_TORCHRUN=1",
          `NPROC_PER_NODE=${gpus}`,
          "llamafactory-cli",
          "train",
          "llama-factory.yaml",
        ],
        install: 'pip install "llamafactory[torch,metrics]==0.9.5"',
      };
    }
    case "axolotl": {
      const dataset = (path: string) => ({
        path,
        ds_type: "json",
        split: "train",
        type: "chat_template",
        field_messages: "messages",
        roles_to_train: ["assistant"],
      });
      const datasets = [dataset(train)];
      const testDatasets = [dataset(validation)];
      const config = {
        base_model: settings.baseModel,
        adapter: settings.load4bit ? "qlora" : "lora",
        load_in_4bit: settings.load4bit,
        lora_r: settings.loraRank,
        lora_alpha: settings.loraAlpha,
        lora_dropout: settings.loraDropout,
        lora_target_modules: settings.targetModules,
        chat_template: "tokenizer_default",
        datasets,
        test_datasets: testDatasets,
        train_on_inputs: false,
        sequence_len: settings.maxLength,
        num_epochs: settings.epochs,
        learning_rate: settings.learningRate,
        lr_scheduler: settings.scheduler,
        warmup_ratio: settings.warmupRatio,
        micro_batch_size: settings.batchSize,
        gradient_accumulation_steps: settings.gradientAccumulation,
        ...bestByValidationLoss(settings),
        early_stopping_patience: settings.earlyStoppingPatience,
        ...stepLimit(settings),
        logging_steps: 1,
        seed: settings.seed,
        output_dir: settings.output,
      };
      return {
        config: "axolotl.yaml",
        files: [{ name: "axolotl.yaml", content: stringify(config) }],
        sections: { config, "datasets[]": [...datasets, ...testDatasets] },
        command: ["axolotl", "train", "axolotl.yaml"],
        multiGpuCommand: [
          "accelerate",
          "launch",
          "--num_processes",
          gpus,
          "-m",
          "axolotl.cli.train",
          "axolotl.yaml",
        ],
        install: 'pip install "axolotl==0.18.0"',
      };
    }
    case "trl": {
      const template = trainingTemplateFiles(settings);
      const config = {
        model_name_or_path: settings.baseModel,
        dataset_name: settings.data,
        dataset_train_split: "train",
        dataset_test_split: "validation",
        use_peft: true,
        lora_r: settings.loraRank,
        lora_alpha: settings.loraAlpha,
        lora_dropout: settings.loraDropout,
        lora_target_modules: settings.targetModules,
        load_in_4bit: settings.load4bit,
        assistant_only_loss: true,
        ...template.config,
        max_length: settings.maxLength,
        output_dir: settings.output,
        num_train_epochs: settings.epochs,
        learning_rate: settings.learningRate,
        lr_scheduler_type: settings.scheduler,
        // transformers 5 deprecates `warmup_ratio`: a `warmup_steps` below 1 is the share of the steps.
        warmup_steps: settings.warmupRatio,
        per_device_train_batch_size: settings.batchSize,
        per_device_eval_batch_size: settings.batchSize,
        gradient_accumulation_steps: settings.gradientAccumulation,
        ...bestByValidationLoss(settings),
        ...limits(settings),
        // TRL defaults to bf16, which transformers refuses without a GPU.
        ...(settings.cpu ? { bf16: false } : {}),
        logging_steps: 1,
        seed: settings.seed,
        report_to: "none",
      };
      return {
        config: "trl.yaml",
        files: [{ name: "trl.yaml", content: stringify(config) }, ...template.files],
        sections: { config },
        command: ["trl", "sft", "--config", "trl.yaml"],
        multiGpuCommand: [
          "accelerate",
          "launch",
          "--num_processes",
          gpus,
          "-m",
          "trl.scripts.sft",
          "--config",
          "trl.yaml",
        ],
        install: 'pip install "trl==1.9.0" peft',
      };
    }
    case "unsloth": {
      const template = trainingTemplateFiles(settings);
      const sections = {
        model: {
          model_name: settings.baseModel,
          max_seq_length: settings.maxLength,
          load_in_4bit: settings.load4bit,
        },
        lora: {
          r: settings.loraRank,
          lora_alpha: settings.loraAlpha,
          lora_dropout: settings.loraDropout,
          target_modules: settings.targetModules,
          use_gradient_checkpointing: "unsloth",
          random_state: settings.seed,
        },
        training: {
          output_dir: settings.output,
          assistant_only_loss: true,
          ...template.config,
          max_length: settings.maxLength,
          num_train_epochs: settings.epochs,
          learning_rate: settings.learningRate,
          lr_scheduler_type: settings.scheduler,
          warmup_ratio: settings.warmupRatio,
          per_device_train_batch_size: settings.batchSize,
          per_device_eval_batch_size: settings.batchSize,
          gradient_accumulation_steps: settings.gradientAccumulation,
          ...bestByValidationLoss(settings),
          ...stepLimit(settings),
          logging_steps: 1,
          seed: settings.seed,
          report_to: "none",
        },
      };
      const script = readFileSync(join(import.meta.dirname, "templates", "train-unsloth.py"), "utf8");
      return {
        config: "unsloth.yaml",
        files: [
          { name: "unsloth.yaml", content: stringify(sections) },
          { name: "train-unsloth.py", content: script },
          ...template.files,
        ],
        sections,
        command: [
          "python3",
          "train-unsloth.py",
          "--config",
          "unsloth.yaml",
          "--data",
          settings.data,
          "--early-stopping-patience",
          String(settings.earlyStoppingPatience),
        ],
        multiGpuCommand: null,
        install: "pip install unsloth",
      };
    }
  }
}

/**
 * Evaluation and checkpoints every `evalSteps`, keeping the one with the lowest validation loss: the
 * transformers arguments every trainer here passes on, for early stopping on validation loss.
 */
function bestByValidationLoss(settings: RecipeSettings) {
  return {
    eval_strategy: "steps",
    eval_steps: settings.evalSteps,
    save_strategy: "steps",
    save_steps: settings.evalSteps,
    load_best_model_at_end: true,
    metric_for_best_model: "eval_loss",
    greater_is_better: false,
  };
}

/** How to turn the adapter into GGUF and serve it without merging, three ways. */
function servingNotes(settings: RecipeSettings): string {
  const base = settings.baseModel;
  return [
    "# Serving the adapter",
    "",
    `The adapter is written to \`${settings.output}\` (PEFT format). Evaluate it next to the base model with the`,
    "paired base-vs-adapter comparison of a clinval study.",
    "",
    "## llama.cpp (GGUF base + GGUF LoRA)",
    "",
    "```sh",
    "git clone --depth 1 https://github.com/ggml-org/llama.cpp && pip install -r llama.cpp/requirements.txt",
    `huggingface-cli download ${base} --local-dir base-model`,
    "python3 llama.cpp/convert_hf_to_gguf.py base-model --outfile base.gguf --outtype f16",
    `python3 llama.cpp/convert_lora_to_gguf.py ${settings.output} --base base-model --outfile adapter.gguf --outtype f16`,
    "llama-server -m base.gguf --lora adapter.gguf --port 8080",
    "```",
    "",
    "## vLLM (the adapter as its own model name)",
    "",
    "```sh",
    `vllm serve ${base} --enable-lora --max-lora-rank ${Math.max(16, settings.loraRank)} --lora-modules clinval-adapter=${settings.output}`,
    "```",
    "",
    "The study then names `model: clinval-adapter` (adapted) and",
    `\`model: ${base}\` (base) on the same \`provider: openai\` server.`,
    "",
    "## Ollama (Modelfile ADAPTER)",
    "",
    "```",
    "FROM ./base.gguf",
    "ADAPTER ./adapter.gguf",
    "```",
    "",
    "```sh",
    "ollama create clinval-adapter -f Modelfile",
    "```",
    "",
  ].join("\n");
}

/** `max_steps` (every trainer's name for it) when the recipe limits the steps. */
function stepLimit(settings: RecipeSettings): Record<string, unknown> {
  return settings.maxSteps === undefined ? {} : { max_steps: settings.maxSteps };
}

/** `max_steps` and `use_cpu`, in the transformers TrainingArguments names TRL and LLaMA-Factory share. */
function limits(settings: RecipeSettings): Record<string, unknown> {
  return { ...stepLimit(settings), ...(settings.cpu ? { use_cpu: true } : {}) };
}

function quoteShell(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}
