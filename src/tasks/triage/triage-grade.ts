import type { Grade } from "../task.ts";

export interface TriageGrade extends Grade {
  /**
   * The label the answer gave, always one of the study's labels; null when no single label could be
   * extracted (outcome `unparseable`) or the answer was cut off at the token limit (outcome `truncated`).
   */
  predicted: string | null;
}
