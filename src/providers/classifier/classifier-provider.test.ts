import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { thrownInputError } from "../../../test/support/thrown-input-error.ts";
import {
  FakeEmbedder,
  LABELS,
  startFakeEmbeddingServer,
  syntheticReports,
} from "../../classifiers/classifier.test-support.ts";
import { serialiseClassifier } from "../../classifiers/model-file.ts";
import {
  prepareTrainingSet,
  type TrainingSet,
  trainProbeClassifier,
  trainTfidfClassifier,
} from "../../classifiers/train-classifier.ts";
import { modelSpecSchema } from "../../core/study-schema.ts";
import type { CompletionRequest } from "../provider.ts";
import { ProviderError } from "../provider.ts";
import { createClassifierProvider } from "./classifier-provider.ts";

const folder = mkdtempSync(join(tmpdir(), "clinval-classifier-provider-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const set: TrainingSet = prepareTrainingSet(
  { id: "r.jsonl", source: "r.jsonl", sha256: "0".repeat(64), cases: syntheticReports(90, 1) },
  { labels: LABELS, split: null },
);
const tfidfPath = join(folder, "tfidf.json");
writeFileSync(tfidfPath, serialiseClassifier(trainTfidfClassifier(set, { seed: 1 })));

const URGENT =
  "FINDINGS: Free intraperitoneal air consistent with perforation. IMPRESSION: Free intraperitoneal air.";

function spec(model: string, fields: Record<string, unknown> = {}) {
  return modelSpecSchema.parse({ id: "classifier", provider: "classifier", model, ...fields });
}

function request(input: string | undefined): CompletionRequest {
  return {
    messages: [{ role: "user", content: "ignored" }],
    params: {},
    input,
    signal: new AbortController().signal,
  };
}

describe("classifier provider", () => {
  it("classifies the case text and answers a label with probabilities, as a completion", async () => {
    const provider = createClassifierProvider(spec(tfidfPath), { labels: LABELS });
    const completion = await provider.complete(request(URGENT));
    const answer = JSON.parse(completion.text) as { label: string; probabilities: Record<string, number> };
    const { text, latencyMs, ...rest } = completion;
    expect(rest).toEqual({
      reasoning: null,
      finishReason: "stop",
      tokens: { prompt: null, completion: null, reasoning: null },
      model: {
        provider: "classifier",
        model: "tfidf.json",
        digest: createHash("sha256").update(readFileSync(tfidfPath)).digest("hex"),
      },
    });
    expect(answer.label).toBe("urgent");
    expect(Object.keys(answer.probabilities)).toEqual(LABELS);
    expect(answer.probabilities.urgent).toBeGreaterThan(0.5);
    expect(latencyMs).toBeGreaterThanOrEqual(0);
    expect(await provider.identify(new AbortController().signal)).toEqual(completion.model);
    await provider.close();
  });

  it("accepts the study's label set in another order", () => {
    expect(() =>
      createClassifierProvider(spec(tfidfPath), { labels: ["urgent", "negative", "routine"] }),
    ).not.toThrow();
  });

  it("refuses a model file trained on another label set, naming the file and both sets", () => {
    const error = thrownInputError(() =>
      createClassifierProvider(spec(tfidfPath), { labels: ["normal", "abnormal"] }),
    );
    expect({ code: error.code, text: error.describe() }).toEqual({
      code: "label-set-mismatch",
      text:
        `${tfidfPath}: labels: the classifier tfidf.json was trained on the labels negative, routine, urgent, ` +
        "but the study's labels are normal, abnormal; use a classifier trained on the study's label set (clinval train … --labels)",
    });
    expect(thrownInputError(() => createClassifierProvider(spec(tfidfPath), { labels: [] })).message).toMatch(
      /the study's labels are none \(a classifier needs a triage study with labels\)/,
    );
  });

  it("refuses a file that is not a classifier", () => {
    const path = join(folder, "not-a-model.json");
    writeFileSync(path, "{}");
    expect(thrownInputError(() => createClassifierProvider(spec(path), { labels: LABELS })).describe()).toBe(
      `${path}: format: not a classifier model file: format is null, expected "clinval.classifier/v1" (train one with \`clinval train\`)`,
    );
  });

  it("fails a request without the case text, without retries", async () => {
    const provider = createClassifierProvider(spec(tfidfPath), { labels: LABELS });
    const error = await provider.complete(request(undefined)).catch((rejection: unknown) => rejection);
    expect(error).toBeInstanceOf(ProviderError);
    expect({
      failure: (error as ProviderError).failure,
      retryable: (error as ProviderError).retryable,
    }).toEqual({
      failure: "model",
      retryable: false,
    });
  });
});

describe("probe classifier provider", () => {
  it("embeds concurrent cases together and classifies them", async () => {
    const path = join(folder, "probe.json");
    writeFileSync(
      path,
      serialiseClassifier(await trainProbeClassifier(set, { seed: 1, embedder: new FakeEmbedder() })),
    );
    const embedder = new FakeEmbedder(8);
    const provider = createClassifierProvider(spec(path), { labels: LABELS, embedder });
    const cases = syntheticReports(6, 9);
    const completions = await Promise.all(cases.map((testCase) => provider.complete(request(testCase.text))));
    expect(completions.map((completion) => (JSON.parse(completion.text) as { label: string }).label)).toEqual(
      cases.map((testCase) => testCase.label),
    );
    expect(embedder.calls).toEqual([cases.map((testCase) => testCase.text)]);
    await provider.close();
    expect(embedder.closed).toBe(true);
  });

  it("reaches the file's Ollama embedder at the study's baseUrl", async () => {
    const server = await startFakeEmbeddingServer({ digest: "fake-digest" });
    try {
      const path = join(folder, "probe-ollama.json");
      writeFileSync(
        path,
        serialiseClassifier(await trainProbeClassifier(set, { seed: 1, embedder: new FakeEmbedder() })),
      );
      const provider = createClassifierProvider(spec(path, { baseUrl: server.origin }), { labels: LABELS });
      const completion = await provider.complete(request(URGENT));
      expect((JSON.parse(completion.text) as { label: string }).label).toBe("urgent");
      expect(server.requests.map(({ method, path: route }) => `${method} ${route}`)).toEqual([
        "GET /api/tags",
        "POST /api/embed",
      ]);
      await provider.close();
    } finally {
      await server.close();
    }
  });

  it("refuses an embedder whose weights differ from those the probe was trained on", async () => {
    const path = join(folder, "probe-digest.json");
    writeFileSync(
      path,
      serialiseClassifier(await trainProbeClassifier(set, { seed: 1, embedder: new FakeEmbedder() })),
    );
    const other = new FakeEmbedder(8, { name: "fake:other", digest: "other-digest" });
    const provider = createClassifierProvider(spec(path), { labels: LABELS, embedder: other });
    const error = await provider.complete(request(URGENT)).catch((rejection: unknown) => rejection);
    expect(error).toBeInstanceOf(ProviderError);
    expect({ failure: (error as ProviderError).failure, message: (error as ProviderError).message }).toEqual({
      failure: "model",
      message:
        "the embedder's weights (digest other-digest) are not those the probe was trained on (fake-digest)",
    });
    expect(other.calls).toEqual([]);
  });
});
