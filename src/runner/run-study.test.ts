import { describe, expect, it } from "vitest";
import {
  caseIdOf,
  completionFor,
  FakeProvider,
  inlineTask,
  makeCases,
  makeStudy,
  waitOrAbort,
} from "../../test/support/runner-fakes.ts";
import type { Completion } from "../core/chat.ts";
import { ClinvalError } from "../core/errors.ts";
import type { Study } from "../core/study.ts";
import { type Provider, ProviderError } from "../providers/provider.ts";
import { cacheKey } from "./cache-key.ts";
import { jobId } from "./job-id.ts";
import type { JobResult } from "./job-result.ts";
import { type RunObserver, type RunStudyOptions, readAheadBatch, runStudy } from "./run-study.ts";

class MapCache {
  readonly entries = new Map<string, Completion>();
  readonly lookups: string[] = [];

  async get(key: string) {
    this.lookups.push(key);
    return this.entries.get(key);
  }
}

class RecordingObserver implements RunObserver {
  readonly events: Array<{ hook: string; event: unknown }> = [];
  readonly results: JobResult[] = [];

  onRunStart(event: unknown) {
    this.events.push({ hook: "onRunStart", event });
  }

  onJobEnd(event: { result: JobResult }) {
    this.results.push(event.result);
  }

  onRunEnd(event: unknown) {
    this.events.push({ hook: "onRunEnd", event });
  }
}

class RecordingSleep {
  readonly delays: number[] = [];
  sleep = async (ms: number) => {
    this.delays.push(ms);
  };
}

function keyFor(study: Study, modelId: string, caseId: string, text: string, sample = 0): string {
  const spec = study.models.find((model) => model.id === modelId);
  if (!spec) throw new Error(`no model ${modelId}`);
  return cacheKey({
    spec,
    messages: [{ role: "user", content: `${caseId}: ${text}` }],
    responseSchema: undefined,
    input: text,
    sample,
  });
}

function options(study: Study, providers: Record<string, Provider>, rest: Partial<RunStudyOptions> = {}) {
  return {
    runId: "run-1",
    study,
    cases: makeCases(3),
    task: inlineTask,
    providers: new Map(Object.entries(providers)),
    cache: new MapCache(),
    sleep: new RecordingSleep().sleep,
    random: () => 0.5,
    ...rest,
  } satisfies RunStudyOptions;
}

describe("runStudy", () => {
  it("cuts an answer longer than the study's cap before it is stored, and flags it", async () => {
    const study = makeStudy([{ id: "a", provider: "openai", model: "model-a" }], { maxAnswerChars: 1000 });
    const provider = new FakeProvider((request) =>
      completionFor("y".repeat(caseIdOf(request) === "case-0" ? 5000 : 10)),
    );
    const observer = new RecordingObserver();
    await runStudy(options(study, { a: provider }, { cases: makeCases(2), observers: [observer] }));
    expect(observer.results.map((result) => result.completion)).toEqual([
      { ...completionFor("y".repeat(1000)), clipped: { text: 5000 } },
      completionFor("y".repeat(10)),
    ]);
  });

  it("runs every model on every case and reports each result to the observers", async () => {
    const study = makeStudy(
      [
        { id: "a", provider: "openai", model: "model-a" },
        { id: "b", provider: "ollama", model: "model-b" },
      ],
      { parallel: false },
    );
    const a = new FakeProvider();
    const b = new FakeProvider();
    const observer = new RecordingObserver();

    const summary = await runStudy(options(study, { a, b }, { cases: makeCases(2), observers: [observer] }));

    expect(summary).toEqual({ total: 4, done: 4, errors: 0, fromCache: 0, cancelled: false, complete: true });
    expect(a.calledCases()).toEqual(["case-0", "case-1"]);
    expect(b.calledCases()).toEqual(["case-0", "case-1"]);
    expect(observer.results[0]).toEqual({
      modelId: "a",
      caseId: "case-0",
      sample: 0,
      key: keyFor(study, "a", "case-0", "vignette 0"),
      completion: completionFor("answer to case-0"),
      error: null,
      cached: false,
    });
    expect(observer.results.map((result) => jobId(result.modelId, result.caseId, result.sample))).toEqual([
      "a/0/case-0",
      "a/0/case-1",
      "b/0/case-0",
      "b/0/case-1",
    ]);
    expect(observer.events).toEqual([
      {
        hook: "onRunStart",
        event: {
          runId: "run-1",
          models: [
            { id: "a", total: 2, finished: 0 },
            { id: "b", total: 2, finished: 0 },
          ],
        },
      },
      { hook: "onRunEnd", event: { runId: "run-1", summary } },
    ]);
  });

  it("passes the model's parameters, the task's schema, the case text and a signal to the provider", async () => {
    const study = makeStudy([
      { id: "a", provider: "openai", model: "m", params: { temperature: 0, seed: 7 } },
    ]);
    const schema = { type: "object", properties: { diagnoses: { type: "array" } } };
    const provider = new FakeProvider();
    await runStudy(
      options(
        study,
        { a: provider },
        { cases: makeCases(1), task: { ...inlineTask, responseSchema: () => schema } },
      ),
    );
    const [call] = provider.calls;
    expect(call.request.params).toEqual({ temperature: 0, seed: 7 });
    expect(call.request.responseSchema).toEqual(schema);
    expect(call.request.messages).toEqual([{ role: "user", content: "case-0: vignette 0" }]);
    expect(call.request.input).toBe("vignette 0");
    expect(call.request.signal).toBeInstanceOf(AbortSignal);
  });

  it("keeps each model within its concurrency and runs the models one after another", async () => {
    const study = makeStudy([
      { id: "a", provider: "openai", model: "model-a", concurrency: 3 },
      { id: "b", provider: "openai", model: "model-b", concurrency: 1 },
    ]);
    const timeline: string[] = [];
    const slow = (name: string) =>
      new FakeProvider(
        async (request) => {
          await waitOrAbort(2, request.signal);
          return completionFor("ok");
        },
        (event) => timeline.push(`${name}:${event}`),
      );
    const a = slow("a");
    const b = slow("b");

    await runStudy(options(study, { a, b }, { cases: makeCases(12) }));

    expect(a.maxInFlight).toBe(3);
    expect(b.maxInFlight).toBe(1);
    expect(a.calls).toHaveLength(12);
    expect(b.calls).toHaveLength(12);
    const lastOfA = timeline.lastIndexOf("a:end");
    const firstOfB = timeline.indexOf("b:start");
    expect(lastOfA).toBeLessThan(firstOfB);
  });

  it("prepares jobs a bounded batch ahead: no more calls start than the concurrency allows", async () => {
    const study = makeStudy([{ id: "a", provider: "openai", model: "m", concurrency: 4 }]);
    const releases: Array<() => void> = [];
    const provider = new FakeProvider(
      (request) =>
        new Promise((resolve) => {
          releases.push(() => resolve(completionFor(request.messages[0].content)));
        }),
    );
    const promptedCases: string[] = [];
    const task = {
      ...inlineTask,
      prompt: (testCase: Parameters<typeof inlineTask.prompt>[0], ...rest: [Study, string?]) => {
        promptedCases.push(testCase.id);
        return inlineTask.prompt(testCase, ...rest);
      },
    };
    const running = runStudy(options(study, { a: provider }, { cases: makeCases(1000), task }));
    while (provider.calls.length < 4) await new Promise((resolve) => setImmediate(resolve));
    expect(promptedCases).toEqual(makeCases(readAheadBatch(4)).map((testCase) => testCase.id));
    for (let released = 0; released < 1000; released++) {
      while (releases.length === 0) await new Promise((resolve) => setImmediate(resolve));
      releases.shift()?.();
      expect(promptedCases.length - released).toBeLessThanOrEqual(1.5 * readAheadBatch(4));
    }
    expect((await running).done).toBe(1000);
    expect(provider.maxInFlight).toBe(4);
  });

  it("asks for every sample of a case with its own key", async () => {
    const study = makeStudy([{ id: "a", provider: "openai", model: "m" }], { samples: 2 });
    const observer = new RecordingObserver();
    const summary = await runStudy(
      options(study, { a: new FakeProvider() }, { cases: makeCases(2), observers: [observer] }),
    );
    expect(summary.total).toBe(4);
    expect(observer.results.map((result) => [result.caseId, result.sample, result.key])).toEqual([
      ["case-0", 0, keyFor(study, "a", "case-0", "vignette 0", 0)],
      ["case-0", 1, keyFor(study, "a", "case-0", "vignette 0", 1)],
      ["case-1", 0, keyFor(study, "a", "case-1", "vignette 1", 0)],
      ["case-1", 1, keyFor(study, "a", "case-1", "vignette 1", 1)],
    ]);
    expect(new Set(observer.results.map((result) => result.key)).size).toBe(4);
  });

  describe("retries", () => {
    const study = makeStudy([{ id: "a", provider: "openai", model: "m", retries: 3 }]);

    it("retries retryable failures with exponential backoff and full jitter, then succeeds", async () => {
      const sleeper = new RecordingSleep();
      const random = [0.5, 0.25, 0.999];
      const provider = new FakeProvider((_request, attempt) => {
        if (attempt === 1) throw new ProviderError("http", "service unavailable", 503);
        if (attempt === 2) throw new ProviderError("connection", "connection refused");
        if (attempt === 3) throw new ProviderError("malformed", "empty choice list");
        return completionFor("finally");
      });
      const observer = new RecordingObserver();
      const summary = await runStudy(
        options(
          study,
          { a: provider },
          {
            cases: makeCases(1),
            observers: [observer],
            sleep: sleeper.sleep,
            random: () => random.shift() ?? 0,
          },
        ),
      );
      expect(sleeper.delays).toEqual([250, 250, 1998]);
      expect(provider.calls.map((call) => call.attempt)).toEqual([1, 2, 3, 4]);
      expect(observer.results[0].completion).toEqual(completionFor("finally"));
      expect(summary).toEqual({
        total: 1,
        done: 1,
        errors: 0,
        fromCache: 0,
        cancelled: false,
        complete: true,
      });
    });

    it("records an error once the retries are exhausted", async () => {
      const sleeper = new RecordingSleep();
      const provider = new FakeProvider(() => {
        throw new ProviderError("http", "rate limited", 429);
      });
      const observer = new RecordingObserver();
      const summary = await runStudy(
        options(study, { a: provider }, { cases: makeCases(1), observers: [observer], sleep: sleeper.sleep }),
      );
      expect(sleeper.delays).toEqual([250, 500, 1000]);
      expect(observer.results).toEqual([
        {
          modelId: "a",
          caseId: "case-0",
          sample: 0,
          key: keyFor(study, "a", "case-0", "vignette 0"),
          completion: null,
          error: { failure: "http", message: "rate limited", status: 429, attempts: 4 },
          cached: false,
        },
      ]);
      expect(summary).toEqual({
        total: 1,
        done: 0,
        errors: 1,
        fromCache: 0,
        cancelled: false,
        complete: false,
      });
    });

    it("waits as long as a Retry-After asks when that is longer than the backoff, up to a minute", async () => {
      const sleeper = new RecordingSleep();
      const waits = [5_000, 100, 600_000];
      const provider = new FakeProvider(() => {
        throw new ProviderError("http", "rate limited", 429, undefined, waits.shift());
      });
      await runStudy(options(study, { a: provider }, { cases: makeCases(1), sleep: sleeper.sleep }));
      // Backoff alone would be 250, 500, 1000 (random 0.5, base 500 ms).
      expect(sleeper.delays).toEqual([5_000, 500, 60_000]);
    });

    it("does not retry a failure that is not retryable", async () => {
      const sleeper = new RecordingSleep();
      const provider = new FakeProvider(() => {
        throw new ProviderError("http", "model not found", 404);
      });
      const observer = new RecordingObserver();
      await runStudy(
        options(study, { a: provider }, { cases: makeCases(1), observers: [observer], sleep: sleeper.sleep }),
      );
      expect(sleeper.delays).toEqual([]);
      expect(provider.calls).toHaveLength(1);
      expect(observer.results[0].error).toEqual({
        failure: "http",
        message: "model not found",
        status: 404,
        attempts: 1,
      });
    });

    it("turns an unexpected exception into failure `unknown` without retrying", async () => {
      const sleeper = new RecordingSleep();
      const provider = new FakeProvider(() => {
        throw new TypeError("cannot read properties of undefined");
      });
      const observer = new RecordingObserver();
      const summary = await runStudy(
        options(study, { a: provider }, { cases: makeCases(2), observers: [observer], sleep: sleeper.sleep }),
      );
      expect(sleeper.delays).toEqual([]);
      expect(observer.results.map((result) => result.error)).toEqual([
        { failure: "unknown", message: "cannot read properties of undefined", attempts: 1 },
        { failure: "unknown", message: "cannot read properties of undefined", attempts: 1 },
      ]);
      expect(summary.errors).toBe(2);
    });

    it("waits with the real clock by default, ending early when the run is cancelled", async () => {
      const controller = new AbortController();
      const provider = new FakeProvider(() => {
        setTimeout(() => controller.abort(), 5);
        throw new ProviderError("http", "bad gateway", 502);
      });
      const observer = new RecordingObserver();
      const { sleep: _sleep, ...rest } = options(
        study,
        { a: provider },
        { cases: makeCases(3), observers: [observer] },
      );
      const summary = await runStudy({ ...rest, random: () => 1, signal: controller.signal });
      expect(provider.calls).toHaveLength(1);
      expect(observer.results).toEqual([]);
      expect(summary).toEqual({
        total: 3,
        done: 0,
        errors: 0,
        fromCache: 0,
        cancelled: true,
        complete: false,
      });
    });
  });

  describe("timeouts", () => {
    it("times out a call that does not answer and retries it as retryable", async () => {
      const study = makeStudy([{ id: "a", provider: "openai", model: "m", timeoutMs: 20, retries: 1 }]);
      const sleeper = new RecordingSleep();
      const provider = new FakeProvider(async (request) => {
        await waitOrAbort(60_000, request.signal);
        return completionFor("too late");
      });
      const observer = new RecordingObserver();
      await runStudy(
        options(study, { a: provider }, { cases: makeCases(1), observers: [observer], sleep: sleeper.sleep }),
      );
      expect(sleeper.delays).toEqual([250]);
      expect(provider.calls.every((call) => call.request.signal.aborted)).toBe(true);
      expect(observer.results[0].error).toEqual({
        failure: "timeout",
        message: "no answer within 20 ms",
        attempts: 2,
      });
    });

    it("times out even a provider that ignores its signal", async () => {
      const study = makeStudy([{ id: "a", provider: "openai", model: "m", timeoutMs: 20, retries: 0 }]);
      const provider = new FakeProvider(() => new Promise<Completion>(() => {}));
      const observer = new RecordingObserver();
      const summary = await runStudy(
        options(study, { a: provider }, { cases: makeCases(1), observers: [observer] }),
      );
      expect(observer.results[0].error).toEqual({
        failure: "timeout",
        message: "no answer within 20 ms",
        attempts: 1,
      });
      expect(summary.errors).toBe(1);
    });
  });

  describe("cancellation", () => {
    it("cancels the call in flight, starts nothing more and keeps what finished", async () => {
      const study = makeStudy([
        { id: "a", provider: "openai", model: "m" },
        { id: "b", provider: "openai", model: "m" },
      ]);
      const controller = new AbortController();
      const a = new FakeProvider(async (request) => {
        if (request.messages[0].content.startsWith("case-3:")) {
          controller.abort();
          await waitOrAbort(60_000, request.signal);
        }
        return completionFor("ok");
      });
      const b = new FakeProvider();
      const observer = new RecordingObserver();
      const summary = await runStudy(
        options(study, { a, b }, { cases: makeCases(10), observers: [observer], signal: controller.signal }),
      );
      expect(a.calledCases()).toEqual(["case-0", "case-1", "case-2", "case-3"]);
      expect(a.calls[3].request.signal.aborted).toBe(true);
      expect(b.calls).toEqual([]);
      expect(observer.results.map((result) => result.caseId)).toEqual(["case-0", "case-1", "case-2"]);
      expect(summary).toEqual({
        total: 20,
        done: 3,
        errors: 0,
        fromCache: 0,
        cancelled: true,
        complete: false,
      });
      expect(observer.events.at(-1)).toEqual({ hook: "onRunEnd", event: { runId: "run-1", summary } });
    });

    it("does nothing when the signal is already aborted", async () => {
      const study = makeStudy([{ id: "a", provider: "openai", model: "m" }]);
      const provider = new FakeProvider();
      const summary = await runStudy(options(study, { a: provider }, { signal: AbortSignal.abort() }));
      expect(provider.calls).toEqual([]);
      expect(summary).toEqual({
        total: 3,
        done: 0,
        errors: 0,
        fromCache: 0,
        cancelled: true,
        complete: false,
      });
    });
  });

  describe("cache and resume", () => {
    const study = makeStudy([{ id: "a", provider: "openai", model: "m" }]);

    it("never calls the model for a key the cache has answered", async () => {
      const cache = new MapCache();
      cache.entries.set(keyFor(study, "a", "case-1", "vignette 1"), completionFor("remembered"));
      const provider = new FakeProvider();
      const observer = new RecordingObserver();
      const summary = await runStudy(options(study, { a: provider }, { cache, observers: [observer] }));
      expect(provider.calledCases()).toEqual(["case-0", "case-2"]);
      expect(observer.results[1]).toEqual({
        modelId: "a",
        caseId: "case-1",
        sample: 0,
        key: keyFor(study, "a", "case-1", "vignette 1"),
        completion: completionFor("remembered"),
        error: null,
        cached: true,
      });
      expect(summary).toEqual({
        total: 3,
        done: 3,
        errors: 0,
        fromCache: 1,
        cancelled: false,
        complete: true,
      });
    });

    it("looks up the keys of a whole batch of jobs before the first call", async () => {
      const cache = new MapCache();
      const lookupsAtCalls: number[] = [];
      const provider = new FakeProvider(() => {
        lookupsAtCalls.push(cache.lookups.length);
        return completionFor("ok");
      });
      const single = makeStudy([{ id: "a", provider: "openai", model: "m", concurrency: 1 }]);
      await runStudy(options(single, { a: provider }, { cache, cases: makeCases(300) }));
      const batch = readAheadBatch(1);
      expect(lookupsAtCalls[0]).toBe(batch);
      // The next batch is looked up once half a batch is left, well before its first job is taken.
      expect(lookupsAtCalls[batch - batch / 2]).toBe(2 * batch);
      expect(cache.lookups).toEqual(
        makeCases(300).map((testCase) => keyFor(single, "a", testCase.id, String(testCase.text))),
      );
    });

    it("calls every model when the cache is switched off", async () => {
      const cache = new MapCache();
      cache.entries.set(keyFor(study, "a", "case-1", "vignette 1"), completionFor("remembered"));
      const provider = new FakeProvider();
      const summary = await runStudy(options(study, { a: provider }, { cache, useCache: false }));
      expect(provider.calledCases()).toEqual(["case-0", "case-1", "case-2"]);
      expect(cache.lookups).toEqual([]);
      expect(summary.fromCache).toBe(0);
    });

    it("skips the jobs finished before a resume and counts them as done", async () => {
      const provider = new FakeProvider();
      const observer = new RecordingObserver();
      const cache = new MapCache();
      const finished = new Set([
        jobId("a", "case-0", 0),
        jobId("a", "case-2", 0),
        jobId("a", "elsewhere", 0),
      ]);
      const summary = await runStudy(
        options(study, { a: provider }, { cache, finished, observers: [observer] }),
      );
      expect(provider.calledCases()).toEqual(["case-1"]);
      expect(cache.lookups).toEqual([keyFor(study, "a", "case-1", "vignette 1")]);
      expect(observer.results.map((result) => result.caseId)).toEqual(["case-1"]);
      expect(observer.events[0]).toEqual({
        hook: "onRunStart",
        event: { runId: "run-1", models: [{ id: "a", total: 3, finished: 2 }] },
      });
      expect(summary).toEqual({
        total: 3,
        done: 3,
        errors: 0,
        fromCache: 0,
        cancelled: false,
        complete: true,
      });
    });
  });

  describe("observers", () => {
    it("awaits each observer in order before the next sees the event", async () => {
      const study = makeStudy([{ id: "a", provider: "openai", model: "m", concurrency: 2 }]);
      const log: string[] = [];
      const slow: RunObserver = {
        onJobEnd: async ({ result }) => {
          log.push(`slow start ${result.caseId}`);
          await new Promise((resolve) => setTimeout(resolve, 2));
          log.push(`slow end ${result.caseId}`);
        },
      };
      const next: RunObserver = { onJobEnd: ({ result }) => void log.push(`next ${result.caseId}`) };
      await runStudy(
        options(study, { a: new FakeProvider() }, { cases: makeCases(4), observers: [slow, next] }),
      );
      for (const caseId of ["case-0", "case-1", "case-2", "case-3"]) {
        expect(log.indexOf(`slow end ${caseId}`)).toBeLessThan(log.indexOf(`next ${caseId}`));
      }
      expect(log.filter((line) => line.startsWith("next"))).toHaveLength(4);
    });

    it("stops the run and rethrows when an observer fails", async () => {
      const study = makeStudy([{ id: "a", provider: "openai", model: "m", concurrency: 2 }]);
      const failure = new Error("disk full");
      const provider = new FakeProvider(async (request) => {
        await waitOrAbort(request.messages[0].content.startsWith("case-0:") ? 0 : 60_000, request.signal);
        return completionFor("ok");
      });
      const observer = new RecordingObserver();
      const failing: RunObserver = {
        onJobEnd: () => {
          throw failure;
        },
      };
      await expect(
        runStudy(options(study, { a: provider }, { cases: makeCases(10), observers: [failing, observer] })),
      ).rejects.toBe(failure);
      expect(provider.calledCases()).toEqual(["case-0", "case-1"]);
      expect(provider.calls[1].request.signal.aborted).toBe(true);
      expect(observer.events.at(-1)).toEqual({
        hook: "onRunEnd",
        event: {
          runId: "run-1",
          summary: { total: 10, done: 1, errors: 0, fromCache: 0, cancelled: false, complete: false },
        },
      });
    });
  });

  it("refuses a study whose model has no provider", async () => {
    const study = makeStudy([{ id: "a", provider: "openai", model: "m" }]);
    await expect(runStudy(options(study, {}))).rejects.toEqual(
      new ClinvalError("missing-provider", 'no provider for model "a" (models.0)'),
    );
  });
});
