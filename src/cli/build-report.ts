import { basename } from "node:path";
import { NOT_RUN_CAUSE } from "../analysis/graded-job.ts";
import { analyzeStudy, type Report, type StudyAnalysis } from "../analysis/index.ts";
import { analyzeSafety } from "../analysis/safety-analysis.ts";
import type { Suite } from "../core/case.ts";
import type { ModelIdentity } from "../core/chat.ts";
import { InputError } from "../core/errors.ts";
import type { Study } from "../core/study.ts";
import { gradingAgreement } from "../judge/agreement.ts";
import { judgeSummaryBlock } from "../judge/report-blocks.ts";
import { loadRunDecisions } from "../judge/run-decisions.ts";
import { adjustmentName, levelText, percent } from "../report/format.ts";
import { writeReports } from "../report/index.ts";
import type { RunRecord, Store } from "../store/store.ts";
import { VARIANT_FIELD } from "../tasks/safety/derive-variants.ts";
import type { Task } from "../tasks/task.ts";
import { terminologyWithOverlays } from "../terminology/load-terminology.ts";
import { promptAppendix } from "./prompt-appendix.ts";

export type Grading = "strict" | "lenient";

export interface StoredRunInput {
  store: Store;
  run: RunRecord;
  study: Study;
  suite: Suite;
  task: Task;
  primary: Grading;
  identities?: ReadonlyMap<string, ModelIdentity>;
  /** The prompt template the run used, when the caller has it (otherwise the study's file is read). */
  template?: string;
}

/**
 * Analyses a stored run as report.json shows it. Calls no model: clinician adjudications, the run's
 * stored judge verdicts and reviewers' error-mode codes are applied as they are in the store.
 */
export async function analyzeStoredRun(options: StoredRunInput): Promise<StudyAnalysis> {
  const { store, run, study, suite, task } = options;
  const stored = await store.getRun(run.id);
  const results = await store.results(run.id);
  const { adjudications, verdicts, decisions } = await loadRunDecisions(store, run.id);
  // A safety study's accuracy tables are about the cases as written; its variants are measured in `safety`.
  const variants = new Set(
    suite.cases.filter((testCase) => VARIANT_FIELD in testCase).map((testCase) => testCase.id),
  );
  const original = (caseId: string) => !variants.has(caseId);
  const { report, details } = analyzeStudy({
    study,
    suite: study.safety
      ? { ...suite, cases: suite.cases.filter((testCase) => original(testCase.id)) }
      : suite,
    run: {
      id: run.id,
      startedAt: run.startedAt,
      finishedAt: stored?.finishedAt ?? run.finishedAt,
      complete: stored?.complete ?? run.complete,
    },
    results: study.safety ? results.filter((result) => original(result.caseId)) : results,
    grade: (testCase, completion) => task.grade(testCase, completion, study, decisions),
    identities: options.identities,
    primary: options.primary,
    reasoningCodes: await store.reasoningCodes(run.id),
  });
  if (study.notice) report.notice = study.notice;
  const safety = analyzeSafety({
    study,
    cases: suite.cases,
    results,
    grade: (testCase, completion) => task.grade(testCase, completion, study, decisions),
    grading: options.primary,
    level: report.study.level,
    runId: run.id,
    workbench: study.workbench,
  });
  if (safety) report.safety = safety;
  if (study.task === "diagnosis" && study.judge) report.judge = judgeSummaryBlock(study.judge, verdicts);
  if (study.task === "diagnosis" && adjudications.length > 0) {
    const agreement = gradingAgreement({
      study,
      cases: suite.cases,
      results,
      adjudications,
      verdicts,
      level: report.study.level,
    });
    if (agreement.adjudicated > 0) {
      report.agreement = { adjudicated: agreement.adjudicated, methods: agreement.methods };
    }
  }
  if (study.task === "diagnosis") {
    report.study.terminology = terminologyWithOverlays(study.terminology ?? []).sources.map((source) =>
      Object.fromEntries(
        Object.entries(source).filter(([key]) =>
          ["source", "release", "commit", "licence", "corrections"].includes(key),
        ),
      ),
    );
  }
  if (study.adaptations) {
    report.adaptations = study.adaptations.map((adaptation) => ({
      model: adaptation.model,
      base: adaptation.base,
      adapter: adaptation.adapterSha256 === undefined ? adaptation.adapter : basename(adaptation.adapter),
      adapterSha256: adaptation.adapterSha256 ?? null,
      training: adaptation.training ?? null,
    }));
  }
  report.prompt = await promptAppendix(study, task, options.template);
  return { report, details };
}

/** Analyses a stored run and writes report.json, report.md, report.html and cases.csv. Calls no model. */
export async function buildReport(
  options: StoredRunInput & { outputDirectory: string },
): Promise<{ report: Report; files: string[] }> {
  const { report, details } = await analyzeStoredRun(options);
  const files = await writeReports(report, details, options.outputDirectory);
  return { report, files };
}

/** A short summary for the terminal: one line per model, one per comparison. */
export function summarize(report: Report): string {
  const notStarted = new Map<string, number>();
  for (const entry of report.errors) {
    if (entry.cause === NOT_RUN_CAUSE) notStarted.set(entry.model, (notStarted.get(entry.model) ?? 0) + 1);
  }
  const lines = [
    report.run.complete
      ? "Run complete."
      : notStarted.size > 0
        ? "Run INCOMPLETE: some jobs were not started or ended in errors; run again to resume."
        : "Run INCOMPLETE: some jobs ended in errors; run again to resume.",
  ];
  for (const model of report.models) {
    // With several samples per case the per-case mean is the primary accuracy.
    const accuracy = model.samples?.perCase ?? model.accuracy;
    const estimate = accuracy
      ? `${percent(accuracy.estimate)}% (${levelText(accuracy.level)} CI ${percent(accuracy.lower)}%–${percent(accuracy.upper)}%)`
      : "no answers";
    const waiting = notStarted.get(model.id) ?? 0;
    const errors = model.outcomes.error - waiting;
    lines.push(
      `  ${model.id}: ${estimate}, n = ${model.n}, errors ${errors}${waiting > 0 ? `, not started ${waiting}` : ""}`,
    );
  }
  for (const comparison of report.comparisons) {
    const p = comparison.adjustedP;
    lines.push(
      `  ${comparison.a} vs ${comparison.b}: ${comparison.aOnly}/${comparison.bOnly} discordant, ${pLabel(comparison)} = ${p == null ? "—" : p.toPrecision(3)}${comparison.significant ? " (significant)" : ""}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/**
 * What `clinval run --json` and `clinval report --json` print (docs/formats.md): the run, whether it is
 * complete, the exit code, the files written and the whole report.json.
 */
export function summaryJson(report: Report, files: string[], exitCode: number): string {
  return `${JSON.stringify({ runId: report.run.id, complete: report.run.complete, exitCode, files, report })}\n`;
}

/** Lenient grading counts fuzzy diagnosis matches; a triage answer is a label, with nothing fuzzy to count. */
export function refuseLenientTriage(study: Pick<Study, "task">): void {
  if (study.task === "triage") {
    throw new InputError(
      "--lenient applies to diagnosis grading (fuzzy name matches); a triage answer is a label and is graded one way",
      { field: "--lenient" },
    );
  }
}

/** "Holm p" for a primary comparison (as reports before declarations said), "unadjusted p, exploratory" otherwise. */
function pLabel(comparison: Report["comparisons"][number]): string {
  const adjustment = comparison.adjustment ?? "holm";
  return adjustment === "none" ? "unadjusted p, exploratory" : `${adjustmentName(adjustment)} p`;
}
