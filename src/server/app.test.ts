import { mkdtempSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../test/support/run-cli.ts";
import { makeStudy } from "../analysis/analysis.test-support.ts";
import { answer, errorModeScenario } from "../analysis/error-modes.test-support.ts";
import type { DiagnosisCase } from "../core/case.ts";
import type { Completion } from "../core/chat.ts";
import { cacheKey } from "../runner/cache-key.ts";
import { openStore, type Store } from "../store/store.ts";
import { diagnosisTask } from "../tasks/diagnosis/diagnosis-task.ts";
import { createWorkbench } from "./app.ts";
import { renderAdjudicationsCsv, renderCodesCsv } from "./codes-csv.ts";
import { promptFor } from "./prompt-check.ts";
import { seedRuns } from "./workbench.test-support.ts";

let folder: string;
let store: Store;

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), "clinval-workbench-"));
  store = await openStore(join(folder, "clinval.db"));
  await seedRuns(store, join(folder, "reports"));
});

afterAll(async () => {
  await store?.close();
  rmSync(folder, { recursive: true, force: true });
});

const GETS = [
  "/",
  "/assets/workbench.css",
  "/assets/workbench.js",
  "/runs/run-1",
  "/runs/run-1/cases",
  "/runs/run-1/cases?outcome=incorrect",
  "/runs/run-1/cases/c1",
  "/runs/run-1/cases/c1?print=1",
  "/runs/run-1/agreement",
  "/runs/run-1/review",
  "/runs/run-1/codes.csv",
  "/adjudications.csv",
  "/compare?a=run-1&b=run-2",
  "/no-such-page",
];
const POSTS = [
  "/reviewer",
  "/runs/run-1/report",
  "/runs/run-1/cases/c1/codes",
  "/runs/run-1/reconcile",
  "/runs/run-1/review",
];
const UNAUTHORIZED =
  "401 Unauthorized: open the address with the token printed when `clinval view` started.\n";

function form(fields: Record<string, string>): RequestInit {
  return {
    method: "POST",
    body: new URLSearchParams(fields).toString(),
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
  };
}

describe("the workbench on a host other than loopback", () => {
  it("refuses every request without the right token with the same 401 and nothing else", async () => {
    const { app, token } = createWorkbench({ store, host: "0.0.0.0" });
    expect(token).toMatch(/^[\w-]{32}$/);
    const attempts: Array<[string, RequestInit]> = [
      ...GETS.map((path): [string, RequestInit] => [path, {}]),
      ...GETS.map((path): [string, RequestInit] => [path, { headers: { Authorization: "Bearer wrong" } }]),
      ...GETS.map((path): [string, RequestInit] => [
        `${path}${path.includes("?") ? "&" : "?"}token=wrong`,
        {},
      ]),
      ...GETS.map((path): [string, RequestInit] => [path, { headers: { Cookie: "clinval_token=wrong" } }]),
      ...POSTS.map((path): [string, RequestInit] => [
        path,
        form({ reviewer: "eve", model: "A", sample: "0", code: "other" }),
      ]),
    ];
    const answers = await Promise.all(
      attempts.map(async ([path, init]) => {
        const response = await app.request(`http://10.0.0.5:4173${path}`, init);
        return {
          status: response.status,
          type: response.headers.get("content-type"),
          body: await response.text(),
        };
      }),
    );
    const refused = { status: 401, type: "text/plain; charset=UTF-8", body: UNAUTHORIZED };
    expect(answers).toEqual(attempts.map(() => refused));
    expect(await store.reasoningCodes("run-1")).toEqual([]);
  });

  it("serves the pages with the token as a bearer header, or as a cookie set once from ?token=", async () => {
    const { app, token } = createWorkbench({ store, host: "0.0.0.0", token: "s3cret-token" });
    expect(token).toBe("s3cret-token");
    const bearer = await app.request("http://10.0.0.5/runs/run-1/cases", {
      headers: { Authorization: "Bearer s3cret-token" },
    });
    expect(bearer.status).toBe(200);
    expect(await bearer.text()).toContain("Non-specific abdominal pain");
    const first = await app.request("http://10.0.0.5/runs/run-1?token=s3cret-token");
    expect([first.status, first.headers.get("location")]).toEqual([303, "/runs/run-1"]);
    expect(first.headers.get("set-cookie")).toBe(
      "clinval_token=s3cret-token; Path=/; HttpOnly; SameSite=Strict",
    );
    const next = await app.request("http://10.0.0.5/runs/run-1", {
      headers: { Cookie: "clinval_token=s3cret-token" },
    });
    expect(next.status).toBe(200);
  });
});

describe("the workbench on loopback", () => {
  it("needs no token, sends its security headers, and refuses another Host name (DNS rebinding)", async () => {
    const { app, token } = createWorkbench({ store, host: "127.0.0.1" });
    expect(token).toBeNull();
    const page = await app.request("http://127.0.0.1:4173/");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    );
    const rebound = await app.request("http://attacker.example:4173/runs/run-1");
    expect([rebound.status, await rebound.text()]).toEqual([403, "403 Forbidden: unexpected Host header.\n"]);
  });

  it("refuses a form posted without the page's form token (another site posting to the workbench)", async () => {
    const { app } = createWorkbench({ store, host: "127.0.0.1" });
    const response = await app.request(
      "http://127.0.0.1/runs/run-1/cases/c1/codes",
      form({ model: "A", sample: "0", code: "other" }),
    );
    expect(response.status).toBe(403);
    expect(await store.reasoningCodes("run-1")).toEqual([]);
  });

  it("sends the reviewer back only to a path of this server, and ignores a cookie that is not a name", async () => {
    const { app } = createWorkbench({ store, host: "127.0.0.1" });
    const page = await (await app.request("http://127.0.0.1/")).text();
    const formToken = /name="formToken" value="([^"]+)"/.exec(page)?.[1] ?? "";
    const locations = [];
    for (const back of [
      "/runs/run-1/cases?model=A",
      "//evil.example/",
      "/\\evil.example/",
      "https://evil.example/",
    ]) {
      const response = await app.request(
        "http://127.0.0.1/reviewer",
        form({ formToken, reviewer: " Ana Z ", back }),
      );
      locations.push([response.status, response.headers.get("location")]);
    }
    expect(locations).toEqual([
      [303, "/runs/run-1/cases?model=A"],
      [303, "/"],
      [303, "/"],
      [303, "/"],
    ]);
    const broken = await app.request("http://127.0.0.1/runs/run-1/cases/c1", {
      headers: { Cookie: "clinval_reviewer=%E0%A4%A" },
    });
    expect([broken.status, (await broken.text()).includes("Enter your name as reviewer")]).toEqual([
      200,
      true,
    ]);
  });

  it("records a clinician decision only on a pair the run has pending, and only one of the four decisions", async () => {
    const { app } = createWorkbench({ store, host: "127.0.0.1" });
    const page = await (await app.request("http://127.0.0.1/")).text();
    const formToken = /name="formToken" value="([^"]+)"/.exec(page)?.[1] ?? "";
    const decide = async (fields: Record<string, string>) => {
      const response = await app.request("http://127.0.0.1/runs/run-1/review", {
        ...form({ formToken, ...fields }),
        headers: { "Content-Type": "application/x-www-form-urlencoded", Cookie: "clinval_reviewer=ana" },
      });
      return [response.status, await response.text()];
    };
    expect(await decide({ reference: "Acute appendicitis", answer: "Flu", decision: "correct" })).toEqual([
      400,
      "400 Bad Request: this pair is not awaiting a decision in this run\n",
    ]);
    expect(
      await decide({
        reference: "Acute appendicitis",
        answer: "Non-specific abdominal pain",
        decision: "maybe",
      }),
    ).toEqual([400, "400 Bad Request: not a decision\n"]);
    expect(await store.adjudications()).toEqual([]);
    const queue = await (
      await app.request("http://127.0.0.1/runs/run-1/review", { headers: { Cookie: "clinval_reviewer=ana" } })
    ).text();
    expect(queue).toContain('<td>Acute appendicitis</td><td class="answer">Non-specific abdominal pain</td>');
  });

  it("rejects a code outside the codebook or for a model the run does not have", async () => {
    const { app } = createWorkbench({ store, host: "127.0.0.1" });
    const page = await (await app.request("http://127.0.0.1/")).text();
    const formToken = /name="formToken" value="([^"]+)"/.exec(page)?.[1] ?? "";
    const post = (fields: Record<string, string>) =>
      app.request("http://127.0.0.1/runs/run-1/cases/c1/codes", {
        ...form({ formToken, ...fields }),
        headers: { "Content-Type": "application/x-www-form-urlencoded", Cookie: "clinval_reviewer=ana" },
      });
    const wrongCode = await post({ model: "A", sample: "0", code: "guess" });
    const wrongModel = await post({ model: "Z", sample: "0", code: "other" });
    expect([wrongCode.status, await wrongCode.text()]).toEqual([
      400,
      "400 Bad Request: not a code of the codebook\n",
    ]);
    expect([wrongModel.status, await wrongModel.text()]).toEqual([
      400,
      "400 Bad Request: no such model in this run\n",
    ]);
    expect(await store.reasoningCodes("run-1")).toEqual([]);
  });
});

describe("the case table", () => {
  const request = (url: string) => createWorkbench({ store, host: "127.0.0.1" }).app.request(url);
  async function rows(search: string): Promise<string[]> {
    const page = await (await request(`http://127.0.0.1/runs/run-1/cases${search}`)).text();
    return [...page.matchAll(/<tr><td><a href="[^"]+">([^<]+)<\/a><\/td>\s*<td>([^<]+)<\/td>/g)].map(
      (match) => `${match[2]} ${match[1]}`,
    );
  }

  it("filters by disagreement between models, automatic flag, model, rung and subgroup", async () => {
    expect(await rows("?disagree=yes")).toEqual(["A c1", "A c2", "A c3", "B c1", "B c2", "B c3"]);
    expect(await rows("?flag=priority-inversion")).toEqual(["A c1", "B c2"]);
    expect(await rows("?model=B&rung=exact")).toEqual(["B c1", "B c2", "B c4"]);
    expect(await rows("?outcome=error")).toEqual(["A c4"]);
    expect(await rows("?code=uncoded&model=A")).toEqual(["A c1", "A c2", "A c3", "A c4"]);
  });

  it("pages 50 answers at a time", async () => {
    const { study, suite, results } = errorModeScenario();
    const cases = Array.from({ length: 30 }, (_, index) => ({
      ...suite.cases[0],
      id: `p${String(index).padStart(2, "0")}`,
    }));
    const run = await store.createRun({ id: "paged", study, studyHash: "p", suite: { ...suite, cases } });
    for (const testCase of cases) {
      for (const modelId of ["A", "B"]) {
        await store.saveResult(run.id, {
          ...results[0],
          modelId,
          caseId: testCase.id,
          key: `${modelId}/${testCase.id}`,
        });
      }
    }
    const page = async (search: string) =>
      (await request(`http://127.0.0.1/runs/paged/cases${search}`)).text();
    const first = await page("");
    const second = await page("?page=2");
    expect(first.match(/<tr><td>/g)).toHaveLength(50);
    expect(second.match(/<tr><td>/g)).toHaveLength(10);
    expect(first).toContain('<p id="count">60 answers; page 1 of 2.</p>');
    expect(first).toContain('<a href="/runs/paged/cases?page=2" rel="next">');
    expect(second).toContain('<a href="/runs/paged/cases?page=1" rel="prev">');
    expect(await page("?page=9")).toContain("page 2 of 2.");
  });
});

describe("the case page", () => {
  it("opens every reasoning and prompt on the printable page", async () => {
    const { app } = createWorkbench({ store, host: "127.0.0.1" });
    const screen = await (await app.request("http://127.0.0.1/runs/run-1/cases/c1")).text();
    const print = await (await app.request("http://127.0.0.1/runs/run-1/cases/c1?print=1")).text();
    const opened = (page: string) => page.match(/<details class="(?:reasoning|prompt)" open>/g)?.length ?? 0;
    expect([opened(screen), opened(print)]).toEqual([0, 4]);
    expect(print).toContain('<a href="/runs/run-1/cases/c1?print=1">printable page</a>');
  });
});

describe("the study page", () => {
  it("shows the report `clinval report` writes, number for number", async () => {
    const output = join(folder, "cli-report");
    const cli = await runCli(["report", "run-1", "--store", store.path, "--output", output]);
    expect([cli.code, cli.stderr]).toEqual([0, ""]);
    const written = JSON.parse(await readFile(join(output, "report.json"), "utf8"));
    const { data } = createWorkbench({ store, host: "127.0.0.1" });
    const run = await store.getRun("run-1");
    const analysed = run && (await data.analysed(run));
    if (!analysed) throw new Error("seeded run missing");
    expect(JSON.parse(JSON.stringify(await data.currentReport(analysed)))).toEqual(written);
    const { app } = createWorkbench({ store, host: "127.0.0.1" });
    const page = await (await app.request("http://127.0.0.1/runs/run-1")).text();
    expect(page).toContain(
      await readFile(join(output, "report.html"), "utf8").then((html) =>
        html.slice(html.indexOf("<main>"), html.indexOf("</main>")),
      ),
    );
  });
});

describe("a triage run in the workbench", () => {
  it("shows the label given instead of a diagnosis list, and no error-mode coding", async () => {
    const study = makeStudy({
      name: "triage",
      task: "triage",
      labels: ["negative", "routine", "urgent"],
      models: [{ id: "clf", provider: "ollama", model: "clf:latest" }],
    });
    const testCase = { id: "ct-1", text: "IMPRESSION: Large left pneumothorax.", label: "urgent" };
    const run = await store.createRun({
      id: "triage-1",
      study,
      studyHash: "t",
      suite: { id: "ct", source: "ct.jsonl", sha256: "0".repeat(64), cases: [testCase] },
    });
    await store.saveResult(run.id, {
      ...answer("clf", "ct-1", null, []),
      completion: { ...(answer("clf", "ct-1", null, []).completion as Completion), text: "urgent" },
    });
    const { app } = createWorkbench({ store, host: "127.0.0.1" });
    const table = await app.request("http://127.0.0.1/runs/triage-1/cases");
    const page = await app.request("http://127.0.0.1/runs/triage-1/cases/ct-1");
    const text = await page.text();
    expect([table.status, page.status]).toEqual([200, 200]);
    expect(text).toContain("Label given: <strong>urgent</strong>");
    expect(text).toContain('<span class="outcome correct">correct</span>');
    expect(text).not.toContain('class="coding"');
  });
});

describe("codes.csv", () => {
  it("writes one row per code, cells a spreadsheet would run as formulas behind a single quote", () => {
    const csv = renderCodesCsv([
      {
        runId: "run-1",
        modelId: "A",
        caseId: "c1",
        sample: 0,
        reviewer: '=HYPERLINK("http://x")',
        code: "other",
        note: '+1, see "step 2"',
        codedAt: "2025-03-02T09:00:00.000Z",
        reconciled: false,
      },
    ]);
    expect(csv).toBe(
      'run,model,case,sample,reviewer,reconciled,code,note,codedAt\r\nrun-1,A,c1,0,"\'=HYPERLINK(""http://x"")",false,other,"\'+1, see ""step 2""",2025-03-02T09:00:00.000Z\r\n',
    );
  });
});

describe("adjudications.csv", () => {
  it("writes every clinician decision, formula-like cells behind a single quote", () => {
    expect(
      renderAdjudicationsCsv([
        {
          reference: "Acute appendicitis",
          answer: "=cmd|' /C calc'!A0",
          decision: "incorrect",
          reviewer: "Dr Rossi",
          decidedAt: "2025-03-02T09:00:00.000Z",
          note: null,
        },
      ]),
    ).toBe(
      "reference,answer,decision,reviewer,decidedAt,note\r\nAcute appendicitis,'=cmd|' /C calc'!A0,incorrect,Dr Rossi,2025-03-02T09:00:00.000Z,\r\n",
    );
  });
});

describe("promptFor", () => {
  it("calls a rebuilt prompt verbatim only when it gives the stored request key", async () => {
    const [testCase] = (await store.runCases("run-1")) as DiagnosisCase[];
    const run = await store.getRun("run-1");
    if (!run) throw new Error("seeded run missing");
    const spec = run.study.models[0];
    const messages = diagnosisTask.prompt(testCase, run.study);
    const storedKey = cacheKey({
      spec,
      messages,
      responseSchema: diagnosisTask.responseSchema(run.study),
      input: diagnosisTask.caseText(testCase),
      sample: 0,
    });
    const options = { task: diagnosisTask, study: run.study, spec, testCase, sample: 0 };
    expect(await promptFor({ ...options, storedKey })).toEqual({ messages, verbatim: true, caveat: null });
    expect(await promptFor({ ...options, storedKey: "0".repeat(64) })).toEqual({
      messages,
      verbatim: false,
      caveat:
        "rebuilt from the study; it does not give the stored request key, so the prompt template or clinval's prompt has changed since the run",
    });
  });
});
