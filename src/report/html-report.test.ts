import { describe, expect, it } from "vitest";
import { escapeHtml, renderHtml, shadeColor } from "./html-report.ts";
import {
  HOSTILE,
  HOSTILE_LABEL,
  smallAnalysis,
  smallTriageAnalysis,
  syntheticAnalysis,
  syntheticTriageAnalysis,
} from "./report.test-support.ts";

const HOSTILE_MODEL = '<script>alert("model")</script>';

describe("renderHtml", () => {
  it("opens with the completeness line, then the tables and one forest plot per model set and subgroup field", async () => {
    const { report, details } = smallAnalysis();
    const html = await renderHtml(report, details);
    expect(html.split("\n").slice(0, 2)).toEqual(["<!doctype html>", '<html lang="en">']);
    const body = html.slice(html.indexOf("<body>") + "<body>".length).trimStart();
    expect(
      body.startsWith(
        '<div class="status incomplete" role="status" id="status"><p>Run incomplete: 1 of 8 jobs',
      ),
    ).toBe(true);
    // Accuracy, comparisons, two subgroup tables, interactions, missing answers, errors, review, and the
    // error modes (rates, comparisons).
    expect(html.match(/<table /g)).toHaveLength(10);
    // Forest plots of the accuracies, of the paired differences and of the accuracies by subgroup.
    expect(html.match(/<svg /g)).toHaveLength(3);
    expect(html).toContain('<td class="num">66.7 (20.8–93.9)</td>');
  });

  it("loads nothing from elsewhere: no scripts, links, fonts, images or URLs but the SVG namespaces", async () => {
    const { report, details } = smallAnalysis();
    const html = await renderHtml(report, details);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(|src=|href=/i);
    const urls = new Set(html.match(/https?:\/\/[^\s"')]+/g));
    expect([...urls]).toEqual(["http://www.w3.org/2000/svg"]);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`);
  });

  it("escapes every model, case, answer, subgroup, error and study string", async () => {
    const { report, details } = syntheticAnalysis({
      cases: 6,
      modelIds: [HOSTILE_MODEL, "plain-model"],
      hostile: true,
      errors: 1,
    });
    const hostileReport = {
      ...report,
      study: { ...report.study, name: "<img src=x onerror=alert('study')>" },
    };
    const html = await renderHtml(hostileReport, details);
    expect(html).not.toMatch(/<script|<img|<b>/i);
    expect(html).toContain("&lt;script&gt;alert(&quot;model&quot;)&lt;/script&gt;");
    expect(html).toContain(escapeHtml(HOSTILE.caseId));
    expect(html).toContain(escapeHtml(HOSTILE.answer));
    expect(html).toContain(escapeHtml(HOSTILE.specialty));
    expect(html).toContain(escapeHtml(HOSTILE.error));
    expect(html).toContain(
      "<title>Results of study &lt;img src=x onerror=alert(&#39;study&#39;)&gt;</title>",
    );
  });
});

describe("escapeHtml", () => {
  it("escapes the five characters that matter in content and attributes", () => {
    expect(escapeHtml(`<a href="x">Tom & Jerry's</a>`)).toBe(
      "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;",
    );
  });
});

describe("renderHtml for a triage study", () => {
  it("shows each model's confusion matrix as a heatmap table, shaded by share of the reference row", async () => {
    const { report, details } = smallTriageAnalysis();
    const html = await renderHtml(report, details);
    expect(html.match(/<table id="table-\d+" class="confusion">/g)).toHaveLength(2);
    expect(html).toContain('<section class="classification" id="classification"><h3>Classification</h3>');
    // A's urgent row: 1 given urgent, 1 without a label, of 2. Share ½ → weight 0.12 + 0.78·½ = 0.51 of the
    // grey (95, 107, 118) over white: 255 − 160·0.51 = 173.4, 255 − 148·0.51 = 179.5, 255 − 137·0.51 = 185.1.
    expect(html).toContain(
      '<td class="num heat" data-tone="none" style="background: rgb(173, 180, 185); color: #1d2327" ' +
        'title="Reference urgent, without a label: 1 of 2">1</td>',
    );
    // B's urgent row: 1 given routine (under-triage) of 2: red (181, 71, 58) at 0.51 → 255 − 74·0.51 = 217.3,
    // 255 − 184·0.51 = 161.2, 255 − 197·0.51 = 154.53.
    expect(html).toContain(
      'data-tone="under" style="background: rgb(217, 161, 155); color: #1d2327" ' +
        'title="Reference urgent, labelled routine: 1 of 2">1</td>',
    );
    // A share of 1 (B, negative row) takes the full weight 0.9 of the blue (31, 78, 121) and white text.
    expect(shadeColor({ tone: "agree", strength: 1, title: "" })).toEqual({
      background: "rgb(53, 96, 134)",
      ink: "#ffffff",
    });
    expect(shadeColor({ tone: "over", strength: 0, title: "" }).background).toBe("rgb(255, 255, 255)");
  });

  it("escapes labels and model ids in the heatmaps", async () => {
    const { report, details } = syntheticTriageAnalysis({
      cases: 30,
      modelIds: [HOSTILE_MODEL, "clf"],
      hostile: true,
    });
    const html = await renderHtml(report, details);
    expect(html).not.toMatch(/<script|<b>/i);
    expect(html).toContain(`<th scope="col" class="num">Given ${escapeHtml(HOSTILE_LABEL)}</th>`);
    expect(html).toContain(`Confusion matrix of ${escapeHtml(HOSTILE_MODEL)}:`);
    expect(html).toContain(`title="Reference ${escapeHtml(HOSTILE_LABEL)}, labelled`);
  });
});
