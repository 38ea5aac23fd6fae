import {
  type Adjudication,
  CLINICIAN_DECISIONS,
  type ClinicianDecision,
  countsAsCorrect,
  type JudgeVerdict,
  NO_DECISIONS,
  pairKey,
} from "../core/adjudication.ts";
import type { Case } from "../core/case.ts";
import type { Study } from "../core/study.ts";
import type { JobResult } from "../runner/job-result.ts";
import { cohenKappaInterval } from "../stats/kappa-interval.ts";
import type { StoredJudgeVerdict } from "../store/decision-rows.ts";
import { gradedAnswers } from "./answer-pairs.ts";

/** The gradings compared with the clinicians, from the terminology alone to what the report uses. */
export const AGREEMENT_METHODS = ["strict", "lenient", "judge", "strict+judge"] as const;
export type AgreementMethod = (typeof AGREEMENT_METHODS)[number];

type Call = "correct" | "incorrect";

/** Rows: the clinician's call; columns: the grading's. */
export interface Confusion {
  correct: { correct: number; incorrect: number };
  incorrect: { correct: number; incorrect: number };
}

export interface MethodAgreement {
  method: AgreementMethod;
  /** Adjudicated pairs this grading decided (the judge: those with a readable verdict). */
  n: number;
  /** Share of those pairs where the grading and the clinician agree on correct / not correct. */
  observedAgreement: number | null;
  /** Unweighted Cohen's kappa with its 95% Wald interval; null when undefined (one call only, or n = 0). */
  kappa: { estimate: number; lower: number; upper: number; level: number } | null;
  confusion: Confusion;
}

/** For one rung: how the clinicians decided the pairs that rung decided. */
export interface RungAgreement {
  /** exact, accepted, dictionary, fuzzy, judge (readable verdicts), unparseable (judge), or none. */
  rung: string;
  pairs: number;
  /** Pairs where the rung's call (correct for exact … fuzzy and a same / more-specific verdict) is the clinician's. */
  agreeing: number;
  clinician: Record<ClinicianDecision, number>;
}

export interface PairComparison {
  reference: string;
  answer: string;
  clinician: ClinicianDecision;
  reviewer: string;
  note: string | null;
  /** The terminology rung that matched the pair, `fuzzy` for a suggestion, or null. */
  rung: string | null;
  judgeVerdict: JudgeVerdict | null;
  judgeRationale: string | null;
  /** Each grading's call; the judge's is null without a readable verdict. */
  calls: Record<AgreementMethod, Call | null>;
}

export interface GradingAgreement {
  /** Distinct (reference, answer) pairs of the run with a clinician decision. */
  adjudicated: number;
  methods: MethodAgreement[];
  rungs: RungAgreement[];
  /** Adjudicated pairs where any grading's call differs from the clinician's. */
  disagreements: PairComparison[];
}

/**
 * Compares each grading with the clinicians' decisions on the run's answers. Answers are graded without
 * the clinicians' decisions, so each rung and the judge are seen as they decided; a clinician's
 * `correct` and `more-specific` count as correct, `broader` and `incorrect` as not.
 */
export function gradingAgreement(input: {
  study: Pick<Study, "topK">;
  cases: readonly Case[];
  results: readonly JobResult[];
  adjudications: readonly Adjudication[];
  verdicts: readonly StoredJudgeVerdict[];
  /** Confidence level of the kappa intervals; default 0.95 (a report passes the study's). */
  level?: number;
}): GradingAgreement {
  const adjudicated = new Map(
    input.adjudications.map((entry) => [pairKey(entry.reference, entry.answer), entry]),
  );
  const verdicts = new Map(
    input.verdicts.flatMap((stored) =>
      stored.verdict === null ? [] : [[pairKey(stored.reference, stored.answer), stored] as const],
    ),
  );
  const pairs = new Map<string, PairComparison>();
  for (const { reference, step } of gradedAnswers(input.study, input.cases, input.results, NO_DECISIONS)) {
    const key = pairKey(reference, step.answer);
    const decision = adjudicated.get(key);
    if (decision === undefined || pairs.has(key)) continue;
    const judged = verdicts.get(key);
    const verdict = judged?.verdict ?? null;
    const strict: Call = isMatchRung(step.rung) ? "correct" : "incorrect";
    const judge: Call | null =
      verdict === null || verdict === "unparseable"
        ? null
        : countsAsCorrect(verdict)
          ? "correct"
          : "incorrect";
    pairs.set(key, {
      reference,
      answer: step.answer,
      clinician: decision.decision,
      reviewer: decision.reviewer,
      note: decision.note,
      rung: step.rung,
      judgeVerdict: verdict,
      judgeRationale: judged?.rationale ?? null,
      calls: {
        strict,
        lenient: strict === "correct" || step.rung === "fuzzy" ? "correct" : "incorrect",
        judge,
        "strict+judge": strict === "correct" || judge === "correct" ? "correct" : "incorrect",
      },
    });
  }
  const compared = [...pairs.values()];
  const truth = (pair: PairComparison): Call => (countsAsCorrect(pair.clinician) ? "correct" : "incorrect");
  return {
    adjudicated: compared.length,
    methods: AGREEMENT_METHODS.map((method) => methodAgreement(method, compared, truth, input.level ?? 0.95)),
    rungs: rungAgreements(compared, truth),
    disagreements: compared.filter((pair) =>
      AGREEMENT_METHODS.some((method) => pair.calls[method] !== null && pair.calls[method] !== truth(pair)),
    ),
  };
}

function methodAgreement(
  method: AgreementMethod,
  pairs: readonly PairComparison[],
  truth: (pair: PairComparison) => Call,
  level: number,
): MethodAgreement {
  const rated = pairs.filter((pair) => pair.calls[method] !== null);
  const clinician = rated.map(truth);
  const grading = rated.map((pair) => pair.calls[method] as Call);
  const confusion: Confusion = {
    correct: { correct: 0, incorrect: 0 },
    incorrect: { correct: 0, incorrect: 0 },
  };
  rated.forEach((_, index) => {
    confusion[clinician[index]][grading[index]] += 1;
  });
  if (rated.length === 0) return { method, n: 0, observedAgreement: null, kappa: null, confusion };
  const interval = cohenKappaInterval(clinician, grading, level, ["correct", "incorrect"]);
  return {
    method,
    n: rated.length,
    observedAgreement: (confusion.correct.correct + confusion.incorrect.incorrect) / rated.length,
    kappa:
      interval.kappa === null || interval.lower === null || interval.upper === null
        ? null
        : { estimate: interval.kappa, lower: interval.lower, upper: interval.upper, level: interval.level },
    confusion,
  };
}

function rungAgreements(
  pairs: readonly PairComparison[],
  truth: (pair: PairComparison) => Call,
): RungAgreement[] {
  const rows = new Map<string, RungAgreement>();
  const add = (rung: string, call: Call, pair: PairComparison) => {
    let row = rows.get(rung);
    if (row === undefined) {
      const clinician = Object.fromEntries(CLINICIAN_DECISIONS.map((decision) => [decision, 0]));
      row = { rung, pairs: 0, agreeing: 0, clinician: clinician as Record<ClinicianDecision, number> };
      rows.set(rung, row);
    }
    row.pairs += 1;
    row.clinician[pair.clinician] += 1;
    if (call === truth(pair)) row.agreeing += 1;
  };
  for (const pair of pairs) {
    add(pair.rung ?? "none", isMatchRung(pair.rung) || pair.rung === "fuzzy" ? "correct" : "incorrect", pair);
    if (pair.judgeVerdict === "unparseable") add("unparseable", "incorrect", pair);
    else if (pair.calls.judge !== null) add("judge", pair.calls.judge, pair);
  }
  const order = [
    "exact",
    "accepted",
    "synonym",
    "more-specific",
    "spelling",
    "composite",
    "excluded",
    "rejected",
    "broader",
    "different",
    "fuzzy",
    "none",
    "judge",
    "unparseable",
  ];
  return [...rows.values()].sort((first, second) => order.indexOf(first.rung) - order.indexOf(second.rung));
}

/** The terminology's rungs that make an answer correct (see AnswerRung). */
const MATCH_RUNGS = new Set(["exact", "accepted", "synonym", "more-specific", "spelling", "composite"]);

function isMatchRung(rung: string | null): boolean {
  return rung !== null && MATCH_RUNGS.has(rung);
}
