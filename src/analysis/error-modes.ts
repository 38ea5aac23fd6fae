import {
  AUTOMATIC_ERROR_MODES,
  REASONING_CODES,
  REVIEWER_ERROR_MODES,
  type ReasoningCode,
  type ReasoningCodeValue,
} from "../core/error-modes.ts";
import { adjustPValues, cohenKappa, mcnemar } from "../stats/index.ts";
import { wilsonProportion } from "./proportion.ts";
import type { CaseRow, Proportion } from "./report-types.ts";

/** One model's error-mode counts, and each mode's rate over `n` with its Wilson CI. */
export interface ErrorModeModel {
  id: string;
  /** Answers (sample 0) the rates are over: answered ones (automatic), or ones with a settled code (reviewers). */
  n: number;
  counts: Record<string, number>;
  rates: Record<string, Proportion | null>;
}

/** Two models' rates of one mode on the cases where both have an answer in `n`: paired 2×2 and McNemar. */
export interface ErrorModeComparison {
  mode: string;
  a: string;
  b: string;
  n: number;
  both: number;
  aOnly: number;
  bOnly: number;
  neither: number;
  mcnemar: { exactP: number; midP: number | null };
  /** Holm-adjusted exact p across every pair and mode of the table. */
  adjustedP: number;
  adjustment: "holm";
  significant: boolean;
}

export interface ErrorModeTable {
  /** `automatic`: clinval's pre-flags from stored data; `reviewers`: the reviewers' settled codes. */
  source: "automatic" | "reviewers";
  description: string;
  modes: string[];
  models: ErrorModeModel[];
  comparisons: ErrorModeComparison[];
}

/** Cohen's kappa (unweighted, over the codebook's codes) between two reviewers on the answers both coded. */
export interface ReviewerAgreement {
  reviewers: [string, string];
  n: number;
  kappa: number | null;
  observedAgreement: number;
  expectedAgreement: number;
}

export interface ReviewerErrorModeTable extends ErrorModeTable {
  reviewers: string[];
  /** Per model: answers whose reviewers gave different codes and that were not reconciled (left out of n). */
  unresolved: Record<string, number>;
  agreement: ReviewerAgreement[];
}

/** report.json `errorModes` (diagnosis studies). */
export interface ErrorModeSection {
  automatic: ErrorModeTable;
  reviewers: ReviewerErrorModeTable;
}

export interface ErrorModeInput {
  modelIds: readonly string[];
  pairs: ReadonlyArray<readonly [string, string]>;
  rows: ReadonlyArray<Pick<CaseRow, "model" | "case" | "sample" | "outcome" | "errorModes">>;
  codes: readonly ReasoningCode[];
  alpha: number;
  level: number;
}

const AUTOMATIC_DESCRIPTION =
  "Automatic pre-flags computed by clinval from the stored answers and reasoning (suggestions, not reviewed), over every answered case (sample 0).";
const REVIEWER_DESCRIPTION =
  "Reviewers' codes (sample 0): a reconciled code where there is one, else the code the reviewers agree on; answers whose reviewers differ and were not reconciled are left out.";

/**
 * The error-mode tables of a diagnosis report: per model, counts and rates of each mode with Wilson CIs,
 * and paired McNemar comparisons of the rates, once from the automatic flags and once from the
 * reviewers' codes, plus Cohen's kappa between each two reviewers.
 */
export function errorModeSection(input: ErrorModeInput): ErrorModeSection {
  const automaticPresence = new Map<string, Map<string, ReadonlySet<string>>>();
  for (const modelId of input.modelIds) automaticPresence.set(modelId, new Map());
  for (const row of input.rows) {
    if (row.sample !== 0 || row.outcome === "error") continue;
    automaticPresence.get(row.model)?.set(row.case, new Set(row.errorModes ?? []));
  }

  const primaryCodes = input.codes.filter((code) => code.sample === 0);
  const answered = new Set(
    input.rows
      .filter((row) => row.sample === 0 && row.outcome !== "error")
      .map((row) => answerKey(row.model, row.case)),
  );
  const byAnswer = new Map<string, ReasoningCode[]>();
  for (const code of primaryCodes) {
    const key = answerKey(code.modelId, code.caseId);
    if (!answered.has(key)) continue;
    byAnswer.set(key, [...(byAnswer.get(key) ?? []), code]);
  }
  const reviewerPresence = new Map<string, Map<string, ReadonlySet<string>>>();
  const unresolved: Record<string, number> = {};
  for (const modelId of input.modelIds) {
    reviewerPresence.set(modelId, new Map());
    unresolved[modelId] = 0;
  }
  for (const codes of byAnswer.values()) {
    const { modelId, caseId } = codes[0];
    const settled = settledCode(codes);
    if (!reviewerPresence.has(modelId)) continue;
    if (settled === null) unresolved[modelId] += 1;
    else reviewerPresence.get(modelId)?.set(caseId, new Set([settled]));
  }

  return {
    automatic: {
      source: "automatic",
      description: AUTOMATIC_DESCRIPTION,
      ...modeTable(AUTOMATIC_ERROR_MODES, automaticPresence, input),
    },
    reviewers: {
      source: "reviewers",
      description: REVIEWER_DESCRIPTION,
      ...modeTable(REVIEWER_ERROR_MODES, reviewerPresence, input),
      reviewers: [
        ...new Set(primaryCodes.filter((code) => !code.reconciled).map((code) => code.reviewer)),
      ].sort(),
      unresolved,
      agreement: reviewerAgreement(primaryCodes),
    },
  };
}

/** The code that counts for an answer: the reconciled one, else the one every reviewer gave; null when they differ. */
export function settledCode(codes: readonly ReasoningCode[]): ReasoningCodeValue | null {
  const reconciled = codes.find((code) => code.reconciled);
  if (reconciled) return reconciled.code;
  const given = new Set(codes.map((code) => code.code));
  return given.size === 1 ? codes[0].code : null;
}

function answerKey(modelId: string, caseId: string): string {
  return JSON.stringify([modelId, caseId]);
}

function modeTable(
  modes: readonly string[],
  presence: ReadonlyMap<string, ReadonlyMap<string, ReadonlySet<string>>>,
  input: ErrorModeInput,
): Pick<ErrorModeTable, "modes" | "models" | "comparisons"> {
  const models = input.modelIds.map((id): ErrorModeModel => {
    const answers = [...(presence.get(id)?.values() ?? [])];
    const n = answers.length;
    const counts: Record<string, number> = {};
    const rates: Record<string, Proportion | null> = {};
    for (const mode of modes) {
      counts[mode] = answers.filter((present) => present.has(mode)).length;
      rates[mode] = wilsonProportion(counts[mode], n, input.level);
    }
    return { id, n, counts, rates };
  });
  const unadjusted: Omit<ErrorModeComparison, "adjustedP" | "adjustment" | "significant">[] = [];
  for (const [a, b] of input.pairs) {
    const first = presence.get(a);
    const second = presence.get(b);
    if (!first || !second) continue;
    for (const mode of modes) {
      let both = 0;
      let aOnly = 0;
      let bOnly = 0;
      let neither = 0;
      for (const [caseId, left] of first) {
        const right = second.get(caseId);
        if (right === undefined) continue;
        if (left.has(mode) && right.has(mode)) both += 1;
        else if (left.has(mode)) aOnly += 1;
        else if (right.has(mode)) bOnly += 1;
        else neither += 1;
      }
      const test = mcnemar(aOnly, bOnly);
      unadjusted.push({
        mode,
        a,
        b,
        n: both + aOnly + bOnly + neither,
        both,
        aOnly,
        bOnly,
        neither,
        mcnemar: { exactP: test.exactP, midP: test.midP },
      });
    }
  }
  const adjusted =
    unadjusted.length === 0
      ? []
      : adjustPValues(
          unadjusted.map((comparison) => comparison.mcnemar.exactP),
          "holm",
        );
  return {
    modes: [...modes],
    models,
    comparisons: unadjusted.map((comparison, index) => ({
      ...comparison,
      adjustedP: adjusted[index],
      adjustment: "holm",
      significant: adjusted[index] < input.alpha,
    })),
  };
}

function reviewerAgreement(codes: readonly ReasoningCode[]): ReviewerAgreement[] {
  const independent = codes.filter((code) => !code.reconciled);
  const byReviewer = new Map<string, Map<string, ReasoningCodeValue>>();
  for (const code of independent) {
    const answers = byReviewer.get(code.reviewer) ?? new Map<string, ReasoningCodeValue>();
    answers.set(answerKey(code.modelId, code.caseId), code.code);
    byReviewer.set(code.reviewer, answers);
  }
  const reviewers = [...byReviewer.keys()].sort();
  const agreement: ReviewerAgreement[] = [];
  for (let i = 0; i < reviewers.length; i++) {
    for (let j = i + 1; j < reviewers.length; j++) {
      const first = byReviewer.get(reviewers[i]) as Map<string, ReasoningCodeValue>;
      const second = byReviewer.get(reviewers[j]) as Map<string, ReasoningCodeValue>;
      const shared = [...first.keys()].filter((key) => second.has(key)).sort();
      if (shared.length === 0) continue;
      const result = cohenKappa(
        shared.map((key) => first.get(key) as string),
        shared.map((key) => second.get(key) as string),
        { labels: REASONING_CODES },
      );
      agreement.push({
        reviewers: [reviewers[i], reviewers[j]],
        n: result.n,
        kappa: result.kappa,
        observedAgreement: result.observedAgreement,
        expectedAgreement: result.expectedAgreement,
      });
    }
  }
  return agreement;
}
