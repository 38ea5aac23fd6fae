import { describe, expect, it } from "vitest";
import {
  answered,
  correctAt,
  diagnosisCase,
  failed,
  incorrect,
  makeStudy,
  makeSuite,
  RUN,
  scriptedGrade,
} from "../analysis/analysis.test-support.ts";
import { analyzeStudy } from "../analysis/analyze-study.ts";
import type { Report } from "../analysis/report-types.ts";
import {
  FONT_STACK,
  type ForestSpec,
  fitText,
  MODEL_COLORS,
  overallForestSpec,
  renderSvg,
  subgroupForestSpec,
  textWidth,
} from "./forest-plot.ts";
import { escapeHtml } from "./html-report.ts";
import { HOSTILE, smallAnalysis, syntheticAnalysis } from "./report.test-support.ts";

/** The elements with the class, as their attribute maps (and text content, when they have one). */
function elements(svg: string, className: string): Record<string, string>[] {
  const pattern = new RegExp(`<(\\w+) ([^>]*?\\bclass="${className}"[^>]*?)(?:/>|>([^<]*)</\\1>)`, "g");
  return [...svg.matchAll(pattern)].map((match) => {
    const attributes: Record<string, string> = Object.fromEntries(
      [...match[2].matchAll(/([\w-]+)="([^"]*)"/g)].map((attribute) => [attribute[1], attribute[2]]),
    );
    return match[3] === undefined ? attributes : { ...attributes, text: match[3] };
  });
}

/** The x of a value on the axis, from the positions of the 0% and 100% tick labels. */
function axisScale(svg: string): (value: number) => number {
  const tick = (label: string) => {
    const match = svg.match(new RegExp(`<text x="([\\d.]+)" y="[\\d.]+"[^>]*>${label}</text>`));
    if (!match) throw new Error(`no tick ${label}`);
    return Number(match[1]);
  };
  const [zero, hundred] = [tick("0%"), tick("100%")];
  return (value) => zero + value * (hundred - zero);
}

/*
 * Two models, three cases, subgroup `specialty`: c1 c2 surgery, c3 neurology. A answers c1 and c2 right and
 * fails c3, so it has no answers in neurology; B answers c1 and c3 right and c2 wrong.
 */
function analysisWithEmptyStratum(): Report {
  const study = makeStudy({
    name: "empty-stratum",
    models: [
      { id: "A", provider: "ollama", model: "a:8b" },
      { id: "B", provider: "ollama", model: "b:8b" },
    ],
    subgroups: ["specialty"],
  });
  const cases = [
    diagnosisCase("c1", { specialty: "surgery" }),
    diagnosisCase("c2", { specialty: "surgery" }),
    diagnosisCase("c3", { specialty: "neurology" }),
  ];
  const results = [
    answered("A", "c1", correctAt(1)),
    answered("A", "c2", correctAt(1)),
    failed("A", "c3", { failure: "http", status: 503, message: "Service Unavailable", attempts: 5 }),
    answered("B", "c1", correctAt(1)),
    answered("B", "c2", incorrect()),
    answered("B", "c3", correctAt(2)),
  ];
  return analyzeStudy({
    study,
    suite: makeSuite(cases, "empty-stratum"),
    run: RUN,
    results,
    grade: scriptedGrade().grade,
  }).report;
}

describe("overallForestSpec", () => {
  it("has one row per model, in the report's order and colours, without a reference", () => {
    const { report } = smallAnalysis();
    expect(overallForestSpec(report)).toEqual({
      id: "forest-all",
      title: "Accuracy per model with 95% confidence intervals",
      level: 0.95,
      panels: [
        {
          heading: null,
          cases: null,
          rows: [
            {
              model: "A",
              group: null,
              color: MODEL_COLORS[0],
              accuracy: report.models[0].accuracy,
              reference: null,
            },
            {
              model: "B",
              group: null,
              color: MODEL_COLORS[1],
              accuracy: report.models[1].accuracy,
              reference: null,
            },
          ],
        },
      ],
    } satisfies ForestSpec);
  });
});

describe("subgroupForestSpec", () => {
  it("has one panel per value of the field, each row marked with the model's accuracy over all cases", () => {
    const { report } = smallAnalysis();
    const [surgery, neurology] = report.subgroups;
    const row = (stratumModels: Report["models"], index: number, group: string) => ({
      model: stratumModels[index].id,
      group,
      color: MODEL_COLORS[index],
      accuracy: stratumModels[index].accuracy,
      reference: report.models[index].accuracy?.estimate ?? null,
    });
    expect(subgroupForestSpec(report, "specialty")).toEqual({
      id: "forest-by-0-specialty",
      title: "Accuracy per model by specialty, with 95% confidence intervals",
      level: 0.95,
      panels: [
        {
          heading: "surgery",
          cases: 2,
          rows: [row(surgery.models, 0, "surgery"), row(surgery.models, 1, "surgery")],
        },
        {
          heading: "neurology",
          cases: 2,
          rows: [row(neurology.models, 0, "neurology"), row(neurology.models, 1, "neurology")],
        },
      ],
    } satisfies ForestSpec);
    expect(report.models.map((model) => model.accuracy?.estimate)).toEqual([2 / 3, 1 / 4]);
  });
});

describe("renderSvg", () => {
  it("draws each interval with caps and its point where the axis puts them, and the numbers beside", async () => {
    const { report } = smallAnalysis();
    const svg = await renderSvg(overallForestSpec(report));
    const x = axisScale(svg);
    const [a, b] = report.models.map((model) => model.accuracy);
    if (!a || !b) throw new Error("both models have answers");
    const near = (value: number) => expect.closeTo(value, 1);
    expect(elements(svg, "point").map((point) => [Number(point.cx), point.fill])).toEqual([
      [near(x(a.estimate)), MODEL_COLORS[0]],
      [near(x(b.estimate)), MODEL_COLORS[1]],
    ]);
    expect(elements(svg, "interval").map((line) => [Number(line.x1), Number(line.x2), line.stroke])).toEqual([
      [near(x(a.lower)), near(x(a.upper)), MODEL_COLORS[0]],
      [near(x(b.lower)), near(x(b.upper)), MODEL_COLORS[1]],
    ]);
    expect(elements(svg, "cap").map((line) => Number(line.x1))).toEqual([
      near(x(a.lower)),
      near(x(a.upper)),
      near(x(b.lower)),
      near(x(b.upper)),
    ]);
    expect(elements(svg, "label").map((label) => label.text)).toEqual(["A", "B"]);
    expect(elements(svg, "estimate").map((label) => label.text)).toEqual([
      "66.7 (20.8–93.9)",
      "25.0 (4.6–69.9)",
    ]);
    expect(elements(svg, "count").map((label) => label.text)).toEqual(["2/3", "1/4"]);
    expect(elements(svg, "reference")).toEqual([]);
    for (const tick of ["0%", "20%", "40%", "60%", "80%", "100%"]) expect(svg).toContain(`>${tick}</text>`);
    expect(svg).toContain(">Accuracy (95% CI)</text>");
  });

  it("is an accessible, self-contained image whose description gives every number", async () => {
    const { report } = smallAnalysis();
    const svg = await renderSvg(subgroupForestSpec(report, "specialty"));
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" class="forest-plot" role="img" ')).toBe(
      true,
    );
    expect(svg).toContain('aria-labelledby="forest-by-0-specialty-title forest-by-0-specialty-desc"');
    expect(svg).toContain(
      '<title id="forest-by-0-specialty-title">Accuracy per model by specialty, with 95% confidence intervals</title>',
    );
    expect(svg.match(/<desc id="forest-by-0-specialty-desc">([^<]*)<\/desc>/)?.[1]).toBe(
      "A — surgery: 100.0% (95% CI 34.2–100.0), 2 of 2 correct; all cases 66.7%. " +
        "B — surgery: 50.0% (95% CI 9.5–90.5), 1 of 2 correct; all cases 25.0%. " +
        "A — neurology: 0.0% (95% CI 0.0–79.3), 0 of 1 correct; all cases 66.7%. " +
        "B — neurology: 0.0% (95% CI 0.0–65.8), 0 of 2 correct; all cases 25.0%.",
    );
    expect(svg).toContain(
      "<title>A — surgery: 100.0% (95% CI 34.2–100.0), 2 of 2 correct; all cases 66.7%</title>",
    );
    expect(svg).toContain(`font-family="${FONT_STACK.replaceAll("'", "&#39;")}"`);
    expect(svg).not.toMatch(/<script|<style|<image|<foreignObject|href=|url\(/i);
    expect(svg.match(/https?:\/\/[^\s"]+/g)).toEqual(["http://www.w3.org/2000/svg"]);
    const [width, height] = [
      Number(svg.match(/ width="(\d+)"/)?.[1]),
      Number(svg.match(/ height="(\d+)"/)?.[1]),
    ];
    expect(svg).toContain(`viewBox="0 0 ${width} ${height}"`);
  });

  it("marks each subgroup row with the model's accuracy over all cases, and explains the mark", async () => {
    const { report } = smallAnalysis();
    const svg = await renderSvg(subgroupForestSpec(report, "specialty"));
    const x = axisScale(svg);
    expect(elements(svg, "reference").map((line) => [Number(line.x1), line.stroke])).toEqual([
      [expect.closeTo(x(2 / 3), 1), MODEL_COLORS[0]],
      [expect.closeTo(x(1 / 4), 1), MODEL_COLORS[1]],
      [expect.closeTo(x(2 / 3), 1), MODEL_COLORS[0]],
      [expect.closeTo(x(1 / 4), 1), MODEL_COLORS[1]],
    ]);
    expect(svg).toContain(">each model’s accuracy over all cases</text>");
    expect(svg).toContain(">surgery<tspan");
    expect(svg).toContain(" · 2 cases</tspan>");
  });

  it("shows a model without answers in a stratum as “no answers”, with no point or interval", async () => {
    const report = analysisWithEmptyStratum();
    const svg = await renderSvg(subgroupForestSpec(report, "specialty"));
    expect(elements(svg, "label").map((label) => label.text)).toEqual(["A", "B", "A", "B"]);
    expect(elements(svg, "point")).toHaveLength(3);
    expect(elements(svg, "interval")).toHaveLength(3);
    expect(elements(svg, "no-answers").map((label) => label.text)).toEqual(["no answers"]);
    expect(elements(svg, "estimate").map((label) => label.text)).toEqual([
      "100.0 (34.2–100.0)",
      "50.0 (9.5–90.5)",
      "—",
      "100.0 (20.7–100.0)",
    ]);
    expect(elements(svg, "count").map((label) => label.text)).toEqual(["2/2", "1/2", "—", "1/1"]);
    expect(svg).toContain("<title>A — neurology: no answers</title>");
    expect(svg).toContain(" · 1 case</tspan>");
  });

  it("escapes model ids and subgroup values in labels, headings, tooltips and the description", async () => {
    const hostileModel = '<script>alert("model")</script>';
    const { report } = syntheticAnalysis({ cases: 6, modelIds: [hostileModel, "plain"], hostile: true });
    const svg = [
      await renderSvg(overallForestSpec(report)),
      await renderSvg(subgroupForestSpec(report, "specialty")),
    ].join("\n");
    expect(svg).not.toMatch(/<script|<b>/i);
    expect(svg).toContain("&lt;script&gt;alert(&quot;model&quot;)&lt;/script&gt;");
    expect(svg).toContain("&lt;b&gt;surgery &amp; co&lt;/b&gt;<tspan");
    expect(svg).toContain(`plain — ${escapeHtml(HOSTILE.specialty)}: `);
  });

  it("keeps long labels clear of the plot: cut with an ellipsis, whole in the row's tooltip", async () => {
    const long = "meta-llama/Llama-3.1-70B-Instruct-with-a-very-long-local-identifier-Q4_K_M";
    const { report } = syntheticAnalysis({ cases: 12, modelIds: ["r1", long] });
    const svg = await renderSvg(overallForestSpec(report));
    const labels = elements(svg, "label");
    expect(labels.map((label) => label.text)).toEqual([
      "r1",
      expect.stringMatching(/^meta-llama\/Llama-3\.1.*…$/),
    ]);
    const plotLeft = axisScale(svg)(0);
    for (const label of labels) {
      expect(Number(label.x)).toBeLessThan(plotLeft);
      expect(textWidth(label.text, 12)).toBeLessThanOrEqual(Number(label.x));
    }
    expect(svg).toContain(`<title>${long}: `);
  });

  it("gives the same markup for the same report", async () => {
    const first = syntheticAnalysis({ cases: 30, modelIds: ["a", "b", "c"] }).report;
    const second = syntheticAnalysis({ cases: 30, modelIds: ["a", "b", "c"] }).report;
    expect(await renderSvg(subgroupForestSpec(first, "incidence"))).toBe(
      await renderSvg(subgroupForestSpec(second, "incidence")),
    );
  });
});

describe("textWidth and fitText", () => {
  it("estimate wider for wide letters and CJK than for narrow ones, and scale with the font", () => {
    expect(textWidth("iiii", 12)).toBeLessThan(textWidth("aaaa", 12));
    expect(textWidth("aaaa", 12)).toBeLessThan(textWidth("AAAA", 12));
    expect(textWidth("AAAA", 12)).toBeLessThan(textWidth("模型模型", 12));
    expect(textWidth("model", 24)).toBeCloseTo(2 * textWidth("model", 12));
    expect(textWidth("model", 12, true)).toBeGreaterThan(textWidth("model", 12));
  });

  it("leave a text that fits and cut one that does not at a character boundary", () => {
    expect(fitText("r1-8b", 100, 12)).toEqual({ text: "r1-8b", truncated: false });
    const cut = fitText("qwen2.5-coder-32b-instruct", 80, 12);
    expect(cut.truncated).toBe(true);
    expect(cut.text.endsWith("…")).toBe(true);
    expect("qwen2.5-coder-32b-instruct".startsWith(cut.text.slice(0, -1))).toBe(true);
    expect(textWidth(cut.text, 12)).toBeLessThanOrEqual(80);
    expect(fitText("😀😀😀😀😀😀", 30, 12).text).toBe("😀…");
  });
});
