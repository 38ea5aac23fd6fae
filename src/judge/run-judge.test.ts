import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { completionFor, FakeProvider, makeStudy } from "../../test/support/runner-fakes.ts";
import type { Case } from "../core/case.ts";
import type { CompletionRequest } from "../providers/provider.ts";
import { ProviderError } from "../providers/provider.ts";
import type { JobResult } from "../runner/job-result.ts";
import { openStore, type Store } from "../store/store.ts";
import { listPendingPairs, recordDecision } from "./run-decisions.ts";
import { judgeRun } from "./run-judge.ts";

const study = makeStudy(
  [
    { id: "a", provider: "openai", model: "model-a" },
    { id: "b", provider: "openai", model: "model-b" },
  ],
  { judge: { provider: "openai", model: "judge-m" } },
) as ReturnType<typeof makeStudy> & { judge: NonNullable<ReturnType<typeof makeStudy>["judge"]> };

const CASES: Case[] = [
  { id: "c1", presentation: "Headache one.", diagnosis: "Migraine" },
  { id: "c2", presentation: "Headache two.", diagnosis: "Migraine" },
  { id: "c3", presentation: "Wheeze.", diagnosis: "Asthma" },
];

function answered(modelId: string, caseId: string, answers: string[]): JobResult {
  return {
    modelId,
    caseId,
    sample: 0,
    key: `${modelId}-${caseId}`,
    completion: completionFor(JSON.stringify({ diagnoses: answers })),
    error: null,
    cached: false,
  };
}

const RESULTS: JobResult[] = [
  answered("a", "c1", ["Hangover headache"]),
  answered("b", "c1", ["hangover  headache"]),
  answered("a", "c2", ["Hangover headache", "Migraine", "Sinusitis"]),
  answered("b", "c2", ["Cluster headache"]),
  answered("a", "c3", ["Asthma"]),
  {
    modelId: "b",
    caseId: "c3",
    sample: 0,
    key: "b-c3",
    completion: null,
    error: { failure: "http", message: "bad gateway", status: 502, attempts: 5 },
    cached: false,
  },
];

/** The candidate answer of a judge request. */
const candidate = (request: CompletionRequest) =>
  /Candidate diagnosis: (.*)$/m.exec(request.messages[1].content)?.[1];

const judgeAnswer = () =>
  new FakeProvider(() =>
    completionFor('{"verdict": "different", "rationale": "Another headache."}', "judge-m"),
  );

let folder: string;
let store: Store;

async function newRun(): Promise<string> {
  const run = await store.createRun({
    study,
    studyHash: "h",
    suite: { id: "s", source: "s.jsonl", sha256: "0".repeat(64), cases: CASES },
  });
  for (const result of RESULTS) await store.saveResult(run.id, result);
  return run.id;
}

beforeEach(async () => {
  folder = mkdtempSync(join(tmpdir(), "clinval-judge-run-"));
  store = await openStore(join(folder, "clinval.db"));
  await recordDecision(store, {
    reference: "Migraine",
    answer: "Cluster headache",
    decision: "incorrect",
    reviewer: "Dr Rossi",
    decidedAt: "2026-01-05T10:00:00.000Z",
    note: null,
  });
});

afterEach(async () => {
  await store.close();
  rmSync(folder, { recursive: true, force: true });
});

describe("judgeRun", () => {
  it("asks once per distinct undecided pair across models and cases, never about decided ones", async () => {
    const runId = await newRun();
    const judge = judgeAnswer();
    const summary = await judgeRun({ runId, study, cases: CASES, store, provider: judge });
    expect(summary).toEqual({ pairs: 1, judged: 1, errors: 0, complete: true });
    expect(judge.calls.map((call) => candidate(call.request))).toEqual(["Hangover headache"]);
    expect(judge.calls[0].request.params).toEqual({ temperature: 0 });
    expect((await store.judgeVerdicts(runId)).map(({ createdAt: _, key: __, ...rest }) => rest)).toEqual([
      {
        reference: "Migraine",
        answer: "Hangover headache",
        provider: "openai",
        model: "judge-m",
        verdict: "different",
        rationale: "Another headache.",
        error: null,
      },
    ]);

    // Again: nothing left to ask. In a new run: answered from the response cache.
    expect(await judgeRun({ runId, study, cases: CASES, store, provider: judge })).toEqual(summary);
    const otherRun = await newRun();
    expect(await judgeRun({ runId: otherRun, study, cases: CASES, store, provider: judge })).toEqual(summary);
    expect(judge.calls).toHaveLength(1);
  });

  it("stores a failed call as an undecided pair that a later pass finishes", async () => {
    const runId = await newRun();
    const down = new FakeProvider(() => {
      throw new ProviderError("http", "service unavailable", 503, true);
    });
    const noWait = async () => {};
    const failed = await judgeRun({ runId, study, cases: CASES, store, provider: down, sleep: noWait });
    expect(failed).toEqual({ pairs: 1, judged: 0, errors: 1, complete: false });
    expect(down.calls).toHaveLength(5); // the first call and the default 4 retries
    expect(
      (await store.judgeVerdicts(runId)).map((stored) => [stored.verdict, stored.error?.status]),
    ).toEqual([[null, 503]]);
    expect(await judgeRun({ runId, study, cases: CASES, store, provider: judgeAnswer() })).toEqual({
      pairs: 1,
      judged: 1,
      errors: 0,
      complete: true,
    });
  });
});

describe("listPendingPairs (the workbench's list)", () => {
  it("lists undecided and judge-decided pairs, most frequent first, without the adjudicated ones", async () => {
    const runId = await newRun();
    expect(await listPendingPairs(store, runId)).toEqual([
      {
        reference: "Migraine",
        answer: "Hangover headache",
        reason: "undecided",
        judgeVerdict: null,
        judgeRationale: null,
        similarity: null,
        models: ["a", "b"],
        cases: ["c1", "c2"],
        count: 3,
      },
    ]);
    await judgeRun({ runId, study, cases: CASES, store, provider: judgeAnswer() });
    expect(await listPendingPairs(store, runId)).toEqual([
      expect.objectContaining({
        answer: "Hangover headache",
        reason: "judge",
        judgeVerdict: "different",
        count: 3,
      }),
    ]);
    await recordDecision(store, {
      reference: "migraine",
      answer: "Hangover headache.",
      decision: "incorrect",
      reviewer: "Dr Chen",
      decidedAt: "2026-01-06T10:00:00.000Z",
      note: null,
    });
    expect(await listPendingPairs(store, runId)).toEqual([]);
  });
});
