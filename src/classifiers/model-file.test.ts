import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { InputError } from "../core/errors.ts";
import { LABELS, syntheticReports } from "./classifier.test-support.ts";
import { type ClassifierFile, readClassifierFile, roundForFile, serialiseClassifier } from "./model-file.ts";
import { prepareTrainingSet, trainTfidfClassifier } from "./train-classifier.ts";

const folder = mkdtempSync(join(tmpdir(), "clinval-model-file-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const trained = trainTfidfClassifier(
  prepareTrainingSet(
    { id: "r.jsonl", source: "r.jsonl", sha256: "0".repeat(64), cases: syntheticReports(30, 1) },
    { labels: LABELS, split: null },
  ),
  { seed: 1, optimiser: { maxEpochs: 2 }, now: () => new Date("2025-01-01T00:00:00.000Z") },
);

function written(name: string, content: string): string {
  const path = join(folder, name);
  writeFileSync(path, content);
  return path;
}

function problem(path: string): string {
  try {
    readClassifierFile(path);
  } catch (error) {
    if (error instanceof InputError) return error.describe();
    throw error;
  }
  throw new Error("expected an InputError");
}

describe("model files", () => {
  it("read back what was written, with the file's sha256", () => {
    const text = serialiseClassifier(trained);
    const path = written("model.json", text);
    expect(readClassifierFile(path)).toEqual({
      path,
      sha256: createHash("sha256").update(text).digest("hex"),
      file: trained,
    });
  });

  it("keep metadata readable: objects indented, lists of numbers or strings on one line", () => {
    const lines = serialiseClassifier(trained).split("\n");
    expect(lines.slice(0, 5)).toEqual([
      "{",
      '  "format": "clinval.classifier/v1",',
      '  "kind": "tfidf",',
      '  "labels": ["negative","routine","urgent"],',
      '  "training": {',
    ]);
    expect(lines.filter((line) => line.trimStart().startsWith('"terms": ['))).toHaveLength(2);
  });

  it("store numbers to 8 significant digits without negative zero", () => {
    expect([
      roundForFile(1 / 3),
      roundForFile(-123456.789012),
      roundForFile(-1e-320 * 0),
      roundForFile(2e-9),
    ]).toEqual([0.33333333, -123456.79, 0, 2e-9]);
  });

  it("refuse other files with the file and field named", () => {
    expect(problem(join(folder, "absent.json"))).toBe(
      `${join(folder, "absent.json")}: classifier model file not found`,
    );
    const report = written("report.json", JSON.stringify({ schema: "clinval.report/v1" }));
    expect(problem(report)).toBe(
      `${report}: format: not a classifier model file: format is null, expected "clinval.classifier/v1" (train one with \`clinval train\`)`,
    );
    const broken = written("broken.json", "{");
    expect(problem(broken)).toMatch(/^.*broken\.json: not a classifier model file \(invalid JSON: /);
  });

  it("refuse a head that does not fit the features", () => {
    const short: ClassifierFile = {
      ...trained,
      head: {
        ...trained.head,
        weights: [trained.head.weights[0].slice(1), ...trained.head.weights.slice(1)],
      },
    };
    const path = written("short.json", serialiseClassifier(short));
    const dimensions = trained.head.weights[0].length;
    expect(problem(path)).toBe(
      `${path}: head.weights.0: ${dimensions - 1} weights for ${dimensions} features`,
    );
  });
});
