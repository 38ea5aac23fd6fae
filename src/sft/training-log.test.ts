import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readTrainingLine, type TrainingProgress } from "./training-log.ts";

/**
 * The log of a real run: `trl sft` 1.9.0 (transformers 5.5.0, PEFT 0.21.2) training a LoRA adapter for 4 steps
 * on the CPU, evaluating every 2, on the tiny model of scripts/sft/create-tiny-llama.py (stdout and stderr as
 * `clinval sft launch` keeps them; the output folder shortened).
 */
const TRL_LOG = readFileSync(join(import.meta.dirname, "fixtures", "trl-1.9.0-cpu-train-log.txt"), "utf8");

function replay(log: string): TrainingProgress[] {
  const seen: TrainingProgress[] = [];
  let progress: TrainingProgress = {};
  for (const line of log.split(/\r\n|\r|\n/)) {
    const next = readTrainingLine(progress, line);
    if (next !== progress) seen.push(next);
    progress = next;
  }
  return seen;
}

describe("readTrainingLine on a real TRL log", () => {
  const seen = replay(TRL_LOG);

  it("follows only the training bar: not the dataset, weight-loading or nested evaluation bars", () => {
    expect(seen.filter((progress) => progress.totalSteps !== undefined).map((p) => p.totalSteps)).toEqual(
      seen.filter((progress) => progress.totalSteps !== undefined).map(() => 4),
    );
    const steps = seen.flatMap((progress) => (progress.step === undefined ? [] : [progress.step]));
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
    expect(steps.at(-1)).toBe(4);
  });

  it("reads every logged training and evaluation loss, as the metrics dictionary prints them (quoted)", () => {
    const losses = [
      ...new Set(seen.flatMap((progress) => (progress.loss === undefined ? [] : [progress.loss]))),
    ];
    expect(losses).toEqual([6.912, 6.902, 6.909, 6.907]);
    const evalLosses = [
      ...new Set(seen.flatMap((progress) => (progress.evalLoss === undefined ? [] : [progress.evalLoss]))),
    ];
    expect(evalLosses).toEqual([6.915, 6.914]);
    expect(seen.at(-1)).toEqual({
      step: 4,
      totalSteps: 4,
      secondsLeft: 0,
      loss: 6.907,
      learningRate: 0.0000125,
      evalLoss: 6.914,
      epoch: 2,
    });
  });
});
