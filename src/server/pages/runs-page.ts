import type { RunListing } from "../../store/store.ts";
import { html, type SafeHtml } from "../html.ts";

export function runStatus(run: Pick<RunListing, "complete" | "finishedAt">): string {
  return run.complete ? "complete" : run.finishedAt ? "incomplete" : "unfinished";
}

/** Every run in the store, newest first, and a form to compare two runs of the same suite. */
export function runsPage(runs: readonly RunListing[]): SafeHtml {
  if (runs.length === 0) return html`<p>No runs in the store yet.</p>`;
  const options = runs.map((run) => html`<option value="${run.id}">${run.id} · ${run.studyName}</option>`);
  return html`<table id="runs">
<thead><tr><th>Run</th><th>Study</th><th>Task</th><th>Suite</th><th>Models</th><th>Started</th>
<th class="num">Answers</th><th class="num">Errors</th><th>Status</th><th>Exports</th></tr></thead>
<tbody>${runs.map((run) => {
    const id = encodeURIComponent(run.id);
    return html`<tr>
<td><a href="/runs/${id}">${run.id}</a></td><td>${run.studyName}</td><td>${run.study.task}</td>
<td>${run.suite.id}</td><td>${run.study.models.map((model) => model.id).join(", ")}</td>
<td>${run.startedAt.replace("T", " ").slice(0, 19)}</td><td class="num">${run.done}</td>
<td class="num">${run.errors}</td><td>${runStatus(run)}</td>
<td><a href="/runs/${id}/cases">cases</a> · <a href="/runs/${id}/codes.csv">codes.csv</a></td></tr>`;
  })}</tbody></table>
<h2>Compare two runs of the same suite</h2>
<form method="get" action="/compare" class="filters">
<label>First run<select name="a">${options}</select></label>
<label>Second run<select name="b">${options}</select></label>
<button type="submit">Compare</button>
</form>`;
}
