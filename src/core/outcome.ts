/**
 * Every (model, case, sample) ends in exactly one outcome.
 * `unparseable` and `truncated` are failures of the model; `error` is a failure of the
 * infrastructure and is never counted against the model (the run is then incomplete).
 */
export const OUTCOMES = ["correct", "incorrect", "unparseable", "truncated", "error"] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** Outcomes a grader can give: `error` is decided by the runner, never by grading. */
export type GradedOutcome = Exclude<Outcome, "error">;
