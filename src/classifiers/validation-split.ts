import { SeededRandom } from "../stats/index.ts";

export interface TrainValidationSplit {
  /** Positions (into the labels given) used for fitting, ascending. */
  train: number[];
  /** Positions held out for early stopping, ascending. */
  validation: number[];
}

/**
 * A seeded stratified hold-out: from each class, `round(fraction · n)` cases (at least one when the
 * class has two or more, never all of them) go to validation. Same labels and seed, same split.
 */
export function stratifiedSplit(
  labels: readonly number[],
  fraction: number,
  seed: number,
): TrainValidationSplit {
  const random = new SeededRandom(seed);
  const byClass = new Map<number, number[]>();
  labels.forEach((label, position) => {
    const members = byClass.get(label);
    if (members) members.push(position);
    else byClass.set(label, [position]);
  });
  const validation: number[] = [];
  for (const label of [...byClass.keys()].sort((a, b) => a - b)) {
    const members = byClass.get(label) as number[];
    shuffle(members, random);
    const held =
      fraction <= 0 || members.length < 2
        ? 0
        : Math.min(members.length - 1, Math.max(1, Math.round(fraction * members.length)));
    validation.push(...members.slice(0, held));
  }
  const held = new Set(validation);
  return {
    train: labels.map((_, position) => position).filter((position) => !held.has(position)),
    validation: validation.sort((a, b) => a - b),
  };
}

/** Fisher–Yates shuffle in place with the seeded generator. */
export function shuffle<T>(items: T[], random: SeededRandom): T[] {
  for (let index = items.length - 1; index > 0; index--) {
    const other = random.nextInt(index + 1);
    [items[index], items[other]] = [items[other], items[index]];
  }
  return items;
}
