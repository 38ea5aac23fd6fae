import { settledCode } from "../../analysis/error-modes.ts";
import type { CaseRow } from "../../analysis/report-types.ts";
import {
  CODE_LABELS,
  REASONING_CODES,
  type ReasoningCode,
  type ReasoningCodeValue,
} from "../../core/error-modes.ts";
import { OUTCOMES } from "../../core/outcome.ts";
import { html, query, type SafeHtml } from "../html.ts";
import type { AnalysedRun } from "../run-data.ts";
import { outcomeBadge } from "./layout.ts";

export const PAGE_SIZE = 50;

/** The case table's filters, as the query string carries them. */
export interface CaseFilters {
  model?: string;
  outcome?: string;
  rung?: string;
  review?: string;
  subgroup?: string;
  flag?: string;
  code?: string;
  disagree?: string;
  page: number;
}

export function parseFilters(parameters: Record<string, string>): CaseFilters {
  const page = Number(parameters.page ?? "1");
  const pick = (name: string) => (parameters[name] ? parameters[name] : undefined);
  return {
    model: pick("model"),
    outcome: pick("outcome"),
    rung: pick("rung"),
    review: pick("review"),
    subgroup: pick("subgroup"),
    flag: pick("flag"),
    code: pick("code"),
    disagree: pick("disagree"),
    page: Number.isInteger(page) && page >= 1 ? page : 1,
  };
}

function answerKey(modelId: string, caseId: string, sample: number): string {
  return JSON.stringify([modelId, caseId, sample]);
}

/** The settled reviewer code of each coded answer. */
export function settledCodes(codes: readonly ReasoningCode[]): Map<string, ReasoningCodeValue | null> {
  const grouped = new Map<string, ReasoningCode[]>();
  for (const code of codes) {
    const key = answerKey(code.modelId, code.caseId, code.sample);
    grouped.set(key, [...(grouped.get(key) ?? []), code]);
  }
  return new Map([...grouped].map(([key, group]) => [key, settledCode(group)]));
}

/** Rows matching the filters, in model, case, sample order. */
export function filterRows(
  analysed: AnalysedRun,
  filters: CaseFilters,
  settled: ReadonlyMap<string, ReasoningCodeValue | null>,
): CaseRow[] {
  const [subgroupField, ...rest] = (filters.subgroup ?? "").split("=");
  const subgroupValue = rest.join("=");
  return analysed.details.rows.filter((row) => {
    if (filters.model && row.model !== filters.model) return false;
    if (filters.outcome && row.outcome !== filters.outcome) return false;
    if (filters.rung && (filters.rung === "none" ? row.rung !== null : row.rung !== filters.rung))
      return false;
    if (filters.review === "yes" && row.needsReview !== true) return false;
    if (filters.review === "no" && row.needsReview === true) return false;
    if (filters.subgroup && row.subgroups[subgroupField] !== subgroupValue) return false;
    if (filters.flag && !(row.errorModes ?? []).includes(filters.flag as never)) return false;
    if (filters.code) {
      const key = answerKey(row.model, row.case, row.sample);
      if (filters.code === "uncoded" ? settled.has(key) : settled.get(key) !== filters.code) return false;
    }
    if (filters.disagree === "yes" && !analysed.disagreements.has(row.case)) return false;
    return true;
  });
}

function select(
  name: string,
  label: string,
  current: string | undefined,
  options: ReadonlyArray<readonly [string, string]>,
): SafeHtml {
  return html`<label>${label}<select name="${name}"><option value="">any</option>${options.map(
    ([value, text]) =>
      html`<option value="${value}"${value === current ? html` selected` : ""}>${text}</option>`,
  )}</select></label>`;
}

/** The filterable, server-side paged table of answers. */
export function casesPage(
  analysed: AnalysedRun,
  filters: CaseFilters,
  settled: ReadonlyMap<string, ReasoningCodeValue | null>,
): SafeHtml {
  const { run } = analysed;
  const runId = encodeURIComponent(run.id);
  const matching = filterRows(analysed, filters, settled);
  const pages = Math.max(1, Math.ceil(matching.length / PAGE_SIZE));
  const page = Math.min(filters.page, pages);
  const shown = matching.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);
  const rungs = [...new Set(analysed.details.rows.map((row) => row.rung).filter((rung) => rung !== null))];
  const subgroups = [...analysed.subgroupValues].flatMap(([field, values]) =>
    values.map((value) => [`${field}=${value}`, `${field}: ${value}`] as const),
  );
  const diagnosis = run.study.task === "diagnosis";
  const { page: _page, ...kept } = filters;
  const pageLink = (target: number) => `/runs/${runId}/cases${query({ ...kept, page: target })}`;
  return html`<form method="get" class="filters" id="filters">
${select(
  "model",
  "Model",
  filters.model,
  run.study.models.map((model) => [model.id, model.id] as const),
)}
${select(
  "outcome",
  "Outcome",
  filters.outcome,
  OUTCOMES.map((outcome) => [outcome, outcome] as const),
)}
${select("rung", "Rung", filters.rung, [...rungs.map((rung) => [rung, rung] as const), ["none", "no match"] as const])}
${select("review", "Needs review", filters.review, [
  ["yes", "yes"],
  ["no", "no"],
])}
${subgroups.length > 0 ? select("subgroup", "Subgroup", filters.subgroup, subgroups) : ""}
${
  diagnosis
    ? select(
        "flag",
        "Automatic flag",
        filters.flag,
        ["reasoning-drift", "red-flag-failure", "priority-inversion"].map(
          (mode) => [mode, CODE_LABELS[mode as ReasoningCodeValue]] as const,
        ),
      )
    : ""
}
${select("code", "Reviewer code", filters.code, [...REASONING_CODES.map((code) => [code, CODE_LABELS[code]] as const), ["uncoded", "not coded"] as const])}
${select("disagree", "Models disagree", filters.disagree, [["yes", "yes"]])}
<button type="submit">Filter</button> <a href="/runs/${runId}/cases">clear</a>
</form>
<p id="count">${matching.length} answer${matching.length === 1 ? "" : "s"}; page ${page} of ${pages}.</p>
<table id="cases"><thead><tr><th>Case</th><th>Model</th><th class="num">Sample</th><th>Outcome</th><th>Rung</th>
<th class="num">Rank</th><th>Review</th><th>Flags</th><th>Code</th><th>Answers</th><th>Reference</th></tr></thead>
<tbody>${shown.map((row) => {
    const code = settled.get(answerKey(row.model, row.case, row.sample));
    return html`<tr><td><a href="/runs/${runId}/cases/${encodeURIComponent(row.case)}">${row.case}</a></td>
<td>${row.model}</td><td class="num">${row.sample}</td><td>${outcomeBadge(row.outcome)}</td><td>${row.rung ?? ""}</td>
<td class="num">${row.rank ?? ""}</td><td>${row.needsReview ? "needs review" : ""}</td>
<td>${(row.errorModes ?? []).map((mode) => html`<span class="flag">${CODE_LABELS[mode]}</span>`)}</td>
<td>${code === undefined ? "" : code === null ? "reviewers differ" : CODE_LABELS[code]}</td>
<td>${row.answers.slice(0, 5).join(" · ")}</td><td>${row.reference ?? ""}</td></tr>`;
  })}</tbody></table>
<div class="pager">${page > 1 ? html`<a href="${pageLink(page - 1)}" rel="prev">← previous</a>` : ""}
${page < pages ? html`<a href="${pageLink(page + 1)}" rel="next">next →</a>` : ""}</div>`;
}
