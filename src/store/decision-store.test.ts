import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { completionFor, makeStudy } from "../../test/support/runner-fakes.ts";
import type { Adjudication } from "../core/adjudication.ts";
import type { NewJudgeVerdict } from "./decision-rows.ts";
import { openStore, type Store } from "./store.ts";

let folder: string;
let store: Store;
let runId: string;

beforeEach(async () => {
  folder = mkdtempSync(join(tmpdir(), "clinval-decisions-"));
  store = await openStore(join(folder, "clinval.db"));
  const run = await store.createRun({
    study: makeStudy([{ id: "a", provider: "openai", model: "m" }]),
    studyHash: "h",
    suite: { id: "s", source: "s.jsonl", sha256: "0".repeat(64), cases: [{ id: "c1" }] },
  });
  runId = run.id;
});

afterEach(async () => {
  await store.close();
  rmSync(folder, { recursive: true, force: true });
});

const failed: NewJudgeVerdict = {
  reference: "Pulmonary embolism",
  answer: "Lung clot",
  provider: "openai",
  model: "judge-7b",
  key: "k1",
  verdict: null,
  rationale: null,
  error: { failure: "connection", message: "ECONNREFUSED", attempts: 1 },
  completion: null,
  cached: false,
};

const judged: NewJudgeVerdict = {
  ...failed,
  verdict: "same",
  rationale: "A lung clot is a pulmonary embolism.",
  error: null,
  completion: completionFor('{"verdict":"same","rationale":"A lung clot is a pulmonary embolism."}'),
};

function decision(overrides: Partial<Adjudication> = {}): Adjudication {
  return {
    reference: "Pulmonary embolism",
    answer: "Lung clot",
    decision: "correct",
    reviewer: "Dr Rossi",
    decidedAt: "2026-01-05T10:00:00.000Z",
    note: null,
    ...overrides,
  };
}

describe("judge verdicts in the store", () => {
  it("keeps a verdict over an earlier error and never lets a later error replace it", async () => {
    await store.saveJudgeVerdict(runId, failed);
    expect((await store.judgeVerdicts(runId)).map(({ createdAt: _, ...rest }) => rest)).toEqual([
      {
        reference: "Pulmonary embolism",
        answer: "Lung clot",
        provider: "openai",
        model: "judge-7b",
        key: "k1",
        verdict: null,
        rationale: null,
        error: { failure: "connection", message: "ECONNREFUSED", attempts: 1 },
      },
    ]);
    await store.saveJudgeVerdict(runId, judged);
    await store.saveJudgeVerdict(runId, { ...failed, answer: "lung  clot." });
    expect((await store.judgeVerdicts(runId)).map(({ createdAt: _, ...rest }) => rest)).toEqual([
      {
        reference: "Pulmonary embolism",
        answer: "Lung clot",
        provider: "openai",
        model: "judge-7b",
        key: "k1",
        verdict: "same",
        rationale: "A lung clot is a pulmonary embolism.",
        error: null,
      },
    ]);
  });

  it("caches the judge's completion under its key, like a model's, and not a cached one again", async () => {
    await store.saveJudgeVerdict(runId, judged);
    expect(await store.get("k1")).toEqual(judged.completion);
    await store.saveJudgeVerdict(runId, { ...judged, key: "k2", answer: "Other", cached: true });
    expect(await store.get("k2")).toBeUndefined();
  });

  it("keeps verdicts per run", async () => {
    await store.saveJudgeVerdict(runId, judged);
    expect(await store.judgeVerdicts("another-run")).toEqual([]);
  });
});

describe("adjudications in the store", () => {
  it("records decisions and replaces an earlier decision on the same pair (case and spacing aside)", async () => {
    await store.recordAdjudications([decision(), decision({ answer: "Pneumonia", decision: "incorrect" })]);
    await store.recordAdjudications([
      decision({
        answer: "lung  CLOT.",
        decision: "broader",
        reviewer: "Dr Chen",
        decidedAt: "2026-01-06T09:00:00.000Z",
        note: "too vague",
      }),
    ]);
    expect(await store.adjudications()).toEqual([
      decision({ answer: "Pneumonia", decision: "incorrect" }),
      decision({
        answer: "lung  CLOT.",
        decision: "broader",
        reviewer: "Dr Chen",
        decidedAt: "2026-01-06T09:00:00.000Z",
        note: "too vague",
      }),
    ]);
  });

  it("records nothing when any decision of a batch is invalid", async () => {
    await expect(
      store.recordAdjudications([decision(), decision({ answer: "Pneumonia", decision: "maybe" as never })]),
    ).rejects.toThrow(
      'decisions.1: decision "maybe" is not one of correct, more-specific, broader, incorrect',
    );
    await expect(store.recordAdjudications([decision({ reviewer: " " })])).rejects.toThrow(
      "decisions.0: the reviewer is empty",
    );
    expect(await store.adjudications()).toEqual([]);
  });

  it("keeps decisions across reopening the database file", async () => {
    await store.recordAdjudications([decision()]);
    await store.close();
    store = await openStore(join(folder, "clinval.db"));
    expect(await store.adjudications()).toEqual([decision()]);
  });
});
