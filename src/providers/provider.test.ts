import { describe, expect, it } from "vitest";
import { ProviderError, parseRetryAfter } from "./provider.ts";

describe("parseRetryAfter", () => {
  const now = Date.parse("2026-11-22T10:00:00Z");
  it.each([
    ["120", 120_000],
    [" 0 ", 0],
    ["Sun, 22 Nov 2026 10:00:30 GMT", 30_000],
    ["Sun, 22 Nov 2026 09:59:00 GMT", 0],
    ["soon", undefined],
    ["-5", undefined],
    ["", undefined],
    [undefined, undefined],
  ])("%j → %j ms", (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });
});

describe("ProviderError", () => {
  it("is retryable for connection, timeout, malformed answers and 408/429/5xx only", () => {
    const retryable = [
      new ProviderError("connection", "x"),
      new ProviderError("timeout", "x"),
      new ProviderError("malformed", "x"),
      new ProviderError("http", "x", 408),
      new ProviderError("http", "x", 429),
      new ProviderError("http", "x", 503),
      new ProviderError("http", "x", 400),
      new ProviderError("model", "x"),
      new ProviderError("cancelled", "x"),
      new ProviderError("connection", "x", undefined, false),
    ].map((error) => error.retryable);
    expect(retryable).toEqual([true, true, true, true, true, true, false, false, false, false]);
  });
});
