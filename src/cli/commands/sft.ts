import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { InputError } from "../../core/errors.ts";
import { DEFAULT_TRIAGE_LABELS } from "../../core/study.ts";
import { dataCardMarkdown, type OverLength, prepareTrainingData } from "../../sft/prepare.ts";
import { type LoadedSource, loadReasoningFile, loadReportFile, loadSuiteSource } from "../../sft/sources.ts";
import { approximateTokenCounter, ggufTokenCounter } from "../../sft/token-counter.ts";
import {
  OUTPUT_FORMATS,
  type OutputFormat,
  REASONING_STYLES,
  type ReasoningStyle,
} from "../../sft/training-example.ts";
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
    .requiredOption("--out <folder>", "folder for train.jsonl, validation.jsonl and the data card")
    .action(prepare);
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
  const prepared = await prepareTrainingData(sources, {
    format,
    reasoningStyle,
    seed: options.seed,
    validationFraction: options.validation,
    maxTokens: options.maxTokens,
    overLength,
    counter: options.tokenizer === undefined ? approximateTokenCounter : ggufTokenCounter(options.tokenizer),
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

function parseFraction(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0 || value >= 1) {
    throw new InputError(`must be a number from 0 to below 1, not "${text}"`, { field: "--validation" });
  }
  return value;
}
