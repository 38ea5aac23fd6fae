import { describeFailure } from "../../analysis/graded-job.ts";
import type { StoredDecisions } from "../../core/adjudication.ts";
import type { Case, DiagnosisCase } from "../../core/case.ts";
import type { Completion } from "../../core/chat.ts";
import { CODE_LABELS, REASONING_CODES, type ReasoningCode } from "../../core/error-modes.ts";
import type { JobResult } from "../../runner/job-result.ts";
import type { DiagnosisGrade } from "../../tasks/diagnosis/diagnosis-grade.ts";
import { detectErrorModes, type ErrorModeFlag } from "../../tasks/diagnosis/error-modes.ts";
import { matchAnswer } from "../../tasks/diagnosis/grade.ts";
import type { Grade } from "../../tasks/task.ts";
import { html, type SafeHtml } from "../html.ts";
import type { PromptShown } from "../prompt-check.ts";
import type { AnalysedRun } from "../run-data.ts";
import { outcomeBadge, type PageContext } from "./layout.ts";

/** One stored answer of the case, graded, with what the page shows beside it. */
export interface CaseAnswer {
  result: JobResult;
  grade: Grade | null;
  flags: ErrorModeFlag[];
  prompt: PromptShown;
  /** The current reviewer's own code of this answer (reviewers code independently: others' are not shown). */
  ownCode: ReasoningCode | undefined;
}

const CASE_TEXT_FIELDS = new Set(["id", "presentation", "text"]);

/** Grades a stored answer of a case with the store's decisions and pre-flags its error modes. */
export function gradeAnswer(
  analysed: AnalysedRun,
  testCase: Case,
  completion: Completion,
  decisions: StoredDecisions,
): { grade: Grade; flags: ErrorModeFlag[] } {
  const grade = analysed.task.grade(testCase, completion, analysed.run.study, decisions);
  const flags =
    analysed.run.study.task === "diagnosis"
      ? detectErrorModes(testCase as DiagnosisCase, completion, grade as DiagnosisGrade)
      : [];
  return { grade, flags };
}

function fieldText(value: unknown): string {
  if (Array.isArray(value)) return value.map(String).join("; ");
  return typeof value === "string" ? value : JSON.stringify(value);
}

function extractedList(analysed: AnalysedRun, testCase: Case, grade: Grade): SafeHtml {
  const diagnosis = grade as Partial<DiagnosisGrade>;
  if (!Array.isArray(diagnosis.answers)) {
    const predicted = (grade as { predicted?: string | null }).predicted;
    return html`<p>Label given: <strong>${predicted ?? "none"}</strong></p>`;
  }
  if (diagnosis.answers.length === 0) return html`<p class="muted">Nothing could be extracted.</p>`;
  const reference = {
    diagnosis: String(testCase.diagnosis ?? ""),
    accept: Array.isArray(testCase.accept) ? testCase.accept.map(String) : [],
  };
  return html`<ol class="extracted">${diagnosis.answers.map((item) => {
    // The grade's own step for the answers grading looked at; the ladder's match for the rest.
    const step = diagnosis.ladder?.find((candidate) => candidate.answer === item);
    const match = analysed.run.study.task === "diagnosis" ? matchAnswer(item, reference) : null;
    const rungName = step ? step.rung : (match?.rung ?? null);
    if (rungName === null) return html`<li>${item} <span class="rung muted">no match</span></li>`;
    const concept = match ? ` → ${match.reference}` : "";
    const similarity = rungName === "fuzzy" && match ? ` (${match.similarity})` : "";
    const decided = step?.decision
      ? html` <span class="muted">${step.decision}${step.rationale ? ` — ${step.rationale}` : ""}</span>`
      : "";
    return html`<li>${item} <span class="rung">${rungName}${concept}${similarity}</span>${decided}</li>`;
  })}</ol>`;
}

function codingForm(
  context: PageContext,
  analysed: AnalysedRun,
  caseId: string,
  answer: CaseAnswer,
): SafeHtml {
  if (analysed.run.study.task !== "diagnosis") return html``;
  const { result, ownCode } = answer;
  if (context.reviewer === null) {
    return html`<p class="notice no-print">Enter your name as reviewer (top right) to code this answer.</p>`;
  }
  const action = `/runs/${encodeURIComponent(analysed.run.id)}/cases/${encodeURIComponent(caseId)}/codes`;
  return html`<form method="post" action="${action}" class="coding" data-model="${result.modelId}">
<input type="hidden" name="formToken" value="${context.formToken}">
<input type="hidden" name="model" value="${result.modelId}"><input type="hidden" name="sample" value="${result.sample}">
<fieldset><legend>Error mode, coded by ${context.reviewer} (keys 1–${REASONING_CODES.length})</legend>
${REASONING_CODES.map(
  (code, index) =>
    html`<label><input type="radio" name="code" value="${code}"${ownCode?.code === code ? html` checked` : ""} required> ${index + 1}. ${CODE_LABELS[code]}</label>`,
)}
<label>Note <textarea name="note" maxlength="2000">${ownCode?.note ?? ""}</textarea></label>
<button type="submit">Save code</button>${ownCode ? html` <span class="saved">saved ${ownCode.codedAt.replace("T", " ").slice(0, 19)}</span>` : ""}
</fieldset></form>`;
}

function answerSection(
  context: PageContext,
  analysed: AnalysedRun,
  testCase: Case,
  answer: CaseAnswer,
  print: boolean,
): SafeHtml {
  const { result, grade, flags, prompt } = answer;
  const open = print ? html` open` : "";
  const completion = result.completion;
  const head = html`<h4>Sample ${result.sample} ${outcomeBadge(grade?.outcome ?? "error")}</h4>`;
  if (completion === null) {
    return html`${head}<p>No answer: ${result.error ? describeFailure(result.error) : "no completion stored"}</p>`;
  }
  const tokens = completion.tokens;
  return html`${head}
<dl class="facts"><div><dt>Latency</dt><dd>${(completion.latencyMs / 1000).toFixed(1)} s</dd></div>
<div><dt>Tokens</dt><dd>${tokens.prompt ?? "?"} prompt · ${tokens.completion ?? "?"} completion · ${tokens.reasoning ?? "?"} reasoning</dd></div>
<div><dt>Finish</dt><dd>${completion.finishReason}</dd></div></dl>
${flags.length > 0 ? html`<ul class="flags">${flags.map((flag) => html`<li><span class="flag">${CODE_LABELS[flag.mode]}</span> ${flag.reason} <span class="muted">(automatic pre-flag)</span></li>`)}</ul>` : ""}
<p><strong>Answer as given</strong></p><pre class="answer">${completion.text}</pre>
<p><strong>Extracted</strong></p>${grade ? extractedList(analysed, testCase, grade) : ""}
<details class="reasoning"${open}><summary>Reasoning (${completion.reasoning === null ? "none" : `${tokens.reasoning ?? "?"} tokens`})</summary>
<pre>${completion.reasoning ?? "The model gave no separate reasoning."}</pre></details>
<details class="prompt"${open}><summary>Prompt (${prompt.verbatim ? "verbatim: matches the stored request" : "rebuilt, not verified"})</summary>
${prompt.caveat ? html`<p class="notice">${prompt.caveat}</p>` : ""}
${prompt.messages.map((message) => html`<p class="muted">${message.role}</p><pre>${message.content}</pre>`)}</details>
${codingForm(context, analysed, testCase.id, answer)}`;
}

/** One case: its text and reference, then every model's answers side by side. */
export function casePage(
  context: PageContext,
  analysed: AnalysedRun,
  testCase: Case,
  answers: readonly CaseAnswer[],
  print: boolean,
): SafeHtml {
  const text = analysed.task.caseText(testCase);
  const facts = Object.entries(testCase).filter(([field]) => !CASE_TEXT_FIELDS.has(field));
  return html`<p class="no-print"><button type="button" data-print>Print this case</button>
<a href="/runs/${encodeURIComponent(analysed.run.id)}/cases/${encodeURIComponent(testCase.id)}?print=1">printable page</a></p>
<dl class="facts" id="case-facts">${facts.map(([field, value]) => html`<div><dt>${field}</dt><dd>${fieldText(value)}</dd></div>`)}</dl>
<div class="case-text" id="case-text">${text}</div>
<div class="models">${analysed.run.study.models.map((spec) => {
    const own = answers.filter((answer) => answer.result.modelId === spec.id);
    return html`<section class="model" data-model="${spec.id}"><h3>${spec.id} <span class="muted">${spec.provider} · ${spec.model}</span></h3>
${own.length === 0 ? html`<p>No result stored.</p>` : own.map((answer) => answerSection(context, analysed, testCase, answer, print))}</section>`;
  })}</div>`;
}
