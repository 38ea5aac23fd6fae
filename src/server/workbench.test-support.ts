import { answer, errorModeScenario } from "../analysis/error-modes.test-support.ts";
import type { DiagnosisCase } from "../core/case.ts";
import type { RunRecord, Store } from "../store/store.ts";

/**
 * A store with the error-mode scenario stored twice: `run-1` as built, and `run-2`, a later run of the
 * same suite in which model A answers case c2 correctly. Reports go to `output`.
 */
export async function seedRuns(
  store: Store,
  output: string,
): Promise<{ first: RunRecord; second: RunRecord }> {
  const { study, suite, results } = errorModeScenario();
  const withOutput = { ...study, output };
  const first = await store.createRun({
    id: "run-1",
    study: withOutput,
    studyHash: "h",
    suite,
    startedAt: "2025-03-01T10:00:00.000Z",
  });
  for (const result of results) await store.saveResult(first.id, result);
  await store.finishRun(first.id, { complete: false });
  const second = await store.createRun({
    id: "run-2",
    study: withOutput,
    studyHash: "h",
    suite,
    startedAt: "2025-03-02T10:00:00.000Z",
  });
  for (const result of results) {
    const changed =
      result.modelId === "A" && result.caseId === "c2"
        ? answer("A", "c2", "Thunderclap onset: subarachnoid haemorrhage.", ["Subarachnoid haemorrhage"])
        : result;
    await store.saveResult(second.id, changed);
  }
  await store.finishRun(second.id, { complete: false });
  return { first, second };
}

/** Text that would run or link if a page ever rendered it as markup. */
export const HOSTILE = `<script>window.hostile = 1</script><img src=x onerror="window.hostile = 2"><a href="javascript:window.hostile = 3">click</a></textarea><b>bold</b>`;

/** A run whose case text, answers and reasoning are all hostile markup. */
export async function seedHostileRun(store: Store, output: string): Promise<RunRecord> {
  const { study, suite } = errorModeScenario();
  const testCase: DiagnosisCase = {
    id: "hostile-1",
    presentation: `A patient. ${HOSTILE}`,
    diagnosis: `Appendicitis ${HOSTILE}`,
    specialty: HOSTILE,
    redFlags: [HOSTILE],
    mustNotMiss: [HOSTILE],
  };
  const run = await store.createRun({
    id: "hostile",
    study: { ...study, output, subgroups: ["specialty"] },
    studyHash: "x",
    suite: { ...suite, cases: [testCase] },
    startedAt: "2025-03-03T10:00:00.000Z",
  });
  await store.saveResult(
    run.id,
    answer("A", "hostile-1", `Thinking ${HOSTILE}`, [`Gastritis ${HOSTILE}`, "Appendicitis"]),
  );
  await store.saveResult(run.id, answer("B", "hostile-1", HOSTILE, [HOSTILE]));
  await store.finishRun(run.id, { complete: true });
  return run;
}
