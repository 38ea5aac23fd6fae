import type { Case, DiagnosisCase, Suite } from "../core/case.ts";
import type { Completion } from "../core/chat.ts";
import type { Study, StudyInput } from "../core/study.ts";
import { studySchema } from "../core/study-schema.ts";
import type { JobFailure, JobResult } from "../runner/job-result.ts";
import type { DiagnosisGrade } from "../tasks/diagnosis/diagnosis-grade.ts";

/** Helpers to script job results and grades for analysis and report tests. */

export function makeStudy(input: Partial<StudyInput> & Pick<StudyInput, "models">): Study {
  return studySchema.parse({
    name: "scripted-study",
    task: "diagnosis",
    suite: { id: "scripted" },
    ...input,
  });
}

export function makeSuite(cases: DiagnosisCase[], id = "scripted"): Suite {
  return { id, source: `${id}.jsonl`, sha256: "0".repeat(64), cases };
}

export function diagnosisCase(id: string, fields: Partial<DiagnosisCase> = {}): DiagnosisCase {
  return { id, presentation: `Presentation of ${id}.`, diagnosis: `Diagnosis of ${id}`, ...fields };
}

/** Strict match at `rank`. */
export function correctAt(rank: number): DiagnosisGrade {
  return {
    outcome: "correct",
    answers: ["first", "second", "third", "fourth", "fifth"],
    rank,
    rung: "exact",
    lenientRank: rank,
    needsReview: false,
    suggestion: null,
  };
}

export function incorrect(): DiagnosisGrade {
  return {
    outcome: "incorrect",
    answers: ["wrong one", "wrong two"],
    rank: null,
    rung: null,
    lenientRank: null,
    needsReview: false,
    suggestion: null,
  };
}

/** No strict match; a fuzzy suggestion at `lenientRank`. */
export function fuzzyAt(lenientRank: number): DiagnosisGrade {
  return {
    outcome: "incorrect",
    answers: ["near one", "near two", "near three", "near four"],
    rank: null,
    rung: null,
    lenientRank,
    needsReview: true,
    suggestion: { answer: "near miss", reference: "the reference", similarity: 0.84 },
  };
}

export function unparseable(): DiagnosisGrade {
  return {
    outcome: "unparseable",
    answers: [],
    rank: null,
    rung: null,
    lenientRank: null,
    needsReview: false,
    suggestion: null,
  };
}

/** Cut off at the token limit, although what was listed before the cut matched at `rank`. */
export function truncatedWithMatch(rank: number): DiagnosisGrade {
  return { ...correctAt(rank), outcome: "truncated", answers: ["cut off"] };
}

export interface AnswerOptions {
  sample?: number;
  latencyMs?: number;
  tokens?: Completion["tokens"];
  digest?: string;
}

/** A stored answer whose text is the grade itself, so that `scriptedGrade` can return it. */
export function answered(
  modelId: string,
  caseId: string,
  grade: DiagnosisGrade,
  options: AnswerOptions = {},
): JobResult {
  const sample = options.sample ?? 0;
  return {
    modelId,
    caseId,
    sample,
    key: `${modelId}/${caseId}/${sample}`,
    completion: {
      text: JSON.stringify(grade),
      reasoning: null,
      finishReason: grade.outcome === "truncated" ? "length" : "stop",
      tokens: options.tokens ?? { prompt: null, completion: null, reasoning: null },
      latencyMs: options.latencyMs ?? 100,
      model: { provider: "ollama", model: `${modelId}:latest`, digest: options.digest },
    },
    error: null,
    cached: false,
  };
}

export function failed(modelId: string, caseId: string, failure: JobFailure, sample = 0): JobResult {
  return {
    modelId,
    caseId,
    sample,
    key: `${modelId}/${caseId}/${sample}`,
    completion: null,
    error: failure,
    cached: false,
  };
}

/**
 * A fake grade function: returns the grade scripted in the completion text and records each call
 * as "model case" (the model from the completion's identity, `ID:latest`).
 */
export function scriptedGrade(): {
  grade: (testCase: Case, completion: Completion) => DiagnosisGrade;
  calls: string[];
} {
  const calls: string[] = [];
  return {
    calls,
    grade(testCase, completion) {
      calls.push(`${completion.model.model.replace(/:latest$/, "")} ${testCase.id}`);
      return JSON.parse(completion.text) as DiagnosisGrade;
    },
  };
}

export const RUN = {
  id: "run-1",
  startedAt: "2025-03-01T10:00:00.000Z",
  finishedAt: "2025-03-01T10:05:00.000Z",
  complete: true,
};
