import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  completionFor,
  FakeProvider,
  inlineTask,
  makeCases,
  makeStudy,
} from "../../test/support/runner-fakes.ts";
import { ProviderError } from "../providers/provider.ts";
import { runStudy } from "../runner/run-study.ts";
import { openStore, type Store } from "./store.ts";
import { createStoreWriter } from "./store-writer.ts";

const study = makeStudy([
  { id: "a", provider: "openai", model: "model-a", concurrency: 3, retries: 0 },
  { id: "b", provider: "openai", model: "model-b", concurrency: 2, retries: 0 },
]);
const cases = makeCases(8);
const suite = { id: "cases.jsonl", source: "cases.jsonl", sha256: "0".repeat(64), cases };

let folder: string;
let store: Store;

beforeEach(async () => {
  folder = mkdtempSync(join(tmpdir(), "clinval-writer-"));
  store = await openStore(join(folder, "clinval.db"));
});

afterEach(async () => {
  await store.close();
  rmSync(folder, { recursive: true, force: true });
});

async function run(
  runId: string,
  providers: { a: FakeProvider; b: FakeProvider },
  finished?: Set<string>,
  useCache = true,
) {
  return runStudy({
    runId,
    study,
    cases,
    task: inlineTask,
    providers: new Map(Object.entries(providers)),
    cache: store,
    finished,
    useCache,
    observers: [createStoreWriter(store)],
  });
}

describe("createStoreWriter", () => {
  it("stores every result and marks the run complete", async () => {
    const { id } = await store.createRun({ study, studyHash: "hash", suite });
    const summary = await run(id, { a: new FakeProvider(), b: new FakeProvider() });
    expect(summary.complete).toBe(true);
    const results = await store.results(id);
    expect(results).toHaveLength(16);
    expect(results.filter((result) => result.completion === null)).toEqual([]);
    expect((await store.getRun(id))?.complete).toBe(true);
  });

  it("answers a second run from the store without calling any model", async () => {
    const first = await store.createRun({ study, studyHash: "hash", suite });
    await run(first.id, { a: new FakeProvider(), b: new FakeProvider() });
    const second = await store.createRun({ study, studyHash: "hash", suite });
    const providers = { a: new FakeProvider(), b: new FakeProvider() };
    const summary = await run(second.id, providers);
    expect(providers.a.calls).toEqual([]);
    expect(providers.b.calls).toEqual([]);
    expect(summary).toEqual({
      total: 16,
      done: 16,
      errors: 0,
      fromCache: 16,
      cancelled: false,
      complete: true,
    });
    const results = await store.results(second.id);
    expect(results.every((result) => result.cached)).toBe(true);
    expect(results.map((result) => result.completion)).toEqual(
      (await store.results(first.id)).map((result) => result.completion),
    );
  });

  it("resumes an incomplete run: only the failed jobs are asked again, and their success replaces the error", async () => {
    const { id } = await store.createRun({ study, studyHash: "hash", suite });
    const flaky = new FakeProvider((request) => {
      if (request.messages[0].content.startsWith("case-5:"))
        throw new ProviderError("http", "bad gateway", 502);
      return completionFor("ok");
    });
    const first = await run(id, { a: flaky, b: new FakeProvider() });
    expect(first).toEqual({
      total: 16,
      done: 15,
      errors: 1,
      fromCache: 0,
      cancelled: false,
      complete: false,
    });
    expect((await store.findResumableRun(study.name, "hash"))?.id).toBe(id);

    const providers = { a: new FakeProvider(), b: new FakeProvider() };
    const second = await run(id, providers, await store.finishedJobs(id));
    expect(providers.a.calledCases()).toEqual(["case-5"]);
    expect(providers.b.calls).toEqual([]);
    expect(second).toEqual({
      total: 16,
      done: 16,
      errors: 0,
      fromCache: 0,
      cancelled: false,
      complete: true,
    });
    const results = await store.results(id);
    expect(results).toHaveLength(16);
    expect(results.find((result) => result.modelId === "a" && result.caseId === "case-5")?.error).toBeNull();
    expect(await store.findResumableRun(study.name, "hash")).toBeUndefined();
  });

  it("asks the models again when the cache is switched off", async () => {
    const first = await store.createRun({ study, studyHash: "hash", suite });
    await run(first.id, { a: new FakeProvider(), b: new FakeProvider() });
    const second = await store.createRun({ study, studyHash: "hash", suite });
    const providers = { a: new FakeProvider(), b: new FakeProvider() };
    await run(second.id, providers, undefined, false);
    expect(providers.a.calls).toHaveLength(8);
    expect(providers.b.calls).toHaveLength(8);
  });
});
