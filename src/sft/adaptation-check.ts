import { createHash } from "node:crypto";
import { createReadStream, existsSync } from "node:fs";
import { basename, join } from "node:path";
import { z } from "zod";
import type { Case } from "../core/case.ts";
import { InputError } from "../core/errors.ts";
import type { Adaptation, AdaptationTraining, Study } from "../core/study.ts";
import { readTextFile } from "../suites/read-text-file.ts";
import { DEFAULT_CONTAMINATION_OPTIONS, findContamination } from "./contamination.ts";
import { caseText, readTrainingTexts } from "./evaluation-texts.ts";

/** The parts of a data card (`clinval sft prepare`) the report cites. */
const dataCardSchema = z.looseObject({
  schema: z.literal("clinval.sft-data-card/v1"),
  format: z.string(),
  reasoningStyle: z.string(),
  seed: z.number(),
  sources: z.array(
    z.looseObject({
      kind: z.string(),
      name: z.string(),
      licence: z.string(),
      records: z.number(),
      sha256: z.string(),
    }),
  ),
  filters: z.looseObject({
    maxTokens: z.number().nullable(),
    droppedOverLength: z.array(z.unknown()),
    truncated: z.array(z.unknown()),
    excluded: z.array(z.unknown()),
  }),
  splits: z.object({
    train: z.looseObject({ examples: z.number() }),
    validation: z.looseObject({ examples: z.number() }),
  }),
});

const TRAINING_FILES = ["train.jsonl", "validation.jsonl"];

/**
 * Fills in each adaptation's training record before a run starts: the data card of its `trainingData`
 * folder, and the contamination check of that folder's training files against the cases the run evaluates
 * (`clinval sft check`'s measures and default thresholds). A LoRA file's SHA-256 is recorded too.
 */
export async function checkAdaptations(study: Study, cases: readonly Case[]): Promise<Study> {
  if (!study.adaptations) return study;
  const adaptations: Adaptation[] = [];
  for (const adaptation of study.adaptations) {
    const base = study.models.find((model) => model.id === adaptation.base);
    adaptations.push({
      ...adaptation,
      ...(base?.provider === "llama-cpp" ? { adapterSha256: await fileSha256(adaptation.adapter) } : {}),
      ...(adaptation.trainingData === undefined
        ? {}
        : { training: await describeTraining(adaptation.trainingData, study.suite.id ?? "suite", cases) }),
    });
  }
  return { ...study, adaptations };
}

async function describeTraining(
  folder: string,
  suiteId: string,
  cases: readonly Case[],
): Promise<AdaptationTraining> {
  const cardPath = join(folder, "data-card.json");
  const cardFile = await readTextFile(cardPath, "data card (from `clinval sft prepare`)");
  let value: unknown;
  try {
    value = JSON.parse(cardFile.text);
  } catch (error) {
    throw new InputError(`invalid JSON: ${(error as Error).message}`, { file: cardPath }, "invalid-json");
  }
  const parsed = dataCardSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(issue.message, { file: cardPath, field: issue.path.join(".") }, "invalid-data-card");
  }
  const card = parsed.data;
  const training = [];
  for (const name of TRAINING_FILES) {
    const path = join(folder, name);
    if (!existsSync(path)) {
      throw new InputError(`no ${name} beside the data card: give the folder \`clinval sft prepare\` wrote`, {
        file: path,
      });
    }
    training.push(
      ...(await readTrainingTexts(path)).map((text) => ({
        ...text,
        origin: `${name}:${text.origin.slice(path.length + 1)}`,
      })),
    );
  }
  const texts = cases.flatMap((testCase) => {
    const text = caseText(testCase);
    return text === undefined ? [] : [{ suite: suiteId, caseId: testCase.id, text }];
  });
  const options = DEFAULT_CONTAMINATION_OPTIONS;
  const pairs = findContamination(texts, training, options);
  return {
    dataCard: {
      sha256: createHash("sha256").update(cardFile.text).digest("hex"),
      format: card.format,
      reasoningStyle: card.reasoningStyle,
      seed: card.seed,
      sources: card.sources.map((source) => ({
        kind: source.kind,
        // A file by its name only: the report carries no local paths.
        name: source.kind.endsWith("-suite") ? source.name : basename(source.name),
        licence: source.licence,
        records: source.records,
        sha256: source.sha256,
      })),
      trainExamples: card.splits.train.examples,
      validationExamples: card.splits.validation.examples,
      filters: {
        maxTokens: card.filters.maxTokens,
        droppedOverLength: card.filters.droppedOverLength.length,
        truncated: card.filters.truncated.length,
        excluded: card.filters.excluded.length,
      },
    },
    contamination: {
      trainingExamples: training.length,
      cases: texts.length,
      contaminatedCases: new Set(pairs.map((pair) => pair.caseId)).size,
      ngram: options.ngram,
      ngramThreshold: options.ngramThreshold,
      similarityThreshold: options.similarityThreshold,
      pairs: pairs.map((pair) => ({ caseId: pair.caseId, origin: pair.origin, kinds: [...pair.kinds] })),
    },
  };
}

async function fileSha256(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}
