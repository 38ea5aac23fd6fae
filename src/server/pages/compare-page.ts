import type { CaseRow } from "../../analysis/report-types.ts";
import { proportionText } from "../../report/format.ts";
import { html, type SafeHtml } from "../html.ts";
import type { AnalysedRun } from "../run-data.ts";
import { outcomeBadge } from "./layout.ts";

const CHANGED_LIMIT = 500;

/** Two runs of the same suite: each model's accuracy side by side, and the answers whose outcome changed. */
export function comparePage(first: AnalysedRun, second: AnalysedRun): SafeHtml {
  const ids = [...new Set([...first.report.models, ...second.report.models].map((model) => model.id))];
  const byId = (analysed: AnalysedRun, id: string) => analysed.report.models.find((model) => model.id === id);
  const secondRows = new Map<string, CaseRow>(
    second.details.rows
      .filter((row) => row.sample === 0)
      .map((row) => [`${row.model}\u0000${row.case}`, row]),
  );
  const changed = first.details.rows.filter((row) => {
    if (row.sample !== 0) return false;
    const other = secondRows.get(`${row.model}\u0000${row.case}`);
    return other !== undefined && other.outcome !== row.outcome;
  });
  const link = (analysed: AnalysedRun, caseId: string) =>
    `/runs/${encodeURIComponent(analysed.run.id)}/cases/${encodeURIComponent(caseId)}`;
  return html`<table id="accuracy"><thead><tr><th>Model</th><th>${first.run.id}</th><th>${second.run.id}</th></tr></thead>
<tbody>${ids.map(
    (id) =>
      html`<tr><td>${id}</td><td>${proportionText(byId(first, id)?.accuracy)}</td><td>${proportionText(byId(second, id)?.accuracy)}</td></tr>`,
  )}</tbody></table>
<p class="muted">Accuracy in %, with 95% Wilson CI (${first.report.study.grading} grading).</p>
<h2>Answers whose outcome changed (${changed.length})</h2>
<table id="changed"><thead><tr><th>Case</th><th>Model</th><th>${first.run.id}</th><th>${second.run.id}</th></tr></thead>
<tbody>${changed.slice(0, CHANGED_LIMIT).map((row) => {
    const other = secondRows.get(`${row.model}\u0000${row.case}`) as CaseRow;
    return html`<tr><td>${row.case}</td><td>${row.model}</td>
<td><a href="${link(first, row.case)}">${outcomeBadge(row.outcome)}</a></td><td><a href="${link(second, row.case)}">${outcomeBadge(other.outcome)}</a></td></tr>`;
  })}</tbody></table>
${changed.length > CHANGED_LIMIT ? html`<p>The first ${CHANGED_LIMIT} are shown.</p>` : ""}`;
}
