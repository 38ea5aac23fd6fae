import { type Adjudication, type StoredDecisions, storedDecisions } from "../core/adjudication.ts";
import { InputError } from "../core/errors.ts";
import type { StoredJudgeVerdict } from "../store/decision-rows.ts";
import type { RunRecord, Store } from "../store/store.ts";
import { gradedAnswers, type PendingPair, pendingPairs } from "./answer-pairs.ts";

/** What the store holds for grading one run: every clinician decision, and the run's judge verdicts. */
export interface RunDecisions {
  adjudications: Adjudication[];
  verdicts: StoredJudgeVerdict[];
  /** The lookup grading consults (judge verdicts that failed are left out: those pairs are undecided). */
  decisions: StoredDecisions;
}

export async function loadRunDecisions(store: Store, runId: string): Promise<RunDecisions> {
  const adjudications = await store.adjudications();
  const verdicts = await store.judgeVerdicts(runId);
  const decided = verdicts.flatMap(({ reference, answer, verdict, rationale, provider, model }) =>
    verdict === null
      ? []
      : [{ reference, answer, verdict, rationale: rationale ?? "", judge: `${provider} ${model}` }],
  );
  return { adjudications, verdicts, decisions: storedDecisions(adjudications, decided) };
}

/** A stored run of a diagnosis study, or an InputError naming the run argument. */
export async function diagnosisRun(store: Store, runId: string): Promise<RunRecord> {
  const run = runId === "latest" ? (await store.listRuns())[0] : await store.getRun(runId);
  if (!run) throw new InputError(`no run "${runId}" in ${store.path}`, { field: "run-id" });
  if (run.study.task !== "diagnosis") {
    throw new InputError(
      `run "${run.id}" is a ${run.study.task} study; only diagnosis answers are adjudicated`,
      {
        field: "run-id",
      },
    );
  }
  return run;
}

/**
 * The pairs of a run a clinician should decide (see `pendingPairs`), for `clinval adjudicate export` and
 * the workbench. Calls no model.
 */
export async function listPendingPairs(store: Store, runId: string): Promise<PendingPair[]> {
  const run = await diagnosisRun(store, runId);
  const cases = await store.runCases(run.id);
  if (!cases) throw new InputError(`the store has no cases for run "${run.id}"`, { field: "run-id" });
  const { decisions } = await loadRunDecisions(store, run.id);
  return pendingPairs(gradedAnswers(run.study, cases, await store.results(run.id), decisions));
}

/** Records one clinician's decision on a pair (the workbench's single-decision form of an import). */
export function recordDecision(store: Store, decision: Adjudication): Promise<void> {
  return store.recordAdjudications([decision]);
}
