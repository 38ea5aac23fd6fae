/** The judge rung and clinician adjudications: what the CLI and the workbench use. */

export { adjudicationSheet, readAdjudicationSheet } from "./adjudication-csv.ts";
export { type AgreementMethod, type GradingAgreement, gradingAgreement } from "./agreement.ts";
export { type PendingPair, type PendingReason, pendingPairs } from "./answer-pairs.ts";
export { diagnosisRun, listPendingPairs, loadRunDecisions, recordDecision } from "./run-decisions.ts";
export { type JudgeSummary, judgeModelSpec, judgeName, judgeRun } from "./run-judge.ts";
