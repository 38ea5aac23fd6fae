import type { Comparison, DifferenceInterval, Report } from "../analysis/report-types.ts";
import {
  AXIS,
  BAND,
  baseline,
  escapeXml,
  FONT_SIZE,
  FONT_STACK,
  fitText,
  GRID,
  GUTTER,
  HEADER_HEIGHT,
  INK,
  intervalLine,
  line,
  MAX_LABEL_WIDTH,
  MIN_LABEL_WIDTH,
  MUTED,
  number,
  PLOT_WIDTH,
  POINT_RADIUS,
  ROW_HEIGHT,
  TICK_FONT_SIZE,
  text,
  textWidth,
} from "./forest-plot.ts";
import { differenceText, levelText } from "./format.ts";

/** One line of the plot: a comparison's paired difference A − B with its interval. */
export interface DifferenceRow {
  label: string;
  role: Comparison["role"];
  difference: DifferenceInterval | null;
}

export interface DifferenceSpec {
  id: string;
  title: string;
  level: number;
  rows: DifferenceRow[];
}

/**
 * The paired differences of the study's comparisons over all cases: with one answer per case Newcombe's
 * interval, with several the per-case difference and its cluster bootstrap interval.
 */
export function differenceSpec(report: Report): DifferenceSpec {
  return {
    id: "forest-differences",
    title: `Paired differences in accuracy (A − B) with ${levelText(report.study.level)} confidence intervals`,
    level: report.study.level,
    rows: report.comparisons.map((comparison) => ({
      label: `${comparison.a} vs ${comparison.b}`,
      role: comparison.role,
      difference: comparison.samples ? comparison.samples.difference : comparison.difference,
    })),
  };
}

/** The axis: a tick step of 10 or 20 points, and a half-width that is the largest |limit| rounded up to a step. */
function axisOf(rows: readonly DifferenceRow[]): { reach: number; step: number } {
  const largest = Math.max(
    0.1,
    ...rows.flatMap((row) =>
      row.difference ? [Math.abs(row.difference.lower), Math.abs(row.difference.upper)] : [],
    ),
  );
  const step = largest <= 0.4 ? 0.1 : 0.2;
  return { reach: Math.min(1, Math.ceil(largest / step - 1e-9) * step), step };
}

/** A forest plot of paired differences around a line at zero, as one self-contained SVG element. */
export function differenceSvg(spec: DifferenceSpec): string {
  const level = levelText(spec.level);
  const labels = spec.rows.map((row) =>
    row.role === "exploratory" ? `${row.label} (exploratory)` : row.label,
  );
  const labelWidth = Math.min(
    MAX_LABEL_WIDTH,
    Math.max(MIN_LABEL_WIDTH, ...labels.map((label) => textWidth(label, FONT_SIZE))),
  );
  const plotLeft = labelWidth + GUTTER;
  const plotRight = plotLeft + PLOT_WIDTH;
  const header = `Difference, pp (${level} CI)`;
  const estimateRight =
    plotRight +
    28 +
    Math.max(
      textWidth(header, TICK_FONT_SIZE, true),
      ...spec.rows.map((row) => textWidth(differenceText(row.difference), FONT_SIZE)),
    );
  const width = Math.ceil(estimateRight + 4);
  const { reach, step } = axisOf(spec.rows);
  const scale = (value: number) =>
    plotLeft + ((Math.min(reach, Math.max(-reach, value)) + reach) / (2 * reach)) * PLOT_WIDTH;
  const ticks: number[] = [];
  const steps = Math.round(reach / step);
  for (let index = -steps; index <= steps; index++) ticks.push(Math.round(index * step * 10) / 10);

  const parts: string[] = [
    `<g class="column-headers">${text(estimateRight, baseline(HEADER_HEIGHT / 2, TICK_FONT_SIZE), header, {
      fill: MUTED,
      "font-size": TICK_FONT_SIZE,
      "font-weight": "600",
      "text-anchor": "end",
    })}</g>`,
  ];
  const top = HEADER_HEIGHT;
  const bottom = top + spec.rows.length * ROW_HEIGHT;
  const bands = spec.rows
    .map((_, index) =>
      index % 2 === 1
        ? `<rect x="0" y="${number(top + index * ROW_HEIGHT)}" width="${width}" height="${ROW_HEIGHT}" fill="${BAND}"/>`
        : "",
    )
    .join("");
  const grid = ticks
    .map((tick) =>
      line(scale(tick), top, scale(tick), bottom, `stroke="${tick === 0 ? AXIS : GRID}" stroke-width="1"`),
    )
    .join("");
  parts.push(`<g class="grid" shape-rendering="crispEdges">${bands}${grid}</g>`);
  for (const [index, row] of spec.rows.entries()) {
    const center = top + index * ROW_HEIGHT + ROW_HEIGHT / 2;
    const textY = baseline(center, FONT_SIZE);
    const sentence = `${labels[index]}: ${row.difference ? `${differenceText(row.difference)} percentage points` : "no cases"}`;
    const marks = [
      `<title>${escapeXml(sentence)}</title>`,
      text(plotLeft - GUTTER / 2 - 2, textY, fitText(labels[index], labelWidth, FONT_SIZE).text, {
        class: "label",
        fill: INK,
        "font-size": FONT_SIZE,
        "text-anchor": "end",
      }),
    ];
    if (row.difference) {
      const { estimate, lower, upper } = row.difference;
      const color = row.role === "exploratory" ? MUTED : INK;
      marks.push(
        ...intervalLine(scale(lower), scale(upper), center, color),
        `<rect class="point" x="${number(scale(estimate) - POINT_RADIUS)}" y="${number(center - POINT_RADIUS)}" ` +
          `width="${POINT_RADIUS * 2}" height="${POINT_RADIUS * 2}" fill="${color}"/>`,
      );
    }
    marks.push(
      text(estimateRight, textY, differenceText(row.difference), {
        class: "estimate",
        fill: INK,
        "font-size": FONT_SIZE,
        "text-anchor": "end",
      }),
    );
    parts.push(`<g class="row">${marks.join("")}</g>`);
  }
  const axisY = bottom + 0.5;
  parts.push(
    `<g class="axis"><g shape-rendering="crispEdges">${[
      line(plotLeft, axisY, plotRight, axisY, `stroke="${AXIS}" stroke-width="1"`),
      ...ticks.map((tick) =>
        line(scale(tick), axisY, scale(tick), axisY + 5, `stroke="${AXIS}" stroke-width="1"`),
      ),
    ].join("")}</g>${ticks
      .map((tick) =>
        text(
          scale(tick),
          axisY + 18,
          `${tick > 0 ? "+" : tick < 0 ? "−" : ""}${Math.round(Math.abs(tick) * 100)}`,
          {
            fill: MUTED,
            "font-size": TICK_FONT_SIZE,
            "text-anchor": "middle",
          },
        ),
      )
      .join("")}${text((plotLeft + plotRight) / 2, axisY + 37, `A − B, percentage points (${level} CI)`, {
      fill: INK,
      "font-size": FONT_SIZE,
      "font-weight": "600",
      "text-anchor": "middle",
    })}</g>`,
  );
  const height = Math.ceil(axisY + 46);
  const description = `${spec.rows
    .map((row, index) => `${labels[index]}: ${differenceText(row.difference)} percentage points`)
    .join(". ")}.`;
  const titleId = `${spec.id}-title`;
  const descriptionId = `${spec.id}-desc`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="forest-plot difference-plot" role="img" width="${width}" ` +
    `height="${height}" viewBox="0 0 ${width} ${height}" aria-labelledby="${titleId} ${descriptionId}" ` +
    `font-family="${escapeXml(FONT_STACK)}" style="font-variant-numeric: tabular-nums">` +
    `<title id="${titleId}">${escapeXml(spec.title)}</title><desc id="${descriptionId}">${escapeXml(description)}</desc>` +
    `${parts.join("")}</svg>`
  );
}
