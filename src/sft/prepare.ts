import { stratifiedSplit } from "../classifiers/validation-split.ts";
import { quantile } from "../stats/quantile.ts";
import type { LoadedSource, SourceSummary } from "./sources.ts";
import type { TokenCounter } from "./token-counter.ts";
import {
  exampleText,
  formatExample,
  type OutputFormat,
  type ReasoningStyle,
  type TrainingExample,
} from "./training-example.ts";

export type OverLength = "drop" | "truncate";

export interface PrepareOptions {
  format: OutputFormat;
  reasoningStyle: ReasoningStyle;
  seed: number;
  /** Share of each stratum held out for validation. */
  validationFraction: number;
  maxTokens?: number;
  overLength: OverLength;
  counter: TokenCounter;
  /** Origins of examples to leave out, with the reason (e.g. contamination with an evaluation suite). */
  exclude?: ReadonlyMap<string, string>;
}

export interface TokenStatistics {
  min: number;
  median: number;
  p95: number;
  max: number;
  mean: number;
  total: number;
}

export interface SplitSummary {
  examples: number;
  byStratum: Record<string, number>;
  tokens: TokenStatistics | null;
}

export interface DataCard {
  schema: "clinval.sft-data-card/v1";
  format: OutputFormat;
  reasoningStyle: ReasoningStyle;
  seed: number;
  validationFraction: number;
  tokenizer: string;
  sources: Array<SourceSummary & { examples: number }>;
  filters: {
    maxTokens: number | null;
    overLength: OverLength;
    droppedOverLength: string[];
    truncated: string[];
    excluded: Array<{ origin: string; reason: string }>;
  };
  splits: { train: SplitSummary; validation: SplitSummary };
}

export interface PreparedData {
  train: string;
  validation: string;
  card: DataCard;
}

/** Sources → train and validation files (one JSON object per line) and their data card. Deterministic. */
export async function prepareTrainingData(
  sources: readonly LoadedSource[],
  options: PrepareOptions,
): Promise<PreparedData> {
  const excluded: Array<{ origin: string; reason: string }> = [];
  let examples: TrainingExample[] = sources.flatMap((source, index) =>
    source.examples.map((example) => ({ ...example, source: index })),
  );
  if (options.exclude) {
    examples = examples.filter((example) => {
      const reason = options.exclude?.get(example.origin);
      if (reason !== undefined) excluded.push({ origin: example.origin, reason });
      return reason === undefined;
    });
  }
  const fitted = await fitLength(examples, options);
  const kept = fitted.examples;
  const strata = kept.map((example) => `${example.source}\u0000${example.stratum}`);
  const keys = [...new Set(strata)].sort();
  const split = stratifiedSplit(
    strata.map((key) => keys.indexOf(key)),
    options.validationFraction,
    options.seed,
  );
  const trainExamples = split.train.map((position) => kept[position]);
  const validationExamples = split.validation.map((position) => kept[position]);
  const tokens = new Map(kept.map((example, position) => [example, fitted.tokens[position]]));
  const render = (list: TrainingExample[]) =>
    list.map((example) => `${formatExample(example, options.format, options.reasoningStyle)}\n`).join("");
  return {
    train: render(trainExamples),
    validation: render(validationExamples),
    card: {
      schema: "clinval.sft-data-card/v1",
      format: options.format,
      reasoningStyle: options.reasoningStyle,
      seed: options.seed,
      validationFraction: options.validationFraction,
      tokenizer: options.counter.description,
      sources: sources.map((source, index) => ({
        ...source.summary,
        examples: kept.filter((example) => example.source === index).length,
      })),
      filters: {
        maxTokens: options.maxTokens ?? null,
        overLength: options.overLength,
        droppedOverLength: fitted.dropped,
        truncated: fitted.truncated,
        excluded,
      },
      splits: {
        train: summarise(trainExamples, tokens),
        validation: summarise(validationExamples, tokens),
      },
    },
  };
}

/**
 * Counts tokens and applies the length limit: over-long examples are dropped, or (with `truncate`) their
 * reasoning is shortened until they fit; one that cannot fit even without reasoning is dropped.
 */
async function fitLength(
  examples: TrainingExample[],
  options: PrepareOptions,
): Promise<{ examples: TrainingExample[]; tokens: number[]; dropped: string[]; truncated: string[] }> {
  const texts = examples.map((example) => exampleText(example, options.reasoningStyle));
  const counts = await options.counter.count(texts);
  const max = options.maxTokens;
  if (max === undefined) return { examples, tokens: counts, dropped: [], truncated: [] };
  const kept: TrainingExample[] = [];
  const tokens: number[] = [];
  const dropped: string[] = [];
  const truncated: string[] = [];
  for (const [position, example] of examples.entries()) {
    let count = counts[position];
    let current = example;
    if (count > max && options.overLength === "truncate" && example.reasoning) {
      let reasoning = example.reasoning;
      while (count > max && reasoning.length > 0) {
        const excessShare = (count - max) / count;
        const cut = Math.max(1, Math.ceil(texts[position].length * excessShare));
        reasoning = reasoning.slice(0, Math.max(0, reasoning.length - cut)).trimEnd();
        current = { ...example, reasoning };
        [count] = await options.counter.count([exampleText(current, options.reasoningStyle)]);
      }
      if (count <= max) truncated.push(example.origin);
    }
    if (count > max) {
      dropped.push(example.origin);
      continue;
    }
    kept.push(current);
    tokens.push(count);
  }
  return { examples: kept, tokens, dropped, truncated };
}

function summarise(examples: TrainingExample[], tokens: ReadonlyMap<TrainingExample, number>): SplitSummary {
  const byStratum: Record<string, number> = {};
  for (const example of examples) byStratum[example.stratum] = (byStratum[example.stratum] ?? 0) + 1;
  const counts = examples.map((example) => tokens.get(example) ?? 0);
  const total = counts.reduce((sum, count) => sum + count, 0);
  return {
    examples: examples.length,
    byStratum: Object.fromEntries(Object.entries(byStratum).sort(([a], [b]) => a.localeCompare(b))),
    tokens:
      counts.length === 0
        ? null
        : {
            min: Math.min(...counts),
            median: quantile(counts, 0.5),
            p95: Math.round(quantile(counts, 0.95) * 10) / 10,
            max: Math.max(...counts),
            mean: Math.round((total / counts.length) * 10) / 10,
            total,
          },
  };
}

/** The data card as Markdown, for people. */
export function dataCardMarkdown(card: DataCard): string {
  const lines = [
    "# Training data card",
    "",
    `Format: ${card.format}; reasoning: ${card.reasoningStyle === "r1" ? "inside <think>…</think> before the answer" : "left out"}.`,
    `Split: stratified by source and label, ${card.validationFraction} held out for validation, seed ${card.seed}.`,
    `Token counts: ${card.tokenizer}.`,
    "",
    "## Sources",
    "",
    "| kind | source | sha256 | licence | records | examples kept |",
    "|---|---|---|---|---|---|",
    ...card.sources.map(
      (source) =>
        `| ${source.kind} | ${source.name} | ${source.sha256.slice(0, 12)} | ${source.licence} | ${source.records} | ${source.examples} |`,
    ),
    "",
    "## Filters",
    "",
    `- length limit: ${card.filters.maxTokens === null ? "none" : `${card.filters.maxTokens} tokens, over-long examples ${card.filters.overLength === "drop" ? "dropped" : "truncated (reasoning shortened)"}`}`,
    `- dropped as over-long: ${card.filters.droppedOverLength.length}${listed(card.filters.droppedOverLength)}`,
    `- truncated: ${card.filters.truncated.length}${listed(card.filters.truncated)}`,
    `- excluded: ${card.filters.excluded.length}${listed(card.filters.excluded.map((item) => `${item.origin} (${item.reason})`))}`,
    "",
    "## Splits",
    "",
    "| split | examples | by label | tokens min / median / p95 / max | mean | total |",
    "|---|---|---|---|---|---|",
    ...(["train", "validation"] as const).map((name) => {
      const split = card.splits[name];
      const strata = Object.entries(split.byStratum)
        .map(([stratum, count]) => `${stratum || "(none)"} ${count}`)
        .join(", ");
      const tokens = split.tokens;
      return tokens === null
        ? `| ${name} | 0 | | | | |`
        : `| ${name} | ${split.examples} | ${strata} | ${tokens.min} / ${tokens.median} / ${tokens.p95} / ${tokens.max} | ${tokens.mean} | ${tokens.total} |`;
    }),
    "",
  ];
  return lines.join("\n");
}

function listed(items: readonly string[]): string {
  return items.length === 0 ? "" : `: ${items.join(", ")}`;
}
