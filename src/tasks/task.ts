import type { StoredDecisions } from "../core/adjudication.ts";
import type { Case } from "../core/case.ts";
import type { ChatMessage, Completion } from "../core/chat.ts";
import type { InputError } from "../core/errors.ts";
import type { GradedOutcome } from "../core/outcome.ts";
import type { Study } from "../core/study.ts";
import type { JsonSchema } from "../providers/provider.ts";

/** What grading decided for one answer. Tasks add their own fields (rank, rung, predicted label, …). */
export interface Grade {
  outcome: GradedOutcome;
}

/**
 * One study design: how to ask, and how to grade what came back. Pure: no I/O.
 * `grade` sees only stored data, so re-grading never calls a model.
 */
export interface Task<C extends Case = Case, G extends Grade = Grade> {
  readonly name: Study["task"];
  /** Fields every case must have after field mapping, beyond `id`. */
  readonly requiredFields: readonly string[];
  prompt(testCase: C, study: Study, template?: string): ChatMessage[];
  /** The case's own text, given as-is to models that classify text rather than chat. */
  caseText(testCase: C): string;
  /** JSON schema of the expected answer, for backends that can constrain decoding. */
  responseSchema(study: Study): JsonSchema | undefined;
  /** `decisions`: stored clinician adjudications and judge verdicts, for tasks that use them. */
  grade(testCase: C, completion: Completion, study: Study, decisions?: StoredDecisions): G;
  /**
   * A problem with a case that only the study can reveal (e.g. a triage label outside the study's label
   * set), or undefined. The caller adds the case file and line.
   */
  checkCase?(testCase: C, study: Study): InputError | undefined;
  /** Throws an InputError (with the template's file and line) when a study's prompt template cannot be used. */
  checkTemplate?(template: string, file?: string): void;
}
