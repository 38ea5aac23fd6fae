import { expect } from "vitest";

/**
 * An asymmetric matcher for `toEqual`: a number within `tolerance` of `expected`, relative to
 * |expected| (absolute when expected is 0).
 */
export function closeTo(expected: number, tolerance = 1e-12) {
  return expect.toSatisfy((actual: unknown) => {
    if (typeof actual !== "number" || !Number.isFinite(actual)) return false;
    const scale = expected === 0 ? 1 : Math.abs(expected);
    return Math.abs(actual - expected) <= tolerance * scale;
  }, `a number within ${tolerance} (relative) of ${expected}`);
}

/** The error `action` throws; fails the test when it throws nothing. */
export function thrownBy(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to throw");
}
