import { mkdir, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import type { Command } from "commander";
import {
  createEmbedder,
  describeEmbedder,
  type Embedder,
  parseEmbedder,
} from "../../classifiers/embedders.ts";
import { type EmbeddingCache, MemoryEmbeddingCache } from "../../classifiers/embedding-cache.ts";
import { openEmbeddingCache } from "../../classifiers/libsql-embedding-cache.ts";
import type { EpochReport } from "../../classifiers/logistic-regression.ts";
import { type ClassifierFile, featureDimensions, serialiseClassifier } from "../../classifiers/model-file.ts";
import {
  prepareTrainingSet,
  type TrainingSet,
  trainProbeClassifier,
  trainTfidfClassifier,
} from "../../classifiers/train-classifier.ts";
import { ClinvalError, InputError, InputErrors } from "../../core/errors.ts";
import { DEFAULT_TRIAGE_LABELS } from "../../core/study.ts";
import { ProviderError } from "../../providers/provider.ts";
import { caseFileOrBuiltinSuite } from "../../suites/builtin-suites.ts";
import { readCaseFile } from "../../suites/load-case-file.ts";
import { parseFieldMapping, parseList, parsePositiveInteger, storePath } from "../options.ts";

interface CommonOptions {
  suite: string;
  fields?: string;
  split?: string;
  labels?: string;
  seed: number;
  maxEpochs?: number;
  out: string;
  json?: boolean;
}

interface ProbeOptions extends CommonOptions {
  embedder: string;
  baseUrl?: string;
  apiKeyEnv?: string;
  store?: string;
  cache: boolean;
}

const DEFAULT_SPLIT = "train";

export function register(program: Command): void {
  const train = program
    .command("train")
    .description(
      "train a report classifier on your own labelled cases, for use as a model in triage studies",
    );
  common(
    train
      .command("tfidf")
      .description(
        "TF-IDF word and character n-grams + multinomial logistic regression (the classical baseline)",
      ),
  ).action(async (options: CommonOptions) => {
    const started = performance.now();
    const set = await loadTrainingSet(options);
    const file = trainTfidfClassifier(set, {
      seed: options.seed,
      optimiser: optimiserOptions(options),
      onEpoch: writeEpoch,
    });
    const out = await writeModel(file, options.out);
    const blocks =
      file.features.kind === "tfidf"
        ? ` (${file.features.word.terms.length} word n-grams, ${file.features.char.terms.length} character n-grams)`
        : "";
    writeSummary(file, set, out, performance.now() - started, options.json, [
      `features: ${featureDimensions(file.features)}${blocks}`,
    ]);
  });
  common(
    train
      .command("probe")
      .description(
        "embeddings from a local model (GGUF file, Ollama, OpenAI-compatible server) + logistic regression",
      )
      .requiredOption("--embedder <model>", "a GGUF file, ollama:MODEL or openai:MODEL")
      .option(
        "--base-url <url>",
        "embedding server URL (Ollama default http://127.0.0.1:11434, OpenAI-compatible http://127.0.0.1:8000/v1)",
      )
      .option("--api-key-env <name>", "environment variable holding the server's API key")
      .option(
        "--store <file>",
        "store that caches the embeddings (default .clinval/clinval.db or $CLINVAL_HOME)",
      )
      .option("--no-cache", "do not read or write cached embeddings"),
  ).action(async (options: ProbeOptions) => {
    const started = performance.now();
    const spec = parseEmbedder(options.embedder, { baseUrl: options.baseUrl, apiKeyEnv: options.apiKeyEnv });
    const set = await loadTrainingSet(options);
    const embedder = createEmbedder(spec);
    const out = resolve(options.out);
    let embedded = { total: 0, fromCache: 0 };
    let closeStore = () => {};
    try {
      let cache: EmbeddingCache = new MemoryEmbeddingCache();
      if (options.cache) {
        const identity = await embedderCall(embedder, () => embedder.identify(new AbortController().signal));
        const opened = await openEmbeddingCache(storePath(options.store), identity.name);
        cache = opened.cache;
        closeStore = opened.close;
      }
      process.stderr.write(`embedding ${set.cases.length} texts with ${describeEmbedder(spec)}\n`);
      const file = await embedderCall(embedder, () =>
        trainProbeClassifier(set, {
          seed: options.seed,
          embedder,
          cache,
          modelDirectory: dirname(out),
          optimiser: optimiserOptions(options),
          onEpoch: writeEpoch,
          onEmbedProgress: (done, total, fromCache) => {
            embedded = { total, fromCache };
            process.stderr.write(`embedded ${done}/${total} distinct texts (${fromCache} from the cache)\n`);
          },
        }),
      );
      await writeModel(file, out);
      writeSummary(file, set, out, performance.now() - started, options.json, [
        `embedder: ${describeEmbedder(spec)}, ${featureDimensions(file.features)} dimensions; ${embedded.total} distinct texts, ${embedded.fromCache} from the cache`,
      ]);
    } finally {
      closeStore();
      await embedder.close();
    }
  });
}

function common(command: Command): Command {
  return command
    .requiredOption(
      "--suite <file|id>",
      "labelled cases (.jsonl, .csv, .yaml) or a built-in suite id such as ct-triage",
    )
    .option(
      "--fields <mapping>",
      "map clinval fields onto your columns, e.g. text=report_text,label=severity",
    )
    .option(
      "--split <split>",
      `train on the cases of this split (default: "${DEFAULT_SPLIT}" when the cases have a split field, else all)`,
    )
    .option(
      "--labels <labels>",
      `the label set, least to most severe (default ${DEFAULT_TRIAGE_LABELS.join(",")})`,
    )
    .option("--seed <n>", "seed for the validation slice and the batch order", parseSeed, 1)
    .option(
      "--max-epochs <n>",
      "most passes over the training cases (default 60)",
      parsePositiveInteger("--max-epochs"),
    )
    .requiredOption("--out <file>", "model file to write (JSON)")
    .option("--json", "print the outcome as JSON (file, suite, split, counts, validation, seed, seconds)");
}

function parseSeed(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value))
    throw new InputError(`must be a whole number, not "${text}"`, { field: "--seed" });
  return value;
}

function optimiserOptions(options: CommonOptions): { maxEpochs?: number } {
  return options.maxEpochs === undefined ? {} : { maxEpochs: options.maxEpochs };
}

async function loadTrainingSet(options: CommonOptions): Promise<TrainingSet> {
  const { path, id } = caseFileOrBuiltinSuite(options.suite);
  const fields = parseFieldMapping(options.fields);
  const labels = parseList(options.labels) ?? DEFAULT_TRIAGE_LABELS;
  const { suite, problems, lines } = await readCaseFile(path, {
    requiredFields: ["text", "label"],
    fields,
    split: options.split,
    id,
  });
  if (problems.length > 0) throw problems.length === 1 ? problems[0] : new InputErrors(problems);
  let split = options.split ?? null;
  if (split === null && suite.cases.some((testCase) => testCase.split !== undefined)) {
    split = DEFAULT_SPLIT;
    suite.cases = suite.cases.filter((testCase) => testCase.split === DEFAULT_SPLIT);
    process.stderr.write(
      `training on split "${DEFAULT_SPLIT}" (the cases have a split field; --split chooses another)\n`,
    );
  }
  return prepareTrainingSet(suite, { labels, split, fields, lines });
}

/** Runs an embedder call; a backend failure ends the command with its message (exit 1), not a stack trace. */
async function embedderCall<T>(embedder: Embedder, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof ProviderError) {
      throw new ClinvalError(
        "embedding-failed",
        `embedding with ${describeEmbedder(embedder.spec)} failed: ${error.message}`,
      );
    }
    throw error;
  }
}

function writeEpoch(report: EpochReport): void {
  const width = String(report.maxEpochs).length;
  const validation =
    report.validationAccuracy === null
      ? "no validation slice"
      : `validation accuracy ${report.validationAccuracy.toFixed(4)} loss ${(report.validationLoss ?? 0).toFixed(4)}`;
  process.stderr.write(
    `epoch ${String(report.epoch).padStart(width)}/${report.maxEpochs}  loss ${report.loss.toFixed(4)}  ${validation}${report.best ? "  *" : ""}\n`,
  );
}

async function writeModel(file: ClassifierFile, out: string): Promise<string> {
  const path = resolve(out);
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, serialiseClassifier(file));
  } catch (error) {
    throw new InputError(`cannot write the model file: ${(error as Error).message}`, {
      file: path,
      field: "--out",
    });
  }
  return path;
}

function writeSummary(
  file: ClassifierFile,
  set: TrainingSet,
  out: string,
  milliseconds: number,
  json: boolean | undefined,
  extra: string[],
): void {
  const { training } = file;
  if (json) {
    const summary = {
      kind: file.kind,
      file: out,
      suite: set.suite.id,
      split: set.split,
      cases: set.cases.length,
      counts: training.counts,
      validation: {
        cases: training.validationCases,
        accuracy: training.validationAccuracy,
        bestEpoch: training.bestEpoch,
        epochs: training.epochs,
      },
      seed: training.seed,
      seconds: Math.round(milliseconds) / 1000,
    };
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    return;
  }
  const counts = file.labels.map((label) => `${label} ${training.counts[label]}`).join(", ");
  const validation =
    training.validationAccuracy === null
      ? `no validation slice; kept the last of ${training.epochs} epochs`
      : `${training.validationCases} cases, accuracy ${training.validationAccuracy.toFixed(4)} at epoch ${training.bestEpoch} of ${training.epochs}`;
  const lines = [
    `trained ${file.kind} classifier on ${set.cases.length} cases of ${set.suite.id}${set.split === null ? "" : ` (split ${set.split})`}: ${counts}`,
    ...extra,
    `validation: ${validation}`,
    `seed ${training.seed}, ${(milliseconds / 1000).toFixed(1)} s`,
    `written: ${out}`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}
