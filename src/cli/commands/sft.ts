import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { InputError } from "../../core/errors.ts";
import { DEFAULT_TRIAGE_LABELS } from "../../core/study.ts";
import { TRAINING_TEMPLATE_FILE } from "../../sft/chat-templates.ts";
import {
  type ContaminationOptions,
  DEFAULT_CONTAMINATION_OPTIONS,
  findContamination,
} from "../../sft/contamination.ts";
import { loadEvaluationTexts, readTrainingTexts } from "../../sft/evaluation-texts.ts";
import { launchRecipe } from "../../sft/launch.ts";
import { dataCardMarkdown, type OverLength, prepareTrainingData } from "../../sft/prepare.ts";
import { buildRecipe, PRESETS, presetSettings, type RecipeSettings } from "../../sft/recipes.ts";
import { type LoadedSource, loadReasoningFile, loadReportFile, loadSuiteSource } from "../../sft/sources.ts";
import { approximateTokenCounter, ggufTokenCounter } from "../../sft/token-counter.ts";
import { TRAINERS, type Trainer } from "../../sft/trainer-schema.ts";
import {
  OUTPUT_FORMATS,
  type OutputFormat,
  REASONING_STYLES,
  type ReasoningStyle,
} from "../../sft/training-example.ts";
import { formatTrainingProgress } from "../../sft/training-progress.ts";
import { parseFieldMapping, parseList, parsePositiveInteger } from "../options.ts";

interface PrepareCommandOptions {
  reasoning: string[];
  reports: string[];
  suite: string[];
  fields?: string;
  labels?: string;
  split?: string;
  licence: string;
  format: string;
  reasoningStyle: string;
  seed: number;
  validation: number;
  tokenizer?: string;
  maxTokens?: number;
  overLength: string;
  excludeSuite: string[];
  out: string;
}

export function register(program: Command): void {
  const sft = program
    .command("sft")
    .description("adapt a model on site: training data, contamination check, trainer recipes, launch");
  sft
    .command("prepare")
    .description(
      "turn reasoning sets, labelled reports and suites into train / validation files with a data card",
    )
    .option(
      "--reasoning <file>",
      "medical-o1-style file (.json array, .jsonl, .csv) with Question, Complex_CoT, Response; repeatable",
      collect,
      [],
    )
    .option(
      "--reports <file>",
      "labelled reports (.csv, .jsonl, .json) with text and label; repeatable",
      collect,
      [],
    )
    .option(
      "--suite <id|file>",
      "a diagnosis or triage suite (built-in id or case file); repeatable",
      collect,
      [],
    )
    .option(
      "--fields <mapping>",
      "map fields onto your columns, e.g. question=Q,reasoning=CoT,response=A or text=report_text,label=severity",
    )
    .option(
      "--labels <labels>",
      `triage label set, least to most severe (default ${DEFAULT_TRIAGE_LABELS.join(",")})`,
    )
    .option(
      "--split <split>",
      'cases of this split of a suite (default "train" when the cases have a split field)',
    )
    .option(
      "--licence <text>",
      "licence of the --reasoning / --reports files, for the data card",
      "not stated",
    )
    .option("--format <format>", `output format: ${OUTPUT_FORMATS.join(", ")}`, "chat")
    .option("--reasoning-style <style>", "r1 (<think>…</think> then the answer) or none (answer only)", "r1")
    .option("--seed <n>", "seed of the train / validation split", parseWholeNumber("--seed"), 1)
    .option("--validation <fraction>", "share of each stratum held out for validation", parseFraction, 0.1)
    .option(
      "--tokenizer <model.gguf>",
      "count tokens with this GGUF model's tokenizer (default: an approximation)",
    )
    .option("--max-tokens <n>", "length limit per example in tokens", parsePositiveInteger("--max-tokens"))
    .option("--over-length <action>", "drop or truncate examples over --max-tokens", "drop")
    .option(
      "--exclude-suite <id|file>",
      "leave out examples that overlap this evaluation suite (as `sft check` finds them); repeatable",
      collect,
      [],
    )
    .requiredOption("--out <folder>", "folder for train.jsonl, validation.jsonl and the data card")
    .action(prepare);
  registerRecipe(sft);
  sft
    .command("launch")
    .description(
      "run a recipe's trainer with a progress display; the log and resolved configuration stay beside the recipe",
    )
    .argument("<recipe>", "recipe folder written by `clinval sft recipe`")
    .action(launch);
  contaminationOptions(
    sft
      .command("check")
      .description(
        "look for evaluation cases in training files: exact copies, word n-gram overlap, MinHash near-duplicates",
      )
      .argument(
        "<files...>",
        "training files (.jsonl, .json, .csv: chat, ShareGPT, Alpaca or medical-o1 records)",
      )
      .option("--study <file>", "also check the suite this study evaluates on; repeatable", collect, [])
      .option(
        "--suite <id|file>",
        "also check this suite (without its train / validation splits); repeatable",
        collect,
        [],
      )
      .option("--no-builtin", "do not check the built-in suites")
      .option(
        "--max-overlap <share>",
        "largest share of a suite's cases that may be found in the training files (exit 1 above it)",
        parseShare("--max-overlap"),
        0,
      )
      .option("--json <file>", "also write the flagged pairs as JSON"),
  ).action(check);
}

interface RecipeCommandOptions {
  trainer: string;
  preset: string;
  data: string;
  out: string;
  baseModel?: string;
  loraR?: number;
  loraAlpha?: number;
  loraDropout?: number;
  targetModules?: string;
  learningRate?: number;
  epochs?: number;
  patience?: number;
  maxLength?: number;
  batchSize?: number;
  gradientAccumulation?: number;
  evalSteps?: number;
  maxSteps?: number;
  cpu?: boolean;
  /** `--4bit` / `--no-4bit` (commander keeps the flag's name). */
  "4bit"?: boolean;
  seed: number;
  gpus: number;
}

function registerRecipe(sft: Command): void {
  sft
    .command("recipe")
    .description(
      "write a checked LoRA / QLoRA SFT configuration and launch script for an established trainer",
    )
    .requiredOption("--trainer <name>", `the trainer: ${TRAINERS.join(", ")}`)
    .option(
      "--preset <name>",
      `settings to start from: ${Object.keys(PRESETS).join(", ")}`,
      "r1-distill-8b-medical-o1",
    )
    .requiredOption(
      "--data <folder>",
      "folder of train.jsonl and validation.jsonl from `clinval sft prepare` (chat format)",
    )
    .requiredOption(
      "--out <folder>",
      "folder for the recipe; the adapter is written to its adapter/ subfolder",
    )
    .option("--base-model <name>", "Hugging Face model id or local folder of the base model")
    .option("--lora-r <n>", "LoRA rank", parsePositiveInteger("--lora-r"))
    .option("--lora-alpha <n>", "LoRA alpha", parsePositiveInteger("--lora-alpha"))
    .option("--lora-dropout <p>", "LoRA dropout", parseShare("--lora-dropout"))
    .option("--target-modules <list>", "modules LoRA adapts, e.g. q_proj,v_proj")
    .option("--learning-rate <x>", "peak learning rate", parsePositiveNumber("--learning-rate"))
    .option("--epochs <n>", "most epochs", parsePositiveNumber("--epochs"))
    .option(
      "--patience <n>",
      "evaluations without a lower validation loss before stopping",
      parsePositiveInteger("--patience"),
    )
    .option("--max-length <n>", "longest example in tokens", parsePositiveInteger("--max-length"))
    .option("--batch-size <n>", "examples per device and step", parsePositiveInteger("--batch-size"))
    .option(
      "--gradient-accumulation <n>",
      "steps whose gradients are summed before each update",
      parsePositiveInteger("--gradient-accumulation"),
    )
    .option(
      "--eval-steps <n>",
      "evaluate the validation loss (and save a checkpoint) every n updates",
      parsePositiveInteger("--eval-steps"),
    )
    .option(
      "--max-steps <n>",
      "stop after n updates whatever the epochs (a trial run)",
      parsePositiveInteger("--max-steps"),
    )
    .option("--cpu", "train on the CPU in 32-bit floats (trl, llama-factory)")
    .option("--4bit", "load the base model in 4 bits (QLoRA)")
    .option("--no-4bit", "load the base model in full precision")
    .option("--seed <n>", "training seed", parseWholeNumber("--seed"), 42)
    .option("--gpus <n>", "GPUs of the multi-GPU launch line", parsePositiveInteger("--gpus"), 2)
    .action(recipe);
}

async function recipe(options: RecipeCommandOptions): Promise<void> {
  const trainer = oneOf(options.trainer, TRAINERS, "--trainer") as Trainer;
  const { description: _, chatTemplate, ...preset } = presetSettings(options.preset);
  const out = resolve(options.out);
  // The preset's chat template belongs to the preset's model; another model id is left to TRL.
  const presetModel = options.baseModel === undefined || options.baseModel === preset.baseModel;
  const settings: RecipeSettings = {
    ...preset,
    ...(presetModel && chatTemplate !== undefined ? { chatTemplate } : {}),
    ...(options.baseModel === undefined ? {} : { baseModel: options.baseModel }),
    ...(options.loraR === undefined ? {} : { loraRank: options.loraR }),
    ...(options.loraAlpha === undefined ? {} : { loraAlpha: options.loraAlpha }),
    ...(options.loraDropout === undefined ? {} : { loraDropout: options.loraDropout }),
    ...(options.targetModules === undefined ? {} : { targetModules: parseList(options.targetModules) ?? [] }),
    ...(options.learningRate === undefined ? {} : { learningRate: options.learningRate }),
    ...(options.epochs === undefined ? {} : { epochs: options.epochs }),
    ...(options.patience === undefined ? {} : { earlyStoppingPatience: options.patience }),
    ...(options.maxLength === undefined ? {} : { maxLength: options.maxLength }),
    ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
    ...(options.gradientAccumulation === undefined
      ? {}
      : { gradientAccumulation: options.gradientAccumulation }),
    ...(options.evalSteps === undefined ? {} : { evalSteps: options.evalSteps }),
    ...(options.maxSteps === undefined ? {} : { maxSteps: options.maxSteps }),
    ...(options.cpu ? { cpu: true } : {}),
    ...(options["4bit"] === undefined ? {} : { load4bit: options["4bit"] }),
    seed: options.seed,
    gpus: options.gpus,
    data: resolve(options.data),
    output: join(out, "adapter"),
  };
  const files = buildRecipe(trainer, settings);
  await mkdir(out, { recursive: true });
  for (const file of files) {
    await writeFile(join(out, file.name), file.content, file.name.endsWith(".sh") ? { mode: 0o755 } : {});
  }
  const manifest = JSON.parse(files.find((file) => file.name === "recipe.json")?.content ?? "{}");
  process.stdout.write(
    [
      `${trainer} recipe for ${settings.baseModel} (preset ${options.preset}), checked against ${manifest.checkedAgainst}`,
      `files: ${files.map((file) => file.name).join(", ")}`,
      ...(files.some((file) => file.name === TRAINING_TEMPLATE_FILE)
        ? [
            `${TRAINING_TEMPLATE_FILE}: the base model's chat template with {% generation %} markers, the reasoning kept in the loss`,
          ]
        : []),
      `launch: clinval sft launch ${out}`,
      "",
    ].join("\n"),
  );
}

async function launch(recipeFolder: string): Promise<void> {
  const folder = resolve(recipeFolder);
  const launchFolder = join(folder, "launches", new Date().toISOString().replaceAll(":", "-"));
  const controller = new AbortController();
  const onInterrupt = () => {
    process.stderr.write("\nstopping the trainer (Ctrl-C again to leave it running in the background)\n");
    controller.abort();
  };
  process.once("SIGINT", onInterrupt);
  const stream = process.stderr;
  let lastLine = "";
  try {
    const result = await launchRecipe(folder, {
      env: process.env,
      signal: controller.signal,
      launchFolder,
      onProgress: (progress) => {
        const line = formatTrainingProgress(progress);
        if (line === lastLine) return;
        lastLine = line;
        stream.write(stream.isTTY ? `\r\x1b[2K${line}` : `${line}\n`);
      },
    });
    if (stream.isTTY && lastLine !== "") stream.write("\n");
    const outcome = result.interrupted
      ? "stopped by Ctrl-C"
      : result.exitCode === 0
        ? "finished"
        : `failed with exit code ${result.exitCode}`;
    process.stdout.write(`trainer ${outcome}\nlog and resolved configuration: ${launchFolder}\n`);
    process.exitCode = result.interrupted ? 130 : result.exitCode === 0 ? 0 : 1;
  } finally {
    process.removeListener("SIGINT", onInterrupt);
  }
}

interface ContaminationCommandOptions {
  ngram: number;
  ngramThreshold: number;
  similarity: number;
}

interface CheckCommandOptions extends ContaminationCommandOptions {
  study: string[];
  suite: string[];
  builtin: boolean;
  maxOverlap: number;
  json?: string;
}

function contaminationOptions(command: Command): Command {
  return command
    .option("--ngram <n>", "words per n-gram of the overlap measure", parsePositiveInteger("--ngram"), 8)
    .option(
      "--ngram-threshold <share>",
      "flag a pair when this share of the case's n-grams is in the training text",
      parseShare("--ngram-threshold"),
      0.5,
    )
    .option(
      "--similarity <share>",
      "flag a pair when MinHash estimates this share of the case's word pairs in the training text",
      parseShare("--similarity"),
      0.5,
    );
}

function contaminationSettings(options: Partial<ContaminationCommandOptions>): ContaminationOptions {
  return {
    ngram: options.ngram ?? DEFAULT_CONTAMINATION_OPTIONS.ngram,
    ngramThreshold: options.ngramThreshold ?? DEFAULT_CONTAMINATION_OPTIONS.ngramThreshold,
    similarityThreshold: options.similarity ?? DEFAULT_CONTAMINATION_OPTIONS.similarityThreshold,
  };
}

async function check(files: string[], options: CheckCommandOptions): Promise<void> {
  const { suites, texts } = await loadEvaluationTexts({
    studies: options.study,
    suites: options.suite,
    builtin: options.builtin,
  });
  if (suites.length === 0) {
    throw new InputError(
      "no evaluation suite to check against (give --study or --suite, or keep the built-in ones)",
      {
        field: "sft check",
      },
    );
  }
  const training = [];
  for (const file of files) training.push(...(await readTrainingTexts(file)));
  const pairs = findContamination(texts, training, contaminationSettings(options));
  const lines = [`checked ${training.length} training examples against ${texts.length} evaluation cases`];
  let over = false;
  const summary = suites.map((suite) => {
    const found = new Set(pairs.filter((pair) => pair.suite === suite.id).map((pair) => pair.caseId)).size;
    const share = suite.cases === 0 ? 0 : found / suite.cases;
    if (share > options.maxOverlap) over = true;
    lines.push(
      `${suite.id} (${suite.from}): ${found} of ${suite.cases} cases found in the training files (${(share * 100).toFixed(1)}%)${share > options.maxOverlap ? `, above --max-overlap ${options.maxOverlap}` : ""}`,
    );
    return { ...suite, contaminatedCases: found, share };
  });
  for (const pair of pairs) {
    lines.push(
      `  ${pair.suite} ${pair.caseId} <- ${pair.origin}: ${pair.kinds.join(", ")} (n-gram overlap ${pair.ngramOverlap}, shingle containment ${pair.similarity})`,
    );
  }
  process.stdout.write(`${lines.join("\n")}\n`);
  if (options.json !== undefined) {
    await writeFile(options.json, `${JSON.stringify({ suites: summary, pairs }, null, 2)}\n`);
  }
  if (over) process.exitCode = 1;
}

async function prepare(options: PrepareCommandOptions): Promise<void> {
  const format = oneOf(options.format, OUTPUT_FORMATS, "--format") as OutputFormat;
  const reasoningStyle = oneOf(
    options.reasoningStyle,
    REASONING_STYLES,
    "--reasoning-style",
  ) as ReasoningStyle;
  const overLength = oneOf(options.overLength, ["drop", "truncate"], "--over-length") as OverLength;
  if (options.reasoning.length + options.reports.length + options.suite.length === 0) {
    throw new InputError("give at least one of --reasoning, --reports, --suite", { field: "sft prepare" });
  }
  const fields = parseFieldMapping(options.fields);
  const labels = parseList(options.labels) ?? DEFAULT_TRIAGE_LABELS;
  const sources: LoadedSource[] = [];
  for (const path of options.reasoning) sources.push(await loadReasoningFile(path, fields, options.licence));
  for (const path of options.reports)
    sources.push(await loadReportFile(path, fields, labels, options.licence));
  for (const suite of options.suite)
    sources.push(await loadSuiteSource(suite, { labels, split: options.split }));
  const exclude =
    options.excludeSuite.length === 0 ? undefined : await contaminatedOrigins(sources, options.excludeSuite);
  const prepared = await prepareTrainingData(sources, {
    format,
    reasoningStyle,
    seed: options.seed,
    validationFraction: options.validation,
    maxTokens: options.maxTokens,
    overLength,
    counter: options.tokenizer === undefined ? approximateTokenCounter : ggufTokenCounter(options.tokenizer),
    exclude,
  });
  const out = resolve(options.out);
  await mkdir(out, { recursive: true });
  await writeFile(join(out, "train.jsonl"), prepared.train);
  await writeFile(join(out, "validation.jsonl"), prepared.validation);
  await writeFile(join(out, "data-card.json"), `${JSON.stringify(prepared.card, null, 2)}\n`);
  await writeFile(join(out, "DATA-CARD.md"), dataCardMarkdown(prepared.card));
  const { train, validation } = prepared.card.splits;
  const { droppedOverLength, truncated, excluded } = prepared.card.filters;
  process.stdout.write(
    [
      `train ${train.examples}, validation ${validation.examples} examples (${format}, seed ${options.seed})`,
      `tokens: ${prepared.card.tokenizer}; train max ${train.tokens?.max ?? 0}, validation max ${validation.tokens?.max ?? 0}`,
      `filters: ${droppedOverLength.length} dropped as over-long, ${truncated.length} truncated, ${excluded.length} excluded`,
      `written: ${out}`,
      "",
    ].join("\n"),
  );
}

/** Origins of prepared examples that overlap the given evaluation suites, with the pairs as the reason. */
async function contaminatedOrigins(
  sources: readonly LoadedSource[],
  suites: readonly string[],
): Promise<ReadonlyMap<string, string>> {
  const { texts } = await loadEvaluationTexts({ suites, builtin: false });
  const training = sources.flatMap((source) =>
    source.examples.map((example) => ({
      origin: example.origin,
      text: [example.prompt, example.reasoning, example.answer].filter(Boolean).join("\n"),
    })),
  );
  const reasons = new Map<string, string>();
  for (const pair of findContamination(texts, training)) {
    const reason = `${pair.suite} ${pair.caseId}: ${pair.kinds.join(", ")}`;
    const previous = reasons.get(pair.origin);
    reasons.set(pair.origin, previous === undefined ? reason : `${previous}; ${reason}`);
  }
  return reasons;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function oneOf(value: string, choices: readonly string[], field: string): string {
  if (!choices.includes(value))
    throw new InputError(`must be one of ${choices.join(", ")}, not "${value}"`, { field });
  return value;
}

function parseWholeNumber(field: string) {
  return (text: string): number => {
    const value = Number(text);
    if (!Number.isSafeInteger(value))
      throw new InputError(`must be a whole number, not "${text}"`, { field });
    return value;
  };
}

function parsePositiveNumber(field: string) {
  return (text: string): number => {
    const value = Number(text);
    if (!Number.isFinite(value) || value <= 0)
      throw new InputError(`must be a positive number, not "${text}"`, { field });
    return value;
  };
}

function parseShare(field: string) {
  return (text: string): number => {
    const value = Number(text);
    if (!Number.isFinite(value) || value < 0 || value > 1) {
      throw new InputError(`must be a number from 0 to 1, not "${text}"`, { field });
    }
    return value;
  };
}

function parseFraction(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0 || value >= 1) {
    throw new InputError(`must be a number from 0 to below 1, not "${text}"`, { field: "--validation" });
  }
  return value;
}
