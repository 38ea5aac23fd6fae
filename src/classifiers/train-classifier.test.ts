import { describe, expect, it } from "vitest";
import { thrownInputError } from "../../test/support/thrown-input-error.ts";
import type { Suite } from "../core/case.ts";
import { InputErrors } from "../core/errors.ts";
import { FakeEmbedder, LABELS, type SyntheticReport, syntheticReports } from "./classifier.test-support.ts";
import { createTextClassifier } from "./classifier.ts";
import { MemoryEmbeddingCache } from "./embedding-cache.ts";
import { CLASSIFIER_FORMAT, serialiseClassifier } from "./model-file.ts";
import {
  clinvalVersion,
  prepareTrainingSet,
  trainProbeClassifier,
  trainTfidfClassifier,
} from "./train-classifier.ts";

const signal = new AbortController().signal;
const now = () => new Date("2025-03-01T12:00:00.000Z");

function suite(cases: SyntheticReport[]): Suite {
  return { id: "reports.jsonl", source: "cases/reports.jsonl", sha256: "f".repeat(64), cases };
}

function trainingSet(cases: SyntheticReport[]) {
  return prepareTrainingSet(suite(cases), { labels: LABELS, split: "train" });
}

async function accuracyOf(classifier: ReturnType<typeof createTextClassifier>, cases: SyntheticReport[]) {
  const results = await classifier.classify(
    cases.map((testCase) => testCase.text),
    signal,
  );
  return results.filter((result, index) => result.label === cases[index].label).length / cases.length;
}

describe("prepareTrainingSet", () => {
  const base = syntheticReports(6, 1);

  it("keeps id, text and label and records where the cases came from", () => {
    expect(
      prepareTrainingSet(suite(base), { labels: LABELS, split: null, fields: { text: "report" } }),
    ).toEqual({
      suite: { id: "reports.jsonl", source: "cases/reports.jsonl", sha256: "f".repeat(64) },
      split: null,
      fields: { text: "report" },
      labels: LABELS,
      cases: base.map(({ id, text, label }) => ({ id, text, label })),
    });
  });

  it("names the case whose label is not in the label set", () => {
    const cases = [...base, { id: "odd", text: "CT head: normal.", label: "critical" }];
    expect(thrownInputError(() => trainingSet(cases)).describe()).toBe(
      'cases/reports.jsonl: label: case "odd": label "critical" is not one of negative, routine, urgent ' +
        "(give the label set with --labels, least to most severe)",
    );
  });

  it("refuses a label set with a class that has no training case", () => {
    const error = thrownInputError(() => trainingSet(base.filter((testCase) => testCase.label !== "urgent")));
    expect({ code: error.code, text: error.describe() }).toEqual({
      code: "missing-class",
      text: 'cases/reports.jsonl: label: label "urgent" has no case in split "train": a classifier cannot learn a class it never sees',
    });
  });

  it("refuses a report text without words, and lists every problem at once", () => {
    const cases = [
      ...base,
      { id: "dash", text: " -- ", label: "routine" },
      { id: "x", text: "ok", label: "bad" },
    ];
    const error = thrownInputError(() => trainingSet(cases));
    expect(error).toBeInstanceOf(InputErrors);
    expect(error.describe()).toBe(
      [
        'cases/reports.jsonl: text: case "dash": the report text has no words',
        'cases/reports.jsonl: label: case "x": label "bad" is not one of negative, routine, urgent (give the label set with --labels, least to most severe)',
      ].join("\n"),
    );
  });

  it("refuses an empty split and a bad label set", () => {
    expect(thrownInputError(() => trainingSet([])).describe()).toBe(
      'cases/reports.jsonl: split: no cases to train on in split "train"',
    );
    expect(
      thrownInputError(() => prepareTrainingSet(suite(base), { labels: ["a"], split: null })).describe(),
    ).toBe("--labels: needs at least two labels, got 1");
    expect(
      thrownInputError(() =>
        prepareTrainingSet(suite(base), { labels: ["a", "b", "a"], split: null }),
      ).describe(),
    ).toBe('--labels: label "a" is given twice');
  });
});

describe("trainTfidfClassifier", () => {
  const training = syntheticReports(150, 1);
  const heldOut = syntheticReports(90, 2);

  it("classifies held-out reports and records how it was trained", async () => {
    const file = trainTfidfClassifier(trainingSet(training), { seed: 3, now });
    expect(
      await accuracyOf(createTextClassifier(file, { modelDirectory: "." }), heldOut),
    ).toBeGreaterThanOrEqual(0.95);
    const { optimiser, epochs, bestEpoch, validationAccuracy, validationLoss, ...record } = file.training;
    expect({ format: file.format, kind: file.kind, labels: file.labels, ...record }).toEqual({
      format: CLASSIFIER_FORMAT,
      kind: "tfidf",
      labels: LABELS,
      suite: { id: "reports.jsonl", source: "cases/reports.jsonl", sha256: "f".repeat(64) },
      split: "train",
      fields: null,
      counts: { negative: 50, routine: 50, urgent: 50 },
      fittingCases: 126,
      validationCases: 24,
      seed: 3,
      createdAt: "2025-03-01T12:00:00.000Z",
      clinvalVersion: clinvalVersion(),
    });
    expect(optimiser.method).toBe("mini-batch Adam, decoupled weight decay, early stopping");
    expect(bestEpoch).toBeLessThanOrEqual(epochs);
    expect(validationAccuracy).toBeGreaterThanOrEqual(0.95);
    expect(validationLoss).toBeGreaterThan(0);
  });

  it("writes byte-identical files for the same cases and seed, and other weights for another seed", () => {
    const first = serialiseClassifier(trainTfidfClassifier(trainingSet(training), { seed: 3, now }));
    const second = serialiseClassifier(trainTfidfClassifier(trainingSet(training), { seed: 3, now }));
    const otherSeed = trainTfidfClassifier(trainingSet(training), { seed: 4, now });
    expect(second).toBe(first);
    expect(JSON.stringify(otherSeed.head)).not.toBe(JSON.stringify(JSON.parse(first).head));
  });
});

describe("trainProbeClassifier", () => {
  const training = syntheticReports(150, 1);
  const heldOut = syntheticReports(90, 2);

  it("reaches ≥ 0.95 on held-out reports with an embedder that separates the classes", async () => {
    const embedder = new FakeEmbedder();
    const file = await trainProbeClassifier(trainingSet(training), { seed: 3, embedder, now });
    expect(
      await accuracyOf(createTextClassifier(file, { modelDirectory: ".", embedder }), heldOut),
    ).toBeGreaterThanOrEqual(0.95);
    expect(file.features.kind === "embedding" && file.features).toMatchObject({
      embedder: { kind: "ollama", model: "fake-embed", baseUrl: "http://127.0.0.1:9" },
      embedderIdentity: { name: "fake:embed", digest: "fake-digest" },
      dimensions: 12,
    });
  });

  it("embeds each text once through the cache and trains the same weights from cached vectors", async () => {
    const cache = new MemoryEmbeddingCache();
    const fresh = new FakeEmbedder(64);
    const first = await trainProbeClassifier(trainingSet(training), { seed: 3, embedder: fresh, cache, now });
    expect(fresh.calls.flat().length).toBe(new Set(training.map((testCase) => testCase.text)).size);

    const cached = new FakeEmbedder(64);
    const second = await trainProbeClassifier(trainingSet(training), {
      seed: 3,
      embedder: cached,
      cache,
      now,
    });
    expect(cached.calls).toEqual([]);
    expect(serialiseClassifier(second)).toBe(serialiseClassifier(first));
  });
});
