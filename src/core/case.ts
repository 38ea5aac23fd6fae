/**
 * A case as loaded from a suite: `id` plus the task's fields, already mapped onto clinval's names.
 * Any extra field is kept and can be a subgroup.
 */
export interface Case {
  id: string;
  [field: string]: unknown;
}

/** Diagnosis case, see DESIGN.md "Diagnosis case". */
export interface DiagnosisCase extends Case {
  presentation: string;
  diagnosis: string;
  accept?: string[];
  /** Subtypes and look-alikes that must not count although the terminology calls them narrower. */
  reject?: string[];
  specialty?: string;
  incidence?: string;
  urgency?: string;
  redFlags?: string[];
  mustNotMiss?: string[];
  lang?: string;
}

/** Triage case, see DESIGN.md "Triage case". */
export interface TriageCase extends Case {
  text: string;
  label: string;
  scanType?: string;
  region?: string;
  split?: string;
}

export interface Suite<C extends Case = Case> {
  /** Built-in id (`dx-core`) or the file name of a user's case file. */
  id: string;
  /** The file the cases were read from. */
  source: string;
  /** sha256 of the case file's bytes. */
  sha256: string;
  cases: C[];
}
