import type { Report, ReportDetails } from "../analysis/report-types.ts";
import { differenceSpec, differenceSvg } from "./difference-plot.ts";
import { buildDocument, type Cell, type Shade, type Table } from "./document.ts";
import { FONT_STACK, overallForestSpec, renderSvg, subgroupForestSpec } from "./forest-plot.ts";
import { levelText } from "./format.ts";
import { safetyHtmlSection } from "./safety-section.ts";

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Text safe in HTML content and in quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (character) => ESCAPES[character]);
}

function cellHtml(cell: Cell): string {
  if (typeof cell === "string") return escapeHtml(cell);
  const text = escapeHtml(cell.text);
  const linked =
    cell.href !== undefined && /^https?:\/\//i.test(cell.href)
      ? `<a href="${escapeHtml(cell.href)}">${text}</a>`
      : text;
  return cell.strong ? `<strong>${linked}</strong>` : linked;
}

/** Base colours of the heatmap tones: the report's blue, red, amber and grey. */
const TONES: Record<Shade["tone"], [number, number, number]> = {
  agree: [31, 78, 121],
  under: [181, 71, 58],
  over: [183, 121, 31],
  none: [95, 107, 118],
};

const INK = "#1d2327";
const INK_LUMINANCE = relativeLuminance([29, 35, 39]);

/** WCAG relative luminance of an sRGB colour. */
function relativeLuminance(channels: readonly number[]): number {
  const [red, green, blue] = channels.map((channel) => {
    const value = channel / 255;
    return value <= 0.04045 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * red + 0.7152 * green + 0.0722 * blue;
}

/**
 * The tone mixed with white by the cell's share of its row (an empty cell stays white), and the text
 * colour, dark or white, with the higher contrast on it.
 */
export function shadeColor(shade: Shade): { background: string; ink: string } {
  if (shade.strength <= 0) return { background: "rgb(255, 255, 255)", ink: INK };
  const weight = 0.12 + 0.78 * Math.min(shade.strength, 1);
  const channels = TONES[shade.tone].map((channel) => Math.round(255 + (channel - 255) * weight));
  const luminance = relativeLuminance(channels);
  const onWhite = 1.05 / (luminance + 0.05);
  const onInk = (luminance + 0.05) / (INK_LUMINANCE + 0.05);
  return { background: `rgb(${channels.join(", ")})`, ink: onWhite > onInk ? "#ffffff" : INK };
}

function shadeAttributes(shade: Shade | null | undefined): string {
  if (!shade) return "";
  const { background, ink } = shadeColor(shade);
  return ` data-tone="${shade.tone}" style="background: ${background}; color: ${ink}" title="${escapeHtml(shade.title)}"`;
}

function tableHtml(table: Table, id: string): string {
  const starts = new Set(table.groupStarts ?? []);
  const shaded = table.shades !== undefined;
  const numeric = table.columns.map((column) => column.numeric);
  const header = table.columns
    .map(
      (column) => `<th scope="col"${column.numeric ? ' class="num"' : ""}>${escapeHtml(column.label)}</th>`,
    )
    .join("");
  const body = table.rows
    .map((row, index) => {
      const cells = row.map((cell, column) => {
        const shade = table.shades?.[index]?.[column];
        const classes = [numeric[column] ? "num" : "", shade ? "heat" : ""].filter(Boolean).join(" ");
        return `<td${classes ? ` class="${classes}"` : ""}${shadeAttributes(shade)}>${cellHtml(cell)}</td>`;
      });
      const rowClass = starts.has(index) && index > 0 ? ' class="group-start"' : "";
      return `<tr${rowClass}>${cells.join("")}</tr>`;
    })
    .join("\n");
  return (
    `<div class="table-wrap"><table id="${id}"${starts.size > 0 ? ' class="grouped"' : shaded ? ' class="confusion"' : ""}><caption>${escapeHtml(table.caption)}</caption>` +
    `<thead><tr>${header}</tr></thead>\n<tbody>\n${body}\n</tbody></table></div>`
  );
}

function figureHtml(svg: string, caption: string, id: string): string {
  return `<figure class="chart" id="${id}">${svg}<figcaption>${escapeHtml(caption)}</figcaption></figure>`;
}

/**
 * report.html: one self-contained page (inline CSS and SVG; no scripts, fonts or network), the same
 * tables as report.md plus forest plots. Every string from the study, suite or models is escaped.
 */
export async function renderHtml(report: Report, details: ReportDetails): Promise<string> {
  const document = buildDocument(report, details);
  const grading = `${report.study.grading} grading`;
  let figureNumber = 0;
  const figureCaption = (text: string) => `Figure ${++figureNumber}. ${text}`;
  let tableIndex = 0;
  const table = (value: Table) => tableHtml(value, `table-${++tableIndex}`);

  const results: string[] = [table(document.accuracy)];
  if (report.models.some((model) => model.accuracy)) {
    const svg = await renderSvg(overallForestSpec(report));
    results.push(
      figureHtml(
        svg,
        figureCaption(
          `${report.study.samples > 1 ? "Accuracy of the first answers" : "Accuracy"} per model with ${levelText(report.study.level)} CI (${grading}).`,
        ),
        "figure-overall",
      ),
    );
  }
  if (document.comparisons) results.push(table(document.comparisons));
  if (report.comparisons.some((comparison) => comparison.difference || comparison.samples?.difference)) {
    const spec = differenceSpec(report);
    results.push(
      figureHtml(
        differenceSvg(spec),
        figureCaption(
          `Paired differences in accuracy (A − B, percentage points) with ${levelText(report.study.level)} CI; exploratory comparisons in grey.`,
        ),
        "figure-differences",
      ),
    );
  }
  if (document.perCase) results.push(table(document.perCase));
  if (document.agreement) results.push(`<h3>Grading agreement</h3>\n${table(document.agreement)}`);
  if (document.classification) {
    const { summary, safety, safetyComparisons, matrices } = document.classification;
    results.push(
      `<section class="classification" id="classification"><h3>Classification</h3>\n${[
        table(summary),
        table(safety),
        ...(safetyComparisons ? [table(safetyComparisons)] : []),
        HEATMAP_LEGEND,
        ...matrices.map((matrix) => table(matrix.table)),
      ].join("\n")}</section>`,
    );
  }

  const subgroups: string[] = [];
  for (const section of document.subgroups) {
    const parts = [`<h3>By ${escapeHtml(section.field)}</h3>`, table(section.accuracy)];
    const hasPoints = report.subgroups.some(
      (stratum) => stratum.field === section.field && stratum.models.some((model) => model.accuracy),
    );
    if (hasPoints) {
      const svg = await renderSvg(subgroupForestSpec(report, section.field));
      const caption = figureCaption(
        `Accuracy per model by ${section.field}, with ${levelText(report.study.level)} CI (${grading}).`,
      );
      parts.push(figureHtml(svg, caption, `figure-${figureNumber}`));
    }
    if (section.comparisons) parts.push(table(section.comparisons));
    subgroups.push(`<section class="subgroup">${parts.join("\n")}</section>`);
  }

  const facts = document.facts
    .map(([label, value]) => `<div><dt>${escapeHtml(label)}</dt><dd>${escapeHtml(value)}</dd></div>`)
    .join("");
  const statusClass = document.complete ? "status complete" : "status incomplete";
  const body = [
    `<div class="${statusClass}" role="status" id="status"><p>${escapeHtml(document.status)}</p></div>`,
    document.notice
      ? `<div class="status notice" id="notice"><p>${escapeHtml(document.notice)}</p></div>`
      : "",
    "<main>",
    `<header><p class="kicker">clinval report</p><h1>${escapeHtml(document.title)}</h1><dl class="facts">${facts}</dl></header>`,
    `<section id="methods"><h2>Methods</h2>${document.methods.map((paragraph) => `<p>${escapeHtml(paragraph)}</p>`).join("\n")}</section>`,
    `<section id="results"><h2>Results</h2>\n${results.join("\n")}</section>`,
    subgroups.length === 0
      ? ""
      : `<section id="subgroups"><h2>Subgroups</h2>\n${subgroups.join("\n")}</section>`,
    document.interactions
      ? `<section id="interactions"><h2>Interactions</h2>${table(document.interactions)}</section>`
      : "",
    document.sensitivity
      ? `<section id="missing-answers"><h2>Missing answers</h2>${table(document.sensitivity)}</section>`
      : "",
    `<section id="breakdown"><h2>Outcome breakdown</h2><ul>${document.breakdown
      .map((line) => `<li>${escapeHtml(line)}</li>`)
      .join("")}</ul>${document.review ? table(document.review) : ""}</section>`,
    safetyHtmlSection(report, { table, escape: escapeHtml }),
    document.errors ? `<section id="errors"><h2>Errors</h2>${table(document.errors)}</section>` : "",
    document.errorModes.length > 0
      ? `<section id="error-modes"><h2>Reasoning error modes</h2>${document.errorModes.map(table).join("\n")}</section>`
      : "",
    `<section id="caution" class="caution"><h2>Caution</h2><p>${escapeHtml(document.caution)}</p></section>`,
    document.prompt
      ? `<section id="prompt"><h2>Appendix: prompt</h2><p>${escapeHtml(document.prompt.intro)}</p>${document.prompt.messages
          .map(
            (message) =>
              `<h3>${escapeHtml(message.role)}</h3><pre class="prompt">${escapeHtml(message.content)}</pre>`,
          )
          .join("")}</section>`
      : "",
    "</main>",
  ]
    .filter((part) => part !== "")
    .join("\n");
  return [
    "<!doctype html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    `<title>${escapeHtml(document.title)}</title>`,
    `<style>${STYLE}</style>`,
    "</head>",
    "<body>",
    body,
    "</body>",
    "</html>",
    "",
  ].join("\n");
}

function swatch(tone: Shade["tone"], text: string): string {
  const { background } = shadeColor({ tone, strength: 0.6, title: "" });
  return `<span class="swatch" style="background: ${background}"></span>${text}`;
}

const HEATMAP_LEGEND = `<p class="legend">Confusion matrices below: ${[
  swatch("agree", "the reference label"),
  swatch("under", "a less severe label (under-triage)"),
  swatch("over", "a more severe label (over-triage)"),
  swatch("none", "no label"),
].join(" · ")}; the darker the cell, the larger its share of the reference row.</p>`;

const STYLE = `
pre.prompt { white-space: pre-wrap; overflow-wrap: anywhere; background: #f5f7f8; padding: 0.75em; border-radius: 4px; }
:root { --ink: #1d2327; --muted: #5b6670; --rule: #d5dade; --soft: #f5f7f8; --accent: #1f4e79;
  --ok-bg: #e8f3ec; --ok-ink: #1e5631; --warn-bg: #fdf1e2; --warn-ink: #8a4b08; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; color: var(--ink); background: #fff; font: 15px/1.55 ${FONT_STACK}; }
main { max-width: 1200px; margin: 0 auto; padding: 8px 32px 48px; }
.status { padding: 12px 32px; font-weight: 600; border-bottom: 1px solid; }
.status p { max-width: 1136px; margin: 0 auto; }
.status.complete { background: var(--ok-bg); color: var(--ok-ink); border-color: #b9dcc4; }
.status.notice { background: #fdecec; color: #8a1c1c; border-color: #f1b5b5; }
.status.incomplete { background: var(--warn-bg); color: var(--warn-ink); border-color: #f0c98f; }
header { padding: 24px 0 8px; border-bottom: 2px solid var(--ink); margin-bottom: 8px; }
.kicker { margin: 0; color: var(--muted); font-size: 12px; letter-spacing: .08em; text-transform: uppercase; }
h1 { margin: 4px 0 12px; font-size: 28px; line-height: 1.2; font-weight: 650; overflow-wrap: anywhere; }
h2 { margin: 36px 0 12px; font-size: 20px; font-weight: 650; border-bottom: 1px solid var(--rule); padding-bottom: 4px; }
h3 { margin: 28px 0 8px; font-size: 16px; font-weight: 650; }
p, li { max-width: 78ch; overflow-wrap: anywhere; }
.facts { display: flex; flex-wrap: wrap; gap: 6px 28px; margin: 0; font-size: 13px; }
.facts div { display: flex; gap: 6px; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; font-weight: 500; overflow-wrap: anywhere; }
.table-wrap { overflow-x: auto; margin: 20px 0; }
table { border-collapse: collapse; width: 100%; font-size: 13px; font-variant-numeric: tabular-nums;
  border-top: 2px solid var(--ink); border-bottom: 2px solid var(--ink); }
caption { caption-side: top; text-align: left; padding: 0 0 8px; font-size: 13.5px; color: var(--ink); font-weight: 600; }
th { text-align: left; font-weight: 600; padding: 7px 8px; line-height: 1.3; border-bottom: 1px solid var(--ink); vertical-align: bottom; }
td { padding: 6px 8px; border-bottom: 1px solid #eceff1; vertical-align: top; overflow-wrap: break-word; }
table:not(.grouped):not(.confusion) tbody tr:nth-child(even) td { background: var(--soft); }
table.confusion { width: auto; min-width: 60%; }
table.confusion td.heat { text-align: center; font-weight: 600; min-width: 76px; border: 1px solid #fff;
  -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.legend { font-size: 13px; color: var(--muted); max-width: none; }
.swatch { display: inline-block; width: 12px; height: 12px; margin: 0 5px -1px 0; border-radius: 2px;
  -webkit-print-color-adjust: exact; print-color-adjust: exact; }
tr.group-start td { border-top: 1px solid #9aa4ab; }
td:first-child { white-space: nowrap; }
table.grouped td:first-child { font-weight: 600; }
.num { text-align: right; }
td.num { white-space: nowrap; }
td strong { color: var(--accent); }
figure.chart { margin: 20px 0; padding: 16px; border: 1px solid var(--rule); border-radius: 6px; background: #fff; }
figure.chart svg { display: block; max-width: 100%; height: auto; }
figcaption { margin-top: 8px; font-size: 13px; color: var(--muted); }
.caution { margin-top: 40px; padding: 14px 18px; border-left: 4px solid var(--warn-ink); background: var(--warn-bg); }
.caution h2 { margin-top: 0; border: 0; font-size: 16px; }
.caution p { margin: 0; }
@media (max-width: 700px) { main { padding: 8px 16px 32px; } .status { padding: 10px 16px; } }
@media print {
  body { font-size: 10pt; }
  main { max-width: none; padding: 0; }
  .status { padding: 6px 0; background: none; border: 0; border-bottom: 2px solid; }
  .table-wrap { overflow: visible; }
  table, figure, .caution { break-inside: avoid; }
  h2, h3 { break-after: avoid; }
  table:not(.grouped):not(.confusion) tbody tr:nth-child(even) td { background: none; }
  figure.chart { border: 0; padding: 0; }
}
`;
