import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { completionFor } from "../../test/support/runner-fakes.ts";
import type { JobResult } from "../runner/job-result.ts";
import type { RunSummary } from "../runner/run-study.ts";
import { createProgressObserver, formatDuration } from "./progress.ts";

class FakeStream {
  readonly chunks: string[] = [];
  constructor(
    readonly isTTY: boolean,
    readonly columns = 120,
  ) {}

  write(chunk: string | Uint8Array): boolean {
    this.chunks.push(String(chunk));
    return true;
  }

  /** What a terminal would show last on each line, without escape codes. */
  text(): string {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escape sequences
    return this.chunks.join("").replace(/\u001b\[[0-9;?]*[A-Za-z]|\u001b[78]/g, "");
  }
}

class Clock {
  ms = 0;
  now = () => this.ms;
}

function result(modelId: string, caseId: string, failed = false): JobResult {
  return {
    modelId,
    caseId,
    sample: 0,
    key: `${modelId}-${caseId}`,
    completion: failed ? null : completionFor("ok"),
    error: failed ? { failure: "http", message: "bad gateway", status: 502, attempts: 5 } : null,
    cached: false,
  };
}

const summary: RunSummary = { total: 7, done: 6, errors: 1, fromCache: 0, cancelled: false, complete: false };

describe("createProgressObserver without a terminal", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it("writes a line every interval for the model at work and one line per model as it ends", async () => {
    const stream = new FakeStream(false);
    const clock = new Clock();
    const progress = createProgressObserver(stream, { intervalMs: 5_000, now: clock.now });
    await progress.onRunStart?.({
      runId: "run",
      models: [
        { id: "r1-8b", total: 4, finished: 0 },
        { id: "llama31-8b", total: 3, finished: 0 },
      ],
    });
    clock.ms = 1_000;
    await progress.onJobEnd?.({ runId: "run", result: result("r1-8b", "c1") });
    clock.ms = 2_000;
    await progress.onJobEnd?.({ runId: "run", result: result("r1-8b", "c2", true) });
    clock.ms = 5_000;
    vi.advanceTimersByTime(5_000);
    vi.advanceTimersByTime(5_000);
    clock.ms = 6_000;
    await progress.onJobEnd?.({ runId: "run", result: result("r1-8b", "c3") });
    clock.ms = 8_000;
    await progress.onJobEnd?.({ runId: "run", result: result("r1-8b", "c4") });
    clock.ms = 10_000;
    await progress.onJobEnd?.({ runId: "run", result: result("llama31-8b", "c1") });
    clock.ms = 12_000;
    await progress.onJobEnd?.({ runId: "run", result: result("llama31-8b", "c2") });
    await progress.onRunEnd?.({ runId: "run", summary: { ...summary, cancelled: true } });
    vi.advanceTimersByTime(20_000);

    expect(stream.chunks).toEqual([
      "r1-8b: 1/4 done, 1 error, 0.4/s, ETA 5s\n",
      "r1-8b: 3/4 done, 1 error, 8s\n",
      "llama31-8b: 2/3 done, 0 errors, 4s (stopped, 1 not run)\n",
    ]);
  });

  it("counts the jobs finished before a resume", async () => {
    const stream = new FakeStream(false);
    const clock = new Clock();
    const progress = createProgressObserver(stream, { now: clock.now });
    await progress.onRunStart?.({
      runId: "run",
      models: [
        { id: "a", total: 3, finished: 3 },
        { id: "b", total: 3, finished: 2 },
      ],
    });
    clock.ms = 3_000;
    await progress.onJobEnd?.({ runId: "run", result: result("b", "c3") });
    await progress.onRunEnd?.({ runId: "run", summary });
    expect(stream.chunks).toEqual(["b: 3/3 done, 0 errors, 3s\n", "a: 3/3 done, 0 errors\n"]);
  });
});

describe("createProgressObserver on a terminal", () => {
  it("draws a bar per model with done/total, rate, time left and errors", async () => {
    const stream = new FakeStream(true);
    const clock = new Clock();
    const progress = createProgressObserver(stream, { now: clock.now });
    await progress.onRunStart?.({
      runId: "run",
      models: [
        { id: "r1-8b", total: 4, finished: 1 },
        { id: "llama31-8b", total: 2, finished: 0 },
      ],
    });
    clock.ms = 2_000;
    await progress.onJobEnd?.({ runId: "run", result: result("r1-8b", "c2") });
    clock.ms = 4_000;
    await progress.onJobEnd?.({ runId: "run", result: result("r1-8b", "c3", true) });
    await progress.onRunEnd?.({ runId: "run", summary });

    const lines = stream.text().split("\n");
    const bar = (filled: number) => `[${"=".repeat(filled)}${"-".repeat(30 - filled)}]`;
    expect(lines.filter((line) => line.startsWith("r1-8b")).at(-1)).toBe(
      `r1-8b      ${bar(23)} 3/4 | 0.5/s | ETA 2s | errors 1`,
    );
    expect(lines.filter((line) => line.startsWith("llama31-8b")).at(-1)).toBe(
      `llama31-8b ${bar(0)} 0/2 | –/s | ETA ? | errors 0`,
    );
  });
});

describe("formatDuration", () => {
  it("shows seconds, minutes or hours", () => {
    expect([0, 42.4, 185, 7_620].map(formatDuration)).toEqual(["0s", "42s", "3m 05s", "2h 07m"]);
  });
});
