import type { Grade } from "../task.ts";

export interface TriageGrade extends Grade {
  /**
   * The label the answer gave, always one of the study's labels; null when no single label could be
   * extracted (outcome `unparseable`) or the answer was cut off at the token limit (outcome `truncated`).
   */
  predicted: string | null;
  /** The answer's probability per label, when it gave them (on-site classifiers do); null otherwise. */
  probabilities?: Record<string, number> | null;
}
