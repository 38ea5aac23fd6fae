import { describe, expect, it } from "vitest";
import { backoffDelay, sleep } from "./backoff.ts";

describe("backoffDelay", () => {
  it("doubles the ceiling with each retry, from 500 ms, with full jitter", () => {
    expect([1, 2, 3, 4].map((retry) => backoffDelay(retry, () => 0.999))).toEqual([499, 999, 1998, 3996]);
    expect(backoffDelay(3, () => 0)).toBe(0);
    expect(backoffDelay(3, () => 0.5)).toBe(1000);
  });

  it("never waits longer than 30 s", () => {
    expect(backoffDelay(7, () => 0.999)).toBe(29_970);
    expect(backoffDelay(20, () => 0.5)).toBe(15_000);
  });
});

describe("sleep", () => {
  it("ends early, without an error, when the signal aborts", async () => {
    const controller = new AbortController();
    const waiting = sleep(60_000, controller.signal);
    controller.abort();
    await expect(waiting).resolves.toBeUndefined();
    await expect(sleep(60_000, AbortSignal.abort())).resolves.toBeUndefined();
  });
});
