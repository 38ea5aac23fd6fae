import type { RunObserver } from "../runner/run-study.ts";
import type { Store } from "./store.ts";

/**
 * A run observer that saves each job's result as it ends (the job waits until it is durable) and
 * marks the run finished, complete or not, at the end. The run must exist (`store.createRun`).
 */
export function createStoreWriter(store: Store): RunObserver {
  return {
    onJobEnd: ({ runId, result }) => store.saveResult(runId, result),
    onRunEnd: ({ runId, summary }) => store.finishRun(runId, { complete: summary.complete }),
  };
}
