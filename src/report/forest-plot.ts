import type { ModelSummary, Proportion, Report } from "../analysis/report-types.ts";
import { levelText, NONE, percent } from "./format.ts";

export const FONT_STACK = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif";
export const MODEL_COLORS = [
  "#1f4e79",
  "#b5473a",
  "#3f7f3a",
  "#6e4f9e",
  "#b7791f",
  "#23837a",
  "#5f6b76",
  "#a63d6b",
];

/** One line of a forest plot: a model's accuracy in all cases or in one subgroup stratum. */
export interface ForestRow {
  model: string;
  /** The stratum's value; null in the plot over all cases. */
  group: string | null;
  color: string;
  /** Null when the model has no answers here (n = 0). */
  accuracy: Proportion | null;
  /** The model's accuracy over all cases, marked on a subgroup row for comparison; null when none. */
  reference: number | null;
}

/** Rows under one heading (a subgroup value), or the only rows (heading null). */
export interface ForestPanel {
  heading: string | null;
  /** Cases of the suite in the stratum; null in the plot over all cases. */
  cases: number | null;
  rows: ForestRow[];
}

/** What a forest plot shows, independent of how it is drawn. */
export interface ForestSpec {
  /** Unique on the page: the prefix of the ids that tie the SVG to its title and description. */
  id: string;
  title: string;
  /** Confidence level of the intervals, e.g. 0.95. */
  level: number;
  panels: ForestPanel[];
}

function rowsOf(report: Report, models: readonly ModelSummary[], group: string | null): ForestRow[] {
  const overall = new Map(report.models.map((model) => [model.id, model.accuracy?.estimate ?? null]));
  const order = report.models.map((model) => model.id);
  return models.map((model) => {
    const index = order.indexOf(model.id);
    return {
      model: model.id,
      group,
      color: MODEL_COLORS[Math.max(index, 0) % MODEL_COLORS.length],
      accuracy: model.accuracy,
      reference: group === null ? null : (overall.get(model.id) ?? null),
    };
  });
}

/** Forest plot of each model's primary accuracy with its confidence interval. */
export function overallForestSpec(report: Report): ForestSpec {
  return {
    id: "forest-all",
    title: `Accuracy per model with ${levelText(report.study.level)} confidence intervals`,
    level: report.study.level,
    panels: [{ heading: null, cases: null, rows: rowsOf(report, report.models, null) }],
  };
}

/**
 * Forest plot per value of one subgroup field: one panel per value, one line per model, each marked with
 * the model's accuracy over all cases.
 */
export function subgroupForestSpec(report: Report, field: string): ForestSpec {
  const position = report.study.subgroups.indexOf(field);
  const slug = field.toLowerCase().replace(/[^a-z0-9]+/g, "-");
  return {
    id: `forest-by-${position < 0 ? "x" : position}-${slug}`,
    title: `Accuracy per model by ${field}, with ${levelText(report.study.level)} confidence intervals`,
    level: report.study.level,
    panels: report.subgroups
      .filter((stratum) => stratum.field === field)
      .map((stratum) => ({
        heading: stratum.value,
        cases: stratum.cases,
        rows: rowsOf(report, stratum.models, stratum.value),
      })),
  };
}

/** Renders a forest plot as one self-contained, deterministic SVG element (no scripts, fonts or links). */
export async function renderSvg(spec: ForestSpec): Promise<string> {
  return forestSvg(spec);
}

const XML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

export function escapeXml(value: string): string {
  return value.replace(/[&<>"']/g, (character) => XML_ESCAPES[character]);
}

const NARROW = new Set("iljI|.,:;'!`");
const SEMI_NARROW = new Set('frt()[]{}/\\-"*');
const BROAD = new Set("<>=+~#&_^");
const WIDE = new Set("mwMW@%");

/**
 * Estimated advance width of a text in a system sans-serif font, from its characters: erring wide (the
 * metrics are those of the broader Linux default faces), so that a label estimated to fit does fit.
 */
export function textWidth(text: string, fontSize: number, bold = false): number {
  let ems = 0;
  for (const character of text) {
    const code = character.codePointAt(0) ?? 0;
    if (character === " ") ems += 0.32;
    else if (NARROW.has(character)) ems += 0.3;
    else if (SEMI_NARROW.has(character)) ems += 0.44;
    else if (BROAD.has(character)) ems += 0.86;
    else if (WIDE.has(character)) ems += 1;
    else if (character >= "A" && character <= "Z") ems += 0.74;
    else if (character >= "0" && character <= "9") ems += 0.64;
    else if (code < 0x80) ems += 0.62;
    else if (code >= 0x1f000) ems += 1.1;
    else if (code >= 0x1100) ems += 1;
    else ems += 0.66;
  }
  return ems * fontSize * (bold ? 1.12 : 1);
}

/** The text, cut at a character boundary and ended with an ellipsis when it is wider than `maxWidth`. */
export function fitText(
  text: string,
  maxWidth: number,
  fontSize: number,
  bold = false,
): { text: string; truncated: boolean } {
  if (textWidth(text, fontSize, bold) <= maxWidth) return { text, truncated: false };
  const characters = Array.from(text);
  let length = characters.length;
  while (
    length > 0 &&
    textWidth(`${characters.slice(0, length).join("").trimEnd()}…`, fontSize, bold) > maxWidth
  )
    length--;
  return { text: `${characters.slice(0, length).join("").trimEnd()}…`, truncated: true };
}

/** A coordinate with at most two decimals, so that the output is stable and short. */
export function number(value: number): string {
  const rounded = Math.round(value * 100) / 100;
  return String(rounded === 0 ? 0 : rounded);
}

export const INK = "#1d2327";
export const MUTED = "#5b6670";
export const GRID = "#e3e7ea";
export const AXIS = "#9aa4ab";
export const BAND = "#f5f7f8";

export const FONT_SIZE = 12;
export const TICK_FONT_SIZE = 11;
export const ROW_HEIGHT = 24;
const HEADING_HEIGHT = 28;
const PANEL_GAP = 6;
export const HEADER_HEIGHT = 22;
export const MIN_LABEL_WIDTH = 40;
export const MAX_LABEL_WIDTH = 220;
export const PLOT_WIDTH = 480;
export const GUTTER = 16;
export const COLUMN_GAP = 20;
export const CAP_HEIGHT = 9;
export const POINT_RADIUS = 4.5;
const TICKS = [0, 0.2, 0.4, 0.6, 0.8, 1];

function estimateText(accuracy: Proportion | null): string {
  if (!accuracy) return NONE;
  return `${percent(accuracy.estimate)} (${percent(accuracy.lower)}–${percent(accuracy.upper)})`;
}

function countText(accuracy: Proportion | null): string {
  return accuracy ? `${accuracy.x}/${accuracy.n}` : NONE;
}

/** The row's numbers in words, for its tooltip and the chart's description. */
function rowSentence(row: ForestRow, level: number): string {
  const name = row.group === null ? row.model : `${row.model} — ${row.group}`;
  if (!row.accuracy) return `${name}: no answers`;
  const { estimate, lower, upper, x, n } = row.accuracy;
  const reference = row.reference === null ? "" : `; all cases ${percent(row.reference)}%`;
  return (
    `${name}: ${percent(estimate)}% (${levelText(level)} CI ${percent(lower)}–${percent(upper)}), ` +
    `${x} of ${n} correct${reference}`
  );
}

export function baseline(center: number, fontSize: number): number {
  return center + fontSize * 0.35;
}

export function text(
  x: number,
  y: number,
  content: string,
  attributes: Record<string, string | number> = {},
): string {
  const extra = Object.entries(attributes)
    .map(([name, value]) => ` ${name}="${typeof value === "number" ? number(value) : escapeXml(value)}"`)
    .join("");
  return `<text x="${number(x)}" y="${number(y)}"${extra}>${escapeXml(content)}</text>`;
}

/** An interval's horizontal line with a cap at each end, from x `lower` to x `upper` at height `center`. */
export function intervalLine(lower: number, upper: number, center: number, color: string): string[] {
  const stroke = `stroke="${color}" stroke-width="2"`;
  return [
    line(lower, center, upper, center, `class="interval" ${stroke}`),
    line(lower, center - CAP_HEIGHT / 2, lower, center + CAP_HEIGHT / 2, `class="cap" ${stroke}`),
    line(upper, center - CAP_HEIGHT / 2, upper, center + CAP_HEIGHT / 2, `class="cap" ${stroke}`),
  ];
}

export function line(x1: number, y1: number, x2: number, y2: number, attributes: string): string {
  return `<line x1="${number(x1)}" y1="${number(y1)}" x2="${number(x2)}" y2="${number(y2)}" ${attributes}/>`;
}

function forestSvg(spec: ForestSpec): string {
  const rows = spec.panels.flatMap((panel) => panel.rows);
  const level = levelText(spec.level);
  const labelWidth = Math.min(
    MAX_LABEL_WIDTH,
    Math.max(MIN_LABEL_WIDTH, ...rows.map((row) => textWidth(row.model, FONT_SIZE))),
  );
  const plotLeft = labelWidth + GUTTER;
  const plotRight = plotLeft + PLOT_WIDTH;
  const estimateHeader = `Accuracy % (${level} CI)`;
  const countHeader = "Correct/n";
  const estimateX = plotRight + 28;
  const estimateWidth = Math.max(
    textWidth(estimateHeader, TICK_FONT_SIZE, true),
    ...rows.map((row) => textWidth(estimateText(row.accuracy), FONT_SIZE)),
  );
  const countWidth = Math.max(
    textWidth(countHeader, TICK_FONT_SIZE, true),
    ...rows.map((row) => textWidth(countText(row.accuracy), FONT_SIZE)),
  );
  const estimateRight = estimateX + estimateWidth;
  const countRight = estimateRight + COLUMN_GAP + countWidth;
  const width = Math.ceil(countRight + 4);
  const scale = (value: number) => plotLeft + Math.min(1, Math.max(0, value)) * PLOT_WIDTH;
  const hasReference = rows.some((row) => row.accuracy && row.reference !== null);

  const parts: string[] = [];
  const headerY = baseline(HEADER_HEIGHT / 2, TICK_FONT_SIZE);
  const headerAttributes = { fill: MUTED, "font-size": TICK_FONT_SIZE, "font-weight": "600" };
  parts.push(
    `<g class="column-headers">${text(estimateRight, headerY, estimateHeader, { ...headerAttributes, "text-anchor": "end" })}${text(
      countRight,
      headerY,
      countHeader,
      { ...headerAttributes, "text-anchor": "end" },
    )}</g>`,
  );

  let y = HEADER_HEIGHT;
  for (const [panelIndex, panel] of spec.panels.entries()) {
    if (panelIndex > 0) y += PANEL_GAP;
    if (panel.heading !== null) {
      const suffix = panel.cases === null ? "" : ` · ${panel.cases} ${panel.cases === 1 ? "case" : "cases"}`;
      const room = width - textWidth(suffix, TICK_FONT_SIZE);
      const heading = fitText(panel.heading, room, FONT_SIZE, true);
      const headingY = y + HEADING_HEIGHT - 9;
      parts.push(
        `<g class="heading">${heading.truncated ? `<title>${escapeXml(panel.heading)}</title>` : ""}` +
          `<text x="0" y="${number(headingY)}" fill="${INK}" font-size="${FONT_SIZE}" font-weight="600">` +
          `${escapeXml(heading.text)}<tspan fill="${MUTED}" font-weight="400" font-size="${TICK_FONT_SIZE}">` +
          `${escapeXml(suffix)}</tspan></text></g>`,
      );
      y += HEADING_HEIGHT;
    }
    const top = y;
    const bottom = top + panel.rows.length * ROW_HEIGHT;
    const bands = panel.rows
      .map((_, index) =>
        index % 2 === 1
          ? `<rect x="0" y="${number(top + index * ROW_HEIGHT)}" width="${width}" height="${ROW_HEIGHT}" fill="${BAND}"/>`
          : "",
      )
      .join("");
    const grid = TICKS.map((tick) =>
      line(scale(tick), top, scale(tick), bottom, `stroke="${GRID}" stroke-width="1"`),
    ).join("");
    parts.push(`<g class="grid" shape-rendering="crispEdges">${bands}${grid}</g>`);
    for (const [index, row] of panel.rows.entries()) {
      const center = top + index * ROW_HEIGHT + ROW_HEIGHT / 2;
      const textY = baseline(center, FONT_SIZE);
      const label = fitText(row.model, labelWidth, FONT_SIZE);
      const marks: string[] = [`<title>${escapeXml(rowSentence(row, spec.level))}</title>`];
      marks.push(
        text(plotLeft - GUTTER / 2 - 2, textY, label.text, {
          class: "label",
          fill: INK,
          "font-size": FONT_SIZE,
          "text-anchor": "end",
        }),
      );
      if (row.accuracy) {
        const { estimate, lower, upper } = row.accuracy;
        if (row.reference !== null) {
          marks.push(
            line(
              scale(row.reference),
              center - ROW_HEIGHT / 2 + 3,
              scale(row.reference),
              center + ROW_HEIGHT / 2 - 3,
              `class="reference" stroke="${row.color}" stroke-width="1.5" stroke-dasharray="3 2" opacity="0.6"`,
            ),
          );
        }
        marks.push(
          ...intervalLine(scale(lower), scale(upper), center, row.color),
          `<circle class="point" cx="${number(scale(estimate))}" cy="${number(center)}" r="${POINT_RADIUS}" ` +
            `fill="${row.color}" stroke="#ffffff" stroke-width="1.5"/>`,
        );
      } else {
        marks.push(
          text(plotLeft + 8, textY, "no answers", {
            class: "no-answers",
            fill: MUTED,
            "font-size": FONT_SIZE,
            "font-style": "italic",
          }),
        );
      }
      marks.push(
        text(estimateRight, textY, estimateText(row.accuracy), {
          class: "estimate",
          fill: row.accuracy ? INK : MUTED,
          "font-size": FONT_SIZE,
          "text-anchor": "end",
        }),
        text(countRight, textY, countText(row.accuracy), {
          class: "count",
          fill: MUTED,
          "font-size": FONT_SIZE,
          "text-anchor": "end",
        }),
      );
      parts.push(`<g class="row">${marks.join("")}</g>`);
    }
    y = bottom;
  }

  const axisY = y + 0.5;
  const axis = [
    line(plotLeft, axisY, plotRight, axisY, `stroke="${AXIS}" stroke-width="1"`),
    ...TICKS.map((tick) =>
      line(scale(tick), axisY, scale(tick), axisY + 5, `stroke="${AXIS}" stroke-width="1"`),
    ),
  ].join("");
  const tickLabels = TICKS.map((tick) =>
    text(scale(tick), axisY + 18, `${Math.round(tick * 100)}%`, {
      fill: MUTED,
      "font-size": TICK_FONT_SIZE,
      "text-anchor": "middle",
    }),
  ).join("");
  const axisTitle = text((plotLeft + plotRight) / 2, axisY + 37, `Accuracy (${level} CI)`, {
    fill: INK,
    "font-size": FONT_SIZE,
    "font-weight": "600",
    "text-anchor": "middle",
  });
  parts.push(`<g class="axis"><g shape-rendering="crispEdges">${axis}</g>${tickLabels}${axisTitle}</g>`);
  let height = axisY + 46;
  if (hasReference) {
    const legendY = axisY + 62;
    parts.push(
      `<g class="legend">${line(plotLeft, legendY - 9, plotLeft, legendY + 3, `stroke="${MUTED}" stroke-width="1.5" stroke-dasharray="3 2"`)}` +
        text(plotLeft + 8, legendY, "each model’s accuracy over all cases", {
          fill: MUTED,
          "font-size": TICK_FONT_SIZE,
        }) +
        "</g>",
    );
    height = legendY + 8;
  }
  height = Math.ceil(height);

  const description = `${rows.map((row) => rowSentence(row, spec.level)).join(". ")}.`;
  const titleId = `${spec.id}-title`;
  const descriptionId = `${spec.id}-desc`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="forest-plot" role="img" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" aria-labelledby="${escapeXml(titleId)} ${escapeXml(descriptionId)}" ` +
    `font-family="${escapeXml(FONT_STACK)}" style="font-variant-numeric: tabular-nums">` +
    `<title id="${escapeXml(titleId)}">${escapeXml(spec.title)}</title>` +
    `<desc id="${escapeXml(descriptionId)}">${escapeXml(description)}</desc>` +
    `${parts.join("")}</svg>`
  );
}
