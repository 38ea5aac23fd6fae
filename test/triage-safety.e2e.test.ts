/**
 * Triage safety statistics end to end: two classifiers that answer with a probability per label (scripted
 * behind a loopback OpenAI-compatible server, in the answer shape of clinval's on-site classifiers) agree on
 * every negative and routine report and differ only on urgent ones. The paired urgent-recall and
 * under-triage tests, their intervals and the calibration numbers are worked out by hand; `clinval report
 * --threshold` then moves the urgent cut-off without calling a model.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Report } from "../src/analysis/report-types.ts";
import { closeTo } from "../src/stats/close-to.test-support.ts";
import { parseCsv } from "../src/suites/parse-csv.ts";
import {
  type OpenAICompatibleServer,
  type RecordedRequest,
  startOpenAICompatibleServer,
} from "./support/openai-compatible-server.ts";
import { type CliResult, runCli } from "./support/run-cli.ts";

const LABELS = ["negative", "routine", "urgent"] as const;
type Probabilities = [number, number, number];

/** Reports and each classifier's probabilities (negative, routine, urgent); the label is the likeliest. */
const CASES: Array<{ id: string; label: string; a: Probabilities; b: Probabilities }> = [
  { id: "n-1", label: "negative", a: [0.8, 0.15, 0.05], b: [0.8, 0.15, 0.05] },
  { id: "n-2", label: "negative", a: [0.6, 0.3, 0.1], b: [0.6, 0.3, 0.1] },
  { id: "r-1", label: "routine", a: [0.2, 0.7, 0.1], b: [0.2, 0.7, 0.1] },
  { id: "r-2", label: "routine", a: [0.1, 0.6, 0.3], b: [0.1, 0.6, 0.3] },
  { id: "u-1", label: "urgent", a: [0, 0.1, 0.9], b: [0, 0.1, 0.9] },
  { id: "u-2", label: "urgent", a: [0, 0.2, 0.8], b: [0, 0.2, 0.8] },
  { id: "u-3", label: "urgent", a: [0.1, 0.2, 0.7], b: [0.1, 0.6, 0.3] },
  { id: "u-4", label: "urgent", a: [0.1, 0.3, 0.6], b: [0.1, 0.7, 0.2] },
  { id: "u-5", label: "urgent", a: [0.1, 0.4, 0.5], b: [0.2, 0.6, 0.2] },
  { id: "u-6", label: "urgent", a: [0.1, 0.5, 0.4], b: [0.1, 0.5, 0.4] },
];
const TEXT = (id: string) => `FINDINGS: scripted report ${id}. IMPRESSION: see findings.`;

function answer(probabilities: Probabilities): string {
  const best = probabilities.indexOf(Math.max(...probabilities));
  return JSON.stringify({
    label: LABELS[best],
    probabilities: Object.fromEntries(LABELS.map((label, index) => [label, probabilities[index]])),
  });
}

function caseOf(request: RecordedRequest) {
  const user = request.messages.map((message) => message.content).join("\n");
  const found = CASES.find((testCase) => user.includes(TEXT(testCase.id)));
  if (!found) throw new Error(`no report in the prompt: ${user.slice(0, 80)}`);
  return found;
}

const STUDY_YAML = (url: string) => `name: scripted-triage-safety
task: triage
labels: [negative, routine, urgent]
suite:
  path: ./reports.jsonl
models:
  - id: clf-a
    provider: openai
    baseUrl: ${url}
    model: classifier-a
    retries: 0
  - id: clf-b
    provider: openai
    baseUrl: ${url}
    model: classifier-b
    retries: 0
output: ./out
`;

let folder: string;
let server: OpenAICompatibleServer;
let run: CliResult;
let report: Report;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), "clinval-triage-safety-"));
  server = await startOpenAICompatibleServer({
    models: ["classifier-a", "classifier-b"],
    reply: (request) => {
      const testCase = caseOf(request);
      return { content: answer(request.model === "classifier-a" ? testCase.a : testCase.b) };
    },
  });
  await writeFile(
    join(folder, "reports.jsonl"),
    `${CASES.map(({ id, label }) => JSON.stringify({ id, text: TEXT(id), label })).join("\n")}\n`,
  );
  await writeFile(join(folder, "study.yaml"), STUDY_YAML(server.url));
  run = await runCli(["run", join(folder, "study.yaml"), "--store", join(folder, "clinval.db")]);
  report = JSON.parse(await readFile(join(folder, "out", "report.json"), "utf8"));
});

afterAll(async () => {
  await server?.close();
  if (folder) await rm(folder, { recursive: true, force: true });
});

/** Newcombe's method 10 limits, as R gives them with the formula of src/stats/paired-difference.test.ts. */
function difference(estimate: number, lower: number, upper: number) {
  return {
    estimate: closeTo(estimate),
    lower: closeTo(lower, 1e-9),
    upper: closeTo(upper, 1e-9),
    method: "newcombe",
    level: 0.95,
  };
}

describe("two classifiers that differ only on urgent reports", () => {
  it("runs both on every report", () => {
    expect(run.code, run.stderr).toBe(0);
    expect(server.requests).toHaveLength(20);
  });

  it("compares urgent recall and under-triage with McNemar and Newcombe", () => {
    // Urgent reports u-1…u-6. A gives urgent on u-1…u-5, B on u-1 u-2: both 2, A only 3 (u-3 u-4 u-5), B only 0,
    // neither 1 (u-6). Exact p = 2·(½)³ = 0.25, mid-p 0.125; difference 3/6 = 0.5,
    // newc(2, 3, 0, 1, 0.95) = 0.5 −0.0403038784320499 0.773175284282636.
    // Under-triage over all ten: A u-6, B u-3…u-6: both 1, A only 0, B only 3, neither 6; p 0.25; difference
    // −3/10, newc(1, 0, 3, 6, 0.95) = −0.3 −0.59341033860208 0.0696656332895423.
    expect(report.comparisons[0].safety).toEqual({
      mostSevereLabel: "urgent",
      recall: {
        n: 6,
        both: 2,
        aOnly: 3,
        bOnly: 0,
        neither: 1,
        difference: difference(0.5, -0.0403038784320499, 0.773175284282636),
        mcnemar: { exactP: 0.25, midP: 0.125 },
      },
      underTriage: {
        n: 10,
        both: 1,
        aOnly: 0,
        bOnly: 3,
        neither: 6,
        difference: difference(-0.3, -0.59341033860208, 0.0696656332895423),
        mcnemar: { exactP: 0.25, midP: 0.125 },
      },
    });
    // Accuracy differs by the same three urgent reports: 9/10 against 6/10.
    expect(report.comparisons[0]).toMatchObject({ bothCorrect: 6, aOnly: 3, bOnly: 0, neither: 1 });
  });

  it("scores the probabilities of urgent: Brier, reliability bins and the multi-class Brier", () => {
    // P(urgent) against urgent (1) or not (0). A: 0.05 0.1 0.1 0.3 | 0.9 0.8 0.7 0.6 0.5 0.4;
    // squared errors 0.0025 0.01 0.01 0.09 | 0.01 0.04 0.09 0.16 0.25 0.36 → 1.0225/10.
    // B: the same on the first six, then 0.3 0.2 0.2 0.4 → 0.49 0.64 0.64 0.36 → 2.2925/10.
    // R: mean((p - y)^2) = 0.10225000000000001 and 0.22925000000000001.
    // Multi-class, A: Σ over labels (p − y)² per report: 0.065 0.26 0.14 0.26 0.02 0.08 0.14 0.26 0.42 0.62 → 2.265/10.
    const calibrationA = report.models[0].classification?.calibration;
    const bin = (lower: number, count: number, meanPredicted: number, observed: number) => ({
      lower: closeTo(lower),
      upper: closeTo(lower + 0.1),
      count,
      meanPredicted: closeTo(meanPredicted),
      observed,
    });
    expect(calibrationA).toEqual({
      label: "urgent",
      n: 10,
      brier: closeTo(0.10225),
      bins: [
        bin(0, 1, 0.05, 0),
        bin(0.1, 2, 0.1, 0),
        bin(0.3, 1, 0.3, 0),
        bin(0.4, 1, 0.4, 1),
        bin(0.5, 1, 0.5, 1),
        bin(0.6, 1, 0.6, 1),
        bin(0.7, 1, 0.7, 1),
        bin(0.8, 1, 0.8, 1),
        bin(0.9, 1, 0.9, 1),
      ],
      multiclassBrier: closeTo(0.2265),
    });
    expect(report.models[1].classification?.calibration?.brier).toEqual(closeTo(0.22925));
    // Urgent recall 5/6 and 2/6 with Wilson 95% limits: prop.test(5, 6, correct = FALSE)$conf.int and (2, 6).
    expect(report.models.map((model) => model.classification?.mostSevereRecallInterval)).toEqual([
      {
        x: 5,
        n: 6,
        estimate: closeTo(5 / 6),
        lower: closeTo(0.43649717781353, 1e-9),
        upper: closeTo(0.969946630251693, 1e-9),
        method: "wilson",
        level: 0.95,
      },
      {
        x: 2,
        n: 6,
        estimate: closeTo(2 / 6),
        lower: closeTo(0.0967714111057805, 1e-9),
        upper: closeTo(0.700006684861608, 1e-9),
        method: "wilson",
        level: 0.95,
      },
    ]);
  });

  it("writes each label's probability into cases.csv", async () => {
    const [header, ...records] = parseCsv(await readFile(join(folder, "out", "cases.csv"), "utf8")).map(
      (record) => record.values,
    );
    const at = (name: string) => header.indexOf(name);
    expect(header.slice(at("predicted"), at("p.urgent") + 1)).toEqual([
      "predicted",
      "reference",
      "p.negative",
      "p.routine",
      "p.urgent",
    ]);
    const u5 = records.find((record) => record[at("model")] === "clf-b" && record[at("case")] === "u-5");
    expect(u5?.slice(at("predicted"), at("p.urgent") + 1)).toEqual([
      "routine",
      "urgent",
      "0.2",
      "0.6",
      "0.2",
    ]);
  });

  it("moves the urgent cut-off with clinval report --threshold, calling no model", async () => {
    // At 0.35 a P(urgent) of 0.4 (u-6, both) becomes urgent; 0.3 (r-2, and B's u-3) stays below.
    // Recall: both u-1 u-2 u-6 = 3, A only u-3 u-4 u-5 = 3 → p 0.25; newc(3, 3, 0, 0, 0.95) =
    // 0.5 5.5574800926772e-05 0.812383693517349.
    const output = join(folder, "threshold");
    const rebuilt = await runCli([
      "report",
      "latest",
      "--threshold",
      "0.35",
      "--output",
      output,
      "--store",
      join(folder, "clinval.db"),
    ]);
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    expect(server.requests).toHaveLength(20);
    const moved: Report = JSON.parse(await readFile(join(output, "report.json"), "utf8"));
    expect(moved.study.threshold).toBe(0.35);
    expect(moved.comparisons[0].safety?.recall).toEqual({
      n: 6,
      both: 3,
      aOnly: 3,
      bOnly: 0,
      neither: 0,
      difference: difference(0.5, 5.5574800926772e-5, 0.812383693517349),
      mcnemar: { exactP: 0.25, midP: 0.125 },
    });
    const refused = await runCli([
      "report",
      "latest",
      "--threshold",
      "1.5",
      "--store",
      join(folder, "clinval.db"),
    ]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("--threshold");
  });
});
