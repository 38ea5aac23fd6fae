import { html, type SafeHtml } from "../html.ts";

export interface PageContext {
  /** The reviewer named in this browser (a cookie), or null. */
  reviewer: string | null;
  /** Token every form posts back, so other sites cannot post to the workbench. */
  formToken: string;
  /** The path and query of this page, to come back to after a form. */
  here: string;
}

/** The page around every view: navigation, the reviewer's name, the workbench's stylesheet and script. */
export function layout(context: PageContext, title: string, body: SafeHtml, runId?: string): string {
  const runLinks = runId
    ? html`<a href="/runs/${encodeURIComponent(runId)}">Study</a>
        <a href="/runs/${encodeURIComponent(runId)}/cases">Cases</a>
        <a href="/runs/${encodeURIComponent(runId)}/review">Review queue</a>
        <a href="/runs/${encodeURIComponent(runId)}/agreement">Reviewers</a>`
    : "";
  return `<!doctype html>\n${html`<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · clinval</title>
<link rel="stylesheet" href="/assets/workbench.css">
<script src="/assets/workbench.js" defer></script>
</head>
<body>
<header class="bar">
  <a href="/">clinval runs</a>${runLinks}
  <form method="post" action="/reviewer">
    <input type="hidden" name="formToken" value="${context.formToken}">
    <input type="hidden" name="back" value="${context.here}">
    <label for="reviewer-name">Reviewer</label>
    <input type="text" id="reviewer-name" name="reviewer" value="${context.reviewer ?? ""}" placeholder="your name" required maxlength="80">
    <button type="submit">Set</button>
  </form>
</header>
<main>
<h1>${title}</h1>
${body}
</main>
</body>
</html>`}\n`;
}

export function outcomeBadge(outcome: string): SafeHtml {
  return html`<span class="outcome ${outcome}">${outcome}</span>`;
}
