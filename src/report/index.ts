export { renderCasesCsv } from "./cases-csv.ts";
export { csvField, toCsv } from "./csv.ts";
export { escapeHtml, renderHtml } from "./html-report.ts";
export { escapeMarkdown, renderMarkdown } from "./markdown-report.ts";
export { methodsParagraphs } from "./methods.ts";
export { REPORT_FILES, renderJson, writeReports } from "./write-reports.ts";
