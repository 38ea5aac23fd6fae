/**
 * The judge rung and clinician adjudication end to end (issue 8): one scripted model and a scripted judge
 * behind a loopback OpenAI-compatible server, through `clinval run`, `report`, `adjudicate export/import`
 * and `grading agreement`. The judge is first down (the run is incomplete, pairs stay undecided), then
 * answers — once with nonsense, which must give an `unparseable` verdict and never a match.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { wilsonProportion } from "../src/analysis/proportion.ts";
import type { Report } from "../src/analysis/report-types.ts";
import type { DiagnosisCase } from "../src/core/case.ts";
import { closeTo } from "../src/stats/close-to.test-support.ts";
import { cohenKappaInterval } from "../src/stats/kappa-interval.ts";
import { openStore } from "../src/store/store.ts";
import { parseCsv } from "../src/suites/parse-csv.ts";
import {
  type OpenAICompatibleServer,
  type RecordedRequest,
  type ScriptedReply,
  startOpenAICompatibleServer,
} from "./support/openai-compatible-server.ts";
import { runCli } from "./support/run-cli.ts";

const MODEL = "meta-llama/Llama-3.1-8B-Instruct";
const JUDGE = "Qwen/Qwen2.5-7B-Instruct";

const CASES: DiagnosisCase[] = [
  {
    id: "c1",
    presentation: "Periumbilical pain moving to the right iliac fossa.",
    diagnosis: "Acute appendicitis",
  },
  {
    id: "c2",
    presentation: "Breathless after a long flight, swollen calf.",
    diagnosis: "Pulmonary embolism",
  },
  { id: "c3", presentation: "Throbbing unilateral headache with aura.", diagnosis: "Migraine" },
  { id: "c4", presentation: "Amenorrhoea, pelvic pain, positive hCG.", diagnosis: "Ectopic pregnancy" },
];

/** The model's answers: c1 exact at rank 1; the others left undecided by the terminology. */
const ANSWERS: Record<string, string> = {
  c1: '{"diagnoses": ["Acute appendicitis"]}',
  c2: '{"diagnoses": ["Clot in the lung arteries", "Chest wall strain"]}',
  c3: '{"diagnoses": ["Hangover headache"]}',
  c4: '{"diagnoses": ["Pregnancy outside the uterus"]}',
};

/** The judge's replies by candidate answer; the last one is nonsense. */
const VERDICTS: Record<string, string> = {
  "Clot in the lung arteries":
    '{"verdict": "same", "rationale": "A clot in the pulmonary arteries is a PE."}',
  "Chest wall strain": '{"verdict": "different", "rationale": "A chest wall strain, not an embolism."}',
  "Hangover headache": '{"verdict": "different", "rationale": "A different primary headache."}',
  "Pregnancy outside the uterus": "I think it is probably fine!!",
};

let folder: string;
let server: OpenAICompatibleServer;
let studyPath: string;
let storePath: string;
let judgeDown = true;
let runId: string;

function userText(request: RecordedRequest): string {
  return String(request.messages.find((message) => message.role === "user")?.content ?? "");
}

function reply(request: RecordedRequest): ScriptedReply {
  if (request.model === JUDGE) {
    if (judgeDown) return { status: 503 };
    const answer = /Candidate diagnosis: (.*)$/m.exec(userText(request))?.[1] ?? "";
    return { content: VERDICTS[answer] ?? "no script" };
  }
  const found = CASES.find((testCase) => userText(request).includes(testCase.presentation));
  return { content: found ? ANSWERS[found.id] : "no case" };
}

const judgeRequests = () => server.requests.filter((request) => request.model === JUDGE);
const modelRequests = () => server.requests.filter((request) => request.model === MODEL);

async function readReport(): Promise<Report> {
  return JSON.parse(await readFile(join(folder, "reports", "report.json"), "utf8")) as Report;
}

async function caseRows(): Promise<Array<Record<string, string>>> {
  const [header, ...records] = parseCsv(await readFile(join(folder, "reports", "cases.csv"), "utf8")).map(
    (record) => record.values,
  );
  return records.map((values) => Object.fromEntries(header.map((name, index) => [name, values[index]])));
}

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), "clinval-judge-"));
  server = await startOpenAICompatibleServer({ reply, models: [MODEL, JUDGE] });
  await writeFile(join(folder, "cases.jsonl"), CASES.map((testCase) => JSON.stringify(testCase)).join("\n"));
  studyPath = join(folder, "study.yaml");
  storePath = join(folder, "clinval.db");
  await writeFile(
    studyPath,
    `name: judged
task: diagnosis
suite:
  path: ./cases.jsonl
models:
  - id: llama
    provider: openai
    baseUrl: ${server.url}
    model: ${MODEL}
    retries: 0
judge:
  provider: openai
  baseUrl: ${server.url}
  model: ${JUDGE}
  retries: 0
  timeoutMs: 20000
topK: 5
output: ./reports
`,
  );
});

afterAll(async () => {
  await server.close();
  await rm(folder, { recursive: true, force: true });
});

describe("the judge rung against a scripted OpenAI-compatible server", () => {
  it("leaves every pair undecided and the run incomplete when the judge is down", async () => {
    const result = await runCli(["run", studyPath, "--store", storePath]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("Judge: 4 undecided answer pair(s), 0 with a verdict, 4 still undecided");
    const report = await readReport();
    runId = report.run.id;
    expect(report.run.complete).toBe(false);
    expect(report.judge).toEqual({
      provider: "openai",
      model: JUDGE,
      pairs: 4,
      verdicts: {},
      undecided: 4,
    });
    expect(report.models[0].outcomes).toEqual({
      correct: 1,
      incorrect: 3,
      unparseable: 0,
      truncated: 0,
      error: 0,
    });
    const store = await openStore(storePath);
    try {
      expect((await store.listRuns())[0].complete).toBe(false);
      expect((await store.judgeVerdicts(runId)).map((stored) => [stored.answer, stored.verdict])).toEqual([
        ["Clot in the lung arteries", null],
        ["Chest wall strain", null],
        ["Hangover headache", null],
        ["Pregnancy outside the uterus", null],
      ]);
    } finally {
      await store.close();
    }
  });

  it("asks the judge once per pair at temperature 0 with a JSON schema, on resume, and finishes the run", async () => {
    judgeDown = false;
    const modelCalls = modelRequests().length;
    const judgeCallsBefore = judgeRequests().length;
    const result = await runCli(["run", studyPath, "--store", storePath]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`Resuming run ${runId}`);
    expect(modelRequests().length).toBe(modelCalls);
    const calls = judgeRequests().slice(judgeCallsBefore);
    expect(calls.map((request) => /Candidate diagnosis: (.*)$/m.exec(userText(request))?.[1])).toEqual([
      "Clot in the lung arteries",
      "Chest wall strain",
      "Hangover headache",
      "Pregnancy outside the uterus",
    ]);
    expect(calls[0].params.temperature).toBe(0);
    expect(calls[0].params.response_format).toEqual({
      type: "json_schema",
      json_schema: {
        name: "response",
        strict: true,
        schema: {
          type: "object",
          properties: {
            verdict: { type: "string", enum: ["same", "more-specific", "broader", "related", "different"] },
            rationale: { type: "string" },
          },
          required: ["verdict", "rationale"],
          additionalProperties: false,
        },
      },
    });
    expect(userText(calls[0])).toBe(
      "Reference diagnosis: Pulmonary embolism\nCandidate diagnosis: Clot in the lung arteries",
    );

    const report = await readReport();
    expect(report.run).toEqual(expect.objectContaining({ id: runId, complete: true }));
    expect(report.judge).toEqual({
      provider: "openai",
      model: JUDGE,
      pairs: 4,
      verdicts: { same: 1, different: 2, unparseable: 1 },
      undecided: 0,
    });
    expect(report.models[0].outcomes).toEqual({
      correct: 2,
      incorrect: 2,
      unparseable: 0,
      truncated: 0,
      error: 0,
    });
    const rows = await caseRows();
    expect(rows.map((row) => [row.case, row.outcome, row.rung, row.rank, row.judge])).toEqual([
      ["c1", "correct", "exact", "1", ""],
      [
        "c2",
        "correct",
        "judge",
        "1",
        "Clot in the lung arteries: same — A clot in the pulmonary arteries is a PE.",
      ],
      ["c3", "incorrect", "", "", "Hangover headache: different — A different primary headache."],
      [
        "c4",
        "incorrect",
        "",
        "",
        'Pregnancy outside the uterus: unparseable — the judge gave no verdict of the rubric: "I think it is probably fine!!"',
      ],
    ]);
  });

  it("re-grades from stored verdicts without calling the judge (clinval report)", async () => {
    const before = await readReport();
    const requests = server.requests.length;
    const result = await runCli(["report", runId, "--store", storePath]);
    expect(result.code).toBe(0);
    expect(server.requests.length).toBe(requests);
    expect(await readReport()).toEqual(before);
  });
});

describe("clinician adjudication round trip", () => {
  let sheet: string;
  let before: Report;

  it("exports the pending pairs (judge-decided and undecided) as a spreadsheet-safe CSV", async () => {
    before = await readReport();
    const out = join(folder, "pending.csv");
    const result = await runCli(["adjudicate", "export", runId, "--out", out, "--store", storePath]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("3 pending pairs written to");
    sheet = await readFile(out, "utf8");
    expect(sheet.split("\r\n")).toEqual([
      "reference,answer,reason,judge_verdict,judge_rationale,similarity,count,models,cases,decision,note",
      "Pulmonary embolism,Clot in the lung arteries,judge,same,A clot in the pulmonary arteries is a PE.,,1,llama,c2,,",
      "Migraine,Hangover headache,judge,different,A different primary headache.,,1,llama,c3,,",
      'Ectopic pregnancy,Pregnancy outside the uterus,judge,unparseable,"the judge gave no verdict of the rubric: ""I think it is probably fine!!""",,1,llama,c4,,',
      "",
    ]);
  });

  function filled(decisions: Record<string, string>): string {
    return sheet
      .split("\r\n")
      .map((line) => {
        const answer = Object.keys(decisions).find((name) => line.includes(`,${name},`));
        return answer === undefined ? line : line.replace(/,,$/, `,${decisions[answer]}`);
      })
      .join("\r\n");
  }

  it("rejects a sheet with a bad row, naming file, line and column, and records nothing (exit 2)", async () => {
    const bad = join(folder, "bad.csv");
    await writeFile(
      bad,
      filled({
        "Clot in the lung arteries": "correct,",
        "Hangover headache": "maybe,",
        "Pregnancy outside the uterus": "correct,",
      }),
    );
    const result = await runCli([
      "adjudicate",
      "import",
      bad,
      "--reviewer",
      "Dr Rossi",
      "--store",
      storePath,
    ]);
    expect(result).toEqual({
      code: 2,
      stdout: "",
      stderr: `clinval: ${bad}:3: decision: "maybe" is not one of correct, more-specific, broader, incorrect\n`,
    });
    const store = await openStore(storePath);
    try {
      expect(await store.adjudications()).toEqual([]);
    } finally {
      await store.close();
    }
    expect((await runCli(["report", runId, "--store", storePath])).code).toBe(0);
    expect(await readReport()).toEqual(before);
  });

  it("imports the decisions, and a re-grade changes report.json exactly as they say", async () => {
    const good = join(folder, "good.csv");
    await writeFile(
      good,
      filled({
        "Clot in the lung arteries": "correct,",
        "Hangover headache": "incorrect,",
        "Pregnancy outside the uterus": "more-specific,'=same thing",
      }),
    );
    const imported = await runCli([
      "adjudicate",
      "import",
      good,
      "--reviewer",
      "Dr Rossi",
      "--store",
      storePath,
    ]);
    expect(imported).toEqual({ code: 0, stdout: "3 decisions recorded by Dr Rossi.\n", stderr: "" });
    const store = await openStore(storePath);
    try {
      expect((await store.adjudications()).map(({ decidedAt: _, ...rest }) => rest)).toEqual([
        {
          reference: "Pulmonary embolism",
          answer: "Clot in the lung arteries",
          decision: "correct",
          reviewer: "Dr Rossi",
          note: null,
        },
        {
          reference: "Migraine",
          answer: "Hangover headache",
          decision: "incorrect",
          reviewer: "Dr Rossi",
          note: null,
        },
        {
          reference: "Ectopic pregnancy",
          answer: "Pregnancy outside the uterus",
          decision: "more-specific",
          reviewer: "Dr Rossi",
          note: "=same thing",
        },
      ]);
    } finally {
      await store.close();
    }

    expect((await runCli(["report", runId, "--store", storePath])).code).toBe(0);
    const after = await readReport();
    // c2 and c4 are now decided by the clinician: c4 turns correct, the rest of the report follows.
    const { models: modelsAfter, agreement, sensitivity: sensitivityAfter, ...restAfter } = after;
    const { models: modelsBefore, sensitivity: _sensitivityBefore, ...restBefore } = before;
    expect(restAfter).toEqual(restBefore);
    // Wilson 95% interval of 3/4: Rscript -e 'prop.test(3, 4, correct = FALSE)$conf.int' gives
    // 0.3006418 0.9544127; the project's wilsonProportion is tested against R.
    const threeOfFour = wilsonProportion(3, 4, 0.95);
    expect(threeOfFour).toEqual(
      expect.objectContaining({ lower: closeTo(0.3006418, 1e-6), upper: closeTo(0.9544127, 1e-6) }),
    );
    expect(modelsBefore[0].outcomes.correct).toBe(2);
    const top = { "1": threeOfFour, "3": threeOfFour, "5": threeOfFour };
    expect(modelsAfter).toEqual([
      {
        ...modelsBefore[0],
        outcomes: { correct: 3, incorrect: 1, unparseable: 0, truncated: 0, error: 0 },
        accuracy: threeOfFour,
        strictAccuracy: threeOfFour,
        lenientAccuracy: threeOfFour,
        topk: top,
        lenientTopk: top,
        mrr: 0.75,
        lenientMrr: 0.75,
      },
    ]);
    // The missing-answer table follows: no answer is missing, so every row shows the new 3/4.
    expect(sensitivityAfter.map((row) => row.models.map((model) => [model.correct, model.n]))).toEqual([
      [[3, 4]],
      [[3, 4]],
      [[3, 4]],
    ]);
    expect(agreement?.adjudicated).toBe(3);
    const rows = await caseRows();
    expect(rows.map((row) => [row.case, row.outcome, row.rung, row.rank])).toEqual([
      ["c1", "correct", "exact", "1"],
      ["c2", "correct", "clinician", "1"],
      ["c3", "incorrect", "", ""],
      ["c4", "correct", "clinician", "1"],
    ]);
    const methods = await readFile(join(folder, "reports", "report.md"), "utf8");
    expect(methods).toContain(`openai ${JUDGE}`);
    expect(methods).toContain("Clinicians adjudicated 3 distinct pairs");
    expect(methods).toContain("### Grading agreement");
    expect(methods).toContain("| judge | 2 | 100.0% | 1.000 (1.000 to 1.000) | 1 / 0 | 0 / 1 |");
    const html = await readFile(join(folder, "reports", "report.html"), "utf8");
    expect(html).toContain("<h3>Grading agreement</h3>");
  });

  it("measures each grading's agreement with the clinicians (clinval grading agreement --json)", async () => {
    const result = await runCli(["grading", "agreement", runId, "--json", "--store", storePath]);
    expect(result.code).toBe(0);
    // Clinician calls: correct, incorrect, correct (more-specific counts as correct).
    const clinician = ["correct", "incorrect", "correct"];
    const interval = (grading: string[], rated = clinician) => {
      const { kappa, lower, upper, level } = cohenKappaInterval(rated, grading, 0.95, [
        "correct",
        "incorrect",
      ]);
      return kappa === null ? null : { estimate: kappa, lower, upper, level };
    };
    const allIncorrect = {
      n: 3,
      observedAgreement: 1 / 3,
      kappa: interval(["incorrect", "incorrect", "incorrect"]),
      confusion: { correct: { correct: 0, incorrect: 2 }, incorrect: { correct: 0, incorrect: 1 } },
    };
    const comparison = (answer: string, reference: string, decision: string, judge: [string, string]) => ({
      reference,
      answer,
      clinician: decision,
      reviewer: "Dr Rossi",
      note: decision === "more-specific" ? "=same thing" : null,
      rung: null,
      judgeVerdict: judge[0],
      judgeRationale: judge[1],
    });
    expect(JSON.parse(result.stdout)).toEqual({
      run: runId,
      adjudicated: 3,
      methods: [
        { method: "strict", ...allIncorrect },
        { method: "lenient", ...allIncorrect },
        {
          method: "judge",
          n: 2,
          observedAgreement: 1,
          kappa: { estimate: 1, lower: 1, upper: 1, level: 0.95 },
          confusion: { correct: { correct: 1, incorrect: 0 }, incorrect: { correct: 0, incorrect: 1 } },
        },
        {
          method: "strict+judge",
          n: 3,
          observedAgreement: 2 / 3,
          kappa: interval(["correct", "incorrect", "incorrect"]),
          confusion: { correct: { correct: 1, incorrect: 1 }, incorrect: { correct: 0, incorrect: 1 } },
        },
      ],
      rungs: [
        {
          rung: "none",
          pairs: 3,
          agreeing: 1,
          clinician: { correct: 1, "more-specific": 1, broader: 0, incorrect: 1 },
        },
        {
          rung: "judge",
          pairs: 2,
          agreeing: 2,
          clinician: { correct: 1, "more-specific": 0, broader: 0, incorrect: 1 },
        },
        {
          rung: "unparseable",
          pairs: 1,
          agreeing: 0,
          clinician: { correct: 0, "more-specific": 1, broader: 0, incorrect: 0 },
        },
      ],
      disagreements: [
        {
          ...comparison("Clot in the lung arteries", "Pulmonary embolism", "correct", [
            "same",
            "A clot in the pulmonary arteries is a PE.",
          ]),
          calls: { strict: "incorrect", lenient: "incorrect", judge: "correct", "strict+judge": "correct" },
        },
        {
          ...comparison("Pregnancy outside the uterus", "Ectopic pregnancy", "more-specific", [
            "unparseable",
            'the judge gave no verdict of the rubric: "I think it is probably fine!!"',
          ]),
          calls: { strict: "incorrect", lenient: "incorrect", judge: null, "strict+judge": "incorrect" },
        },
      ],
    });
    const text = await runCli(["grading", "agreement", runId, "--store", storePath]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`Run ${runId}: 3 adjudicated pair(s).`);
    expect(text.stdout).toContain("Disagreements (2):");
  });

  it("applies the decisions to every run: a new run of the study asks the judge about nothing decided", async () => {
    const judgeCalls = judgeRequests().length;
    const result = await runCli(["run", studyPath, "--store", storePath, "--new"]);
    expect(result.code).toBe(0);
    // Chest wall strain is no longer looked at (c2 is decided at rank 1), and the rest are adjudicated.
    expect(judgeRequests().length).toBe(judgeCalls);
    const rows = await caseRows();
    expect(rows.map((row) => [row.case, row.rung])).toEqual([
      ["c1", "exact"],
      ["c2", "clinician"],
      ["c3", ""],
      ["c4", "clinician"],
    ]);
  });

  it("checks the judge with the study's models (clinval models check)", async () => {
    const result = await runCli(["models", "check", studyPath]);
    expect(result.code).toBe(0);
    expect(result.stdout.split("\n").map((line) => line.split(" · ")[0])).toEqual([
      `ok    llama: openai ${MODEL}`,
      `ok    judge: openai ${JUDGE}`,
      "",
    ]);
  });
});
