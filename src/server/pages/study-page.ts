import type { Report, ReportDetails } from "../../analysis/report-types.ts";
import { renderHtml } from "../../report/html-report.ts";
import { html } from "../html.ts";
import type { PageContext } from "./layout.ts";

/**
 * The study page is report.html itself, rendered from the store's current state (the same function,
 * the same numbers as `clinval report`), with the workbench's links and a form to rebuild the report files.
 */
export async function studyPage(
  context: PageContext,
  runId: string,
  report: Report,
  details: ReportDetails,
  written?: readonly string[],
): Promise<string> {
  const document = await renderHtml(report, details);
  const id = encodeURIComponent(runId);
  const bar = html`<nav style="display:flex;flex-wrap:wrap;gap:16px;align-items:center;padding:8px 32px;background:#1d2327;color:#fff;font:600 14px system-ui,sans-serif">
<a style="color:#fff" href="/">clinval runs</a><a style="color:#fff" href="/runs/${id}/cases">Cases</a>
<a style="color:#fff" href="/runs/${id}/review">Review queue</a><a style="color:#fff" href="/runs/${id}/agreement">Reviewers</a><a style="color:#fff" href="/runs/${id}/codes.csv">codes.csv</a>
<form method="post" action="/runs/${id}/report" style="margin-left:auto">
<input type="hidden" name="formToken" value="${context.formToken}">
<button type="submit" id="rebuild">Rebuild report files</button></form></nav>
${written ? html`<p id="written" style="padding:8px 32px;margin:0;background:#e8f3ec">Written: ${written.join(", ")}</p>` : ""}`;
  return document.replace("<body>\n", `<body>\n${bar.value}\n`);
}
