import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { inflateSync } from "node:zlib";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM, launchChromium } from "../../test/support/chromium.ts";
import { renderSvg } from "./forest-plot.ts";
import { syntheticAnalysis, syntheticTriageAnalysis } from "./report.test-support.ts";
import { writeReports } from "./write-reports.ts";

interface PngSummary {
  width: number;
  height: number;
  distinctBytes: number;
}

/** Reads a PNG's size from its header and counts the distinct byte values of its decompressed pixels. */
function summarizePng(png: Buffer): PngSummary {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  const chunks: Buffer[] = [];
  let width = 0;
  let height = 0;
  for (let offset = 8; offset < png.length; ) {
    const length = png.readUInt32BE(offset);
    const type = png.toString("latin1", offset + 4, offset + 8);
    const data = png.subarray(offset + 8, offset + 8 + length);
    if (type === "IHDR") {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
    }
    if (type === "IDAT") chunks.push(data);
    offset += 12 + length;
  }
  const pixels = inflateSync(Buffer.concat(chunks));
  return { width, height, distinctBytes: new Set(pixels).size };
}

describe.skipIf(!existsSync(CHROMIUM))("report.html in headless Chromium", () => {
  let browser: Browser;
  let directory: string;
  let htmlPath: string;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), "clinval-browser-"));
    const { report, details } = syntheticAnalysis({
      cases: 110,
      modelIds: ["r1-8b", "llama31-8b", "r1-14b", "qwen25-14b"],
      errors: 2,
      hostile: true,
    });
    [, , htmlPath] = await writeReports(report, details, directory);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  it("shows the status line first, the tables and the forest plots, and loads nothing else", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const requests: string[] = [];
    const dialogs: string[] = [];
    page.on("request", (request) => {
      requests.push(request.url());
    });
    page.on("dialog", (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    const url = pathToFileURL(htmlPath).href;
    await page.goto(url);

    const first = page.locator("body > :first-child");
    expect(await first.getAttribute("id")).toBe("status");
    expect(await first.isVisible()).toBe(true);
    expect(await first.textContent()).toMatch(/^Run incomplete: 2 of 440 jobs have no answer/);
    const statusBox = await first.boundingBox();
    expect(statusBox?.y).toBe(0);
    expect(statusBox?.height).toBeGreaterThan(20);

    // Tables: accuracy, comparisons, 2 × (subgroup accuracy, subgroup comparisons), interactions, missing
    // answers, review, errors, error modes from the automatic flags (rates, comparisons).
    const tables = await page.locator("table").evaluateAll((elements) =>
      elements.map((element) => {
        const box = element.getBoundingClientRect();
        return { rows: element.querySelectorAll("tbody tr").length, width: box.width, height: box.height };
      }),
    );
    expect(tables).toHaveLength(12);
    for (const table of tables) {
      expect(table.rows).toBeGreaterThan(0);
      expect(table.width).toBeGreaterThan(400);
      expect(table.height).toBeGreaterThan(40);
    }
    expect(tables.slice(0, 2).map((table) => table.rows)).toEqual([4, 6]);
    await expect(page.locator("#table-1").isVisible()).resolves.toBe(true);

    // Forest plots: all models, the paired differences (6 pairs of 4 models), by incidence, by specialty; a
    // point per model, per pair, and per model and value.
    const charts = await page.locator("figure.chart svg").evaluateAll((elements) =>
      elements.map((element) => {
        const box = element.getBoundingClientRect();
        const labels = [...element.querySelectorAll(".label")].map((label) =>
          (label as unknown as { getBBox(): { x: number; width: number } }).getBBox(),
        );
        const gridXs = [...element.querySelectorAll(".grid line")].map((line) =>
          Number(line.getAttribute("x1")),
        );
        return {
          width: box.width,
          height: box.height,
          points: element.querySelectorAll(".point").length,
          intervals: element.querySelectorAll(".interval").length,
          labels: element.querySelectorAll(".estimate").length,
          labelsLeft: Math.min(...labels.map((label) => label.x)),
          labelsRight: Math.max(...labels.map((label) => label.x + label.width)),
          plotLeft: Math.min(...gridXs),
        };
      }),
    );
    // Incidence: 3 values × 4 models; specialty: the 5 specialties plus one case whose value is markup, × 4.
    expect(charts.map(({ points, intervals, labels }) => ({ points, intervals, labels }))).toEqual([
      { points: 4, intervals: 4, labels: 4 },
      { points: 6, intervals: 6, labels: 6 },
      { points: 12, intervals: 12, labels: 12 },
      { points: 24, intervals: 24, labels: 24 },
    ]);
    for (const chart of charts) {
      expect(chart.width).toBeGreaterThan(500);
      expect(chart.height).toBeGreaterThan(100);
      expect(chart.labelsLeft).toBeGreaterThanOrEqual(0);
      expect(chart.labelsRight).toBeLessThan(chart.plotLeft);
    }

    // Hostile strings in the data stayed text.
    expect(await page.locator("script, img").count()).toBe(0);
    expect(dialogs).toEqual([]);
    expect(requests).toEqual([url]);

    const screenshot = join(directory, "report.png");
    await page.screenshot({ path: screenshot, fullPage: true });
    const png = summarizePng(await readFile(screenshot));
    expect(png.width).toBe(1280);
    expect(png.height).toBeGreaterThan(3000);
    expect(png.distinctBytes).toBeGreaterThan(100);
    await page.close();
  });

  it("keeps forest-plot labels of any script inside their column, cut where they are too long", async () => {
    const labels = [
      "r1",
      "WWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWW",
      "mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm",
      "meta-llama/Llama-3.3-70B-Instruct-GGUF:Q4_K_M",
      "0123456789012345678901234567890123456789",
      "Äpfel-Übersetzung-Größenmodell-für-Ärztinnen",
      "医学诊断模型医学诊断模型医学诊断模型医学诊断模型",
      "ABCDEFGHIJKLMNOPQRSTUVWXYZ-ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    ];
    const accuracy = { x: 5, n: 10, estimate: 0.5, lower: 0.24, upper: 0.76, method: "wilson", level: 0.95 };
    const svg = await renderSvg({
      id: "labels",
      title: "Labels",
      level: 0.95,
      panels: [
        {
          heading: labels.join(" "),
          cases: 10,
          rows: labels.map((model) => ({ model, group: "g", color: "#1f4e79", accuracy, reference: 0.4 })),
        },
      ],
    });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.setContent(`<!doctype html><html lang="en"><body style="margin: 0">${svg}</body></html>`);
    const measured = await page.locator("svg").evaluate((element) => {
      const box = (node: unknown) => (node as { getBBox(): { x: number; width: number } }).getBBox();
      const heading = element.querySelector(".heading text");
      return {
        width: Number(element.getAttribute("width")),
        plotLeft: Math.min(
          ...[...element.querySelectorAll(".grid line")].map((line) => Number(line.getAttribute("x1"))),
        ),
        labels: [...element.querySelectorAll(".label")].map((label) => ({
          text: label.textContent,
          left: box(label).x,
          right: box(label).x + box(label).width,
        })),
        headingRight: heading ? box(heading).x + box(heading).width : Number.NaN,
      };
    });
    expect(measured.labels.map((label) => label.text)).toEqual([
      "r1",
      ...labels.slice(1).map(() => expect.stringMatching(/…$/)),
    ]);
    for (const label of measured.labels) {
      expect(label.left).toBeGreaterThanOrEqual(0);
      expect(label.right).toBeLessThan(measured.plotLeft);
    }
    expect(measured.headingRight).toBeLessThanOrEqual(measured.width);
    await page.close();
  });

  it("prints to a PDF", async () => {
    const page = await browser.newPage();
    await page.goto(pathToFileURL(htmlPath).href);
    const pdf = await page.pdf({ format: "A4" });
    expect(pdf.subarray(0, 5).toString("latin1")).toBe("%PDF-");
    expect(pdf.length).toBeGreaterThan(20_000);
    await page.close();
  });
});

describe.skipIf(!existsSync(CHROMIUM))("triage report.html in headless Chromium", () => {
  let browser: Browser;
  let directory: string;
  let htmlPath: string;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), "clinval-triage-browser-"));
    const { report, details } = syntheticTriageAnalysis({
      cases: 240,
      modelIds: ["qwen25-1.5b", "llama32-1b", "r1-1.5b", "tfidf"],
      errors: 3,
      hostile: true,
    });
    [, , htmlPath] = await writeReports(report, details, directory);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  it("draws each model's confusion matrix as a heatmap, darker where the row's share is larger", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const dialogs: string[] = [];
    page.on("dialog", (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await page.goto(pathToFileURL(htmlPath).href);

    const matrices = await page.locator("table.confusion").evaluateAll((tables) =>
      tables.map((table) => {
        const box = table.getBoundingClientRect();
        const cells = [...table.querySelectorAll("td.heat")].map((cell) => {
          const view = globalThis as unknown as {
            getComputedStyle(element: unknown): { backgroundColor: string };
          };
          const style = view.getComputedStyle(cell);
          const rgb = (style.backgroundColor.match(/\d+/g) ?? []).slice(0, 3).map(Number);
          return {
            tone: cell.getAttribute("data-tone"),
            count: Number(cell.textContent),
            lightness: rgb.reduce((sum, channel) => sum + channel, 0),
            visible: cell.getBoundingClientRect().width > 40,
          };
        });
        return {
          width: box.width,
          height: box.height,
          rows: table.querySelectorAll("tbody tr").length,
          cells,
        };
      }),
    );
    expect(matrices.map(({ rows, cells }) => [rows, cells.length])).toEqual([
      [3, 12],
      [3, 12],
      [3, 12],
      [3, 12],
    ]);
    for (const matrix of matrices) {
      expect(matrix.width).toBeGreaterThan(500);
      expect(matrix.height).toBeGreaterThan(100);
      expect(matrix.cells.every((cell) => cell.visible)).toBe(true);
      // Empty cells stay white; every diagonal cell (the largest share of its row here) is coloured.
      for (const cell of matrix.cells) if (cell.count === 0) expect(cell.lightness).toBe(765);
      const agree = matrix.cells.filter((cell) => cell.tone === "agree");
      expect(agree).toHaveLength(3);
      for (const cell of agree) expect(cell.lightness).toBeLessThan(600);
      // Within each row, the diagonal cell is the darkest, since every model is right most of the time.
      for (let row = 0; row < 3; row++) {
        const cells = matrix.cells.slice(row * 4, row * 4 + 4);
        const darkest = Math.min(...cells.map((cell) => cell.lightness));
        expect(cells[row].lightness).toBe(darkest);
      }
    }
    expect(await page.locator("table.confusion th", { hasText: "Given <b>routine & co</b>" }).count()).toBe(
      4,
    );
    expect(dialogs).toEqual([]);

    const section = page.locator("#classification");
    const screenshot = join(directory, "classification.png");
    await section.screenshot({ path: process.env.CLINVAL_SCREENSHOT ?? screenshot });
    const png = summarizePng(await readFile(process.env.CLINVAL_SCREENSHOT ?? screenshot));
    expect(png.width).toBeGreaterThan(1000);
    expect(png.height).toBeGreaterThan(800);
    expect(png.distinctBytes).toBeGreaterThan(100);
    await page.close();
  });
});
