import { randomBytes, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { type Context, Hono } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { CLINICIAN_DECISIONS, type ClinicianDecision, pairKey } from "../core/adjudication.ts";
import type { Case } from "../core/case.ts";
import { isReasoningCode } from "../core/error-modes.ts";
import { loadRunDecisions, recordDecision } from "../judge/run-decisions.ts";
import { writeReports } from "../report/write-reports.ts";
import type { RunRecord, Store } from "../store/store.ts";
import { renderAdjudicationsCsv, renderCodesCsv } from "./codes-csv.ts";
import { html } from "./html.ts";
import { agreementPage, disagreements } from "./pages/agreement-page.ts";
import { type CaseAnswer, casePage, gradeAnswer } from "./pages/case-page.ts";
import { casesPage, parseFilters, settledCodes } from "./pages/cases-page.ts";
import { comparePage } from "./pages/compare-page.ts";
import { layout, type PageContext } from "./pages/layout.ts";
import { reviewPage } from "./pages/review-page.ts";
import { runsPage } from "./pages/runs-page.ts";
import { studyPage } from "./pages/study-page.ts";
import { promptFor } from "./prompt-check.ts";
import { type AnalysedRun, RunData } from "./run-data.ts";

export interface WorkbenchOptions {
  store: Store;
  /** The address the server binds; any host but loopback requires the token. */
  host: string;
  /** The token to require; default a new random one when the host is not loopback. */
  token?: string;
}

export interface Workbench {
  app: Hono;
  /** Required on every request (cookie, `Authorization: Bearer`, or `?token=` once); null on loopback. */
  token: string | null;
  data: RunData;
}

const LOOPBACK_NAMES = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

export function isLoopback(host: string): boolean {
  return LOOPBACK_NAMES.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

const TOKEN_COOKIE = "clinval_token";
const REVIEWER_COOKIE = "clinval_reviewer";
const UNAUTHORIZED =
  "401 Unauthorized: open the address with the token printed when `clinval view` started.\n";

const SECURITY_HEADERS: Record<string, string> = {
  // Pages run only the workbench's own script; the report's inline styles and SVG are allowed.
  "Content-Security-Policy":
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "X-Frame-Options": "DENY",
  "Cache-Control": "no-store",
};

function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const left = Buffer.from(given);
  const right = Buffer.from(expected);
  return left.length === right.length && timingSafeEqual(left, right);
}

function readAsset(name: string): string {
  return readFileSync(new URL(`./assets/${name}`, import.meta.url), "utf8");
}

/** The workbench's web app: every route, the token and host checks, and the form token on every post. */
export function createWorkbench(options: WorkbenchOptions): Workbench {
  const { store } = options;
  const loopback = isLoopback(options.host);
  const token = loopback ? null : (options.token ?? randomBytes(24).toString("base64url"));
  const formToken = randomBytes(24).toString("base64url");
  const data = new RunData(store);
  const assets = {
    "workbench.css": { body: readAsset("workbench.css"), type: "text/css; charset=utf-8" },
    "workbench.js": { body: readAsset("workbench.js"), type: "text/javascript; charset=utf-8" },
  };
  const app = new Hono();

  app.use("*", async (c, next) => {
    await next();
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(name, value);
  });

  app.use("*", async (c, next) => {
    if (token === null) {
      // On loopback, refuse pages asked for under another host name (DNS rebinding).
      // The request URL's host is taken from the Host header.
      if (!isLoopback(new URL(c.req.url).hostname))
        return c.text("403 Forbidden: unexpected Host header.\n", 403);
      return next();
    }
    const bearer = c.req.header("authorization")?.replace(/^Bearer\s+/i, "");
    if (sameSecret(bearer, token) || sameSecret(getCookie(c, TOKEN_COOKIE), token)) return next();
    if (sameSecret(c.req.query("token"), token)) {
      setCookie(c, TOKEN_COOKIE, token, { httpOnly: true, sameSite: "Strict", path: "/" });
      const url = new URL(c.req.url);
      url.searchParams.delete("token");
      return c.redirect(`${url.pathname}${url.search}`, 303);
    }
    return c.text(UNAUTHORIZED, 401);
  });

  app.use("*", async (c, next) => {
    if (c.req.method !== "POST") return next();
    const body = await c.req.parseBody();
    if (!sameSecret(typeof body.formToken === "string" ? body.formToken : undefined, formToken)) {
      return c.text("403 Forbidden: the form is stale; reload the page.\n", 403);
    }
    return next();
  });

  const pageContext = (c: Context): PageContext => {
    const url = new URL(c.req.url);
    const reviewer = getCookie(c, REVIEWER_COOKIE);
    return {
      reviewer: reviewerName(reviewer),
      formToken,
      here: `${url.pathname}${url.search}`,
    };
  };
  const page = (c: Context, title: string, body: Parameters<typeof layout>[2], runId?: string) =>
    c.html(layout(pageContext(c), title, body, runId));
  const notFound = (c: Context, what: string) =>
    c.html(layout(pageContext(c), "Not found", html`<p>${what}</p>`), 404);
  const badRequest = (c: Context, what: string) => c.text(`400 Bad Request: ${what}\n`, 400);

  const withRun = async (c: Context): Promise<{ run: RunRecord; analysed: AnalysedRun } | Response> => {
    const run = await store.getRun(c.req.param("run") ?? "");
    if (!run) return notFound(c, "No such run in the store.");
    const analysed = await data.analysed(run);
    if (!analysed) return notFound(c, "The store has no cases for this run.");
    return { run, analysed };
  };

  app.get("/assets/:name", (c) => {
    const asset = assets[c.req.param("name") as keyof typeof assets];
    if (!asset) return c.text("404 Not Found\n", 404);
    return c.body(asset.body, 200, { "Content-Type": asset.type });
  });

  app.get("/", async (c) => page(c, "Runs", runsPage(await store.listRuns())));

  app.post("/reviewer", async (c) => {
    const body = await c.req.parseBody();
    const name = String(body.reviewer ?? "").trim();
    if (name === "" || name.length > 80) return badRequest(c, "a reviewer name has 1 to 80 characters");
    setCookie(c, REVIEWER_COOKIE, encodeURIComponent(name), {
      httpOnly: true,
      sameSite: "Strict",
      path: "/",
    });
    const back = String(body.back ?? "/");
    // Only a path of this server: "//host" and "/\\host" would leave it.
    return c.redirect(/^\/(?![/\\])/.test(back) ? back : "/", 303);
  });

  app.get("/runs/:run", async (c) => {
    const found = await withRun(c);
    if (found instanceof Response) return found;
    const report = await data.currentReport(found.analysed);
    return c.html(await studyPage(pageContext(c), found.run.id, report, found.analysed.details));
  });

  app.post("/runs/:run/report", async (c) => {
    const found = await withRun(c);
    if (found instanceof Response) return found;
    const report = await data.currentReport(found.analysed);
    const written = await writeReports(report, found.analysed.details, found.run.study.output);
    return c.html(await studyPage(pageContext(c), found.run.id, report, found.analysed.details, written));
  });

  app.get("/runs/:run/cases", async (c) => {
    const found = await withRun(c);
    if (found instanceof Response) return found;
    const settled = settledCodes(await store.reasoningCodes(found.run.id));
    const body = casesPage(found.analysed, parseFilters(c.req.query()), settled);
    return page(c, `Cases of ${found.run.id}`, body, found.run.id);
  });

  app.get("/runs/:run/cases/:case", async (c) => {
    const found = await withRun(c);
    if (found instanceof Response) return found;
    const testCase = found.analysed.casesById.get(c.req.param("case"));
    if (!testCase) return notFound(c, "No such case in this run.");
    const context = pageContext(c);
    const answers = await caseAnswers(found.analysed, testCase, context.reviewer);
    const body = casePage(context, found.analysed, testCase, answers, c.req.query("print") !== undefined);
    return page(c, `Case ${testCase.id}`, body, found.run.id);
  });

  app.post("/runs/:run/cases/:case/codes", async (c) => {
    const found = await withRun(c);
    if (found instanceof Response) return found;
    const testCase = found.analysed.casesById.get(c.req.param("case"));
    if (!testCase) return notFound(c, "No such case in this run.");
    const reviewer = pageContext(c).reviewer;
    if (reviewer === null) return badRequest(c, "enter your name as reviewer first");
    const saved = await saveCode(found.run, testCase.id, await c.req.parseBody(), reviewer, false);
    if (typeof saved === "string") return badRequest(c, saved);
    return c.redirect(
      `/runs/${encodeURIComponent(found.run.id)}/cases/${encodeURIComponent(testCase.id)}`,
      303,
    );
  });

  app.get("/runs/:run/review", async (c) => {
    const run = await store.getRun(c.req.param("run"));
    if (!run) return notFound(c, "No such run in the store.");
    if (run.study.task !== "diagnosis") {
      return page(
        c,
        `Review queue of ${run.id}`,
        html`<p>Only diagnosis answers are adjudicated.</p>`,
        run.id,
      );
    }
    const body = reviewPage(pageContext(c), run.id, await data.pendingPairs(run));
    return page(c, `Review queue of ${run.id}`, body, run.id);
  });

  app.post("/runs/:run/review", async (c) => {
    const run = await store.getRun(c.req.param("run"));
    if (!run) return notFound(c, "No such run in the store.");
    const reviewer = pageContext(c).reviewer;
    if (reviewer === null) return badRequest(c, "enter your name as reviewer first");
    const body = await c.req.parseBody();
    const decision = String(body.decision ?? "");
    const reference = String(body.reference ?? "");
    const answer = String(body.answer ?? "");
    if (!(CLINICIAN_DECISIONS as readonly string[]).includes(decision))
      return badRequest(c, "not a decision");
    const pending = await data.pendingPairs(run);
    if (!pending.some((pair) => pairKey(pair.reference, pair.answer) === pairKey(reference, answer))) {
      return badRequest(c, "this pair is not awaiting a decision in this run");
    }
    await recordDecision(store, {
      reference,
      answer,
      decision: decision as ClinicianDecision,
      reviewer,
      decidedAt: new Date().toISOString(),
      note: null,
    });
    data.forgetAnalyses();
    return c.redirect(`/runs/${encodeURIComponent(run.id)}/review`, 303);
  });

  app.get("/runs/:run/agreement", async (c) => {
    const found = await withRun(c);
    if (found instanceof Response) return found;
    const report = await data.currentReport(found.analysed);
    const open = disagreements(await store.reasoningCodes(found.run.id));
    const body = agreementPage(pageContext(c), found.run.id, report.errorModes?.reviewers, open);
    return page(c, `Reviewers of ${found.run.id}`, body, found.run.id);
  });

  app.post("/runs/:run/reconcile", async (c) => {
    const found = await withRun(c);
    if (found instanceof Response) return found;
    const reviewer = pageContext(c).reviewer;
    if (reviewer === null) return badRequest(c, "enter your name as reviewer first");
    const body = await c.req.parseBody();
    const caseId = String(body.case ?? "");
    if (!found.analysed.casesById.has(caseId)) return badRequest(c, "no such case in this run");
    const saved = await saveCode(found.run, caseId, body, reviewer, true);
    if (typeof saved === "string") return badRequest(c, saved);
    return c.redirect(`/runs/${encodeURIComponent(found.run.id)}/agreement`, 303);
  });

  app.get("/runs/:run/codes.csv", async (c) => {
    const run = await store.getRun(c.req.param("run"));
    if (!run) return notFound(c, "No such run in the store.");
    return c.body(renderCodesCsv(await store.reasoningCodes(run.id)), 200, {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="codes-${run.id.replace(/[^\w.-]/g, "_")}.csv"`,
    });
  });

  app.get("/adjudications.csv", async (c) =>
    c.body(renderAdjudicationsCsv(await store.adjudications()), 200, {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": 'attachment; filename="adjudications.csv"',
    }),
  );

  app.get("/compare", async (c) => {
    const [first, second] = await Promise.all(
      [c.req.query("a"), c.req.query("b")].map(async (id) => {
        const run = id ? await store.getRun(id) : undefined;
        return run && data.analysed(run);
      }),
    );
    if (!first || !second) return notFound(c, "Choose two runs that are in the store.");
    if (first.run.suite.casesSha256 !== second.run.suite.casesSha256) {
      return badRequest(c, "the two runs used different cases; only runs of the same suite can be compared");
    }
    return page(c, `${first.run.id} and ${second.run.id}`, comparePage(first, second));
  });

  app.notFound((c) => c.text("404 Not Found\n", 404));

  async function caseAnswers(
    analysed: AnalysedRun,
    testCase: Case,
    reviewer: string | null,
  ): Promise<CaseAnswer[]> {
    const { run } = analysed;
    const results = await store.caseResults(
      run.id,
      testCase.id,
      run.study.models.map((model) => model.id),
    );
    const codes = reviewer === null ? [] : await store.reasoningCodes(run.id, testCase.id);
    const { decisions } = await loadRunDecisions(store, run.id);
    const latest = new Map<string, (typeof results)[number]>();
    for (const result of results) {
      const key = `${result.modelId}\u0000${result.sample}`;
      const earlier = latest.get(key);
      if (earlier === undefined || result.completion !== null || earlier.completion === null)
        latest.set(key, result);
    }
    const answers: CaseAnswer[] = [];
    for (const result of [...latest.values()].sort((a, b) => a.sample - b.sample)) {
      const spec = run.study.models.find((model) => model.id === result.modelId);
      if (!spec) continue;
      const graded = result.completion ? gradeAnswer(analysed, testCase, result.completion, decisions) : null;
      answers.push({
        result,
        grade: graded?.grade ?? null,
        flags: graded?.flags ?? [],
        prompt: await promptFor({
          task: analysed.task,
          study: run.study,
          spec,
          testCase,
          sample: result.sample,
          storedKey: result.key,
          digest: result.completion?.model.digest,
        }),
        ownCode: codes.find(
          (code) =>
            !code.reconciled &&
            code.reviewer === reviewer &&
            code.modelId === result.modelId &&
            code.sample === result.sample,
        ),
      });
    }
    return answers;
  }

  async function saveCode(
    run: RunRecord,
    caseId: string,
    body: Record<string, unknown>,
    reviewer: string,
    reconciled: boolean,
  ): Promise<true | string> {
    const modelId = String(body.model ?? "");
    const sample = Number(body.sample);
    const code = String(body.code ?? "");
    const note = String(body.note ?? "");
    if (!run.study.models.some((model) => model.id === modelId)) return "no such model in this run";
    if (!Number.isInteger(sample) || sample < 0 || sample >= run.study.samples) return "no such sample";
    if (!isReasoningCode(code)) return "not a code of the codebook";
    if (note.length > 2000) return "the note is longer than 2000 characters";
    await store.saveReasoningCode({
      runId: run.id,
      modelId,
      caseId,
      sample,
      reviewer,
      code,
      note,
      codedAt: new Date().toISOString(),
      reconciled,
    });
    return true;
  }

  return { app, token, data };
}

/** The reviewer's name from its cookie; null when absent or not a name the workbench set. */
function reviewerName(cookie: string | undefined): string | null {
  if (!cookie) return null;
  try {
    const name = decodeURIComponent(cookie).trim();
    return name === "" || name.length > 80 ? null : name;
  } catch {
    return null;
  }
}
