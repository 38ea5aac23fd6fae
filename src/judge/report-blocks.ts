import { reportedModelName } from "../analysis/report-privacy.ts";
import type { JudgeSummaryBlock } from "../analysis/report-types.ts";
import type { JudgeSpec } from "../core/study.ts";
import type { StoredJudgeVerdict } from "../store/decision-rows.ts";

/** report.json's `judge` block: the study's judge and the run's verdicts by kind. */
export function judgeSummaryBlock(
  judge: Pick<JudgeSpec, "provider" | "model">,
  verdicts: readonly StoredJudgeVerdict[],
): JudgeSummaryBlock {
  const counts: Record<string, number> = {};
  let undecided = 0;
  for (const stored of verdicts) {
    if (stored.verdict === null) undecided += 1;
    else counts[stored.verdict] = (counts[stored.verdict] ?? 0) + 1;
  }
  return {
    provider: judge.provider,
    // A local judge model file is named by its file name: reports show no machine paths.
    model: reportedModelName(judge),
    pairs: verdicts.length,
    verdicts: counts,
    undecided,
  };
}
