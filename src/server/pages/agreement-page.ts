import type { ReviewerErrorModeTable } from "../../analysis/error-modes.ts";
import { CODE_LABELS, REASONING_CODES, type ReasoningCode } from "../../core/error-modes.ts";
import { decimalText, percent } from "../../report/format.ts";
import { html, type SafeHtml } from "../html.ts";
import type { PageContext } from "./layout.ts";

/** Answers whose independent codes differ, with each reviewer's code and the reconciled code if any. */
export interface Disagreement {
  modelId: string;
  caseId: string;
  sample: number;
  codes: ReasoningCode[];
  reconciled: ReasoningCode | undefined;
}

export function disagreements(codes: readonly ReasoningCode[]): Disagreement[] {
  const grouped = new Map<string, ReasoningCode[]>();
  for (const code of codes) {
    const key = JSON.stringify([code.modelId, code.caseId, code.sample]);
    grouped.set(key, [...(grouped.get(key) ?? []), code]);
  }
  const found: Disagreement[] = [];
  for (const group of grouped.values()) {
    const independent = group.filter((code) => !code.reconciled);
    if (new Set(independent.map((code) => code.code)).size < 2) continue;
    const { modelId, caseId, sample } = group[0];
    found.push({
      modelId,
      caseId,
      sample,
      codes: independent,
      reconciled: group.find((code) => code.reconciled),
    });
  }
  return found;
}

/** Kappa between reviewers, and the reconciliation of answers they coded differently. */
export function agreementPage(
  context: PageContext,
  runId: string,
  reviewers: ReviewerErrorModeTable | undefined,
  open: readonly Disagreement[],
): SafeHtml {
  const id = encodeURIComponent(runId);
  const agreement = reviewers?.agreement ?? [];
  return html`<p><a href="/runs/${id}/codes.csv">Download every code as CSV</a></p>
<h2>Agreement (sample 0)</h2>
${
  agreement.length === 0
    ? html`<p id="no-agreement">No answer has been coded by two reviewers yet.</p>`
    : html`<table id="agreement"><thead><tr><th>Reviewers</th><th class="num">Answers both coded</th><th class="num">Agreement</th><th class="num">Cohen's kappa</th></tr></thead>
<tbody>${agreement.map(
        (pair) =>
          html`<tr><td>${pair.reviewers.join(" and ")}</td><td class="num">${pair.n}</td><td class="num">${percent(pair.observedAgreement)}%</td><td class="num kappa">${decimalText(pair.kappa)}</td></tr>`,
      )}</tbody></table>`
}
<h2>Reconciliation</h2>
${
  open.length === 0
    ? html`<p>No disagreements.</p>`
    : html`<table id="reconciliation"><thead><tr><th>Answer</th><th>Codes</th><th>Reconciled code</th></tr></thead><tbody>${open.map(
        (
          item,
        ) => html`<tr><td><a href="/runs/${id}/cases/${encodeURIComponent(item.caseId)}">${item.caseId}</a> · ${item.modelId} · sample ${item.sample}</td>
<td><ul>${item.codes.map((code) => html`<li>${code.reviewer}: ${CODE_LABELS[code.code]}${code.note ? html` — ${code.note}` : ""}</li>`)}</ul></td>
<td>${
          context.reviewer === null
            ? html`<p class="notice">Enter your name as reviewer to reconcile.</p>`
            : html`<form method="post" action="/runs/${id}/reconcile" class="reconcile">
<input type="hidden" name="formToken" value="${context.formToken}"><input type="hidden" name="model" value="${item.modelId}">
<input type="hidden" name="case" value="${item.caseId}"><input type="hidden" name="sample" value="${item.sample}">
<select name="code">${REASONING_CODES.map((code) => html`<option value="${code}"${item.reconciled?.code === code ? html` selected` : ""}>${CODE_LABELS[code]}</option>`)}</select>
<input type="text" name="note" value="${item.reconciled?.note ?? ""}" placeholder="note" maxlength="2000">
<button type="submit">Reconcile</button>${item.reconciled ? html` <span>by ${item.reconciled.reviewer}</span>` : ""}</form>`
        }</td></tr>`,
      )}</tbody></table>`
}`;
}
