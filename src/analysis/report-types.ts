import type { GenerationParams } from "../core/chat.ts";
import type { AutomaticErrorMode } from "../core/error-modes.ts";
import type { Outcome } from "../core/outcome.ts";
import type { AdaptationTraining, AdjustMethod, TaskName } from "../core/study.ts";
import type { Calibration, FlipRate, NoiseDiscordance } from "../stats/index.ts";
import type { DiagnosisModelMeasures } from "./diagnosis-measures.ts";
import type { ErrorModeSection } from "./error-modes.ts";
import type { SafetyReport } from "./safety-types.ts";
import type { TriageModelMeasures } from "./triage-measures.ts";

/** Which grading decides "correct" in the primary analysis. */
export type Grading = "strict" | "lenient";

export interface RunInfo {
  id: string;
  startedAt: string;
  finishedAt: string | null;
  /** True when the runner finished every job; the report is also incomplete when any job failed. */
  complete: boolean;
}

/** A proportion with its confidence interval, as `binomialInterval` returns it. */
export interface Proportion {
  /** Successes. */
  x: number;
  n: number;
  estimate: number;
  lower: number;
  upper: number;
  method: string;
  level: number;
}

/** A paired difference in accuracy (A − B) with its confidence interval. */
export interface DifferenceInterval {
  estimate: number;
  lower: number;
  upper: number;
  method: string;
  level: number;
}

export type OutcomeCounts = Record<Outcome, number>;

export interface TokenTotals {
  /** Sums over the jobs that reported the count; null when none did. */
  prompt: number | null;
  completion: number | null;
  reasoning: number | null;
}

/** Per-model fields every task has. */
export interface CommonModelSummary {
  id: string;
  provider: string;
  model: string;
  /** Content digest of the weights, when the backend reported one. */
  digest: string | null;
  params: GenerationParams;
  /** Cases with a non-error outcome (sample 0). */
  n: number;
  outcomes: OutcomeCounts;
  /** The grading behind `accuracy`. */
  grading: Grading;
  /** Primary accuracy (by `grading`) with Wilson 95% CI; null when n = 0. */
  accuracy: Proportion | null;
  strictAccuracy: Proportion | null;
  lenientAccuracy: Proportion | null;
  /** R type 7 quantiles over the non-error jobs; null when there were none. */
  latencyMs: { p50: number | null; p95: number | null };
  tokens: TokenTotals;
  /**
   * Present when the study asks for more than one answer per case: accuracy pooled over every sample
   * (`accuracy`, its interval treating answers as independent), and the per-case analysis.
   */
  samples?: { count: number; n: number; accuracy: Proportion | null } & SampleDiagnostics;
}

/** A model's answers over several samples per case. */
export interface SampleDiagnostics {
  /** Cases with at least one answer. */
  cases: number;
  /**
   * The primary accuracy with several samples: the mean over cases of the per-case proportion correct,
   * with a case-level (cluster) bootstrap interval; null with fewer than two cases.
   */
  perCase: BootstrapEstimate | null;
  /** How often two answers to the same case disagree on correctness (determinism). */
  flips: FlipRate;
}

/** Counts of a paired 2×2 table. */
export interface PairedTableCounts {
  bothCorrect: number;
  aOnly: number;
  bOnly: number;
  neither: number;
}

/** Two models compared on per-case proportions (several samples per case). */
export interface PerCaseComparison {
  /** Cases where both models have at least one answer. */
  cases: number;
  /** Mean over cases of p̂_A − p̂_B with a case-level bootstrap interval; null with fewer than two cases. */
  difference: BootstrapEstimate | null;
  /** Paired sign-flip permutation test of a zero mean difference; null without cases. */
  permutation: {
    p: number;
    method: "exact" | "monte-carlo";
    replicates: number | null;
    seed: number | null;
  } | null;
  /** Secondary: the 2×2 table of per-case majority votes (a tie is not correct) and its McNemar test. */
  majorityVote: PairedTableCounts & { mcnemar: { exactP: number; midP: number | null } };
  /** The disagreement between the two models that sampling noise alone explains. */
  discordance: NoiseDiscordance;
}

/** Per-class scores over the answers with a label. */
export interface ClassScores {
  /** Of the answers giving this label, the share whose reference is this label; 0 when never given. */
  precision: number;
  /** Of the cases with this reference label, the share the model gave this label; 0 when support is 0. */
  recall: number;
  /** Harmonic mean of precision and recall; 0 when both are 0. */
  f1: number;
  /** Answers with a label whose reference is this label. */
  support: number;
}

/** A seeded bootstrap confidence interval, resampling cases. */
export interface BootstrapEstimate {
  estimate: number;
  lower: number;
  upper: number;
  method: string;
  level: number;
  /** Number of resamples. */
  replicates: number;
  seed: number;
}

/**
 * Triage: the model's labels against the reference labels (report.json `classification`). Every measure
 * is computed over the answers with a label; `scope` says so in words, and `unlabelled` counts the rest.
 */
export interface Classification {
  /** The study's labels, least to most severe: the order of the confusion matrix's rows and columns. */
  labels: string[];
  /** How answers without a label (unparseable, truncated) enter these measures. */
  scope: string;
  /** Answers with a label (outcome correct or incorrect): the n of every measure below. */
  labelled: number;
  /** confusion[i][j] = answers whose reference is labels[i] and whose label is labels[j]. */
  confusion: number[][];
  /** Per reference label, answers without a label: the confusion matrix's "no label" column. */
  unlabelled: number[];
  perClass: Record<string, ClassScores>;
  /** Unweighted mean of the per-class F1 over every label of the study (a label never given counts 0). */
  macroF1: number;
  /** Bootstrap CI of macro-F1; null with fewer than two labelled answers. */
  macroF1Interval: BootstrapEstimate | null;
  /** The last label of the set. */
  mostSevereLabel: string;
  /** Recall of the most severe label; null when no labelled answer has it as reference. */
  mostSevereRecall: number | null;
  /**
   * The same with answers without a label counted as misses: the conservative reading of the safety
   * measure. Null when no answered case has the most severe reference label.
   */
  mostSevereRecallWithUnlabelled: number | null;
  /** Share of labelled answers with a less severe label than the reference. */
  underTriage: number;
  /** Share of labelled answers with a more severe label than the reference. */
  overTriage: number;
  /** Cohen's kappa against the reference with linear weights; null when chance agreement is 1. */
  weightedKappa: number | null;
  kappaWeights: "linear";
  /** Wilson interval of `mostSevereRecall` (x of the labelled answers whose reference is the most severe label). */
  mostSevereRecallInterval: Proportion | null;
  /** Wilson intervals of under- and over-triage over the labelled answers. */
  underTriageInterval: Proportion;
  overTriageInterval: Proportion;
  /** kappa ± z·SE with the large-sample SE of Fleiss, Cohen & Everitt (1969); null with kappa. */
  weightedKappaInterval: DifferenceInterval | null;
  /**
   * For answers that gave a probability per label (on-site classifiers): Brier score and reliability curve
   * of P(most severe label) against whether the reference is that label, and the multi-class Brier score
   * (mean over answers of Σ over labels (p − y)²). Null when no answer gave probabilities.
   */
  calibration: (Calibration & { label: string; multiclassBrier: number }) | null;
}

/** A paired 2×2 table of an event (urgent case recalled, case under-triaged) in two models on the same cases. */
export interface PairedEvent {
  /** Cases both models answered (no error) that are in the measure's scope. */
  n: number;
  both: number;
  aOnly: number;
  bOnly: number;
  neither: number;
  /** Rate in A − rate in B with Newcombe's interval; null when n = 0. */
  difference: DifferenceInterval | null;
  mcnemar: { exactP: number; midP: number | null };
}

/** Triage: the safety measures compared between two models on the same cases (first answers). */
export interface TriageSafetyComparison {
  mostSevereLabel: string;
  /**
   * Recall of the most severe label over the cases whose reference is that label; an answer without a label
   * counts as a miss.
   */
  recall: PairedEvent;
  /**
   * Under-triage (a less severe label than the reference) over every case; an answer without a label counts
   * as under-triaged unless the reference is the least severe label.
   */
  underTriage: PairedEvent;
}

/** Per-model fields that only some tasks have; each task's measures fill their own part. */
export type TaskModelMeasures = Partial<DiagnosisModelMeasures & TriageModelMeasures>;

export type ModelSummary = CommonModelSummary & TaskModelMeasures;

export interface Comparison {
  a: string;
  b: string;
  /** Cases where both models have a non-error outcome. */
  n: number;
  /** Cases left out because either model had an error. */
  excluded: number;
  bothCorrect: number;
  aOnly: number;
  bOnly: number;
  neither: number;
  /** p_A − p_B with Newcombe's CI; null when n = 0. */
  difference: DifferenceInterval | null;
  mcnemar: { exactP: number; midP: number | null };
  /**
   * `primary`: a declared hypothesis, adjusted with the other primary ones; `exploratory`: reported
   * unadjusted (`adjustedP` = `p`, `adjustment` "none").
   */
  role: HypothesisRole;
  /** The test behind `p`: exact McNemar (one sample per case) or the per-case sign-flip permutation test. */
  test: "mcnemar-exact" | "sign-flip-permutation";
  /** The unadjusted p of `test`. */
  p: number;
  /** `p` adjusted across the primary family (`adjustment`); equal to `p` for an exploratory comparison. */
  adjustedP: number;
  adjustment: AdjustMethod | "none";
  /** adjustedP < alpha. */
  significant: boolean;
  /** Several samples per case: the per-case analysis (its permutation p is `p`). */
  samples?: PerCaseComparison;
  /** Triage studies: paired comparisons of urgent recall and under-triage (exploratory, unadjusted). */
  safety?: TriageSafetyComparison;
}

export type HypothesisRole = "primary" | "exploratory";

/** A model × subgroup interaction: does the paired difference A − B change between the strata of a field? */
export interface Interaction {
  field: string;
  a: string;
  b: string;
  role: HypothesisRole;
  /** Per stratum: the paired table behind the difference (majority vote with several samples). */
  strata: Array<{ value: string; n: number; difference: DifferenceInterval | null } & PairedTableCounts>;
  /** Each later stratum's difference minus the first stratum's, with a MOVER interval. */
  contrasts: Array<{
    value: string;
    reference: string;
    estimate: number;
    lower: number;
    upper: number;
    method: string;
    level: number;
  }>;
  /** Homogeneity of the discordant-pair split across strata: Fisher exact (two strata) or chi-square. */
  test: { method: "fisher-exact" | "chi-square"; statistic: number | null; df: number };
  p: number;
  adjustedP: number;
  adjustment: AdjustMethod | "none";
  significant: boolean;
}

/** One row of the missing-answer sensitivity table. */
export const SENSITIVITY_ANALYSES = ["primary", "errors-as-incorrect", "truncated-excluded"] as const;
export type SensitivityName = (typeof SENSITIVITY_ANALYSES)[number];

export interface SensitivityAnalysis {
  analysis: SensitivityName;
  description: string;
  models: Array<{ id: string; n: number; correct: number; accuracy: DifferenceInterval | null }>;
  comparisons: Array<{
    a: string;
    b: string;
    /** Cases both models have in this analysis. */
    n: number;
    difference: DifferenceInterval | null;
    test: Comparison["test"];
    p: number;
    adjustedP: number;
    role: HypothesisRole;
    significant: boolean;
  }>;
}

export interface SubgroupStratum {
  field: string;
  value: string;
  /** Cases of the suite in this stratum. */
  cases: number;
  models: ModelSummary[];
  comparisons: Comparison[];
}

/** A job that did not produce an answer: excluded from n and listed. */
export interface JobErrorEntry {
  model: string;
  case: string;
  sample: number;
  cause: string;
}

/** report.json, schema `clinval.report/v1` (DESIGN.md). */
export interface Report {
  schema: "clinval.report/v1";
  study: {
    name: string;
    task: TaskName;
    topK: number;
    alpha: number;
    /** Confidence level of every interval in the report: the study's `confidence`, else 1 − alpha. */
    level: number;
    /** Multiplicity adjustment across the primary hypotheses. */
    adjust: AdjustMethod;
    /** Subgroup fields whose stratum comparisons and interactions of primary pairs are primary. */
    primarySubgroups: string[];
    samples: number;
    grading: Grading;
    /** Triage: the cut-off for the most severe label on answers with probabilities, when one was set. */
    threshold?: number;
    subgroups: string[];
    suite: { id: string; cases: number; sha256: string };
    /**
     * Diagnosis: the terminology grading used — its source (repository, release, commit, licence, the
     * corrections applied), then each overlay applied on top of it.
     */
    terminology?: Array<Record<string, string>>;
  };
  run: RunInfo;
  models: ModelSummary[];
  comparisons: Comparison[];
  subgroups: SubgroupStratum[];
  /** Model × subgroup interactions, per subgroup field with at least two strata and per comparison. */
  interactions: Interaction[];
  /** The comparisons and accuracies again with errors counted as incorrect, and with truncated answers left out. */
  sensitivity: SensitivityAnalysis[];
  errors: JobErrorEntry[];
  /** A warning shown under the status line of report.md and report.html (e.g. the smoke demo's). */
  notice?: string;
  /** Diagnosis studies with a judge: the judge model and how its verdicts on undecided answers came out. */
  judge?: JudgeSummaryBlock;
  /** Where clinicians adjudicated answers of this run: each grading's agreement with them. */
  agreement?: AgreementBlock;
  /** Diagnosis studies: reasoning error modes per model, from automatic pre-flags and from reviewers' codes. */
  errorModes?: ErrorModeSection;
  /** The prompt the models were given, verbatim (an appendix of report.md and report.html). */
  prompt?: PromptAppendix;
  /** Safety studies (`task: safety`): each probe's variants paired with the unperturbed answers. */
  safety?: SafetyReport;
  /**
   * Adapted models (`adapters:` in the study): the adapter, and, when the study names its training data,
   * the data card and the contamination check of the training files against this run's cases.
   */
  adaptations?: AdaptationBlock[];
}

export interface AdaptationBlock {
  model: string;
  base: string;
  /** The LoRA file's name (llama-cpp) or the name the server serves the adapted model under. */
  adapter: string;
  adapterSha256: string | null;
  /** null when the study names no training data for the adapter. */
  training: AdaptationTraining | null;
}

export interface PromptAppendix {
  /** `built-in`: clinval's own prompt, with the case's fields as {{placeholders}}; or the study's template file. */
  source: "built-in" | "study template";
  /** The template's file name (no folder); null for the built-in prompt. */
  file: string | null;
  messages: Array<{ role: string; content: string }>;
  /** Why the messages are missing, when they are. */
  note?: string;
}

export interface JudgeSummaryBlock {
  provider: string;
  model: string;
  /** Distinct (reference, answer) pairs the judge was asked about. */
  pairs: number;
  /** Pairs per verdict (same, more-specific, broader, related, different, unparseable). */
  verdicts: Record<string, number>;
  /** Pairs whose judge call failed: still undecided, and the run incomplete. */
  undecided: number;
}

export interface AgreementBlock {
  /** Distinct (reference, answer) pairs of the run that a clinician decided. */
  adjudicated: number;
  methods: Array<{
    method: string;
    n: number;
    observedAgreement: number | null;
    kappa: { estimate: number; lower: number; upper: number; level: number } | null;
    /** Rows: the clinician's call; columns: the grading's. */
    confusion: {
      correct: { correct: number; incorrect: number };
      incorrect: { correct: number; incorrect: number };
    };
  }>;
}

/** One row of cases.csv: one model × case × sample. */
export interface CaseRow {
  model: string;
  case: string;
  sample: number;
  outcome: Outcome;
  /** Grading ladder rung of the strict match (diagnosis). */
  rung: string | null;
  rank: number | null;
  lenientRank: number | null;
  needsReview: boolean | null;
  /** The answers extracted from the completion, in order. */
  answers: string[];
  /** The reference answer (the case's diagnosis, or its triage label). */
  reference: string | null;
  /** Triage: the label the answer gave; null when it gave none. Absent for other tasks. */
  predicted?: string | null;
  /** Triage: the answer's probability per label, when it gave them; null otherwise. Absent for other tasks. */
  probabilities?: Record<string, number> | null;
  /** The fuzzy suggestion behind `needsReview`. */
  suggestion: { answer: string; reference: string; similarity: number } | null;
  /** Diagnosis: the judge's verdict and rationale per answer it decided, `answer: verdict — rationale | …`. */
  judge?: string | null;
  /** Diagnosis: the grading rung of each listed answer, in order. */
  answerRungs?: string[];
  /** Diagnosis: the concept ids each listed answer was mapped to, in order. */
  answerConcepts?: string[][];
  /** Diagnosis: the concept ids of the reference diagnosis and its accepted names. */
  referenceConcepts?: string[];
  latencyMs: number | null;
  tokens: TokenTotals;
  /** The error's cause, for `error` outcomes. */
  error: string | null;
  /** The case's value of each study subgroup field; null when the case lacks it. */
  subgroups: Record<string, string | null>;
  /** Diagnosis: the reasoning error modes clinval pre-flags for this answer; absent for other tasks. */
  errorModes?: AutomaticErrorMode[];
}

/** What the Markdown, HTML and CSV reports need beyond report.json. */
export interface ReportDetails {
  rows: CaseRow[];
}

export interface StudyAnalysis {
  report: Report;
  details: ReportDetails;
}
