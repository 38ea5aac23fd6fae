import { afterEach, describe, expect, it } from "vitest";
import {
  type OpenAICompatibleServer,
  startOpenAICompatibleServer,
} from "../../test/support/openai-compatible-server.ts";
import { caseIdOf, inlineTask, makeCases, makeStudy } from "../../test/support/runner-fakes.ts";
import type { Completion } from "../core/chat.ts";
import { createProvider } from "../providers/create-provider.ts";
import type { Provider } from "../providers/provider.ts";
import type { JobResult } from "./job-result.ts";
import { type ResponseCache, runStudy } from "./run-study.ts";

const servers: OpenAICompatibleServer[] = [];
const providers: Provider[] = [];

afterEach(async () => {
  await Promise.all(providers.splice(0).map((provider) => provider.close()));
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

const noCache: ResponseCache = { get: async () => undefined };

async function server(options: Parameters<typeof startOpenAICompatibleServer>[0]) {
  const started = await startOpenAICompatibleServer(options);
  servers.push(started);
  return started;
}

describe("models with several endpoints, and models on different servers", () => {
  it("balances jobs over the healthy endpoints, takes a failing one out and puts it back after a health check", async () => {
    const reply = async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return { content: "answer" };
    };
    const first = await server({ reply, models: ["m"] });
    const second = await server({ reply, models: ["m"] });
    let thirdUp = false;
    const third = await server({ reply, models: ["m"], available: () => thirdUp });
    const changes: string[] = [];
    const study = makeStudy([
      {
        id: "replicated",
        provider: "openai",
        model: "m",
        endpoints: [
          { baseUrl: first.url, concurrency: 2 },
          { baseUrl: second.url, concurrency: 2 },
          { baseUrl: third.url, concurrency: 2 },
        ],
      },
    ]);
    const provider = await createProvider(study.models[0], study, {
      endpointPool: {
        healthCheckMs: 40,
        onChange: (endpoint, state) => {
          changes.push(`${endpoint} ${state}`);
          // The replica recovers once it has been taken out: the next health check finds it back.
          if (state === "out") thirdUp = true;
        },
      },
    });
    providers.push(provider);
    const results: JobResult[] = [];

    const summary = await runStudy({
      runId: "run-1",
      study,
      task: inlineTask,
      cases: makeCases(80),
      providers: new Map([["replicated", provider]]),
      cache: noCache,
      sleep: async () => {},
      observers: [{ onJobEnd: ({ result }) => void results.push(result) }],
    });

    expect(summary).toEqual({
      total: 80,
      done: 80,
      errors: 0,
      fromCache: 0,
      cancelled: false,
      complete: true,
    });
    expect(changes).toEqual([`${third.url} out`, `${third.url} back`]);
    // Every job answered once, by exactly one server, and its result names that server.
    const answeredBy = new Map<string, string>();
    for (const target of [first, second, third]) {
      for (const request of target.requests) {
        const caseId = caseIdOf({ messages: request.messages });
        expect(answeredBy.has(caseId)).toBe(false);
        answeredBy.set(caseId, target.url);
      }
    }
    expect(results.map((result) => result.caseId).sort()).toEqual([...answeredBy.keys()].sort());
    expect(results.length).toBe(80);
    for (const result of results) {
      expect((result.completion as Completion).endpoint).toBe(answeredBy.get(result.caseId));
    }
    // The two healthy replicas share the load evenly; the third answered once it was back.
    const [a, b, c] = [first, second, third].map((target) => target.requests.length);
    expect(Math.abs(a - b)).toBeLessThanOrEqual(4);
    expect(c).toBeGreaterThan(0);
    expect(a + b + c).toBe(80);
  });

  it("runs two models on two servers at the same time", async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const reply = async () => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 30));
      inFlight--;
      return { content: "answer" };
    };
    const left = await server({ reply });
    const right = await server({ reply });
    const study = makeStudy([
      { id: "left", provider: "openai", model: "m", baseUrl: left.url },
      { id: "right", provider: "openai", model: "m", baseUrl: right.url },
    ]);
    const created = new Map<string, Provider>();
    for (const spec of study.models) created.set(spec.id, await createProvider(spec, study));
    providers.push(...created.values());

    const summary = await runStudy({
      runId: "run-1",
      study,
      task: inlineTask,
      cases: makeCases(5),
      providers: created,
      cache: noCache,
    });

    expect(summary.complete).toBe(true);
    expect([left.requests.length, right.requests.length]).toEqual([5, 5]);
    // Each model has concurrency 1: two requests at once means the two models ran side by side.
    expect(maxInFlight).toBe(2);
  });

  it("runs them one after another with parallel: false", async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const reply = async () => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 10));
      inFlight--;
      return { content: "answer" };
    };
    const left = await server({ reply });
    const right = await server({ reply });
    const study = makeStudy(
      [
        { id: "left", provider: "openai", model: "m", baseUrl: left.url },
        { id: "right", provider: "openai", model: "m", baseUrl: right.url },
      ],
      { parallel: false },
    );
    const created = new Map<string, Provider>();
    for (const spec of study.models) created.set(spec.id, await createProvider(spec, study));
    providers.push(...created.values());

    await runStudy({
      runId: "run-1",
      study,
      task: inlineTask,
      cases: makeCases(3),
      providers: created,
      cache: noCache,
    });

    expect(maxInFlight).toBe(1);
  });
});
