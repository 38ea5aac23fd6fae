import { describe, expect, it } from "vitest";
import { escapeHtml, renderHtml } from "./html-report.ts";
import { HOSTILE, smallAnalysis, syntheticAnalysis } from "./report.test-support.ts";

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
    expect(html.match(/<table /g)).toHaveLength(6);
    expect(html.match(/<svg /g)).toHaveLength(2);
    expect(html).toContain('<td class="num">66.7 (20.8–93.9)</td>');
  });

  it("loads nothing from elsewhere: no scripts, links, fonts, images or URLs but the SVG namespaces", async () => {
    const { report, details } = smallAnalysis();
    const html = await renderHtml(report, details);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(|src=|href=/i);
    const urls = new Set(html.match(/https?:\/\/[^\s"')]+/g));
    expect([...urls].sort()).toEqual(["http://www.w3.org/1999/xlink", "http://www.w3.org/2000/svg"]);
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
