import type { AdjustMethod } from "../core/study.ts";
import type { DifferenceInterval, Proportion } from "./report-types.ts";

/**
 * One yes/no event (correct, answered the attacker's target, under-triaged) on each original case and on
 * its variant: the paired 2×2 table, both rates, their difference (variant − original) and McNemar's test.
 */
export interface PairedEvent {
  /** Pairs where the event happened on both, on the original only, on the variant only, on neither. */
  both: number;
  originalOnly: number;
  variantOnly: number;
  neither: number;
  original: Proportion | null;
  variant: Proportion | null;
  difference: DifferenceInterval | null;
  mcnemar: { exactP: number; midP: number | null };
}

export type SafetyMeasure = "correctness" | "target" | "under-triage";

/** One model under one probe item (an attribute, a technique or a premise form). */
export interface SafetyGroup {
  model: string;
  probe: string;
  kind: "demographic" | "injection" | "premise" | "translation";
  item: string;
  /** Variants of this item in the run. */
  variants: number;
  /** Variants whose answer and whose original's answer were both there (errors excluded). */
  pairs: number;
  correctness: PairedEvent;
  /** Share of pairs whose correctness changed (either way). */
  correctnessFlips: Proportion | null;
  /** Share of pairs whose top-1 diagnosis (normalised) or triage label changed. */
  topFlips: Proportion | null;
  /** Injections and premises with a target: the top answer is the attacker's target or asserted diagnosis. */
  target?: PairedEvent;
  /** Triage: the label given is less severe than the reference. */
  underTriage?: PairedEvent;
  /** Premises: adopted (see the probe's adoption rule) and corrected (right, premise not adopted). */
  adoption?: Proportion | null;
  correction?: Proportion | null;
  /**
   * Translations: the two languages agree on correctness, and on whether the top-1 answer is the reference
   * (answers in two languages are not compared as strings; `topFlips` is null).
   */
  agreement?: Proportion | null;
  topAgreement?: Proportion | null;
  /** Translations: agreement of the top-1 answers' concepts across the two languages. */
  concepts?: ConceptAgreement;
  /** Injections: the attack succeeded, by where the instruction was placed. */
  byPosition?: Array<{ position: string; success: Proportion | null }>;
  /** The event tested for this group's finding, its exact McNemar p and Holm's adjustment across the model's groups. */
  primary: SafetyMeasure;
  exactP: number;
  adjustedP: number;
  /** Holm-adjusted p below the study's alpha, in the harmful direction. */
  finding: boolean;
  /** Pairs that went the harmful way, in case order (at most WORST_CASES). */
  worst: SafetyCaseChange[];
}

/**
 * Each language's top-1 answer mapped to concepts: its case's reference when graded as the reference or an
 * accepted name, any case's reference when it is one of that case's names (either language), and the
 * grading terminology's concepts; unmapped when none. A triage label is its own concept (decision 0033).
 */
export interface ConceptAgreement {
  /** Pairs whose two top-1 answers both mapped, and among them the share naming the same concept. */
  mapped: number;
  agreement: Proportion | null;
  /** Pairs left out because a top-1 answer did not map (or there was none): in the original's language, the variant's, either. */
  unmapped: { original: number; variant: number; pairs: number };
}

export interface SafetyCaseChange {
  case: string;
  variant: string;
  /** Top-1 diagnosis or label, before and after; null for an answer without one. */
  originalAnswer: string | null;
  variantAnswer: string | null;
  /** What the perturbation was: the descriptor, the swap or the target. */
  perturbation: string | null;
  /** The variant's page in the workbench (`clinval view`), as a path on its address (`SafetyReport.workbench`). */
  workbench: string;
}

export interface SafetyRisk {
  kind: SafetyGroup["kind"];
  /** Groups measured (models × items) and those with a finding. */
  groups: number;
  findings: number;
  /** The group with the largest harmful change of its primary event, or null with no pairs. */
  largest: {
    model: string;
    item: string;
    primary: SafetyMeasure;
    /** Harmful change: lost correctness, or the rise of target / under-triage answers (variant − original). */
    change: DifferenceInterval;
    adjustedP: number;
  } | null;
}

/**
 * One stratum of a subgroup field (the original case's value): every model × item measured on the pairs whose
 * original is in the stratum. Exploratory unless the field is declared in `primarySubgroups`: `adjustedP`
 * then equals `exactP` and `finding` marks an unadjusted p below alpha in the harmful direction.
 */
export interface SafetyStratum {
  field: string;
  value: string;
  /** Original cases in the stratum. */
  cases: number;
  /** `none`: exploratory; `holm`: a declared field, adjusted in each model's family with its probe items. */
  adjustment: AdjustMethod | "none";
  groups: SafetyGroup[];
}

/** report.json `safety`: the probes of a `task: safety` study, paired against the unperturbed answers. */
export interface SafetyReport {
  base: "diagnosis" | "triage";
  seed: number;
  probes: string[];
  /** Original cases in the run, and variants derived from them. */
  cases: number;
  variants: number;
  groups: SafetyGroup[];
  /** The multiplicity adjustment of each model's family (the study's `adjust:`, Holm by default). */
  adjustment: AdjustMethod;
  summary: SafetyRisk[];
  /** The groups again in each stratum of the study's subgroup fields (absent without subgroups). */
  subgroups?: SafetyStratum[];
  /** The address `clinval view` serves the run's store on; report.html links the worst cases to it. */
  workbench?: string;
}
