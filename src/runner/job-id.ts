/**
 * The id of one job (model × case × sample) within a run: `modelId/sample/caseId`.
 * Model ids cannot contain `/` and the sample is a number, so the id is unambiguous whatever the case id holds.
 */
export function jobId(modelId: string, caseId: string, sample: number): string {
  return `${modelId}/${sample}/${caseId}`;
}
