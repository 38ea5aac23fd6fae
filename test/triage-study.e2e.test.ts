/**
 * The report-triage study end to end (issue 5, "Done when"): `clinval train tfidf` on the ct-triage train
 * split, then `clinval run` of a triage study on its test split with that classifier and two zero-shot
 * models scripted on a loopback OpenAI-compatible server. report.json's classification blocks are checked
 * against the scripted answers and against `clinval stats classify` on the exported cases.csv; then the same
 * commands on a user's own CSV mapped with `fields:`, and bad input.
 */
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Classification, Comparison, ModelSummary, Report } from "../src/analysis/report-types.ts";
import type { TriageCase } from "../src/core/case.ts";
import { closeTo } from "../src/stats/close-to.test-support.ts";
import { builtinSuitePath } from "../src/suites/builtin-suites.ts";
import { loadCaseFile } from "../src/suites/load-case-file.ts";
import { parseCsvWithHeader } from "../src/suites/parse-csv.ts";
import {
  type OpenAICompatibleServer,
  type RecordedRequest,
  type ScriptedReply,
  startOpenAICompatibleServer,
} from "./support/openai-compatible-server.ts";
import { type CliResult, runCli } from "./support/run-cli.ts";

/** A failed command as the user sees it: exit 2, its message last, no stack trace. Returns the message. */
function expectInputFailure(result: CliResult): string {
  expect({ code: result.code, stdout: result.stdout }).toEqual({ code: 2, stdout: "" });
  expect(result.stderr).not.toMatch(/unexpected error|\n\s+at /);
  return result.stderr.slice(result.stderr.indexOf("clinval: "));
}

/** The line on which the record of case `id` starts in a CSV written by `userCsv`. */
function lineOf(content: string, id: string): number {
  return content.slice(0, content.indexOf(`\n${id},`)).split("\n").length + 1;
}

const LABELS = ["negative", "routine", "urgent"];

function loadSplit(split: string): Promise<TriageCase[]> {
  return loadCaseFile(builtinSuitePath("ct-triage@1"), {
    requiredFields: ["text", "label"],
    split,
    id: "ct-triage",
  }).then((suite) => suite.cases as TriageCase[]);
}

// ---------------------------------------------------------------------------------------------------
// The zero-shot models. Each answers the i-th test report (in file order) with a label chosen by a fixed
// rule, worded in one of several ways that the label extraction must read.

/** The label one step less (step −1) or more (+1) severe, bouncing back at either end. */
function shifted(label: string, step: -1 | 1): string {
  const position = LABELS.indexOf(label);
  const target = position + step;
  return LABELS[target < 0 || target >= LABELS.length ? position - step : target];
}

/** Model A under-triages every sixth report and over-triages some others. */
function labelOfA(index: number, reference: string): string {
  if (index % 6 === 1) return shifted(reference, -1);
  if (index % 10 === 4) return shifted(reference, 1);
  return reference;
}

/** Model B over-triages every fourth report that is not already urgent. */
function labelOfB(index: number, reference: string): string {
  return index % 4 === 3 && reference !== "urgent" ? shifted(reference, 1) : reference;
}

const UNPARSEABLE_INDEX = 7;
const TRUNCATED_INDEX = 13;

/** Prose that names the label only next to a negated "urgent", or opens with it. */
const PROSE: Record<string, string> = {
  negative: "Not urgent — negative study with incidental findings only.",
  routine: "This is not urgent: the findings need routine follow-up.",
  urgent: "Urgent – needs same-day action.",
};

/** What model A says for the i-th report, and the label that should be read from it (null: none). */
function replyOfA(index: number, reference: string): { reply: ScriptedReply; label: string | null } {
  if (index === UNPARSEABLE_INDEX) {
    return { reply: { content: "I cannot classify this report without the prior imaging." }, label: null };
  }
  if (index === TRUNCATED_INDEX) {
    return { reply: { content: '{"label": "rou', finishReason: "length" }, label: null };
  }
  const label = labelOfA(index, reference);
  const json = JSON.stringify({ label });
  const replies: ScriptedReply[] = [
    { content: json, reasoningContent: "The impression decides it; weighing how soon action is needed." },
    { content: `Classification: ${label}` },
    { content: PROSE[label] },
    { content: `\`\`\`json\n${json}\n\`\`\`` },
    { content: `**${label.charAt(0).toUpperCase()}${label.slice(1)}**\n\nThe impression decides the label.` },
  ];
  return { reply: replies[index % replies.length], label };
}

function replyOfB(index: number, reference: string): { reply: ScriptedReply; label: string } {
  const label = labelOfB(index, reference);
  return { reply: { content: JSON.stringify({ label }) }, label };
}

const SCRIPTS = { "scripted-a": replyOfA, "scripted-b": replyOfB } as const;

/** The report text of a request, as the default triage prompt embeds it. */
function reportText(request: RecordedRequest): string {
  const user = request.messages.find((message) => message.role === "user")?.content;
  const match = typeof user === "string" ? /\nReport:\n([\s\S]*)\n\nAnswer only with JSON/.exec(user) : null;
  if (!match) throw new Error("the request has no report");
  return match[1];
}

/** The answers of both scripted models to every case of `cases`, keyed by report text. */
function scriptFor(cases: readonly TriageCase[]) {
  const byText = new Map(cases.map((testCase, index) => [testCase.text.trim(), { testCase, index }]));
  return (request: RecordedRequest): ScriptedReply => {
    const found = byText.get(reportText(request));
    const script = SCRIPTS[request.model as keyof typeof SCRIPTS];
    if (!found || !script) return { status: 400, body: { error: { message: "unknown report or model" } } };
    return script(found.index, found.testCase.label).reply;
  };
}

// ---------------------------------------------------------------------------------------------------
// Reading the outputs

type Row = Record<string, string>;

async function readRows(path: string): Promise<Row[]> {
  return parseCsvWithHeader(await readFile(path, "utf8"), path).rows.map(({ row }) => row);
}

function confusionOf(pairs: ReadonlyArray<readonly [string, string]>): number[][] {
  const confusion = LABELS.map(() => LABELS.map(() => 0));
  for (const [truth, predicted] of pairs) confusion[LABELS.indexOf(truth)][LABELS.indexOf(predicted)] += 1;
  return confusion;
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

/** Linear-weighted kappa straight from a confusion matrix: weights 1 − |i − j|/(k − 1). */
function linearKappa(confusion: number[][]): number {
  const size = confusion.length;
  const n = sum(confusion.map(sum));
  const rows = confusion.map(sum);
  const columns = confusion.map((_, column) => sum(confusion.map((row) => row[column])));
  let observed = 0;
  let expected = 0;
  for (let row = 0; row < size; row++) {
    for (let column = 0; column < size; column++) {
      const weight = 1 - Math.abs(row - column) / (size - 1);
      observed += (weight * confusion[row][column]) / n;
      expected += (weight * rows[row] * columns[column]) / (n * n);
    }
  }
  return (observed - expected) / (1 - expected);
}

interface CalculatorResult {
  labels: string[];
  confusion: number[][];
  perClass: Classification["perClass"];
  accuracy: number;
  macroF1: number;
}

/** `clinval stats classify` on a model's rows of cases.csv. */
async function calculator(csv: string, model: string, extra: string[] = []): Promise<CalculatorResult> {
  const result = await runCli([
    "stats",
    "classify",
    "--file",
    csv,
    "--truth",
    "reference",
    "--pred",
    "predicted",
    "--where",
    `model=${model}`,
    "--skip-unlabelled",
    ...extra,
    "--json",
  ]);
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as CalculatorResult;
}

/** A confusion matrix keyed by label names, so that two label orders can be compared. */
function keyedConfusion(
  labels: readonly string[],
  confusion: number[][],
): Record<string, Record<string, number>> {
  return Object.fromEntries(
    labels.map((truth, row) => [
      truth,
      Object.fromEntries(labels.map((predicted, column) => [predicted, confusion[row][column]])),
    ]),
  );
}

/** The calculator, run as the issue words it and with the study's label order, agrees with the block. */
async function expectCalculatorAgrees(csv: string, model: ModelSummary): Promise<void> {
  const block = model.classification as Classification;
  const asIs = await calculator(csv, model.id);
  expect({
    confusion: keyedConfusion(asIs.labels, asIs.confusion),
    perClass: asIs.perClass,
    macroF1: asIs.macroF1,
  }).toEqual({
    confusion: keyedConfusion(block.labels, block.confusion),
    perClass: block.perClass,
    macroF1: closeTo(block.macroF1, 1e-14),
  });
  const ordered = await calculator(csv, model.id, ["--labels", block.labels.join(",")]);
  expect(ordered).toEqual({
    labels: block.labels,
    confusion: block.confusion,
    perClass: block.perClass,
    accuracy: sum(block.confusion.map((row, index) => row[index])) / block.labelled,
    macroF1: block.macroF1,
  });
}

/** Every measure of a block that follows from its confusion matrix, and accuracy with unlabelled answers as failures. */
function expectConsistent(model: ModelSummary): void {
  const block = model.classification as Classification;
  const { confusion } = block;
  const diagonal = sum(confusion.map((row, index) => row[index]));
  const below = sum(confusion.flatMap((row, index) => row.slice(0, index)));
  const above = sum(confusion.flatMap((row, index) => row.slice(index + 1)));
  const labelled = sum(confusion.map(sum));
  const unlabelled = sum(block.unlabelled);
  expect({
    labels: block.labels,
    labelled: block.labelled,
    answers: labelled + unlabelled,
    unlabelled,
    correct: diagonal,
    accuracy: model.accuracy?.estimate,
    mostSevereRecall: block.mostSevereRecall,
    mostSevereRecallWithUnlabelled: block.mostSevereRecallWithUnlabelled,
    underTriage: block.underTriage,
    overTriage: block.overTriage,
    weightedKappa: block.weightedKappa,
    interval: [block.macroF1Interval?.method, block.macroF1Interval?.replicates, block.macroF1Interval?.seed],
    macroF1Inside:
      (block.macroF1Interval?.lower ?? 1) <= block.macroF1 &&
      block.macroF1 <= (block.macroF1Interval?.upper ?? 0),
  }).toEqual({
    labels: LABELS,
    labelled,
    answers: model.n,
    unlabelled: model.outcomes.unparseable + model.outcomes.truncated,
    correct: model.outcomes.correct,
    accuracy: diagonal / model.n,
    mostSevereRecall: confusion[2][2] / sum(confusion[2]),
    mostSevereRecallWithUnlabelled: confusion[2][2] / (sum(confusion[2]) + block.unlabelled[2]),
    underTriage: below / labelled,
    overTriage: above / labelled,
    weightedKappa: closeTo(linearKappa(confusion), 1e-12),
    interval: ["bca", 2000, 1],
    macroF1Inside: true,
  });
  expect([model.accuracy?.x, model.accuracy?.n, model.accuracy?.method]).toEqual([
    model.outcomes.correct,
    model.n,
    "wilson",
  ]);
}

/** Heatmap tables and shaded cells of the HTML report. */
function heatmaps(html: string): { tables: number; cells: number; tones: string[] } {
  return {
    tables: html.match(/<table id="table-\d+" class="confusion">/g)?.length ?? 0,
    cells: html.match(/<td class="num heat" data-tone="/g)?.length ?? 0,
    tones: [...new Set([...html.matchAll(/data-tone="(\w+)"/g)].map((match) => match[1]))].sort(),
  };
}

// ---------------------------------------------------------------------------------------------------

let folder: string;
let server: OpenAICompatibleServer;
let testCases: TriageCase[];
let trainCases: TriageCase[];
const timings: Record<string, number> = {};

function modelEntries(classifier: string): string {
  return [
    "models:",
    "  - id: tfidf",
    "    provider: classifier",
    `    model: ${classifier}`,
    "  - id: zero-shot-a",
    "    provider: openai",
    `    baseUrl: ${server.url}`,
    "    model: scripted-a",
    "    concurrency: 8",
    "    retries: 0",
    "  - id: zero-shot-b",
    "    provider: openai",
    `    baseUrl: ${server.url}`,
    "    model: scripted-b",
    "    concurrency: 8",
    "    retries: 0",
  ].join("\n");
}

async function writeStudy(name: string, lines: string[]): Promise<string> {
  const path = join(folder, `${name}.yaml`);
  await writeFile(path, `${lines.join("\n")}\n`);
  return path;
}

async function timed<T>(name: string, action: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await action();
  } finally {
    timings[name] = performance.now() - started;
  }
}

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), "clinval-triage-e2e-"));
  testCases = await loadSplit("test");
  trainCases = await loadSplit("train");
  server = await startOpenAICompatibleServer({
    models: ["scripted-a", "scripted-b"],
    reply: scriptFor(testCases),
  });
});

afterAll(async () => {
  await server?.close();
  if (folder) await rm(folder, { recursive: true, force: true });
  const seconds = Object.entries(timings).map(([name, ms]) => `${name} ${(ms / 1000).toFixed(2)} s`);
  if (seconds.length > 0) console.info(`triage e2e timings: ${seconds.join(", ")}`);
});

describe("the ct-triage study: tfidf classifier vs zero-shot models", () => {
  let report: Report;
  let casesCsv: string;
  let html: string;
  let rows: Row[];

  beforeAll(async () => {
    const trained = await timed("train tfidf (ct-triage train split)", () =>
      runCli([
        "train",
        "tfidf",
        "--suite",
        "ct-triage@1",
        "--split",
        "train",
        "--seed",
        "1",
        "--out",
        join(folder, "M.json"),
      ]),
    );
    expect(trained.code).toBe(0);
    expect(trained.stdout.split("\n")[0]).toBe(
      "trained tfidf classifier on 424 cases of ct-triage (split train): negative 142, routine 141, urgent 141",
    );
    const study = await writeStudy("ct-triage-study", [
      "name: ct-triage-e2e",
      "task: triage",
      "suite: { id: ct-triage@1, split: test }",
      modelEntries("./M.json"),
      "subgroups: [scanType, region]",
      "output: ./ct-report",
    ]);
    const run = await timed("triage study run (3 models × 206 cases)", () =>
      runCli(["run", study, "--store", join(folder, "ct.db")]),
    );
    expect([run.code, run.stdout.split("\n")[0]]).toEqual([0, "Run complete."]);
    report = JSON.parse(await readFile(join(folder, "ct-report", "report.json"), "utf8")) as Report;
    casesCsv = join(folder, "ct-report", "cases.csv");
    html = await readFile(join(folder, "ct-report", "report.html"), "utf8");
    rows = await readRows(casesCsv);
  });

  const model = (id: string) => report.models.find((candidate) => candidate.id === id) as ModelSummary;

  it("reports every model on the 206 test reports, complete", () => {
    expect({
      task: report.study.task,
      suite: [report.study.suite.id, report.study.suite.cases],
      complete: report.run.complete,
      models: report.models.map((entry) => [entry.id, entry.provider, entry.n, entry.outcomes.error]),
      errors: report.errors,
      subgroups: report.study.subgroups,
    }).toEqual({
      task: "triage",
      suite: ["ct-triage", 206],
      complete: true,
      models: [
        ["tfidf", "classifier", 206, 0],
        ["zero-shot-a", "openai", 206, 0],
        ["zero-shot-b", "openai", 206, 0],
      ],
      errors: [],
      subgroups: ["scanType", "region"],
    });
    expect(server.requests.length).toBe(2 * 206);
  });

  it("reads every scripted wording of model A, and counts the unlabelled answers as failures", () => {
    const expected = testCases.map((testCase, index) => replyOfA(index, testCase.label).label);
    const predicted = new Map(
      rows.filter((row) => row.model === "zero-shot-a").map((row) => [row.case, row.predicted]),
    );
    expect(testCases.map((testCase) => predicted.get(testCase.id) || null)).toEqual(expected);

    const labelled = testCases.flatMap((testCase, index) =>
      expected[index] === null ? [] : [[testCase.label, expected[index] as string] as const],
    );
    const correct = labelled.filter(([truth, given]) => truth === given).length;
    const unlabelledRow = (label: string) =>
      [UNPARSEABLE_INDEX, TRUNCATED_INDEX].filter((index) => testCases[index].label === label).length;
    const a = model("zero-shot-a");
    expect({
      outcomes: a.outcomes,
      confusion: a.classification?.confusion,
      unlabelled: a.classification?.unlabelled,
    }).toEqual({
      outcomes: { correct, incorrect: labelled.length - correct, unparseable: 1, truncated: 1, error: 0 },
      confusion: confusionOf(labelled),
      unlabelled: LABELS.map(unlabelledRow),
    });
    expect(a.accuracy?.estimate).toBe(correct / 206);
  });

  it("gives each model a classification block that agrees with its own confusion matrix and accuracy", () => {
    for (const entry of report.models) expectConsistent(entry);
    const b = model("zero-shot-b");
    expect(b.classification?.confusion).toEqual(
      confusionOf(testCases.map((testCase, index) => [testCase.label, labelOfB(index, testCase.label)])),
    );
    // Model B only ever over-triages; the classifier agrees with the reference far beyond chance.
    const raised = testCases.filter((testCase, index) => labelOfB(index, testCase.label) !== testCase.label);
    expect([b.classification?.underTriage, b.classification?.overTriage]).toEqual([0, raised.length / 206]);
    expect(model("tfidf").classification?.weightedKappa).toBeGreaterThan(0.5);
  });

  it("gives the numbers of `clinval stats classify` on the exported cases.csv, for every model", async () => {
    for (const entry of report.models) await expectCalculatorAgrees(casesCsv, entry);
    const skipped = await runCli([
      "stats",
      "classify",
      "--file",
      casesCsv,
      "--truth",
      "reference",
      "--pred",
      "predicted",
      "--where",
      "model=zero-shot-a",
      "--skip-unlabelled",
    ]);
    expect(skipped.stderr).toBe("2 rows without a predicted label left out\n");
  });

  it("gives accuracy the Wilson interval of `clinval stats ci` over correct answers of all answered cases", async () => {
    for (const entry of report.models) {
      const ci = await runCli(["stats", "ci", "--x", `${entry.outcomes.correct}`, "--n", "206", "--json"]);
      expect(entry.accuracy).toEqual(JSON.parse(ci.stdout));
    }
  });

  it("compares every pair by McNemar on correctness, with Holm's adjustment across the three", async () => {
    const correct = (id: string) =>
      new Map(rows.filter((row) => row.model === id).map((row) => [row.case, row.outcome === "correct"]));
    const table = (a: string, b: string) => {
      const first = correct(a);
      const second = correct(b);
      const counts = { bothCorrect: 0, aOnly: 0, bOnly: 0, neither: 0 };
      for (const testCase of testCases) {
        const left = first.get(testCase.id);
        const right = second.get(testCase.id);
        if (left && right) counts.bothCorrect += 1;
        else if (left) counts.aOnly += 1;
        else if (right) counts.bOnly += 1;
        else counts.neither += 1;
      }
      return counts;
    };
    const pairs = report.comparisons.map((comparison) => [comparison.a, comparison.b]);
    expect(pairs).toEqual([
      ["tfidf", "zero-shot-a"],
      ["tfidf", "zero-shot-b"],
      ["zero-shot-a", "zero-shot-b"],
    ]);
    const exact: number[] = [];
    for (const comparison of report.comparisons) {
      const counts = table(comparison.a, comparison.b);
      const test = await runCli([
        "stats",
        "mcnemar",
        "--b",
        `${counts.aOnly}`,
        "--c",
        `${counts.bOnly}`,
        "--json",
      ]);
      const { exactP, midP } = JSON.parse(test.stdout) as Comparison["mcnemar"];
      exact.push(exactP);
      expect(comparison).toMatchObject({ n: 206, excluded: 0, ...counts, mcnemar: { exactP, midP } });
    }
    const holm = await runCli(["stats", "adjust", "--method", "holm", ...exact.map(String), "--json"]);
    const { adjusted } = JSON.parse(holm.stdout) as { adjusted: number[] };
    expect(report.comparisons.map((comparison) => [comparison.adjustedP, comparison.adjustment])).toEqual(
      adjusted.map((value) => [value, "holm"]),
    );
    expect(new Set(adjusted).size).toBeGreaterThan(1);
    expect(report.comparisons.map((comparison) => comparison.significant)).toEqual(
      adjusted.map((value) => value < report.study.alpha),
    );
  });

  it("repeats the classification per scan type and region, matching cases.csv within each stratum", () => {
    for (const field of ["scanType", "region"] as const) {
      const values = [...new Set(testCases.map((testCase) => String(testCase[field])))].sort();
      const strata = report.subgroups.filter((stratum) => stratum.field === field);
      expect(strata.map((stratum) => stratum.value).sort()).toEqual(values);
      for (const stratum of strata) {
        expect(stratum.comparisons.length).toBe(3);
        for (const entry of stratum.models) {
          const inStratum = rows.filter((row) => row.model === entry.id && row[field] === stratum.value);
          const labelled = inStratum.filter((row) => row.predicted !== "");
          expect([entry.n, entry.classification?.confusion]).toEqual([
            stratum.cases,
            confusionOf(labelled.map((row) => [row.reference, row.predicted])),
          ]);
        }
      }
      expect(sum(strata.map((stratum) => stratum.cases))).toBe(206);
    }
  });

  it("shows each model's confusion matrix as a heatmap in the HTML report", () => {
    // Three models × 3 × 4 cells (three labels and the "no label" column) are shaded.
    expect(heatmaps(html)).toEqual({ tables: 3, cells: 36, tones: ["agree", "none", "over", "under"] });
    expect(html).toContain('<section class="classification" id="classification">');
  });
});

// ---------------------------------------------------------------------------------------------------

/** A hospital's export: report_id, report_text, severity and site (three sites, in turn). */
function userCsv(cases: readonly TriageCase[]): string {
  const cell = (value: string) => (/[",\n\r]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value);
  const sites = ["north", "south", "west"];
  const lines = cases.map((testCase, index) =>
    [testCase.id, testCase.text, testCase.label, sites[index % 3]].map(cell).join(","),
  );
  return `${["report_id,report_text,severity,site", ...lines].join("\n")}\n`;
}

const FIELDS = "id=report_id,text=report_text,label=severity";
const STUDY_FIELDS = "fields: { id: report_id, text: report_text, label: severity }";

describe("the same commands on a user's own labelled report file, mapped with fields", () => {
  let report: Report;
  let rows: Row[];
  let casesCsv: string;

  beforeAll(async () => {
    await writeFile(join(folder, "site-train.csv"), userCsv(trainCases));
    await writeFile(join(folder, "site-test.csv"), userCsv(testCases));
    const trained = await timed("train tfidf (user CSV)", () =>
      runCli([
        "train",
        "tfidf",
        "--suite",
        join(folder, "site-train.csv"),
        "--fields",
        FIELDS,
        "--seed",
        "1",
        "--out",
        join(folder, "site.json"),
      ]),
    );
    expect([trained.code, trained.stdout.split("\n")[0]]).toEqual([
      0,
      "trained tfidf classifier on 424 cases of site-train.csv: negative 142, routine 141, urgent 141",
    ]);
    const study = await writeStudy("site-study", [
      "name: site-triage",
      "task: triage",
      "suite:",
      "  path: ./site-test.csv",
      `  ${STUDY_FIELDS}`,
      modelEntries("./site.json"),
      "subgroups: [site]",
      "output: ./site-report",
    ]);
    const run = await timed("triage study run (user CSV)", () =>
      runCli(["run", study, "--store", join(folder, "site.db")]),
    );
    expect([run.code, run.stderr]).toEqual([0, expect.stringContaining("suite site-test.csv")]);
    report = JSON.parse(await readFile(join(folder, "site-report", "report.json"), "utf8")) as Report;
    casesCsv = join(folder, "site-report", "cases.csv");
    rows = await readRows(casesCsv);
  });

  it("runs the study on the mapped file, with the site as a subgroup", () => {
    expect({
      suite: [report.study.suite.id, report.study.suite.cases],
      models: report.models.map((entry) => [entry.id, entry.n]),
      strata: report.subgroups.map((stratum) => [stratum.field, stratum.value, stratum.cases]),
      columns: Object.keys(rows[0]).slice(-1),
    }).toEqual({
      suite: ["site-test.csv", 206],
      models: [
        ["tfidf", 206],
        ["zero-shot-a", 206],
        ["zero-shot-b", 206],
      ],
      strata: [
        ["site", "north", 69],
        ["site", "south", 69],
        ["site", "west", 68],
      ],
      columns: ["site"],
    });
    for (const entry of report.models) expectConsistent(entry);
  });

  it("trains the same classifier from the mapped CSV as from the built-in suite", async () => {
    // Same texts, labels and seed: the tfidf model's label for every report is the one of the ct-triage run.
    const builtin = await readRows(join(folder, "ct-report", "cases.csv"));
    const labelsOf = (source: Row[]) =>
      Object.fromEntries(
        source.filter((row) => row.model === "tfidf").map((row) => [row.case, row.predicted]),
      );
    expect(labelsOf(rows)).toEqual(labelsOf(builtin));
  });

  it("agrees with `clinval stats classify` on its cases.csv", async () => {
    for (const entry of report.models) await expectCalculatorAgrees(casesCsv, entry);
  });
});

// ---------------------------------------------------------------------------------------------------

describe("bad input: exit 2 with a message naming the file, the field and the case", () => {
  const few = () => trainCases.slice(0, 30);

  async function trainOn(name: string, content: string, extra: string[] = []): Promise<CliResult> {
    await writeFile(join(folder, name), content);
    return runCli([
      "train",
      "tfidf",
      "--suite",
      join(folder, name),
      "--fields",
      FIELDS,
      ...extra,
      "--out",
      join(folder, `${name}.json`),
    ]);
  }

  async function studyOn(name: string, content: string, classifier = "./M.json"): Promise<CliResult> {
    await writeFile(join(folder, name), content);
    const study = await writeStudy(`${name}-study`, [
      `name: ${name.replace(/\W/g, "-")}`,
      "task: triage",
      "suite:",
      `  path: ./${name}`,
      `  ${STUDY_FIELDS}`,
      "models:",
      "  - id: tfidf",
      "    provider: classifier",
      `    model: ${classifier}`,
      `output: ./${name}-report`,
    ]);
    return runCli(["run", study, "--store", join(folder, "bad.db")]);
  }

  it("refuses a case whose label is not in the label set, in a study and in training", async () => {
    const cases = few();
    const content = userCsv(
      cases.map((testCase, index) => (index === 4 ? { ...testCase, label: "critical" } : testCase)),
    );
    const file = `${join(folder, "unknown-label.csv")}:${lineOf(content, cases[4].id)}`;
    expect(expectInputFailure(await studyOn("unknown-label.csv", content))).toBe(
      `clinval: ${file}: severity (mapped to label): case "${cases[4].id}": label "critical" is not one of ` +
        "the study's labels negative, routine, urgent\n",
    );
    expect(expectInputFailure(await trainOn("unknown-label.csv", content))).toBe(
      `clinval: ${file}: severity (mapped to label): case "${cases[4].id}": label "critical" is not one of ` +
        "negative, routine, urgent (give the label set with --labels, least to most severe)\n",
    );
  });

  it("refuses a training split that lacks a class", async () => {
    const file = join(folder, "no-urgent.csv");
    const result = await trainOn(
      "no-urgent.csv",
      userCsv(trainCases.filter((testCase) => testCase.label !== "urgent").slice(0, 40)),
    );
    expect(expectInputFailure(result)).toBe(
      `clinval: ${file}: severity (mapped to label): label "urgent" has no case in the file: ` +
        "a classifier cannot learn a class it never sees\n",
    );
  });

  it("refuses an empty report text, naming the line and the mapped column", async () => {
    const cases = few();
    const content = userCsv(
      cases.map((testCase, index) => (index === 2 ? { ...testCase, text: "" } : testCase)),
    );
    // The line where that record starts: report texts span several lines.
    const line = lineOf(content, cases[2].id);
    const message = `clinval: ${join(folder, "empty-text.csv")}:${line}: report_text (mapped to text): must be a non-empty string\n`;
    expect(expectInputFailure(await trainOn("empty-text.csv", content))).toBe(message);
    expect(expectInputFailure(await studyOn("empty-text.csv", content))).toBe(message);
  });

  it("refuses a report text without words in training", async () => {
    const cases = few();
    const content = userCsv(
      cases.map((testCase, index) => (index === 3 ? { ...testCase, text: "— … —" } : testCase)),
    );
    expect(expectInputFailure(await trainOn("no-words.csv", content))).toBe(
      `clinval: ${join(folder, "no-words.csv")}:${lineOf(content, cases[3].id)}: report_text (mapped to text): case "${cases[3].id}": the report text has no words\n`,
    );
  });

  it("refuses a classifier trained on another label set", async () => {
    const names: Record<string, string> = { negative: "none", routine: "soon", urgent: "today" };
    const trained = await trainOn(
      "other-labels.csv",
      userCsv(trainCases.slice(0, 60).map((testCase) => ({ ...testCase, label: names[testCase.label] }))),
      ["--labels", "none,soon,today"],
    );
    expect(trained.code).toBe(0);
    const model = join(folder, "other-labels.csv.json");
    expect(existsSync(model)).toBe(true);
    const result = await studyOn(
      "site-test-copy.csv",
      userCsv(testCases.slice(0, 20)),
      "./other-labels.csv.json",
    );
    expect(expectInputFailure(result)).toBe(
      `clinval: ${model}: labels: the classifier other-labels.csv.json was trained on the labels none, soon, today, ` +
        "but the study's labels are negative, routine, urgent; use a classifier trained on the study's label set " +
        "(clinval train … --labels)\n",
    );
  });
});
