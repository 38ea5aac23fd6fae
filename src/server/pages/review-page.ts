import { CLINICIAN_DECISIONS } from "../../core/adjudication.ts";
import type { PendingPair } from "../../judge/answer-pairs.ts";
import { html, type SafeHtml } from "../html.ts";
import type { PageContext } from "./layout.ts";

const SHOWN = 100;

const REASONS: Record<PendingPair["reason"], string> = {
  undecided: "no rung decided it",
  fuzzy: "a fuzzy suggestion only",
  judge: "decided by the judge only",
};

/**
 * The pairs of a run awaiting a clinician, most frequent first. Each is decided with one key press
 * (1–4 on the pair last clicked, else the first) or one click; the decision is stored with the reviewer
 * and the time and applies to every run on the next re-grade.
 */
export function reviewPage(context: PageContext, runId: string, pending: readonly PendingPair[]): SafeHtml {
  const action = `/runs/${encodeURIComponent(runId)}/review`;
  const exported = html`<p><a href="/adjudications.csv">Download every clinician decision as CSV</a></p>`;
  if (pending.length === 0)
    return html`${exported}<p id="review-empty">No pair awaits a clinician's decision.</p>`;
  if (context.reviewer === null) {
    return html`<p class="notice">Enter your name as reviewer (top right) to decide pairs; ${pending.length} await a decision.</p>`;
  }
  return html`${exported}<p id="review-count">${pending.length} pair${pending.length === 1 ? "" : "s"} await a decision. Keys: ${CLINICIAN_DECISIONS.map(
    (decision, index) => `${index + 1} ${decision}`,
  ).join(" · ")}.</p>
<table id="review"><thead><tr><th>Reference</th><th>Answer</th><th>Why pending</th><th class="num">Answers</th><th>Models</th><th>Decision</th></tr></thead>
<tbody>${pending.slice(0, SHOWN).map(
    (pair) => html`<tr><td>${pair.reference}</td><td class="answer">${pair.answer}</td>
<td>${REASONS[pair.reason]}${pair.judgeVerdict ? html` (judge: ${pair.judgeVerdict}${pair.judgeRationale ? ` — ${pair.judgeRationale}` : ""})` : ""}${pair.similarity !== null ? ` (similarity ${pair.similarity})` : ""}</td>
<td class="num">${pair.count}</td><td>${pair.models.join(", ")}</td>
<td><form method="post" action="${action}" class="decision">
<input type="hidden" name="formToken" value="${context.formToken}">
<input type="hidden" name="reference" value="${pair.reference}"><input type="hidden" name="answer" value="${pair.answer}">
${CLINICIAN_DECISIONS.map((decision, index) => html`<button type="submit" name="decision" value="${decision}">${index + 1} ${decision}</button> `)}
</form></td></tr>`,
  )}</tbody></table>
${pending.length > SHOWN ? html`<p>The ${SHOWN} most frequent are shown; decide them to see more.</p>` : ""}`;
}
