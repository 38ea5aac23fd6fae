import { InputError } from "../core/errors.ts";

/** A count of cases: a finite, non-negative, safe integer. */
export function requireCount(value: number, field: string): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InputError(`must be a non-negative integer, got ${String(value)}`, { field });
  }
  return value;
}

/** A confidence level strictly between 0 and 1. */
export function requireLevel(value: number, field = "level"): number {
  if (!Number.isFinite(value) || value <= 0 || value >= 1) {
    throw new InputError(`must be a number strictly between 0 and 1, got ${String(value)}`, { field });
  }
  return value;
}

/** A probability in [0, 1]. */
export function requireProbability(value: number, field: string): number {
  if (!Number.isFinite(value) || value < 0 || value > 1) {
    throw new InputError(`must be a number between 0 and 1, got ${String(value)}`, { field });
  }
  return value;
}

/** A value that must be one of a fixed set of names (methods, weightings). */
export function requireChoice<Choice extends string>(
  value: string,
  choices: readonly Choice[],
  field: string,
): Choice {
  if (!(choices as readonly string[]).includes(value)) {
    throw new InputError(`must be one of ${choices.join(", ")}, got ${JSON.stringify(value)}`, { field });
  }
  return value as Choice;
}
