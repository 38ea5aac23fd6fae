import type { Case } from "../core/case.ts";
import type { Completion } from "../core/chat.ts";
import type { Outcome } from "../core/outcome.ts";
import type { JobFailure } from "../runner/job-result.ts";
import type { Grade } from "../tasks/task.ts";

/** One model × case × sample after grading: an answered job, or an error (failed or never run). */
export type GradedJob = AnsweredJob | FailedJob;

export interface AnsweredJob {
  modelId: string;
  testCase: Case;
  sample: number;
  outcome: Exclude<Outcome, "error">;
  grade: Grade;
  completion: Completion;
  /** Whether the answer counts as correct under each grading. */
  correct: { strict: boolean; lenient: boolean };
}

export interface FailedJob {
  modelId: string;
  testCase: Case;
  sample: number;
  outcome: "error";
  cause: string;
}

export function isAnswered(job: GradedJob): job is AnsweredJob {
  return job.outcome !== "error";
}

/** `http 503: Service Unavailable (after 5 attempts)` */
export function describeFailure(failure: JobFailure): string {
  const kind = failure.status === undefined ? failure.failure : `${failure.failure} ${failure.status}`;
  const attempts = `after ${failure.attempts} attempt${failure.attempts === 1 ? "" : "s"}`;
  return `${kind}: ${failure.message} (${attempts})`;
}

export const NOT_RUN_CAUSE = "no result: the job has not run yet";
