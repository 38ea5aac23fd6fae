import type { InStatement, Row } from "@libsql/client";
import {
  type Adjudication,
  type ClinicianDecision,
  type JudgeVerdict,
  pairKey,
} from "../core/adjudication.ts";
import type { Completion } from "../core/chat.ts";
import type { JobFailure } from "../runner/job-result.ts";
import type { Row as QueuedRow, Upsert } from "./write-queue.ts";

/** A judge's verdict on a (reference, answer) pair within a run, as stored. */
export interface StoredJudgeVerdict {
  reference: string;
  answer: string;
  /** The judge's backend and model name. */
  provider: string;
  model: string;
  /** The response cache key of the judge's call. */
  key: string;
  /** Null while the call failed (then `error` is set): the pair is still undecided. */
  verdict: JudgeVerdict | null;
  rationale: string | null;
  error: JobFailure | null;
  createdAt: string;
}

/** What the judge runner saves: the verdict, plus the completion for the response cache. */
export interface NewJudgeVerdict extends Omit<StoredJudgeVerdict, "createdAt"> {
  completion: Completion | null;
  /** The completion came from the response cache (it is not written again). */
  cached: boolean;
}

// As for model results: a replay changes nothing, a verdict replaces an error, an error never replaces a verdict.
const JUDGE_VERDICT_UPSERT: Upsert = {
  table: "judge_verdicts",
  columns: [
    "run_id",
    "pair_key",
    "reference",
    "answer",
    "provider",
    "model",
    "key",
    "verdict",
    "rationale",
    "error",
    "created_at",
  ],
  onConflict: `ON CONFLICT (run_id, pair_key) DO UPDATE SET reference = excluded.reference,
    answer = excluded.answer, provider = excluded.provider, model = excluded.model, key = excluded.key,
    verdict = excluded.verdict, rationale = excluded.rationale, error = excluded.error,
    created_at = excluded.created_at
    WHERE judge_verdicts.verdict IS NULL`,
};

export function judgeVerdictRows(
  runId: string,
  verdict: NewJudgeVerdict,
  responseUpsert: Upsert,
  now: string,
): QueuedRow[] {
  const rows: QueuedRow[] = [];
  if (verdict.completion !== null && !verdict.cached) {
    rows.push({
      upsert: responseUpsert,
      values: [verdict.key, verdict.provider, verdict.model, JSON.stringify(verdict.completion), now],
    });
  }
  rows.push({
    upsert: JUDGE_VERDICT_UPSERT,
    values: [
      runId,
      pairKey(verdict.reference, verdict.answer),
      verdict.reference,
      verdict.answer,
      verdict.provider,
      verdict.model,
      verdict.key,
      verdict.verdict,
      verdict.rationale,
      verdict.error === null ? null : JSON.stringify(verdict.error),
      now,
    ],
  });
  return rows;
}

export function judgeVerdictFromRow(row: Row): StoredJudgeVerdict {
  return {
    reference: String(row.reference),
    answer: String(row.answer),
    provider: String(row.provider),
    model: String(row.model),
    key: String(row.key),
    verdict: row.verdict === null ? null : (String(row.verdict) as JudgeVerdict),
    rationale: row.rationale === null ? null : String(row.rationale),
    error: row.error === null ? null : (JSON.parse(String(row.error)) as JobFailure),
    createdAt: String(row.created_at),
  };
}

export function adjudicationStatement(decision: Adjudication): InStatement {
  return {
    sql: `INSERT INTO adjudications (pair_key, reference, answer, decision, reviewer, decided_at, note)
          VALUES (?, ?, ?, ?, ?, ?, ?)
          ON CONFLICT (pair_key) DO UPDATE SET reference = excluded.reference, answer = excluded.answer,
            decision = excluded.decision, reviewer = excluded.reviewer, decided_at = excluded.decided_at,
            note = excluded.note`,
    args: [
      pairKey(decision.reference, decision.answer),
      decision.reference,
      decision.answer,
      decision.decision,
      decision.reviewer,
      decision.decidedAt,
      decision.note,
    ],
  };
}

export function adjudicationFromRow(row: Row): Adjudication {
  return {
    reference: String(row.reference),
    answer: String(row.answer),
    decision: String(row.decision) as ClinicianDecision,
    reviewer: String(row.reviewer),
    decidedAt: String(row.decided_at),
    note: row.note === null ? null : String(row.note),
  };
}
