import type { DiagnosisCase } from "../../core/case.ts";
import { isAbbreviation, normalizeDiagnosis } from "../../terminology/normalize.ts";
import { diagnosisNames, isBroaderThan } from "./diagnosis-names.ts";
import { type GiveawayPhrase, giveawayPhrases } from "./giveaway-phrases.ts";
import {
  DEFAULT_NEAR_DUPLICATE_THRESHOLD,
  DEFAULT_SHINGLE_WORDS,
  findNearDuplicates,
  type NearDuplicate,
} from "./near-duplicates.ts";

/**
 * What the audit checks in each vignette:
 * - `giveaway`: a phrase from the maintained giveaway list (named pathognomonic sign, naming test);
 * - `leak`: the diagnosis, an accepted name or a dictionary synonym of either written in the text;
 * - `red-flag`: a red flag not found verbatim (case-insensitive) in the text;
 * - `label`: an accepted name broader than the reference, `reject` or `mimic` naming the reference or
 *   an accepted name, or either malformed;
 * - `near-duplicate`: two vignettes sharing much of their wording.
 */
export const AUDIT_CHECKS = ["giveaway", "leak", "red-flag", "label", "near-duplicate"] as const;
export type AuditCheck = (typeof AUDIT_CHECKS)[number];

export interface AuditFinding {
  check: AuditCheck;
  case: string;
  /** The second case of a near-duplicate pair. */
  other?: string;
  /** What was found, e.g. the matched words and the giveaway entry's id. */
  detail: string;
}

export interface AuditOptions {
  /** Most findings allowed per check before the audit fails; default 0 for every check. */
  limits?: Partial<Record<AuditCheck, number>>;
  /** Jaccard similarity of word 3-grams at or above which two vignettes are near-duplicates. */
  nearDuplicateThreshold?: number;
  /** Giveaway list to use instead of the shipped one. */
  phrases?: readonly GiveawayPhrase[];
}

export interface SuiteAudit {
  cases: number;
  /** Cases with a `mimic` (designed must-not-miss cases with a commoner benign look-alike). */
  mimicCases: number;
  /** The near-duplicate rule, and the most similar pair of the suite whether or not it reaches it. */
  nearDuplicates: { shingleWords: number; threshold: number; mostSimilar: NearDuplicate | null };
  /** Findings per check. */
  counts: Record<AuditCheck, number>;
  /** Cases with at least one finding, per check. */
  casesWithFindings: Record<AuditCheck, number>;
  limits: Record<AuditCheck, number>;
  /** Checks whose findings exceed their limit; the audit passes when empty. */
  exceeded: AuditCheck[];
  findings: AuditFinding[];
}

/** Audits diagnosis vignettes for giveaways, leaked names, red flags, label conflicts and near-duplicates. */
export function auditDiagnosisCases(cases: readonly DiagnosisCase[], options: AuditOptions = {}): SuiteAudit {
  const phrases = options.phrases ?? giveawayPhrases();
  const threshold = options.nearDuplicateThreshold ?? DEFAULT_NEAR_DUPLICATE_THRESHOLD;
  const findings: AuditFinding[] = [];
  for (const testCase of cases) {
    findings.push(
      ...giveawayFindings(testCase, phrases),
      ...leakFindings(testCase),
      ...redFlagFindings(testCase),
      ...labelFindings(testCase),
    );
  }
  const { pairs, mostSimilar } = findNearDuplicates(
    cases.map((testCase) => ({ id: testCase.id, text: testCase.presentation })),
    { shingleWords: DEFAULT_SHINGLE_WORDS, threshold },
  );
  for (const pair of pairs) {
    findings.push({
      check: "near-duplicate",
      case: pair.first,
      other: pair.second,
      detail: `word 3-gram Jaccard similarity ${pair.similarity.toFixed(3)}`,
    });
  }
  const counts = perCheck(() => 0);
  const affected = perCheck(() => new Set<string>());
  for (const finding of findings) {
    counts[finding.check]++;
    affected[finding.check].add(finding.case);
    if (finding.other !== undefined) affected[finding.check].add(finding.other);
  }
  const limits = perCheck((check) => options.limits?.[check] ?? 0);
  return {
    cases: cases.length,
    mimicCases: cases.filter((testCase) => testCase.mimic !== undefined).length,
    nearDuplicates: { shingleWords: DEFAULT_SHINGLE_WORDS, threshold, mostSimilar },
    counts,
    casesWithFindings: perCheck((check) => affected[check].size),
    limits,
    exceeded: AUDIT_CHECKS.filter((check) => counts[check] > limits[check]),
    findings,
  };
}

function perCheck<T>(value: (check: AuditCheck) => T): Record<AuditCheck, T> {
  return Object.fromEntries(AUDIT_CHECKS.map((check) => [check, value(check)])) as Record<AuditCheck, T>;
}

function giveawayFindings(testCase: DiagnosisCase, phrases: readonly GiveawayPhrase[]): AuditFinding[] {
  return phrases.flatMap((phrase) => {
    const text = testCase.presentation;
    const pattern = new RegExp(phrase.pattern.source, `${phrase.pattern.flags}g`);
    for (const match of text.matchAll(pattern)) {
      if (negated(text, match.index, match.index + match[0].length)) continue;
      return [{ check: "giveaway" as const, case: testCase.id, detail: `"${match[0]}" (${phrase.id})` }];
    }
    return [];
  });
}

/**
 * A finding reported as absent gives nothing away: "no free gas", "without blasts", "direct
 * antiglobulin test negative" (a negation earlier in the same clause, or a negative result right after).
 */
function negated(text: string, start: number, end: number): boolean {
  const before =
    text
      .slice(Math.max(0, start - 40), start)
      .split(/[.;:]/)
      .pop() ?? "";
  const after = text.slice(end, end + 20).split(/[.;,]/)[0];
  return (
    /\b(?:no|not|without|nor|absent|negative for)\b/i.test(before) ||
    /\b(?:negative|normal|absent|not seen)\b/i.test(after)
  );
}

/** The reference, accepted names and their dictionary synonyms, each reported once per case. */
function leakFindings(testCase: DiagnosisCase): AuditFinding[] {
  const text = ` ${normalizeDiagnosis(testCase.presentation.replace(/,/g, "."))} `;
  const leaked = new Set<string>();
  for (const written of [testCase.diagnosis, ...(testCase.accept ?? [])]) {
    for (const name of diagnosisNames(written)) {
      if (namedIn(name, testCase.presentation, text)) leaked.add(name);
    }
  }
  return [...leaked].map((name) => ({ check: "leak" as const, case: testCase.id, detail: `"${name}"` }));
}

/** Abbreviations must appear as the same capitalised token; other names as whole normalised words. */
function namedIn(name: string, presentation: string, normalizedText: string): boolean {
  if (isAbbreviation(name)) {
    return new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegExp(name)}(?![\\p{L}\\p{N}])`, "u").test(presentation);
  }
  const normalized = normalizeDiagnosis(name);
  return normalized !== "" && normalizedText.includes(` ${normalized} `);
}

function redFlagFindings(testCase: DiagnosisCase): AuditFinding[] {
  const text = testCase.presentation.toLowerCase();
  return (testCase.redFlags ?? [])
    .filter((flag) => !text.includes(flag.toLowerCase()))
    .map((flag) => ({
      check: "red-flag" as const,
      case: testCase.id,
      detail: `"${flag}" is not in the text`,
    }));
}

/**
 * Accepted names must not be broader than the reference; `reject` and `mimic` must be well formed and
 * must never name the reference or an accepted name.
 */
function labelFindings(testCase: DiagnosisCase): AuditFinding[] {
  const found: AuditFinding[] = [];
  const finding = (detail: string) => found.push({ check: "label", case: testCase.id, detail });
  const correct = new Set(
    [testCase.diagnosis, ...(testCase.accept ?? [])].flatMap(diagnosisNames).map(normalizeDiagnosis),
  );
  const conflicts = (name: string) =>
    diagnosisNames(name).some((variant) => correct.has(normalizeDiagnosis(variant)));
  for (const name of testCase.accept ?? []) {
    if (isBroaderThan(name, testCase.diagnosis)) finding(`accept "${name}" is broader than the reference`);
  }
  const reject = testCase.reject;
  if (reject !== undefined) {
    if (!Array.isArray(reject) || reject.some((name) => typeof name !== "string" || name.trim() === "")) {
      finding("reject must be a list of non-empty strings");
    } else {
      for (const name of reject as string[]) {
        if (conflicts(name)) finding(`reject "${name}" names the reference or an accepted name`);
      }
    }
  }
  const mimic = testCase.mimic;
  if (mimic !== undefined) {
    if (typeof mimic !== "string" || mimic.trim() === "") finding("mimic must be a non-empty string");
    else if (conflicts(mimic)) finding(`mimic "${mimic}" names the reference or an accepted name`);
  }
  return found;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
