import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM, launchChromium } from "../../test/support/chromium.ts";
import type { Report } from "../analysis/report-types.ts";
import { openStore, type Store } from "../store/store.ts";
import { type RunningWorkbench, startWorkbench } from "./serve.ts";
import { HOSTILE, seedHostileRun, seedRuns } from "./workbench.test-support.ts";

describe.skipIf(!existsSync(CHROMIUM))("the workbench in headless Chromium", () => {
  let folder: string;
  let store: Store;
  let workbench: RunningWorkbench;
  let browser: Browser;
  const reports = () => join(folder, "reports");

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), "clinval-workbench-browser-"));
    store = await openStore(join(folder, "clinval.db"));
    await seedRuns(store, reports());
    await seedHostileRun(store, join(folder, "hostile-reports"));
    workbench = await startWorkbench({ store, host: "127.0.0.1", port: 0 });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await workbench?.close();
    await store?.close();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  /** A page that records every request and dialog, so a test can show nothing left the server or ran. */
  async function openPage(): Promise<{ page: Page; requests: string[]; dialogs: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const requests: string[] = [];
    const dialogs: string[] = [];
    page.on("request", (request) => {
      requests.push(request.url());
    });
    page.on("dialog", (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    return { page, requests, dialogs };
  }

  /** Does what posts a form and waits for the page it leads to (often the same address) to load. */
  async function submitted(page: Page, action: () => Promise<void>): Promise<void> {
    await Promise.all([page.waitForEvent("framenavigated"), action()]);
    await page.waitForLoadState("load");
  }

  async function setReviewer(page: Page, name: string): Promise<void> {
    await page.fill("#reviewer-name", name);
    await submitted(page, () => page.click("header.bar button[type=submit]"));
  }

  async function rebuild(page: Page, runId: string): Promise<Report> {
    await page.goto(`${workbench.url}runs/${runId}`);
    await Promise.all([page.waitForSelector("#written"), page.click("#rebuild")]);
    return JSON.parse(await readFile(join(reports(), "report.json"), "utf8")) as Report;
  }

  async function code(page: Page, model: string, key: string): Promise<void> {
    const form = page.locator(`form.coding[data-model="${model}"]`);
    await form.locator("legend").click();
    await page.keyboard.press(key);
    await submitted(page, () => form.locator("button[type=submit]").click());
  }

  it("opens a run, filters to incorrect answers, reads both models' reasoning, codes as two reviewers, sees kappa, adjudicates a pair and sees the rebuilt report", async () => {
    const { page, requests, dialogs } = await openPage();
    const before = await rebuild(page, "run-1");
    expect(before.errorModes?.reviewers.models.map((model) => model.n)).toEqual([0, 0]);
    expect(before.errorModes?.automatic.models.map((model) => model.counts)).toEqual([
      { "reasoning-drift": 1, "red-flag-failure": 2, "priority-inversion": 1 },
      { "reasoning-drift": 0, "red-flag-failure": 1, "priority-inversion": 1 },
    ]);

    await page.goto(workbench.url);
    expect(await page.locator("#runs tbody tr").count()).toBe(3);
    await Promise.all([page.waitForURL(/\/runs\/run-1$/), page.click("#runs a[href='/runs/run-1']")]);
    expect(await page.locator("#status").textContent()).toMatch(
      /^Run incomplete: 1 of 8 jobs have no answer/,
    );
    expect(await page.locator("#error-modes table").count()).toBe(2);

    await Promise.all([page.waitForURL(/\/cases$/), page.click("nav a[href='/runs/run-1/cases']")]);
    await page.selectOption("select[name=outcome]", "incorrect");
    await Promise.all([page.waitForURL(/outcome=incorrect/), page.click("#filters button[type=submit]")]);
    const rows = await page
      .locator("#cases tbody tr")
      .evaluateAll((elements) =>
        elements.map((row) =>
          [...row.querySelectorAll("td")].slice(0, 4).map((cell) => cell.textContent?.trim()),
        ),
      );
    expect(rows).toEqual([
      ["c1", "A", "0", "incorrect"],
      ["c2", "A", "0", "incorrect"],
      ["c3", "B", "0", "incorrect"],
    ]);
    expect(await page.locator("#count").textContent()).toBe("3 answers; page 1 of 1.");

    await Promise.all([page.waitForURL(/\/cases\/c1$/), page.click("#cases a[href='/runs/run-1/cases/c1']")]);
    const reasoning = page.locator("details.reasoning");
    expect(await reasoning.count()).toBe(2);
    expect(await reasoning.locator("pre").first().isVisible()).toBe(false);
    for (const summary of await reasoning.locator("summary").all()) await summary.click();
    expect(await reasoning.locator("pre").allTextContents()).toEqual([
      "Guarding points to peritonism; acute appendicitis is possible.",
      "Guarding noted.",
    ]);
    expect(
      await reasoning
        .locator("pre")
        .evaluateAll((elements) => elements.map((element) => element.checkVisibility())),
    ).toEqual([true, true]);
    expect(await page.locator("section.model[data-model=A] .flag").allTextContents()).toEqual([
      "Reasoning drift",
      "Red-flag recognition failure",
      "Diagnostic priority inversion",
    ]);

    // Two reviewers code independently, one key press per code: ana 1 (drift) and 6 (none); ben 4 (knowledge gap) and 6.
    await setReviewer(page, "ana");
    await code(page, "A", "1");
    await code(page, "B", "6");
    expect(
      await page.locator("section.model[data-model=A] input[name=code]:checked").getAttribute("value"),
    ).toBe("reasoning-drift");
    await setReviewer(page, "ben");
    expect(await page.locator("input[name=code]:checked").count()).toBe(0);
    await code(page, "A", "4");
    await code(page, "B", "6");

    // ana and ben agree on 1 of 2 answers; chance agreement 0.25 (both code "none" half the time): kappa = 0.25/0.75.
    await page.goto(`${workbench.url}runs/run-1/agreement`);
    expect(await page.locator("#agreement tbody tr").allTextContents()).toEqual(["ana and ben250.0%0.333"]);
    await page.selectOption("#reconciliation select[name=code]", "reasoning-drift");
    await submitted(page, () => page.click("#reconciliation button[type=submit]"));
    expect(await page.locator("#reconciliation tbody tr td:last-child span").textContent()).toBe("by ben");

    // A clinician decides a pending pair with one key press on its row: "Non-specific abdominal pain" counts as correct.
    await page.goto(`${workbench.url}runs/run-1/review`);
    const pendingBefore = await page.locator("#review tbody tr").count();
    const row = page.locator("#review tbody tr", { hasText: "Non-specific abdominal pain" });
    expect(await row.locator("td").first().textContent()).toBe("Acute appendicitis");
    await row.locator("td.answer").click();
    await submitted(page, () => page.keyboard.press("1"));
    expect(await page.locator("#review tbody tr").count()).toBe(pendingBefore - 1);
    expect(await page.locator("#review tbody tr", { hasText: "Non-specific abdominal pain" }).count()).toBe(
      0,
    );
    expect(await store.adjudications()).toEqual([
      {
        reference: "Acute appendicitis",
        answer: "Non-specific abdominal pain",
        decision: "correct",
        reviewer: "ben",
        decidedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        note: null,
      },
    ]);

    const decisions = await (await page.request.get(`${workbench.url}adjudications.csv`)).text();
    expect(decisions.split("\r\n").map((line) => line.split(",").slice(0, 4).join(","))).toEqual([
      "reference,answer,decision,reviewer",
      "Acute appendicitis,Non-specific abdominal pain,correct,ben",
      "",
    ]);

    await page.goto(`${workbench.url}runs/run-1/cases/c1`);
    const modelA = page.locator("section.model[data-model=A]");
    expect(await modelA.locator("h4 .outcome").textContent()).toBe("correct");
    expect(await modelA.locator("ol.extracted li").first().textContent()).toBe(
      "Non-specific abdominal pain clinician correct",
    );

    const after = await rebuild(page, "run-1");
    // A's c1 now counts as correct: 2 of 3 answered cases instead of 1.
    expect([before.models[0].accuracy?.x, after.models[0].accuracy?.x]).toEqual([1, 2]);
    expect(after.agreement?.adjudicated).toBe(1);
    expect(
      after.errorModes?.reviewers.models.map((model) => [model.id, model.n, model.counts["reasoning-drift"]]),
    ).toEqual([
      ["A", 1, 1],
      ["B", 1, 0],
    ]);
    expect(after.errorModes?.reviewers.agreement).toEqual([
      {
        reviewers: ["ana", "ben"],
        n: 2,
        kappa: expect.closeTo(1 / 3, 12),
        observedAgreement: 0.5,
        expectedAgreement: 0.25,
      },
    ]);

    const csv = await page.request.get(`${workbench.url}runs/run-1/codes.csv`);
    expect((await csv.text()).split("\r\n").map((line) => line.split(",").slice(1, 7).join(","))).toEqual([
      "model,case,sample,reviewer,reconciled,code",
      "A,c1,0,ana,false,reasoning-drift",
      "A,c1,0,ben,false,knowledge-gap",
      "A,c1,0,ben,true,reasoning-drift",
      "B,c1,0,ana,false,none",
      "B,c1,0,ben,false,none",
      "",
    ]);

    await page.goto(`${workbench.url}compare?a=run-1&b=run-2`);
    expect(await page.locator("#changed tbody td").allTextContents()).toEqual([
      "c2",
      "A",
      "incorrect",
      "correct",
    ]);

    const origin = new URL(workbench.url).origin;
    expect(requests.filter((url) => !url.startsWith(origin))).toEqual([]);
    expect(dialogs).toEqual([]);
    await page.close();
  });

  it("renders hostile case text, answers, reasoning and notes as text, never as markup", async () => {
    const { page, requests, dialogs } = await openPage();
    await page.goto(workbench.url);
    await setReviewer(page, "ana");
    const pages = [
      "runs/hostile",
      "runs/hostile/cases",
      "runs/hostile/cases/hostile-1",
      "runs/hostile/cases/hostile-1?print=1",
    ];
    for (const path of pages) {
      await page.goto(`${workbench.url}${path}`);
      const markup = {
        images: await page.locator("img").count(),
        inlineScripts: await page.locator("script:not([src])").count(),
        scripts: await page
          .locator("script")
          .evaluateAll((elements) => elements.map((element) => element.getAttribute("src"))),
        javascriptLinks: await page.locator("a[href^='javascript:' i]").count(),
        bold: await page.locator("main b, body > b").count(),
        hostile: await page.evaluate("window.hostile ?? null"),
      };
      expect(markup).toEqual({
        images: 0,
        inlineScripts: 0,
        scripts: path === "runs/hostile" ? [] : ["/assets/workbench.js"],
        javascriptLinks: 0,
        bold: 0,
        hostile: null,
      });
    }
    await page.goto(`${workbench.url}runs/hostile/cases/hostile-1`);
    expect(await page.locator("#case-text").textContent()).toBe(`A patient. ${HOSTILE}`);
    expect(await page.locator("section.model[data-model=B] pre.answer").textContent()).toBe(`1. ${HOSTILE}`);
    expect(await page.locator("section.model[data-model=B] details.reasoning pre").textContent()).toBe(
      HOSTILE,
    );

    const form = page.locator('form.coding[data-model="A"]');
    await form.locator("input[value=other]").check();
    await form.locator("textarea").fill(HOSTILE);
    await submitted(page, () => form.locator("button[type=submit]").click());
    expect(await page.locator('form.coding[data-model="A"] textarea').inputValue()).toBe(HOSTILE);
    expect(await page.locator("form.coding").count()).toBe(2);
    await page.goto(`${workbench.url}runs/hostile/cases`);
    expect(await page.locator("#cases tbody td:nth-child(11)").first().textContent()).toBe(
      `Appendicitis ${HOSTILE}`,
    );

    const origin = new URL(workbench.url).origin;
    expect(requests.filter((url) => !url.startsWith(origin))).toEqual([]);
    expect(dialogs).toEqual([]);
    await page.close();
  });
});
