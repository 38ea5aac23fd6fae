export { type AnalysisInput, analyzeStudy } from "./analyze-study.ts";
export type { DiagnosisModelMeasures } from "./diagnosis-measures.ts";
export type * from "./report-types.ts";
export { MISSING_VALUE } from "./subgroups.ts";
export type { TriageModelMeasures } from "./triage-measures.ts";
