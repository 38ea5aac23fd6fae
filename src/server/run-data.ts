import { errorModeSection } from "../analysis/error-modes.ts";
import type { CaseRow, Report, ReportDetails } from "../analysis/report-types.ts";
import { analyzeStoredRun } from "../cli/build-report.ts";
import { pairKey } from "../core/adjudication.ts";
import type { Case, Suite } from "../core/case.ts";
import { confidenceLevel, declaredComparisons } from "../core/study.ts";
import type { PendingPair } from "../judge/answer-pairs.ts";
import { listPendingPairs } from "../judge/run-decisions.ts";
import type { RunRecord, Store } from "../store/store.ts";
import { taskFor } from "../tasks/index.ts";
import type { Task } from "../tasks/task.ts";

/** A run analysed once: the report and per-answer rows, with indexes for the workbench's tables. */
export interface AnalysedRun {
  run: RunRecord;
  suite: Suite;
  task: Task;
  casesById: ReadonlyMap<string, Case>;
  report: Report;
  details: ReportDetails;
  /** Cases where the models' primary answers differ in correctness (among the models that answered). */
  disagreements: ReadonlySet<string>;
  /** Each subgroup field's values, in first-seen order. */
  subgroupValues: ReadonlyMap<string, string[]>;
}

/**
 * The store as the workbench reads it. Analysing a run (grading every stored answer) is the slow step,
 * so each run's analysis is kept until its results change; reviewers' codes are read fresh each time.
 */
export class RunData {
  readonly #cache = new Map<string, { version: string; checkedAt: number; analysis: Promise<AnalysedRun> }>();

  constructor(readonly store: Store) {}

  readonly #pending = new Map<
    string,
    { version: string; checkedAt: number; pairs: Promise<PendingPair[]> }
  >();

  /** Forgets every analysis: a clinician decision recorded here changes the grading of every run. */
  forgetAnalyses(): void {
    this.#cache.clear();
  }

  /**
   * The run's pairs awaiting a clinician, without those decided since they were listed (listing grades
   * every answer, so it is done once per change of the run's results or judge verdicts).
   */
  async pendingPairs(run: RunRecord): Promise<PendingPair[]> {
    const counter = await this.store.changeCounter();
    let cached = this.#pending.get(run.id);
    if (!cached || cached.checkedAt !== counter) {
      const version = await this.#gradingInputs(run.id);
      if (cached && cached.version === version) cached.checkedAt = counter;
      else {
        cached = { version, checkedAt: counter, pairs: listPendingPairs(this.store, run.id) };
        this.#pending.set(run.id, cached);
        cached.pairs.catch(() => this.#pending.delete(run.id));
      }
    }
    const decided = new Set(
      (await this.store.adjudications()).map((decision) => pairKey(decision.reference, decision.answer)),
    );
    return (await cached.pairs).filter((pair) => !decided.has(pairKey(pair.reference, pair.answer)));
  }

  /** The run's results and judge verdicts, as a string that changes when they do. */
  async #gradingInputs(runId: string): Promise<string> {
    const verdicts = await this.store.judgeVerdicts(runId);
    const failed = verdicts.filter((verdict) => verdict.verdict === null).length;
    return `${await this.store.resultsVersion(runId)}/${verdicts.length}/${failed}`;
  }

  async analysed(run: RunRecord): Promise<AnalysedRun | undefined> {
    // Nothing else wrote to the store since the analysis was checked: it is current.
    const counter = await this.store.changeCounter();
    const cached = this.#cache.get(run.id);
    if (cached && cached.checkedAt === counter) return cached.analysis;
    const adjudications = await this.store.adjudications();
    const latest =
      adjudications
        .map((decision) => decision.decidedAt)
        .sort()
        .at(-1) ?? "";
    const version = `${await this.#gradingInputs(run.id)}/${adjudications.length}/${latest}`;
    if (cached && cached.version === version) {
      cached.checkedAt = counter;
      return cached.analysis;
    }
    const cases = await this.store.runCases(run.id);
    if (!cases) return undefined;
    const analysis = this.#analyse(run, cases);
    this.#cache.set(run.id, { version, checkedAt: counter, analysis });
    analysis.catch(() => this.#cache.delete(run.id));
    return analysis;
  }

  /** The report as `clinval report` would write it now, with the reviewers' latest codes. */
  async currentReport(analysed: AnalysedRun): Promise<Report> {
    const { report, details, run } = analysed;
    if (!report.errorModes) return report;
    const codes = await this.store.reasoningCodes(run.id);
    return {
      ...report,
      errorModes: errorModeSection({
        modelIds: run.study.models.map((model) => model.id),
        pairs: declaredComparisons(run.study).map((pair): [string, string] => [pair.a, pair.b]),
        rows: details.rows,
        codes,
        alpha: run.study.alpha,
        level: confidenceLevel(run.study),
      }),
    };
  }

  async #analyse(run: RunRecord, cases: Case[]): Promise<AnalysedRun> {
    const task = await taskFor(run.study.task);
    const suite: Suite = { id: run.suite.id, source: run.suite.source, sha256: run.suite.sha256, cases };
    const { report, details } = await analyzeStoredRun({
      store: this.store,
      run,
      study: run.study,
      suite,
      task,
      primary: "strict",
    });
    return {
      run,
      suite,
      task,
      casesById: new Map(cases.map((testCase) => [testCase.id, testCase])),
      report,
      details,
      disagreements: disagreements(details.rows),
      subgroupValues: subgroupValues(details.rows, run.study.subgroups),
    };
  }
}

function disagreements(rows: readonly CaseRow[]): Set<string> {
  const outcomes = new Map<string, Set<boolean>>();
  for (const row of rows) {
    if (row.sample !== 0 || row.outcome === "error") continue;
    const seen = outcomes.get(row.case) ?? new Set<boolean>();
    seen.add(row.outcome === "correct");
    outcomes.set(row.case, seen);
  }
  return new Set([...outcomes].filter(([, seen]) => seen.size > 1).map(([caseId]) => caseId));
}

function subgroupValues(rows: readonly CaseRow[], fields: readonly string[]): Map<string, string[]> {
  const values = new Map<string, Set<string>>(fields.map((field) => [field, new Set()]));
  for (const row of rows) {
    for (const field of fields) {
      const value = row.subgroups[field];
      if (value !== null && value !== undefined) values.get(field)?.add(value);
    }
  }
  return new Map([...values].map(([field, set]) => [field, [...set]]));
}
