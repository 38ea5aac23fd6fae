import { describe, expect, it } from "vitest";
import { SeededRandom } from "../stats/index.ts";
import {
  argmax,
  DEFAULT_OPTIMISER,
  type EpochReport,
  type LabelledRows,
  predictProbabilities,
  trainLogisticRegression,
} from "./logistic-regression.ts";
import { denseToSparse, type SparseVector } from "./sparse-vector.ts";

const CENTRES = [
  [2, 0, 0, 1, 0],
  [0, 2, 0, 0, 1],
  [0, 0, 2, 1, 1],
];

/** Three Gaussian-ish clusters in 5 dimensions, well apart: a linearly separable problem. */
function clusters(count: number, seed: number): LabelledRows & { rows: SparseVector[] } {
  const random = new SeededRandom(seed);
  const noise = () => (random.nextInt(2001) - 1000) / 1000;
  const rows: SparseVector[] = [];
  const labels: number[] = [];
  for (let index = 0; index < count; index++) {
    const label = index % 3;
    rows.push(denseToSparse(CENTRES[label].map((value) => value + 0.4 * noise())));
    labels.push(label);
  }
  return { rows, labels };
}

function accuracy(head: ReturnType<typeof trainLogisticRegression>["head"], data: LabelledRows): number {
  const correct = data.rows.filter(
    (row, index) => argmax(predictProbabilities(head, row)) === data.labels[index],
  );
  return correct.length / data.rows.length;
}

const options = { classCount: 3, dimensions: 5, config: DEFAULT_OPTIMISER, seed: 11 };

describe("trainLogisticRegression", () => {
  it("separates separable classes (≥ 0.95 on held-out data)", () => {
    const trained = trainLogisticRegression(clusters(240, 1), clusters(60, 2), options);
    expect(accuracy(trained.head, clusters(300, 3))).toBeGreaterThanOrEqual(0.95);
    expect(trained.validationAccuracy).toBeGreaterThanOrEqual(0.95);
  });

  it("gives bit-identical weights for the same data and seed, and other weights for another seed", () => {
    const first = trainLogisticRegression(clusters(120, 1), clusters(30, 2), options);
    const second = trainLogisticRegression(clusters(120, 1), clusters(30, 2), options);
    const otherSeed = trainLogisticRegression(clusters(120, 1), clusters(30, 2), { ...options, seed: 12 });
    const bits = (head: typeof first.head) => [
      ...head.weights.map((row) => Buffer.from(row.buffer).toString("hex")),
      Buffer.from(head.bias.buffer).toString("hex"),
    ];
    expect(bits(second.head)).toEqual(bits(first.head));
    expect(bits(otherSeed.head)).not.toEqual(bits(first.head));
  });

  it("keeps the best validation epoch and stops once patience runs out", () => {
    const reports: EpochReport[] = [];
    const config = { ...DEFAULT_OPTIMISER, maxEpochs: 200, patience: 3 };
    const trained = trainLogisticRegression(clusters(120, 1), clusters(30, 2), {
      ...options,
      config,
      onEpoch: (report) => reports.push(report),
    });
    expect(reports.length).toBe(trained.epochs);
    expect(trained.epochs).toBeLessThan(200);
    const best = reports.filter((report) => report.best).at(-1) as EpochReport;
    expect({
      epoch: trained.bestEpoch,
      accuracy: trained.validationAccuracy,
      loss: trained.validationLoss,
    }).toEqual({
      epoch: best.epoch,
      accuracy: best.validationAccuracy,
      loss: best.validationLoss,
    });
    expect(Math.max(...reports.map((report) => report.validationAccuracy ?? 0))).toBe(
      trained.validationAccuracy,
    );
  });

  it("runs every epoch and keeps the last weights without a validation slice", () => {
    const trained = trainLogisticRegression(clusters(60, 1), undefined, {
      ...options,
      config: { ...DEFAULT_OPTIMISER, maxEpochs: 4 },
    });
    expect({
      epochs: trained.epochs,
      bestEpoch: trained.bestEpoch,
      accuracy: trained.validationAccuracy,
    }).toEqual({
      epochs: 4,
      bestEpoch: 4,
      accuracy: null,
    });
  });

  it("shrinks the weights as the L2 strength grows", () => {
    const norm = (l2: number) => {
      const { head } = trainLogisticRegression(clusters(120, 1), undefined, {
        ...options,
        config: { ...DEFAULT_OPTIMISER, maxEpochs: 20, l2 },
      });
      return Math.hypot(...head.weights.flatMap((row) => [...row]));
    };
    expect(norm(3)).toBeLessThan(norm(0.01));
  });

  it("updates only the weights of features that occur (sparse rows)", () => {
    const rows = [0, 1, 0, 1].map((label) => ({
      indices: Int32Array.from([label]),
      values: Float64Array.from([1]),
    }));
    const { head } = trainLogisticRegression({ rows, labels: [0, 1, 0, 1] }, undefined, {
      classCount: 2,
      dimensions: 3,
      config: { ...DEFAULT_OPTIMISER, maxEpochs: 3, batchSize: 2 },
      seed: 1,
    });
    expect(head.weights.map((row) => row[2])).toEqual([0, 0]);
    expect(head.weights[0][0]).toBeGreaterThan(0);
  });
});

describe("predictProbabilities", () => {
  it("is the softmax of the logits", () => {
    const head = {
      weights: [Float64Array.from([1, 0]), Float64Array.from([0, 1])],
      bias: Float64Array.from([0, 0.5]),
    };
    const probabilities = predictProbabilities(head, denseToSparse([1, 2]));
    // logits 1 and 2.5: softmax = [1, e^1.5] / (1 + e^1.5)
    const expected = [1 / (1 + Math.exp(1.5)), Math.exp(1.5) / (1 + Math.exp(1.5))];
    expect(
      [...probabilities].map((value, index) => value - expected[index]).every((gap) => Math.abs(gap) < 1e-15),
    ).toBe(true);
  });
});
