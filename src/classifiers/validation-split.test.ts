import { describe, expect, it } from "vitest";
import { stratifiedSplit } from "./validation-split.ts";

const LABELS = [...Array(20).fill(0), ...Array(10).fill(1), 2, 2, 3];

describe("stratifiedSplit", () => {
  it("holds out the same share of each class, at least one from classes of two or more, never a whole class", () => {
    const split = stratifiedSplit(LABELS, 0.2, 5);
    const held = (label: number) => split.validation.filter((position) => LABELS[position] === label).length;
    expect([held(0), held(1), held(2), held(3)]).toEqual([4, 2, 1, 0]);
    expect([...split.train, ...split.validation].sort((a, b) => a - b)).toEqual(
      LABELS.map((_, index) => index),
    );
    expect(split.validation).toEqual([...split.validation].sort((a, b) => a - b));
  });

  it("is the same for the same seed and differs for another", () => {
    expect(stratifiedSplit(LABELS, 0.2, 5)).toEqual(stratifiedSplit(LABELS, 0.2, 5));
    expect(stratifiedSplit(LABELS, 0.2, 6).validation).not.toEqual(
      stratifiedSplit(LABELS, 0.2, 5).validation,
    );
  });

  it("holds out nothing with a fraction of 0", () => {
    expect(stratifiedSplit([0, 0, 1, 1], 0, 1)).toEqual({ train: [0, 1, 2, 3], validation: [] });
  });
});
