import { parse, View } from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import type { ModelSummary, Report } from "../analysis/report-types.ts";
import { percent } from "./format.ts";

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

/** A layered chart without data or config: the part shared by the overall and the per-subgroup plot. */
type LayeredChart = Omit<Extract<TopLevelSpec, { layer: unknown }>, "data" | "config" | "$schema">;

interface Point {
  model: string;
  group: string;
  estimate: number;
  lower: number;
  upper: number;
  label: string;
}

function points(models: readonly ModelSummary[], group: string): Point[] {
  return models.flatMap((model) =>
    model.accuracy
      ? [
          {
            model: model.id,
            group,
            estimate: model.accuracy.estimate,
            lower: model.accuracy.lower,
            upper: model.accuracy.upper,
            label: `${percent(model.accuracy.estimate)}% (${percent(model.accuracy.lower)}–${percent(model.accuracy.upper)})`,
          },
        ]
      : [],
  );
}

function layers(modelIds: string[]): LayeredChart {
  const y = {
    field: "model",
    type: "nominal",
    sort: modelIds,
    title: null,
    axis: { labelLimit: 220, labelFontSize: 12, labelPadding: 6, ticks: false, domain: false },
  } as const;
  const color = {
    field: "model",
    type: "nominal",
    scale: { domain: modelIds, range: MODEL_COLORS },
    legend: null,
  } as const;
  const x = {
    field: "estimate",
    type: "quantitative" as const,
    scale: { domain: [0, 1] },
    axis: { format: ".0%", title: "Accuracy (95% CI)", tickCount: 5, grid: true },
  };
  return {
    height: { step: 24 },
    width: 560,
    layer: [
      {
        mark: { type: "rule", strokeWidth: 2 },
        encoding: { y, color, x: { ...x, field: "lower" }, x2: { field: "upper" } },
      },
      { mark: { type: "point", filled: true, size: 70, opacity: 1 }, encoding: { y, color, x } },
      {
        mark: { type: "text", align: "left", dx: 8, fontSize: 11, color: "#3a4248" },
        encoding: {
          y,
          x: { field: "upper", type: "quantitative" },
          text: { field: "label", type: "nominal" },
        },
      },
    ],
  };
}

const CONFIG = {
  font: FONT_STACK,
  view: { stroke: null },
  axis: {
    labelColor: "#333",
    titleColor: "#333",
    labelFontSize: 11,
    titleFontSize: 12,
    titleFontWeight: 600,
    domainColor: "#888",
    tickColor: "#888",
    gridColor: "#e8eaec",
  },
  header: { labelColor: "#1d2327", labelFontWeight: 600, labelFontSize: 12 },
} as const;

/** Forest plot of each model's primary accuracy with its 95% CI, as a Vega-Lite spec. */
export function overallForestSpec(report: Report): TopLevelSpec {
  const modelIds = report.models.map((model) => model.id);
  return {
    data: { values: points(report.models, "all cases") },
    ...layers(modelIds),
    config: CONFIG,
  };
}

/** Forest plot per value of one subgroup field: one panel row per value, one line per model. */
export function subgroupForestSpec(report: Report, field: string): TopLevelSpec {
  const modelIds = report.models.map((model) => model.id);
  const strata = report.subgroups.filter((stratum) => stratum.field === field);
  return {
    data: { values: strata.flatMap((stratum) => points(stratum.models, stratum.value)) },
    facet: {
      row: {
        field: "group",
        type: "nominal",
        sort: strata.map((stratum) => stratum.value),
        title: null,
        header: {
          labelAngle: 0,
          labelAlign: "left",
          labelAnchor: "start",
          labelOrient: "top",
          labelPadding: 4,
        },
      },
    },
    spacing: 10,
    spec: layers(modelIds),
    config: CONFIG,
  };
}

/** Renders a Vega-Lite spec to an SVG string in Node, without a browser or network. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
